"""SAM adapter against the real ``segment_anything`` package with random weights.

What is checked: one image-encoder forward per image whatever the number of rounds (also when
images are interleaved); clicks and boxes reach the prompt encoder at ResizeLongestSide
coordinates computed here in closed form; masks come back at the original size and equal a
direct ``SamPredictor`` call; memory feeds the low-res logits back as ``mask_input``; every
candidate comes back in ``extra`` (original size, model order) with ``top`` = highest predicted
IoU, and the interactive loop's ``output=oracle`` picks the candidate closest to the GT and
feeds its logits back.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from adapter_helpers import TINY_SAM, random_image
from seem_bench.baselines.sam import arch_from_state_dict, candidates_prediction
from segment_anything import SamPredictor

from seem_bench.adapters.base import Adapter, Capabilities
from seem_bench.adapters.cache import with_feature_cache
from seem_bench.adapters.registry import build_model
from seem_bench.data.types import Instance, Sample
from seem_bench.errors import MissingDependencyError, UsageError
from seem_bench.loops.interactive import run_sample
from seem_bench.metrics.iou import mask_iou
from seem_bench.prompts.protocols import PROTOCOLS
from seem_bench.prompts.types import Box, Click, Prompts


@pytest.fixture(scope="module")
def sam(tiny_sam_checkpoint):
    return build_model("sam_b", checkpoint=str(tiny_sam_checkpoint), arch="auto", device="cpu")


def _count_calls(module: torch.nn.Module) -> list:
    calls: list = []
    module.register_forward_hook(lambda m, i, o: calls.append(1))
    return calls


def _expected_scale(h: int, w: int) -> tuple[float, float]:
    # ResizeLongestSide(1024): the longer side becomes 1024, the other rounds half up.
    s = 1024 / max(h, w)
    return int(w * s + 0.5) / w, int(h * s + 0.5) / h


def test_encoder_runs_once_per_image_whatever_the_rounds(sam):
    calls = _count_calls(sam.model.image_encoder)
    imgs = [random_image(120, 160, 1), random_image(90, 70, 2)]
    states = [sam.encode(im) for im in imgs]
    assert len(calls) == 2
    # Interleave rounds of the two images: states must not leak into each other.
    prompts = [Prompts(), Prompts()]
    interleaved = [[], []]
    mem = [None, None]
    for r in range(3):
        for i, im in enumerate(imgs):
            h, w = im.shape[:2]
            prompts[i].clicks.append(Click((7 * r + 3) % w, (5 * r + 2) % h, r % 2 == 0))
            out = sam.decode(states[i], prompts[i], mem[i])
            mem[i] = out.memory
            interleaved[i].append(out.mask)
    assert len(calls) == 2
    # The same rounds image by image give the same masks.
    for i in range(2):
        p, m = Prompts(), None
        for r in range(3):
            p.clicks.append(prompts[i].clicks[r])
            out = sam.decode(states[i], p, m)
            m = out.memory
            np.testing.assert_array_equal(out.mask, interleaved[i][r])


def test_click_and_box_reach_the_prompt_encoder_transformed(sam):
    h, w = 333, 500
    state = sam.encode(random_image(h, w, 3))
    seen = {}

    def grab(module, args, kwargs):
        seen.update(kwargs)

    handle = sam.model.prompt_encoder.register_forward_pre_hook(grab, with_kwargs=True)
    try:
        p = Prompts(clicks=[Click(10, 20, True), Click(499, 332, False)], box=Box(5, 6, 300, 200))
        out = sam.decode(state, p)
    finally:
        handle.remove()
    sx, sy = _expected_scale(h, w)
    assert (sx, sy) == (1024 / 500, 682 / 333)  # int(333 * 2.048 + 0.5) = 682
    coords, labels = seen["points"]
    np.testing.assert_allclose(coords[0].numpy(), [[10 * sx, 20 * sy], [499 * sx, 332 * sy]], rtol=1e-6)
    assert labels[0].tolist() == [1, 0]
    np.testing.assert_allclose(seen["boxes"].numpy().reshape(-1), [5 * sx, 6 * sy, 300 * sx, 200 * sy], rtol=1e-6)
    assert out.mask.shape == (h, w) and out.mask.dtype == bool


@pytest.mark.parametrize("hw", [(240, 320), (97, 61)])
def test_mask_is_original_size_and_equals_direct_predictor(sam, hw):
    img = random_image(*hw, seed=4)
    state = sam.encode(img)
    p = Prompts(clicks=[Click(hw[1] // 2, hw[0] // 3, True)])
    out = sam.decode(state, p)
    direct = SamPredictor(sam.model)
    direct.set_image(img)
    masks, scores, low = direct.predict(np.array([[hw[1] // 2, hw[0] // 3]]), np.array([1]),
                                        multimask_output=True)
    k = int(np.argmax(scores))
    assert out.mask.shape == hw
    np.testing.assert_array_equal(out.mask, masks[k])
    assert out.score == pytest.approx(float(scores[k]))
    np.testing.assert_array_equal(out.memory, low[k:k + 1])


def test_memory_is_fed_back_as_mask_input(sam):
    state = sam.encode(random_image(100, 150, 5))
    p = Prompts(clicks=[Click(50, 40, True)])
    first = sam.decode(state, p)
    seen = {}
    handle = sam.model.prompt_encoder.register_forward_pre_hook(
        lambda m, a, kw: seen.update(kw), with_kwargs=True)
    try:
        p.clicks.append(Click(10, 10, False))
        sam.decode(state, p, first.memory)
        with_memory = seen["masks"]
        sam.decode(state, p, None)
        without = seen["masks"]
    finally:
        handle.remove()
    assert first.memory.shape == (1, 256, 256)
    np.testing.assert_array_equal(with_memory[0].numpy(), first.memory)
    assert without is None


def test_all_candidates_come_back_in_model_order_top_is_highest_score(sam, tiny_sam_checkpoint):
    img = random_image(120, 160, 6)
    state = sam.encode(img)
    p = Prompts(clicks=[Click(80, 60, True)])
    direct = SamPredictor(sam.model)
    direct.set_image(img)
    masks, scores, low = direct.predict(np.array([[80, 60]]), np.array([1]), multimask_output=True)
    out = sam.decode(state, p)
    assert not sam.uses_ground_truth and "multimask" not in sam.fingerprint()
    cands, mems = out.extra["candidates"], out.extra["candidate_memory"]
    assert len(cands) == len(mems) == 3
    for i in range(3):  # the model's order, original size, bool
        assert cands[i].shape == (120, 160) and cands[i].dtype == bool
        np.testing.assert_array_equal(cands[i], masks[i])
        np.testing.assert_array_equal(mems[i], low[i:i + 1])
        assert mems[i].shape == (1, 256, 256) and mems[i].dtype == np.float32
    np.testing.assert_allclose(out.extra["candidate_scores"], scores, rtol=1e-6)
    assert len({m.tobytes() for m in cands}) == 3  # distinct masks: the choice matters
    k = int(np.argmax(scores))
    np.testing.assert_array_equal(out.mask, masks[k])
    np.testing.assert_array_equal(out.memory, mems[k])
    assert out.score == pytest.approx(float(scores[k]))
    # Two clicks: one mask is asked for (multimask_output=single-point), so no candidates...
    p.clicks.append(Click(10, 10, False))
    assert "candidates" not in sam.decode(state, p).extra
    # ...unless multimask_output=always; never: a box alone gives one mask.
    always = build_model("sam_b", checkpoint=str(tiny_sam_checkpoint), arch="auto", device="cpu",
                         multimask_output="always")
    assert len(always.decode(always.encode(img), p).extra["candidates"]) == 3
    never = build_model("sam_b", checkpoint=str(tiny_sam_checkpoint), arch="auto", device="cpu",
                        multimask_output="never")
    assert never.decode(never.encode(img), Prompts(clicks=[Click(80, 60, True)])).extra == {}


def test_candidates_prediction_ties_go_to_the_first():
    masks = np.zeros((3, 2, 2), bool)
    masks[1, 0, 0] = True
    out = candidates_prediction(masks, np.array([0.5, 0.5, 0.1]), np.arange(12, dtype=np.float32).reshape(3, 2, 2),
                                several=True)
    assert not out.mask.any() and out.score == 0.5 and out.memory.tolist() == [[[0.0, 1.0], [2.0, 3.0]]]
    assert len(out.extra["candidates"]) == 3 and out.extra["candidates"][1][0, 0]
    assert candidates_prediction(masks[:1], np.array([0.3]), np.zeros((1, 2, 2)), several=False).extra == {}


class _Spy(Adapter):
    """An adapter in front of the SAM adapter: records the memory each decode got and its output."""

    name = "spy"
    capabilities = Capabilities({"interactive"}, {"point", "box"}, memory=True)

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls = []

    def encode(self, image):
        return self.inner.encode(image)

    def decode(self, state, prompts, memory=None):
        out = self.inner.decode(state, prompts, memory)
        self.calls.append((memory, out))
        return out


def test_loop_output_oracle_scores_best_candidate_and_feeds_its_logits_back(tiny_sam_checkpoint):
    """The real interactive loop (protocol sam, memory on) with the SAM adapter asked for 3 masks."""
    sam = build_model("sam_b", checkpoint=str(tiny_sam_checkpoint), arch="auto", device="cpu",
                      multimask_output="always")
    img = random_image(120, 160, 6)
    # The object: SAM's second-ranked candidate for a click nearby, so that top and oracle differ.
    gt = sam.decode(sam.encode(img), Prompts(clicks=[Click(80, 60, True)])).extra["candidates"][1]
    sample = Sample("img", "test", lambda: img, 120, 160, (Instance("obj", lambda: gt),))
    mask_inputs = []
    handle = sam.model.prompt_encoder.register_forward_pre_hook(
        lambda m, a, kw: mask_inputs.append(kw["masks"]), with_kwargs=True)
    oracle_differs = False
    try:
        for output in ("oracle", "top"):
            spy = _Spy(sam)
            mask_inputs.clear()
            rec, = run_sample(spy, spy.encode(img), sample, list(sample.instances), PROTOCOLS.get("sam"),
                              {"max_rounds": 4, "output": output, "memory": True}, seed=0)
            assert len(spy.calls) == len(mask_inputs) == 4 and spy.calls[0][0] is None
            for r, (_, out) in enumerate(spy.calls):
                cands = out.extra["candidates"]
                ious = [mask_iou(gt, c) for c in cands]
                top = int(np.argmax(out.extra["candidate_scores"]))
                best = int(np.argmax(ious)) if output == "oracle" else top
                oracle_differs |= output == "oracle" and ious[best] > ious[top]
                assert rec["ious"][r] == pytest.approx(ious[best])
                if r + 1 < len(spy.calls):  # the chosen candidate's logits are next round's mask_input
                    fed = spy.calls[r + 1][0]
                    np.testing.assert_array_equal(fed, out.extra["candidate_memory"][best])
                    np.testing.assert_array_equal(mask_inputs[r + 1][0].numpy(), fed)
            assert mask_inputs[0] is None
    finally:
        handle.remove()
    assert oracle_differs  # the test would not tell oracle from top otherwise


def test_state_round_trips_through_the_disk_cache(tiny_sam_checkpoint, tmp_path):
    img = random_image(64, 96, 7)
    p = Prompts(clicks=[Click(30, 20, True)])
    a = with_feature_cache(build_model("sam_b", checkpoint=str(tiny_sam_checkpoint), arch="auto",
                                       device="cpu"), tmp_path)
    ref = a.decode(a.encode(img), p).mask
    b = with_feature_cache(build_model("sam_b", checkpoint=str(tiny_sam_checkpoint), arch="auto",
                                       device="cpu"), tmp_path)
    calls = _count_calls(b.model.image_encoder)
    state = b.encode(img)
    assert (a.stats.encodes, a.stats.disk_writes, b.stats.encodes, b.stats.disk_hits) == (1, 1, 0, 1)
    assert calls == []
    np.testing.assert_array_equal(b.decode(state, p).mask, ref)


def test_architecture_is_read_from_the_checkpoint(tiny_sam_checkpoint):
    sd = torch.load(tiny_sam_checkpoint, map_location="cpu", weights_only=True)
    assert arch_from_state_dict(sd) == TINY_SAM
    # The named architecture refuses a file of another size, saying what the file is.
    with pytest.raises(MissingDependencyError, match="embed dim 32 and depth 2, not SAM vit_b"):
        build_model("sam_b", checkpoint=str(tiny_sam_checkpoint), device="cpu")


def test_bad_options_and_checkpoints(tiny_sam_checkpoint, tmp_path):
    with pytest.raises(UsageError, match=r"multimask was removed.*--set output=top\|oracle"):
        build_model("sam_b", checkpoint=str(tiny_sam_checkpoint), arch="auto", multimask="oracle")
    with pytest.raises(UsageError, match="multimask_output must be one of single-point, always, never"):
        build_model("sam_b", checkpoint=str(tiny_sam_checkpoint), arch="auto", multimask_output="best")
    with pytest.raises(UsageError, match="unknown option"):
        build_model("sam_b", checkpoint=str(tiny_sam_checkpoint), arch="auto", multimsk="top")
    with pytest.raises(MissingDependencyError, match="not found"):
        build_model("sam_b", checkpoint=str(tmp_path / "missing.pth"))
    bad = tmp_path / "bad.pth"
    torch.save({"something": torch.zeros(1)}, bad)
    with pytest.raises(UsageError, match="not a SAM state dict"):
        build_model("sam_b", checkpoint=str(bad), arch="auto")


def test_fingerprint_names_weights_not_paths(tiny_sam_checkpoint, tmp_path):
    import shutil

    copy = tmp_path / "elsewhere.pth"
    shutil.copy(tiny_sam_checkpoint, copy)
    a = build_model("sam_b", checkpoint=str(tiny_sam_checkpoint), arch="auto", device="cpu")
    b = build_model("sam_b", checkpoint=str(copy), arch="auto", device="cpu")
    fa, fb = a.fingerprint(), b.fingerprint()
    assert fa["checkpoint_sha256"] == fb["checkpoint_sha256"] and len(fa["checkpoint_sha256"]) == 64
    assert {k: v for k, v in fa.items() if k != "checkpoint_file"} == \
        {k: v for k, v in fb.items() if k != "checkpoint_file"}
    assert math.isclose(len(str(fa)), len(str(fa)))  # JSON-able, no tensors


def _mixed_requests(states, mem):
    """Two images; 1, 2 and 3 clicks; a box; memory on some: several groups, several per group."""
    from seem_bench.adapters.base import DecodeRequest

    a, b = states
    c = [Click(30, 20, True), Click(60, 50, False), Click(45, 35, True)]
    return [DecodeRequest(a, Prompts(clicks=c[:1])), DecodeRequest(b, Prompts(clicks=c[:2])),
            DecodeRequest(a, Prompts(clicks=c[:2])), DecodeRequest(a, Prompts(clicks=[Click(10, 70, True)])),
            DecodeRequest(a, Prompts(clicks=c[:3]), memory=mem), DecodeRequest(b, Prompts(clicks=c[:2], box=Box(5, 5, 60, 70))),
            DecodeRequest(b, Prompts(box=Box(10, 8, 50, 66))), DecodeRequest(a, Prompts()),
            DecodeRequest(a, Prompts(clicks=c[:3]), memory=mem), DecodeRequest(b, Prompts(clicks=c[:1]))]


def assert_batch_equals_single(adapter, reqs):
    batched = adapter.decode_batch(reqs)
    assert len(batched) == len(reqs)
    for req, got in zip(reqs, batched, strict=True):
        want = adapter.decode(req.state, req.prompts, req.memory)
        assert got.mask.shape == want.mask.shape and got.mask.dtype == bool
        # Batched kernels may differ in the last float bits: pixels on the 0 threshold may flip.
        assert np.count_nonzero(got.mask != want.mask) <= 0.001 * want.mask.size
        if want.score is None:
            assert got.score is None and not want.mask.any() and not got.mask.any()
            continue
        assert got.score == pytest.approx(want.score, abs=1e-4)
        np.testing.assert_allclose(got.memory, want.memory, atol=1e-3)
        assert len(got.extra.get("candidates", [])) == len(want.extra.get("candidates", []))


def test_decode_batch_equals_single_decodes(sam):
    states = [sam.encode(random_image(120, 160, 7)), sam.encode(random_image(90, 70, 8))]
    mem = sam.decode(states[0], Prompts(clicks=[Click(30, 20, True)])).memory
    assert_batch_equals_single(sam, _mixed_requests(states, mem))
