"""Atomic writes of report outputs (tables, HTML, PNG figures, leaderboard files).

The writers are `seem_bench.io_utils`'s (readable by others, never half-written), under the
names the report modules use.

>>> write_bytes_atomic("curves.png", png_bytes)   # doctest: +SKIP
>>> write_text_atomic("table.md", "| a |")        # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from seem_bench.io_utils import atomic_write_bytes as write_bytes_atomic
from seem_bench.io_utils import atomic_write_text as write_text_atomic

__all__ = ["emit", "write_bytes_atomic", "write_text_atomic"]


def emit(text: str, path: str | Path | None) -> None:
    """Print ``text`` to stdout, or write it atomically to ``path`` when one is given."""
    if path is None or str(path) == "-":
        print(text, end="" if text.endswith("\n") else "\n")
    else:
        write_text_atomic(path, text)
