"""``ritm`` and ``seem`` clicks equal an independent transcription of SPEC §2 (0 mismatches).

1,200 random mask pairs per protocol at 24x32 .. 64x64 (shapes touching the border, ignore bands,
earlier clicks, empty and perfect predictions), click sequences driven by a toy model, a few
480x854 pairs, and hand-made edge cases whose answer is derived in the comments.
"""

from __future__ import annotations

import numpy as np
import pytest
from prompt_mask_cases import random_case, random_gt, random_pred
from prompt_plain_reference import ritm_reference, seem_reference

from seem_bench.prompts import Click, next_click
from seem_bench.prompts.clicks import ritm_click, seem_click

N_PAIRS = 1200


def _ours(protocol, gt, pred, ignore, clicks, **kw):
    c = next_click(gt, pred, protocol=protocol, ignore=ignore,
                   clicked=[Click(x, y, p) for x, y, p in clicks], **kw)
    return c.x, c.y, c.positive


def test_ritm_random_pairs_match_reference():
    rng = np.random.default_rng(20240401)
    mismatches, positives = [], 0
    for i in range(N_PAIRS):
        gt, pred, ignore, clicks = random_case(rng)
        ref = ritm_reference(gt, pred, ignore, clicks)
        positives += ref[2]
        if _ours("ritm", gt, pred, ignore, clicks) != ref:
            mismatches.append(i)
    assert mismatches == []
    assert 0.2 * N_PAIRS < positives < 0.9 * N_PAIRS  # both polarities well exercised


def test_seem_random_pairs_match_reference():
    rng = np.random.default_rng(20240402)
    mismatches, positives = [], 0
    for i in range(N_PAIRS):
        gt, pred, ignore, clicks = random_case(rng)
        ref = seem_reference(gt, pred, clicks)
        positives += ref[2]
        if _ours("seem", gt, pred, ignore, clicks) != ref:
            mismatches.append(i)
    assert mismatches == []
    assert 0.2 * N_PAIRS < positives < 0.9 * N_PAIRS


def test_seem_prompted_region_is_excluded():
    rng = np.random.default_rng(7)
    for _ in range(200):
        gt, pred, _, clicks = random_case(rng)
        prompted = random_gt(rng, *gt.shape) & (rng.random(gt.shape) < 0.5)
        ref = seem_reference(gt, pred, clicks, prompted=prompted)
        c = next_click(gt, pred, protocol="seem", clicked=[Click(*t) for t in clicks], prompted=prompted)
        assert (c.x, c.y, c.positive) == ref


def _disk_model(shape, clicks, radius=4):
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    out = np.zeros(shape, bool)
    for c in clicks:
        d = (yy - c.y) ** 2 + (xx - c.x) ** 2 <= radius ** 2
        out = out | d if c.positive else out & ~d
    return out


@pytest.mark.parametrize("protocol,ref", [("ritm", ritm_reference), ("seem", seem_reference)])
def test_click_sequences_match_reference(protocol, ref):
    """Whole 10-click sequences, each prediction from the clicks so far (as a run does)."""
    rng = np.random.default_rng(11)
    for _ in range(40):
        gt = random_gt(rng, int(rng.integers(24, 65)), int(rng.integers(32, 65)))
        clicks: list[Click] = []
        pred = np.zeros_like(gt)
        for _ in range(10):
            tup = [(c.x, c.y, c.positive) for c in clicks]
            expect = ref(gt, pred, None, tup) if protocol == "ritm" else ref(gt, pred, tup)
            c = next_click(gt, pred, protocol=protocol, clicked=clicks)
            assert (c.x, c.y, c.positive) == expect
            clicks.append(c)
            pred = _disk_model(gt.shape, clicks)


