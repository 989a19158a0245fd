"""ref-image on COCO: an instance without an exemplar is an error of its own, not of its image.

A tiny COCO-instances dataset written with `seem_bench.data.writers`: category 1 occurs in every
image, category 2 in image 1 only, so `select_exemplar` finds nothing for that instance. The
run must record that one instance as an error (``NoExemplarError``), evaluate every other
instance (image 1's included), and count it in the summary.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seem_bench.data import writers
from seem_bench.runner import RunConfig, load_records, run
from seem_bench.tasks import get_task

H, W = 24, 32


def _rect(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return m


def _write_dataset(root: Path) -> None:
    objects = {1: [(101, 1, _rect(2, 10, 2, 12)), (102, 2, _rect(12, 22, 16, 30))],
               2: [(201, 1, _rect(4, 20, 4, 20))],
               3: [(301, 1, _rect(1, 8, 20, 31))]}
    rng = np.random.default_rng(0)
    images, anns = [], []
    for iid, objs in objects.items():
        name = f"{iid:012d}.jpg"
        images.append({"id": iid, "file_name": name, "height": H, "width": W})
        writers.write_jpeg(root / "val2017" / name, rng.integers(0, 256, (H, W, 3), dtype=np.uint8))
        for aid, cat, mask in objs:
            anns.append({"id": aid, "image_id": iid, "category_id": cat,
                         "segmentation": writers.mask_to_polygons(mask), "area": float(mask.sum()),
                         "bbox": writers.bbox_of(mask), "iscrowd": 0})
    writers.write_coco_instances(root / "annotations" / "instances_val2017.json", images, anns,
                                 [{"id": 1, "name": "cat", "supercategory": "animal"},
                                  {"id": 2, "name": "unicorn", "supercategory": "animal"}])


def test_instance_without_exemplar_is_its_own_error_record(tmp_path):
    root = tmp_path / "coco"
    _write_dataset(root)
    out = tmp_path / "run"
    summary = run(RunConfig(task=get_task("ref-image"), model="oracle", data_root=root, out_dir=out,
                            progress=False))
    records = {r["key"]: r for r in load_records(out)}
    assert sorted(records) == ["1/101", "1/102", "2/201", "3/301"]
    err = records["1/102"]
    assert {k: err[k] for k in ("unit", "instance_id", "category_id", "status")} == \
        {"unit": "102", "instance_id": "102", "category_id": 2, "status": "error"}
    assert err["error"] == "NoExemplarError: no exemplar for 1/102: category 2 appears in no other image"
    assert "intersection" not in err
    for key in ("1/101", "2/201", "3/301"):  # image 1's other instance is evaluated too
        rec = records[key]
        assert rec["status"] == "ok" and rec["category_id"] == 1 and rec["exemplar"].split("/")[0] != key[0]
        assert rec["intersection"] == rec["union"] > 0  # the oracle
    assert summary["counts"] == {"expected": 4, "evaluated": 4, "ok": 3, "errors": 1}
    assert summary["metrics"]["mIoU"] == pytest.approx(1.0)
    assert json.loads((out / "summary.json").read_text())["counts"]["errors"] == 1
