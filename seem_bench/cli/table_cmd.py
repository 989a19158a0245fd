"""``seem-bench table``: paper-style tables of run directories, optionally with reported rows."""

from __future__ import annotations

import argparse
from pathlib import Path

from seem_bench.report.constants import FORMATS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "table", help="paper-style tables of runs (reported vs reproduced)",
        description="Tables of finished runs in the SEEM README layout (COCO | RefCOCOg | VOC), the "
                    "interactive layout (datasets x NoC@85/NoC@90) and the DAVIS J&F layout. "
                    "--reported adds the published numbers, marked as such. Runs with sampled "
                    "clicks (--set gamma=G --set draws=K) add a deterministic vs sampled table "
                    "and, for models compared on the same data, a ranking-stability line.",
        epilog="Examples:\n  seem-bench table runs/a runs/b --reported\n"
               "  seem-bench table runs/* --layout interactive --format latex -o table.tex",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR", help="run directories (or summary.json files)")
    p.add_argument("--reported", action="store_true", help="add the published (reported) rows")
    p.add_argument("--layout", action="append", metavar="NAME",
                   help="auto (default: every paper layout the runs fill), seem, interactive, davis, "
                        "or runs (one row per run, every metric); repeatable")
    p.add_argument("--metrics", nargs="+", metavar="METRIC", help="columns of the 'runs' layout")
    p.add_argument("--format", choices=FORMATS, default="md", help="output format (default md)")
    p.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from seem_bench.report import entries
    from seem_bench.report.files import emit
    from seem_bench.report.layouts import build_table, resolve_layouts, runs_table
    from seem_bench.report.leaderboard import load_reported
    from seem_bench.report.render import render_all
    from seem_bench.report.robustness import robustness_table
    from seem_bench.report.runs import load_summary

    summaries = [load_summary(r) for r in args.runs]
    names = args.layout or ["auto"]
    reproduced = entries.summary_entries(summaries)
    layouts = resolve_layouts([n for n in names if n != "runs"], reproduced)
    shown = entries.concat(load_reported(), reproduced) if args.reported else reproduced
    tables = [build_table(shown, lay) for lay in layouts]
    if "runs" in names or not tables:  # runs no paper layout covers still get a table
        tables.append(runs_table(summaries, args.metrics))
    sampled = robustness_table(summaries)  # runs with --set draws=K: deterministic vs sampled
    if sampled is not None:
        tables.append(sampled)
    emit(render_all(tables, args.format), args.output)
    return 0
