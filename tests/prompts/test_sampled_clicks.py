"""Sampled clicks (issue 17): the DT^gamma position model, its limits, noise, and parameters."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.ndimage import binary_dilation, distance_transform_edt

from seem_bench.errors import UsageError
from seem_bench.prompts.clicks import ritm_choice, seem_choice
from seem_bench.prompts.protocols import PROTOCOLS, next_click
from seem_bench.prompts.sampled import (
    Sampling,
    click_weights,
    sample_click_position,
    sampled_click,
    sampling_from,
)
from seem_bench.prompts.types import Click


def _blob(rng: np.random.Generator, shape=(40, 48)) -> np.ndarray:
    """A random connected-ish shape: a few dilated random seeds."""
    m = np.zeros(shape, bool)
    for _ in range(rng.integers(1, 4)):
        m[rng.integers(4, shape[0] - 4), rng.integers(4, shape[1] - 4)] = True
    return binary_dilation(m, iterations=int(rng.integers(2, 9)))


def _argmax_set(region: np.ndarray, exclude=None) -> set[tuple[int, int]]:
    """Independent reference: pixels at the largest padded EDT (scipy, squared, rounded)."""
    d2 = np.rint(distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1] ** 2)
    if exclude is not None:
        d2[exclude] = 0
    ys, xs = np.nonzero((d2 == d2.max()) & (d2 > 0))
    return {(int(x), int(y)) for x, y in zip(xs, ys, strict=True)}


@pytest.mark.parametrize("protocol", ["ritm", "seem", "sam"])
def test_large_gamma_gives_the_deterministic_click(protocol):
    """gamma -> inf: the deterministic click whenever the region's maximum is unique, and a
    pixel of the maximum set otherwise; gamma=inf (None) is the deterministic rule itself."""
    proto = PROTOCOLS.get(protocol)
    choose = ritm_choice if protocol != "seem" else seem_choice
    rng = np.random.default_rng(7)
    unique = 0
    for case in range(60):
        gt = _blob(rng)
        pred = _blob(rng) if case % 2 else np.zeros_like(gt)
        clicked = [Click(int(rng.integers(48)), int(rng.integers(40)), bool(rng.integers(2)))
                   for _ in range(case % 3)]
        opts = proto.options({})
        det = proto.click(gt, pred, None, clicked, options=opts)
        kw = {"dt": "exact", "blob_radius": int(opts.get("blob_radius", 0)), "negatives": True}
        choice = choose(gt, pred, None, tuple(clicked), **kw)
        assert choice.click == det
        got = proto.click(gt, pred, None, clicked, options=opts, rng=np.random.default_rng(case),
                          sampling=Sampling(gamma=1e6))
        if choice.region is None:  # RITM's all-zero case: no region, the rule's (0, 0) click
            assert got == det
            continue
        maxima = _argmax_set(choice.region, choice.exclude)
        assert (det.x, det.y) in maxima and (got.x, got.y) in maxima
        assert got.positive == det.positive
        if len(maxima) == 1:
            unique += 1
            assert got == det
    assert unique >= 10  # the exact-equality branch really ran


def test_gamma_inf_is_deterministic_and_gamma_zero_is_uniform_goodness_of_fit():
    region = np.zeros((9, 12), bool)
    region[1:8, 2:6] = True
    region[4:7, 6:11] = True  # an L shape: distances vary a lot
    assert sampling_from({"gamma": "inf"}) is None and sampling_from({"gamma": None}) is None
    n_pix = int(region.sum())
    rng = np.random.default_rng(123)
    n = 200 * n_pix
    counts = np.zeros(region.shape, np.int64)
    for _ in range(n):
        x, y = sample_click_position(region, rng, gamma=0.0)
        counts[y, x] += 1
    assert counts[~region].sum() == 0
    res = stats.chisquare(counts[region])  # uniform expected
    assert res.pvalue > 1e-3, res
    # the same test is sharp enough to reject the wrong law: gamma = 2 is far from uniform
    counts2 = np.zeros(region.shape, np.int64)
    for _ in range(n):
        x, y = sample_click_position(region, rng, gamma=2.0)
        counts2[y, x] += 1
    assert stats.chisquare(counts2[region]).pvalue < 1e-6
    # and gamma = 2 follows its own law, p ∝ d^2 (independent computation of d)
    d2 = distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1] ** 2
    expected = d2[region] / d2[region].sum() * n
    assert stats.chisquare(counts2[region], expected).pvalue > 1e-3


def test_excluded_pixels_are_never_drawn():
    region = np.ones((3, 3), bool)
    excl = (np.array([1]), np.array([1]))  # the centre, the only maximum
    w = click_weights(region, 0.0, excl)
    assert w[1, 1] == 0 and (w[region] > 0).sum() == 8
    rng = np.random.default_rng(0)
    seen = {sample_click_position(region, rng, gamma=3.0, exclude=excl) for _ in range(400)}
    assert (1, 1) not in seen and len(seen) == 8
    assert sample_click_position(region, rng, gamma=1.0, exclude=(np.arange(3).repeat(3),
                                                                    np.tile(np.arange(3), 3))) is None


@pytest.mark.parametrize("sigma", [0.5, 3.0, 25.0])
def test_sigma_noise_never_leaves_the_region(sigma):
    rng = np.random.default_rng(5)
    moved = 0
    for case in range(40):
        region = _blob(rng)
        if case % 4 == 0:
            region &= ~binary_dilation(np.eye(*region.shape, dtype=bool), iterations=1)  # thin cuts
        excl = (rng.integers(0, region.shape[0], 5), rng.integers(0, region.shape[1], 5))
        allowed = region.copy()
        allowed[excl] = False
        for _ in range(30):
            pos = sample_click_position(region, rng, gamma=1.0, sigma=sigma, exclude=excl)
            assert pos is not None
            x, y = pos
            assert allowed[y, x], (case, pos)
            moved += 1
    assert moved == 40 * 30


def test_sampled_click_keeps_polarity_and_falls_back_without_region():
    gt = np.zeros((10, 10), bool)
    gt[2:8, 2:8] = True
    choice = ritm_choice(gt, np.zeros_like(gt))
    c = sampled_click(choice, np.random.default_rng(1), gamma=0.0, sigma=2.0)
    assert c.positive and gt[c.y, c.x]
    perfect = ritm_choice(gt, gt)  # nothing to correct: RITM's negative (0, 0)
    assert perfect.region is None
    assert sampled_click(perfect, np.random.default_rng(1), gamma=0.0) == Click(0, 0, False)


def test_next_click_samples_with_rng_and_refuses_without():
    gt = np.zeros((12, 12), bool)
    gt[2:10, 2:10] = True
    pred = np.zeros_like(gt)
    a = next_click(gt, pred, rng=np.random.default_rng(3), gamma=0)
    b = next_click(gt, pred, rng=np.random.default_rng(3), gamma=0)
    assert a == b and gt[a.y, a.x]
    with pytest.raises(UsageError, match="need rng"):
        next_click(gt, pred, gamma=1)


@pytest.mark.parametrize("opts, msg", [
    ({"gamma": -1}, "gamma must be"), ({"gamma": "abc"}, "gamma must be"),
    ({"gamma": 1, "sigma": -2}, "sigma must be"), ({"gamma": 1, "draws": 0}, "draws must be"),
    ({"gamma": 1, "draws": 1.5}, "draws must be"), ({"gamma": 1, "worst_of": 0}, "worst_of must be"),
    ({"draws": 5}, "draws need sampled clicks"), ({"sigma": 1.0, "worst_of": 3}, "sigma, worst_of need"),
])
def test_bad_sampling_parameters_are_refused(opts, msg):
    with pytest.raises(UsageError, match=msg):
        sampling_from(opts)


def test_header_records_sampling_only_when_on():
    from seem_bench.runner import _protocol_json
    from seem_bench.tasks import get_task

    plain = _protocol_json(get_task("interactive").with_overrides([]))
    assert "sampling" not in plain and "gamma" not in plain["params"]
    task = get_task("interactive").with_overrides(["gamma=2", "draws=5", "worst_of=4"])
    on = _protocol_json(task)
    assert on["sampling"] == {"variant": "worst-of-4", "gamma": 2.0, "sigma": 0.0, "draws": 5,
                              "worst_of": 4}
    assert task.params["gamma"] == 2.0 and on["params"] == plain["params"]  # a task parameter, not an option


@pytest.mark.parametrize("overrides, msg", [
    (["gamma=-1"], "parameter gamma must be >= 0"), (["gamma=2", "draws=0"], "parameter draws must be >= 1"),
    (["draws=3"], "draws need sampled clicks"), (["gamma=1", "worst_of=1.5"], "parameter worst_of must be an integer"),
    (["sigma=2"], "sigma need sampled clicks"),
])
def test_sampling_parameters_are_typed_task_parameters(overrides, msg):
    from seem_bench.tasks import get_task

    with pytest.raises(UsageError, match=msg):
        get_task("interactive").with_overrides(overrides)


def test_gamma_inf_is_the_deterministic_null():
    from seem_bench.tasks import get_task

    for spelling in ("inf", ".inf"):
        assert get_task("interactive").with_overrides([f"gamma={spelling}"]).params["gamma"] is None


def test_seem_official_refuses_sampled_clicks_and_tasks_need_the_robustness_evaluator():
    from seem_bench.loops.interactive_kind import InteractiveKind
    from seem_bench.tasks import get_task

    kind = InteractiveKind()
    with pytest.raises(UsageError, match="seem-official has no sampled clicks"):
        kind.check_task(get_task("interactive").with_overrides(["protocol=seem-official", "gamma=1"]))
    task = get_task("interactive").with_overrides(["gamma=1", "draws=2"])
    kind.check_task(task)  # the interactive task lists the robustness evaluator
    task.evaluators = ["interactive"]
    with pytest.raises(UsageError, match="need the robustness evaluator"):
        kind.check_task(task)
