"""Referring metrics: closed-form cases and a pixel-loop reimplementation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seem_bench.metrics.referring import GresAccumulator, ReferringAccumulator, intersection_union


def test_standard_closed_form():
    acc = ReferringAccumulator()
    for i, u in [(9, 10), (6, 10), (5, 10), (0, 4)]:
        acc.update_counts(i, u)
    r = acc.compute()
    assert r["cIoU"] == 100 * 20 / 34
    assert r["mIoU"] == 100 * (0.9 + 0.6 + 0.5 + 0.0) / 4
    assert r["prec@0.5"] == 75.0 and r["prec@0.6"] == 50.0 and r["prec@0.9"] == 25.0
    assert r["samples"] == 4


def test_threshold_is_inclusive_and_empty_union_convention():
    acc = ReferringAccumulator()
    acc.update_counts(7, 10)  # exactly 0.7 counts for prec@0.7
    acc.update_counts(0, 0)   # empty GT and prediction
    r = acc.compute()
    assert r["prec@0.7"] == 100.0
    assert r["mIoU"] == 100 * (0.7 + 1.0) / 2 and r["empty_union_iou"] == 1.0
    assert r["cIoU"] == 70.0
    r0 = ReferringAccumulator(empty_union_iou=0.0)
    r0.update_counts(0, 0)
    assert r0.compute()["mIoU"] == 0.0


def test_masks_and_merge_equal_pixel_loop():
    rng = np.random.default_rng(2)
    a, b = ReferringAccumulator(), ReferringAccumulator()
    ious, si, su = [], 0, 0
    for n in range(20):
        gt = rng.random((9, 11)) < 0.4
        pred = gt ^ (rng.random((9, 11)) < 0.2)
        (a if n % 2 else b).update(pred, gt)
        i = sum(int(p and g) for p, g in zip(pred.ravel(), gt.ravel(), strict=True))
        u = sum(int(p or g) for p, g in zip(pred.ravel(), gt.ravel(), strict=True))
        ious.append(i / u)
        si, su = si + i, su + u
    r = a.merge(b).compute()
    assert abs(r["cIoU"] - 100 * si / su) <= 1e-12
    assert abs(r["mIoU"] - 100 * np.mean(ious)) <= 1e-12
    assert r["prec@0.8"] == 100 * sum(v >= 0.8 for v in ious) / 20


def test_gres_cases():
    acc = GresAccumulator()
    acc.update_counts(0, 0, gt_no_target=True, pred_no_target=True)    # TP: IoU 1
    acc.update_counts(0, 5, gt_no_target=True, pred_no_target=False)   # FN: IoU 0, U += 5
    acc.update_counts(3, 6, gt_no_target=False, pred_no_target=True)   # FP: I -> 0
    acc.update_counts(4, 5, gt_no_target=False, pred_no_target=False)  # TN: IoU .8
    r = acc.compute()
    assert r["gIoU"] == 100 * (1 + 0 + 0 + 0.8) / 4
    assert r["cIoU"] == 100 * 4 / (5 + 6 + 5)
    assert r["N-acc"] == 50.0 and r["T-acc"] == 50.0
    assert r["Pr@0.7"] == 50.0 and r["Pr@0.9"] == 0.0
    assert r["no_target_samples"] == 2


def test_gres_from_masks_and_undefined_accuracies():
    acc = GresAccumulator()
    gt = np.zeros((4, 4), bool)
    gt[:2] = True
    acc.update(gt, gt)  # target, predicted: TN, IoU 1
    r = acc.compute()
    assert r["T-acc"] == 100.0 and math.isnan(r["N-acc"])
    acc.update(np.zeros((4, 4), bool), np.zeros((4, 4), bool))  # no target, empty prediction
    assert acc.compute()["N-acc"] == 100.0
    assert math.isnan(GresAccumulator().compute()["gIoU"])


def test_intersection_union_validation():
    assert intersection_union(np.ones((2, 2)), np.eye(2)) == (2, 4)
    with pytest.raises(ValueError):
        intersection_union(np.ones((2, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError):
        ReferringAccumulator().update_counts(5, 3)
