"""Malformed datasets: every case is one line naming the file, from the loader or ``data check``."""

from __future__ import annotations

import json

import data_fixtures as fx
import numpy as np
import pytest

from seem_bench.cli import main as cli_main
from seem_bench.data import writers
from seem_bench.data.check import check_dataset
from seem_bench.data.registry import load_dataset
from seem_bench.errors import DataError


def one_line_error(fn, *args) -> DataError:
    with pytest.raises(DataError) as e:
        fn(*args)
    assert "\n" not in str(e.value)
    return e.value


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


# --------------------------------------------------------------------------- missing files


def test_missing_index_file(tmp_path):
    e = one_line_error(load_dataset, "coco_panoptic", tmp_path)
    assert e.path.endswith("annotations/panoptic_val2017.json") and "file not found" in str(e)
    assert check_dataset("coco_panoptic", tmp_path) == [str(e)]


def test_missing_image_is_reported_by_loader_and_check(tmp_path):
    fx.coco_panoptic(tmp_path)
    jpg = tmp_path / "val2017" / "000000000042.jpg"
    jpg.unlink()
    ds = load_dataset("coco_panoptic", tmp_path)
    e = one_line_error(ds.samples[1].image)
    assert e.path == str(jpg)
    assert check_dataset("coco_panoptic", tmp_path) == [f"{jpg}: file not found"]


def test_missing_grabcut_mask(tmp_path):
    writers.write_grabcut_item(tmp_path / "data_GT", tmp_path / "boundary_GT", "a", fx.image(1),
                               np.zeros((fx.H, fx.W), np.uint8))
    writers.write_jpeg(tmp_path / "data_GT" / "b.jpg", fx.image(2))
    e = one_line_error(load_dataset, "grabcut", tmp_path)
    assert "boundary_GT/b.*" in e.path and "no mask for image b.jpg" in str(e)


# --------------------------------------------------------------------------- truncated files


def test_truncated_davis_png(tmp_path):
    fx.davis(tmp_path)
    png = tmp_path / "Annotations/480p/bear/00001.png"
    truncate(png)
    frame = load_dataset("davis2017", tmp_path).samples[1].frames[1]
    e = one_line_error(frame.instances[0].mask)
    assert e.path == str(png) and "cannot decode" in str(e)
    lines = check_dataset("davis2017", tmp_path)
    assert len(lines) == 1 and lines[0].startswith(f"{png}: cannot decode label PNG")


def test_truncated_first_frame_png_fails_the_index(tmp_path):
    fx.davis(tmp_path)
    png = tmp_path / "Annotations/480p/bear/00000.png"
    truncate(png)
    e = one_line_error(load_dataset, "davis2017", tmp_path)
    assert e.path == str(png)


def test_truncated_panoptic_png_and_jpeg(tmp_path):
    fx.coco_panoptic(tmp_path)
    png, jpg = tmp_path / "panoptic_val2017/000000000005.png", tmp_path / "val2017/000000000042.jpg"
    truncate(png)
    truncate(jpg)
    ds = load_dataset("coco_panoptic", tmp_path)
    assert one_line_error(ds.samples[0].instances[0].mask).path == str(png)
    lines = check_dataset("coco_panoptic", tmp_path)
    assert {ln.split(": ")[0] for ln in lines} == {str(png), str(jpg)}  # OpenCV would accept the JPEG


def test_truncated_refer_pickle_and_bad_json(tmp_path):
    fx.refer(tmp_path)
    p = tmp_path / "refcoco" / "refs(unc).p"
    truncate(p)
    e = one_line_error(load_dataset, "refcoco", tmp_path, "val")
    assert e.path == str(p) and "cannot unpickle" in str(e)
    fx.refer(tmp_path)
    (tmp_path / "refcoco" / "instances.json").write_text('{"images": [')
    e = one_line_error(load_dataset, "refcoco", tmp_path, "val")
    assert e.path.endswith("refcoco/instances.json") and "not valid JSON" in str(e)


# --------------------------------------------------------------------------- ids and categories


def test_png_id_absent_from_json(tmp_path):
    fx.coco_panoptic(tmp_path, extra_png_id=999)
    assert check_dataset("coco_panoptic", tmp_path) == [
        f"{tmp_path / 'panoptic_val2017/000000000042.png'}: PNG holds segment id(s) 999 absent from the "
        "JSON segments_info"]


def test_json_segment_absent_from_png(tmp_path):
    fx.coco_panoptic(tmp_path)
    path = tmp_path / "annotations/panoptic_val2017.json"
    data = json.loads(path.read_text())
    data["annotations"][1]["segments_info"].append({"id": 4242, "category_id": 1, "iscrowd": 0})
    path.write_text(json.dumps(data))
    lines = check_dataset("coco_panoptic", tmp_path)
    png = tmp_path / "panoptic_val2017/000000000042.png"
    assert f"{png}: segments_info id(s) 4242 do not occur in the PNG" in lines


@pytest.mark.parametrize("kind", ["panoptic", "instances"])
def test_unknown_category(tmp_path, kind):
    if kind == "panoptic":
        fx.coco_panoptic(tmp_path)
        path = tmp_path / "annotations/panoptic_val2017.json"
        data = json.loads(path.read_text())
        data["annotations"][0]["segments_info"][1]["category_id"] = 99
    else:
        fx.coco_instances(tmp_path)
        path = tmp_path / "annotations/instances_val2017.json"
        data = json.loads(path.read_text())
        data["annotations"][2]["category_id"] = 99
    path.write_text(json.dumps(data))
    e = one_line_error(load_dataset, f"coco_{kind}", tmp_path)
    assert e.path == str(path) and "unknown category_id 99" in str(e)
    assert len(check_dataset(f"coco_{kind}", tmp_path)) == 1


