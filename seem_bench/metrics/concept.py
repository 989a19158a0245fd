"""Promptable concept segmentation (SAM 3, SA-Co): cgF1, IL_MCC, pmF1 per ``sam3/eval/cgf1_eval.py``.

One unit is an (image, noun phrase) pair: the model returns every instance of the phrase, or
none. Semantics (pinned in docs/metrics.md, equal to Meta's ``CGF1Evaluator`` in
``tests/metrics/test_concept_reference.py``):

- predictions with ``score < score_thr`` (0.5) are dropped; GT marked ``iscrowd`` is dropped
  from both the count and the matching (a prediction on a crowd region is a false positive,
  unlike COCO AP);
- predictions (in the model's order) are matched one-to-one to GT (in annotation order) by
  ``scipy.optimize.linear_sum_assignment`` maximising the total mask IoU; at each IoU threshold
  t of ``0.50:0.05:0.95`` a match with IoU >= t is a TP, FP = #pred - TP, FN = #GT - TP;
- image level: a pair with GT is IL-positive, a pair with predictions is predicted-positive;
  IL_MCC is Matthews' correlation of the two (``+1e-6`` in the denominator as the reference);
- pmF1 ("positive micro F1"): micro precision TP / (TP + FP) counting FP only on pairs with GT,
  recall TP / (TP + FN) over all pairs, F1 = 2PR / (P + R) (``+1e-4`` everywhere, as the
  reference); cgF1 = pmF1 · IL_MCC, each averaged over the 10 thresholds (the reference's
  ``cgF1`` is the mean over t of pmF1(t) · IL_MCC);
- several GT versions of a pair (SA-Co/Gold's 3 annotators): per pair, the version with the
  best local F1 (mean over t) is kept, an empty-GT-and-no-prediction version winning outright
  (the reference's ``_select_best_scoring``); ``macroF1`` is the mean local F1 over pairs with
  GT and predictions.

The loop stores per pair what these need: the number of kept predictions and, per GT version,
the number of non-crowd GT and the matched IoUs (`pair_part`). The evaluator's state is 10
counts per quantity and one exact sum per threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from seem_bench.metrics.contract import Evaluator, ExactSum, MetricSpec

#: COCOeval's ``iouThrs`` (``np.linspace(.5, .95, 10)``), the thresholds cgF1 averages over.
IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
_REF = "sam3/eval/cgf1_eval.py CGF1Evaluator (SAM 3, Carion et al. 2025)"


def flat_masks(masks: Sequence[np.ndarray]) -> np.ndarray:
    """Masks as rows of a float matrix for `iou_matrix` (float32 is exact below 2**24 pixels)."""
    if not len(masks):
        return np.zeros((0, 0), np.float32)
    m = np.stack([np.asarray(x, bool).reshape(-1) for x in masks])
    return m.astype(np.float32 if m.shape[1] < 2 ** 24 else np.float64)


def iou_matrix(preds: Sequence[np.ndarray] | np.ndarray, gts: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """Mask IoU (len(preds), len(gts)) in float64 (0 where a union is empty); masks or `flat_masks` rows."""
    if not len(preds) or not len(gts):
        return np.zeros((len(preds), len(gts)))
    p = preds if isinstance(preds, np.ndarray) and preds.ndim == 2 and preds.dtype.kind == "f" else flat_masks(preds)
    g = gts if isinstance(gts, np.ndarray) and gts.ndim == 2 and gts.dtype.kind == "f" else flat_masks(gts)
    inter = (p @ g.T).astype(np.float64)  # pixel counts: exact in the matrix's float type
    union = p.sum(1, dtype=np.float64)[:, None] + g.sum(1, dtype=np.float64)[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def matched_ious(ious: np.ndarray) -> list[float]:
    """IoUs of the one-to-one matching of maximal total IoU, in the solver's order."""
    from scipy.optimize import linear_sum_assignment

    if ious.size == 0:
        return []
    rows, cols = linear_sum_assignment(-ious)
    return [float(v) for v in ious[rows, cols]]


