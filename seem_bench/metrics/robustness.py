"""Robustness statistics of sampled-click runs (``draws=K``) and ranking stability, from records.

Input: the interactive records of one run; draw 0 (no ``draw`` field, or 0) is the deterministic
protocol, draws ``1..K`` are sampled (see `seem_bench.loops.interactive_kind`). Per object and
draw, a *value* of each metric is taken: NoC@t (clicks to reach t, ``max_rounds`` if never),
NoF@t (1 if t is never reached, else 0) and IoU@k (IoU after k clicks, the last one carried
forward). A run-level number of one draw aggregates the values over objects: the mean for NoC
and mIoU, the sum for NoF, exactly as the deterministic metrics do
(`seem_bench.metrics.interactive`). Then, per metric:

- ``deterministic``: the run-level number of draw 0;
- ``mean``: the mean over the K draws of the run-level number;
- ``sd``: the spread: each object's standard deviation over its K draws (``ddof=1``; 0 for
  K = 1), averaged over objects (for NoF, the SD of the 0/1 value);
- ``p5``, ``p95``: 5th and 95th percentiles of the K run-level numbers (numpy's linear
  interpolation);
- ``worst``: each object's worst value over the K draws (largest NoC/NoF, smallest IoU),
  aggregated over objects: a worst-of-K figure.

Only objects whose every draw (0..K) has an ``ok`` record count; ``objects`` says how many.
Sums use ``math.fsum`` and objects are taken in key order, so the numbers do not depend on
workers, shards or record order.

Ranking stability (`ranking_stability`): for two runs on the same objects, how often model A's
run-level number beats B's over the draws (a tie counts one half), with a percentile bootstrap
interval over objects (paired: the same resampled objects for both models; seeded).

In a summary (the ``robustness`` evaluator, `RobustnessEvaluator`, under the metric contract of
`seem_bench.metrics.contract`) the statistics are flat metric keys ``<metric>/<stat>``
(``NoC@90/mean``, ``mIoU@5/worst``, ...; `STATS`) plus ``draws`` (K) and ``sampled_objects``
(N), each with its `MetricSpec`; `nested` turns them back into the block `robustness_stats`
returns. The per-object SD and worst-of-K need every draw of an object, so this evaluator, unlike
the others, is not fixed-size: it keeps one row of metric values per object and draw (about ten
floats; never the records), O(objects x draws) memory. Merging unions those rows and ``compute``
sorts the objects, so the numbers do not depend on record order, workers or shards.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from seem_bench.metrics.contract import Evaluator, MetricSpec
from seem_bench.metrics.interactive import DEFAULT_KS, noc, reached

THRESHOLDS = (0.85, 0.9)
#: The statistics given per metric, in table order (see the module docstring).
STATS = ("deterministic", "mean", "sd", "p5", "p95", "worst")


def metric_names(max_rounds: int, ks: Iterable[int] = DEFAULT_KS) -> list[str]:
    """The metrics robustness statistics are given for: NoC@85/90, NoF@85/90, mIoU@k."""
    names = [f"{p}@{round(t * 100)}" for p in ("NoC", "NoF") for t in THRESHOLDS]
    return names + [f"mIoU@{k}" for k in ks if 1 <= k <= max_rounds]


def object_values(ious: Sequence[float], max_rounds: int, compare: str = "ritm",
                  ks: Iterable[int] = DEFAULT_KS) -> dict[str, float]:
    """One object's value of every `metric_names` metric from its IoU-per-round list.

    >>> object_values([0.5, 0.86, 0.95], 3, ks=(1, 3))
    {'NoC@85': 2.0, 'NoC@90': 3.0, 'NoF@85': 0.0, 'NoF@90': 0.0, 'mIoU@1': 0.5, 'mIoU@3': 0.95}
    """
    row = [float(v) for v in ious][:max_rounds]
    out: dict[str, float] = {}
    for t in THRESHOLDS:
        out[f"NoC@{round(t * 100)}"] = float(noc(row, t, max_rounds, compare))
    for t in THRESHOLDS:
        out[f"NoF@{round(t * 100)}"] = 0.0 if reached(np.asarray(row), t, compare).any() else 1.0
    for k in ks:
        if 1 <= k <= max_rounds:
            out[f"mIoU@{k}"] = row[k - 1] if k <= len(row) else row[-1]
    return out


def lower_is_better(metric: str) -> bool:
    return metric.startswith(("NoC@", "NoF@"))


def _aggregate(metric: str, values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Run-level number(s) from per-object values along ``axis``: sum for NoF, mean otherwise."""
    moved = np.moveaxis(np.asarray(values, np.float64), axis, -1)
    sums = np.array([math.fsum(v) for v in moved.reshape(-1, moved.shape[-1])]).reshape(moved.shape[:-1])
    return sums if metric.startswith("NoF@") else sums / moved.shape[-1]


