"""``seem-bench models``: every model with its capabilities and whether it runs here.

"Runnable" is each adapter's own cheap check (`Adapter.availability`: packages importable,
checkpoint found, checkout present), with the options given here exactly as ``run`` would pass
them; nothing is loaded. A plugin that fails to import is listed as not runnable with the error.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from seem_bench.errors import SeemBenchError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list models, their capabilities and whether they run here",
                       description="List every registered model (built-in and plugins) with the tasks and "
                                   "prompt kinds it supports and whether it is runnable on this machine "
                                   "(code importable, checkpoint found). Checkpoints are looked up as given "
                                   "by --checkpoint, else by their released file name in "
                                   "$SEEM_BENCH_CHECKPOINTS and ~/.cache/seem-bench/checkpoints.",
                       epilog="Example: seem-bench models --checkpoint sam_vit_b_01ec64.pth --json")
    p.add_argument("names", nargs="*", metavar="MODEL", help="only these models (default: all)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--checkpoint", help="check availability with this checkpoint")
    p.add_argument("--seem-root", help="check SEEM availability with this checkout")
    p.add_argument("--model-opt", action="append", default=[], metavar="KEY=VALUE",
                   help="adapter option to check with, as for `run` (repeatable)")
    p.set_defaults(func=main)


def describe_models(names: list[str] | None = None, **options: Any) -> dict[str, dict[str, Any]]:
    """``{name: {summary, tasks, prompts, composition, memory, runnable, reason, ...}}``."""
    from seem_bench.adapters.registry import MODELS
    from seem_bench.adapters.weights import find_checkpoint

    opts = {k: v for k, v in options.items() if v not in (None, "")}
    out: dict[str, dict[str, Any]] = {}
    for name in names or MODELS.names():
        try:
            cls = MODELS.get(name)
        except SeemBenchError as e:
            if names:  # an explicitly requested unknown name is a usage error
                raise
            out[name] = {"runnable": False, "reason": str(e)}
            continue
        except Exception as e:  # a broken plugin must not hide the others
            out[name] = {"runnable": False, "reason": f"cannot import: {type(e).__name__}: {e}"}
            continue
        try:
            ok, reason = cls.availability(**opts)
        except Exception as e:  # an availability check must not crash the listing
            ok, reason = False, f"availability check failed: {type(e).__name__}: {e}"
        d: dict[str, Any] = {"summary": cls.summary, **cls.capabilities.to_json(), "runnable": ok,
                             "reason": reason, "uses_ground_truth": cls.uses_ground_truth}
        ckpt_name = getattr(cls, "checkpoint_name", "")
        if ckpt_name:
            found = find_checkpoint(opts.get("checkpoint"), ckpt_name)
            d["checkpoint_file"] = ckpt_name
            d["checkpoint"] = str(found) if found is not None and found.is_file() else None
        out[name] = d
    return out


def main(args: argparse.Namespace) -> int:
    from seem_bench.cli.run_cmd import parse_kv

    options: dict[str, Any] = parse_kv(args.model_opt, "--model-opt")
    options.update(checkpoint=args.checkpoint, seem_root=args.seem_root)
    info = describe_models(args.names or None, **options)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for name, d in info.items():
        status = "runnable" if d["runnable"] else "NOT runnable"
        print(f"{name:16s} {status:13s} {d.get('summary', '')}")
        if d.get("deferred"):
            print(f"{'':16s} capabilities: declared by the worker when it connects")
        elif "tasks" in d:
            print(f"{'':16s} tasks: {', '.join(d['tasks'])}; prompts: {', '.join(d['prompts'])}; "
                  f"composition: {d['composition']}; memory: {d['memory']}; "
                  f"batched decode: up to {d.get('max_batch', 1)}")
        if d.get("checkpoint"):
            print(f"{'':16s} checkpoint: {d['checkpoint']}")
        if not d["runnable"]:
            print(f"{'':16s} why: {d['reason']}")
        elif d.get("reason") not in (None, "", "ok"):  # e.g. SEEM: in-process or through its environment
            print(f"{'':16s} how: {d['reason']}")
    return 0
