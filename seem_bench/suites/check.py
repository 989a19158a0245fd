"""The CI gate over a whole suite: every cell of a baseline checked like ``seem-bench check``.

A baseline is another suite directory (every finished cell's summary) or a JSON/YAML file::

    {"suite": "seem-paper",                                  # optional; must match when given
     "cells": {"coco": {"metrics": {"PQ": 0.93}, "tolerances": {"PQ": 0.001}, "counts": {"ok": 8}},
               "davis17": {"J&F-Mean": 0.95}}}               # or a flat metric mapping

Each cell is compared with `seem_bench.report.check.check_run` (direction-aware, absolute
tolerances in summary units, fewer evaluated instances fail). A baseline cell the suite
directory has not finished fails as ``missing``; a finished cell the baseline lacks is listed
and passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from seem_bench.errors import DataError, UsageError
from seem_bench.report.check import (
    FAILING,
    Baseline,
    check_run,
    checked_numbers,
    load_baseline,
    read_baseline_file,
)
from seem_bench.suites.manifest import MANIFEST, load_suite_dir


@dataclass
class SuiteCheck:
    frame: pd.DataFrame  # cell, metric, better, baseline, run, diff, tol, status
    passed: bool
    unchecked: list[str]  # finished cells the baseline does not cover
    skipped: list[str]  # timing metrics not compared (no tolerance given)


def _numbers(obj: Any, where: str, what: str) -> dict[str, float]:
    if not isinstance(obj, dict) or any(isinstance(v, bool) or not isinstance(v, int | float)
                                        for v in obj.values()):
        raise DataError(where, f"{what} must be a mapping of metric name to number")
    # The `check` rules: finite metric values, finite tolerances >= 0.
    return checked_numbers(obj, where, what, finite=True, non_negative=what == "tolerances")


def load_suite_baseline(path: str | Path, suite: str) -> dict[str, Baseline]:
    """Per-cell baselines from a suite directory or a JSON/YAML file (see the module docstring)."""
    p = Path(path)
    if p.is_dir():
        if not (p / MANIFEST).is_file():
            raise DataError(p, f"no {MANIFEST}: a suite baseline is a suite directory or a JSON/YAML file")
        sd = load_suite_dir(p)
        if sd.suite.name != suite:
            raise UsageError(f"baseline {p} is suite {sd.suite.name!r}, not {suite!r}")
        return {cid: load_baseline(p / cid) for cid in sd.summaries}
    data = read_baseline_file(p)
    if not isinstance(data, dict) or not isinstance(data.get("cells"), dict) or not data["cells"]:
        raise DataError(p, "a suite baseline needs a non-empty 'cells' mapping of cell id -> metrics")
    if data.get("suite") not in (None, suite):
        raise UsageError(f"baseline {p} is suite {data['suite']!r}, not {suite!r}")
    out = {}
    for cid, entry in data["cells"].items():
        where = f"{p} (cell {cid})"
        if isinstance(entry, dict) and "metrics" in entry:
            out[str(cid)] = Baseline(_numbers(entry["metrics"], where, "metrics"),
                                     _numbers(entry.get("tolerances") or {}, where, "tolerances"),
                                     dict(entry.get("counts") or {}), where)
        else:
            out[str(cid)] = Baseline(_numbers(entry, where, "cell baseline"), {}, {}, where)
    return out


def check_suite(suite_dir: str | Path, baseline: str | Path, tols: dict[str, float] | None = None,
                default_tol: float = 1e-9, strict: bool = False) -> SuiteCheck:
    """Check every baseline cell of ``suite_dir``; ``tols`` apply to every cell having the metric."""
    sd = load_suite_dir(suite_dir)
    bases = load_suite_baseline(baseline, sd.suite.name)
    unknown = [c for c in bases if c not in sd.suite.ids()]
    if unknown:
        raise UsageError(f"baseline names cells {', '.join(unknown)}, which suite {sd.suite.name!r} does not have")
    tols = dict(tols or {})
    covered = {m for b in bases.values() for m in b.metrics}
    stray = sorted(set(tols) - covered)
    if stray:
        raise UsageError(f"--tol names {', '.join(stray)}, which no baseline cell has")
    parts, passed, skipped = [], True, []
    for cid, base in bases.items():
        if cid not in sd.summaries:
            status, _ = sd.status(cid)
            parts.append(pd.DataFrame([{"cell": cid, "metric": f"(cell {status})", "status": "missing"}]))
            passed = False
            continue
        mine = {m: v for m, v in tols.items() if m in base.metrics}
        res = check_run(sd.path / cid, base, mine, default_tol, strict)
        parts.append(res.frame.assign(cell=cid))
        passed = passed and res.passed
        skipped += [f"{cid}:{m}" for m in res.skipped]
    frame = pd.concat(parts, ignore_index=True)
    cols = ["cell", "metric", "better", "baseline", "run", "diff", "tol", "status"]
    frame = frame.reindex(columns=cols)
    bad = frame["status"].isin(FAILING)
    return SuiteCheck(frame, passed and not bad.any(), [c for c in sd.summaries if c not in bases], skipped)
