"""The pure parts of the SEEM adapter (the runtime needs detectron2 + a GPU: not available here).

References: torchvision's own ``Resize`` (the official dataset mapper's transform) for the
resized size; closed-form cells for prompt rasterisation (click squares sized by
``Prompts.click_radius``, scribble/polygon masks of the simulators used as given); OpenCV bilinear (half-pixel centres,
the same rule as ``F.interpolate(align_corners=False)``) for the output up-sampling.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from seem_bench.baselines.seem import (
    batch_key,
    grounding_batch_size,
    input_sizes,
    mask_to_grid,
    padded_hw,
    postprocess_logits,
    rasterize_prompts,
    resized_hw,
    select_grounding,
    spatial_extra,
    to_grid,
)
from torchvision import transforms
from torchvision.transforms import InterpolationMode

from seem_bench.adapters.base import DecodeRequest
from seem_bench.adapters.registry import model_class
from seem_bench.errors import UsageError
from seem_bench.prompts.types import Box, Click, Polygon, Prompts, Scribble


@pytest.mark.parametrize("min_size,max_size", [(800, 1333), (1000, 1024), (512, 1024)])
@pytest.mark.parametrize("hw", [(100, 200), (200, 100), (375, 500), (500, 375), (333, 333), (480, 854),
                                (1000, 1000), (97, 61)])
def test_resized_size_equals_torchvision_resize(hw, min_size, max_size):
    h, w = hw
    tf = transforms.Resize(min_size, interpolation=InterpolationMode.BICUBIC, max_size=max_size)
    out = tf(Image.new("RGB", (w, h)))
    assert resized_hw(h, w, min_size, max_size) == (out.size[1], out.size[0])


def test_padding_and_grid_mapping_closed_form():
    assert padded_hw(666, 1333, 32) == (672, 1344)
    assert padded_hw(768, 1024, 1024) == (1024, 1024)
    assert padded_hw(5, 7, 0) == (5, 7)
    # (x + 0.5) * 1333 / 200 = 69.98 -> 69; (y + 0.5) * 666 / 100 = 136.53 -> 136
    assert to_grid(10, 20, (100, 200), (666, 1333)) == (69, 136)
    assert to_grid(199, 99, (100, 200), (666, 1333)) == (1329, 662)  # 199.5 * 6.665, 99.5 * 6.66
    assert to_grid(9, 9, (10, 10), (10, 10)) == (9, 9)
    assert to_grid(0, 0, (100, 200), (50, 100)) == (0, 0)


def test_click_is_a_3x3_square_on_the_network_grid():
    orig, net = (100, 200), (666, 1333)
    pad = padded_hw(*net, 32)
    pos, neg = rasterize_prompts(Prompts(clicks=[Click(10, 20, True), Click(0, 0, False)], click_radius=1),
                                 orig, net, pad)
    expect_pos = np.zeros(pad, bool)
    expect_pos[135:138, 68:71] = True
    expect_neg = np.zeros(pad, bool)
    expect_neg[2:5, 2:5] = True  # pixel (0, 0) covers cells 0..6: its centre 0.5 * 6.66 is in cell 3
    np.testing.assert_array_equal(pos, expect_pos)
    np.testing.assert_array_equal(neg, expect_neg)
    # At scale 1 the last pixel's square is clipped by the image border and does not spill into
    # the padding (SEEM draws on the resized image, then pads).
    pos, _ = rasterize_prompts(Prompts(clicks=[Click(9, 9, True)], click_radius=1), (10, 10), (10, 10), (32, 32))
    expect = np.zeros((32, 32), bool)
    expect[8:10, 8:10] = True
    np.testing.assert_array_equal(pos, expect)


@pytest.mark.parametrize("radius", [0, 1, 2])
def test_click_square_follows_the_prompts_click_radius(radius):
    """The loop sets click_radius (seem protocol: 1 = SEEM's 3x3; ritm/sam: 0 = one cell)."""
    pos, neg = rasterize_prompts(Prompts(clicks=[Click(10, 20, True)], click_radius=radius),
                                 (100, 200), (666, 1333), (672, 1344))
    expect = np.zeros((672, 1344), bool)
    expect[136 - radius:137 + radius, 69 - radius:70 + radius] = True  # around cell (69, 136)
    np.testing.assert_array_equal(pos, expect)
    assert not neg.any()


def test_box_fills_the_cells_whose_centres_lie_inside():
    orig, net = (10, 20), (20, 40)  # scale 2
    pos, neg = rasterize_prompts(Prompts(box=Box(2, 3, 7, 6)), orig, net, net)
    expect = np.zeros(net, bool)
    expect[6:12, 4:14] = True  # [3, 6) * 2 rows, [2, 7) * 2 columns
    np.testing.assert_array_equal(pos, expect)
    assert not neg.any()


def test_scribble_and_polygon_strokes():
    orig = net = (40, 40)
    s = Scribble(np.array([[5.0, 20.0], [35.0, 20.0]]), positive=False)
    pos, neg = rasterize_prompts(Prompts(scribbles=[s]), orig, net, net)
    assert not pos.any()
    rows = np.flatnonzero(neg.any(1))
    assert rows.tolist() == [19, 20, 21]  # 3 cells wide
    poly = Polygon(np.array([[10.0, 10.0], [30.0, 10.0], [30.0, 30.0], [10.0, 30.0]]))
    pos, _ = rasterize_prompts(Prompts(polygons=[poly]), orig, net, net)
    # Outline dilated 5 times with a 3x3 square: 5 cells each side of the 1-px line.
    assert pos[20, 5:16].all() and not pos[20, 4] and not pos[20, 16]
    assert not pos[20, 20]  # the outline, not the filled polygon


def test_scribble_and_polygon_masks_are_used_as_given():
    orig, net = (10, 20), (20, 40)  # scale 2: every pixel is a 2x2 block of cells
    smask = np.zeros(orig, bool)
    smask[2, 3:9] = True
    smask[7, 15] = True
    pmask = np.zeros(orig, bool)
    pmask[5, 5] = True
    far = np.array([[0.0, 0.0], [19.0, 9.0]])  # the points are not redrawn when a mask is given
    p = Prompts(scribbles=[Scribble(far, positive=True, mask=smask)],
                polygons=[Polygon(far, positive=False, mask=pmask)])
    pos, neg = rasterize_prompts(p, orig, net, (32, 48))
    expect = np.zeros((32, 48), bool)
    expect[:20, :40] = np.kron(smask, np.ones((2, 2), bool))
    np.testing.assert_array_equal(pos, expect)
    expect[:] = False
    expect[10:12, 10:12] = True
    np.testing.assert_array_equal(neg, expect)
    # Down-scaled, a 1-pixel stroke keeps a cell for every pixel and stays off the padding.
    line = np.zeros((40, 40), bool)
    line[13, 5:35] = True
    grid = mask_to_grid(line, (20, 20), (32, 32))
    assert grid[6, 2:18].all() and grid.sum() == 16 and not grid[20:].any() and not grid[:, 20:].any()
    with pytest.raises(ValueError, match="mask is"):
        rasterize_prompts(Prompts(scribbles=[Scribble(far, mask=np.zeros((3, 3), bool))]), orig, net, net)


def test_spatial_extra_has_the_evaluators_layout():
    extra = spatial_extra(Prompts(clicks=[Click(3, 4, True)], click_radius=1), (10, 10), (20, 20), (32, 32))
    assert set(extra) == {"spatial_query_pos_mask", "spatial_query_neg_mask"}
    for v in extra.values():
        assert len(v) == 1 and v[0].shape == (1, 32, 32) and v[0].dtype == bool
    assert extra["spatial_query_pos_mask"][0].sum() == 9 and not extra["spatial_query_neg_mask"][0].any()


def test_grounding_selection_is_cosine_argmax():
    v = np.array([[10.0, 0.0], [1.0, 1.0], [0.0, 0.1]], np.float32)
    assert select_grounding(v, np.array([[0.0, 3.0]])) == [2]  # scale does not matter, direction does
    assert select_grounding(v, np.array([[1.0, 0.9]])) == [1]
    assert select_grounding(np.ones((3, 2)), np.array([[1.0, 1.0]])) == [0]  # ties: first
    # several sentences of one pass: one query each, independently (a query may answer two)
    assert select_grounding(v, np.array([[0.0, 3.0], [1.0, 0.9], [5.0, 0.0], [0.0, 1.0]]), 2.0) == [2, 1, 0, 2]
    # the positive scale exp(logit_scale), clamped at 100, never changes the choice
    assert select_grounding(v, np.array([[1.0, 0.9]]), 50.0) == [1]


def test_grounding_batch_option_and_request_grouping():
    assert grounding_batch_size("image") == 0 and grounding_batch_size(1) == 1 and grounding_batch_size("4") == 4
    for bad in ("0", "-2", "all", None):
        with pytest.raises(UsageError, match="grounding_batch"):
            grounding_batch_size(bad)
    a, b = object(), object()
    text = DecodeRequest(a, Prompts(text="the dog"))
    click = DecodeRequest(a, Prompts(clicks=[Click(1, 1, True)]))
    composed = DecodeRequest(a, Prompts(clicks=[Click(1, 1, True)], text="dog."))
    assert batch_key(text, 1, 1) == (None, 1)  # defaults: everything alone
    assert batch_key(text, 5, 0) == (("grounding", id(a)), 0)
    assert batch_key(DecodeRequest(b, Prompts(text="x")), 5, 3) == (("grounding", id(b)), 3)
    assert batch_key(click, 5, 0) == (("spatial", id(a), True), 5)
    assert batch_key(click, 1, 0) == (None, 1)
    assert batch_key(composed, 5, 0) == (None, 1)  # text + visual: never batched


def test_output_upsampling_matches_bilinear_reference():
    rng = np.random.default_rng(0)
    low = rng.normal(size=(16, 24)).astype(np.float32)
    pad, net, orig = (64, 96), (60, 90), (45, 70)
    got = postprocess_logits(low, pad, net, orig)
    ref = cv2.resize(low, (pad[1], pad[0]), interpolation=cv2.INTER_LINEAR)[:net[0], :net[1]]
    ref = cv2.resize(ref, (orig[1], orig[0]), interpolation=cv2.INTER_LINEAR)
    assert got.shape == orig and got.dtype == np.float32
    np.testing.assert_allclose(got, ref, atol=1e-4)


def test_input_sizes_come_from_the_config_section():
    opt = {"VOC": {"INPUT": {"MIN_SIZE_TEST": 800, "MAX_SIZE_TEST": 1333}},
           "REF": {"INPUT": {"MIN_SIZE_TEST": 512, "MAX_SIZE_TEST": 1024}}}
    assert input_sizes(opt, "VOC") == (800, 1333)
    assert input_sizes(opt, "REF") == (512, 1024)
    with pytest.raises(UsageError, match="no DAVIS.INPUT"):
        input_sizes(opt, "DAVIS")


def test_seem_availability_says_why_not(tmp_path, monkeypatch):
    """Without SEEM's requirements in this process and without a SEEM environment, not runnable."""
    monkeypatch.setenv("SEEM_BENCH_SEEM_ENV", str(tmp_path / "no-env"))
    fake = tmp_path / "seem"
    (fake / "modeling" / "architectures").mkdir(parents=True)
    (fake / "configs" / "seem").mkdir(parents=True)
    for name in ("seem_t", "seem_b", "seem_l", "seem_t_v0", "seem_l_v0"):
        cls = model_class(name)
        (fake / "configs" / "seem" / cls.config_name).write_text("")
        ok, reason = cls.availability(seem_root=str(fake), checkpoint="random")
        assert not ok and "detectron2" in reason and "scripts/seem_env.sh" in reason
        ok, reason = cls.availability(seem_root=str(tmp_path), checkpoint="random")
        assert not ok and "not a SEEM checkout" in reason
        ok, reason = cls.availability(checkpoint=str(tmp_path / "x.pt"))
        assert not ok and "x.pt not found" in reason and "--checkpoint random" in reason
        ok, reason = cls.availability(checkpoint="random")
        assert not ok and "no SEEM environment" in reason and "scripts/seem_env.sh" in reason
    assert "ref_image" in model_class("seem_t_v0").capabilities.prompts
    assert "ref_image" not in model_class("seem_t").capabilities.prompts  # released v1 code cannot


def test_a_bad_grounding_batch_is_one_line_before_the_bridge_starts(tmp_path):
    from seem_bench.adapters.seem_bridge import SeemBridge

    with pytest.raises(UsageError, match="grounding_batch must be 'image' or an integer"):
        SeemBridge("seem_t", tmp_path / "no-env", grounding_batch="all")
