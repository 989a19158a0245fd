"""Records and resume (issue 13 items 6, 7, 9): one reader, errors retried, shards resumed alone,
exit code 1 on error records, and a fault under torchrun recorded once with the rest intact."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from fault_model import FAULT_ENV, image_sha, register

from seem_bench.errors import DataError
from seem_bench.records import finished_keys, load_records, strip_timings
from seem_bench.runner import RunConfig, config_from_run_dir, run
from seem_bench.tasks import get_task

FAULT_MODEL = Path(__file__).with_name("fault_model.py")


def _write(path: Path, recs: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))


def _rec(key: str, status: str = "ok", **extra) -> dict:
    return {"key": key, "fingerprint": "f", "status": status, **extra}


def test_one_reader_ok_supersedes_error_and_conflicts_are_refused(tmp_path):
    _write(tmp_path / "records-rank0.jsonl", [_rec("a/1", "error", error="boom"), _rec("b/1", final_iou=0.5),
                                              _rec("c/1", "error", error="first"), _rec("x/1", fingerprint="other")])
    _write(tmp_path / "records-rank1.jsonl", [_rec("a/1", final_iou=0.9, model_s=1.0),
                                              _rec("b/1", final_iou=0.5, model_s=2.0),  # same result, other timing
                                              _rec("c/1", "error", error="second")])
    recs = {r["key"]: r for r in load_records(tmp_path, fingerprint="f")}
    assert list(recs) == ["a/1", "b/1", "c/1"]
    assert recs["a/1"]["status"] == "ok" and recs["a/1"]["final_iou"] == 0.9  # the retried result stands
    assert "model_s" not in recs["b/1"]  # first of two identical results
    assert recs["c/1"]["error"] == "second"  # the latest attempt
    assert finished_keys(tmp_path, fingerprint="f") == {"a/1", "b/1", "c/1"}
    assert finished_keys(tmp_path, fingerprint="f", retry_errors=True) == {"a/1", "b/1"}
    _write(tmp_path / "records-rank2.jsonl", [_rec("b/1", final_iou=0.7)])
    with pytest.raises(DataError, match=r"records-rank2.jsonl: line 1: key 'b/1' was recorded with a different result"):
        load_records(tmp_path, fingerprint="f")


def test_corrupted_middle_line_names_file_and_line_torn_tail_is_dropped(tmp_path):
    path = tmp_path / "records-rank0.jsonl"
    path.write_text(json.dumps(_rec("a/1")) + "\n" + '{"key": "b/1", "fing\n' + json.dumps(_rec("c/1")) + "\n")
    with pytest.raises(DataError, match=r"records-rank0.jsonl: line 2 is not valid JSON"):
        load_records(tmp_path)
    path.write_text(json.dumps(_rec("a/1")) + "\n" + '{"key": "b/1", "fing')
    assert [r["key"] for r in load_records(tmp_path)] == ["a/1"]


@pytest.fixture
def faulty(demo_root, monkeypatch):
    """Registers ``faulty-disks`` and makes it fail on a randomly chosen GrabCut demo image."""
    from seem_bench.data import load_dataset

    register()
    samples = load_dataset("grabcut", demo_root / "GrabCut").samples
    bad = random.Random().randrange(len(samples))
    monkeypatch.setenv(FAULT_ENV, image_sha(samples[bad].image()))
    return samples[bad].sample_id


def test_retry_errors_reruns_only_error_records(demo_root, tmp_path, faulty, monkeypatch):
    task = get_task("interactive").with_overrides(["max_rounds=3"])
    out = tmp_path / "r"
    first = run(RunConfig(task=task, model="faulty-disks", data_root=demo_root, out_dir=out, progress=False))
    assert first["counts"]["errors"] == 1 and "errors" in first["marks"], faulty
    monkeypatch.delenv(FAULT_ENV)  # the fault is gone (a transient CUDA error, say)
    plain = run(config_from_run_dir(out, progress=False))  # resume without --retry-errors: kept as is
    assert plain["counts"]["errors"] == 1
    retried = run(config_from_run_dir(out, progress=False, retry_errors=True))
    assert retried["counts"] == {"expected": 12, "evaluated": 12, "ok": 12, "errors": 0}
    assert "errors" not in retried["marks"]
    lines = [json.loads(x) for x in (out / "records-rank0.jsonl").read_text().splitlines()]
    assert len(lines) == 13  # 12 records + the superseded error, which stays on disk as history
    clean = run(RunConfig(task=task, model="disks", data_root=demo_root, out_dir=tmp_path / "clean", progress=False))
    strip = lambda rs: [{k: v for k, v in strip_timings(r).items() if k not in ("run_id", "fingerprint")}  # noqa: E731
                        for r in rs]
    assert strip(load_records(out)) == strip(load_records(tmp_path / "clean"))
    assert clean["metrics"] | {"SPC": 0} == retried["metrics"] | {"SPC": 0}


def test_run_exits_1_when_a_sample_errored(demo_root, tmp_path, faulty, capsys):
    from seem_bench.cli import main

    args = ["run", "--task", "interactive", "--model", "faulty-disks", "--set", "max_rounds=2",
            "--data-root", str(demo_root / "GrabCut"), "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "r")]) == 1
    out = capsys.readouterr()
    assert "1 errors" in out.out and "11/12 instances evaluated, 1 errors" in out.err
    # A shard holding the error exits 1 too; the others exit 0.
    codes = [main([*args, "--out", str(tmp_path / "sh"), "--shard", f"{i}/3"]) for i in range(3)]
    assert sorted(codes) == [0, 0, 1]


def test_resume_of_a_shard_directory_resumes_that_shard_only(cli, demo_root, tmp_path):
    args = ["run", "--task", "interactive", "--model", "disks", "--set", "max_rounds=2", "--no-progress",
            "--data-root", str(demo_root / "GrabCut")]
    out = tmp_path / "s1"
    res = cli([*args, "--out", str(out), "--shard", "1/3"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    path = out / "records-rank1.jsonl"
    full = path.read_text().splitlines(keepends=True)
    assert len(full) == 4  # samples [4, 8) of 12
    path.write_text("".join(full[:1]))  # interrupted after one sample
    res = cli(["run", "--resume", str(out), "--no-progress"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "shard 1/3 done" in res.stderr and not (out / "summary.json").exists()
    assert sorted(p.name for p in out.glob("records-rank*.jsonl")) == ["records-rank1.jsonl"]
    assert [strip_timings(json.loads(x)) for x in path.read_text().splitlines()] == \
        [strip_timings(json.loads(x)) for x in full]
    res = cli(["run", "--resume", str(out), "--shard", "1/2", "--no-progress"], cwd=tmp_path)
    assert res.returncode == 2 and "3-way split" in res.stderr


def test_fault_under_torchrun_two_workers_records_the_rest_exactly_once(demo_root, tmp_path, faulty):
    out = tmp_path / "tr"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(FAULT_MODEL.parent), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(FAULT_MODEL),
                          "run", "--task", "interactive", "--model", "faulty-disks", "--set", "max_rounds=3",
                          "--data-root", str(demo_root / "GrabCut"), "--no-progress", "--out", str(out)],
                         env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode == 1, res.stderr  # rank 0 reports the error records
    lines = [json.loads(x) for p in sorted(out.glob("records-rank*.jsonl")) for x in p.read_text().splitlines()]
    keys = [r["key"] for r in lines]
    assert len(keys) == len(set(keys)) == 12, faulty  # every object once, none twice
    errors = [r for r in lines if r["status"] == "error"]
    assert [r["sample_id"] for r in errors] == [faulty]
    assert "simulated fault on the chosen sample" in errors[0]["error"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"expected": 12, "evaluated": 12, "ok": 11, "errors": 1}
    assert "errors" in summary["marks"]
    assert res.stdout.count("| faulty-disks") == 1 and "1 errors" in res.stdout
