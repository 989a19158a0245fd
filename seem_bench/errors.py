"""Errors a user can act on.

Every error raised for bad input or a missing dependency is a `SeemBenchError`: the CLI prints its
message as one line (no traceback) and exits with its `exit_code`. Messages name the file or the
name at fault and say what to do.
"""

from __future__ import annotations

from pathlib import Path


class SeemBenchError(Exception):
    """An error caused by input, configuration or environment, reported as one line."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))

    def __reduce__(self) -> tuple:
        # Pickling (a worker process sending the error back) must not call ``__init__`` again:
        # subclasses take other arguments (`DataError(path, problem)`), and the default
        # ``cls(*args)`` would fail in the parent as a `BrokenProcessPool` with a traceback.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[BaseException], args: tuple, state: dict) -> BaseException:
    """Unpickle an exception as it was: same class, args and attributes, ``__init__`` not run."""
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class UsageError(SeemBenchError):
    """Unknown names, bad option values, capability mismatches (exit code 2)."""

    exit_code = 2


class MissingDependencyError(UsageError):
    """A model or feature needs code or weights that are not on this machine (exit code 2)."""


class DataError(SeemBenchError):
    """A dataset file is missing, unreadable or inconsistent (exit code 1)."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")
