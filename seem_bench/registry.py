"""One generic name registry with lazy entries, entry-point plugins and "did you mean" errors.

Datasets, prompt protocols, models and tasks all use it. An entry is either an object or a lazy
``"module:attr"`` string imported on first use, so listing names never imports heavy code.

>>> r = Registry("model")
>>> r.register("disks", "seem_bench.baselines.sanity:DisksModel")
>>> r.names()
['disks']
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from seem_bench.errors import UsageError

T = TypeVar("T")


def import_string(spec: str) -> Any:
    """Import ``"package.module:attr"`` (or ``"package.module.attr"``)."""
    module, _, attr = spec.partition(":") if ":" in spec else spec.rpartition(".")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


class LazyFunction:
    """A function named ``"module:attr"``, imported on its first call.

    For registries of objects that hold functions (click protocols, first-prompt simulators):
    listing them, or reading their declared parameters, must not import the array code.

    >>> f = LazyFunction("math:hypot")
    >>> f(3, 4)
    5.0
    """

    __slots__ = ("spec", "_fn")

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self._fn: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._fn is None:
            self._fn = import_string(self.spec)
        return self._fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"LazyFunction({self.spec!r})"


class LazyModule:
    """A stand-in for ``import <module> as <alias>`` that imports on first attribute access.

    Used by the adapter modules that ``seem-bench models`` imports only to read class
    attributes (CLI start-up, issue 23): ``np = LazyModule("numpy", __name__, "np")``. The
    first access imports the module and rebinds ``<alias>`` in the owner's globals to it, so
    later uses are plain module lookups, with no cost per call.

    >>> m = LazyModule("math", __name__, "m")
    >>> m.sqrt(16.0)
    4.0
    """

    __slots__ = ("_name", "_owner", "_alias")

    def __init__(self, name: str, owner: str, alias: str) -> None:
        self._name, self._owner, self._alias = name, owner, alias

    def __getattr__(self, attr: str) -> Any:
        import sys

        mod = importlib.import_module(self._name)
        owner = sys.modules.get(self._owner)
        if owner is not None and getattr(owner, self._alias, None) is self:
            setattr(owner, self._alias, mod)
        return getattr(mod, attr)

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"


def _describe(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    return f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', type(obj).__name__)}"


def entry_points(group: str) -> Any:
    """``importlib.metadata.entry_points(group=...)``, imported on first use (~30 ms at start-up)."""
    from importlib.metadata import entry_points as _eps

    return _eps(group=group)


class Registry(Generic[T]):
    """Maps names to objects or to lazy ``"module:attr"`` import strings."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._entries: dict[str, T | str] = {}
        self._plugins_loaded = False

    def register(self, name: str, obj: T | str | None = None) -> Any:
        """Register ``obj`` under ``name``; without ``obj`` acts as a decorator.

        A name already taken by another object is refused (`UsageError`): a plugin must not
        silently replace a built-in. Registering the same object again is a no-op.
        """
        if obj is None:
            def deco(o: T) -> T:
                self._put(name, o)
                return o
            return deco
        self._put(name, obj)
        return obj

    def _put(self, name: str, obj: Any) -> None:
        old = self._entries.get(name)
        if old is not None and old is not obj and old != obj:
            raise UsageError(f"{self.kind} {name!r} is already registered ({_describe(old)}); "
                             f"cannot register {_describe(obj)} under the same name")
        self._entries[name] = obj

    def _load_plugins(self) -> None:
        if self._plugins_loaded or not self.entry_point_group:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            self._entries.setdefault(ep.name, ep.value)

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def raw(self, name: str) -> T | str:
        """The entry as registered (an import string stays a string)."""
        self._load_plugins()
        if name not in self._entries:
            raise UsageError(self.unknown_message(name))
        return self._entries[name]

    def get(self, name: str) -> T:
        entry = self.raw(name)
        if isinstance(entry, str):
            entry = import_string(entry)
            self._entries[name] = entry
        return entry  # type: ignore[return-value]

    def unknown_message(self, name: str) -> str:
        names = self.names()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(names)}."

    def items(self) -> Iterator[tuple[str, T]]:
        for name in self.names():
            yield name, self.get(name)

