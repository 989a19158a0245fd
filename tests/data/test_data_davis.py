"""DAVIS 2017 / 2016 loaders against palette-PNG fixtures and davis2017-evaluation's reading rules."""

from __future__ import annotations

import cv2
import data_fixtures as fx
import numpy as np
import pytest
from PIL import Image

from seem_bench.data import writers
from seem_bench.data.registry import load_dataset
from seem_bench.errors import DataError


@pytest.fixture(scope="module")
def davis_root(tmp_path_factory):
    return fx.davis(tmp_path_factory.mktemp("DAVIS"))


def _toolkit_masks(root, seq):
    """davis2017-evaluation's reading: PIL indices, 255 -> 0, N = max of the first frame."""
    paths = sorted((root / "Annotations" / "480p" / seq).glob("*.png"))
    masks = np.stack([np.array(Image.open(p)) for p in paths]).astype(np.int64)
    masks[masks == 255] = 0
    n = int(masks[0].max())
    return [(masks == k) for k in range(1, n + 1)]


def test_sequences_in_list_order_with_frames(davis_root):
    ds = load_dataset("davis2017", davis_root)
    assert ds.split == "val"
    assert [s.sample_id for s in ds.samples] == ["car-race", "bear"]  # ImageSets order, not sorted
    assert [len(s.frames) for s in ds.samples] == [3, 4]
    bear = ds.samples[1]
    assert [f.sample_id for f in bear.frames] == [f"bear/{t:05d}" for t in range(4)]
    assert bear.image_loader is None and bear.meta["n_objects"] == 2
    jpg = davis_root / "JPEGImages/480p/bear/00002.jpg"
    assert bear.frames[2].image_path == str(jpg)
    assert np.array_equal(bear.frames[2].image(), cv2.imread(str(jpg))[:, :, ::-1])
    assert set(ds.fingerprint["files"]) == {"ImageSets/2017/val.txt"}


def test_objects_follow_the_reference_toolkit(davis_root):
    ds = load_dataset("davis2017", davis_root)
    bear = ds.samples[1]
    ref = _toolkit_masks(davis_root, "bear")
    # Object 3 appears at frame 2 only: the toolkit numbers objects from frame 0, so it is not one.
    assert [i.instance_id for i in bear.instances] == ["1", "2"]
    for t, frame in enumerate(bear.frames):
        assert [i.instance_id for i in frame.instances] == ["1", "2"]
        for k, inst in enumerate(frame.instances):
            assert np.array_equal(inst.mask(), ref[k][t])
            void = np.zeros((fx.H, fx.W), bool)
            void[0, :] = True
            assert np.array_equal(inst.ignore(), void)
    assert not bear.frames[3].instances[1].mask().any()  # object 2 has left


def test_davis2016_merges_objects(davis_root):
    ds = load_dataset("davis2016", davis_root)
    assert [s.sample_id for s in ds.samples] == ["bear"]
    for t, frame in enumerate(ds.samples[0].frames):
        lab = fx.davis_frames(1)[t][1]
        assert [i.instance_id for i in frame.instances] == ["1"]
        assert np.array_equal(frame.instances[0].mask(), (lab > 0) & (lab < 255))


def test_davis2016_release_layout_with_binary_grey_masks(tmp_path):
    (tmp_path / "ImageSets" / "480p").mkdir(parents=True)
    lines = []
    for t in range(2):
        writers.write_jpeg(tmp_path / "JPEGImages/480p/cows" / f"{t:05d}.jpg", fx.image(t))
        writers.write_grey_png(tmp_path / "Annotations/480p/cows" / f"{t:05d}.png", fx.rect(3, 9 + t, 3, 9) * 255)
        lines.append(f"/JPEGImages/480p/cows/{t:05d}.jpg /Annotations/480p/cows/{t:05d}.png")
    (tmp_path / "ImageSets/480p/val.txt").write_text("\n".join(lines) + "\n")
    ds = load_dataset("davis2016", tmp_path)
    frames = ds.samples[0].frames
    assert ds.samples[0].sample_id == "cows" and len(frames) == 2
    assert np.array_equal(frames[1].instances[0].mask(), fx.rect(3, 10, 3, 9))
    assert not frames[1].instances[0].ignore().any()


def test_unannotated_frames_have_no_instances(tmp_path):
    fx.davis(tmp_path)
    for p in sorted((tmp_path / "Annotations/480p/bear").glob("*.png"))[1:]:
        p.unlink()  # test-dev style: only the first frame is annotated
    bear = load_dataset("davis2017", tmp_path).samples[1]
    assert [len(f.instances) for f in bear.frames] == [2, 0, 0, 0]
    assert [f.meta["annotated"] for f in bear.frames] == [True, False, False, False]


def test_empty_split_is_an_error(davis_root):
    with pytest.raises(DataError, match=r"ImageSets/2017/train\.txt: split train lists no sequences"):
        load_dataset("davis2017", davis_root, "train")
