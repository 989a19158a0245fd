"""CLI start-up: wall seconds of ``seem-bench --help``, ``tasks`` and ``models`` (goal: <= 0.3 s).

Each verb runs as a fresh ``python -m seem_bench VERB`` process, as a user's shell runs it, with
the bytecode cache on (``PYTHONDONTWRITEBYTECODE`` is removed from the child's environment and
one unmeasured run per verb writes the ``.pyc`` files first: compiling the package's sources on
every start would add ~50 ms that no installed copy pays). Beside them, in the same interleaved
loop, the floors every start pays: ``python -c pass`` (the interpreter and ``site``) and
``python -c "import numpy"`` (what the listing verbs no longer import). The table gives medians
and minima over ``--reps`` runs; the goal is judged on the median.

Usage::

    .venv/bin/python benchmarks/bench_cli_startup.py            # 7 repetitions
    .venv/bin/python benchmarks/bench_cli_startup.py --reps 15
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import _common as C

VERBS = ("--help", "tasks", "models")
FLOORS = {"python -c pass": ["-c", "pass"], "python -c 'import numpy'": ["-c", "import numpy"]}
GOAL_S = 0.3


def _time(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=7, help="runs per command (default 7)")
    args = ap.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = {f"seem-bench {v}": ["-m", "seem_bench", v] for v in VERBS} | FLOORS
    for cmd in commands.values():  # writes the bytecode cache; not measured
        _time(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.reps):  # interleaved, so that every command sees the same load
        for name, cmd in commands.items():
            times[name].append(_time(cmd, env))
    medians = {name: C.median(ts) for name, ts in times.items()}
    rows = [[name, f"{medians[name]:.3f}", f"{min(ts):.3f}",
             ("met" if medians[name] <= GOAL_S else "NOT met") if name.startswith("seem-bench") else "floor"]
            for name, ts in times.items()]
    load = os.getloadavg()[0]
    table = C.markdown_table(["command", "median s", "min s", f"goal <= {GOAL_S} s"], rows)
    C.emit("cli_startup", table, {
        "reps": args.reps, "load_avg_1min": round(load, 2),
        "median_s": {k: round(v, 3) for k, v in medians.items()},
        "goal_met": all(medians[f"seem-bench {v}"] <= GOAL_S for v in VERBS)},
        f"python benchmarks/bench_cli_startup.py --reps {args.reps}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
