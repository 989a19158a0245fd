"""The demo data: deterministic bytes, official layouts, every dataset loads with the right counts."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seem_bench.data import demo
from seem_bench.data.check import check_dataset
from seem_bench.data.registry import load_dataset, resolve_root
from seem_bench.data.stats import dataset_stats


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_generation_is_deterministic(demo_root, tmp_path):
    again = demo.generate_demo(tmp_path / "again")
    a, b = tree_hashes(demo_root), tree_hashes(again)
    assert a == b and len(a) > 90


def test_layout_is_where_resolve_root_looks(demo_root):
    for rel in ("coco/annotations/panoptic_val2017.json", "coco/annotations/instances_val2017.json",
                "refer/refcoco/refs(unc).p", "refer/refcoco/instances.json", "DAVIS/ImageSets/2017/val.txt",
                "GrabCut/data_GT/demo_000.jpg"):
        assert (demo_root / rel).is_file(), rel
    assert resolve_root("coco_panoptic", demo_root) == demo_root / "coco"
    assert resolve_root("refcoco", demo_root) == demo_root / "refer"
    assert resolve_root("davis2016", demo_root) == demo_root / "DAVIS"


def _load(name, demo_root, split=None):
    return load_dataset(name, resolve_root(name, demo_root), split)


def test_coco_counts_match_the_json(demo_root):
    pan = json.loads((demo_root / "coco/annotations/panoptic_val2017.json").read_text())
    ins = json.loads((demo_root / "coco/annotations/instances_val2017.json").read_text())
    assert len(pan["images"]) == demo.N_COCO
    n_segments = sum(len(a["segments_info"]) for a in pan["annotations"])
    assert dataset_stats(_load("coco_panoptic", demo_root)) == {"images": demo.N_COCO, "instances": n_segments}
    assert dataset_stats(_load("coco_instances", demo_root)) == {"images": demo.N_COCO, "instances": len(ins["annotations"])}
    n_cats = sum(len({s["category_id"] for s in a["segments_info"]}) for a in pan["annotations"])
    assert dataset_stats(_load("coco_semantic", demo_root)) == {"images": demo.N_COCO, "instances": n_cats}
    # Official-format variety: polygons, crowd RLE, things and stuff, VOID pixels.
    assert any(a["iscrowd"] and isinstance(a["segmentation"]["counts"], list) for a in ins["annotations"])
    assert any(isinstance(a["segmentation"], list) for a in ins["annotations"])
    assert {c["isthing"] for c in pan["categories"]} == {0, 1}
    with Image.open(demo_root / "coco/panoptic_val2017" / pan["annotations"][0]["file_name"]) as im:
        assert im.mode == "RGB" and (np.array(im)[0] == 0).all()  # VOID border


def test_refcoco_counts_match_the_pickle(demo_root):
    refs = pickle.loads((demo_root / "refer/refcoco/refs(unc).p").read_bytes(), encoding="latin1")
    for split in (None, "train", "val", "testA", "testB"):
        sel = [r for r in refs if split is None or r["split"] == split]
        stats = dataset_stats(_load("refcoco", demo_root, split))
        assert stats == {"images": len({r["image_id"] for r in sel}), "instances": len(sel),
                         "expressions": sum(len(r["sentences"]) for r in sel)}
        assert stats["instances"] > 0


def test_davis_counts_match_the_files(demo_root):
    seqs = (demo_root / "DAVIS/ImageSets/2017/val.txt").read_text().split()
    assert seqs == list(demo.DAVIS_SEQUENCES)
    n_obj = 0
    for s in seqs:
        with Image.open(demo_root / f"DAVIS/Annotations/480p/{s}/00000.png") as im:
            assert im.mode == "P"
            lab = np.array(im)
        n_obj += int(lab[lab != 255].max())
    frames = len(seqs) * demo.DAVIS_FRAMES
    assert dataset_stats(_load("davis2017", demo_root)) == {"sequences": 3, "frames": frames, "instances": n_obj}
    assert dataset_stats(_load("davis2016", demo_root)) == {"sequences": 3, "frames": frames, "instances": 3}
    assert n_obj > 3  # several objects per clip


def test_grabcut_counts(demo_root):
    assert dataset_stats(_load("grabcut", demo_root)) == {"images": demo.N_GRABCUT, "instances": demo.N_GRABCUT}


@pytest.mark.parametrize("name", sorted(demo.DEMO_CONTENTS))
def test_every_demo_dataset_passes_check(demo_root, name):
    split, counts = demo.DEMO_CONTENTS[name]
    assert check_dataset(name, resolve_root(name, demo_root), split) == []
    stats = dataset_stats(_load(name, demo_root, split))
    assert {k: stats[k] for k in counts} == counts
