"""Bad-input corpus, run side: parameters, records files, baselines (issue 13 items 4, 6, 7).

Every case runs the command line as a user would and asserts: the exit code (2 usage, 1 data),
exactly one stderr line naming the parameter or file and the problem, no traceback, and no
output left behind (no run directory for a refused configuration, no summary for a refused
check or merge).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from corpus import assert_no_partial_outputs, assert_one_line_failure, files_under, seem_bench

# One small run shared by the cases that need a finished run directory (disks: closed-form, fast).
RUN_ARGS = ["run", "--task", "interactive", "--model", "disks", "--set", "max_rounds=3", "--limit", "3",
            "--no-progress"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, demo_root) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "run"
    res = seem_bench([*RUN_ARGS, "--data-root", str(demo_root / "GrabCut"), "--out", str(out)], cwd=out.parent)
    assert res.returncode == 0, res.stderr
    return out


PARAM_CASES = [
    # (extra args, exit code, words the one line must hold)
    (["--set", "negatives=of"], 2, ["negatives", "'of'", "Did you mean off?"]),
    (["--set", "memory=maybe"], 2, ["memory", "on or off", "'maybe'"]),
    (["--set", "max_rounds=abc"], 2, ["max_rounds", "integer", "'abc'"]),
    (["--set", "max_rounds=-3"], 2, ["max_rounds", ">= 1", "-3"]),
    (["--set", "iou_target=1.5"], 2, ["iou_target", "<= 1"]),
    (["--set", "text=clas"], 2, ["text", "Did you mean class?"]),
    (["--set", "compare=float32"], 2, ["compare", "ritm, exact"]),
    (["--set", "dt=kornia"], 2, ["no parameter 'dt'"]),  # ritm has no dt option
    (["--set", "protocol=seem", "--set", "blob_radius=x"], 2, ["blob_radius", "integer"]),
    (["--set", "first_prompt_protocol=boxx", "--set", "first_prompt=box"], 2, ["boxx"]),
    (["--set", "max_round=3"], 2, ["max_round", "Did you mean max_rounds"]),
    (["--limit", "0"], 2, ["--limit", "positive", "0"]),
    (["--limit", "-2"], 2, ["--limit", "-2"]),
    (["--model-opt", "iterations=5"], 2, ["disks", "no option 'iterations'"]),
]


@pytest.mark.parametrize(("extra", "code", "needles"), PARAM_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_bad_parameter_fails_before_any_data_is_read(tmp_path, extra, code, needles):
    out = tmp_path / "out"
    # A data root that does not exist: a parameter error must come first, before any file is read.
    res = seem_bench(["run", "--task", "interactive", "--model", "disks", "--no-progress",
                      "--data-root", str(tmp_path / "no-such-data"), "--out", str(out), *extra], cwd=tmp_path)
    assert_one_line_failure(res, code, *needles)
    assert files_under(tmp_path) == set()


def test_unknown_model_option_on_a_classical_model(tmp_path):
    res = seem_bench(["run", "--task", "interactive", "--model", "grabcut", "--model-opt", "iteration=5",
               "--data-root", str(tmp_path / "none"), "--out", str(tmp_path / "o")], cwd=tmp_path)
    assert_one_line_failure(res, 2, "grabcut", "'iteration'", "Did you mean iterations?")
    assert not (tmp_path / "o").exists()


def test_retry_errors_needs_resume(tmp_path):
    res = seem_bench([*RUN_ARGS, "--retry-errors", "--data-root", str(tmp_path), "--out", str(tmp_path / "o")], cwd=tmp_path)
    assert_one_line_failure(res, 2, "--retry-errors", "--resume")
    assert not (tmp_path / "o").exists()


def _corrupt_middle_line(run_dir: Path) -> Path:
    path = run_dir / "records-rank0.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    assert len(lines) == 3
    lines[1] = lines[1][: len(lines[1]) // 2] + "\n"  # a cut line in the middle: not a torn tail
    path.write_text("".join(lines))
    return path


@pytest.mark.parametrize("verb", ["resume", "merge"])
def test_corrupted_records_line_is_one_line_with_its_number(finished_run, tmp_path, verb):
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir)
    (run_dir / "summary.json").unlink()
    path = _corrupt_middle_line(run_dir)
    before = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    listing = files_under(tmp_path)
    args = ["run", "--resume", str(run_dir), "--no-progress"] if verb == "resume" else ["merge", str(run_dir)]
    res = seem_bench(args, cwd=tmp_path)
    assert_one_line_failure(res, 1, f"{path}: line 2 is not valid JSON")
    # Nothing written: no record appended, no summary, no temporary file.
    assert_no_partial_outputs(tmp_path, listing)
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == before


def _baseline(tmp_path: Path, data: dict) -> Path:
    p = tmp_path / "baseline.json"
    p.write_text(json.dumps(data))
    return p


def test_check_refuses_a_baseline_in_percent(finished_run, tmp_path):
    s = json.loads((finished_run / "summary.json").read_text())
    base = _baseline(tmp_path, {"NoC@90": s["metrics"]["NoC@90"], "mIoU@1": 100 * s["metrics"]["mIoU@1"]})
    res = seem_bench(["check", str(finished_run), "--baseline", str(base)], cwd=tmp_path)
    assert_one_line_failure(res, 2, str(base), "mIoU@1", "percentage")


@pytest.mark.parametrize(("field", "value"), [("task", "referring"), ("dataset", "berkeley")])
def test_check_refuses_a_baseline_of_another_task_or_dataset(finished_run, tmp_path, field, value):
    s = json.loads((finished_run / "summary.json").read_text())
    other = {**s, field: {**s[field], "name": value}}
    d = tmp_path / "other"
    d.mkdir()
    (d / "summary.json").write_text(json.dumps(other))
    res = seem_bench(["check", str(finished_run), "--baseline", str(d)], cwd=tmp_path)
    assert_one_line_failure(res, 2, str(d / "summary.json"), value, "compare like with like")


def test_check_compares_metrics_only(finished_run, tmp_path):
    """Counts and conventions stored among a summary's metrics (``samples``, ``empty_union_iou``)
    are not scores: a baseline holding them passes on the scores alone."""
    s = json.loads((finished_run / "summary.json").read_text())
    base = _baseline(tmp_path, {"metrics": {"NoC@90": s["metrics"]["NoC@90"], "samples": 999,
                                            "empty_union_iou": 0.0}})
    res = seem_bench(["check", str(finished_run), "--baseline", str(base)], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "samples" not in res.stdout and "empty_union_iou" not in res.stdout and "NoC@90" in res.stdout


@pytest.mark.parametrize("side", ["run", "baseline"])
def test_check_refuses_random_weights(finished_run, tmp_path, side):
    rnd = tmp_path / "random"
    shutil.copytree(finished_run, rnd)
    s = json.loads((rnd / "summary.json").read_text())
    s["model"] = {**s["model"], "random_weights": True, "checkpoint": "random"}
    (rnd / "summary.json").write_text(json.dumps(s))
    run_dir, base = (rnd, finished_run) if side == "run" else (finished_run, rnd)
    res = seem_bench(["check", str(run_dir), "--baseline", str(base)], cwd=tmp_path)
    assert_one_line_failure(res, 2, str(rnd / "summary.json"), "random weights")
