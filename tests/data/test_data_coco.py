"""COCO panoptic / semantic / instances loaders against hand-made fixtures and pycocotools."""

from __future__ import annotations

import pickle

import data_fixtures as fx
import numpy as np
import pytest

from seem_bench.data.registry import load_dataset


@pytest.fixture(scope="module")
def coco_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("coco")
    fx.coco_panoptic(root)
    fx.coco_instances(root)
    return root


def test_panoptic_samples_instances_and_masks(coco_root):
    ds = load_dataset("coco_panoptic", coco_root)
    assert ds.split == "val2017"
    assert [s.sample_id for s in ds.samples] == ["5", "42"]
    assert len(ds) == 2 and sum(len(s.instances) for s in ds.samples) == 5
    for s in ds.samples:
        expected = fx.PANOPTIC_SEGMENTS[int(s.sample_id)]
        assert [i.instance_id for i in s.instances] == [str(sid) for sid, *_ in expected]
        for inst, (_sid, cat, crowd, m) in zip(s.instances, expected, strict=True):
            assert inst.category_id == cat and inst.iscrowd == bool(crowd)
            assert inst.meta["category_name"] == {1: "person", 3: "car", 7: "wall"}[cat]
            assert np.array_equal(inst.mask(), m)
            assert inst.area == m.sum()
            ys, xs = np.nonzero(m)
            assert inst.bbox == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
        assert s.image().shape == (fx.H, fx.W, 3)
    assert ds.categories[7] == {"name": "wall", "supercategory": "stuff", "isthing": 0}
    assert set(ds.fingerprint["files"]) == {"annotations/panoptic_val2017.json"}


def test_panoptic_target_is_id_map_and_segments_info(coco_root):
    s = load_dataset("coco_panoptic", coco_root).samples[0]
    ids, segs = s.targets["panoptic"]()
    assert ids.dtype == np.int32 and ids.shape == (fx.H, fx.W)
    assert {int(v) for v in np.unique(ids)} == {0} | {sid for sid, *_ in fx.PANOPTIC_SEGMENTS[5]}
    assert [g["id"] for g in segs] == [sid for sid, *_ in fx.PANOPTIC_SEGMENTS[5]]
    ids[0, 0] = -1  # the caller's copy: the loader's cache must stay intact
    assert s.targets["panoptic"]()[0][0, 0] != -1


def test_semantic_is_contiguous_in_category_id_order_with_255_ignore(coco_root):
    ds = load_dataset("coco_semantic", coco_root)
    # JSON lists categories 7, 1, 3: MaskFormer numbers them by ascending id.
    assert {c: v["contiguous_id"] for c, v in ds.categories.items()} == {1: 0, 3: 1, 7: 2}
    sem = ds.samples[0].targets["semantic"]()
    expected = np.full((fx.H, fx.W), 255, np.uint8)
    for _, cat, _, m in fx.PANOPTIC_SEGMENTS[5]:  # crowd segments are painted too
        expected[m] = {1: 0, 3: 1, 7: 2}[cat]
    assert sem.dtype == np.uint8 and np.array_equal(sem, expected)
    # One instance per category present: the union of its segments.
    inst = {i.instance_id: i for i in ds.samples[0].instances}
    assert sorted(inst) == ["1", "3", "7"]
    person = fx.PANOPTIC_SEGMENTS[5][0][3] | fx.PANOPTIC_SEGMENTS[5][3][3]
    assert np.array_equal(inst["1"].mask(), person)


def test_semantic_pngs_ids_absent_from_json_are_ignore(tmp_path):
    fx.coco_panoptic(tmp_path, extra_png_id=999)
    sem = load_dataset("coco_semantic", tmp_path).samples[1].targets["semantic"]()
    assert sem[23, 31] == 255 and sem[0, 0] == 1  # segment 77 is a car (index 1) on columns 0-7


def test_instances_match_pycocotools_annToMask(coco_root):
    from pycocotools.coco import COCO

    ds = load_dataset("coco_instances", coco_root)
    coco = COCO(str(coco_root / "annotations" / "instances_val2017.json"))
    assert [s.sample_id for s in ds.samples] == ["9", "11", "12"]  # images without annotations kept
    assert [len(s.instances) for s in ds.samples] == [2, 2, 0]
    for s in ds.samples:
        for inst in s.instances:
            ref = coco.annToMask(coco.loadAnns([int(inst.instance_id)])[0]).astype(bool)
            assert np.array_equal(inst.mask(), ref)
            assert inst.mask().any()
    crowd = {i.instance_id: i.iscrowd for s in ds.samples for i in s.instances}
    assert crowd == {"101": False, "102": False, "103": False, "104": True}


def test_instances_rle_decodes_to_the_drawn_masks(coco_root):
    ds = load_dataset("coco_instances", coco_root)
    inst = {i.instance_id: i for s in ds.samples for i in s.instances}
    ring = fx.rect(4, 20, 4, 20) & ~fx.rect(8, 16, 8, 16)
    assert np.array_equal(inst["103"].mask(), ring)  # compressed RLE keeps the hole
    assert np.array_equal(inst["104"].mask(), fx.rect(2, 7, 22, 30))  # uncompressed crowd RLE


def test_samples_pickle_and_load_pixels_after(coco_root):
    ds = load_dataset("coco_panoptic", coco_root)
    back = pickle.loads(pickle.dumps(list(ds.samples)))
    assert np.array_equal(back[0].instances[1].mask(), ds.samples[0].instances[1].mask())
    assert np.array_equal(back[1].image(), ds.samples[1].image())
    ds2 = load_dataset("coco_instances", coco_root)
    back2 = pickle.loads(pickle.dumps(list(ds2.samples)))
    assert np.array_equal(back2[1].instances[0].mask(), ds2.samples[1].instances[0].mask())
