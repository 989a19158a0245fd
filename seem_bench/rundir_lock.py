"""An exclusive lock on a run directory, so that two runs never write into one ``--out``.

The lock is ``fcntl.flock`` on ``<run dir>/lock-rank<i>`` holding the holder's pid. The kernel
drops it when the process ends, however it ends (a killed run leaves at most a stale file,
which the next run simply locks). Ranks of one torchrun run share a directory: rank 0 holds
the lock for all of them. ``--shard i/n`` jobs of one split also share a directory, each
writing its own records file, so each shard locks its own rank: two jobs of one shard conflict,
two shards do not.

>>> with RunDirLock(Path("runs/x")):   # doctest: +SKIP
...     ...                            # a second process here gets a UsageError naming this pid
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from seem_bench.errors import UsageError


def lock_path(run_dir: str | Path, rank: int = 0) -> Path:
    return Path(run_dir) / f"lock-rank{rank}"


class RunDirLock:
    """Hold ``lock-rank<rank>`` of ``run_dir`` (see module doc); `UsageError` when another
    process holds it. The file is removed on release."""

    def __init__(self, run_dir: str | Path, rank: int = 0) -> None:
        self.run_dir = Path(run_dir)
        self.path = lock_path(run_dir, rank)
        self._fd: int | None = None

    def acquire(self) -> RunDirLock:
        import fcntl

        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise UsageError(f"{self.run_dir}: another seem-bench process (pid {holder}) is writing "
                                 "into this run directory; wait for it to end or choose another --out") from None
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                    return self  # a file system without locks: run unprotected rather than not at all
                raise
            # The holder before us may have removed the file after we opened it: then we hold a
            # lock on a deleted file, and must lock the file that is there now.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.path)  # while still locked: a waiting process re-checks the inode
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunDirLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder(run_dir: str | Path, rank: int = 0) -> str | None:
    """The pid (as text) of a live process holding ``run_dir``'s lock, else ``None``. Only probes:
    the directory is not written (a reader such as `merge` may lack write permission)."""
    import fcntl

    path = lock_path(run_dir, rank)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None  # no lock file: nobody is writing
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
    except OSError:
        return None
    finally:
        os.close(fd)  # closing drops the shared probe lock too
    return None
