"""``seem-bench suite run | table | check``: a paper's table as one named, resumable command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seem_bench.report.constants import DEFAULT_TOL, FORMATS


def _table_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--versus", metavar="ROW",
                   help="reported row the Δ row is taken against (default: the model's own reported "
                        "row, else the table's reference row), e.g. 'SEEM v1 Focal-L'")
    p.add_argument("--no-reported", action="store_true", help="leave the published rows out")
    p.add_argument("--format", choices=FORMATS, default="md", help="table format (default md)")
    p.add_argument("-o", "--output", type=Path, help="write the tables to this file instead of stdout")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "suite", help="run a paper's table (every cell), reprint it, or gate it in CI",
        description="Suites are published tables as named cells (see `seem-bench suites`).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ssub = p.add_subparsers(dest="suite_verb", metavar="ACTION", required=True)

    r = ssub.add_parser(
        "run", help="run every cell of a suite and print its table",
        description="Check every cell against the model's capabilities and the data present, then run "
                    "the cells one after another, each in OUT/<cell>/, and print the suite's tables with "
                    "the published rows (marked reported) and the difference per cell. Resumable: rerun "
                    "the same command and finished cells are reused, an interrupted one resumed. Without "
                    "--data-root the demo data is used and cells whose dataset it lacks are skipped.",
        epilog="Examples:\n  seem-bench suite run seem-paper --model oracle\n"
               "  seem-bench suite run seem-paper --model seem_t --checkpoint seem_focalt_v1.pt "
               "--data-root /data --out runs/seem-paper\n"
               "  seem-bench suite run ritm-noc --model sam_b --data-root /data --cells grabcut,berkeley",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("name", help="suite name (see `seem-bench suites`)")
    r.add_argument("--model", required=True, help="model name (see `seem-bench models`)")
    r.add_argument("--data-root", type=Path, help="directory holding the datasets; default: demo data")
    r.add_argument("--out", type=Path, help="suite directory (default runs/suite_<name>_<model>)")
    r.add_argument("--cells", metavar="ID[,ID...]", help="run only these cells (see `seem-bench suites`)")
    r.add_argument("--limit", type=int, help="smoke run: only the first N samples of every cell (marked partial)")
    r.add_argument("--checkpoint", help="model weights file")
    r.add_argument("--seem-root", help="checkout of the official SEEM repository (SEEM models)")
    r.add_argument("--device", help="torch device for neural models")
    r.add_argument("--model-opt", action="append", default=[], metavar="KEY=VALUE",
                   help="adapter-specific option (repeatable)")
    r.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    _table_options(r)
    r.set_defaults(func=run_main)

    t = ssub.add_parser("table", help="reprint a suite directory's tables",
                        description="Print the tables of a suite directory written by `suite run` "
                                    "(finished cells only; the others are listed under the table).",
                        epilog="Example: seem-bench suite table runs/suite_seem-paper_seem_t --format latex")
    t.add_argument("dir", type=Path, metavar="DIR", help="suite directory")
    _table_options(t)
    t.set_defaults(func=table_main)

    c = ssub.add_parser(
        "check", help="CI gate: exit 1 when any cell regresses beyond tolerance",
        description="Compare every cell of a suite directory with a baseline (another suite directory, or "
                    "a JSON/YAML file {cells: {ID: {metrics: {...}, tolerances: {...}}}}), as `seem-bench "
                    "check` does per run. Exit 0: all within tolerance; 1: a per-cell, per-metric diff "
                    "shows what regressed (a baseline cell not finished here fails too).",
        epilog="Examples:\n  seem-bench suite check runs/suite_new --baseline runs/suite_release\n"
               "  seem-bench suite check runs/suite_new --baseline ci/seem-paper.yaml --tol NoC@90=0.05",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("dir", type=Path, metavar="DIR", help="suite directory")
    c.add_argument("--baseline", required=True, type=Path, metavar="FILE", help="baseline to compare with")
    c.add_argument("--tol", action="append", default=[], metavar="METRIC=ABS",
                   help="absolute tolerance of a metric in every cell that has it (repeatable)")
    c.add_argument("--default-tol", type=float, default=DEFAULT_TOL, metavar="ABS",
                   help=f"tolerance of metrics without --tol (default {DEFAULT_TOL:g})")
    c.add_argument("--strict", action="store_true", help="also fail on improvements beyond tolerance")
    c.set_defaults(func=check_main)


def _print_tables(suite_dir: Path, args: argparse.Namespace) -> None:
    from seem_bench.report.files import emit
    from seem_bench.report.render import render_all
    from seem_bench.suites.manifest import load_suite_dir
    from seem_bench.suites.table import suite_tables

    tables = suite_tables(load_suite_dir(suite_dir), versus=args.versus, reported=not args.no_reported)
    emit(render_all(tables, args.format), args.output)


def run_main(args: argparse.Namespace) -> int:
    from seem_bench.cli.run_cmd import parse_kv
    from seem_bench.errors import UsageError
    from seem_bench.suites.definition import get_suite
    from seem_bench.suites.run import run_suite

    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be a positive number of samples")
    suite = get_suite(args.name)
    if not args.no_reported:
        from seem_bench.suites.table import check_versus

        check_versus(args.versus)  # before hours of cells, not after
    options = parse_kv(args.model_opt, "--model-opt")
    for key in ("checkpoint", "seem_root", "device"):
        if getattr(args, key):
            options[key] = getattr(args, key)
    cells = [c.strip() for c in args.cells.split(",") if c.strip()] if args.cells else None
    out = args.out or Path("runs") / f"suite_{suite.name}_{args.model}"
    run_suite(suite, args.model, out, cell_ids=cells, data_root=args.data_root, model_options=options,
              limit=args.limit, progress=not args.no_progress)
    _print_tables(out, args)
    print(f"seem-bench: suite {suite.name} in {out}; reprint with `seem-bench suite table {out}`",
          file=sys.stderr)
    return 0


def table_main(args: argparse.Namespace) -> int:
    _print_tables(args.dir, args)
    return 0


def check_main(args: argparse.Namespace) -> int:
    from seem_bench.errors import UsageError
    from seem_bench.report.check import FAILING, parse_tols
    from seem_bench.suites.check import check_suite

    if args.default_tol < 0:
        raise UsageError("--default-tol must be >= 0")
    res = check_suite(args.dir, args.baseline, parse_tols(args.tol), args.default_tol, args.strict)
    print(res.frame.to_markdown(index=False, floatfmt=".6g", missingval="–"))
    if res.unchecked:
        print(f"\nnot in the baseline (not compared): {', '.join(res.unchecked)}")
    if res.skipped:
        print(f"\nnot compared (timing; give --tol METRIC=ABS to compare): {', '.join(res.skipped)}")
    bad = res.frame[res.frame["status"].isin(FAILING)]
    if res.passed:
        print(f"seem-bench suite check: OK, {len(res.frame)} cell metrics within tolerance of {args.baseline}",
              file=sys.stderr)
        return 0
    where = ", ".join(dict.fromkeys(f"{c}:{m}" for c, m in zip(bad["cell"], bad["metric"], strict=True)))
    print(f"seem-bench suite check: FAILED, {len(bad)} of {len(res.frame)} cell metrics out of tolerance "
          f"of {args.baseline}: {where}", file=sys.stderr)
    return 1
