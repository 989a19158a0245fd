"""``seem-bench plot``: mIoU-vs-clicks curves of runs, and a qualitative panel of chosen samples."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plot", help="mIoU vs clicks curves (PNG); --samples adds a qualitative panel",
        description="Plot mIoU against the number of clicks, one curve per run and one panel per "
                    "dataset. With --samples, also draw image / ground truth / prediction with the "
                    "clicks for those samples of the first run, from the masks the run stored "
                    "(`seem-bench run ... --save-masks final|all`); no model is run. Runs with "
                    "sampled clicks (--set gamma=G --set draws=K) also give FILE_noc_distribution.png "
                    "(per-object NoC@90 over all draws, one box per run) and FILE_draws.png (the "
                    "clicks of several draws on one object, --draws-of to choose it).",
        epilog="Examples:\n  seem-bench plot runs/a runs/b -o curves.png\n"
               "  seem-bench plot runs/a -o curves.png --samples demo_000 demo_003/1 --rounds 3",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.png", help="curves figure")
    p.add_argument("--samples", nargs="+", metavar="ID", help="sample ids or sample/instance keys to draw")
    p.add_argument("--panel", type=Path, metavar="FILE.png",
                   help="qualitative panel file (default: FILE_samples.png beside -o)")
    p.add_argument("--draws-of", metavar="KEY",
                   help="sample/instance key whose draws FILE_draws.png shows (default: the first)")
    p.add_argument("--rounds", type=int, help="show the prediction after this many clicks (default: last)")
    p.add_argument("--data-root", type=Path, help="dataset location if it moved since the run")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from seem_bench.errors import UsageError
    from seem_bench.io_utils import atomic_write_bytes as write_bytes_atomic
    from seem_bench.report.plots import curves_png, samples_png
    from seem_bench.report.robustness import draw_clicks_png, noc_distribution_png, robustness_of
    from seem_bench.report.runs import load_summary

    if args.rounds is not None and args.rounds < 1:
        raise UsageError("--rounds must be >= 1")
    summaries = [load_summary(r) for r in args.runs]
    curves = curves_png(summaries)
    panel = None
    if args.samples:
        panel = samples_png(summaries[0], args.samples, rounds=args.rounds, data_root=args.data_root)
    sampled = [s for s in summaries if robustness_of(s)]
    extra = {}
    if sampled:
        extra["noc_distribution"] = noc_distribution_png(sampled)
        extra["draws"] = draw_clicks_png(sampled[0], args.draws_of, data_root=args.data_root)
    elif args.draws_of:
        raise UsageError("--draws-of needs a run with sampled draws (--set gamma=G --set draws=K)")
    write_bytes_atomic(args.output, curves)
    print(f"seem-bench: wrote {args.output}", file=sys.stderr)
    for name, png in extra.items():
        path = args.output.with_name(f"{args.output.stem}_{name}.png")
        write_bytes_atomic(path, png)
        print(f"seem-bench: wrote {path}", file=sys.stderr)
    if panel is not None:
        path = args.panel or args.output.with_name(f"{args.output.stem}_samples.png")
        write_bytes_atomic(path, panel)
        print(f"seem-bench: wrote {path}", file=sys.stderr)
    return 0
