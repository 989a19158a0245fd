"""Suite definitions: a published table as named cells (task + overrides + metrics) and its layout.

Suites are YAML files in ``tasks/suites/`` (installed as ``seem_bench.taskdefs.suites``)::

    name: seem-paper
    title: "..."                        # caption of the printed table
    citation: "..."                     # where the published numbers come from
    url: https://...                    # optional
    notes: "..."                        # optional: what the suite leaves out and why
    cells:
      - id: refcocog                    # directory name of the cell's run under --out
        task: referring                 # a task of `seem-bench tasks`
        set: {dataset: refcocog, split: umd/val, sentences: first-sentence}   # as `run --set`
        metrics: [cIoU, mIoU, prec@0.5] # summary keys the table shows
    tables:
      - title: "..."
        reference: SEEM v1 Focal-T      # reported row the deltas are taken against (optional)
        sources: [seem-readme]          # reported rows shown: these sources.yaml keys (default all)
        groups:
          - {label: RefCOCOg, cell: refcocog, columns: {cIoU: cIoU, mIoU: mIoU, AP50: prec@0.5}}

Everything is validated when the suite is loaded (unknown task, parameter, cell or metric), so a
typo fails in a second with the file named, not after hours of other cells.

>>> s = get_suite("seem-paper")
>>> [c.id for c in s.cells][:3], s.cell("refcocog").task.params["sentences"]
(['coco', 'refcocog', 'voc'], 'first-sentence')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from seem_bench.errors import DataError, SeemBenchError, UsageError
from seem_bench.registry import Registry
from seem_bench.tasks import TaskSpec, get_task

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SUITE_KEYS = {"name", "title", "citation", "url", "notes", "cells", "tables"}
_CELL_KEYS = {"id", "task", "set", "metrics"}


@dataclass(frozen=True)
class SuiteCell:
    """One cell: the effective task (overrides applied) and the summary metrics it reports."""

    id: str
    task_name: str
    overrides: tuple[str, ...]
    metrics: tuple[str, ...]
    task: TaskSpec = field(compare=False)

    def describe(self) -> str:
        """``referring on refcocog umd/val`` (task, dataset and split) for messages."""
        split = f" {self.task.split}" if self.task.split else ""
        return f"{self.task_name} on {self.task.dataset}{split}"


@dataclass(frozen=True)
class SuiteGroup:
    label: str
    cell: str
    columns: tuple[tuple[str, str], ...]  # (header, summary metric key)


@dataclass(frozen=True)
class SuiteTable:
    title: str
    groups: tuple[SuiteGroup, ...]
    reference: str | None = None
    sources: tuple[str, ...] | None = None  # sources.yaml keys of the reported rows shown; None = all


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    citation: str
    cells: tuple[SuiteCell, ...]
    tables: tuple[SuiteTable, ...]
    url: str = ""
    notes: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def cell(self, cell_id: str) -> SuiteCell:
        for c in self.cells:
            if c.id == cell_id:
                return c
        raise UsageError(f"suite {self.name!r} has no cell {cell_id!r} (cells: {', '.join(self.ids())})")

    def ids(self) -> list[str]:
        return [c.id for c in self.cells]

    def select(self, ids: list[str] | None) -> list[SuiteCell]:
        """The cells named in ``ids`` (all when ``None``), in suite order."""
        if not ids:
            return list(self.cells)
        unknown = [i for i in ids if i not in self.ids()]
        if unknown:
            raise UsageError(f"--cells: suite {self.name!r} has no cell {', '.join(map(repr, unknown))} "
                             f"(cells: {', '.join(self.ids())})")
        return [c for c in self.cells if c.id in ids]


def _text(value: Any) -> str:
    """A YAML scalar as ``--set`` text (``None`` -> ``null``, booleans lower-case)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _mapping(obj: Any, where: str, what: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise DataError(where, f"{what} must be a mapping")
    return obj


def parse_suite(data: Any, where: str) -> Suite:
    """Build and validate a `Suite` from its YAML data (``DataError`` naming ``where``)."""
    data = _mapping(data, where, "a suite")
    unknown = sorted(set(data) - _SUITE_KEYS)
    if unknown:
        raise DataError(where, f"unknown keys {', '.join(unknown)} (known: {', '.join(sorted(_SUITE_KEYS))})")
    for key in ("name", "title", "citation"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise DataError(where, f"'{key}' must be a non-empty string")
    if not isinstance(data.get("cells"), list) or not data["cells"]:
        raise DataError(where, "'cells' must be a non-empty list")
    cells: list[SuiteCell] = []
    for i, raw in enumerate(data["cells"], 1):
        raw = _mapping(raw, where, f"cell {i}")
        bad = sorted(set(raw) - _CELL_KEYS)
        cid = raw.get("id")
        if bad:
            raise DataError(where, f"cell {cid or i}: unknown keys {', '.join(bad)}")
        if not isinstance(cid, str) or not _ID.match(cid):
            raise DataError(where, f"cell {i}: 'id' must be a name of letters, digits, '.', '_' or '-'")
        if cid in (c.id for c in cells):
            raise DataError(where, f"cell {cid}: id used twice")
        sets = _mapping(raw.get("set") or {}, where, f"cell {cid}: 'set'")
        overrides = tuple(f"{k}={_text(v)}" for k, v in sets.items())
        try:
            task = get_task(str(raw.get("task"))).with_overrides(list(overrides))
        except SeemBenchError as e:
            raise DataError(where, f"cell {cid}: {e}") from None
        metrics = raw.get("metrics")
        if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
            raise DataError(where, f"cell {cid}: 'metrics' must be a non-empty list of metric names")
        cells.append(SuiteCell(cid, task.name, overrides, tuple(metrics), task))
    by_id = {c.id: c for c in cells}
    tables: list[SuiteTable] = []
    for t, raw in enumerate(data.get("tables") or [], 1):
        raw = _mapping(raw, where, f"table {t}")
        groups = []
        seen: set[tuple[str, str]] = set()
        for g in raw.get("groups") or []:
            g = _mapping(g, where, f"table {t} group")
            cell = by_id.get(g.get("cell"))
            if cell is None:
                raise DataError(where, f"table {t}: group {g.get('label')!r} names unknown cell {g.get('cell')!r}")
            cols = tuple((str(h), str(m)) for h, m in _mapping(g.get("columns"), where, "columns").items())
            missing = [m for _, m in cols if m not in cell.metrics]
            if missing:
                raise DataError(where, f"table {t}: group {g.get('label')!r} shows {', '.join(missing)}, "
                                       f"which cell {cell.id} does not report (its metrics: {', '.join(cell.metrics)})")
            # Tables match runs by task kind and dataset: two cells there would share columns.
            key = (cell.task.kind, cell.task.dataset)
            if key in seen:
                raise DataError(where, f"table {t}: two groups hold {cell.task.kind} cells on {cell.task.dataset}")
            seen.add(key)
            groups.append(SuiteGroup(str(g.get("label") or cell.id), cell.id, cols))
        if not groups:
            raise DataError(where, f"table {t}: 'groups' must be a non-empty list")
        sources = raw.get("sources")
        if sources is not None:
            from seem_bench.report.leaderboard import load_sources

            known = load_sources()
            if not isinstance(sources, list) or any(k not in known for k in sources):
                raise DataError(where, f"table {t}: 'sources' must list keys of leaderboards/sources.yaml "
                                       f"({', '.join(known)}), got {sources!r}")
            sources = tuple(sources)
        tables.append(SuiteTable(str(raw.get("title") or data["title"]), tuple(groups), raw.get("reference"),
                                 sources))
    if not tables:
        raise DataError(where, "'tables' must be a non-empty list")
    return Suite(data["name"], data["title"].strip(), " ".join(data["citation"].split()), tuple(cells),
                 tuple(tables), str(data.get("url") or ""), " ".join(str(data.get("notes") or "").split()),
                 raw=data)


def _load_builtin() -> Registry[Suite]:
    reg: Registry[Suite] = Registry("suite")
    folder = resources.files("seem_bench.taskdefs").joinpath("suites")
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            where = f"seem_bench.taskdefs/suites/{entry.name}"
            try:
                data = yaml.safe_load(entry.read_text(encoding="utf-8"))
            except yaml.YAMLError as e:
                raise DataError(where, f"not valid YAML: {' '.join(str(e).split())}") from None
            reg.register(str(_mapping(data, where, "a suite").get("name")), data)
    return reg


#: Raw suite data by name; parsed (and validated) on `get_suite`, so listing tasks stays cheap.
SUITES: Registry[dict[str, Any]] = _load_builtin()


def get_suite(name: str) -> Suite:
    """The built-in suite ``name`` (``UsageError`` with suggestions if unknown)."""
    return parse_suite(SUITES.get(name), f"seem_bench.taskdefs/suites ({name})")