def test_full_resolution_pairs_match_reference():
    rng = np.random.default_rng(3)
    for _ in range(3):
        gt = random_gt(rng, 480, 854)
        pred = random_pred(rng, gt)
        assert _ours("ritm", gt, pred, None, []) == ritm_reference(gt, pred)
        assert _ours("seem", gt, pred, None, []) == seem_reference(gt, pred)


# --- edge cases, each with its answer derived by hand -------------------------------------------

def _square(h=9, w=9, y0=2, y1=7, x0=2, x1=7):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_empty_prediction_first_click_is_object_centre():
    gt = _square()  # 5x5 block at rows/cols 2..6: centre (4, 4) is 3 px from outside
    for proto in ("ritm", "seem", "sam"):
        assert next_click(gt, np.zeros_like(gt), protocol=proto) == Click(4, 4, True)


def test_perfect_prediction():
    gt = _square()
    # ritm: both maps zero -> tie -> negative at the first zero of fp_dt, (0, 0)
    assert next_click(gt, gt, protocol="ritm") == Click(0, 0, False)
    # seem: |fn| = |fp| = 0 -> negative, empty region -> all-zero DT -> (0, 0)
    assert next_click(gt, gt, protocol="seem") == Click(0, 0, False)


def test_border_counts_as_boundary():
    # Object = the full left 4 columns of a 7x10 image. Without padding the farthest pixel would
    # be at column 0; with the border as boundary the DT peaks at distance 2 in columns 1..2,
    # rows 1..5 -> first in row-major order is (x=1, y=1).
    gt = np.zeros((7, 10), bool)
    gt[:, :4] = True
    assert next_click(gt, np.zeros_like(gt), protocol="ritm") == Click(1, 1, True)
    assert next_click(gt, np.zeros_like(gt), protocol="seem") == Click(1, 1, True)
    assert ritm_reference(gt, np.zeros_like(gt)) == (1, 1, True)


def test_ignore_region_is_never_clicked_by_ritm():
    gt = _square()
    ignore = np.zeros_like(gt)
    ignore[3:6, 3:6] = True  # hides the centre; remaining ring is 1 px from the hole -> dist 1
    c = next_click(gt, np.zeros_like(gt), protocol="ritm", ignore=ignore)
    assert not ignore[c.y, c.x] and gt[c.y, c.x]
    assert c == Click(2, 2, True)  # every ring pixel has DT 1: first in row-major order


def test_seem_counts_void_as_background():
    # pred covers the object plus a void (ignore) strip of 6 px: SEEM's binary masks make that
    # strip a false positive, so the click is negative inside it.
    gt = _square()
    ignore = np.zeros_like(gt)
    ignore[0, 1:7] = True
    pred = gt | ignore
    c = next_click(gt, pred, protocol="seem", ignore=ignore)
    assert c == Click(1, 0, False)
    # ritm excludes the strip: nothing left -> tie at (0, 0), negative
    assert next_click(gt, pred, protocol="ritm", ignore=ignore) == Click(0, 0, False)


def test_every_candidate_pixel_already_clicked():
    gt = np.zeros((5, 5), bool)
    gt[2, 2] = True  # one-pixel object, already clicked
    clicked = [Click(2, 2, True)]
    # ritm: not-clicked map zeroes it -> both maxima 0 -> negative at (0, 0)
    assert next_click(gt, np.zeros_like(gt), protocol="ritm", clicked=clicked) == Click(0, 0, False)
    # seem: the 3x3 blob covers it -> |fn| = 0 = |fp| -> negative at (0, 0)
    assert next_click(gt, np.zeros_like(gt), protocol="seem", clicked=clicked) == Click(0, 0, False)


