"""Regression gate: compare a run's metrics with a baseline, direction-aware, within tolerances.

Like detectron2's ``verify_results``, but a change in the good direction passes (unless
``strict``): NoC, NoF and SPC must not grow, every other metric must not shrink, by more than
the metric's absolute tolerance (in summary units: IoU-like metrics are fractions, so
``mIoU@5=0.005`` allows half a point). Timing metrics (SPC) are compared only when given a
tolerance, as they depend on the machine.

A baseline is a run directory, a ``summary.json``, or a JSON/YAML file holding either
``{"metrics": {...}, "tolerances": {...}}`` or a flat ``{metric: value}`` mapping.

>>> res = compare({"NoC@90": 2.0, "1-IoU": 0.82}, {"NoC@90": 1.9, "1-IoU": 0.81}, tols={"NoC@90": 0.05})
>>> res.passed, list(res.frame["status"])
(False, ['worse', 'better'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from seem_bench.errors import DataError, UsageError
from seem_bench.marks import random_weights
from seem_bench.report.constants import DEFAULT_TOL  # noqa: F401 - re-exported
from seem_bench.report.metric_info import is_fraction, is_timing, lower_is_better
from seem_bench.report.runs import load_summary

#: Summary "metrics" entries that are counts or conventions, not scores: never compared.
NOT_METRICS = frozenset({"samples", "no_target_samples", "instances", "empty_union_iou", "draws",
                         "sampled_objects"})
FAILING = ("worse", "missing", "changed", "differs")


@dataclass
class Baseline:
    metrics: dict[str, float]
    tolerances: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    path: str = ""
    task: str | None = None  # task name and dataset it was measured on, when the file says
    dataset: str | None = None
    random_weights: bool = False


@dataclass
class CheckResult:
    """``frame``: one row per compared metric (metric, better, baseline, run, diff, tol, status)."""

    frame: pd.DataFrame
    passed: bool
    skipped: list[str] = field(default_factory=list)


def checked_numbers(obj: Any, where: str, what: str, finite: bool = False,
                    non_negative: bool = False) -> dict[str, float]:
    if not isinstance(obj, dict):
        raise DataError(where, f"{what} must be a mapping of metric name to number")
    bad = [k for k, v in obj.items() if isinstance(v, bool) or not isinstance(v, int | float)]
    if bad:
        raise DataError(where, f"{what}: non-numeric values for "
                               f"{', '.join(map(str, bad))} (a mapping of metric name to number is expected)")
    # A NaN tolerance makes every comparison pass; a NaN or infinite baseline value gates nothing.
    bad = [k for k, v in obj.items() if (finite or non_negative) and not math.isfinite(v)]
    if bad:
        raise UsageError(f"{where}: {what}: non-finite value for {', '.join(map(str, bad))} "
                         f"({obj[bad[0]]}); give a finite number")
    bad = [k for k, v in obj.items() if non_negative and v < 0]
    if bad:
        raise UsageError(f"{where}: {what}: negative value for {', '.join(map(str, bad))} "
                         f"({obj[bad[0]]}); tolerances are absolute, >= 0")
    return {str(k): float(v) for k, v in obj.items()}


def read_baseline_file(p: Path) -> Any:
    """The parsed content of a JSON or YAML (by suffix) baseline file; `DataError` naming it if
    it is missing or unreadable. Shared by `check` and `suite check`."""
    from seem_bench.data.io import read_json, read_text

    if not p.exists():
        raise DataError(p, "baseline file not found")
    if p.suffix not in (".yaml", ".yml"):
        return read_json(p, "baseline")
    try:
        return yaml.safe_load(read_text(p, "baseline"))
    except yaml.YAMLError as e:
        raise DataError(p, f"unreadable baseline: {' '.join(str(e).split())}") from None


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline (run directory, summary.json, or a JSON/YAML metrics file)."""
    p = Path(path)
    if p.is_dir() or p.name == "summary.json":
        s = load_summary(p)
        return _in_fractions(Baseline(checked_numbers(s["metrics"], s["_path"], "metrics"), {}, s.get("counts") or {},
                                      s["_path"], s["task"]["name"], s["dataset"]["name"], random_weights(s)))
    data = read_baseline_file(p)
    if isinstance(data, dict) and "metrics" in data:
        task, dataset = data.get("task"), data.get("dataset")
        return _in_fractions(Baseline(
            checked_numbers(data["metrics"], str(p), "metrics", finite=True),
            checked_numbers(data.get("tolerances") or {}, str(p), "tolerances", non_negative=True),
            data.get("counts") or {}, str(p),
            task.get("name") if isinstance(task, dict) else task,
            dataset.get("name") if isinstance(dataset, dict) else dataset, random_weights(data)))
    return _in_fractions(Baseline(checked_numbers(data, str(p), "baseline", finite=True), {}, {}, str(p)))


def _in_fractions(b: Baseline) -> Baseline:
    """Refuse a baseline that gives IoU-like metrics in percent (summaries hold fractions)."""
    for metric, value in b.metrics.items():
        if is_fraction(metric) and abs(value) > 1.0 + 1e-9:
            raise UsageError(f"{b.path}: baseline {metric} = {value:g} looks like a percentage; baselines hold "
                             f"fractions as summaries do ({value / 100:g})")
    return b


