"""Semantic metrics against an independent implementation of detectron2's 2022+ rule."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from PIL import Image

from seem_bench.errors import DataError
from seem_bench.metrics.semantic import (
    SemSegAccumulator,
    confusion_matrix,
    evaluate_dirs,
    semseg_metrics,
)


def detectron2_rule(pairs, k, ignore=255):
    """Written from the rule, pixel by pixel with Python counters (no confusion matrix)."""
    tp = [0] * k
    gt_n = [0] * k
    pred_n = [0] * k
    for gt, pred in pairs:
        for g, p in zip(gt.ravel().tolist(), pred.ravel().tolist(), strict=True):
            if g == ignore:
                continue
            gt_n[g] += 1
            pred_n[p] += 1
            if g == p:
                tp[g] += 1
    total = sum(gt_n)
    ious, accs, fw = {}, {}, 0.0
    for c in range(k):
        if gt_n[c] == 0:
            continue
        accs[c] = tp[c] / gt_n[c]
        union = gt_n[c] + pred_n[c] - tp[c]
        ious[c] = tp[c] / union
        fw += ious[c] * gt_n[c] / total
    return {"mIoU": 100 * sum(ious.values()) / len(ious), "mACC": 100 * sum(accs.values()) / len(accs),
            "fwIoU": 100 * fw, "pACC": 100 * sum(tp) / total, "IoU": ious, "ACC": accs}


def test_random_maps_equal_rule():
    rng = np.random.default_rng(0)
    for trial in range(12):
        k = int(rng.integers(2, 9))
        acc = SemSegAccumulator(k)
        pairs = []
        for _ in range(int(rng.integers(1, 4))):
            h, w = (int(v) for v in rng.integers(5, 30, 2))
            gt = rng.integers(0, k, (h, w))
            gt[rng.random((h, w)) < 0.15] = 255
            if trial % 3 == 0:
                gt[gt == k - 1] = 0  # a class present only in predictions: not averaged
            pred = np.where(rng.random((h, w)) < 0.6, gt, rng.integers(0, k, (h, w)))
            pred[pred == 255] = 0
            pairs.append((gt, pred))
            acc.update(gt, pred)
        ours = acc.compute()
        ref = detectron2_rule(pairs, k)
        for key in ("mIoU", "mACC", "fwIoU", "pACC"):
            assert abs(ours[key] - ref[key]) <= 1e-9, key
        for c in range(k):
            if c in ref["IoU"]:
                assert abs(ours["IoU"][str(c)] - 100 * ref["IoU"][c]) <= 1e-9
                assert abs(ours["ACC"][str(c)] - 100 * ref["ACC"][c]) <= 1e-9
            else:
                assert math.isnan(ours["IoU"][str(c)]) and math.isnan(ours["ACC"][str(c)])


def test_confusion_layout_and_merge():
    conf = confusion_matrix(np.array([[0, 1, 255]]), np.array([[1, 1, 0]]), 2)
    # rows = prediction, columns = GT, ignore in column K.
    assert conf.tolist() == [[0, 0, 1], [1, 1, 0], [0, 0, 0]]
    a, b = SemSegAccumulator(2), SemSegAccumulator(2)
    a.update(np.array([[0, 1]]), np.array([[0, 0]]))
    b.update(np.array([[1, 1]]), np.array([[1, 1]]))
    both = SemSegAccumulator(2)
    both.update(np.array([[0, 1, 1, 1]]), np.array([[0, 0, 1, 1]]))
    assert (a.merge(b).conf == both.conf).all() and a.images == 2


def test_empty_split_values():
    r = semseg_metrics(np.zeros((3, 3), np.int64))
    assert math.isnan(r["mIoU"]) and math.isnan(r["mACC"]) and math.isnan(r["pACC"])
    assert r["fwIoU"] == 0.0  # detectron2 sums over no class


def test_label_errors():
    with pytest.raises(DataError, match="predicted label 3"):
        confusion_matrix(np.zeros((2, 2), int), np.full((2, 2), 3), 3)
    with pytest.raises(DataError, match="GT label 7"):
        confusion_matrix(np.full((2, 2), 7), np.zeros((2, 2), int), 3)
    with pytest.raises(DataError, match="shape"):
        confusion_matrix(np.zeros((2, 2), int), np.zeros((2, 3), int), 3)


def test_directories(tmp_path):
    rng = np.random.default_rng(3)
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    pairs = []
    for i in range(3):
        gt = rng.integers(0, 4, (12, 9)).astype(np.uint8)
        gt[0] = 255
        pred = rng.integers(0, 4, (12, 9)).astype(np.uint8)
        cv2.imwrite(str(tmp_path / "gt" / f"{i}.png"), gt)
        im = Image.fromarray(pred, mode="P")  # palette predictions are read as indices
        im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
        im.save(tmp_path / "pred" / f"{i}.png")
        pairs.append((gt.astype(int), pred.astype(int)))
    ours = evaluate_dirs(tmp_path / "gt", tmp_path / "pred", 4)
    ref = detectron2_rule(pairs, 4)
    assert abs(ours["mIoU"] - ref["mIoU"]) <= 1e-9 and ours["images"] == 3
    (tmp_path / "pred" / "2.png").unlink()
    with pytest.raises(DataError, match="prediction missing"):
        evaluate_dirs(tmp_path / "gt", tmp_path / "pred", 4)
