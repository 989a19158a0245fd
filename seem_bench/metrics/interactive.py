"""Interactive segmentation metrics from per-instance IoU-per-round lists.

Definitions (SPEC §3; RITM ``isegm/inference/utils.py::compute_noc_metric``):

- ``NoC@t``: the first round whose IoU reaches ``t``; ``max_rounds`` if none does.
- ``NoF@t``: instances that never reach ``t`` within ``max_rounds``.
- ``NoF-legacy@t``: RITM's printed "NoF" = instances whose NoC equals ``max_rounds``; unlike
  ``NoF@t`` it also counts an instance that reaches ``t`` exactly on the last round.
- ``1-IoU``: mean IoU after the first round; ``mIoU@k``: mean IoU after round ``k``. An instance
  whose run stopped early (``iou_target`` reached) carries its last IoU forward.
- ``SPC``: model seconds per click, summed over all instances and rounds.

Means and sums use exact summation (``math.fsum``), so the numbers do not depend on the order of
``update`` and ``merge`` calls: one worker and N workers give bit-identical results.

Threshold comparison rule. RITM stores IoUs as float32 and compares them with the float64
thresholds of ``np.arange(0.8, 1.0, 0.05)`` (0.8500000000000001, 0.9000000000000001) under
numpy-1 casting, which performs the compare in float32. ``compare="ritm"`` (default) reproduces
that: ``float32(iou) >= float32(t)``, so an IoU of exactly 0.85 counts as reaching 85 %.
``compare="exact"`` compares float64 IoU with the decimal threshold ``t``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seem_bench.metrics.contract import Evaluator, ExactSum, MetricSpec

DEFAULT_THRESHOLDS = (0.5, 0.8, 0.85, 0.9)
DEFAULT_KS = (1, 3, 5, 10, 20)


def reached(ious: np.ndarray, thr: float, compare: str = "ritm") -> np.ndarray:
    """Boolean array: which rounds' IoU reach ``thr`` under the comparison rule."""
    if compare == "ritm":
        return np.asarray(ious, np.float32) >= np.float32(thr)
    if compare == "exact":
        return np.asarray(ious, np.float64) >= thr
    raise ValueError(f"compare must be 'ritm' or 'exact', not {compare!r}")


def noc(ious: Sequence[float], thr: float, max_rounds: int = 20, compare: str = "ritm") -> int:
    """Number of clicks to reach ``thr``; ``max_rounds`` if never reached.

    >>> noc([0.5, 0.86, 0.95], 0.85)
    2
    >>> noc([0.5, 0.6], 0.85, max_rounds=20)
    20
    """
    hit = reached(np.asarray(ious)[:max_rounds], thr, compare)
    return int(np.argmax(hit)) + 1 if hit.any() else max_rounds


def _key(thr: float) -> str:
    return f"{round(thr * 100):d}"


@dataclass
class InteractiveAccumulator:
    """Streaming interactive metrics: ``update`` per instance, ``merge`` across workers.

    Fixed-size state (integer NoC sums and NoF counts per threshold, one `ExactSum` of IoUs per
    round, an `ExactSum` of seconds), so ``compute`` is exact whatever the order of updates and
    merges, and memory does not grow with the number of instances.

    >>> acc = InteractiveAccumulator(max_rounds=3)
    >>> acc.update([0.5, 0.9, 0.95], model_seconds=0.3)
    >>> acc.update([0.95], model_seconds=0.1)
    >>> acc.compute(ks=(1, 3))["NoC@90"]
    1.5
    """

    max_rounds: int = 20
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    compare: str = "ritm"
    instances: int = 0
    clicks: int = 0
    noc_sum: dict[float, int] = field(default_factory=dict)
    never: dict[float, int] = field(default_factory=dict)
    legacy: dict[float, int] = field(default_factory=dict)
    round_sums: list[ExactSum] = field(default_factory=list)
    seconds: ExactSum = field(default_factory=ExactSum)

    def __post_init__(self) -> None:
        for thr in self.thresholds:
            self.noc_sum.setdefault(thr, 0)
            self.never.setdefault(thr, 0)
            self.legacy.setdefault(thr, 0)
        self.round_sums = self.round_sums or [ExactSum() for _ in range(self.max_rounds)]

    @property
    def model_seconds(self) -> float:
        """Total model seconds over all instances (exact sum)."""
        return self.seconds.value()

    def _cmp_thresholds(self) -> list[tuple[float, float]]:
        """``(threshold, value compared against)`` under the comparison rule."""
        if self.compare == "ritm":
            return [(thr, float(np.float32(thr))) for thr in self.thresholds]
        if self.compare == "exact":
            return [(thr, thr) for thr in self.thresholds]
        raise ValueError(f"compare must be 'ritm' or 'exact', not {self.compare!r}")

    def update(self, ious: Sequence[float], model_seconds: float = 0.0, clicks: int | None = None) -> None:
        """Add one instance: its IoU after each round, its model seconds and the number of
        decoded rounds (default ``len(ious)``; SEEM's repeated rounds are not decoded)."""
        row = [float(v) for v in ious][: self.max_rounds]
        # `reached` in plain Python (this runs once per record): under "ritm" both sides are
        # float32 values, which compare in float64 exactly as they do in float32.
        cmp_row = np.asarray(row, np.float32).tolist() if self.compare == "ritm" else row
        for thr, t in self._cmp_thresholds():
            first = next((i for i, v in enumerate(cmp_row) if v >= t), None)
            n = self.max_rounds if first is None else first + 1
            self.noc_sum[thr] += n
            self.never[thr] += int(first is None)
            self.legacy[thr] += int(n == self.max_rounds)
        # The last IoU is carried forward after an early stop (an empty row counts as 0).
        last = row[-1] if row else 0.0
        for k, total in enumerate(self.round_sums):
            total.add(row[k] if k < len(row) else last)
        self.instances += 1
        self.seconds.add(float(model_seconds))
        self.clicks += len(ious) if clicks is None else int(clicks)

    def merge(self, other: InteractiveAccumulator) -> InteractiveAccumulator:
        """Add another accumulator's instances; returns ``self``."""
        if (other.max_rounds, tuple(other.thresholds), other.compare) != (
                self.max_rounds, tuple(self.thresholds), self.compare):
            raise ValueError("cannot merge interactive accumulators with different settings")
        for thr in self.thresholds:
            self.noc_sum[thr] += other.noc_sum[thr]
            self.never[thr] += other.never[thr]
            self.legacy[thr] += other.legacy[thr]
        for mine, theirs in zip(self.round_sums, other.round_sums, strict=True):
            mine.merge(theirs)
        self.instances += other.instances
        self.seconds.merge(other.seconds)
        self.clicks += other.clicks
        return self

    def compute(self, ks: Iterable[int] = DEFAULT_KS) -> dict[str, float]:
        n = self.instances
        out: dict[str, float] = {"instances": n}
        if n == 0:
            return out
        for thr in self.thresholds:
            out[f"NoC@{_key(thr)}"] = self.noc_sum[thr] / n
            out[f"NoF@{_key(thr)}"] = self.never[thr]
            out[f"NoF-legacy@{_key(thr)}"] = self.legacy[thr]
        out["1-IoU"] = self.round_sums[0].value() / n
        for k in ks:
            if 1 <= k <= self.max_rounds:
                out[f"mIoU@{k}"] = self.round_sums[k - 1].value() / n
        out["SPC"] = self.model_seconds / self.clicks if self.clicks else 0.0
        return out


