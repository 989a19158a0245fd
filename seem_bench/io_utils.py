"""Atomic and durable file writes, the file hasher and the JSON digest: one of each.

`atomic_write_bytes` is the only writer of result files (summaries, reports, leaderboards,
feature-cache entries); `sha256_file` the only file hasher (memoised per path, size and mtime);
`digest` the only hash of a JSON-able object (run fingerprints, leaderboard keys).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one, never a part.

    The file gets the usual ``0666 & ~umask`` mode (``mkstemp`` alone makes 0600): results are
    meant to be read by others (CI artifact servers, teammates).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as e:
        raise _write_error(path, e) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError):
            raise _write_error(path, e) from None
        raise


def _write_error(path: Path, e: OSError) -> Exception:
    """The one-line `DataError` of a failed write (full disk, ``ulimit -f``, read-only folder)."""
    from seem_bench.errors import DataError

    return DataError(path, f"cannot write ({e.strerror or type(e).__name__}); nothing was replaced")


def atomic_write_text(path: str | Path, text: str) -> None:
    """`atomic_write_bytes` of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


class JsonlWriter:
    """Append-only JSONL; each batch of lines is written with one flush and one fsync.

    Opening an existing file first cuts a torn last line (a writer killed mid-line), so appended
    records never fuse with a fragment.

    ``background=True`` (the runner's records): `write_many` serialises in the caller and hands
    the write + fsync to one writer thread, so a slow disk never stalls the loop that feeds the
    model. At most one batch is in flight: the next `write_many` (or `close`) waits for it and
    raises its error, if any, as the same one-line `DataError`. A kill loses at most that batch,
    which a resume recomputes (lines are whole or cut on reopen, never duplicated).
    """

    def __init__(self, path: str | Path, background: bool = False) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _truncate_torn_tail(self.path)
            self._f = open(self.path, "a", encoding="utf-8")
        except OSError as e:
            raise _write_error(self.path, e) from None
        self._pool = None
        if background:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seem-bench-writer")
        self._pending: Any = None  # the write in flight (a Future), if any

    def write(self, obj: Any) -> None:
        self.write_many([obj])

    def write_many(self, objs: list[Any]) -> None:
        """Append several lines with one flush and one fsync (a sample's records are computed
        together, so they become durable together)."""
        if not objs:
            return
        text = "".join(json.dumps(o, separators=(",", ":")) + "\n" for o in objs)
        if self._pool is None:
            self._append(text)
            return
        self.wait()
        self._pending = self._pool.submit(self._append, text)

    def wait(self) -> None:
        """Block until the write in flight is durable; raises its `DataError` if it failed."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _append(self, text: str) -> None:
        try:
            self._f.write(text)
            self._f.flush()
            os.fsync(self._f.fileno())
        except OSError as e:
            self._abandon()
            from seem_bench.errors import DataError

            raise DataError(self.path, f"cannot write records ({e.strerror or type(e).__name__}); the "
                                       "records written before are kept: free space and resume the run") from None

    def _abandon(self) -> None:
        """After a failed write: drop the unwritten buffer and cut the torn line a partial write
        left, so the file ends with a complete record (truncating needs no free space)."""
        old, self._f = self._f, open(os.devnull, "a", encoding="utf-8")
        try:
            old.close()  # flushing the failed buffer fails again; the file is closed all the same
        except OSError:
            pass
        try:
            _truncate_torn_tail(self.path)
        except OSError:
            pass  # the resume cuts the torn tail when it opens the file

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
            try:
                self._f.close()
            except OSError as e:
                raise _write_error(self.path, e) from None

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _truncate_torn_tail(path: Path) -> None:
    if not path.exists():
        return
    with open(path, "rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        # Walk back to the last newline; everything after it is a fragment.
        pos = size
        while pos > 0:
            step = min(65536, pos)
            f.seek(pos - step)
            block = f.read(step)
            nl = block.rfind(b"\n")
            if nl >= 0:
                f.truncate(pos - step + nl + 1)
                break
            pos -= step
        else:
            f.truncate(0)
        f.flush()
        os.fsync(f.fileno())


def iter_jsonl(path: str | Path) -> Iterator[dict]:
    """Complete lines one at a time (constant memory); a torn last line (killed writer, no
    newline) is dropped.

    Any other unreadable line (a corrupted line in the middle, or a complete last line that is
    not a JSON object) is a `DataError` naming the file and the 1-based line number: skipping it
    would silently drop a record, and a resumed run would then compute it a second time.
    """
    from seem_bench.errors import DataError

    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, start=1):
                if not line.endswith("\n"):
                    break
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise DataError(path, f"line {n} is not valid JSON ({e.msg}, column {e.colno}); "
                                          "the records file is corrupted: restore it or remove that line") from None
                if not isinstance(obj, dict):
                    raise DataError(path, f"line {n} is not a JSON object")
                yield obj
    except UnicodeDecodeError as e:
        raise DataError(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise DataError(path, f"unreadable: {e.strerror or e}") from None


def read_jsonl(path: str | Path) -> list[dict]:
    """All complete lines of `iter_jsonl` as a list."""
    return list(iter_jsonl(path))


@lru_cache(maxsize=64)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """sha256 (hex) of a file, memoised per (path, size, mtime) within the process."""
    st = os.stat(path)
    return _sha256(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


def digest(obj: Any) -> str:
    """sha256 (hex) of an object's key-sorted JSON (``default=str`` for paths and the like)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()
