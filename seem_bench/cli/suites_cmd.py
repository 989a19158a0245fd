"""``seem-bench suites``: every suite (a paper's table as named cells) with its citation."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suites", help="list suites (paper tables as named cells) with their citations",
                       description="List every suite: its cells (task on dataset) and where its published "
                                   "numbers come from. Run one with `seem-bench suite run NAME --model M`.")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from seem_bench.suites.definition import SUITES, get_suite

    suites = [get_suite(name) for name in SUITES.names()]
    if args.json:
        print(json.dumps({s.name: {"title": s.title, "citation": s.citation, "url": s.url,
                                   "cells": {c.id: {"task": c.task_name, "set": list(c.overrides),
                                                    "metrics": list(c.metrics)} for c in s.cells}}
                          for s in suites}, indent=2))
        return 0
    for s in suites:
        print(f"{s.name}: {s.title}")
        print(f"    citation: {s.citation}" + (f" <{s.url}>" if s.url else ""))
        for c in s.cells:
            print(f"    {c.id}: {c.describe()} -> {', '.join(c.metrics)}")
    return 0
