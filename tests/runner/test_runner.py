"""Runner guarantees: identical numbers on 1 or N workers, after kill -9 + resume, with faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.adapters.registry import MODELS
from seem_bench.errors import UsageError
from seem_bench.io_utils import read_jsonl
from seem_bench.runner import RunConfig, load_records, run, strip_timings
from seem_bench.tasks import get_task


def _records(run_dir: Path) -> list[dict]:
    return [strip_timings(r) for r in load_records(run_dir)]


def _summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def test_one_vs_two_torchrun_workers_identical(cli, demo_cache, tmp_path):
    env = {**os.environ, "SEEM_BENCH_CACHE": str(demo_cache)}
    args = ["run", "--task", "interactive", "--model", "disks", "--no-progress"]
    one = cli([*args, "--out", str(tmp_path / "one")], cwd=tmp_path, env_extra=env)
    assert one.returncode == 0, one.stderr
    # torch.distributed.run is what the torchrun script runs; through sys.executable it uses this
    # environment even where the script's shebang points at another one (a copied venv).
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "seem_bench", *args,
                          "--out", str(tmp_path / "two")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert two.returncode == 0, two.stderr
    assert sorted(p.name for p in (tmp_path / "two").glob("records-rank*.jsonl")) == \
        ["records-rank0.jsonl", "records-rank1.jsonl"]
    n0, n1 = (len(read_jsonl(tmp_path / "two" / f"records-rank{r}.jsonl")) for r in (0, 1))
    assert n0 > 0 and n1 > 0  # both ranks worked
    assert _records(tmp_path / "one") == _records(tmp_path / "two")
    assert _summary(tmp_path / "one")["metrics"] | {"SPC": 0} == _summary(tmp_path / "two")["metrics"] | {"SPC": 0}
    assert two.stdout.count("| disks") == 1  # only rank 0 prints the table


def test_shards_and_merge_equal_single_run(cli, demo_cache, tmp_path):
    env = {"SEEM_BENCH_CACHE": str(demo_cache)}
    args = ["run", "--task", "interactive", "--model", "disks", "--no-progress", "--set", "max_rounds=5"]
    assert cli([*args, "--out", str(tmp_path / "one")], cwd=tmp_path, env_extra=env).returncode == 0
    for i in range(3):
        res = cli([*args, "--out", str(tmp_path / f"s{i}"), "--shard", f"{i}/3"], cwd=tmp_path, env_extra=env)
        assert res.returncode == 0, res.stderr
        assert not (tmp_path / f"s{i}" / "summary.json").exists()
    partial = cli(["merge", str(tmp_path / "s0"), str(tmp_path / "s1")], cwd=tmp_path)
    assert partial.returncode == 2 and "of 12 objects" in partial.stderr
    res = cli(["merge", *(str(tmp_path / f"s{i}") for i in range(3)), "--out", str(tmp_path / "m")],
                  cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert _records(tmp_path / "one") == _records(tmp_path / "m")
    m1, m2 = _summary(tmp_path / "one")["metrics"], _summary(tmp_path / "m")["metrics"]
    assert {k: v for k, v in m1.items() if k != "SPC"} == {k: v for k, v in m2.items() if k != "SPC"}


def test_kill_9_then_resume_loses_and_duplicates_nothing(demo_cache, tmp_path):
    env = {**os.environ, "SEEM_BENCH_CACHE": str(demo_cache)}
    args = [sys.executable, "-m", "seem_bench", "run", "--task", "interactive", "--model", "grabcut",
            "--limit", "6", "--set", "max_rounds=6", "--no-progress"]
    ref = subprocess.run([*args, "--out", str(tmp_path / "ref")], env=env, capture_output=True, text=True)
    assert ref.returncode == 0, ref.stderr

    killed = tmp_path / "killed"
    proc = subprocess.Popen([*args, "--out", str(killed)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    records = killed / "records-rank0.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if records.exists() and len(records.read_bytes().splitlines()) >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(read_jsonl(records))
    assert 2 <= n_before < 6
    # Simulate a torn last line, as a kill in the middle of a write leaves it.
    with open(records, "a") as f:
        f.write('{"key": "torn')
    assert not (killed / "summary.json").exists()

    # Resume with a different worker count: two shards, then merge.
    for i in range(2):
        res = subprocess.run([sys.executable, "-m", "seem_bench", "run", "--resume", str(killed),
                              "--shard", f"{i}/2", "--no-progress"], env=env, capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
    res = subprocess.run([sys.executable, "-m", "seem_bench", "merge", str(killed)], env=env,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    lines = [json.loads(x) for p in sorted(killed.glob("records-rank*.jsonl")) for x in p.read_text().splitlines()]
    keys = [r["key"] for r in lines]
    assert len(keys) == len(set(keys)) == 6  # nothing lost, nothing duplicated, torn line gone
    assert _records(killed) == _records(tmp_path / "ref")


class _Flaky(Adapter):
    """Disks model that raises on the sample whose image has the largest mean (a real exception path)."""

    name = "flaky-test"
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point"}, memory=True)
    bad_mean: float = -1.0

    def encode(self, image):
        return image.shape[:2], float(image.mean())

    def decode(self, state, prompts, memory=None):
        (h, w), mean = state
        if mean == self.bad_mean:
            raise RuntimeError("simulated CUDA out of memory")
        from seem_bench.baselines.sanity import disk_union

        return Prediction(mask=disk_union((h, w), prompts, 0.05 * min(h, w)))


def test_model_error_is_recorded_and_run_goes_on(demo_root, tmp_path):
    from seem_bench.data import load_dataset

    ds = load_dataset("grabcut", demo_root / "GrabCut")
    means = [float(s.image().mean()) for s in ds.samples]
    _Flaky.bad_mean = max(means)
    MODELS.register("flaky-test", _Flaky)
    task = get_task("interactive").with_overrides(["max_rounds=3"])
    summary = run(RunConfig(task=task, model="flaky-test", data_root=demo_root, out_dir=tmp_path / "r",
                            progress=False))
    assert summary["counts"] == {"expected": 12, "evaluated": 12, "ok": 11, "errors": 1}
    errs = [r for r in load_records(tmp_path / "r") if r["status"] == "error"]
    assert len(errs) == 1 and "simulated CUDA out of memory" in errs[0]["error"]
    with pytest.raises(RuntimeError, match="simulated"):
        run(RunConfig(task=task, model="flaky-test", data_root=demo_root, out_dir=tmp_path / "ff",
                      progress=False, fail_fast=True))


def test_same_seed_same_records_and_foreign_run_dir_refused(demo_root, tmp_path):
    task = get_task("interactive").with_overrides(["max_rounds=4"])
    for name in ("a", "b"):
        run(RunConfig(task=task, model="disks", data_root=demo_root, out_dir=tmp_path / name, progress=False))
    assert _records(tmp_path / "a") == _records(tmp_path / "b")
    other = get_task("interactive").with_overrides(["max_rounds=5"])
    with pytest.raises(UsageError, match="different run"):
        run(RunConfig(task=other, model="disks", data_root=demo_root, out_dir=tmp_path / "a", progress=False))


def test_capability_mismatch_fails_before_reading_data(tmp_path):
    task = get_task("interactive").with_overrides(["first_prompt=box"])
    with pytest.raises(UsageError, match="does not accept box"):
        run(RunConfig(task=task, model="disks", data_root=tmp_path / "does-not-exist", out_dir=tmp_path / "r"))
    assert not (tmp_path / "r").exists()


def test_torn_tail_is_cut_before_appending(tmp_path):
    from seem_bench.io_utils import JsonlWriter

    p = tmp_path / "r.jsonl"
    p.write_text('{"a": 1}\n{"b": ')
    with JsonlWriter(p) as w:
        w.write({"c": np.int64(3).item()})
    assert read_jsonl(p) == [{"a": 1}, {"c": 3}]


@pytest.mark.parametrize("background", [False, True])
def test_background_writer_writes_the_same_bytes_and_reports_a_failed_write(tmp_path, background):
    import threading

    from seem_bench.errors import DataError
    from seem_bench.io_utils import JsonlWriter

    batches = [[{"k": i, "v": [i] * i}] for i in range(5)] + [[{"k": "a"}, {"k": "b"}]]
    with JsonlWriter(tmp_path / "fg.jsonl") as w:
        for b in batches:
            w.write_many(b)
    written_by: set[str] = set()
    with JsonlWriter(tmp_path / "bg.jsonl", background=background) as w:
        append = w._append
        w._append = lambda text: (written_by.add(threading.current_thread().name), append(text))[1]
        for b in batches:
            w.write_many(b)
    assert (tmp_path / "bg.jsonl").read_bytes() == (tmp_path / "fg.jsonl").read_bytes()
    assert all(n.startswith("seem-bench-writer") for n in written_by) == background
    if not Path("/dev/full").exists():
        return
    w = JsonlWriter("/dev/full", background=background)
    with pytest.raises(DataError, match="/dev/full: cannot write records"):
        w.write_many([{"a": 1}])
        w.close()  # the background write's error surfaces here at the latest


def test_feature_cache_gives_identical_records_and_is_reused(demo_root, tmp_path):
    task = get_task("interactive").with_overrides(["max_rounds=3"])
    plain = run(RunConfig(task=task, model="oracle", data_root=demo_root, out_dir=tmp_path / "plain", progress=False))
    for name in ("c1", "c2"):
        cached = run(RunConfig(task=task, model="oracle", data_root=demo_root, out_dir=tmp_path / name,
                               progress=False, feature_cache=tmp_path / "cache"))
        assert cached["fingerprint"] == plain["fingerprint"]  # caching does not change the run
        assert _records(tmp_path / name) == _records(tmp_path / "plain")
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == plain["dataset"]["samples"]
