"""Clicks on a crop (issue 23): the loop cuts GT, prediction, ignore and prompted pixels to the
bounding box of the GT, the click target and the prediction; every protocol must then place the
click the full frame gives, in frame coordinates, and `exceeds` must answer what the full
transform answers."""

from __future__ import annotations

import numpy as np
import pytest

from seem_bench.metrics.iou import mask_iou
from seem_bench.prompts.clicks import click_squares
from seem_bench.prompts.distance import box_union, exceeds, farthest_pixel, mask_box
from seem_bench.prompts.protocols import PROTOCOLS
from seem_bench.prompts.types import Click


def _blobs(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), bool)
    yy, xx = np.mgrid[:h, :w]
    for _ in range(int(rng.integers(0, 4))):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        ry, rx = rng.integers(1, max(2, h // 2)), rng.integers(1, max(2, w // 2))
        m |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    return m


def _case(rng: np.random.Generator):
    h, w = (int(v) for v in rng.integers(8, 48, 2))
    gt = _blobs(rng, h, w)
    pred = gt.copy()
    if rng.random() < 0.8:  # shift (bands of error) or an unrelated prediction
        s = int(rng.integers(1, 5))
        pred = np.zeros_like(gt)
        pred[s:, s:] = gt[:-s, :-s] if rng.random() < 0.7 else _blobs(rng, h, w)[:-s, :-s]
    ignore = None
    if rng.random() < 0.5:
        ignore = _blobs(rng, h, w) & (rng.random((h, w)) < 0.5)
    clicks = tuple(Click(int(rng.integers(0, w)), int(rng.integers(0, h)), bool(rng.random() < 0.5))
                   for _ in range(int(rng.integers(0, 5))))
    prompted = click_squares((h, w), clicks[:1], 1) if clicks and rng.random() < 0.5 else None
    return gt, pred, ignore, clicks, prompted


def _crop(a: np.ndarray | None, box: tuple[int, int, int, int]) -> np.ndarray | None:
    return None if a is None else a[box[0]:box[1], box[2]:box[3]]


@pytest.mark.parametrize("protocol", ["ritm", "seem", "seem-kornia"])
def test_click_on_the_loops_crop_is_the_full_frame_click(protocol):
    proto = PROTOCOLS.get(protocol)
    rng = np.random.default_rng(23)
    n = 60 if protocol == "seem-kornia" else 400
    for _ in range(n):
        gt, pred, ignore, clicks, prompted = _case(rng)
        for negatives in (True, False):
            opts = {"negatives": negatives}
            full = proto.click(gt, pred, ignore, clicks, prompted=prompted, options=opts)
            box = box_union(mask_box(gt), mask_box(pred)) or (0, 1, 0, 1)
            c_gt, c_pred, c_ign, c_pr = (_crop(a, box) for a in (gt, pred, ignore, prompted))
            got = proto.click(c_gt, c_pred, c_ign, clicks, prompted=c_pr, options=opts,
                              origin=(box[0], box[2]))
            assert got == full, (protocol, negatives, box)
            assert mask_iou(c_gt, c_pred, c_ign) == mask_iou(gt, pred, ignore)


def test_exceeds_is_the_full_transforms_answer():
    rng = np.random.default_rng(5)
    for _ in range(800):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        m = rng.random((h, w)) < rng.random() ** 0.3
        if rng.random() < 0.5:  # a strided crop, as the loop passes
            big = np.zeros((h + 4, w + 6), bool)
            big[2:2 + h, 3:3 + w] = m
            m = big[1:h + 3, 2:w + 4]
        ex = None
        if rng.random() < 0.5:
            k = int(rng.integers(1, 5))
            ex = (rng.integers(-2, m.shape[0] + 2, k), rng.integers(-2, m.shape[1] + 2, k))
        d2 = farthest_pixel(m, ex)[2]
        for k in range(0, 22):
            assert exceeds(m, k, ex) == (d2 > k), (k, d2)
        ys, xs = np.nonzero(m)
        assert mask_box(m) == (None if ys.size == 0 else (ys.min(), ys.max() + 1, xs.min(), xs.max() + 1))


def _exact_farthest(m, ex):
    """(x, y, d2) from scipy's exact EDT: the independent reference for `farthest_pixel`."""
    from scipy.ndimage import distance_transform_edt

    d2 = np.rint(distance_transform_edt(np.pad(m, 1))[1:-1, 1:-1] ** 2).astype(np.int64)
    if ex is not None:
        ys, xs = ex
        inside = (ys >= 0) & (ys < m.shape[0]) & (xs >= 0) & (xs < m.shape[1])
        d2[ys[inside], xs[inside]] = 0
    flat = int(np.argmax(d2))
    return (0, 0, 0) if d2.flat[flat] == 0 else (flat % m.shape[1], flat // m.shape[1], int(d2.flat[flat]))


def test_farthest_pixel_erosion_ladder_and_transform_equal_the_exact_edt():
    """Thin bands (the erosion ladder), blobs (OpenCV's transform) and the ones between."""
    rng = np.random.default_rng(11)
    ladder = transform = 0
    for t in range(1500):
        h, w = (int(v) for v in rng.integers(1, 60, 2))
        yy, xx = np.mgrid[:h, :w]
        kind = t % 3
        if kind == 0:  # a shifted-mask band, as a decode a few pixels off leaves
            cy, cx, r, s = rng.integers(0, h), rng.integers(0, w), rng.integers(2, 30), rng.integers(1, 9)
            disk = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            m = disk & ~np.roll(disk, (int(s), int(rng.integers(0, s + 1))), (0, 1))
        elif kind == 1:  # blobs of any radius
            m = np.zeros((h, w), bool)
            for _ in range(int(rng.integers(1, 4))):
                cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(1, 25)
                m |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        else:
            m = rng.random((h, w)) < rng.uniform(0.2, 0.97)
        if rng.random() < 0.3:  # a strided crop, as the loop passes
            big = np.zeros((h + 2, w + 3), bool)
            big[1:1 + h, 2:2 + w] = m
            m = big[1:1 + h, 2:2 + w]
        ex = None
        if rng.random() < 0.5 and m.any():
            ys, xs = np.nonzero(m)
            pick = rng.choice(ys.size, int(rng.integers(1, min(ys.size, 8) + 1)), replace=False)
            ex = (ys[pick], xs[pick])
        want = _exact_farthest(m, ex)
        assert farthest_pixel(m, ex) == want, (t, want)
        ladder += 0 < want[2] <= 18
        transform += want[2] > 18
    assert ladder > 300 and transform > 200  # both paths were exercised
