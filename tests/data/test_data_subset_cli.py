"""Subset id-list files, fingerprints, and the ``data stats`` / ``data list`` commands."""

from __future__ import annotations

import hashlib
import json

import data_fixtures as fx
import pytest

from seem_bench.cli import main as cli_main
from seem_bench.data.registry import DATASETS, load_dataset
from seem_bench.errors import DataError


@pytest.fixture(scope="module")
def coco_root(tmp_path_factory):
    return fx.coco_panoptic(tmp_path_factory.mktemp("coco"))


def test_subset_keeps_listed_samples_in_dataset_order_and_hashes_the_file(coco_root, tmp_path):
    f = tmp_path / "mini.txt"
    f.write_text("# coco-mini test list\n42\n\n5\n")
    ds = load_dataset("coco_panoptic", coco_root, subset=f)
    assert [s.sample_id for s in ds.samples] == ["5", "42"]
    assert ds.fingerprint["subset"] == {"file": "mini.txt", "sha256": hashlib.sha256(f.read_bytes()).hexdigest(),
                                        "ids": 2}
    f.write_text("42\n")
    ds = load_dataset("coco_panoptic", coco_root, subset=f)
    assert [s.sample_id for s in ds.samples] == ["42"]
    assert ds.fingerprint["files"] == load_dataset("coco_panoptic", coco_root).fingerprint["files"]


@pytest.mark.parametrize("text, problem", [("5\n7\n", "1 id(s) not in coco_panoptic split val2017: 7"),
                                           ("5\n5\n", "line 2: id '5' listed twice"),
                                           ("# nothing\n", "subset file lists no ids")])
def test_bad_subset_files(coco_root, tmp_path, text, problem):
    f = tmp_path / "s.txt"
    f.write_text(text)
    with pytest.raises(DataError) as e:
        load_dataset("coco_panoptic", coco_root, subset=f)
    assert str(e.value) == f"{f}: {problem}"


def test_fingerprint_changes_with_the_index_file(tmp_path):
    fx.coco_panoptic(tmp_path)
    before = load_dataset("coco_panoptic", tmp_path).fingerprint
    path = tmp_path / "annotations/panoptic_val2017.json"
    assert before["files"]["annotations/panoptic_val2017.json"] == hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(path.read_text().replace('"iscrowd":1', '"iscrowd":0'))
    assert load_dataset("coco_panoptic", tmp_path).fingerprint != before


def test_stats_json_and_ids(coco_root, tmp_path, capsys):
    assert cli_main(["data", "stats", "coco_panoptic", "--data-root", str(coco_root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"images": 2, "instances": 5}
    assert cli_main(["data", "stats", "coco_panoptic", "--data-root", str(coco_root), "--ids"]) == 0
    ids = capsys.readouterr().out
    assert ids.split() == ["5", "42"]
    (tmp_path / "ids.txt").write_text(ids)  # --ids output is a valid subset file
    assert cli_main(["data", "stats", "coco_panoptic", "--data-root", str(coco_root), "--subset",
                     str(tmp_path / "ids.txt"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"images": 2, "instances": 5}


def test_stats_referring_and_video_keys(tmp_path, capsys):
    fx.refer(tmp_path / "refer")
    fx.davis(tmp_path / "DAVIS")
    assert cli_main(["data", "stats", "refcoco", "--data-root", str(tmp_path), "--split", "testA", "--json"]) == 0
    refs = [r for r in fx.refer_records()[0] if "A" in r["split"]]
    assert json.loads(capsys.readouterr().out) == {
        "images": len({r["image_id"] for r in refs}), "instances": len(refs),
        "expressions": sum(len(r["sentences"]) for r in refs)}
    assert cli_main(["data", "stats", "davis2017", "--data-root", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"sequences": 2, "frames": 7, "instances": 4}


def test_list_names_every_dataset_with_its_tree(capsys):
    assert cli_main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for name in DATASETS.names():
        assert f"\n{name}  [" in f"\n{out}"
    assert "refs(unc).p" in out and "Annotations/480p/<seq>/00000.png" in out and "inst/<name>.mat" in out


def test_unknown_dataset_is_a_usage_error(tmp_path, capsys):
    assert cli_main(["data", "check", "coco_panoptik", "--data-root", str(tmp_path)]) == 2
    assert "Did you mean 'coco_panoptic'" in capsys.readouterr().err
