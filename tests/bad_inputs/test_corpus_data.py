"""Bad-input corpus, data side (issue 13 items 1, 2, 3, 5, 8): each hand-made bad input ends in
one stderr line naming the file or parameter, the right exit code, no traceback and no partial
output. Each case runs the CLI in its own process, as a user would (worker pools, C libraries'
stderr and exit codes are part of what is checked).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from corpus import assert_no_partial_outputs, assert_one_line_failure, files_under, seem_bench

from seem_bench.data.synthetic import (
    coco_instances,
    davis_sequences,
    panoptic_images,
    write_davis,
    write_panoptic,
)

RUN = ["run", "--task", "interactive", "--model", "oracle", "--no-progress"]


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.fixture
def grabcut(demo_root, tmp_path) -> Path:
    """A 3-image GrabCut copy of the demo data (small: every case runs the CLI)."""
    root = tmp_path / "GrabCut"
    for sub, ext in (("data_GT", "jpg"), ("boundary_GT", "bmp")):
        (root / sub).mkdir(parents=True)
        for i in range(3):
            shutil.copy(demo_root / "GrabCut" / sub / f"demo_{i:03d}.{ext}", root / sub)
    return root


def _resize_mask(path: Path) -> None:
    m = cv2.imread(str(path))
    cv2.imwrite(str(path), cv2.resize(m, (m.shape[1] // 2, m.shape[0] // 2), interpolation=cv2.INTER_NEAREST))


def _empty_mask(path: Path) -> None:
    cv2.imwrite(str(path), np.zeros_like(cv2.imread(str(path))))


#: GrabCut corruptions: (id, what to do to the copy, the file the error must name, its problem).
GRABCUT_CASES: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("truncated-jpeg", lambda r: _truncate(r / "data_GT" / "demo_001.jpg"), "data_GT/demo_001.jpg",
     "cannot decode image"),
    ("mask-size", lambda r: _resize_mask(r / "boundary_GT" / "demo_001.bmp"), "boundary_GT/demo_001.bmp",
     "160x120 but image demo_001 is 320x240"),
    ("empty-mask", lambda r: _empty_mask(r / "boundary_GT" / "demo_001.bmp"), "boundary_GT/demo_001.bmp",
     "instance 1 has an empty mask"),
    ("mask-without-image", lambda r: (r / "data_GT" / "demo_001.jpg").unlink(), "data_GT/demo_001.*",
     "no image for mask demo_001.bmp"),
]


@pytest.mark.parametrize("case", GRABCUT_CASES, ids=[c[0] for c in GRABCUT_CASES])
def test_run_stops_at_a_bad_image_or_mask(case, grabcut, tmp_path):
    _, corrupt, name, problem = case
    corrupt(grabcut)
    before = files_under(tmp_path)
    proc = seem_bench([*RUN, "--data-root", str(grabcut), "--out", "run"], tmp_path)
    assert_one_line_failure(proc, 1, name, problem)
    # The run stopped at the bad sample: a resumable directory, no summary, nothing torn.
    assert_no_partial_outputs(tmp_path, before, allowed={"header.json", "records-rank0.jsonl"})
    keys = [json.loads(line)["key"] for line in (tmp_path / "run" / "records-rank0.jsonl").read_text().splitlines()]
    assert "demo_001/1" not in keys


def test_skip_bad_samples_records_them_and_says_so(grabcut, tmp_path):
    _empty_mask(grabcut / "boundary_GT" / "demo_001.bmp")
    proc = seem_bench([*RUN, "--data-root", str(grabcut), "--out", "run", "--skip-bad-samples"], tmp_path)
    # The exit status of a run with error records is issue 13 item 7's (tested with it).
    assert "Traceback" not in proc.stderr and "1 in samples with bad data, skipped" in proc.stderr, proc.stderr
    counts = json.loads((tmp_path / "run" / "summary.json").read_text())["counts"]
    assert counts == {"expected": 3, "evaluated": 3, "ok": 2, "errors": 1, "bad_samples": 1} | {
        k: v for k, v in counts.items() if k not in ("expected", "evaluated", "ok", "errors", "bad_samples")}
    recs = {json.loads(line)["key"]: json.loads(line)
            for line in (tmp_path / "run" / "records-rank0.jsonl").read_text().splitlines()}
    bad = recs["demo_001/1"]
    assert bad["status"] == "error" and bad["bad_sample"] is True
    assert "boundary_GT/demo_001.bmp: instance 1 has an empty mask" in bad["error"]
    assert [recs[k]["status"] for k in ("demo_000/1", "demo_002/1")] == ["ok", "ok"]


def test_data_check_reports_every_bad_image_and_mask(grabcut, demo_root, tmp_path):
    for i in range(3, 6):  # three more images, one per remaining corruption
        shutil.copy(demo_root / "GrabCut" / "data_GT" / f"demo_{i:03d}.jpg", grabcut / "data_GT")
        shutil.copy(demo_root / "GrabCut" / "boundary_GT" / f"demo_{i:03d}.bmp", grabcut / "boundary_GT")
    _truncate(grabcut / "data_GT" / "demo_000.jpg")
    _resize_mask(grabcut / "boundary_GT" / "demo_001.bmp")
    _empty_mask(grabcut / "boundary_GT" / "demo_002.bmp")
    (grabcut / "data_GT" / "demo_003.jpg").unlink()
    proc = seem_bench(["data", "check", "grabcut", "--data-root", str(grabcut)], tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    for name, problem in [("data_GT/demo_000.jpg", "cannot decode image"),
                          ("boundary_GT/demo_001.bmp", "but image demo_001 is 320x240"),
                          ("boundary_GT/demo_002.bmp", "instance 1 has an empty mask"),
                          ("data_GT/demo_003.*", "no image for mask demo_003.bmp")]:
        assert any(name in line and problem in line for line in lines), (name, proc.stdout)


# --------------------------------------------------------------------------- eval davis / pq: worker pools


@pytest.fixture
def davis_results(tmp_path) -> tuple[Path, Path, str]:
    seqs = davis_sequences(5, n_sequences=3, frames=(5, 6))
    write_davis(tmp_path / "D", tmp_path / "r", seqs)
    return tmp_path / "D", tmp_path / "r", seqs[1].name


DAVIS_CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("missing-png", lambda f: f.unlink(), "mask PNG not found"),
    ("truncated-png", lambda f: _truncate(f, 0.3), "cannot read mask PNG"),
    ("object-index", lambda f: cv2.imwrite(str(f), np.full(cv2.imread(str(f), 0).shape, 9, np.uint8)),
     "object index 9"),
]


@pytest.mark.parametrize("workers", [None, "2"], ids=["default-workers", "2-workers"])
@pytest.mark.parametrize("case", DAVIS_CASES, ids=[c[0] for c in DAVIS_CASES])
def test_eval_davis_worker_error_is_one_line(case, workers, davis_results, tmp_path):
    _, corrupt, problem = case
    davis, results, seq = davis_results
    bad = results / seq / "00002.png"
    corrupt(bad)
    before = files_under(tmp_path)
    argv = ["eval", "davis", "--davis-root", str(davis), "--results", str(results)]
    proc = seem_bench(argv + (["--workers", workers] if workers else []), tmp_path)
    # The index error names the sequence's result folder; file errors name the file.
    assert_one_line_failure(proc, 1, str(bad) if "index" not in case[0] else seq, problem)
    assert files_under(tmp_path) == before


def test_eval_pq_numpy_workers_error_is_one_line(tmp_path):
    cats, pairs = panoptic_images(3, n_images=4)
    p = write_panoptic(tmp_path / "pq", cats, pairs)
    pred = json.loads(p["pred_json"].read_text())
    ann = pred["annotations"][2]
    dropped = ann["segments_info"].pop(0)
    p["pred_json"].write_text(json.dumps(pred))
    before = files_under(tmp_path)
    proc = seem_bench(["eval", "pq", "--gt-json", str(p["gt_json"]), "--gt-folder", str(p["gt_folder"]),
                       "--pred-json", str(p["pred_json"]), "--pred-folder", str(p["pred_folder"]),
                       "--backend", "numpy", "--workers", "2"], tmp_path)
    assert_one_line_failure(proc, 1, ann["file_name"], f"segment id {dropped['id']} is in the PNG but not "
                                                        "in segments_info")
    assert files_under(tmp_path) == before


# --------------------------------------------------------------------------- eval ap: non-finite numbers


def _write_results(tmp_path: Path, index: int, key: str, value: float, pos: int | None = None) -> Path:
    gt, dt = coco_instances(3, n_images=4, iou_type="bbox")
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    dt = [dict(d) for d in dt]
    if pos is None:
        dt[index][key] = value
    else:
        dt[index][key] = [*dt[index][key]]
        dt[index][key][pos] = value
    path = tmp_path / "dt.json"
    path.write_text(json.dumps(dt))  # Python's json writes Infinity / -Infinity / NaN
    return path


AP_CASES = [("score-inf", 3, "score", float("inf"), None), ("score-minus-inf", 0, "score", float("-inf"), None),
            ("score-nan", 5, "score", float("nan"), None), ("bbox-inf", 2, "bbox", float("inf"), 2),
            ("area-inf", 4, "area", float("inf"), None)]


@pytest.mark.parametrize("case", AP_CASES, ids=[c[0] for c in AP_CASES])
def test_eval_ap_refuses_non_finite_results(case, tmp_path):
    _, index, key, value, pos = case
    dt = _write_results(tmp_path, index, key, value, pos)
    proc = seem_bench(["eval", "ap", "--gt", str(tmp_path / "gt.json"), "--dt", str(dt), "--iou-type", "bbox"],
                      tmp_path)
    assert_one_line_failure(proc, 1, str(dt), f"result #{index} has a non-finite {key}")


# --------------------------------------------------------------------------- small ones


def test_eval_semseg_names_the_gt_file_with_the_bad_label(tmp_path):
    for d in ("g", "p"):
        (tmp_path / d).mkdir()
        for i in range(2):
            cv2.imwrite(str(tmp_path / d / f"{i}.png"), np.full((6, 7), i, np.uint8))
    cv2.imwrite(str(tmp_path / "g" / "1.png"), np.full((6, 7), 7, np.uint8))  # label 7 >= K = 4
    proc = seem_bench(["eval", "semseg", "--gt-dir", "g", "--pred-dir", "p", "--num-classes", "4"], tmp_path)
    line = assert_one_line_failure(proc, 1, "g/1.png", "GT label 7")
    assert "p/1.png" not in line


def test_opencv_log_lines_never_reach_the_user(tmp_path):
    """A truncated PNG made OpenCV print ``[ WARN:0@...]`` and ``[ERROR:0@...]`` lines."""
    for d in ("g", "p"):
        (tmp_path / d).mkdir()
        cv2.imwrite(str(tmp_path / d / "0.png"), np.zeros((6, 7), np.uint8))
    png = tmp_path / "p" / "0.png"
    png.write_bytes(png.read_bytes()[:30])  # signature + part of IHDR
    proc = seem_bench(["eval", "semseg", "--gt-dir", "g", "--pred-dir", "p", "--num-classes", "4"], tmp_path)
    assert_one_line_failure(proc, 1, "p/0.png", "cannot decode")


def test_eval_ap_prints_absent_as_a_dash(tmp_path):
    """pycocotools' -1 ("no GT in this area range") is not a score of -100."""
    gt, dt = coco_instances(3, n_images=4, iou_type="bbox")
    for a in gt["annotations"]:  # every GT object is small: APm, APl, ARm, ARl are absent (-1)
        a["area"] = 10.0
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    proc = seem_bench(["eval", "ap", "--gt", "gt.json", "--dt", "dt.json", "--iou-type", "bbox"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = dict(line.split() for line in proc.stdout.splitlines())
    assert rows["APm"] == rows["APl"] == rows["ARm"] == rows["ARl"] == "–"
    assert "-100.00" not in proc.stdout and float(rows["APs"]) >= 0


def test_refcoco_plus_without_data_root_says_the_demo_has_none(tmp_path):
    before = files_under(tmp_path)
    proc = seem_bench([*RUN, "--set", "dataset=refcoco+"], tmp_path)
    assert_one_line_failure(proc, 2, "dataset=refcoco+", "the demo data has no refcoco+ set", "--data-root")
    assert files_under(tmp_path) == before


# --------------------------------------------------------------------------- run identity


def test_changed_data_never_reuses_a_run_dir_or_merges(grabcut, tmp_path):
    ok = seem_bench([*RUN, "--data-root", str(grabcut), "--out", "clean"], tmp_path)
    assert ok.returncode == 0, ok.stderr
    _empty_mask(grabcut / "boundary_GT" / "demo_002.bmp")
    # Same --out on changed data: refused before any record is written.
    before = files_under(tmp_path)
    proc = seem_bench([*RUN, "--data-root", str(grabcut), "--out", "clean", "--skip-bad-samples"], tmp_path)
    assert_one_line_failure(proc, 2, "clean", "different data")
    assert files_under(tmp_path) == before
    # A run on the changed data has another run id, and merge refuses to mix the two.
    seem_bench([*RUN, "--data-root", str(grabcut), "--out", "dirty", "--skip-bad-samples"], tmp_path)
    clean = json.loads((tmp_path / "clean" / "header.json").read_text())
    dirty = json.loads((tmp_path / "dirty" / "header.json").read_text())
    assert clean["run_id"] != dirty["run_id"]
    before = files_under(tmp_path)
    proc = seem_bench(["merge", "clean", "dirty", "--out", "merged"], tmp_path)
    assert_one_line_failure(proc, 2, "clean=", "dirty=", "different data")
    assert files_under(tmp_path) == before


# --------------------------------------------------------------------------- DAVIS scribbles


def _scribble(n_frames: int, frame: int, object_id: int = 1, path=((0.2, 0.3), (0.4, 0.5))) -> dict:
    per_frame = [[] for _ in range(n_frames)]
    per_frame[frame] = [{"path": [list(p) for p in path], "object_id": object_id}]
    return {"scribbles": per_frame, "sequence": "x", "annotated_frame": frame}


SCRIBBLE_CASES = [
    ("frame-count", lambda n: _scribble(n - 2, 0), "holds 6 frames but the sequence has 8"),
    ("not-a-list", lambda n: {"scribbles": {"0": []}}, "not a DAVIS scribble file"),
    ("no-path", lambda n: {"scribbles": [[{"object_id": 1}]] + [[] for _ in range(n - 1)]},
     "frame 0 stroke 0 needs 'path' and 'object_id'"),
    ("object-id", lambda n: _scribble(n, 1, object_id=9), "object_id 9"),
    ("coordinates", lambda n: _scribble(n, 1, path=((0.2, 0.3), (1.5, 0.5))), "in [0, 1]"),
    ("no-json", None, "not valid JSON"),
]


@pytest.mark.parametrize("case", SCRIBBLE_CASES, ids=[c[0] for c in SCRIBBLE_CASES])
def test_davis_data_check_validates_scribble_files(case, demo_root, tmp_path):
    _, make, problem = case
    root = tmp_path / "DAVIS"
    shutil.copytree(demo_root / "DAVIS", root)
    seq = (root / "ImageSets" / "2017" / "val.txt").read_text().split()[0]
    (root / "Scribbles" / seq).mkdir(parents=True)
    good = root / "Scribbles" / seq / "001.json"
    good.write_text(json.dumps(_scribble(8, 3)))
    bad = root / "Scribbles" / seq / "002.json"
    bad.write_text("{oops" if make is None else json.dumps(make(8)))
    proc = seem_bench(["data", "check", "davis2017", "--data-root", str(root)], tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.splitlines() == [line for line in proc.stdout.splitlines() if str(bad) in line]
    assert len(proc.stdout.splitlines()) == 1 and problem in proc.stdout, proc.stdout


# --------------------------------------------------------------------------- the existing malformed fixtures, through `run`


def _truncate_in(rel: str) -> Callable[[Path], str]:
    def corrupt(root: Path) -> str:
        _truncate(root / rel)
        return rel
    return corrupt


#: (id, fixture writer, task, dataset, corruption returning the path the error must name, problem)
FIXTURE_CASES = [
    ("coco-truncated-jpeg", "coco_panoptic", "generic", "coco_panoptic",
     _truncate_in("val2017/000000000042.jpg"), "cannot decode image"),
    ("coco-missing-index", "coco_panoptic", "generic", "coco_panoptic",
     lambda r: (r / "annotations/panoptic_val2017.json").unlink() or "annotations/panoptic_val2017.json",
     "file not found"),
    ("davis-truncated-png", "davis", "vos", "davis2017", _truncate_in("Annotations/480p/bear/00001.png"),
     "cannot decode label PNG"),
    ("refer-truncated-pickle", "refer", "referring", "refcoco", _truncate_in("refcoco/refs(unc).p"),
     "cannot unpickle"),
]


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=[c[0] for c in FIXTURE_CASES])
def test_malformed_fixtures_stop_a_run_with_one_line(case, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "data"))
    import data_fixtures as fx

    _, writer, task, dataset, corrupt, problem = case
    root = tmp_path / "data"
    getattr(fx, writer)(root)
    name = corrupt(root)
    before = files_under(tmp_path)
    proc = seem_bench(["run", "--task", task, "--model", "oracle", "--no-progress", "--set", f"dataset={dataset}",
                       "--data-root", str(root), "--out", "run"], tmp_path)
    assert_one_line_failure(proc, 1, name, problem)
    assert_no_partial_outputs(tmp_path, before, allowed={"header.json", "records-rank0.jsonl"})