_RITM = "RITM isegm/inference/utils.py compute_noc_metric"


class InteractiveEvaluator(Evaluator):
    """NoC / NoF / NoF-legacy / 1-IoU / mIoU@k / SPC of interactive records (``ious``, ``rounds``).

    Parameters from the task: ``max_rounds`` and ``compare``. Decoded clicks exclude SEEM's
    repeated rounds (``prompt = {"repeat": ...}``), which cost no model time. Records of sampled
    draws (``draw > 0``, `seem_bench.metrics.robustness`) are skipped: these metrics are draw 0's,
    the deterministic protocol's.
    """

    name = "interactive"

    def __init__(self, header: Mapping[str, Any]) -> None:
        super().__init__(header)
        p = self.params
        self.acc = InteractiveAccumulator(max_rounds=int(p.get("max_rounds", 20)),
                                          compare=str(p.get("compare", "ritm")))
        # mIoU@k at the usual rounds plus those the protocol's paper reports (SAM: 1, 2, 3, 5, 9).
        from seem_bench.prompts.protocols import PROTOCOLS

        proto = header.get("task", {}).get("protocol")
        report_ks = PROTOCOLS.get(proto).report_ks if proto in PROTOCOLS else ()
        self.ks = tuple(sorted({*DEFAULT_KS, *report_ks}))

    def specs(self) -> list[MetricSpec]:
        return self.metric_specs(self.params, self.ks)

    @classmethod
    def metric_specs(cls, params: Mapping[str, Any], ks: Iterable[int] = range(1, 21)) -> list[MetricSpec]:
        # ``ks``: the rounds with an mIoU@k; a run's own come from its protocol (see ``__init__``).
        max_rounds = int(params.get("max_rounds", 20))
        out = []
        for thr in DEFAULT_THRESHOLDS:
            out += [MetricSpec(f"NoC@{_key(thr)}", "clicks", False, 2, _RITM),
                    MetricSpec(f"NoF@{_key(thr)}", "count", False, 0,
                               "instances never reaching the threshold within max_rounds (SPEC 3)"),
                    MetricSpec(f"NoF-legacy@{_key(thr)}", "count", False, 0, f"{_RITM} (noc == max_rounds)")]
        # RITM prints IoU curves x100 with two decimals.
        out.append(MetricSpec("1-IoU", "fraction", True, 2, "mean IoU after the first click"))
        out += [MetricSpec(f"mIoU@{k}", "fraction", True, 2, "mean IoU after k clicks (RITM/SimpleClick)")
                for k in ks if k <= max_rounds]
        out.append(MetricSpec("SPC", "seconds", False, 4, "model decode seconds per click (SEEM paper)",
                              timing=True))
        return out

    def update(self, record: Mapping[str, Any]) -> None:
        if record.get("draw"):  # sampled clicks: draw 0 is the protocol; draws 1..K are robustness's
            return
        decoded = [rd for rd in record["rounds"] if "repeat" not in rd["prompt"]]
        self.acc.update(record["ious"], sum(rd["model_s"] for rd in decoded), clicks=len(decoded))

    def merge(self, other: Evaluator) -> InteractiveEvaluator:
        assert isinstance(other, InteractiveEvaluator)
        self.acc.merge(other.acc)
        return self

    def compute(self) -> dict[str, float]:
        res = self.acc.compute(self.ks)
        res.pop("instances")
        return res

    def timings(self) -> dict[str, float]:
        return {"clicks": self.acc.clicks}
