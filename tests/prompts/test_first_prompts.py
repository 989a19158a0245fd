"""Box, scribble and polygon first prompts: geometry from SPEC §2 / the SEEM samplers, seeding."""

from __future__ import annotations

import numpy as np
import pytest
from prompt_mask_cases import random_gt
from prompt_plain_reference import first_max, padded_edt

from seem_bench.errors import UsageError
from seem_bench.prompts import FIRST_PROMPTS, prompt_rng
from seem_bench.prompts.boxes import jitter_box, seem_box_region, tight_box
from seem_bench.prompts.first import default_first_prompt
from seem_bench.prompts.seem_shapes import closed_bezier, seem_polygon, seem_scribble
from seem_bench.prompts.types import Box


def test_tight_box_is_inclusive_min_max():
    rng = np.random.default_rng(0)
    for _ in range(100):
        gt = random_gt(rng, int(rng.integers(5, 40)), int(rng.integers(5, 40)))
        ys, xs = np.nonzero(gt)
        box = tight_box(gt)
        if xs.size == 0:
            assert box is None
        else:
            assert box == Box(xs.min(), ys.min(), xs.max(), ys.max())
    one = np.zeros((6, 7), bool)
    one[4, 3] = True
    assert tight_box(one) == Box(3, 4, 3, 4)


def test_box_jitter_statistics_cap_clamp_and_seed():
    box = Box(100, 100, 150, 300)  # sides 50 (x) and 200 (y)
    xs, ys = [], []
    for s in range(2000):
        b = jitter_box(box, (1000, 1000), prompt_rng(s, "img", "1", 1))
        xs.append(b.x0 - 100)
        ys.append(b.y0 - 100)
    xs, ys = np.array(xs), np.array(ys)
    assert abs(xs.std() - 5.0) < 0.3  # N(0, 0.1 * 50), well inside the 20 px cap
    assert np.abs(ys).max() <= 20.0 and np.mean(np.abs(ys) == 20.0) > 0.25  # sd 20: ~32 % capped
    a = jitter_box(box, (1000, 1000), prompt_rng(7, "img", "1", 1))
    assert a == jitter_box(box, (1000, 1000), prompt_rng(7, "img", "1", 1))
    near = jitter_box(Box(0, 0, 3, 3), (4, 4), np.random.default_rng(1), frac=10.0, cap=20.0)
    assert 0 <= near.x0 <= near.x1 <= 3 and 0 <= near.y0 <= near.y1 <= 3


def test_seem_box_clicks_the_filled_box_and_targets_it():
    gt = np.zeros((20, 30), bool)
    gt[2:18, 3:7] = True  # an L: vertical bar plus a foot
    gt[14:18, 3:25] = True
    region = seem_box_region(gt)
    assert region.sum() == 16 * 22 and region[2:18, 3:25].all()
    first = FIRST_PROMPTS.get("seem-box")(gt, None, np.random.default_rng(0))
    x, y = first_max(padded_edt(region))
    assert [(c.x, c.y, c.positive) for c in first.clicks] == [(x, y, True)]
    assert not gt[y, x]  # the filled box's centre lies outside this object
    assert first.click_target is not None and (first.click_target == region).all()
    assert first.prompted.sum() == 9 and first.prompted[y - 1:y + 2, x - 1:x + 2].all()
    as_mask = FIRST_PROMPTS.get("seem-box")(gt, None, np.random.default_rng(0), {"seem_box_target": "mask"})
    assert as_mask.click_target is None
    with pytest.raises(UsageError, match="seem_box_target"):
        FIRST_PROMPTS.get("seem-box")(gt, None, np.random.default_rng(0), {"seem_box_target": "x"})


def test_seem_scribble_inside_object_and_seeded():
    rng = np.random.default_rng(1)
    masks = set()
    for s in range(30):
        gt = random_gt(rng, 64, 80)
        if gt.sum() < 30:
            continue
        a = seem_scribble(gt, prompt_rng(s, "i", "1", 1))
        b = seem_scribble(gt, prompt_rng(s, "i", "1", 1))
        if a is None:
            assert b is None
            continue
        assert a.positive and a.mask.any() and not (a.mask & ~gt).any()
        np.testing.assert_array_equal(a.mask, b.mask)
        np.testing.assert_array_equal(a.points, b.points)
        masks.add(a.mask.tobytes())
    assert len(masks) > 10  # different objects/seeds, different strokes


def test_closed_bezier_passes_through_its_points_and_closes():
    pts = np.array([[0.2, 0.1], [0.8, 0.3], [0.5, 0.9]])
    curve = closed_bezier(pts)
    assert curve.shape == (300, 2)
    np.testing.assert_allclose(curve[0], curve[-1])  # closed outline
    for seg in range(3):  # each cubic segment starts at one of the points
        assert np.min(np.abs(pts - curve[seg * 100]).sum(axis=1)) < 1e-12


def test_seem_polygon_lies_in_the_gt_box():
    rng = np.random.default_rng(2)
    for s in range(40):
        gt = random_gt(rng, 48, 64)
        poly = seem_polygon(gt, prompt_rng(s, "i", "1", 1))
        box = tight_box(gt)
        if box is None:
            assert poly is None
            continue
        ys, xs = np.nonzero(poly.mask)
        assert xs.size >= 1
        assert box.x0 <= xs.min() and xs.max() <= box.x1 and box.y0 <= ys.min() and ys.max() <= box.y1
    one = np.zeros((5, 5), bool)
    one[2, 3] = True
    p = seem_polygon(one, np.random.default_rng(0))
    assert np.argwhere(p.mask).tolist() == [[2, 3]]  # one point: the outline is a single pixel


def test_davis_robot_first_prompt_and_defaults():
    gt = np.zeros((40, 60), bool)
    gt[5:35, 10:50] = True
    fp = FIRST_PROMPTS.get("davis-robot")(gt, None, np.random.default_rng(0))
    assert fp.scribbles and all(s.positive for s in fp.scribbles)
    assert fp.prompted is not None and (fp.prompted & gt).sum() > 0.9 * fp.prompted.sum()
    tiny = np.zeros((40, 60), bool)
    tiny[3, 3:5] = True  # 2 pixels: no skeleton component of 4 nodes -> nothing
    assert FIRST_PROMPTS.get("davis-robot")(tiny, None, np.random.default_rng(0)) is None
    assert default_first_prompt("box", "ritm") == "box"
    assert default_first_prompt("box", "seem") == "seem-box"
    assert default_first_prompt("scribble", "sam") == "davis-robot"
    assert default_first_prompt("scribble", "seem-kornia") == "seem-scribble"
    assert default_first_prompt("point", "seem") is None
    with pytest.raises(UsageError, match="unknown first_prompt"):
        default_first_prompt("lasso", "ritm")
