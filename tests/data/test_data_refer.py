"""RefCOCO/+/g from REFER pickles (Python 2 byte format) and from Hugging Face Parquet/Arrow."""

from __future__ import annotations

import json
import shutil

import data_fixtures as fx
import numpy as np
import pytest

from seem_bench.data.refer import ref_in_split
from seem_bench.data.registry import load_dataset
from seem_bench.errors import DataError, UsageError


@pytest.fixture(scope="module")
def refer_root(tmp_path_factory):
    return fx.refer(tmp_path_factory.mktemp("refer"))


def _refs(ds):
    return {int(i.instance_id): (s.sample_id, i) for s in ds.samples for i in s.instances}


@pytest.mark.parametrize("split, expected", [
    (None, {1, 2, 3, 4, 5}), ("train", {1}), ("val", {2}),
    ("testA", {3, 5}),  # REFER: 'A' in ref['split'] -> testA and testAB
    ("testB", {4, 5}), ("testAB", {5}), ("test", {3, 4, 5}),
])
def test_refer_split_rules(refer_root, split, expected):
    ds = load_dataset("refcoco", refer_root, split)
    assert set(_refs(ds)) == expected


def test_ref_in_split_matches_refer_getRefIds():
    # REFER.getRefIds: testA/testB/testC -> split[-1] in ref_split; test -> 'test' in ref_split.
    assert ref_in_split("testAB", "testB") and not ref_in_split("testA", "testB")
    assert ref_in_split("testC", "test") and not ref_in_split("val", "test")
    with pytest.raises(UsageError):
        ref_in_split("val", "validation")


def test_refer_instances_sentences_meta_and_masks(refer_root):
    from pycocotools import mask as mask_utils

    ds = load_dataset("refcoco", refer_root)
    refs, _, anns = fx.refer_records()
    got = _refs(ds)
    assert [s.sample_id for s in ds.samples] == ["100", "200"]  # grouped per image: one encode each
    ann_by_id = {a["id"]: a for a in anns}
    for ref in refs:
        sample_id, inst = got[ref["ref_id"]]
        assert sample_id == str(ref["image_id"])
        assert inst.sentences == tuple(s["raw"] for s in ref["sentences"])
        assert inst.meta["ref_id"] == ref["ref_id"] and inst.meta["ann_id"] == ref["ann_id"]
        assert inst.meta["sent_ids"] == tuple(ref["sent_ids"]) and inst.meta["split"] == ref["split"]
        assert inst.category_id == ref["category_id"]
        assert inst.meta["category_name"] == {1: "person", 3: "car"}[ref["category_id"]]
        # REFER.getMask: frPyObjects on the polygons, decode, sum over polygons.
        poly = ann_by_id[ref["ann_id"]]["segmentation"]
        ref_mask = mask_utils.decode(mask_utils.frPyObjects(poly, fx.H, fx.W)).sum(axis=2) > 0
        assert np.array_equal(inst.mask(), ref_mask)
        drawn = fx.REFER_MASKS[ref["ref_id"]]
        assert (inst.mask() & drawn).sum() / (inst.mask() | drawn).sum() > 0.5
    assert got[2][1].sentences[-1] == "le café à gauche"  # non-ASCII Python 2 str decoded as UTF-8


def test_refer_image_path_and_pixels(refer_root):
    s = load_dataset("refcoco", refer_root, "val").samples[0]
    assert s.image_path.endswith("images/mscoco/images/train2014/COCO_train2014_000000000100.jpg")
    assert s.image().shape == (fx.H, fx.W, 3)


def test_root_may_be_the_dataset_folder(refer_root):
    ds = load_dataset("refcoco", refer_root / "refcoco", "val")
    assert set(_refs(ds)) == {2} and ds.samples[0].image().shape == (fx.H, fx.W, 3)


def test_refcocog_split_by_selection(tmp_path):
    refs, _, _ = fx.refer_records()
    fx.refer(tmp_path, "refcocog", "umd", refs=[dict(r, split="val") for r in refs[:2]])
    fx.refer(tmp_path, "refcocog", "google", refs=[dict(r, split="val") for r in refs[2:]])
    assert set(_refs(load_dataset("refcocog", tmp_path, "val"))) == {1, 2}  # default splitBy umd
    assert set(_refs(load_dataset("refcocog", tmp_path, "umd/val"))) == {1, 2}
    assert set(_refs(load_dataset("refcocog", tmp_path, "google/val"))) == {3, 4, 5}
    ds = load_dataset("refcocog", tmp_path, "google/val")
    assert "refcocog/refs(google).p" in ds.fingerprint["files"] and ds.fingerprint["split_by"] == "google"
    with pytest.raises(UsageError, match="unknown refcocog split"):
        load_dataset("refcocog", tmp_path, "umd/validation")


