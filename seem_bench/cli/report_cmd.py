"""``seem-bench report``: one self-contained HTML file with the tables and plots of runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="one static HTML report (tables + embedded plots) of runs",
        description="Write a single HTML file (images embedded, no external resources) with what was "
                    "run, the paper-style tables with the reported numbers, every metric, the mIoU vs "
                    "clicks curves, the hardest instances and any failures.",
        epilog="Examples:\n  seem-bench report runs/a -o report.html\n"
               "  seem-bench report runs/a runs/b -o report.html --samples demo_000 --no-reported",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.html")
    p.add_argument("--no-reported", action="store_true", help="leave out the published numbers")
    p.add_argument("--samples", nargs="+", metavar="ID",
                   help="add a qualitative panel of these samples of the first run (masks stored by "
                        "`run --save-masks`)")
    p.add_argument("--data-root", type=Path, help="dataset location if it moved since the run")
    p.add_argument("--title", default="seem-bench report", help="page title")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from seem_bench.io_utils import atomic_write_text as write_text_atomic
    from seem_bench.report.html_report import build_report
    from seem_bench.report.runs import load_summary

    summaries = [load_summary(r) for r in args.runs]
    text = build_report(summaries, reported=not args.no_reported, samples=args.samples or (),
                        data_root=args.data_root, title=args.title)
    write_text_atomic(args.output, text)
    print(f"seem-bench: wrote {args.output} ({len(text) // 1024} KiB)", file=sys.stderr)
    return 0
