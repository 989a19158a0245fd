"""Referring segmentation: cIoU / mIoU / prec@X, and GRES gIoU / cIoU / N-acc / T-acc.

Standard (LAVT / X-Decoder / SEEM evaluators, SPEC §3), per sample I = |p∩g|, U = |p∪g|:

- ``cIoU`` = 100 · ΣI / ΣU (cumulative IoU);
- ``mIoU`` = 100 · mean(I / U); a sample with U = 0 (empty GT and empty prediction) counts as
  ``empty_union_iou`` (default 1.0, `seem_bench.metrics.iou.EMPTY_UNION_IOU`; the reference
  evaluators divide by zero there) and the value used is returned under ``"empty_union_iou"``;
- ``prec@t`` = 100 · fraction of samples with I / U ≥ t, t ∈ {0.5, 0.6, 0.7, 0.8, 0.9},
  compared in float64.

GRES (ReLA ``ReferEvaluator``) adds no-target samples (empty GT) and a predicted no-target flag:

- no-target sample, flag predicted: TP, IoU 1, adds nothing to ΣI, ΣU;
- no-target sample, flag not predicted: FN, IoU 0, ΣU += U;
- target sample, flag predicted: FP, I is taken as 0 (ΣU += U);
- target sample, flag not predicted: TN, IoU = I / U (0 when U = 0);
- ``gIoU`` = 100 · mean IoU over all samples; ``cIoU`` as above; ``N-acc`` = 100 · TP/(TP+FN);
  ``T-acc`` = 100 · TN/(TN+FP); ``Pr@t`` over target samples only.

Deviations, stated: ReLA returns N-acc/T-acc as fractions and puts 0 for both when a split has no
no-target sample; seem-bench reports them ×100 (as the GRES paper's tables do) and gives NaN for
an accuracy whose denominator is 0. Every metric of an empty accumulator is NaN.

Example::

    >>> acc = ReferringAccumulator()
    >>> acc.update_counts(3, 4); acc.update_counts(1, 4)
    >>> r = acc.compute(); r["cIoU"], r["mIoU"], r["prec@0.7"]
    (50.0, 50.0, 50.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seem_bench.metrics.contract import Evaluator, ExactSum, MetricSpec
from seem_bench.metrics.iou import EMPTY_UNION_IOU

PREC_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)

__all__ = ["PREC_THRESHOLDS", "GresAccumulator", "GresEvaluator", "ReferringAccumulator",
           "ReferringEvaluator", "intersection_union"]


def intersection_union(pred: np.ndarray, gt: np.ndarray) -> tuple[int, int]:
    """``(|pred ∩ gt|, |pred ∪ gt|)`` of two bool (H, W) masks.

    >>> intersection_union(np.array([1, 1, 0], bool), np.array([0, 1, 1], bool))
    (1, 3)
    """
    pred = np.asarray(pred, bool)
    gt = np.asarray(gt, bool)
    if pred.shape != gt.shape:
        raise ValueError(f"mask shapes differ: {pred.shape} vs {gt.shape}")
    return int(np.count_nonzero(pred & gt)), int(np.count_nonzero(pred | gt))


def _prec_key(t: float) -> str:
    return f"prec@{t:.1f}"


@dataclass
class ReferringAccumulator:
    """Streaming cIoU / mIoU / prec@X with fixed-size state (ΣI, ΣU, an exact IoU sum and one
    count per threshold), so merging is exact and memory does not grow with the samples.

    ``compute()`` returns ``{"cIoU", "mIoU", "prec@0.5", ..., "prec@0.9", "samples",
    "empty_union_iou"}`` (×100); `fractions` the same metrics as fractions.
    """

    thresholds: Sequence[float] = PREC_THRESHOLDS
    empty_union_iou: float = EMPTY_UNION_IOU
    samples: int = 0
    sum_i: int = 0
    sum_u: int = 0
    iou_sum: ExactSum = field(default_factory=ExactSum)
    hits: dict[float, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for t in self.thresholds:
            self.hits.setdefault(t, 0)

    def update(self, pred: np.ndarray, gt: np.ndarray) -> None:
        """Add one sample from its predicted and GT bool (H, W) masks."""
        self.update_counts(*intersection_union(pred, gt))

    def update_counts(self, intersection: int, union: int) -> None:
        """Add one sample from its pixel counts."""
        if not 0 <= intersection <= union:
            raise ValueError(f"need 0 <= intersection <= union, got {intersection}, {union}")
        i, u = int(intersection), int(union)
        iou = self.empty_union_iou if u == 0 else i / u
        self.samples += 1
        self.sum_i += i
        self.sum_u += u
        self.iou_sum.add(iou)
        for t in self.thresholds:
            self.hits[t] += int(iou >= t)

    def merge(self, other: ReferringAccumulator) -> ReferringAccumulator:
        self.samples += other.samples
        self.sum_i += other.sum_i
        self.sum_u += other.sum_u
        self.iou_sum.merge(other.iou_sum)
        for t in self.thresholds:
            self.hits[t] += other.hits.get(t, 0)
        return self

    def compute(self) -> dict[str, Any]:
        n = self.samples
        out: dict[str, Any] = {"samples": n, "empty_union_iou": self.empty_union_iou}
        if n == 0:
            out.update({"cIoU": float("nan"), "mIoU": float("nan")})
            out.update({_prec_key(t): float("nan") for t in self.thresholds})
            return out
        out["cIoU"] = 100.0 * self.sum_i / self.sum_u if self.sum_u else float("nan")
        out["mIoU"] = 100.0 * (self.iou_sum.value() / n)
        for t in self.thresholds:
            out[_prec_key(t)] = 100.0 * float(self.hits[t]) / n
        return out

    def fractions(self) -> dict[str, float]:
        """cIoU, mIoU and prec@X as fractions in [0, 1] (the summary unit); NaN when empty."""
        n, nan = self.samples, float("nan")
        out = {"cIoU": self.sum_i / self.sum_u if self.sum_u else nan,
               "mIoU": self.iou_sum.value() / n if n else nan}
        out.update({_prec_key(t): self.hits[t] / n if n else nan for t in self.thresholds})
        return out


@dataclass
class GresAccumulator:
    """Streaming GRES metrics (generalized referring: some expressions have no target).

    Fixed-size state: ΣI, ΣU, an exact IoU sum over all samples, per-threshold hits over target
    samples, and the TP/FN/FP/TN counts of the no-target decision.

    ``compute()`` returns ``{"gIoU", "cIoU", "N-acc", "T-acc", "Pr@0.5", ..., "Pr@0.9",
    "samples", "no_target_samples"}`` (×100).

    >>> acc = GresAccumulator()
    >>> acc.update_counts(0, 0, gt_no_target=True, pred_no_target=True)
    >>> acc.update_counts(2, 4, gt_no_target=False, pred_no_target=False)
    >>> r = acc.compute(); r["gIoU"], r["cIoU"], r["N-acc"], r["T-acc"]
    (75.0, 50.0, 100.0, 100.0)
    """

    thresholds: Sequence[float] = PREC_THRESHOLDS
    samples: int = 0
    targets: int = 0
    sum_i: int = 0
    sum_u: int = 0
    iou_sum: ExactSum = field(default_factory=ExactSum)
    hits: dict[float, int] = field(default_factory=dict)
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def __post_init__(self) -> None:
        for t in self.thresholds:
            self.hits.setdefault(t, 0)

    def update(self, pred: np.ndarray, gt: np.ndarray, pred_no_target: bool | None = None,
               gt_no_target: bool | None = None) -> None:
        """Add one sample.

        Args:
            pred, gt: bool (H, W) masks.
            pred_no_target: the model's no-target decision (default: ``pred`` is empty).
            gt_no_target: the dataset's flag (default: ``gt`` is empty).
        """
        i, u = intersection_union(pred, gt)
        if pred_no_target is None:
            pred_no_target = not np.any(pred)
        if gt_no_target is None:
            gt_no_target = not np.any(gt)
        self.update_counts(i, u, bool(gt_no_target), bool(pred_no_target))

    def update_counts(self, intersection: int, union: int, gt_no_target: bool,
                      pred_no_target: bool) -> None:
        """Add one sample from its counts and no-target flags (ReLA's case analysis)."""
        i, u = int(intersection), int(union)
        if gt_no_target:
            if pred_no_target:
                self.tp += 1
                iou, i, u = 1.0, 0, 0
            else:
                self.fn += 1
                iou, i = 0.0, 0
        else:
            if pred_no_target:
                self.fp += 1
                i = 0
            else:
                self.tn += 1
            iou = 0.0 if u == 0 else i / u
            self.targets += 1
            for t in self.thresholds:
                self.hits[t] += int(iou >= t)
        self.samples += 1
        self.iou_sum.add(iou)
        self.sum_i += i
        self.sum_u += u

    def merge(self, other: GresAccumulator) -> GresAccumulator:
        self.samples += other.samples
        self.targets += other.targets
        self.sum_i += other.sum_i
        self.sum_u += other.sum_u
        self.iou_sum.merge(other.iou_sum)
        for t in self.thresholds:
            self.hits[t] += other.hits.get(t, 0)
        self.tp += other.tp
        self.fn += other.fn
        self.fp += other.fp
        self.tn += other.tn
        return self

    def compute(self) -> dict[str, Any]:
        n, n_t = self.samples, self.targets
        nan = float("nan")
        out: dict[str, Any] = {
            "gIoU": 100.0 * (self.iou_sum.value() / n) if n else nan,
            "cIoU": 100.0 * self.sum_i / self.sum_u if self.sum_u else nan,
            "N-acc": 100.0 * self.tp / (self.tp + self.fn) if self.tp + self.fn else nan,
            "T-acc": 100.0 * self.tn / (self.tn + self.fp) if self.tn + self.fp else nan,
            "samples": n,
            "no_target_samples": n - n_t,
        }
        for t in self.thresholds:
            out[f"Pr@{t:.1f}"] = 100.0 * float(self.hits[t]) / n_t if n_t else nan
        return out


_LAVT = "LAVT / X-Decoder / SEEM referring evaluators (SPEC 3)"


class ReferringEvaluator(Evaluator):
    """cIoU / mIoU / prec@X (fractions) of records holding ``intersection`` and ``union``.

    Also ``samples`` (records evaluated) and ``empty_union_iou`` (the convention used, also in
    the header's ``conventions``), which summaries have always carried.
    """

    name = "referring"

    def __init__(self, header: Mapping[str, Any]) -> None:
        super().__init__(header)
        self.acc = ReferringAccumulator()

    @classmethod
    def metric_specs(cls, params: Mapping[str, Any]) -> list[MetricSpec]:
        return [MetricSpec("cIoU", "fraction", True, 1, f"{_LAVT}: ΣI / ΣU"),
                MetricSpec("mIoU", "fraction", True, 1, f"{_LAVT}: mean I / U, empty union = "
                                                        f"{EMPTY_UNION_IOU}"),
                *(MetricSpec(_prec_key(t), "fraction", True, 1, f"{_LAVT}: share with IoU >= {t}")
                  for t in PREC_THRESHOLDS),
                MetricSpec("samples", "count", True, 0, "records evaluated"),
                MetricSpec("empty_union_iou", "value", True, 1,
                           "IoU given to an empty union (a convention, not a score)")]

    def update(self, record: Mapping[str, Any]) -> None:
        self.acc.update_counts(record["intersection"], record["union"])

    def merge(self, other: Evaluator) -> ReferringEvaluator:
        assert isinstance(other, ReferringEvaluator)
        self.acc.merge(other.acc)
        return self

    def compute(self) -> dict[str, float]:
        return {"samples": self.acc.samples, "empty_union_iou": self.acc.empty_union_iou,
                **self.acc.fractions()}


class GresEvaluator(Evaluator):
    """GRES gIoU / cIoU / N-acc / T-acc / Pr@X (fractions) of records with ``intersection``,
    ``union``, ``gt_no_target`` and ``pred_no_target`` (ReLA ``ReferEvaluator``)."""

    name = "gres"

    def __init__(self, header: Mapping[str, Any]) -> None:
        super().__init__(header)
        self.acc = GresAccumulator()

    @classmethod
    def metric_specs(cls, params: Mapping[str, Any]) -> list[MetricSpec]:
        rela = "ReLA ReferEvaluator (GRES)"
        return [MetricSpec(k, "fraction", True, 1, rela)
                for k in ("gIoU", "cIoU", "N-acc", "T-acc", *(f"Pr@{t:.1f}" for t in PREC_THRESHOLDS))]

    def update(self, record: Mapping[str, Any]) -> None:
        self.acc.update_counts(record["intersection"], record["union"], bool(record["gt_no_target"]),
                               bool(record["pred_no_target"]))

    def merge(self, other: Evaluator) -> GresEvaluator:
        assert isinstance(other, GresEvaluator)
        self.acc.merge(other.acc)
        return self

    def compute(self) -> dict[str, float]:
        return {k: v / 100 for k, v in self.acc.compute().items() if k not in ("samples", "no_target_samples")}
