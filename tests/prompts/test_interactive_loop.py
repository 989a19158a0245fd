"""The per-round loop (`run_sample`): SEEM's coupled stop rules, first prompts, text, ablations.

Scripted adapters return chosen masks per object and round, so every expected record below is
derived from the rules, not from a previous run.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pytest

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.data.types import Instance, Sample
from seem_bench.errors import UsageError
from seem_bench.loops.interactive import run_sample, seem_image_iou, seem_keep_iou
from seem_bench.prompts import PROTOCOLS
from seem_bench.prompts.types import Prompts

H, W = 40, 50


def _rect(y0, y1, x0, x1):
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return m


def _ret(m):
    return m


def _sample(*masks, categories=None, sentences=None):
    insts = tuple(Instance(str(i + 1), partial(_ret, m), category_id=(categories or [None] * 9)[i],
                           sentences=(sentences or [()] * 9)[i]) for i, m in enumerate(masks))
    return Sample("img", "test", partial(np.zeros, (H, W, 3), np.uint8), H, W, insts), list(insts)


def _with_iou(gt, iou):
    """A prediction with IoU exactly ``iou`` (a rational k/|gt|): drop pixels from ``gt``."""
    n = int(round(iou * gt.sum()))
    flat = np.flatnonzero(gt)
    out = np.zeros_like(gt)
    out.flat[flat[:n]] = True
    return out


class Scripted(Adapter):
    """Returns ``script[object index][round - 1]`` (the last entry once exhausted); logs calls."""

    name = "scripted"
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point", "box", "scribble", "polygon", "text"},
                                composition=True, memory=True)

    def __init__(self, script, gts, extra=None):
        super().__init__()
        self.script, self.gts, self.extra = script, gts, extra
        self.calls: list[tuple[int, int, Any, Prompts]] = []
        self._count: dict[int, int] = {}

    def encode(self, image):
        return None

    def decode(self, state, prompts: Prompts, memory=None):
        k = next(i for i, g in enumerate(self.gts) if g is self.current)
        r = self._count[k] = self._count.get(k, 0) + 1
        self.calls.append((k, r, memory, Prompts(clicks=list(prompts.clicks), box=prompts.box,
                                                 text=prompts.text, click_radius=prompts.click_radius)))
        seq = self.script[k]
        m = seq[min(r, len(seq)) - 1]
        return Prediction(mask=m, memory=("mem", k, r), extra=self.extra(k, r) if self.extra else {})

    uses_ground_truth = True

    def set_target(self, gt):
        self.current = next(g for g in self.gts if np.array_equal(g, gt))


def _run(protocol, masks, script, params=None, seed=0, extra=None, **kw):
    sample, insts = _sample(*masks, **kw)
    gts = [i.mask() for i in insts]
    adapter = Scripted(script, gts, extra)
    base = {"max_rounds": 6}
    recs = run_sample(adapter, None, sample, insts, PROTOCOLS.get(protocol), {**base, **(params or {})}, seed)
    return recs, adapter


def test_seem_image_stop_couples_objects_and_repeats_last_iou():
    a, b = _rect(2, 12, 2, 22), _rect(20, 30, 10, 30)  # 200 px each
    script = [[_with_iou(a, 0.5), _with_iou(a, 0.95), _with_iou(a, 0.96)],
              [_with_iou(b, 0.5), _with_iou(b, 0.80), _with_iou(b, 0.905)]]
    recs, adapter = _run("seem", [a, b], script)
    ra, rb = recs
    assert ra["ious"] == [0.5, 0.95, 0.96, 0.96, 0.96, 0.96]
    assert rb["ious"] == [0.5, 0.80, 0.905, 0.905, 0.905, 0.905]
    # round 3: A is at 0.95 >= 0.925 -> no new click but still decoded; B clicks
    assert ra["rounds"][2]["prompt"] == {"skip": "click_stop_iou"}
    assert "click" in rb["rounds"][2]["prompt"]
    # after round 3 every object is > 0.9: rounds 4..6 are repeats, never decoded
    assert [r["prompt"] for r in ra["rounds"][3:]] == [{"repeat": "image_stop_iou"}] * 3
    assert all(r["model_s"] == 0.0 for r in rb["rounds"][3:])
    assert len(adapter.calls) == 6
    assert all(p.click_radius == 1 for *_, p in adapter.calls)


def test_ritm_objects_are_independent_and_iou_target_stops_each():
    a, b = _rect(2, 12, 2, 22), _rect(20, 30, 10, 30)
    script = [[_with_iou(a, 0.5), _with_iou(a, 0.95)], [_with_iou(b, 0.5)]]
    recs, _ = _run("ritm", [a, b], script, {"iou_target": 0.9})
    assert recs[0]["ious"] == [0.5, 0.95]  # stopped at its target
    assert recs[1]["ious"] == [0.5] * 6  # never reached: every round, no coupling
    assert all("click" in r["prompt"] for r in recs[1]["rounds"])


def test_seem_keep_rule_is_float32():
    # 37/40 = 0.925 exactly: SEEM stops clicking (not < 0.925)
    t = np.zeros(40, bool)
    t[:] = True
    p = t.copy()
    p[37:] = False
    assert seem_keep_iou(t, p) == np.float32(0.925)
    # I/U just below 0.925 in float64 but equal to it in float32: SEEM's torch code stops there
    # (40 I = 37 U - 1 puts I/U 1/(40 U) below 0.925, inside float32's rounding for U > 1.4e6)
    u = next(u for u in range(1_500_000, 1_500_100) if (37 * u - 1) % 40 == 0)
    i = (37 * u - 1) // 40
    t = np.ones(u, bool)
    p = np.zeros(u, bool)
    p[:i] = True
    assert i / u < 0.925 and seem_keep_iou(t, p) >= np.float32(0.925)
    # empty union: 0 / (0 + 1e-8) = 0 in SEEM (keep clicking), NaN for the image stop
    z = np.zeros((3, 3), bool)
    assert seem_keep_iou(z, z) == 0.0
    assert np.isnan(seem_image_iou(z, z, None))


def test_seem_box_later_clicks_aim_at_the_filled_box():
    gt = np.zeros((H, W), bool)
    gt[5:30, 5:10] = True  # an L
    gt[25:30, 5:40] = True
    box = np.zeros_like(gt)
    box[5:30, 5:40] = True
    # the model returns the filled box: IoU with the box is 1 (>= 0.925) -> SEEM clicks no more,
    # although the true IoU is only |L| / |box|
    recs, _ = _run("seem", [gt], [[box]], {"first_prompt": "box"})
    r = recs[0]
    assert r["rounds"][0]["prompt"]["box"] == [5.0, 5.0, 39.0, 29.0]
    assert {tuple(rd["prompt"]) for rd in r["rounds"][1:]} == {("skip",)}
    assert r["ious"][0] == pytest.approx(gt.sum() / box.sum())
    recs2, _ = _run("seem", [gt], [[box]], {"first_prompt": "box", "seem_box_target": "mask"})
    later = [rd["prompt"]["click"] for rd in recs2[0]["rounds"][1:]]
    assert later and all(c[2] == 0 and not gt[c[1], c[0]] for c in later)  # negatives off the L


def test_first_prompt_kinds_and_fallback():
    gt = _rect(5, 35, 5, 45)
    for kind, key in (("box", "box"), ("scribble", "scribbles"), ("polygon", "polygon")):
        recs, adapter = _run("ritm", [gt], [[gt]], {"first_prompt": kind, "max_rounds": 2})
        assert key in recs[0]["rounds"][0]["prompt"]
        assert "click" in recs[0]["rounds"][1]["prompt"]
    tiny = _rect(3, 4, 3, 5)  # 2 px: the DAVIS robot finds no skeleton -> first click instead
    recs, _ = _run("ritm", [tiny], [[tiny]], {"first_prompt": "scribble", "max_rounds": 1})
    p = recs[0]["rounds"][0]["prompt"]
    assert p["click"] == [3, 3, 1] and "fallback" in p
    with pytest.raises(UsageError, match="makes box prompts"):
        _run("ritm", [gt], [[gt]], {"first_prompt": "scribble", "first_prompt_protocol": "box"})


def test_memory_switch():
    gt = _rect(5, 15, 5, 15)
    _, on = _run("ritm", [gt], [[_with_iou(gt, 0.5)]], {"max_rounds": 3, "memory": True})
    _, off = _run("ritm", [gt], [[_with_iou(gt, 0.5)]], {"max_rounds": 3, "memory": False})
    assert [c[2] for c in on.calls] == [None, ("mem", 0, 1), ("mem", 0, 2)]
    assert [c[2] for c in off.calls] == [None, None, None]


def test_negatives_off_in_the_loop():
    gt = _rect(5, 15, 5, 15)
    over = gt | _rect(20, 35, 20, 45)  # big false positive: ritm and seem would click negative
    recs, _ = _run("ritm", [gt], [[np.zeros_like(gt), over]], {"max_rounds": 3, "negatives": False})
    assert recs[0]["rounds"][2]["prompt"] == {"skip": "no_false_negative"}
    recs, _ = _run("ritm", [gt], [[np.zeros_like(gt), over]], {"max_rounds": 3})
    assert recs[0]["rounds"][2]["prompt"]["click"][2] == 0


def test_oracle_output_picks_best_candidate():
    gt = _rect(5, 15, 5, 15)
    cands = [_with_iou(gt, 0.3), _with_iou(gt, 0.8), _with_iou(gt, 0.6)]
    extra = lambda k, r: {"candidates": cands, "candidate_memory": ["m0", "m1", "m2"]}  # noqa: E731
    recs, adapter = _run("sam", [gt], [[cands[0]]], {"max_rounds": 2, "output": "oracle"}, extra=extra)
    assert recs[0]["ious"] == [0.8, 0.8]
    assert adapter.calls[1][2] == "m1"
    recs, _ = _run("sam", [gt], [[cands[0]]], {"max_rounds": 2}, extra=extra)
    assert recs[0]["ious"] == [0.3, 0.3]  # output=top: the model's own mask


def test_text_composition():
    gt = _rect(5, 15, 5, 15)
    recs, adapter = _run("ritm", [gt], [[gt]], {"text": "class", "class_names": {7: "dog"}, "max_rounds": 2},
                         categories=[7])
    assert recs[0]["rounds"][0]["prompt"]["text"] == "dog."
    assert [c[3].text for c in adapter.calls] == ["dog.", "dog."]
    recs, adapter = _run("ritm", [gt], [[gt]], {"text": "sentence", "max_rounds": 1},
                         sentences=[("The Brown Dog", "a dog")])
    assert adapter.calls[0][3].text == "the brown dog"
    with pytest.raises(UsageError, match="no class name"):
        _run("ritm", [gt], [[gt]], {"text": "class"}, categories=[7])


def test_runs_are_deterministic_and_seeded():
    gt = _rect(5, 35, 5, 45)
    script = [[_with_iou(gt, 0.4), _with_iou(gt, 0.6)]]

    def prompts(seed, proto, params):
        recs, _ = _run(proto, [gt], script, params, seed=seed)
        return [r["prompt"] for r in recs[0]["rounds"]]

    for proto, params in (("sam-random", {}), ("seem", {"first_prompt": "polygon"}),
                          ("seem", {"first_prompt": "scribble"}), ("ritm", {"first_prompt": "box",
                                                                           "first_prompt_protocol": "box-jitter"})):
        assert prompts(1, proto, params) == prompts(1, proto, params)
        assert any(prompts(s, proto, params) != prompts(1, proto, params) for s in (2, 3, 4))