def pair_part(preds: Sequence[np.ndarray] | np.ndarray, gts: Sequence[np.ndarray],
              crowd: Sequence[bool]) -> dict[str, Any]:
    """One GT version of a pair: ``{"n_gt": non-crowd GT, "ious": matched IoUs}``.

    ``preds``: the kept predictions (score >= threshold) in the model's order, as masks or as
    `flat_masks` rows (computed once for all versions); ``gts`` the GT masks in annotation order
    with their crowd flags (crowd GT take no part).
    """
    kept = [g for g, c in zip(gts, crowd, strict=True) if not c]
    return {"n_gt": len(kept), "ious": matched_ious(iou_matrix(preds, kept))}


def _local(n_dt: int, part: Mapping[str, Any]) -> dict[str, Any]:
    """The reference's per-pair evaluation of one GT version (``CGF1Eval.evaluateImg``)."""
    n_gt = int(part["n_gt"])
    if n_gt == 0 and n_dt == 0:
        return {"il": "TN"}
    k = len(IOU_THRESHOLDS)
    if n_dt == 0:
        return {"il": "FN", "tp": np.zeros(k, np.int64), "fp": np.zeros(k, np.int64),
                "fn": np.full(k, n_gt, np.int64), "f1": np.zeros(k)}
    scores = np.asarray(part["ious"], np.float64)
    tp = np.array([int((scores >= t).sum()) for t in IOU_THRESHOLDS], np.int64)
    fp, fn = n_dt - tp, n_gt - tp
    prec = tp / (tp + fp + 1e-4)
    rec = tp / (tp + fn + 1e-4)
    f1 = 2 * prec * rec / (prec + rec + 1e-4)
    return {"il": "TP" if n_gt > 0 else "FP", "tp": tp, "fp": fp, "fn": fn, "f1": f1}