def test_ties_go_to_first_pixel_row_major():
    # Two identical 3x3 objects; the one further down-left must lose to the one higher up.
    gt = np.zeros((10, 10), bool)
    gt[6:9, 0:3] = True
    gt[1:4, 6:9] = True
    assert next_click(gt, np.zeros_like(gt), protocol="ritm") == Click(7, 2, True)
    # Equal FN and FP maxima: ritm's tie is negative
    gt2 = np.zeros((10, 10), bool)
    gt2[1:4, 1:4] = True
    pred2 = np.zeros_like(gt2)
    pred2[6:9, 6:9] = True
    assert next_click(gt2, pred2, protocol="ritm") == Click(7, 7, False)
    # seem: equal areas (9 = 9) -> negative as well
    assert next_click(gt2, pred2, protocol="seem") == Click(7, 7, False)


def test_seem_area_rule_differs_from_ritm_distance_rule():
    # FN: a 1-px-wide line of 20 px (max DT 1); FP: a 3x3 block (9 px, max DT 2).
    gt = np.zeros((12, 24), bool)
    gt[1, 2:22] = True
    pred = np.zeros_like(gt)
    pred[6:9, 6:9] = True
    assert next_click(gt, pred, protocol="ritm") == Click(7, 7, False)  # 2 > 1: negative
    assert next_click(gt, pred, protocol="seem") == Click(2, 1, True)  # 20 > 9 px: positive


def test_negatives_off_takes_the_fn_click():
    gt = np.zeros((12, 24), bool)
    gt[1, 2:22] = True
    pred = np.zeros_like(gt)
    pred[6:9, 6:9] = True
    pred[1, 2:22] = True  # no FN left at all
    assert next_click(gt, pred, protocol="ritm", negatives=False) is None
    assert next_click(gt, pred, protocol="seem", negatives=False) is None
    pred[1, 2:5] = False  # 3 FN pixels, FP block still dominates by distance and area
    assert next_click(gt, pred, protocol="ritm", negatives=False) == Click(2, 1, True)
    assert next_click(gt, pred, protocol="seem", negatives=False) == Click(2, 1, True)
    assert next_click(gt, pred, protocol="seem").positive is False


def test_ritm_click_functions_agree_with_public_entry():
    rng = np.random.default_rng(5)
    for _ in range(50):
        gt, pred, ignore, clicks = random_case(rng)
        cl = [Click(*t) for t in clicks]
        assert ritm_click(gt, pred, ignore, cl) == next_click(gt, pred, ignore=ignore, clicked=cl)
        assert seem_click(gt, pred, ignore, cl) == next_click(gt, pred, protocol="seem", clicked=cl)


def test_unknown_protocol_and_option_are_one_line_errors():
    from seem_bench.errors import UsageError

    gt = _square()
    with pytest.raises(UsageError, match="Did you mean 'seem'"):
        next_click(gt, gt, protocol="seemm")
    with pytest.raises(UsageError, match="no option"):
        next_click(gt, gt, protocol="ritm", dt="kornia")
    with pytest.raises(UsageError, match="dt must be"):
        next_click(gt, gt, protocol="seem", dt="approx")
    with pytest.raises(UsageError, match="one shape"):
        next_click(gt, gt[:3], protocol="ritm")


def test_clicks_are_repeatable_despite_opencv_noise():
    """OpenCV's float32 DT varies in the last bit between calls (threading); ties must not."""
    rng = np.random.default_rng(20240401)
    for _ in range(300):
        gt, pred, ignore, clicks = random_case(rng)
        cl = [Click(*t) for t in clicks]
        first = next_click(gt, pred, protocol="ritm", ignore=ignore, clicked=cl)
        assert all(next_click(gt, pred, protocol="ritm", ignore=ignore, clicked=cl) == first
                   for _ in range(4))
        assert (first.x, first.y, first.positive) == ritm_reference(gt, pred, ignore, clicks)


def test_farthest_pixel_beyond_1000px_uses_exact_edt():
    from seem_bench.prompts.distance import farthest_pixel

    m = np.ones((2005, 2201), bool)  # DT max 1003 at rows/cols 1002..1002+: first is (1002, 1002)
    x, y, d2 = farthest_pixel(m)
    assert (x, y, d2) == (1002, 1002, 1003 ** 2)
