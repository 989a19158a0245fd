"""Bad-input corpus, round 2, families 3 and 4 (issue 21): run-state files and concurrency.

A damaged ``header.json`` / ``summary.json`` / ``ablation.json`` or a records line with broken
fields is one line on every verb that reads it; a record whose key the run's dataset does not
have is not counted; a full disk (``ulimit -f``) while writing records or the summary is one
line and the resume continues from the complete records; two processes never write into one
run directory (an flock held by the writer; the second exits 2 naming its pid).
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from corpus import (
    assert_no_partial_outputs,
    assert_one_line_failure,
    files_under,
    seem_bench,
    seem_bench_here,
)

RUN_ARGS = ["run", "--task", "interactive", "--model", "disks", "--set", "max_rounds=3", "--limit", "3",
            "--no-progress"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, demo_root) -> Path:
    out = tmp_path_factory.mktemp("state") / "run"
    res = seem_bench([*RUN_ARGS, "--data-root", str(demo_root / "GrabCut"), "--out", str(out)], cwd=out.parent)
    assert res.returncode == 0, res.stderr
    return out


@pytest.fixture
def run_copy(finished_run, tmp_path) -> Path:
    d = tmp_path / "run"
    shutil.copytree(finished_run, d)
    return d


DAMAGE = {
    "empty": lambda p: p.write_text(""),
    "truncated": lambda p: p.write_text(p.read_text()[: len(p.read_text()) // 2]),
    "empty-object": lambda p: p.write_text("{}"),
    "list": lambda p: p.write_text("[1, 2]"),
    "directory": lambda p: (p.unlink(), p.mkdir()),
}
PROBLEM = {"empty": "not valid JSON", "truncated": "not valid JSON", "empty-object": "lacks a valid",
           "list": "must be a JSON object", "directory": "is a directory"}


def _verb_args(verb: str, run_dir: Path) -> list:
    return {"resume": ["run", "--resume", run_dir, "--no-progress"], "merge": ["merge", run_dir],
            "runs": ["runs", run_dir.parent], "table": ["table", run_dir], "check": ["check", run_dir, "--baseline",
                                                                                     run_dir]}[verb]


@pytest.mark.parametrize("verb", ["resume", "merge", "runs"])
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_header_is_one_line(damage, verb, run_copy, capfd):
    (run_copy / "summary.json").unlink()
    DAMAGE[damage](run_copy / "header.json")
    before = files_under(run_copy.parent)
    proc = seem_bench_here(_verb_args(verb, run_copy), capfd)
    problem = PROBLEM[damage] if damage != "empty-object" else "run header lacks a valid fingerprint"
    assert_one_line_failure(proc, 1, str(run_copy / "header.json"), problem)
    assert files_under(run_copy.parent) == before


@pytest.mark.parametrize("verb", ["table", "runs", "check"])
@pytest.mark.parametrize("damage", ["empty", "truncated", "list", "directory"])
def test_damaged_summary_is_one_line(damage, verb, run_copy, capfd):
    DAMAGE[damage](run_copy / "summary.json")
    proc = seem_bench_here(_verb_args(verb, run_copy), capfd)
    assert_one_line_failure(proc, 1, str(run_copy / "summary.json"), PROBLEM[damage])


@pytest.mark.parametrize("damage", ["empty", "list", "directory", "bad-grid"])
def test_damaged_ablation_manifest_is_one_line(damage, demo_root, tmp_path, capfd):
    out = tmp_path / "abl"
    out.mkdir()
    path = out / "ablation.json"
    path.write_text(json.dumps({"grid": "max_rounds"}))
    if damage != "bad-grid":
        DAMAGE[damage](path)
    proc = seem_bench_here(["ablate", "--task", "interactive", "--model", "disks", "--grid", "max_rounds=2,3",
                            "--limit", "1", "--data-root", demo_root / "GrabCut", "--out", out, "--no-progress"],
                           capfd)
    assert_one_line_failure(proc, 1, str(path), {"empty": "not valid JSON", "list": "must be a JSON object",
                                                 "directory": "is a directory", "bad-grid": "'grid'"}[damage])
    assert sorted(p.name for p in out.iterdir()) == ["ablation.json"]


def _rewrite_record(run_dir: Path, n: int, change) -> Path:
    path = run_dir / "records-rank0.jsonl"
    lines = path.read_text().splitlines()
    rec = json.loads(lines[n])
    change(rec)
    lines[n] = json.dumps(rec)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("verb", ["resume", "merge"])
def test_record_with_a_bad_status_is_one_line(verb, run_copy, capfd):
    (run_copy / "summary.json").unlink()
    path = _rewrite_record(run_copy, 1, lambda r: r.update(status="weird"))
    proc = seem_bench_here(_verb_args(verb, run_copy), capfd)
    assert_one_line_failure(proc, 1, str(path), "line 2", "status 'weird'")
    assert not (run_copy / "summary.json").exists()


@pytest.mark.parametrize("field", ["ious", "rounds"])
def test_ok_record_with_a_broken_field_is_one_line(field, run_copy, capfd):
    (run_copy / "summary.json").unlink()
    rec = json.loads((run_copy / "records-rank0.jsonl").read_text().splitlines()[2])
    _rewrite_record(run_copy, 2, lambda r: r.update({field: ["abc"] if field == "ious" else None}))
    proc = seem_bench_here(["merge", run_copy], capfd)
    assert_one_line_failure(proc, 1, str(run_copy), repr(rec["key"]), "broken field")
    assert "Traceback" not in proc.stderr
    assert not (run_copy / "summary.json").exists()


@pytest.mark.parametrize("verb", ["merge", "resume", "runs"])
def test_record_of_a_key_the_dataset_lacks_is_not_counted(verb, run_copy, finished_run, capfd):
    """A stray line (same run fingerprint, a key the run's samples do not have) made "4/3
    evaluated" and moved mIoU@3."""
    clean = json.loads((finished_run / "summary.json").read_text())
    path = run_copy / "records-rank0.jsonl"
    stray = json.loads(path.read_text().splitlines()[0])
    stray.update(key="not_a_sample/1", sample_id="not_a_sample", ious=[0.0, 0.0, 0.0])
    path.write_text(path.read_text() + json.dumps(stray) + "\n")
    (run_copy / "summary.json").unlink()
    proc = seem_bench_here(_verb_args(verb, run_copy), capfd)
    assert proc.returncode == 0, proc.stderr
    if verb == "runs":
        assert "3/3" in proc.stdout and "4/3" not in proc.stdout, proc.stdout
        return
    s = json.loads((run_copy / "summary.json").read_text())
    assert s["counts"] == clean["counts"] and s["metrics"] == clean["metrics"]


# --------------------------------------------------------------------------- full disk


def _ulimit_f(n_bytes: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (n_bytes, n_bytes))
    return limit


def _run_limited(args: list[str], cwd: Path, n_bytes: int) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENCV_LOG_LEVEL"}
    env["SEEM_BENCH_CACHE"] = str(cwd / ".cache")
    return subprocess.run([sys.executable, "-m", "seem_bench", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, preexec_fn=_ulimit_f(n_bytes))


def test_full_disk_while_writing_records_then_summary(demo_root, tmp_path):
    args = ["run", "--task", "interactive", "--model", "disks", "--set", "max_rounds=20", "--no-progress",
            "--data-root", str(demo_root / "GrabCut"), "--out", "run"]
    before = files_under(tmp_path)
    proc = _run_limited(args, tmp_path, 6000)  # the header fits, the 12 records do not
    records = tmp_path / "run" / "records-rank0.jsonl"
    assert_one_line_failure(proc, 1, str(Path("run") / records.name), "cannot write records", "File too large")
    assert_no_partial_outputs(tmp_path, before, allowed={"header.json", "records-rank0.jsonl"})
    kept = records.read_text().splitlines()
    assert 0 < len(kept) < 12 and all(json.loads(line)["status"] == "ok" for line in kept)
    # The resume continues after the complete records: every sample once, nothing lost or twice.
    proc = seem_bench(["run", "--resume", "run", "--no-progress"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    keys = [json.loads(line)["key"] for line in records.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 12
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["counts"]["ok"] == 12
    # A summary too big for the disk: one line, no summary, no temporary file left.
    (tmp_path / "run" / "summary.json").unlink()
    header_size = (tmp_path / "run" / "header.json").stat().st_size
    proc = _run_limited(["run", "--resume", "run", "--no-progress"], tmp_path, header_size + 64)
    assert_one_line_failure(proc, 1, str(Path("run") / "summary.json"), "cannot write", "File too large")
    assert not (tmp_path / "run" / "summary.json").exists()
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.startswith(".")]


# --------------------------------------------------------------------------- concurrency

_HOLD = """
import sys
from seem_bench.rundir_lock import RunDirLock
lock = RunDirLock(sys.argv[1]).acquire()
print("locked", flush=True)
sys.stdin.read()  # hold until the test closes our stdin
lock.release()
"""


def test_second_writer_into_a_run_directory_exits_2_naming_the_holder(run_copy, demo_root, tmp_path, capfd):
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(run_copy)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = {p.name: p.read_bytes() for p in run_copy.iterdir() if p.is_file() and p.name != "lock-rank0"}
        (run_copy / "summary.json").unlink()
        del before["summary.json"]
        proc = seem_bench([*RUN_ARGS, "--data-root", str(demo_root / "GrabCut"), "--out", str(run_copy)],
                          tmp_path)
        assert_one_line_failure(proc, 2, str(run_copy), f"pid {holder.pid}", "another seem-bench process")
        proc = seem_bench_here(["run", "--resume", run_copy, "--no-progress"], capfd)
        assert_one_line_failure(proc, 2, f"pid {holder.pid}")
        proc = seem_bench_here(["merge", run_copy, "--out", tmp_path / "merged"], capfd)
        assert_one_line_failure(proc, 2, str(run_copy), f"pid {holder.pid}")
        after = {p.name: p.read_bytes() for p in run_copy.iterdir() if p.is_file() and p.name != "lock-rank0"}
        assert after == before and not (tmp_path / "merged").exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    # The holder gone, its lock file is gone with it and the resume runs.
    assert not (run_copy / "lock-rank0").exists()
    proc = seem_bench_here(["run", "--resume", run_copy, "--no-progress"], capfd)
    assert proc.returncode == 0, proc.stderr
    assert not (run_copy / "lock-rank0").exists()


def test_merge_out_refuses_a_directory_holding_another_run(finished_run, tmp_path, capfd):
    other = tmp_path / "other"
    shutil.copytree(finished_run, other)
    header = json.loads((other / "header.json").read_text())
    header["fingerprint"] = "0" * 64
    (other / "header.json").write_text(json.dumps(header))
    before = {p.name: p.read_bytes() for p in other.iterdir()}
    proc = seem_bench_here(["merge", finished_run, "--out", other], capfd)
    assert_one_line_failure(proc, 2, f"--out {other}", "holds another run")
    assert {p.name: p.read_bytes() for p in other.iterdir()} == before


def test_shards_of_one_split_write_into_one_directory_at_once(demo_root, tmp_path):
    """Job-array shards share a directory: each holds its own rank's lock, so two real shard
    processes run at the same time, and merge gets every record."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENCV_LOG_LEVEL"}
    env["SEEM_BENCH_CACHE"] = str(tmp_path / ".cache")
    procs = [subprocess.Popen([sys.executable, "-m", "seem_bench", *RUN_ARGS, "--data-root",
                               str(demo_root / "GrabCut"), "--out", "run", "--shard", f"{i}/2"], cwd=tmp_path,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    t0 = time.monotonic()
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    assert time.monotonic() - t0 < 300
    proc = seem_bench(["merge", "run"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["counts"]["ok"] == 3
    assert not list((tmp_path / "run").glob("lock-*"))
