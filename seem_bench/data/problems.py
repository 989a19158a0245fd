"""Dataset problems: raised at once by loaders, collected by ``seem-bench data check``.

Loaders take a `Problems` sink. In the default strict mode the first problem raises a
one-line `DataError`; ``data check`` passes a collecting sink so that it can list every
problem, one line each, and exit 1 if there is any.

>>> p = Problems(collect=True)
>>> p.add("a/b.png", "file not found")
>>> p.lines()
['a/b.png: file not found']
"""

from __future__ import annotations

from pathlib import Path

from seem_bench.errors import DataError


class Problems:
    """A sink for `DataError`-shaped problems (path + one-line description)."""

    def __init__(self, collect: bool = False) -> None:
        self.collect = collect
        self._lines: dict[str, None] = {}  # insertion-ordered set: a file is reported once per problem

    def add(self, path: str | Path, problem: str) -> None:
        """Report a problem: raise it (strict) or remember it (collecting)."""
        err = DataError(path, problem)
        if not self.collect:
            raise err
        self._lines.setdefault(str(err), None)

    def add_error(self, err: DataError) -> None:
        """Report an already-built `DataError`."""
        if not self.collect:
            raise err
        self._lines.setdefault(str(err), None)

    def lines(self) -> list[str]:
        return list(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


STRICT = Problems(collect=False)
