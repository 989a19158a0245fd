"""Peak RSS of `seem_bench.runner.summarize` alone: 1,000 vs 100,000 interactive records (goal: flat).

Writes a synthetic interactive run directory per size (``header.json`` + ``records-rank0.jsonl``
with seeded IoUs, ``--rounds`` rounds per record: no model, no data), then summarizes it in a
fresh subprocess that reports its RSS after imports and its peak (``ru_maxrss``). The
difference is what the summary itself holds. ``--pythonpath DIR`` runs the summary of another
seem_bench on the same files, for a before/after row: DIR holds a copy of that version's
``seem_bench/`` with its ``tasks/`` copied to ``seem_bench/taskdefs`` (as the install maps it).

Usage::

    .venv/bin/python benchmarks/bench_summary_memory.py --quick       # 1,000 vs 10,000
    .venv/bin/python benchmarks/bench_summary_memory.py               # 1,000 vs 100,000
    .venv/bin/python benchmarks/bench_summary_memory.py --pythonpath /tmp/oldpkg
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import _common as C
import numpy as np

CHILD = r"""
import json, resource, sys, time
def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
from seem_bench.runner import summarize
import seem_bench.metrics.interactive, seem_bench.report  # imports before the baseline
base = rss_mib()
t0 = time.perf_counter()
s = summarize(sys.argv[1])
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
import seem_bench
print(json.dumps({"base_mib": base, "peak_mib": peak, "seconds": dt, "NoC@90": s["metrics"]["NoC@90"], "package": seem_bench.__file__}))
"""


def write_run(out: Path, n: int, rounds: int, seed: int = 0) -> Path:
    """A run directory with ``n`` interactive records of ``rounds`` rounds (seeded IoUs)."""
    out.mkdir(parents=True, exist_ok=True)
    fp = "bench" * 8
    task = {"name": "interactive", "kind": "interactive", "dataset": "grabcut", "split": None,
            "protocol": "ritm", "first_prompt": "point",
            "params": {"max_rounds": rounds, "compare": "ritm", "seed": 0}, "metrics": ["NoC@90"],
            "evaluators": ["interactive"]}
    header = {"schema": 1, "run_id": fp[:12], "fingerprint": fp, "task": task,
              "model": {"name": "bench"}, "dataset": {"name": "grabcut", "instances": n}}
    (out / "header.json").write_text(json.dumps(header))
    rng = np.random.default_rng(seed)
    with open(out / "records-rank0.jsonl", "w") as f:
        for i in range(n):
            ious = np.sort(rng.random(rounds)).round(6).tolist()
            rds = [{"round": r + 1, "prompt": {"click": [int(rng.integers(500)), int(rng.integers(400)), True]},
                    "iou": v, "model_s": 0.001} for r, v in enumerate(ious)]
            rec = {"schema": 1, "run_id": fp[:12], "key": f"img{i:07d}/1", "task": "interactive",
                   "fingerprint": fp, "sample_id": f"img{i:07d}", "instance_id": "1", "category_id": 1,
                   "rounds": rds, "ious": ious, "final_iou": ious[-1], "status": "ok", "encode_s": 0.01}
            f.write(json.dumps(rec) + "\n")
    return out


def measure(run_dir: Path, pythonpath: str | None) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    # cwd: the run's folder, so that `python -c` does not import a checkout from the current directory.
    res = subprocess.run([sys.executable, "-c", CHILD, str(run_dir)], env=env, capture_output=True,
                         text=True, check=True, cwd=run_dir)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1,000 vs 10,000 records")
    ap.add_argument("--sizes", default=None, help="comma-separated record counts")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--pythonpath", default=None, help="summarize with the package found here")
    args = ap.parse_args()
    sizes = [int(x) for x in (args.sizes or ("1000,10000" if args.quick else "1000,100000")).split(",")]
    rows, result = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            run_dir = write_run(Path(tmp) / f"run{n}", n, args.rounds)
            r = measure(run_dir, args.pythonpath)
            size = (run_dir / "records-rank0.jsonl").stat().st_size / 2**20
            result[n] = {**r, "records_mib": size}
            rows.append([f"{n:,}", f"{size:.0f}", f"{r['base_mib']:.0f}", f"{r['peak_mib']:.0f}",
                         f"{r['peak_mib'] - r['base_mib']:.1f}", f"{r['seconds']:.2f}"])
    table = C.markdown_table(["records", "file MiB", "RSS after imports MiB", "peak RSS MiB",
                              "summary growth MiB", "summary s"], rows)
    cmd = "benchmarks/bench_summary_memory.py " + " ".join(sys.argv[1:])
    C.emit("summary peak RSS", table, {str(k): v for k, v in result.items()}, cmd)


if __name__ == "__main__":
    main()