def test_refer_inconsistent_ids(tmp_path):
    refs, _, _ = fx.refer_records()
    refs[0] = dict(refs[0], ann_id=777)
    refs[1] = dict(refs[1], category_id=99)
    fx.refer(tmp_path, refs=refs)
    e = one_line_error(load_dataset, "refcoco", tmp_path)
    assert e.path.endswith("refcoco/refs(unc).p") and "ann_id 777" in str(e)
    lines = check_dataset("refcoco", tmp_path)
    assert [ln.split(": ", 1)[1] for ln in lines] == ["ref 1: ann_id 777 is not in the annotations",
                                                      "ref 2: unknown category_id 99"]


# --------------------------------------------------------------------------- sizes


def test_panoptic_png_size_differs_from_json(tmp_path):
    fx.coco_panoptic(tmp_path)
    png = tmp_path / "panoptic_val2017/000000000042.png"
    writers.write_panoptic_png(png, np.full((fx.H + 2, fx.W), 77))
    ds = load_dataset("coco_panoptic", tmp_path)
    e = one_line_error(ds.samples[1].instances[0].mask)
    assert e.path == str(png) and "JSON says the image is 32x24" in str(e)
    assert check_dataset("coco_panoptic", tmp_path) == [str(e)]


def test_grabcut_mask_size_differs_from_image(tmp_path):
    writers.write_grabcut_item(tmp_path / "data_GT", tmp_path / "boundary_GT", "a", fx.image(1),
                               np.zeros((fx.H, fx.W + 1), np.uint8))
    lines = check_dataset("grabcut", tmp_path)
    mask = tmp_path / "boundary_GT/a.bmp"
    assert lines[0] == f"{mask}: mask of instance 1 is 33x24 but image a is 32x24"


def test_image_size_differs_from_json(tmp_path):
    fx.coco_instances(tmp_path)
    writers.write_jpeg(tmp_path / "val2017/000000000011.jpg", fx.image(11, h=30))
    assert check_dataset("coco_instances", tmp_path) == [
        f"{tmp_path / 'val2017/000000000011.jpg'}: image is 32x30 but the index says 32x24"]


def test_sbd_and_voc_size_mismatch(tmp_path):
    writers.write_sbd(tmp_path / "sbd", "val", {"x": (fx.image(1), np.ones((fx.H, fx.W + 3), np.uint8), [3])})
    e = one_line_error(load_dataset, "sbd", tmp_path / "sbd")
    assert e.path == str(tmp_path / "sbd/inst/x.mat") and "Segmentation is 35x24 but x.jpg is 32x24" in str(e)
    writers.write_voc(tmp_path / "voc", "val", {"y": (fx.image(1), np.ones((fx.H - 1, fx.W), np.uint8))})
    e = one_line_error(load_dataset, "pascalvoc", tmp_path / "voc")
    assert e.path == str(tmp_path / "voc/SegmentationObject/y.png")


# --------------------------------------------------------------------------- empty splits


def test_empty_splits(tmp_path):
    fx.refer(tmp_path / "refer", refs=[dict(r, split="train") for r in fx.refer_records()[0]])
    e = one_line_error(load_dataset, "refcoco", tmp_path / "refer", "testB")
    assert e.path.endswith("refs(unc).p") and "split 'testB' selects no refs" in str(e)
    (tmp_path / "sbd").mkdir()
    (tmp_path / "sbd" / "val.txt").write_text("\n")
    e = one_line_error(load_dataset, "sbd", tmp_path / "sbd")
    assert e.path == str(tmp_path / "sbd/val.txt") and "lists no images" in str(e)
    writers.write_coco_panoptic(tmp_path / "coco", "val2017", [], {}, {}, fx.COCO_CATEGORIES)
    e = one_line_error(load_dataset, "coco_panoptic", tmp_path / "coco")
    assert "no annotated images in split val2017" in str(e)


# --------------------------------------------------------------------------- the CLI


def test_cli_check_prints_one_line_per_problem_and_exits_1(tmp_path, capsys):
    fx.coco_panoptic(tmp_path, extra_png_id=999)
    truncate(tmp_path / "val2017" / "000000000005.jpg")
    rc = cli_main(["data", "check", "coco_panoptic", "--data-root", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 1 and len(out) == 2
    assert out[0].startswith(str(tmp_path / "val2017/000000000005.jpg") + ": cannot decode image")
    assert out[1].startswith(str(tmp_path / "panoptic_val2017/000000000042.png") + ": PNG holds")


def test_cli_check_clean_dataset_exits_0(tmp_path, capsys):
    fx.davis(tmp_path / "DAVIS")
    rc = cli_main(["data", "check", "davis2017", "--data-root", str(tmp_path), "--no-progress"])
    assert rc == 0 and capsys.readouterr().out == ""


def test_cli_loader_error_is_one_line_exit_1(tmp_path, capsys):
    rc = cli_main(["data", "stats", "sbd", "--data-root", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and err == [f"seem-bench: error: {tmp_path / 'val.txt'}: file not found"]


def test_pickles_naming_code_are_refused(tmp_path):
    import os
    import pickle

    class Payload:
        def __reduce__(self):
            return (os.system, ("echo should-not-run",))

    fx.refer(tmp_path)
    p = tmp_path / "refcoco" / "refs(unc).p"
    p.write_bytes(pickle.dumps([Payload()], protocol=2))
    e = one_line_error(load_dataset, "refcoco", tmp_path, "val")
    assert e.path == str(p) and "refusing to load global" in str(e) and "system" in str(e)
