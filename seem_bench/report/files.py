"""Atomic binary writes for report outputs (PNG figures), alongside `seem_bench.io_utils`.

>>> write_bytes_atomic("curves.png", png_bytes)   # doctest: +SKIP
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
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def emit(text: str, path: str | Path | None) -> None:
    """Print ``text`` to stdout, or write it atomically to ``path`` when one is given."""
    if path is None or str(path) == "-":
        print(text, end="" if text.endswith("\n") else "\n")
    else:
        from seem_bench.io_utils import atomic_write_text

        atomic_write_text(path, text)
