"""``seem-bench leaderboard add|show``: a CSV of reproduced results next to the reported ones."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seem_bench.report.constants import DEFAULT_BOARD, FORMATS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "leaderboard", help="add runs to a leaderboard file; show it beside the reported numbers",
        description="A leaderboard is a CSV of reproduced results (one row per metric, with the run's "
                    "id and fingerprint). `show` prints it in the paper layouts beside the published "
                    "numbers shipped with seem-bench.",
        epilog="Examples:\n  seem-bench leaderboard add runs/2024-sam-grabcut\n"
               "  seem-bench leaderboard show --layout interactive --format html -o board.html",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = verbs.add_parser("add", help="append finished runs' metrics (re-adding a run replaces it)")
    add.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR")
    add.add_argument("--board", type=Path, default=DEFAULT_BOARD, help=f"leaderboard file (default {DEFAULT_BOARD})")
    add.add_argument("--allow-partial", action="store_true",
                     help="accept runs that did not evaluate every expected instance")
    add.set_defaults(func=main_add)
    show = verbs.add_parser("show", help="print the leaderboard in the paper layouts")
    show.add_argument("--board", type=Path, default=DEFAULT_BOARD, help=f"leaderboard file (default {DEFAULT_BOARD})")
    show.add_argument("--layout", action="append", metavar="NAME",
                      help="auto (default: every layout with a number), seem, interactive, davis; repeatable")
    show.add_argument("--no-reported", action="store_true", help="only the reproduced rows")
    show.add_argument("--format", choices=FORMATS, default="md", help="output format (default md)")
    show.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    show.set_defaults(func=main_show)


def main_add(args: argparse.Namespace) -> int:
    from seem_bench.errors import DataError
    from seem_bench.marks import marks_label
    from seem_bench.report.leaderboard import add_to_board
    from seem_bench.report.runs import load_summary

    summaries = [load_summary(r) for r in args.runs]  # all validated before the board is touched
    for s in summaries:
        c = s.get("counts") or {}
        if not args.allow_partial and (c.get("ok") != c.get("expected") or not c):
            raise DataError(s["_path"], f"run evaluated {c.get('ok', '?')} of {c.get('expected', '?')} "
                                        "instances; finish it or pass --allow-partial")
    for s in summaries:
        n = add_to_board(args.board, s)
        marks = marks_label(s)
        print(f"{args.board}: {n} metrics of run {s.get('run_id', '?')} ({s['model']['name']} on "
              f"{s['task']['name']}/{s['dataset']['name']})" + (f", marked [{marks}]" if marks else ""),
              file=sys.stderr)
    return 0


def main_show(args: argparse.Namespace) -> int:
    from seem_bench.errors import UsageError
    from seem_bench.report import entries
    from seem_bench.report.files import emit
    from seem_bench.report.layouts import build_table, resolve_layouts
    from seem_bench.report.leaderboard import board_entries, load_reported, read_board
    from seem_bench.report.render import render_all

    rows = board_entries(read_board(args.board))
    shown = rows if args.no_reported else entries.concat(load_reported(), rows)
    if not len(shown):
        raise UsageError(f"{args.board}: no leaderboard rows (add runs with `seem-bench leaderboard add RUN_DIR`)")
    layouts = resolve_layouts(args.layout or ["auto"], shown)
    if not layouts:
        raise UsageError(f"{args.board}: its rows fit no table layout (see `seem-bench table --layout runs`)")
    emit(render_all([build_table(shown, lay) for lay in layouts], args.format), args.output)
    return 0
