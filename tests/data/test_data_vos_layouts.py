"""MOSE / SA-V / LVOS loaders on small copies written here in each published layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seem_bench.data.registry import load_dataset
from seem_bench.errors import DataError

H, W = 24, 32


def _jpg(path: Path, value: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((H, W, 3), value, np.uint8)).save(path)


def _palette(path: Path, labels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(labels.astype(np.uint8), mode="P")
    im.putpalette([v for i in range(256) for v in (i, 255 - i, (7 * i) % 256)])
    im.save(path)


def _labels(t: int) -> np.ndarray:
    lab = np.zeros((H, W), np.uint8)
    lab[2:8, 2 + t: 10 + t] = 1
    lab[12:20, 20:28] = 2
    lab[0, :] = 255
    return lab


def test_mose_layout(tmp_path: Path) -> None:
    root = tmp_path / "MOSE"
    for t in range(4):
        _jpg(root / "valid" / "JPEGImages" / "vid1" / f"{t:05d}.jpg", 10 * t)
    _palette(root / "valid" / "Annotations" / "vid1" / "00000.png", _labels(0))  # valid: first frame only
    ds = load_dataset("mose", root)
    (s,) = ds.samples
    assert s.sample_id == "vid1" and len(s.frames) == 4 and [i.instance_id for i in s.instances] == ["1", "2"]
    assert [f.meta["annotated"] for f in s.frames] == [True, False, False, False]
    f0 = s.frames[0]
    np.testing.assert_array_equal(f0.instances[0].mask(), _labels(0) == 1)
    np.testing.assert_array_equal(f0.instances[1].ignore(), _labels(0) == 255)
    assert s.frames[1].instances == ()


def test_lvos_layout_objects_from_meta(tmp_path: Path) -> None:
    root = tmp_path / "LVOS"
    base = root / "valid"
    for t in range(1, 4):
        _jpg(base / "JPEGImages" / "v" / f"{t:08d}.jpg", t)
        lab = _labels(t)
        if t == 1:
            lab[lab == 2] = 0  # object 2 appears later: the meta file still lists it
        _palette(base / "Annotations" / "v" / f"{t:08d}.png", lab)
    meta = {"videos": {"v": {"objects": {"1": {"frame_range": {"start": 1, "end": 3, "frame_nums": 3}},
                                         "2": {"frame_range": {"start": 2, "end": 3, "frame_nums": 2}}}}}}
    (base / "valid_meta.json").write_text(json.dumps(meta))
    (s,) = load_dataset("lvos", root).samples
    assert [i.instance_id for i in s.instances] == ["1", "2"]
    assert not s.frames[0].instances[1].mask().any() and s.frames[1].instances[1].mask().any()
    (base / "valid_meta.json").write_text(json.dumps({"videos": {"v": {"objects": {"x": {}}}}}))
    with pytest.raises(DataError, match="valid_meta.json"):
        load_dataset("lvos", root)


def test_sav_layout_per_object_pngs(tmp_path: Path) -> None:
    root = tmp_path / "SA-V"
    base = root / "sav_val"
    for t in range(8):
        _jpg(base / "JPEGImages_24fps" / "sav_000001" / f"{t:05d}.jpg", t)
    for t in (0, 4):  # 6 fps annotations: every 4th 24 fps frame
        for obj, k in (("000", 1), ("001", 2)):
            m = (_labels(t) == k).astype(np.uint8) * 255
            p = base / "Annotations_6fps" / "sav_000001" / obj / f"{t:05d}.png"
            p.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(m, mode="L").save(p)
    (base / "sav_val.txt").write_text("sav_000001\n")
    (s,) = load_dataset("sav", root, "val").samples
    assert [i.instance_id for i in s.instances] == ["000", "001"]
    assert [f.meta["annotated"] for f in s.frames] == [t % 4 == 0 for t in range(8)]
    np.testing.assert_array_equal(s.frames[4].instances[1].mask(), _labels(4) == 2)
    assert s.frames[4].instances[1].ignore() is None
    # an annotation whose frame is missing is named
    p = base / "Annotations_6fps" / "sav_000001" / "000" / "00009.png"
    Image.fromarray(np.zeros((H, W), np.uint8), mode="L").save(p)
    with pytest.raises(DataError, match="00009"):
        load_dataset("sav", root, "val")


def test_video_without_frames_is_named(tmp_path: Path) -> None:
    root = tmp_path / "MOSE"
    (root / "valid" / "JPEGImages" / "empty").mkdir(parents=True)
    with pytest.raises(DataError, match="empty"):
        load_dataset("mose", root)