def object_of(record: Mapping[str, Any]) -> tuple[str, int]:
    """``(sample_id/instance_id, draw)`` of a record; an error record carries no ``draw``
    field, its key (``<sample>/<instance>#<draw>``) does."""
    obj, _, suffix = str(record["key"]).partition("#")
    return obj, int(record["draw"]) if "draw" in record else int(suffix or 0)


def _complete(by_obj: Mapping[str, Mapping[int, Sequence[float]]], draws: int, names: Sequence[str]
              ) -> tuple[list[str], dict[str, np.ndarray]]:
    """``(objects, {metric: (N, K + 1) values})`` of the objects with every draw 0..K, sorted;
    ``by_obj[object][draw]`` holds the values of ``names`` in order."""
    objects = sorted(o for o, ds in by_obj.items() if all(d in ds for d in range(draws + 1)))
    rows = np.array([[by_obj[o][d] for d in range(draws + 1)] for o in objects], np.float64)
    rows = rows.reshape(len(objects), draws + 1, len(names))
    return objects, {m: rows[:, :, i] for i, m in enumerate(names)}


def value_table(records: Iterable[dict[str, Any]], max_rounds: int, compare: str = "ritm",
                ks: Iterable[int] = DEFAULT_KS) -> tuple[list[str], dict[str, np.ndarray]]:
    """``(objects, {metric: (N, K + 1) values})``: draw 0 in column 0, complete objects only,
    objects (``sample_id/instance_id``) in sorted order."""
    ks = tuple(ks)
    names = metric_names(max_rounds, ks)
    by_obj: dict[str, dict[int, list[float]]] = {}
    draws = 0
    for r in records:
        obj, d = object_of(r)
        draws = max(draws, d)
        if r.get("status") == "ok" and r.get("ious"):
            vals = object_values(r["ious"], max_rounds, compare, ks)
            by_obj.setdefault(obj, {})[d] = [vals[m] for m in names]
    return _complete(by_obj, draws, names)


def robustness_stats(records: Iterable[dict[str, Any]], *, max_rounds: int, compare: str = "ritm",
                     ks: Iterable[int] = DEFAULT_KS) -> dict[str, Any]:
    """``{"draws": K, "objects": N, "metrics": {metric: {deterministic, mean, sd, p5, p95,
    worst}}}`` as the module docstring defines them (empty ``metrics`` when N or K is 0)."""
    return stats_of_table(*value_table(records, max_rounds, compare, ks))


