"""``seem-bench tasks``: every task definition with its parameters."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tasks", help="list task definitions and their parameters",
                       description="List every task with its dataset, protocol and parameters; "
                                   "override any with `seem-bench run --set key=value`.")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from seem_bench.tasks import TASKS

    info = {name: {**spec.to_json(), "description": spec.description.strip()} for name, spec in TASKS.items()}
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for name, d in info.items():
        print(f"{name}  ({d['kind']}): {d['description']}")
        print(f"    dataset={d['dataset']} split={d['split']} protocol={d['protocol']} "
              f"first_prompt={d['first_prompt']}")
        print("    " + " ".join(f"{k}={v}" for k, v in d["params"].items()))
    return 0
