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

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seem_bench.metrics.iou import EMPTY_UNION_IOU

PREC_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)

__all__ = ["PREC_THRESHOLDS", "GresAccumulator", "ReferringAccumulator", "intersection_union"]


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
    """Streaming cIoU / mIoU / prec@X: keeps (I, U) per sample, so merging is exact.

    ``compute()`` returns ``{"cIoU", "mIoU", "prec@0.5", ..., "prec@0.9", "samples",
    "empty_union_iou"}`` (×100).
    """

    thresholds: Sequence[float] = PREC_THRESHOLDS
    empty_union_iou: float = EMPTY_UNION_IOU
    inter: list[int] = field(default_factory=list)
    union: list[int] = field(default_factory=list)

    def update(self, pred: np.ndarray, gt: np.ndarray) -> None:
        """Add one sample from its predicted and GT bool (H, W) masks."""
        self.update_counts(*intersection_union(pred, gt))

    def update_counts(self, intersection: int, union: int) -> None:
        """Add one sample from its pixel counts."""
        if not 0 <= intersection <= union:
            raise ValueError(f"need 0 <= intersection <= union, got {intersection}, {union}")
        self.inter.append(int(intersection))
        self.union.append(int(union))

    def merge(self, other: ReferringAccumulator) -> ReferringAccumulator:
        self.inter.extend(other.inter)
        self.union.extend(other.union)
        return self

    def ious(self) -> np.ndarray:
        """Per-sample IoU, float64 (``empty_union_iou`` where U = 0)."""
        i = np.asarray(self.inter, np.float64)
        u = np.asarray(self.union, np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(u == 0, self.empty_union_iou, i / np.where(u == 0, 1, u))

    def compute(self) -> dict[str, Any]:
        n = len(self.inter)
        out: dict[str, Any] = {"samples": n, "empty_union_iou": self.empty_union_iou}
        if n == 0:
            out.update({"cIoU": float("nan"), "mIoU": float("nan")})
            out.update({_prec_key(t): float("nan") for t in self.thresholds})
            return out
        iou = self.ious()
        total_u = sum(self.union)
        out["cIoU"] = 100.0 * sum(self.inter) / total_u if total_u else float("nan")
        out["mIoU"] = 100.0 * float(iou.mean())
        for t in self.thresholds:
            out[_prec_key(t)] = 100.0 * float(np.count_nonzero(iou >= t)) / n
        return out


@dataclass
class GresAccumulator:
    """Streaming GRES metrics (generalized referring: some expressions have no target).

    ``compute()`` returns ``{"gIoU", "cIoU", "N-acc", "T-acc", "Pr@0.5", ..., "Pr@0.9",
    "samples", "no_target_samples"}`` (×100).

    >>> acc = GresAccumulator()
    >>> acc.update_counts(0, 0, gt_no_target=True, pred_no_target=True)
    >>> acc.update_counts(2, 4, gt_no_target=False, pred_no_target=False)
    >>> r = acc.compute(); r["gIoU"], r["cIoU"], r["N-acc"], r["T-acc"]
    (75.0, 50.0, 100.0, 100.0)
    """

    thresholds: Sequence[float] = PREC_THRESHOLDS
    iou: list[float] = field(default_factory=list)
    inter: list[int] = field(default_factory=list)
    union: list[int] = field(default_factory=list)
    target: list[bool] = field(default_factory=list)
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

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
        self.iou.append(iou)
        self.inter.append(i)
        self.union.append(u)
        self.target.append(not gt_no_target)

    def merge(self, other: GresAccumulator) -> GresAccumulator:
        self.iou.extend(other.iou)
        self.inter.extend(other.inter)
        self.union.extend(other.union)
        self.target.extend(other.target)
        self.tp += other.tp
        self.fn += other.fn
        self.fp += other.fp
        self.tn += other.tn
        return self

    def compute(self) -> dict[str, Any]:
        n = len(self.iou)
        nan = float("nan")
        iou = np.asarray(self.iou, np.float64)
        tgt = np.asarray(self.target, bool)
        total_u = sum(self.union)
        out: dict[str, Any] = {
            "gIoU": 100.0 * float(iou.mean()) if n else nan,
            "cIoU": 100.0 * sum(self.inter) / total_u if total_u else nan,
            "N-acc": 100.0 * self.tp / (self.tp + self.fn) if self.tp + self.fn else nan,
            "T-acc": 100.0 * self.tn / (self.tn + self.fp) if self.tn + self.fp else nan,
            "samples": n,
            "no_target_samples": int(n - tgt.sum()),
        }
        n_t = int(tgt.sum())
        for t in self.thresholds:
            out[f"Pr@{t:.1f}"] = 100.0 * float(np.count_nonzero(iou[tgt] >= t)) / n_t if n_t else nan
        return out
