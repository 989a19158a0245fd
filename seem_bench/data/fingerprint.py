"""Fingerprints: sha256 of the files a loader read, for the run record.

Loaders hash their index files (`fingerprint_files`) or listing (`fingerprint_listing`); the
runner adds `content_fingerprint`, the sha256 of every image, mask and annotation file the run
reads, so that runs on different data never share a ``run_id`` (an emptied mask or a truncated
image changes it). File hashes are cached by (path, size, mtime) in `HashCache`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seem_bench.data.types import Sample

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
        h.update(os.fsencode(name))  # fsencode: a non-UTF-8 file name hashes too
        h.update(b"\n")
    return h.hexdigest()


# --------------------------------------------------------------------------- content of a run's files


def cache_base() -> Path:
    """``$SEEM_BENCH_CACHE``, else ``~/.cache/seem-bench``: where seem-bench keeps derived files."""
    return Path(os.environ.get("SEEM_BENCH_CACHE") or Path.home() / ".cache" / "seem-bench")


def _paths_in(obj: Any, out: set[Path], depth: int = 0) -> None:
    """Collect the `Path` arguments of a loader (``functools.partial``s, possibly nested)."""
    if depth > 8:
        return
    if isinstance(obj, Path):
        out.add(obj)
    elif isinstance(obj, partial):
        _paths_in(obj.func, out, depth + 1)
        for a in (*obj.args, *obj.keywords.values()):
            _paths_in(a, out, depth + 1)
    elif isinstance(obj, list | tuple):
        for a in obj:
            _paths_in(a, out, depth + 1)


def files_read(samples: Iterable[Sample]) -> list[Path]:
    """Every file the loaders of ``samples`` read (images, masks, targets, frames), sorted.

    Loaders are ``functools.partial``s over module-level readers whose file arguments are
    `Path`s, so the files are found without running them and without each loader listing them.
    """
    out: set[Path] = set()
    stack = list(samples)
    while stack:
        s = stack.pop()
        stack.extend(s.frames)
        out.update(Path(p) for p in s.meta.get("scribbles", ()))  # read by the davis-interactive loop
        _paths_in(s.image_loader, out)
        for loader in s.targets.values():
            _paths_in(loader, out)
        for inst in s.instances:
            _paths_in(inst.mask_loader, out)
            _paths_in(inst.ignore_loader, out)
    return sorted(out)


class HashCache:
    """sha256 of files, remembered by (absolute path, size, mtime) so a rerun does not rehash.

    One JSON file per dataset root under ``<cache_base>/hashes/``, rewritten atomically when
    something new was hashed (two processes writing at once lose at most each other's new
    entries, which are simply hashed again next time).
    """

    def __init__(self, root: Path, cache_dir: Path | None = None) -> None:
        key = hashlib.sha256(os.fsencode(str(Path(root).resolve()))).hexdigest()[:16]
        self.path = (cache_dir or cache_base() / "hashes") / f"{key}.json"
        self.hashed = 0  # files actually read this time (the rest came from the cache)
        try:
            self._entries: dict[str, list] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self._entries = {}
        self._dirty = False

    def sha256(self, path: Path) -> str:
        st = path.stat()
        key = str(path.resolve())
        hit = self._entries.get(key)
        if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        digest = sha256_file(path)
        self._entries[key] = [st.st_size, st.st_mtime_ns, digest]
        self.hashed += 1
        self._dirty = True
        return digest

    def save(self) -> None:
        if not self._dirty:
            return
        from seem_bench.errors import DataError
        from seem_bench.io_utils import atomic_write_text

        try:
            atomic_write_text(self.path, json.dumps(self._entries, separators=(",", ":")))
        except (OSError, DataError):
            pass  # a read-only (or full) cache only costs a rehash next time
        self._dirty = False


def content_fingerprint(root: Path, samples: Iterable[Sample], cache: HashCache | None = None
                        ) -> dict[str, Any]:
    """``{"files": n, "sha256": digest}`` over (relative path, sha256) of every file ``samples``
    read; a missing file enters as ``missing`` (the run reports it when it gets there)."""
    cache = cache or HashCache(root)
    h = hashlib.sha256()
    files = files_read(samples)
    for f in files:
        try:
            rel = str(f.relative_to(root))
        except ValueError:
            rel = str(f)
        try:
            digest = cache.sha256(f) if f.is_file() else "missing"
        except OSError:
            digest = "unreadable"
        h.update(os.fsencode(f"{rel}\t{digest}\n"))
    cache.save()
    return {"files": len(files), "sha256": h.hexdigest()}
