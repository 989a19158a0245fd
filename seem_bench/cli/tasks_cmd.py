"""``seem-bench tasks``: every task definition with its parameters."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tasks", help="list task definitions and their parameters",
                       description="List every task with its dataset, protocol and parameters; "
                                   "override any with `seem-bench run --set key=value`.")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object, with each task's parameter schema (type, default, choices)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from seem_bench.params import schema
    from seem_bench.tasks import TASKS

    # "parameters": every accepted key with its type, default, choices, range, doc and this task's value.
    info = {name: {**spec.to_json(), "description": spec.description.strip(), "parameters": schema(spec)}
            for name, spec in TASKS.items()}
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for name, d in info.items():
        print(f"{name}  ({d['kind']}): {d['description']}")
        print(f"    dataset={d['dataset']} split={d['split']} protocol={d['protocol']} "
              f"first_prompt={d['first_prompt']}")
        print("    " + " ".join(f"{k}={v}" for k, v in d["params"].items()))
    return 0
