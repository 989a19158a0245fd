"""The encode cache: tree codec, image digests, memory LRU, disk cache keyed by identity."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from adapter_helpers import random_image

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.adapters.cache import (
    CachedAdapter,
    identity_key,
    image_digest,
    pack_tree,
    unpack_tree,
    with_feature_cache,
)
from seem_bench.adapters.registry import build_model
from seem_bench.prompts.types import Click, Prompts


class Counting(Adapter):
    """State = per-channel means and the shape; counts its encodes."""

    name = "counting"
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point"})

    def __init__(self, scale: str = "1", **options: Any) -> None:
        # A declared option (adapters refuse undeclared ones); it only has to reach the identity.
        super().__init__(scale=scale, **options)
        self.encodes = 0

    def encode(self, image: np.ndarray) -> dict:
        self.encodes += 1
        return {"mean": image.reshape(-1, 3).mean(0), "hw": image.shape[:2], "tag": "x"}

    def decode(self, state: dict, prompts: Prompts, memory: Any = None) -> Prediction:
        m = np.zeros(state["hw"], bool)
        m[: int(state["mean"][0]) % state["hw"][0]] = True
        return Prediction(mask=m)


def test_tree_codec_round_trip_keeps_types():
    tree = {"a": np.arange(6, dtype=np.int16).reshape(2, 3), "t": (1, 2.5, "s", None, True),
            "l": [np.float32(3.5), {"n": np.zeros((0, 4), bool)}]}
    out = unpack_tree(pack_tree(tree))
    assert out["t"] == (1, 2.5, "s", None, True) and isinstance(out["t"], tuple)
    np.testing.assert_array_equal(out["a"], tree["a"])
    assert out["a"].dtype == np.int16
    assert out["l"][0] == np.float32(3.5) and isinstance(out["l"][0], np.float32)
    assert out["l"][1]["n"].shape == (0, 4) and out["l"][1]["n"].dtype == bool
    # Keys that look like the codec's markers are still plain keys.
    assert unpack_tree(pack_tree({"$a": 1}))["$a"] == 1
    assert pack_tree({1: "int key"}) is None and pack_tree(np.array([object()])) is None


def test_image_digest_covers_shape_and_dtype():
    a = np.zeros((2, 6, 3), np.uint8)
    assert image_digest(a) == image_digest(a.copy())
    assert image_digest(a) != image_digest(a.reshape(4, 3, 3))
    assert image_digest(a) != image_digest(a.view(np.int8))
    b = a.copy()
    b[1, 5, 2] = 1
    assert image_digest(a) != image_digest(b)
    assert image_digest(np.asfortranarray(b)) == image_digest(b)  # pixels, not memory layout


def test_memory_lru_encodes_each_distinct_image_once():
    inner = Counting()
    model = with_feature_cache(inner, memory_items=2)
    imgs = [random_image(8, 8, s) for s in range(3)]
    for i in (0, 1, 0, 1, 0):
        model.encode(imgs[i].copy())
    assert (inner.encodes, model.stats.encodes, model.stats.memory_hits) == (2, 2, 3)
    model.encode(imgs[2])  # evicts image 1 (least recently used)
    model.encode(imgs[0])
    model.encode(imgs[1])
    assert inner.encodes == 4
    assert with_feature_cache(model) is model


def test_disk_cache_survives_a_new_adapter_and_gives_identical_outputs(tmp_path):
    imgs = [random_image(10, 12, s) for s in range(3)]
    p = Prompts(clicks=[Click(1, 1, True)])
    first = with_feature_cache(Counting(), tmp_path)
    ref = [first.decode(first.encode(im), p).mask for im in imgs]
    assert first.stats.disk_writes == 3
    second = with_feature_cache(Counting(), tmp_path, memory_items=0)
    got = [second.decode(second.encode(im), p).mask for im in imgs]
    assert second.inner.encodes == 0 and second.stats.disk_hits == 3
    for a, b in zip(ref, got, strict=True):
        np.testing.assert_array_equal(a, b)
    key = identity_key(Counting().cache_identity())
    assert (tmp_path / key / "identity.json").is_file()
    assert len(list((tmp_path / key).glob("*/*.npz"))) == 3


def test_other_options_or_device_type_never_read_stale_features(tmp_path):
    img = random_image(6, 6)
    with_feature_cache(Counting(scale="1"), tmp_path).encode(img)
    other = with_feature_cache(Counting(scale="2"), tmp_path)
    other.encode(img)
    assert other.stats.disk_hits == 0 and other.inner.encodes == 1
    gpu = Counting(scale="1")
    gpu.device_type = "cuda"
    assert identity_key(gpu.cache_identity()) != identity_key(Counting(scale="1").cache_identity())
    assert gpu.fingerprint() == Counting(scale="1").fingerprint()  # same run, other features


def test_unreadable_file_is_recomputed_and_rewritten(tmp_path, capsys):
    img = random_image(6, 6)
    a = with_feature_cache(Counting(), tmp_path)
    a.encode(img)
    (path,) = list(tmp_path.glob("*/*/*.npz"))
    path.write_bytes(b"torn")
    b = with_feature_cache(Counting(), tmp_path)
    b.encode(img)
    assert (b.stats.unreadable, b.inner.encodes, b.stats.disk_writes) == (1, 1, 1)
    assert "unreadable" in capsys.readouterr().err
    c = with_feature_cache(Counting(), tmp_path)
    c.encode(img)
    assert c.stats.disk_hits == 1


def test_wrapper_is_transparent(tmp_path):
    inner = build_model("oracle")
    model = build_model("oracle", feature_cache=tmp_path)
    assert isinstance(model, CachedAdapter) and not isinstance(inner, CachedAdapter)
    assert model.name == "oracle" and model.uses_ground_truth
    assert model.capabilities == inner.capabilities and model.fingerprint() == inner.fingerprint()
    gt = np.zeros((4, 5), bool)
    gt[1:3, 2:4] = True
    model.set_target(gt)
    np.testing.assert_array_equal(model.decode(model.encode(random_image(4, 5)), Prompts()).mask, gt)
    with pytest.raises(Exception, match="memory_items"):
        CachedAdapter(inner, memory_items=-1)