def parse_tols(items: list[str] | None) -> dict[str, float]:
    """``["NoC@90=0.05", ...]`` -> ``{"NoC@90": 0.05}`` (``UsageError`` on a malformed item)."""
    out: dict[str, float] = {}
    for item in items or []:
        metric, sep, raw = item.rpartition("=")
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not sep or not metric or not math.isfinite(value) or value < 0:
            raise UsageError(f"--tol expects METRIC=ABS with ABS >= 0, got {item!r}")
        out[metric.strip()] = value
    return out


def _exceeds(change: float, tol: float) -> bool:
    """``change > tol``, the boundary inclusive up to float noise (2.1 - 2.0 is within 0.1)."""
    return change > tol and not math.isclose(change, tol, rel_tol=1e-9, abs_tol=1e-12)


def compare(run: dict[str, float], baseline: dict[str, float], tols: dict[str, float] | None = None,
            default_tol: float = DEFAULT_TOL, strict: bool = False,
            summary: dict[str, Any] | None = None) -> CheckResult:
    """Compare every baseline metric with the run's; see the module docstring for the rule.

    Direction and timing come from the run ``summary``'s ``metric_specs`` when given, else from
    the specs the evaluators declare; a metric with neither is a usage error, never a guess.
    """
    tols = dict(tols or {})
    unknown = sorted(set(tols) - set(baseline))
    if unknown:
        raise UsageError(f"--tol names {', '.join(unknown)}, which the baseline does not have "
                         f"(it has: {', '.join(baseline)})")
    rows, skipped = [], []
    for metric, base in baseline.items():
        if metric in NOT_METRICS:
            continue
        if is_timing(metric, summary) and metric not in tols:
            skipped.append(metric)
            continue
        tol = tols.get(metric, default_tol)
        low = lower_is_better(metric, summary)
        value = run.get(metric)
        if value is None or math.isnan(value) != math.isnan(base):
            status, diff = "missing", float("nan")
        else:
            diff = 0.0 if math.isnan(base) else value - base
            worse = _exceeds(diff if low else -diff, tol)
            better = _exceeds(-diff if low else diff, tol)
            if worse:
                status = "worse"
            elif better:
                status = "changed" if strict else "better"
            else:
                status = "ok"
        rows.append({"metric": metric, "better": "lower" if low else "higher", "baseline": base,
                     "run": value, "diff": diff, "tol": tol, "status": status})
    if not rows:  # "OK" over nothing would let any run pass
        raise UsageError("the baseline has no metric to compare (it holds only "
                         + (", ".join(baseline) if baseline else "nothing")
                         + "); give it the run's metrics, e.g. NoC@90 or mIoU@5")
    frame = pd.DataFrame(rows, columns=["metric", "better", "baseline", "run", "diff", "tol", "status"])
    return CheckResult(frame, not frame["status"].isin(FAILING).any(), skipped)


def refuse_incomparable(summary: dict[str, Any], baseline: Baseline) -> None:
    """One-line `UsageError` when the run and the baseline cannot gate each other: a run or
    baseline made with random weights, or a baseline of another task or dataset."""
    if random_weights(summary):
        raise UsageError(f"{summary['_path']}: run made with random weights (--checkpoint random); "
                         "it checks the pipeline, not a model, and cannot be gated")
    if baseline.random_weights:
        raise UsageError(f"{baseline.path}: baseline made with random weights (--checkpoint random); "
                         "it cannot serve as a baseline")
    run_task, run_data = summary["task"]["name"], summary["dataset"]["name"]
    if (baseline.task not in (None, run_task)) or (baseline.dataset not in (None, run_data)):
        raise UsageError(f"{baseline.path}: baseline is task {baseline.task or '?'} on {baseline.dataset or '?'}, "
                         f"the run is task {run_task} on {run_data}; compare like with like")


def check_run(run_dir: str | Path, baseline: Baseline, tols: dict[str, float] | None = None,
              default_tol: float = DEFAULT_TOL, strict: bool = False) -> CheckResult:
    """`compare` a run directory with a baseline; also fails when fewer instances were evaluated."""
    summary = load_summary(run_dir)
    refuse_incomparable(summary, baseline)
    result = compare(summary["metrics"], baseline.metrics, {**baseline.tolerances, **(tols or {})},
                     default_tol, strict, summary=summary)
    ok_base, ok_run = baseline.counts.get("ok"), (summary.get("counts") or {}).get("ok")
    if ok_base is not None:
        # Fewer evaluated instances (errors, a shorter --limit) make the metrics incomparable.
        status = "ok" if ok_run == ok_base else "differs"
        row = {"metric": "instances ok", "better": "equal", "baseline": float(ok_base),
               "run": float(ok_run) if ok_run is not None else float("nan"),
               "diff": (ok_run or 0) - ok_base, "tol": 0.0, "status": status}
        result.frame = pd.concat([result.frame, pd.DataFrame([row])], ignore_index=True)
        result.passed = result.passed and status == "ok"
    return result
