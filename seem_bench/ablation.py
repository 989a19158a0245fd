"""Ablation grids: run a task over the product of parameter values, one run directory per cell.

Orchestration (it calls the runner), so it lives beside `seem_bench.runner`; the table of a
finished grid is `seem_bench.report.ablation.ablation_table`, which only reads summaries.

``--grid memory=on,off negatives=on,off prompt=point,box`` gives 8 cells. ``prompt`` is the task
field ``first_prompt``; every other key is a task field or parameter (as ``--set`` takes). Cells
live in ``OUT/<key>-<value>_<key>-<value>...``; a cell whose run finished (a summary covering
every expected instance) is reused, an unfinished one is resumed by the runner. ``OUT/ablation.json``
pins the rest of the configuration, so a rerun with another model, task or ``--limit`` cannot mix
incomparable cells into one table.

Every cell is checked against the model's capabilities before any cell runs, so an unsupported
combination (a memoryless model with ``memory=on``, a point-only model with ``prompt=box``) fails
in a second, not after hours of other cells.

>>> parse_grid(["memory=on,off", "prompt=point"])
{'memory': ['on', 'off'], 'prompt': ['point']}
>>> cell_dirname({"memory": "on", "prompt": "point"})
'memory-on_prompt-point'
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seem_bench.errors import DataError, UsageError
from seem_bench.io_utils import atomic_write_json
from seem_bench.report.runs import load_summary
from seem_bench.runner import RunConfig, load_records, run
from seem_bench.tasks import TaskSpec

#: Grid keys that name a task field differently (the paper's words -> `TaskSpec` fields).
ALIASES = {"prompt": "first_prompt"}
_SAFE = re.compile(r"[^A-Za-z0-9.@+-]+")


@dataclass
class Cell:
    """One grid point: the raw values (as typed), the task they give, and its run directory."""

    values: dict[str, str]
    task: TaskSpec
    out_dir: Path


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``["key=v1,v2", ...]`` -> ``{key: [v1, v2]}``, in the order given."""
    grid: dict[str, list[str]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not sep or not key.strip() or not values:
            raise UsageError(f"--grid expects key=value1,value2,..., got {item!r}")
        if key.strip() in grid:
            raise UsageError(f"--grid names {key.strip()!r} twice")
        grid[key.strip()] = list(dict.fromkeys(values))
    if not grid:
        raise UsageError("--grid needs at least one key=value1,value2,... item")
    return grid


def cell_dirname(values: dict[str, str]) -> str:
    """A filesystem-safe, readable directory name for a cell."""
    return "_".join(f"{_SAFE.sub('-', k)}-{_SAFE.sub('-', v)}" for k, v in values.items())


def expand(task: TaskSpec, grid: dict[str, list[str]], out: Path) -> list[Cell]:
    """Every cell of ``grid`` applied to ``task`` (unknown keys fail here, before anything runs)."""
    cells = []
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo, strict=True))
        overrides = [f"{ALIASES.get(k, k)}={v}" for k, v in values.items()]
        cells.append(Cell(values, task.with_overrides(overrides), out / cell_dirname(values)))
    return cells


def preflight(cells: Sequence[Cell], model: str) -> None:
    """Fail with one line naming every cell the model cannot run, before any cell runs."""
    from seem_bench.adapters.base import check_capabilities
    from seem_bench.adapters.registry import model_class
    from seem_bench.loops.base import KINDS

    cls = model_class(model)
    problems = []
    for cell in cells:
        try:
            kind = KINDS.get(cell.task.kind)()
            kind.check_task(cell.task)  # the loop's own checks (parameters, supported prompts)
            # Memory is checked only when ablated: a memoryless model ignores the task's default.
            memory = kind.memory_required(cell.task) or (
                "memory" in cell.values and bool(cell.task.params.get("memory")))
            check_capabilities(cls, cell.task.kind, kind.prompt_kinds(cell.task), memory=memory)
        except UsageError as e:
            label = " ".join(f"{k}={v}" for k, v in cell.values.items())
            problems.append(f"[{label}] {e}")
    if problems:
        raise UsageError(f"{len(problems)} of {len(cells)} grid cells cannot run: " + "; ".join(problems))


