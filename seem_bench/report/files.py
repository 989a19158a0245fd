"""Atomic writes of report outputs (tables, HTML, PNG figures, leaderboard files).

Unlike a bare ``tempfile.mkstemp`` + rename (mode 0600), outputs get mode 0644: reports and
leaderboards are meant to be read by others (CI artifact servers, web servers, teammates).

>>> write_bytes_atomic("curves.png", png_bytes)   # doctest: +SKIP
>>> write_text_atomic("table.md", "| a |")        # doctest: +SKIP
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` so readers see the old file or the complete new one, never a partial PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """`write_bytes_atomic` of UTF-8 text."""
    write_bytes_atomic(path, text.encode("utf-8"))


def emit(text: str, path: str | Path | None) -> None:
    """Print ``text`` to stdout, or write it atomically to ``path`` when one is given."""
    if path is None or str(path) == "-":
        print(text, end="" if text.endswith("\n") else "\n")
    else:
        write_text_atomic(path, text)
