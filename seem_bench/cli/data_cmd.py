"""``seem-bench data``: demo data generation (and dataset inspection)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="generate the demo data; inspect datasets",
                       description="Dataset utilities.")
    dsub = p.add_subparsers(dest="data_verb", metavar="ACTION", required=True)
    demo = dsub.add_parser("demo", help="generate the demo datasets (seeded, official formats)",
                           description="Deterministically generate the demo datasets in their official "
                                       "on-disk formats.")
    demo.add_argument("--out", type=Path, help="output directory (default: the cache used by `run`)")
    demo.add_argument("--force", action="store_true", help="regenerate even if present")
    demo.set_defaults(func=demo_main)


def demo_main(args: argparse.Namespace) -> int:
    from seem_bench.data.demo import default_cache_dir, generate_demo

    out = args.out or default_cache_dir()
    generate_demo(out, overwrite=args.force)
    print(out)
    print(f"seem-bench: demo data ready in {out}", file=sys.stderr)
    return 0
