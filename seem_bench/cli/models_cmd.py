"""``seem-bench models``: every model with its capabilities and whether it runs here."""

from __future__ import annotations

import argparse
import json

from seem_bench.errors import SeemBenchError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list models, their capabilities and whether they run here",
                       description="List every registered model (built-in and plugins) with the tasks and "
                                   "prompt kinds it supports and whether it is runnable on this machine.")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--checkpoint", help="check availability with this checkpoint")
    p.add_argument("--seem-root", help="check SEEM availability with this checkout")
    p.set_defaults(func=main)


def describe_models(**options) -> dict[str, dict]:
    from seem_bench.adapters.registry import MODELS

    out = {}
    for name in MODELS.names():
        try:
            cls = MODELS.get(name)
        except SeemBenchError as e:
            out[name] = {"runnable": False, "reason": str(e)}
            continue
        except Exception as e:  # a broken plugin must not hide the others
            out[name] = {"runnable": False, "reason": f"cannot import: {type(e).__name__}: {e}"}
            continue
        ok, reason = cls.availability(**{k: v for k, v in options.items() if v})
        out[name] = {"summary": cls.summary, **cls.capabilities.to_json(), "runnable": ok,
                     "reason": reason, "uses_ground_truth": cls.uses_ground_truth}
    return out


def main(args: argparse.Namespace) -> int:
    info = describe_models(checkpoint=args.checkpoint, seem_root=args.seem_root)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for name, d in info.items():
        status = "runnable" if d["runnable"] else "NOT runnable"
        print(f"{name:16s} {status:13s} {d.get('summary', '')}")
        if "tasks" in d:
            print(f"{'':16s} tasks: {', '.join(d['tasks'])}; prompts: {', '.join(d['prompts'])}; "
                  f"composition: {d['composition']}; memory: {d['memory']}")
        if not d["runnable"]:
            print(f"{'':16s} why: {d['reason']}")
    return 0
