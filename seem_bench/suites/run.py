"""Run a suite: check every cell first, then run the cells one after another, resumable cell by cell.

Order of work, so that nothing runs unless everything can:

1. capabilities: every selected cell's task kind and prompts against the model class (no data read);
2. data: every cell's dataset index is loaded from ``--data-root`` (one line per missing dataset,
   with the ``seem-bench data check`` command to run). Without ``--data-root`` the suite runs on
   the demo data: cells whose dataset the demo does not hold are skipped, with the reason;
3. the cells, each in ``OUT/<cell id>/`` through the runner. A cell whose summary covers every
   expected instance is reused; an interrupted one (kill -9 included) is resumed by the runner,
   which skips the objects already on disk.

``OUT/suite.json`` pins the configuration (suite definition, model, options, data, ``--limit``),
so a rerun with anything else cannot mix incomparable cells into one table, and records which
cells ran, were skipped, and why: ``suite table`` and ``suite check`` read only it and the cells'
summaries.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seem_bench.ablation import Cell, _finished
from seem_bench.errors import SeemBenchError, UsageError
from seem_bench.io_utils import atomic_write_json
from seem_bench.report.runs import load_summary
from seem_bench.suites.definition import Suite, SuiteCell
from seem_bench.suites.manifest import MANIFEST, read_manifest

Log = Callable[[str], None]


@dataclass
class Plan:
    """What `run_suite` will do: the cells to run and the cells skipped with their reason."""

    run: list[SuiteCell]
    skipped: dict[str, str]
    data_root: Path
    demo: bool


def check_capabilities(cells: list[SuiteCell], model: str) -> list[str]:
    """One problem line per cell the model cannot run (empty when all can)."""
    from seem_bench.adapters.base import check_capabilities as check
    from seem_bench.adapters.registry import model_class
    from seem_bench.loops.base import KINDS

    cls = model_class(model)
    problems = []
    for cell in cells:
        try:
            kind = KINDS.get(cell.task.kind)()
            kind.check_task(cell.task)
            # As `ablate`: the memory switch is the task's default here, which a memoryless model
            # simply does not use; only a kind that needs memory makes it a requirement.
            check(cls, cell.task.kind, kind.prompt_kinds(cell.task), memory=kind.memory_required(cell.task))
        except UsageError as e:
            problems.append(f"cell {cell.id} ({cell.describe()}): {e}")
    return problems


def _data_problem(cell: SuiteCell, data_root: Path) -> str | None:
    """Why the cell's dataset cannot be read under ``data_root``, or ``None`` when it can."""
    from seem_bench.data.registry import load_dataset, resolve_root

    root = resolve_root(cell.task.dataset, data_root)
    try:
        load_dataset(cell.task.dataset, root, cell.task.split)
    except SeemBenchError as e:
        return str(e)
    except OSError as e:  # a loader meeting an unreadable folder
        return f"{root}: {e}"
    return None


def _missing_line(name: str, split: str | None, cell_ids: list[str], data_root: Path, problem: str) -> str:
    """One line per missing dataset: which cells need it, why it failed, the `data check` to run."""
    from seem_bench.data.registry import DEFAULT_SUBDIR, resolve_root

    root = resolve_root(name, data_root)
    if root == data_root:  # not found under its usual folder name: say where a suite looks for it
        root = data_root / DEFAULT_SUBDIR.get(name, name)
    at = f" --split {split}" if split else ""
    return (f"dataset {name}{' ' + split if split else ''} (cells {', '.join(cell_ids)}): {problem}; "
            f"prepare it in {root} (layout: `seem-bench data list`), then run "
            f"`seem-bench data check {name} --data-root {root}{at}`")


