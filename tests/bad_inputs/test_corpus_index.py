"""Bad-input corpus, round 2, family 2 (issue 21): COCO / panoptic / REFER index fields.

Every field of an index entry is type-checked before use: a wrong type becomes one line naming
the file and the entry, in ``data check`` (listed, exit 1) and in ``run`` (exit 1), never a
traceback, a "model error" record, or a crash in pycocotools (NaN or 1e30 polygon coordinates,
garbage RLE counts). Cases run in this process (cheap); the tiny fixtures of tests/data are the
datasets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from corpus import assert_no_partial_outputs, assert_one_line_failure, files_under, seem_bench_here


@pytest.fixture
def fx(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "data"))
    import data_fixtures

    return data_fixtures


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))  # Python's json writes NaN / Infinity as JS literals


def _ann(aid: int) -> Callable[[dict], dict]:
    return lambda d: next(a for a in d["annotations"] if a["id"] == aid)


def _set(pick: Callable[[dict], dict], key: str, value) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        pick(d)[key] = value
    return change


def _set_rle(aid: int, key: str, value) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        _ann(aid)(d)["segmentation"][key] = value
    return change


def _polygon(value) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        poly = list(_ann(101)(d)["segmentation"][0])
        poly[3] = value
        _ann(101)(d)["segmentation"] = [poly]
    return change


#: COCO instances corruptions: (id, change to instances_val2017.json, entry named, problem).
INSTANCE_CASES = [
    ("images-null", lambda d: d.update(images=None), "", "'images' must be a list, got null"),
    ("bbox-str", _set(_ann(101), "bbox", "abc"), "annotation 101", "bbox must be a list of 4 finite numbers"),
    ("area-str", _set(_ann(102), "area", "big"), "annotation 102", "area must be a finite number"),
    ("iscrowd-str", _set(_ann(101), "iscrowd", "yes"), "annotation 101", "iscrowd must be 0 or 1"),
    ("rle-size-str", _set_rle(103, "size", ["x", 5]), "annotation 103", "RLE size must be two integers"),
    ("rle-counts-garbage", _set_rle(103, "counts", "\x7f\x7f!!"), "annotation 103", "outside the alphabet"),
    ("rle-counts-cut", _set_rle(103, "counts", "o"), "annotation 103", "end in the middle of a number"),
    ("rle-counts-negative", _set_rle(104, "counts", [-5, 773]), "annotation 104", "integers >= 0"),
    ("polygon-strings", lambda d: _ann(101)(d).update(segmentation=[["a", "b", "c", "d", "e", "f"]]),
     "annotation 101", "polygon coordinates must be finite numbers"),
    ("polygon-nan", _polygon(float("nan")), "annotation 101", "polygon coordinates must be finite numbers"),
    ("polygon-inf", _polygon(float("inf")), "annotation 101", "polygon coordinates must be finite numbers"),
    ("polygon-1e30", _polygon(1e30), "annotation 101", "polygon coordinate out of range"),
    ("image-id-str", _set(_ann(102), "image_id", "abc"), "annotation #1", "integer id/image_id/category_id"),
    ("file-name-escapes", lambda d: d["images"][0].update(file_name="../../x.jpg"), "image 9",
     "escapes the dataset folder"),
]


@pytest.mark.parametrize("case", INSTANCE_CASES, ids=[c[0] for c in INSTANCE_CASES])
def test_coco_instances_fields_are_checked(case, fx, tmp_path, capfd):
    _, change, entry, problem = case
    root, _ = fx.coco_instances(tmp_path / "coco")
    path = root / "annotations" / "instances_val2017.json"
    _edit_json(path, change)
    proc = seem_bench_here(["data", "check", "coco_instances", "--data-root", root, "--no-progress"], capfd)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if problem in line]
    assert len(lines) == 1 and lines[0].startswith(f"{path}: ") and entry in lines[0], proc.stdout


@pytest.mark.parametrize("case", [c for c in INSTANCE_CASES if c[0] in (
    "bbox-str", "rle-counts-garbage", "polygon-nan", "polygon-1e30", "rle-size-str")], ids=lambda c: c[0])
def test_generic_run_refuses_a_bad_instances_json(case, fx, tmp_path, capfd):
    """The generic task's oracle decodes the instances JSON's masks: its fields are checked
    before pycocotools sees them, and the run stops with one line instead of error records."""
    _, change, entry, problem = case
    root = fx.coco_panoptic(tmp_path / "coco")
    fx.coco_instances(root)
    path = root / "annotations" / "instances_val2017.json"
    _edit_json(path, change)
    before = files_under(tmp_path)
    proc = seem_bench_here(["run", "--task", "generic", "--model", "oracle", "--no-progress", "--data-root", root,
                            "--out", tmp_path / "run"], capfd)
    assert_one_line_failure(proc, 1, str(path), entry, problem)
    assert_no_partial_outputs(tmp_path, before, allowed={"header.json", "records-rank0.jsonl"})


def _panoptic_segment(key: str, value) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        d["annotations"][0]["segments_info"][1][key] = value
    return change


PANOPTIC_CASES = [
    ("isthing-str", lambda d: d["categories"][0].update(isthing="maybe"), "category 7", "isthing must be 0 or 1"),
    ("segment-iscrowd-str", _panoptic_segment("iscrowd", "yes"), "segment 1", "iscrowd must be 0 or 1"),
    ("segment-bbox-str", _panoptic_segment("bbox", "abc"), "segment 1", "bbox must be a list of 4"),
    ("segment-area-str", _panoptic_segment("area", "big"), "segment 1", "area must be a finite number"),
    ("annotation-image-id-str", lambda d: d["annotations"][1].update(image_id="abc"), "annotation #1",
     "image_id must be an integer"),
    ("png-name-escapes", lambda d: d["annotations"][1].update(file_name="../../../etc/x.png"), "annotation #1",
     "escapes the dataset folder"),
    ("annotations-null", lambda d: d.update(annotations=None), "", "'annotations' must be a list"),
]


@pytest.mark.parametrize("verb", ["data-check", "run"])
@pytest.mark.parametrize("case", PANOPTIC_CASES, ids=[c[0] for c in PANOPTIC_CASES])
def test_coco_panoptic_fields_are_checked(case, verb, fx, tmp_path, capfd):
    _, change, entry, problem = case
    root = fx.coco_panoptic(tmp_path / "coco")
    path = root / "annotations" / "panoptic_val2017.json"
    _edit_json(path, change)
    if verb == "data-check":
        proc = seem_bench_here(["data", "check", "coco_panoptic", "--data-root", root, "--no-progress"], capfd)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        lines = [line for line in proc.stdout.splitlines() if problem in line]
        assert len(lines) == 1 and lines[0].startswith(f"{path}: ") and entry in lines[0], proc.stdout
        return
    before = files_under(tmp_path)
    proc = seem_bench_here(["run", "--task", "generic", "--model", "oracle", "--no-progress", "--data-root", root,
                            "--out", tmp_path / "run"], capfd)
    assert_one_line_failure(proc, 1, str(path), entry, problem)
    assert files_under(tmp_path) == before  # an index problem stops the run before its directory


def _ref(n: int, **fields) -> Callable[[list], None]:
    def change(refs: list) -> None:
        refs[n].update(fields)
    return change


def _duplicate_ref(refs: list) -> None:
    refs[2]["ref_id"] = refs[1]["ref_id"]


REFER_CASES = [
    ("sent-ids-null", _ref(1, sent_ids=None), "ref #1", "sent_ids must be a list of integers"),
    ("category-id-null", _ref(2, category_id=None), "ref #2", "category_id must be an integer, got null"),
    ("image-id-str", _ref(0, image_id="abc"), "ref #0", "image_id must be an integer"),
    ("duplicate-ref-id", _duplicate_ref, "ref #2", "ref_id 2 listed twice"),
    ("sentence-raw-null", lambda refs: refs[1]["sentences"][0].update(raw=None), "ref 2",
     "sentences need a string raw"),
]


@pytest.mark.parametrize("verb", ["data-check", "run"])
@pytest.mark.parametrize("case", REFER_CASES, ids=[c[0] for c in REFER_CASES])
def test_refer_fields_are_checked(case, verb, fx, tmp_path, capfd):
    _, change, entry, problem = case
    refs, _, _ = fx.refer_records()
    change(refs)
    root = fx.refer(tmp_path / "refer", refs=refs)
    path = root / "refcoco" / "refs(unc).p"
    assert path.is_file()  # the corruption is in the file the loader reads
    if verb == "data-check":
        proc = seem_bench_here(["data", "check", "refcoco", "--data-root", root, "--no-progress"], capfd)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        lines = [line for line in proc.stdout.splitlines() if problem in line]
        assert len(lines) == 1 and lines[0].startswith(f"{path}: ") and entry in lines[0], proc.stdout
        return
    before = files_under(tmp_path)
    proc = seem_bench_here(["run", "--task", "referring", "--model", "oracle", "--no-progress", "--set",
                            "dataset=refcoco", "--data-root", root, "--out", tmp_path / "run"], capfd)
    assert_one_line_failure(proc, 1, str(path), entry, problem)
    assert files_under(tmp_path) == before


def test_bom_json_reads_the_same_in_every_task(fx, tmp_path, capfd):
    """A UTF-8 byte-order mark (Windows editors write one) is dropped by the one JSON reader: the
    generic task (panoptic JSON, and the instances JSON its oracle and AP evaluator read) gives
    the numbers of the file without it."""
    summaries = []
    for bom in (False, True):
        root = fx.coco_panoptic(tmp_path / f"coco{int(bom)}")
        fx.coco_instances(root)
        if bom:
            for name in ("panoptic_val2017.json", "instances_val2017.json"):
                p = root / "annotations" / name
                p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
        out = tmp_path / f"run{int(bom)}"
        proc = seem_bench_here(["run", "--task", "generic", "--model", "oracle", "--no-progress", "--data-root",
                                root, "--out", out], capfd)
        assert proc.returncode == 0, proc.stderr
        summaries.append(json.loads((out / "summary.json").read_text()))
    assert summaries[0]["metrics"] == summaries[1]["metrics"] and summaries[1]["counts"]["errors"] == 0
    assert summaries[0]["metrics"]["PQ"] == 1.0  # the oracle: a real score, not an error record