def _manifest(task: TaskSpec, model: str, options: dict[str, Any], limit: int | None,
              data_root: Path | None) -> dict[str, Any]:
    return {"task": task.to_json(), "model": model, "model_options": {k: str(v) for k, v in options.items()},
            "limit": limit, "data_root": str(data_root) if data_root else None}


def _check_manifest(out: Path, manifest: dict[str, Any], grid: dict[str, list[str]]) -> None:
    """Refuse an ``out`` directory that holds another ablation; record this one's grid."""
    path = out / "ablation.json"
    if path.exists():
        from seem_bench.records import read_run_json

        old = read_run_json(path, "ablation manifest")
        if not isinstance(old.get("grid", {}), dict) or not all(
                isinstance(v, list) for v in old.get("grid", {}).values()):
            raise DataError(path, "ablation manifest 'grid' must map parameters to lists of values")
        if {k: old.get(k) for k in manifest} != manifest:
            raise UsageError(f"{out} holds an ablation of another configuration (task, model, options, "
                             "--limit or --data-root differ); choose another --out")
        merged = {k: list(dict.fromkeys([*old.get("grid", {}).get(k, []), *v])) for k, v in grid.items()}
        grid = {**old.get("grid", {}), **merged}
    atomic_write_json(path, {**manifest, "grid": grid})


def _finished(cell: Cell, model: str) -> dict[str, Any] | None:
    """The cell's summary if its run is complete and is this cell's run, else ``None``."""
    if not (cell.out_dir / "summary.json").exists():
        return None
    s = load_summary(cell.out_dir)
    counts = s.get("counts") or {}
    recorded = {k: v for k, v in s["task"].items() if k != "evaluators"}  # evaluators only read records
    if recorded != cell.task.identity_json() or s["model"]["name"] != model:
        raise UsageError(f"{cell.out_dir} holds a different run than grid cell {cell.values}; "
                         "remove it or choose another --out")
    return s if counts.get("evaluated") == counts.get("expected") else None


def _check_prompt_kind(cell: Cell, summary: dict[str, Any]) -> None:
    """A non-point first prompt must show in the records (an older loop silently clicked instead)."""
    if cell.task.first_prompt == "point":
        return
    for rec in load_records(cell.out_dir, fingerprint=summary.get("fingerprint")):
        rounds = rec.get("rounds") or []
        if rounds and set(rounds[0].get("prompt", {})) == {"click"}:
            raise UsageError(f"{cell.out_dir}: cell asked for first_prompt={cell.task.first_prompt} "
                             "but its records start with a click: this seem-bench's interactive loop "
                             "does not implement that prompt kind yet")
        return


def run_grid(task: TaskSpec, model: str, grid: dict[str, list[str]], out: Path, *,
             model_options: dict[str, Any] | None = None, limit: int | None = None,
             data_root: Path | None = None, progress: bool = True,
             log: Callable[[str], None] | None = None) -> list[tuple[Cell, dict[str, Any]]]:
    """Run (or reuse) every cell; returns ``(cell, summary)`` in grid order."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    options = dict(model_options or {})
    cells = expand(task, grid, out)
    preflight(cells, model)
    _check_manifest(out, _manifest(task, model, options, limit, data_root), grid)
    results = []
    for i, cell in enumerate(cells, 1):
        label = " ".join(f"{k}={v}" for k, v in cell.values.items())
        summary = _finished(cell, model)
        if summary is not None:
            log(f"[{i}/{len(cells)}] {label}: finished earlier, reusing {cell.out_dir}")
        else:
            log(f"[{i}/{len(cells)}] {label}: running into {cell.out_dir}")
            run(RunConfig(task=cell.task, model=model, model_options=options, data_root=data_root,
                          out_dir=cell.out_dir, limit=limit, progress=progress))
            summary = load_summary(cell.out_dir)
        _check_prompt_kind(cell, summary)
        results.append((cell, summary))
    return results
