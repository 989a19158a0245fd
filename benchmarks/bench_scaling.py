"""1 vs 2 torchrun workers on the interactive task (goal: >= 1.8x), model ``grabcut``.

Runs ``torchrun --nproc_per_node {1,2} -m seem_bench run --task interactive --model grabcut`` on
a generated GrabCut-layout click set (real per-click cost: one ``cv2.grabCut`` per decode),
alternating 1 and 2 workers per repetition so both see the same machine load. Reported:

- wall speed-up of the whole command (process start, imports, process group, run, summary);
- work speed-up: the same with each side's fixed cost removed, measured as the wall time of a
  1-sample, 1-round run with the same number of workers;
- whether the two runs' records are identical (timings stripped): they must be.

``OMP_NUM_THREADS=1`` for both sides (torchrun sets it for 2 workers anyway), so the comparison
is one core vs two. On a machine whose cores are shared with other jobs the figure measures
the cores actually free, not the harness: the printed load average says how busy it was.

Usage::

    .venv/bin/python benchmarks/bench_scaling.py --quick     # 6 images x 5 rounds, 1 repetition
    .venv/bin/python benchmarks/bench_scaling.py             # 16 images x 10 rounds, 2 repetitions
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as C


def torchrun_cmd(nproc: int, data: Path, out: Path, rounds: int, limit: int | None = None) -> list[str]:
    """The ``torchrun ... -m seem_bench run`` command line for ``nproc`` workers."""
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [str(torchrun), "--nproc_per_node", str(nproc), "-m", "seem_bench", "run",
           "--task", "interactive", "--model", "grabcut", "--data-root", str(data),
           "--set", f"max_rounds={rounds}", "--no-progress", "--out", str(out)]
    if limit:
        cmd += ["--limit", str(limit)]
    return cmd


def timed_run(cmd: list[str]) -> float:
    """Wall seconds of ``cmd`` (``OMP_NUM_THREADS=1``); raises with its stderr if it fails."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stderr[-3000:]}")
    return wall


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exit status 1 if the two runs' records differ."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="6 images x 5 rounds, 1 repetition")
    ap.add_argument("--images", type=int, help="generated images (default 16, quick 6)")
    ap.add_argument("--rounds", type=int, help="clicks per object (default 10, quick 5)")
    ap.add_argument("--size", default="240x427", help="image HxW (default 240x427)")
    ap.add_argument("--reps", type=int, help="repetitions (default 2, quick 1)")
    args = ap.parse_args(argv)
    n = args.images or (6 if args.quick else 16)
    rounds = args.rounds or (5 if args.quick else 10)
    reps = args.reps or (1 if args.quick else 2)
    h, w = (int(v) for v in args.size.split("x"))

    from seem_bench.runner import load_records, strip_timings

    work = Path(tempfile.mkdtemp(prefix="seem-bench-scaling-"))
    try:
        C.make_clickset(work / "data", n, h, w, seed=2)
        walls: dict[int, list[float]] = {1: [], 2: []}
        fixed: dict[int, list[float]] = {1: [], 2: []}
        same = True
        for rep in range(reps):
            for nproc in (1, 2):
                out = work / f"run{nproc}_{rep}"
                walls[nproc].append(timed_run(torchrun_cmd(nproc, work / "data", out, rounds)))
                fixed[nproc].append(timed_run(torchrun_cmd(nproc, work / "data", work / f"fix{nproc}_{rep}",
                                                           1, limit=nproc)))
                print(f"rep {rep}: {nproc} worker(s) {walls[nproc][-1]:.1f} s (fixed {fixed[nproc][-1]:.1f} s)",
                      file=sys.stderr)
            a = [strip_timings(r) for r in load_records(work / f"run1_{rep}")]
            b = [strip_timings(r) for r in load_records(work / f"run2_{rep}")]
            same = same and a == b and len(a) == n
    finally:
        shutil.rmtree(work, ignore_errors=True)

    w1, w2 = C.median(walls[1]), C.median(walls[2])
    f1, f2 = C.median(fixed[1]), C.median(fixed[2])
    speed_wall = w1 / w2
    speed_work = (w1 - f1) / max(w2 - f2, 1e-9)
    rows = [
        ["1 worker, wall", w1, "s"],
        ["2 workers, wall", w2, "s"],
        ["1 worker, fixed cost (1 sample, 1 round)", f1, "s"],
        ["2 workers, fixed cost (1 sample each, 1 round)", f2, "s"],
        ["speed-up, wall", speed_wall, "x (goal >= 1.8)"],
        ["speed-up, work (fixed cost removed)", speed_work, "x (goal >= 1.8)"],
        ["records identical (1 vs 2 workers)", str(same), ""],
    ]
    C.emit("scaling", C.markdown_table(["quantity", "median", "unit"], rows), {
        "images": n, "rounds": rounds, "size": [h, w], "reps": reps, "model": "grabcut",
        "wall_1_s": round(w1, 2), "wall_2_s": round(w2, 2), "fixed_1_s": round(f1, 2),
        "fixed_2_s": round(f2, 2), "speedup_wall": round(speed_wall, 3),
        "speedup_work": round(speed_work, 3), "records_identical": same,
        "goal_met": speed_work >= 1.8, "cpu_count": os.cpu_count(),
    }, "python benchmarks/bench_scaling.py " + " ".join(sys.argv[1:] if argv is None else argv))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
