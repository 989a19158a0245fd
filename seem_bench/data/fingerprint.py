"""Fingerprints: sha256 of the files a loader read, for the run record."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from seem_bench.io_utils import sha256_file

__all__ = ["fingerprint_files", "fingerprint_listing", "sha256_file"]


def fingerprint_files(root: Path, files: Iterable[Path]) -> dict[str, str]:
    """``{path relative to root: sha256}`` for the given index files, sorted by path."""
    out = {}
    for f in sorted(Path(p) for p in files):
        try:
            rel = str(f.relative_to(root))
        except ValueError:
            rel = str(f)
        out[rel] = sha256_file(f)
    return out


def fingerprint_listing(names: Iterable[str]) -> str:
    """sha256 of a sorted file listing: identifies sets like GrabCut that have no index file."""
    h = hashlib.sha256()
    for name in sorted(names):
        h.update(name.encode())
        h.update(b"\n")
    return h.hexdigest()
