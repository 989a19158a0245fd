"""SA-Co/Gold loader: the demo subset, the HF parquet layout, and the concept task's oracle."""

from __future__ import annotations

import json

import pytest

from seem_bench.data.registry import load_dataset, resolve_root
from seem_bench.runner import RunConfig, run
from seem_bench.tasks import get_task


def _gold(demo_root):
    return load_dataset("saco_gold", resolve_root("saco_gold", demo_root), "demo")


def test_demo_subset_is_sa_co_gold_shaped(demo_root):
    ds = _gold(demo_root)
    root = resolve_root("saco_gold", demo_root)
    files = sorted((root / "gt-annotations").glob("gold_demo_merged_*_release_test.json"))
    assert [f.name[17] for f in files] == ["a", "b", "c"]
    a = json.loads(files[0].read_text())
    positive = {ann["image_id"] for ann in a["annotations"]}
    assert 1 - len(positive) / len(a["images"]) >= 0.75  # SA-Co/Gold's share of negative pairs
    pairs = ds.fingerprint["pairs"]
    assert pairs["not_exhaustive"] == len(ds.samples) and pairs["evaluated"] == sum(
        len(s.meta["pairs"]) for s in ds.samples)
    assert all(s.meta["versions"] == 3 for s in ds.samples)
    assert any(i.iscrowd for s in ds.samples for i in s.instances)  # annotator c's crowd regions


def test_parquet_layout_reads_the_same_pairs(demo_root, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    root = resolve_root("saco_gold", demo_root)
    rows = [json.loads(f.read_text()) for f in sorted((root / "gt-annotations").glob("gold_demo_*_test.json"))]
    (tmp_path / "demo" / "test").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "demo" / "test" / "0000.parquet")
    (tmp_path / "images").symlink_to(root / "images")
    a, b = _gold(demo_root), load_dataset("saco_gold", tmp_path, "demo")
    assert [s.meta["pairs"] for s in a.samples] == [s.meta["pairs"] for s in b.samples]
    assert [[(i.instance_id, i.iscrowd) for i in s.instances] for s in a.samples] == \
           [[(i.instance_id, i.iscrowd) for i in s.instances] for s in b.samples]
    assert (a.samples[0].instances[0].mask() == b.samples[0].instances[0].mask()).all()


def test_oracle_answers_every_pair(demo_root, tmp_path):
    s = run(RunConfig(task=get_task("concept"), model="oracle", data_root=demo_root, out_dir=tmp_path,
                      progress=False))
    m = s["metrics"]
    assert m["pairs"] == _gold(demo_root).fingerprint["pairs"]["evaluated"]
    # exact answers: only the reference's epsilons keep the values under 1
    assert 0.9999 < m["cgF1"] < 1 and 0.9999 < m["IL_MCC"] < 1 and m["IL_FPR"] == 0


def test_silver_layout_has_one_version(demo_root, tmp_path):
    root = resolve_root("saco_gold", demo_root)
    a = root / "gt-annotations" / "gold_demo_merged_a_release_test.json"
    (tmp_path / "silver_demo_merged_test.json").write_text(a.read_text())
    ds = load_dataset("saco_silver", tmp_path, "demo")
    assert ds.name == "saco_silver" and all(s.meta["versions"] == 1 for s in ds.samples)
    assert {i.meta["version"] for s in ds.samples for i in s.instances} == {0}
    # version a alone marks every pair exhaustive: nothing is dropped
    assert ds.fingerprint["pairs"]["not_exhaustive"] == 0