def plan(suite: Suite, model: str, cells: list[SuiteCell], data_root: Path | None,
         log: Log | None = None) -> Plan:
    """Check capabilities and data for ``cells``; raise listing every problem, or return the plan."""
    log = log or _stderr
    problems = check_capabilities(cells, model)
    if problems:
        for line in problems:
            log(f"seem-bench: {line}")
        raise UsageError(f"{len(problems)} of {len(cells)} cells of suite {suite.name!r} cannot run with "
                         f"model {model!r} (listed above); leave them out with --cells")
    skipped: dict[str, str] = {}
    demo = data_root is None
    if demo:
        from seem_bench.data.demo import DEMO_CONTENTS, ensure_demo

        data_root = ensure_demo()
        for cell in cells:
            if cell.task.dataset not in DEMO_CONTENTS:
                skipped[cell.id] = f"the demo data has no {cell.task.dataset}"
            elif DEMO_CONTENTS[cell.task.dataset][0] not in (None, cell.task.split) and cell.task.split is not None:
                # a split the demo does not generate (SA-Co/Gold subsets: the demo has "demo" only)
                skipped[cell.id] = f"the demo data has no {cell.task.dataset} {cell.task.split}"
    todo = [c for c in cells if c.id not in skipped]
    missing: dict[tuple[str, str | None], list[str]] = {}
    found: dict[tuple[str, str | None], str | None] = {}  # each dataset split is loaded once
    for cell in todo:
        key = (cell.task.dataset, cell.task.split)
        if key not in found:
            found[key] = _data_problem(cell, data_root)
        if found[key] is not None:
            missing.setdefault(key, []).append(cell.id)
    if missing:
        for (name, split), ids in missing.items():
            log(f"seem-bench: {_missing_line(name, split, ids, Path(data_root), str(found[(name, split)]))}")
        raise SeemBenchError(f"{len(missing)} dataset(s) needed by {sum(map(len, missing.values()))} of "
                             f"{len(todo)} cells of suite {suite.name!r} are missing under {data_root} "
                             "(listed above); prepare them or leave the cells out with --cells")
    return Plan(todo, skipped, Path(data_root), demo)


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr)


def _check_manifest(out: Path, config: dict[str, Any], plan_: Plan) -> dict[str, Any]:
    """Refuse an ``out`` holding another configuration; merge this run's cell statuses into it."""
    old = read_manifest(out) if (out / MANIFEST).exists() else None
    if old is not None and {k: old.get(k) for k in config} != config:
        changed = [k for k in config if old.get(k) != config[k]]
        raise UsageError(f"{out} holds suite results of another configuration ({', '.join(changed)} "
                         "differ); choose another --out")
    cells = dict((old or {}).get("cells") or {})
    for cell in plan_.run:
        cells[cell.id] = {"status": "selected"}
    for cid, reason in plan_.skipped.items():
        cells[cid] = {"status": "skipped", "reason": reason}
    manifest = {**config, "cells": cells}
    atomic_write_json(out / MANIFEST, manifest)
    return manifest


def run_suite(suite: Suite, model: str, out: Path, *, cell_ids: list[str] | None = None,
              data_root: Path | None = None, model_options: dict[str, Any] | None = None,
              limit: int | None = None, progress: bool = True, log: Log | None = None
              ) -> dict[str, Any]:
    """Plan, then run (or reuse) every selected cell; returns the manifest (see `read_manifest`)."""
    from seem_bench.runner import RunConfig, run

    log = log or _stderr
    options = dict(model_options or {})
    cells = suite.select(cell_ids)
    p = plan(suite, model, cells, data_root, log)
    config = {"suite": suite.name, "definition": suite.raw, "model": model,
              "model_options": {k: str(v) for k, v in options.items()}, "limit": limit,
              "data_root": None if p.demo else str(Path(p.data_root).resolve()), "demo": p.demo}
    out.mkdir(parents=True, exist_ok=True)
    manifest = _check_manifest(out, config, p)
    for cid, reason in p.skipped.items():
        log(f"seem-bench: skipping cell {cid} ({suite.cell(cid).describe()}): {reason}")
    for i, cell in enumerate(p.run, 1):
        c = Cell({"cell": cell.id}, cell.task, out / cell.id)
        label = f"[{i}/{len(p.run)}] cell {cell.id} ({cell.describe()})"
        if _finished(c, model) is not None:
            log(f"{label}: finished earlier, reusing {c.out_dir}")
        else:
            log(f"{label}: running into {c.out_dir}")
            run(RunConfig(task=cell.task, model=model, model_options=options, data_root=p.data_root,
                          out_dir=c.out_dir, limit=limit, progress=progress))
            load_summary(c.out_dir)  # a cell is done only once its summary reads back
        manifest["cells"][cell.id] = {"status": "done"}
        atomic_write_json(out / MANIFEST, manifest)
    return manifest
