"""Suite definitions (YAML): a paper's table as named cells; installed as ``seem_bench.taskdefs.suites``."""
