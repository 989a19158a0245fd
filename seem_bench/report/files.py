"""Printing or atomically writing a report output (the writer is `seem_bench.io_utils`'s).

>>> emit("| a |", None)
| a |
"""

from __future__ import annotations

from pathlib import Path

from seem_bench.io_utils import atomic_write_text

__all__ = ["emit"]


def emit(text: str, path: str | Path | None) -> None:
    """Print ``text`` to stdout, or write it atomically to ``path`` when one is given."""
    if path is None or str(path) == "-":
        print(text, end="" if text.endswith("\n") else "\n")
    else:
        atomic_write_text(path, text)
