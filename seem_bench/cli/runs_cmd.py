"""``seem-bench runs``: list run directories with task, model, what differs, completeness, headline metrics."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "runs", help="list runs: task, model, differing parameters, completeness, headline metrics",
        description="List every run directory at or below DIR (default ./runs): task, model, dataset, "
                    "the parameters that differ between the listed runs, how many of the expected "
                    "objects are evaluated, and the task's first metrics.",
        epilog="Examples:\n  seem-bench runs\n  seem-bench runs runs/abl --json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", nargs="?", type=Path, default=Path("runs"), metavar="DIR")
    p.add_argument("--json", action="store_true", help="one JSON list instead of a table")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import pandas as pd

    from seem_bench.report.runs import list_runs

    rows = list_runs(args.dir)
    if args.json:
        print(json.dumps(rows, indent=1, default=str))
        return 0
    if not rows:
        print(f"no runs under {args.dir}")
        return 0
    df = pd.DataFrame([{"run": r["run_dir"], "task": r["task"], "model": r["model"], "dataset": r["dataset"],
                        "differs": r["differs"] or "–",
                        "done": f"{r['evaluated']}/{r['expected']}" + ("" if r["complete"] else " (incomplete)"),
                        "metrics": r["shown"]} for r in rows])
    print(df.to_markdown(index=False, disable_numparse=True))
    return 0
