"""Semantic segmentation mIoU / fwIoU / mACC / pACC with detectron2's ``SemSegEvaluator`` rule.

detectron2 (2022+ ``sem_seg_evaluation.py``) accumulates a (K+1)×(K+1) confusion matrix
``conf[pred, gt]`` (rows = prediction, columns = GT) with GT pixels equal to the ignore label
moved to index K, then, over the K×K block (ignore column and row K excluded):

- ``tp = diag``, ``pos_gt`` = column sums, ``pos_pred`` = row sums;
- ``ACC_c = tp / pos_gt`` for classes with GT pixels (``pos_gt > 0``), NaN otherwise;
- ``IoU_c = tp / (pos_gt + pos_pred - tp)`` for classes with GT pixels and a non-zero union,
  NaN otherwise (a class predicted but absent from the GT is *not* averaged: the 2022 rule);
- ``mIoU`` / ``mACC`` = means over the valid classes; ``fwIoU = Σ IoU_c · pos_gt_c / Σ pos_gt``
  over the IoU-valid classes; ``pACC = Σ tp / Σ pos_gt``; everything ×100.

Predictions must lie in [0, K): detectron2 takes an argmax, so it never meets another value;
a prediction PNG holding one raises `DataError` here. GT values other than [0, K) and the ignore
label raise too (detectron2 would silently misplace them in the flattened bincount).
An empty split (no GT pixel) gives what detectron2 gives: NaN for mIoU, mACC and pACC, and 0.0
for fwIoU (a sum over no class).

Example::

    >>> acc = SemSegAccumulator(num_classes=2)
    >>> acc.update(np.array([[0, 1], [1, 255]]), np.array([[0, 1], [0, 0]]))
    >>> r = acc.compute(); r["mIoU"], r["pACC"]
    (50.0, 66.66666666666666)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.errors import DataError, UsageError
from seem_bench.metrics.contract import Evaluator, MetricSpec

__all__ = ["SemSegAccumulator", "SemanticEvaluator", "confusion_matrix", "evaluate_dirs",
           "panoptic_to_semantic", "semseg_metrics", "sparse_confusion"]

IGNORE = 255


def confusion_matrix(gt: np.ndarray, pred: np.ndarray, num_classes: int, ignore_label: int = 255,
                     where: str = "image", gt_where: str | None = None) -> np.ndarray:
    """detectron2's (K+1, K+1) ``int64`` confusion matrix ``conf[pred, gt]`` of one image.

    Args:
        gt: integer labels (H, W) in [0, K) or ``ignore_label``.
        pred: integer labels (H, W) in [0, K).
        num_classes: K.
        ignore_label: GT value moved to index K (excluded from every metric).
        where: names the prediction in error messages.
        gt_where: names the GT in error messages about GT labels (default ``where``).

    >>> confusion_matrix(np.array([[0, 255]]), np.array([[1, 1]]), 2)
    array([[0, 0, 0],
           [1, 0, 1],
           [0, 0, 0]])
    """
    k = int(num_classes)
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    if gt.shape != pred.shape:
        raise DataError(where, f"prediction shape {pred.shape} differs from the GT shape {gt.shape}")
    g = gt.astype(np.int64, copy=True).ravel()
    ign = g == ignore_label
    bad = (~ign) & ((g < 0) | (g >= k))
    if bad.any():
        raise DataError(gt_where or where, f"GT label {int(g[bad][0])} is outside [0, {k}) and not the ignore "
                               f"label {ignore_label}")
    g[ign] = k
    p = pred.astype(np.int64, copy=False).ravel()
    if p.size and (p.min() < 0 or p.max() >= k):
        v = int(p.min()) if p.min() < 0 else int(p.max())
        raise DataError(where, f"predicted label {v} is outside [0, {k})")
    return np.bincount((k + 1) * p + g, minlength=(k + 1) ** 2).reshape(k + 1, k + 1)


def semseg_metrics(conf: np.ndarray, class_names: Sequence[str] | None = None) -> dict[str, Any]:
    """The detectron2 metrics of an accumulated (K+1, K+1) confusion matrix, ×100.

    Returns:
        ``{"mIoU", "fwIoU", "mACC", "pACC", "IoU": {name: value}, "ACC": {name: value}}``;
        per-class values are NaN for classes without GT pixels (JSON: ``null``).
    """
    conf = np.asarray(conf)
    k = conf.shape[0] - 1
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise UsageError(f"{len(names)} class names for {k} classes")
    acc = np.full(k, np.nan)
    iou = np.full(k, np.nan)
    tp = conf.diagonal()[:-1].astype(np.float64)
    pos_gt = conf[:-1, :-1].sum(axis=0).astype(np.float64)
    pos_pred = conf[:-1, :-1].sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        class_weights = pos_gt / pos_gt.sum()
        acc_valid = pos_gt > 0
        acc[acc_valid] = tp[acc_valid] / pos_gt[acc_valid]
        union = pos_gt + pos_pred - tp
        iou_valid = acc_valid & (union > 0)
        iou[iou_valid] = tp[iou_valid] / union[iou_valid]
        macc = np.sum(acc[acc_valid]) / np.sum(acc_valid)
        miou = np.sum(iou[iou_valid]) / np.sum(iou_valid)
        fiou = np.sum(iou[iou_valid] * class_weights[iou_valid])
        pacc = np.sum(tp) / np.sum(pos_gt)
    return {"mIoU": 100 * float(miou), "fwIoU": 100 * float(fiou), "mACC": 100 * float(macc),
            "pACC": 100 * float(pacc),
            "IoU": {n: 100 * float(v) for n, v in zip(names, iou, strict=True)},
            "ACC": {n: 100 * float(v) for n, v in zip(names, acc, strict=True)}}


@dataclass
class SemSegAccumulator:
    """Streaming semantic metrics: a (K+1)² confusion matrix; ``merge`` adds matrices.

    >>> a = SemSegAccumulator(2); b = SemSegAccumulator(2)
    >>> a.update(np.zeros((2, 2), int), np.zeros((2, 2), int))
    >>> a.merge(b).compute()["mIoU"]
    100.0
    """

    num_classes: int
    ignore_label: int = 255
    class_names: Sequence[str] | None = None
    conf: np.ndarray = field(default=None)  # type: ignore[assignment]
    images: int = 0

    def __post_init__(self) -> None:
        if self.num_classes < 1:
            raise UsageError(f"num_classes must be >= 1, not {self.num_classes}")
        if self.conf is None:
            k = self.num_classes + 1
            self.conf = np.zeros((k, k), np.int64)

    def update(self, gt: np.ndarray, pred: np.ndarray, where: str = "image",
               gt_where: str | None = None) -> None:
        """Add one image: ``gt`` and ``pred`` integer (H, W) label maps (``where``/``gt_where``
        name them in errors)."""
        self.conf += confusion_matrix(gt, pred, self.num_classes, self.ignore_label, where, gt_where)
        self.images += 1

    def merge(self, other: SemSegAccumulator) -> SemSegAccumulator:
        if other.conf.shape != self.conf.shape:
            raise UsageError("cannot merge accumulators with different num_classes")
        self.conf += other.conf
        self.images += other.images
        return self

    def compute(self) -> dict[str, Any]:
        return semseg_metrics(self.conf, self.class_names)


def _read_labels(path: Path) -> np.ndarray:
    import cv2

    from seem_bench.data.io import open_image, read_bytes

    if not path.is_file():
        raise DataError(path, "label PNG not found")
    header = open_image(path, "label PNG", unreadable="")  # refused past --max-pixels, undecoded
    if header is not None:
        header.close()
    data = np.frombuffer(read_bytes(path, "label PNG"), np.uint8)
    arr = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise DataError(path, "cannot decode label image")
    if arr.ndim != 2:
        # Palette PNGs decode to colour in OpenCV; read the indices as detectron2 (PIL) does.
        from PIL import Image

        with Image.open(path) as im:
            if im.mode not in ("P", "L", "I", "I;16", "I;16B"):
                raise DataError(path, f"label image must be single-channel (got mode {im.mode})")
            arr = np.asarray(im)
    return arr


def evaluate_dirs(gt_dir: str | Path, pred_dir: str | Path, num_classes: int,
                  ignore_label: int = 255, class_names: Sequence[str] | None = None,
                  ext: str = ".png") -> dict[str, Any]:
    """Evaluate every ``<gt_dir>/<name>.png`` against ``<pred_dir>/<name>.png``.

    Raises `DataError` for a missing directory, an empty GT directory or a GT file without its
    prediction (predictions without GT are ignored).
    """
    gt_dir, pred_dir = Path(gt_dir), Path(pred_dir)
    for d in (gt_dir, pred_dir):
        if not d.is_dir():
            raise DataError(d, "directory not found")
    names = sorted(n for n in os.listdir(gt_dir) if n.endswith(ext))
    if not names:
        raise DataError(gt_dir, f"no {ext} label files")
    acc = SemSegAccumulator(num_classes, ignore_label, class_names)
    for n in names:
        pp = pred_dir / n
        if not pp.is_file():
            raise DataError(pp, "prediction missing for the GT file of the same name")
        acc.update(_read_labels(gt_dir / n), _read_labels(pp), where=str(pp), gt_where=str(gt_dir / n))
    out = acc.compute()
    out["images"] = acc.images
    return out


# --------------------------------------------------------------------------- run records
def panoptic_to_semantic(ids: np.ndarray, segments: list[dict], to_class: dict[int, int]) -> np.ndarray:
    """Contiguous class map of a panoptic map: each segment painted with its category's index;
    VOID (and ids without a segment) -> `IGNORE`."""
    out = np.full(ids.shape, IGNORE, np.int64)
    for s in segments:
        out[ids == s["id"]] = to_class[s["category_id"]]
    return out


def sparse_confusion(gt: np.ndarray, pred: np.ndarray, k: int) -> list[list[int]]:
    """Non-zero cells ``[gt, pred, count]`` of the (K+1)² matrix; GT ignore -> row K, bad pred -> col K."""
    g = np.where(gt == IGNORE, k, gt).astype(np.int64).ravel()
    p = pred.astype(np.int64).ravel()
    p = np.where((p < 0) | (p >= k), k, p)
    cells = np.bincount(g * (k + 1) + p, minlength=(k + 1) ** 2)
    nz = np.flatnonzero(cells)
    return [[int(i // (k + 1)), int(i % (k + 1)), int(cells[i])] for i in nz]


class SemanticEvaluator(Evaluator):
    """mIoU / fwIoU / pACC (fractions, detectron2 ``SemSegEvaluator``) of generic records' sparse
    ``semseg`` confusion cells ``[gt, pred, count]``; K = the header's dataset categories."""

    name = "semantic"

    def __init__(self, header: Mapping[str, Any]) -> None:
        super().__init__(header)
        k = len(header_categories(header))
        self.conf = np.zeros((k + 1, k + 1), np.int64)

    @classmethod
    def metric_specs(cls, params: Mapping[str, Any]) -> list[MetricSpec]:
        d2 = "detectron2 SemSegEvaluator (2022+ rule)"
        return [MetricSpec("mIoU", "fraction", True, 1, d2), MetricSpec("fwIoU", "fraction", True, 1, d2),
                MetricSpec("pACC", "fraction", True, 1, d2)]

    def update(self, record: Mapping[str, Any]) -> None:
        for g, p, n in record["semseg"]:
            self.conf[g, p] += n

    def merge(self, other: Evaluator) -> SemanticEvaluator:
        assert isinstance(other, SemanticEvaluator)
        self.conf += other.conf
        return self

    def compute(self) -> dict[str, float]:
        sem = semseg_metrics(self.conf.T)  # detectron2 indexes conf[pred, gt]; records hold [gt, pred]
        return {"mIoU": sem["mIoU"] / 100, "fwIoU": sem["fwIoU"] / 100, "pACC": sem["pACC"] / 100}


def header_categories(header: Mapping[str, Any]) -> list[dict]:
    """The dataset categories a generic run recorded in its header."""
    cats = header.get("dataset", {}).get("categories")
    if not cats:
        raise UsageError("run header has no dataset categories; rerun with this seem-bench version")
    return cats