def test_refcoco_plus_reads_its_own_folder(tmp_path):
    fx.refer(tmp_path, "refcoco+", "unc")
    assert load_dataset("refcoco+", tmp_path, "testB").name == "refcoco+"
    with pytest.raises(DataError, match=r"refcoco/refs\(unc\)\.p: file not found"):
        load_dataset("refcoco", tmp_path / "nowhere", "val")


# --------------------------------------------------------------------------- Hugging Face tables


def _hf_rows(with_image: bool, tmp_path):
    """Rows in the jxu124/refcoco column layout, built from the same records as the REFER fixture."""
    refs, images, anns = fx.refer_records()
    img_by_id = {i["id"]: i for i in images}
    ann_by_id = {a["id"]: a for a in anns}
    rows = []
    for r in refs:
        row = {"sent_ids": r["sent_ids"], "file_name": r["file_name"], "ann_id": r["ann_id"], "ref_id": r["ref_id"],
               "image_id": r["image_id"], "split": r["split"], "sentences": r["sentences"],
               "category_id": r["category_id"], "raw_anns": json.dumps(ann_by_id[r["ann_id"]]),
               "raw_image_info": json.dumps(img_by_id[r["image_id"]])}
        if with_image:
            import cv2

            ok, buf = cv2.imencode(".png", fx.image(r["image_id"])[:, :, ::-1])
            row["image"] = {"bytes": buf.tobytes(), "path": None}
        rows.append(row)
    return rows


def test_hf_parquet_gives_the_same_refs_as_the_pickle(refer_root, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    hf = tmp_path / "hf" / "refcoco" / "data"
    hf.mkdir(parents=True)
    rows = _hf_rows(False, tmp_path)
    pq.write_table(pa.Table.from_pylist(rows[:3]), hf / "train-00000-of-00001.parquet")
    pq.write_table(pa.Table.from_pylist(rows[3:]), hf / "test-00000-of-00001.parquet")
    shutil.copytree(refer_root / "images", tmp_path / "hf" / "images")  # images beside the tables
    for split in (None, "val", "testA", "testB"):
        a = _refs(load_dataset("refcoco", refer_root, split))
        b = _refs(load_dataset("refcoco", tmp_path / "hf", split))
        assert a.keys() == b.keys()
        for k in a:
            assert a[k][0] == b[k][0] and a[k][1].sentences == b[k][1].sentences
            assert a[k][1].meta["sent_ids"] == b[k][1].meta["sent_ids"]
            assert np.array_equal(a[k][1].mask(), b[k][1].mask())
    s = load_dataset("refcoco", tmp_path / "hf", "val").samples[0]
    assert np.array_equal(s.image(), load_dataset("refcoco", refer_root, "val").samples[0].image())


def test_hf_arrow_with_image_bytes_and_split_from_file_name(tmp_path):
    import pyarrow as pa

    d = tmp_path / "refcoco"
    d.mkdir()
    rows = [{k: v for k, v in r.items() if k != "split"} for r in _hf_rows(True, tmp_path)]
    table = pa.Table.from_pylist(rows)
    with pa.OSFile(str(d / "validation-00000-of-00001.arrow"), "wb") as f, pa.ipc.new_stream(f, table.schema) as w:
        w.write_table(table)
    ds = load_dataset("refcoco", tmp_path, "val")  # no split column: 'validation' file -> val
    assert set(_refs(ds)) == {1, 2, 3, 4, 5}
    for s in ds.samples:
        assert np.array_equal(s.image(), fx.image(int(s.sample_id)))  # PNG bytes: lossless
    with pytest.raises(DataError, match="selects no refs"):
        load_dataset("refcoco", tmp_path, "testA")


def test_hf_missing_columns_is_one_line(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "refcoco").mkdir()
    pq.write_table(pa.Table.from_pylist([{"ref_id": 1}]), tmp_path / "refcoco" / "val.parquet")
    with pytest.raises(DataError, match=r"val\.parquet: missing column\(s\) ann_id, image_id, sentences") as e:
        load_dataset("refcoco", tmp_path, "val")
    assert "\n" not in str(e.value)