def best_version(n_dt: int, parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The GT version a pair is scored against (first one, replaced by a strictly better local
    F1, or by any version where the pair is a true negative)."""
    best = _local(n_dt, parts[0])
    for part in parts[1:]:
        cur = _local(n_dt, part)
        if "f1" in best and "f1" in cur:
            if cur["f1"].mean() > best["f1"].mean():
                best = cur
        elif "f1" not in cur:
            best = cur
    return best


class ConceptEvaluator(Evaluator):
    """cgF1 / IL_MCC / pmF1 of concept records (``n_dt``, ``versions``: list of `pair_part`)."""

    name = "concept"

    @classmethod
    def metric_specs(cls, params: Mapping[str, Any]) -> list[MetricSpec]:
        f = "fraction"
        return [
            MetricSpec("cgF1", f, True, 2, f"{_REF}: mean over IoU 0.50:0.95 of pmF1 x IL_MCC"),
            MetricSpec("IL_MCC", "value", True, 2, f"{_REF}: image-level Matthews correlation"),
            MetricSpec("pmF1", f, True, 2, f"{_REF}: positive micro F1, mean over IoU 0.50:0.95"),
            MetricSpec("cgF1@50", f, True, 2, f"{_REF}: cgF1 at IoU 0.5"),
            MetricSpec("cgF1@75", f, True, 2, f"{_REF}: cgF1 at IoU 0.75"),
            MetricSpec("pmF1@50", f, True, 2, f"{_REF}: positive micro F1 at IoU 0.5"),
            MetricSpec("macroF1", f, True, 2, f"{_REF}: positive_macro_F1 (mean local F1 of pairs with GT "
                                              "and predictions)"),
            MetricSpec("IL_F1", f, True, 2, f"{_REF}: image-level F1"),
            MetricSpec("IL_precision", f, True, 2, f"{_REF}: image-level precision"),
            MetricSpec("IL_recall", f, True, 2, f"{_REF}: image-level recall"),
            MetricSpec("IL_FPR", f, False, 2, f"{_REF}: image-level false positive rate"),
            MetricSpec("precision", f, True, 2, f"{_REF}: instance precision over all pairs"),
            MetricSpec("recall", f, True, 2, f"{_REF}: instance recall"),
            MetricSpec("F1", f, True, 2, f"{_REF}: instance F1 over all pairs"),
            MetricSpec("pairs", "count", True, 0, "evaluated (image, phrase) pairs"),
            MetricSpec("negative_pairs", "count", True, 0, "pairs without GT in the scored version"),
        ]

    def __init__(self, header: Mapping[str, Any]) -> None:
        super().__init__(header)
        k = len(IOU_THRESHOLDS)
        self.tp, self.fp, self.fn, self.pm_fp = (np.zeros(k, np.int64) for _ in range(4))
        self.f1_sums = [ExactSum() for _ in range(k)]
        self.il = {"TP": 0, "FP": 0, "TN": 0, "FN": 0}
        self.f1_pairs = 0

    def update(self, record: Mapping[str, Any]) -> None:
        self.add_pair(int(record["n_dt"]), record["versions"])

    def add_pair(self, n_dt: int, versions: Sequence[Mapping[str, Any]]) -> None:
        """Add one pair from its kept-prediction count and its GT versions (`pair_part`)."""
        res = best_version(n_dt, versions)
        self.il[res["il"]] += 1
        if "tp" not in res:
            return
        self.tp += res["tp"]
        self.fp += res["fp"]
        self.fn += res["fn"]
        if res["il"] in ("TP", "FN"):  # pairs with GT: the "positive" FPs and local F1s
            self.pm_fp += res["fp"]
            for s, v in zip(self.f1_sums, res["f1"], strict=True):
                s.add(float(v))
            if n_dt > 0:
                self.f1_pairs += 1

    def merge(self, other: Evaluator) -> ConceptEvaluator:
        assert isinstance(other, ConceptEvaluator)
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.pm_fp += other.pm_fp
        for a, b in zip(self.f1_sums, other.f1_sums, strict=True):
            a.merge(b)
        for key in self.il:
            self.il[key] += other.il[key]
        self.f1_pairs += other.f1_pairs
        return self

    def curves(self) -> dict[str, Any]:
        """Per-threshold arrays and image-level values, the reference's ``accumulate``."""
        tp, fp, fn, pm_fp = self.tp, self.fp, self.fn, self.pm_fp
        prec = tp / (tp + fp + 1e-4)
        pm_prec = tp / (tp + pm_fp + 1e-4)
        rec = tp / (tp + fn + 1e-4)
        f1 = 2 * prec * rec / (prec + rec + 1e-4)
        pm_f1 = 2 * pm_prec * rec / (pm_prec + rec + 1e-4)
        a, b, c, d = self.il["TP"], self.il["FP"], self.il["TN"], self.il["FN"]
        il_rec = a / (a + d + 1e-6)
        il_prec = a / (a + b + 1e-6)
        il_f1 = 2 * il_prec * il_rec / (il_prec + il_rec + 1e-6)
        il_fpr = b / (b + c + 1e-6)
        mcc = float(a * c - b * d) / ((float(a + b) * float(a + d) * float(c + b) * float(c + d)) ** 0.5 + 1e-6)
        with np.errstate(invalid="ignore", divide="ignore"):
            macro = np.array([s.value() for s in self.f1_sums]) / self.f1_pairs
        return {"precision": prec, "recall": rec, "F1": f1, "pmF1": pm_f1, "pm_precision": pm_prec,
                "macroF1": macro, "cgF1": pm_f1 * mcc, "IL_MCC": mcc, "IL_F1": il_f1,
                "IL_precision": il_prec, "IL_recall": il_rec, "IL_FPR": il_fpr}

    def compute(self) -> dict[str, float]:
        c = self.curves()
        at = {t: int(np.where(np.isclose(IOU_THRESHOLDS, t))[0][0]) for t in (0.5, 0.75)}
        out = {"cgF1": mean_valid(c["cgF1"]), "IL_MCC": float(c["IL_MCC"]), "pmF1": mean_valid(c["pmF1"]),
               "cgF1@50": float(c["cgF1"][at[0.5]]), "cgF1@75": float(c["cgF1"][at[0.75]]),
               "pmF1@50": float(c["pmF1"][at[0.5]]), "macroF1": mean_valid(c["macroF1"])}
        for key in ("IL_F1", "IL_precision", "IL_recall", "IL_FPR"):
            out[key] = float(c[key])
        for key in ("precision", "recall", "F1"):
            out[key] = mean_valid(c[key])
        out["pairs"] = sum(self.il.values())
        out["negative_pairs"] = self.il["TN"] + self.il["FP"]
        if out["pairs"] == 0:
            out.update({k: float("nan") for k in out if k not in ("pairs", "negative_pairs")})
        return out


def mean_valid(values: np.ndarray) -> float:
    """Mean over thresholds of the defined values (the reference keeps ``s > -1``, dropping NaN);
    NaN where none is defined (the reference prints -1 there)."""
    v = np.asarray(values, np.float64)
    v = v[v > -1]
    return float(np.mean(v)) if len(v) else float("nan")
