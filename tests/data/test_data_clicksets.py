"""Click sets (GrabCut, Berkeley, DAVIS-345, COCO-MVal, SBD, PascalVOC) against RITM's decoding.

The ``ritm_*`` helpers restate, in RITM's own expressions, how ``isegm/data/datasets`` turns
each file into the per-instance (mask, ignore) pairs it evaluates; the loaders must give the
same pairs.
"""

from __future__ import annotations

import pickle

import cv2
import data_fixtures as fx
import numpy as np
import pytest
from scipy.io import loadmat

from seem_bench.data import writers
from seem_bench.data.registry import load_dataset


def ritm_sbd_instances(root, name):
    seg = loadmat(str(root / "inst" / f"{name}.mat"))["GTinst"][0][0][0].astype(np.int32)
    sizes = np.bincount(seg.flatten())
    ids = [k for k in np.nonzero(sizes)[0].tolist() if k != 0]
    return [(k, seg == k) for k in ids]


def ritm_voc_instances(root, name):
    grey = cv2.cvtColor(cv2.imread(str(root / "SegmentationObject" / f"{name}.png")), cv2.COLOR_BGR2GRAY).astype(np.int32)
    ids = [x for x in np.unique(grey) if x != 0 and x != 220]
    return [(int(k), grey == k, grey == 220) for k in ids]


def test_grabcut_and_berkeley_decoding(tmp_path):
    gt = np.zeros((fx.H, fx.W), np.uint8)
    gt[5:15, 5:20] = 255
    gt[4, 5:20] = 128
    for layout, (imgs, masks) in {"grabcut": ("data_GT", "boundary_GT"), "berkeley": ("images", "masks")}.items():
        root = tmp_path / layout
        writers.write_grabcut_item(root / imgs, root / masks, "b.1", fx.image(2), gt)  # RITM pairs 'b.1.jpg' with stem 'b'
        writers.write_grabcut_item(root / imgs, root / masks, "a", fx.image(1), gt, mask_ext=".png")
        (root / masks / "b.1.bmp").rename(root / masks / "b.bmp")
        ds = load_dataset(layout, root)
        assert [s.sample_id for s in ds.samples] == ["a", "b.1"]
        inst = ds.samples[1].instances[0]
        assert inst.instance_id == "1"
        assert np.array_equal(inst.mask(), gt > 128) and np.array_equal(inst.ignore(), gt == 128)


@pytest.mark.parametrize("name", ["davis345", "coco_mval"])
def test_img_gt_sets_any_channel_is_object(tmp_path, name):
    writers.write_img_gt_item(tmp_path, "x", fx.image(3), fx.rect(2, 8, 2, 8), colour=(0, 0, 1))
    writers.write_img_gt_item(tmp_path, "y", fx.image(4), fx.rect(0, 4, 0, 4), colour=(200, 0, 0))
    ds = load_dataset(name, tmp_path)
    assert [s.sample_id for s in ds.samples] == ["x", "y"]
    ritm = np.max(cv2.imread(str(tmp_path / "gt" / "x.png")).astype(np.int32), axis=2) > 0
    assert np.array_equal(ds.samples[0].instances[0].mask(), ritm)
    assert np.array_equal(ritm, fx.rect(2, 8, 2, 8))  # a value of 1 in one channel is object
    assert ds.samples[0].instances[0].ignore() is None


def test_sbd_per_image_samples_flatten_to_ritm_per_instance_samples(tmp_path):
    items = {}
    for n, name in enumerate(["2008_000002", "2008_000003"]):
        seg = np.zeros((fx.H, fx.W), np.uint8)
        seg[fx.rect(1, 10, 1, 10)] = 1
        seg[fx.rect(12, 20, 3 + n, 25)] = 3  # label 2 absent: RITM lists present labels only
        items[name] = (fx.image(n), seg, [15, 8, 12])
    writers.write_sbd(tmp_path, "val", items)
    ds = load_dataset("sbd", tmp_path)
    assert ds.split == "val" and [s.sample_id for s in ds.samples] == list(items)
    flat = [(s.sample_id, i) for s in ds.samples for i in s.instances]
    ritm = [(name, k, m) for name in items for k, m in ritm_sbd_instances(tmp_path, name)]
    assert [(sid, i.instance_id) for sid, i in flat] == [(n, str(k)) for n, k, _ in ritm]
    for (_, inst), (_, _, m) in zip(flat, ritm, strict=True):
        assert np.array_equal(inst.mask(), m) and inst.ignore() is None
    assert [i.category_id for i in ds.samples[0].instances] == [15, 12]


def test_pascalvoc_grey_ids_void_and_collisions(tmp_path):
    lab = np.zeros((fx.H, fx.W), np.uint8)
    lab[fx.rect(1, 8, 1, 8)] = 1
    lab[fx.rect(10, 20, 10, 20)] = 2
    lab[fx.rect(20, 24, 25, 32)] = 16  # grey 38 like index 1: RITM merges them
    lab[fx.rect(9, 21, 9, 21) & ~fx.rect(10, 20, 10, 20)] = 255  # void outline
    writers.write_voc(tmp_path, "val", {"2007_000033": (fx.image(5), lab)})
    ds = load_dataset("pascalvoc", tmp_path)
    s = ds.samples[0]
    ritm = ritm_voc_instances(tmp_path, "2007_000033")
    assert [i.instance_id for i in s.instances] == [str(k) for k, _, _ in ritm] == ["38", "75"]
    for inst, (_, m, ign) in zip(s.instances, ritm, strict=True):
        assert np.array_equal(inst.mask(), m) and np.array_equal(inst.ignore(), ign)
    assert np.array_equal(s.instances[0].mask(), (lab == 1) | (lab == 16))


def test_pascalvoc_ritm_test_pickle(tmp_path):
    lab = np.zeros((fx.H, fx.W), np.uint8)
    lab[fx.rect(1, 8, 1, 8)], lab[fx.rect(10, 20, 10, 20)] = 1, 2
    writers.write_voc(tmp_path, "val", {"a": (fx.image(1), lab), "b": (fx.image(2), lab)})
    (tmp_path / "ImageSets/Segmentation/test.pickle").write_bytes(
        pickle.dumps((["a", "a", "b"], [75, 38, 38]), protocol=2))
    ds = load_dataset("pascalvoc", tmp_path, "test")
    assert [(s.sample_id, [i.instance_id for i in s.instances]) for s in ds.samples] == [("a", ["75", "38"]), ("b", ["38"])]
    assert np.array_equal(ds.samples[0].instances[0].mask(), lab == 2)
