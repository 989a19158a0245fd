"""Report defaults the command line shows in ``--help``, in a module that imports nothing heavy.

The modules that use them (`check`, `ablation`, `render`, `leaderboard`) import pandas; the
CLI builds its parser from these names alone, so ``seem-bench --help`` stays fast (issue 23).
"""

from __future__ import annotations

from pathlib import Path

#: `seem_bench.report.check`: tolerance of metrics without an explicit one (float noise).
DEFAULT_TOL = 1e-9
#: `seem_bench.report.ablation`: the ablation table's columns.
DEFAULT_METRICS = ("NoC@85", "NoC@90", "NoF@85", "NoF@90", "1-IoU")
#: `seem_bench.report.render`: table output formats.
FORMATS = ("md", "latex", "csv", "html")
#: `seem_bench.report.leaderboard`: the leaderboard file.
DEFAULT_BOARD = Path("leaderboard.csv")
