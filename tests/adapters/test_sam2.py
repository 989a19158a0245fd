"""SAM 2 adapter against the real ``sam2`` package (smallest config, Hiera-T, random weights).

Same properties as for SAM: one image-encoder forward per image whatever the rounds; clicks reach
the prompt encoder at SAM2Transforms coordinates (x / W * 1024, y / H * 1024: the image is
resized to a square), masks at the original size equal to a direct ``SAM2ImagePredictor`` call,
every candidate in ``extra`` in the model's order with ``mask`` the top-ranked one, memory fed
back as ``mask_input``.
"""

from __future__ import annotations

import numpy as np
import pytest
from adapter_helpers import random_image

from seem_bench.adapters.registry import build_model
from seem_bench.prompts.types import Box, Click, Prompts

sam2 = pytest.importorskip("sam2", reason="sam2 is not installed (scripts/bootstrap.sh --test installs it)")


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    """The adapter with an encoder-call counter, and two images encoded once each."""
    import torch
    from sam2.build_sam import build_sam2

    torch.manual_seed(0)
    model = build_sam2("configs/sam2.1/sam2.1_hiera_t.yaml", None, device="cpu")
    path = tmp_path_factory.mktemp("sam2") / "sam2.1_hiera_tiny_random.pt"
    torch.save({"model": model.state_dict()}, path)  # the released files' layout
    del model
    adapter = build_model("sam2_t", checkpoint=str(path), device="cpu")
    calls: list = []
    adapter.model.image_encoder.register_forward_hook(lambda m, i, o: calls.append(1))
    imgs = {"a": random_image(333, 500, 1), "b": random_image(97, 61, 2)}
    states = {k: adapter.encode(v) for k, v in imgs.items()}
    return adapter, imgs, states, calls


def test_encoder_once_per_image_whatever_the_rounds(encoded):
    adapter, imgs, states, calls = encoded
    assert len(calls) == 2
    prompts = {"a": Prompts(), "b": Prompts()}
    memory = {"a": None, "b": None}
    for r in range(3):
        for k in ("a", "b"):
            h, w = imgs[k].shape[:2]
            prompts[k].clicks.append(Click((11 * r + 5) % w, (7 * r + 3) % h, r != 1))
            out = adapter.decode(states[k], prompts[k], memory[k])
            memory[k] = out.memory
            assert out.mask.shape == (h, w)
    assert len(calls) == 2


def test_clicks_and_box_reach_the_prompt_encoder_on_the_square_grid(encoded):
    adapter, imgs, states, _ = encoded
    seen = {}
    handle = adapter.model.sam_prompt_encoder.register_forward_pre_hook(
        lambda m, a, kw: seen.update(kw), with_kwargs=True)
    try:
        adapter.decode(states["a"], Prompts(clicks=[Click(10, 20, True), Click(499, 332, False)],
                                            box=Box(5, 6, 300, 200)))
    finally:
        handle.remove()
    coords, labels = seen["points"]
    sx, sy = 1024 / 500, 1024 / 333
    # The package puts the box corners first (labels 2, 3), then the clicks.
    np.testing.assert_allclose(coords[0].numpy(), [[5 * sx, 6 * sy], [300 * sx, 200 * sy],
                                                   [10 * sx, 20 * sy], [499 * sx, 332 * sy]], rtol=1e-6)
    assert labels[0].tolist() == [2, 3, 1, 0]


def test_mask_equals_direct_predictor_and_memory_is_mask_input(encoded):
    from sam2.sam2_image_predictor import SAM2ImagePredictor

    adapter, imgs, states, _ = encoded
    p = Prompts(clicks=[Click(30, 40, True)])
    out = adapter.decode(states["b"], p)
    direct = SAM2ImagePredictor(adapter.model)
    direct.set_image(imgs["b"])
    masks, scores, low = direct.predict(np.array([[30, 40]]), np.array([1]), multimask_output=True)
    k = int(np.argmax(scores))
    assert out.mask.shape == (97, 61) and out.mask.dtype == bool
    np.testing.assert_array_equal(out.mask, masks[k] > 0)
    np.testing.assert_array_equal(out.memory, low[k:k + 1])
    assert len(out.extra["candidates"]) == len(out.extra["candidate_memory"]) == len(masks) == 3
    for i in range(3):  # original size, the model's order
        assert out.extra["candidates"][i].shape == (97, 61) and out.extra["candidates"][i].dtype == bool
        np.testing.assert_array_equal(out.extra["candidates"][i], masks[i] > 0)
        np.testing.assert_array_equal(out.extra["candidate_memory"][i], low[i:i + 1])
    np.testing.assert_allclose(out.extra["candidate_scores"], scores, rtol=1e-6)
    assert not adapter.uses_ground_truth and "multimask" not in adapter.fingerprint()
    seen = {}
    handle = adapter.model.sam_prompt_encoder.register_forward_pre_hook(
        lambda m, a, kw: seen.update(kw), with_kwargs=True)
    try:
        p.clicks.append(Click(3, 3, False))
        adapter.decode(states["b"], p, out.memory)
    finally:
        handle.remove()
    np.testing.assert_array_equal(seen["masks"][0].numpy(), out.memory)


def test_state_dump_load_gives_the_same_masks(encoded):
    adapter, _, states, _ = encoded
    p = Prompts(clicks=[Click(100, 100, True)])
    again = adapter.load_state(adapter.dump_state(states["a"]))
    np.testing.assert_array_equal(adapter.decode(again, p).mask, adapter.decode(states["a"], p).mask)
    assert adapter.fingerprint()["config"] == "configs/sam2.1/sam2.1_hiera_t.yaml"


def test_decode_batch_equals_single_decodes(encoded):
    from test_sam import _mixed_requests, assert_batch_equals_single

    adapter, _, states, _ = encoded
    mem = adapter.decode(states["a"], Prompts(clicks=[Click(30, 20, True)])).memory
    assert_batch_equals_single(adapter, _mixed_requests([states["a"], states["b"]], mem))