def stats_of_table(objects: Sequence[str], table: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """`robustness_stats` of a `value_table`."""
    k = next(iter(table.values())).shape[1] - 1 if table else 0
    out: dict[str, Any] = {"draws": k, "objects": len(objects), "metrics": {}}
    if not objects or k == 0:
        return out
    for m, vals in table.items():
        sampled = vals[:, 1:]
        per_draw = _aggregate(m, sampled, axis=0)
        sd = sampled.std(axis=1, ddof=1) if k > 1 else np.zeros(len(objects))
        worst = sampled.max(axis=1) if lower_is_better(m) else sampled.min(axis=1)
        out["metrics"][m] = {
            "deterministic": float(_aggregate(m, vals[:, 0])),
            "mean": math.fsum(per_draw.tolist()) / k,
            "sd": math.fsum(sd.tolist()) / len(objects),
            "p5": float(np.percentile(per_draw, 5)),
            "p95": float(np.percentile(per_draw, 95)),
            "worst": float(_aggregate(m, worst)),
        }
    return out


def _beats(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    """1 where A is better, 0.5 on a tie, 0 where B is better (elementwise)."""
    better = a < b if lower_is_better(metric) else a > b
    return np.where(a == b, 0.5, better.astype(np.float64))


def ranking_stability(records_a: Iterable[dict[str, Any]], records_b: Iterable[dict[str, Any]], *,
                      metric: str = "NoC@90", max_rounds: int = 20, compare: str = "ritm",
                      n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> dict[str, Any]:
    """How often run A beats run B on ``metric`` across the sampled draws they share.

    Returns ``{"metric", "objects", "draws", "win_rate", "ci": [lo, hi], "deterministic"}``:
    ``win_rate`` is the fraction of draws 1..K in which A's run-level number is better (ties
    count 1/2), over the objects both runs completed; ``ci`` is the percentile bootstrap
    interval at ``level`` from ``n_boot`` resamplings of those objects (the same for A and B),
    seeded by ``seed``; ``deterministic`` is the same comparison for draw 0 (1, 0.5 or 0).
    ``win_rate`` is ``None`` when the runs share no object or no draw.
    """
    ks = tuple(int(m.split("@")[1]) for m in [metric] if m.startswith("mIoU@"))
    objs_a, tab_a = value_table(records_a, max_rounds, compare, ks)
    objs_b, tab_b = value_table(records_b, max_rounds, compare, ks)
    common = sorted(set(objs_a) & set(objs_b))
    k = min(tab_a[metric].shape[1], tab_b[metric].shape[1]) - 1
    out: dict[str, Any] = {"metric": metric, "objects": len(common), "draws": max(k, 0),
                           "win_rate": None, "ci": None, "deterministic": None}
    if not common or k < 1:
        return out
    ia = [objs_a.index(o) for o in common]
    ib = [objs_b.index(o) for o in common]
    a, b = tab_a[metric][ia, : k + 1], tab_b[metric][ib, : k + 1]
    agg_a, agg_b = _aggregate(metric, a), _aggregate(metric, b)  # (K + 1,) run-level numbers
    out["deterministic"] = float(_beats(agg_a[:1], agg_b[:1], metric)[0])
    out["win_rate"] = float(_beats(agg_a[1:], agg_b[1:], metric).mean())
    rng = np.random.default_rng(seed)
    idx = rng.integers(len(common), size=(n_boot, len(common)))
    sa, sb = a[idx][:, :, 1:], b[idx][:, :, 1:]  # (n_boot, N, K)
    if metric.startswith("NoF@"):
        boot_a, boot_b = sa.sum(axis=1), sb.sum(axis=1)
    else:
        boot_a, boot_b = sa.mean(axis=1), sb.mean(axis=1)
    rates = _beats(boot_a, boot_b, metric).mean(axis=1)
    tail = 100 * (1 - level) / 2
    out["ci"] = [float(np.percentile(rates, tail)), float(np.percentile(rates, 100 - tail))]
    return out


def nested(metrics: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `robustness_stats` block from a summary's flat metrics (``None`` without draws)."""
    if not isinstance(metrics.get("draws"), int | float) or "sampled_objects" not in metrics:
        return None
    out: dict[str, Any] = {"draws": int(metrics["draws"]), "objects": int(metrics["sampled_objects"]),
                           "metrics": {}}
    for key, value in metrics.items():
        base, sep, stat = str(key).rpartition("/")
        if sep and stat in STATS:
            out["metrics"].setdefault(base, {})[stat] = value
    return out


class RobustnessEvaluator(Evaluator):
    """Robustness statistics of a sampled-click run (``gamma`` set, ``draws = K``).

    Emits ``<metric>/<stat>`` for every `metric_names` metric and `STATS` statistic, plus
    ``draws`` and ``sampled_objects``; nothing for a deterministic run. State: per object, one
    row of metric values per draw (see the module docstring: not fixed-size, by necessity).
    """

    name = "robustness"

    def __init__(self, header: Mapping[str, Any]) -> None:
        super().__init__(header)
        from seem_bench.prompts.protocols import PROTOCOLS
        from seem_bench.prompts.sampling import sampling_from

        p = self.params
        self.max_rounds = int(p.get("max_rounds", 20))
        self.compare = str(p.get("compare", "ritm"))
        sampling = sampling_from(p)
        self.draws = 0 if sampling is None else sampling.draws
        proto = header.get("task", {}).get("protocol")
        report_ks = PROTOCOLS.get(proto).report_ks if proto in PROTOCOLS else ()
        self.ks = tuple(sorted({*DEFAULT_KS, *report_ks}))  # as the interactive evaluator's mIoU@k
        self.names = metric_names(self.max_rounds, self.ks)
        self.rows: dict[str, dict[int, tuple[float, ...]]] = {}

    def specs(self) -> list[MetricSpec]:
        return self.metric_specs(self.params, self.ks)

    @classmethod
    def metric_specs(cls, params: Mapping[str, Any], ks: Iterable[int] = DEFAULT_KS) -> list[MetricSpec]:
        from seem_bench.metrics.interactive import InteractiveEvaluator

        base = {s.name: s for s in InteractiveEvaluator.metric_specs(params, ks)}
        ref = "seem_bench.metrics.robustness (sampled clicks, draws 1..K)"
        out = [MetricSpec("draws", "value", True, 0, "sampled draws per object (K)"),
               MetricSpec("sampled_objects", "count", True, 0, "objects with every draw 0..K finished")]
        for m in metric_names(int(params.get("max_rounds", 20)), ks):
            b = base[m]
            counts = b.unit == "count"  # NoF: a mean or percentile of counts is fractional
            out += [MetricSpec(f"{m}/deterministic", b.unit, b.higher_is_better, b.precision,
                               f"{m} of draw 0 over the same objects ({ref})"),
                    MetricSpec(f"{m}/mean", b.unit, b.higher_is_better, 2 if counts else b.precision,
                               f"mean over the K draws of the run-level {m} ({ref})"),
                    MetricSpec(f"{m}/sd", b.unit, False, 2,
                               f"per-object SD of {m} over the draws, averaged over objects ({ref})"),
                    MetricSpec(f"{m}/p5", b.unit, b.higher_is_better, 2 if counts else b.precision,
                               f"5th percentile over the draws of the run-level {m} ({ref})"),
                    MetricSpec(f"{m}/p95", b.unit, b.higher_is_better, 2 if counts else b.precision,
                               f"95th percentile over the draws of the run-level {m} ({ref})"),
                    MetricSpec(f"{m}/worst", b.unit, b.higher_is_better, b.precision,
                               f"{m} of each object's worst draw (worst-of-K, {ref})")]
        return out

    def update(self, record: Mapping[str, Any]) -> None:
        if not self.draws or not record.get("ious"):
            return
        obj, d = object_of(record)
        vals = object_values(record["ious"], self.max_rounds, self.compare, self.ks)
        self.rows.setdefault(obj, {})[d] = tuple(vals[m] for m in self.names)

    def merge(self, other: Evaluator) -> RobustnessEvaluator:
        assert isinstance(other, RobustnessEvaluator)
        for obj, draws in other.rows.items():
            mine = self.rows.setdefault(obj, {})
            for d, row in draws.items():
                if d in mine and not np.array_equal(mine[d], row, equal_nan=True):
                    raise ValueError(f"robustness: two different records of {obj} draw {d}")
                mine[d] = row
        return self

    def compute(self) -> dict[str, float]:
        if not self.draws:
            return {}
        stats = stats_of_table(*_complete(self.rows, self.draws, self.names))
        out: dict[str, float] = {"draws": stats["draws"], "sampled_objects": stats["objects"]}
        for m, st in stats["metrics"].items():
            out.update({f"{m}/{k}": st[k] for k in STATS})
        return out
