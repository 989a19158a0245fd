"""Per-task-kind loops: given an encoded sample, produce one record per instance."""
