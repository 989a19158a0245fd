"""Past one machine (issue 16): two torchrun "nodes" (c10d rendezvous on 127.0.0.1, one process
each) writing into one shared run directory give the records of a single process, and the
summary is written once, by global rank 0, after every rank finished."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from seem_bench.io_utils import read_jsonl
from seem_bench.runner import load_records, strip_timings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_torchrun_nodes_share_one_run_directory(cli, demo_cache, tmp_path):
    env = {**os.environ, "SEEM_BENCH_CACHE": str(demo_cache), "OMP_NUM_THREADS": "1"}
    args = ["run", "--task", "interactive", "--model", "disks", "--no-progress", "--set", "max_rounds=5",
            "--batch-size", "4"]
    one = cli([*args, "--out", str(tmp_path / "one")], cwd=tmp_path, env_extra=env)
    assert one.returncode == 0, one.stderr
    port = _free_port()
    # `python -m torch.distributed.run` is torchrun run by this interpreter (a copied venv's
    # torchrun script may point at another Python).
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc_per_node", "1", "--rdzv_backend", "c10d",
           "--rdzv_endpoint", f"127.0.0.1:{port}", "--rdzv_id", "seem-bench-test", "--local_addr", "127.0.0.1",
           "-m", "seem_bench", *args, "--out", str(tmp_path / "two")]
    nodes = [subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [n.communicate(timeout=600) for n in nodes]
    for n, (_, err) in zip(nodes, outs, strict=True):
        assert n.returncode == 0, err[-3000:]
    run_dir = tmp_path / "two"
    files = sorted(p.name for p in run_dir.glob("records-rank*.jsonl"))
    assert files == ["records-rank0.jsonl", "records-rank1.jsonl"]
    assert all(read_jsonl(run_dir / f) for f in files)  # both nodes worked
    assert [strip_timings(r) for r in load_records(run_dir)] == \
        [strip_timings(r) for r in load_records(tmp_path / "one")]
    # One summary, by global rank 0, after both ranks' records were complete.
    assert sum(out.count("| disks") for out, _ in outs) == 1
    summary = run_dir / "summary.json"
    assert summary.stat().st_mtime_ns >= max((run_dir / f).stat().st_mtime_ns for f in files)
    import json

    s = json.loads(summary.read_text())
    assert s["counts"] == {"expected": 12, "evaluated": 12, "ok": 12, "errors": 0}
