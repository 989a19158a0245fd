"""``davis-robot`` equals the original davisinteractive 1.0.4 robot, run under `davis_robot_shim`.

Scribbles are compared exactly (every float of every path, object ids, order) on random
multi-object label maps with void, on DAVIS-size frames, for both kernel sizes, and on the
worst-frame path. The pieces the shim replaces are checked on their own: the medial-axis
tie-break against a plain transcription of scikit-image <= 0.18's algorithm, and the opening
against scikit-image's rank filters, which the original calls.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from davis_robot_shim import MISSING, original_scribbles
from scipy import ndimage

from seem_bench.prompts.davis_robot import (
    _opening,
    legacy_medial_axis,
    robot_scribbles,
    sk_disk,
    to_davis_json,
    worst_frame,
)

needs_original = pytest.mark.skipif(MISSING is not None, reason=str(MISSING))


def _blob(rng, h, w, scale):
    m = np.zeros((h, w), np.uint8)
    c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
    axes = (int(rng.integers(2, max(3, scale))), int(rng.integers(2, max(3, scale))))
    cv2.ellipse(m, c, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    if rng.random() < 0.4:  # a hole: skeleton cycles, the order-sensitive part of the robot
        cv2.circle(m, c, max(1, min(axes) // 2), 0, -1)
    return m.astype(bool)


def _labels(rng, h, w, n_obj, scale):
    gt = np.zeros((h, w), np.int64)
    for k in range(1, n_obj + 1):
        gt[_blob(rng, h, w, scale)] = k
    if rng.random() < 0.3:  # void band around object 1, as DAVIS annotations have
        g = (gt == 1).astype(np.uint8)
        gt[cv2.dilate(g, np.ones((5, 5), np.uint8)).astype(bool) & (gt == 0)] = 255
    return gt


def _prediction(rng, gt, n_obj, scale):
    kind = rng.integers(4)
    if kind == 0:
        return np.zeros_like(gt)
    pred = np.where(gt == 255, 0, gt)
    if kind == 1:
        return np.roll(pred, (int(rng.integers(-6, 7)), int(rng.integers(-6, 7))), axis=(0, 1))
    if kind == 2:
        pred[_blob(rng, *gt.shape, scale)] = int(rng.integers(0, n_obj + 1))
        return pred
    return np.where(_blob(rng, *gt.shape, scale), 0, pred)


def _compare(gt, pred, k, nb_objects):
    ref = original_scribbles(gt[None], pred[None], k, nb_objects=nb_objects)["scribbles"][0]
    ours = to_davis_json(robot_scribbles(gt, pred, nb_objects, kernel_size=k), gt.shape)
    assert [(r["object_id"], r["path"]) for r in ref] == [(o["object_id"], o["path"]) for o in ours]
    return len(ref)


@needs_original
@pytest.mark.parametrize("kernel_size", [0.2, 0.15])
def test_robot_equals_original_on_random_frames(kernel_size):
    rng = np.random.default_rng(int(kernel_size * 100))
    strokes = 0
    for _ in range(30):
        h, w = int(rng.integers(24, 97)), int(rng.integers(24, 97))
        n_obj = int(rng.integers(1, 4))
        gt = _labels(rng, h, w, n_obj, max(h, w) // 3)
        pred = _prediction(rng, gt, n_obj, max(h, w) // 3)
        strokes += _compare(gt, pred, kernel_size, n_obj)
    assert strokes >= 30  # the comparison saw real scribbles, not only empty lists


@needs_original
def test_robot_equals_original_at_davis_resolution():
    canvas = np.zeros((480, 854), np.uint8)
    cv2.ellipse(canvas, (300, 240), (180, 120), 20.0, 0, 360, 1, -1)
    cv2.circle(canvas, (300, 240), 40, 0, -1)  # a hole: the skeleton has a cycle
    cv2.ellipse(canvas, (650, 200), (90, 150), -10.0, 0, 360, 2, -1)
    gt = canvas.astype(np.int64)
    gt[cv2.dilate((gt == 2).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool) & (gt == 0)] = 255
    pred = np.roll(np.where(gt == 255, 0, gt), (25, -40), axis=(0, 1))
    for k in (0.2, 0.15):
        assert _compare(gt, pred, k, 2) >= 3  # object 1, object 2 and background strokes


@needs_original
def test_worst_frame_and_inferred_object_count_match_original():
    rng = np.random.default_rng(9)
    gt = np.stack([_labels(rng, 40, 60, 2, 20) for _ in range(4)])
    gt[gt == 2] = 3  # ids {1, 3}: the count is 2, so the original scribbles ids 0, 1, 2 only
    pred = np.stack([_prediction(rng, g, 3, 20) for g in gt])
    ref = original_scribbles(gt, pred, 0.2, nb_objects=None, frame=None)["scribbles"]
    frame = next(i for i, s in enumerate(ref) if s) if any(ref) else None
    ids = np.unique(gt)
    n = int(np.count_nonzero((ids > 0) & (ids < 255)))
    assert n == 2
    ours_frame = worst_frame(gt, pred, n)
    if frame is not None:
        assert ours_frame == frame
    ours = to_davis_json(robot_scribbles(gt[ours_frame], pred[ours_frame]), gt.shape[1:])
    assert [(r["object_id"], r["path"]) for r in ref[ours_frame]] == \
        [(o["object_id"], o["path"]) for o in ours]
    assert ours and all(o["object_id"] != 3 for o in ours)


def test_no_error_no_scribble_and_background_is_object_zero():
    gt = np.zeros((40, 60), np.int64)
    gt[5:35, 10:50] = 1
    assert robot_scribbles(gt, gt.copy()) == []
    pred = gt.copy()
    pred[:, :] = 1  # everything predicted as the object: only background (id 0) is wrong
    strokes = robot_scribbles(gt, pred)
    assert strokes and {s.object_id for s in strokes} == {0}
    for s in strokes:  # scribbles lie on the error region (rounded Bezier samples of its skeleton)
        assert s.points.shape == (1000, 2)


# --- the pieces the shim replaces, checked against independent transcriptions --------------------

_BITS = np.array([[1, 2, 4], [8, 16, 32], [64, 128, 256]])


def _keep_table() -> np.ndarray:
    """skimage <= 0.18 docstring: keep a centre pixel if removing it changes the number of
    8-connected components of its 3x3 patch, or if the patch holds fewer than 3 pixels."""
    eight = np.ones((3, 3), bool)
    table = np.zeros(512, np.uint8)
    for idx in range(512):
        patch = (idx & _BITS) > 0
        if not patch[1, 1]:
            continue
        without = patch.copy()
        without[1, 1] = False
        changed = ndimage.label(patch, eight)[1] != ndimage.label(without, eight)[1]
        table[idx] = changed or patch.sum() < 3
    return table


def medial_axis_018(img: np.ndarray) -> np.ndarray:
    """Plain scikit-image <= 0.18 medial axis: pixels ordered by (distance, cornerness,
    RandomState(0) permutation), each visited once and kept per the 3x3 table."""
    table = _keep_table()
    h, w = img.shape
    padded = np.pad(img, 1)
    counts = sum(padded[1 + dy:h + 1 + dy, 1 + dx:w + 1 + dx].astype(int)
                 for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    corner = 9 - counts
    dist = ndimage.distance_transform_edt(img)
    ys, xs = np.nonzero(img)
    tie = np.random.RandomState(0).permutation(np.arange(ys.size))
    order = np.lexsort((tie, corner[ys, xs], dist[ys, xs]))
    out = img.astype(np.uint8).copy()
    for k in order:
        y, x = ys[k], xs[k]
        acc = 0
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                yy, xx = y + dy, x + dx
                if (dy, dx) == (0, 0) or (0 <= yy < h and 0 <= xx < w and out[yy, xx]):
                    acc += _BITS[dy + 1, dx + 1]
        out[y, x] = table[acc]
    return out.astype(bool)


def test_legacy_medial_axis_matches_skimage_018_transcription():
    rng = np.random.default_rng(18)
    for _ in range(12):
        img = np.pad(_blob(rng, 30, 40, 14), 1)
        np.testing.assert_array_equal(legacy_medial_axis(img), medial_axis_018(img))


def test_opening_matches_skimage_rank_filters():
    from skimage.filters import rank

    rng = np.random.default_rng(4)
    for _ in range(60):
        h, w = int(rng.integers(5, 40)), int(rng.integers(5, 40))
        m = (rng.random((h, w)) < rng.uniform(0.3, 0.95)).astype(np.uint8)
        fp = sk_disk(float(rng.uniform(1.0, 6.0)))  # fractional radii: even, off-centre footprints
        ref = rank.maximum(rank.minimum(m.copy(), fp), fp)
        np.testing.assert_array_equal(_opening(m, fp), ref)
    # the case cv2 alone gets wrong: a footprint whose centre is empty, at the image corner
    fp = sk_disk(1.1)
    assert fp[fp.shape[0] // 2, fp.shape[1] // 2] == 0
    m = np.ones((6, 6), np.uint8)
    np.testing.assert_array_equal(_opening(m, fp), rank.maximum(rank.minimum(m.copy(), fp), fp))


def test_sk_disk_equals_skimage_disk():
    from skimage.morphology import disk

    for r in (1.0, 1.1, 1.5, 2.0, 2.7, 5.3, 16.0):
        np.testing.assert_array_equal(sk_disk(r), disk(r))
