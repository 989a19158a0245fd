"""Suites: a published table as one named, resumable command (``seem-bench suite run NAME``).

`definition` (YAML -> validated cells and table layouts), `run` (capability and data checks
before anything runs, then one run directory per cell), `manifest` (a suite directory read
back), `table` (reported rows, the model's row and the deltas) and `check` (the CI gate).
"""
