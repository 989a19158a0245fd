"""``seem-bench check``: CI regression gate of a run against a baseline (exit 0 pass, 1 fail)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seem_bench.report.constants import DEFAULT_TOL


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="fail (exit 1) when a run is worse than a baseline beyond tolerance",
        description="Compare a finished run's metrics with a baseline (a run directory, a summary.json, "
                    "or a JSON/YAML file of metrics and optional tolerances). Direction-aware: NoC, NoF "
                    "and SPC must not grow, the others must not shrink, by more than the tolerance. "
                    "Tolerances are absolute, in summary units (IoU-like metrics are fractions). SPC "
                    "(timing) is compared only when given a tolerance. Exit 0: within tolerance; 1: a "
                    "per-metric diff table shows what regressed.",
        epilog="Examples:\n  seem-bench check runs/new --baseline ci/baseline.json\n"
               "  seem-bench check runs/new --baseline runs/last-release --tol NoC@90=0.05 --tol mIoU@5=0.005",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, metavar="RUN_DIR", help="run directory (or its summary.json)")
    p.add_argument("--baseline", required=True, type=Path, metavar="FILE", help="baseline to compare with")
    p.add_argument("--tol", action="append", default=[], metavar="METRIC=ABS",
                   help="absolute tolerance of one metric (repeatable; overrides the baseline file's)")
    p.add_argument("--default-tol", type=float, default=DEFAULT_TOL, metavar="ABS",
                   help=f"tolerance of metrics without --tol (default {DEFAULT_TOL:g}: equal up to float noise)")
    p.add_argument("--strict", action="store_true",
                   help="also fail on improvements beyond tolerance (two-sided, like verify_results)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import math

    from seem_bench.errors import UsageError
    from seem_bench.report.check import FAILING, check_run, load_baseline, parse_tols

    if not math.isfinite(args.default_tol) or args.default_tol < 0:
        raise UsageError(f"--default-tol must be a finite number >= 0, got {args.default_tol}")
    baseline = load_baseline(args.baseline)
    result = check_run(args.run, baseline, parse_tols(args.tol), args.default_tol, args.strict)
    print(result.frame.to_markdown(index=False, floatfmt=".6g", missingval="–"))
    if result.skipped:
        print(f"\nnot compared (timing; give --tol METRIC=ABS to compare): {', '.join(result.skipped)}")
    bad = result.frame[result.frame["status"].isin(FAILING)]
    if result.passed:
        print(f"seem-bench check: OK, {len(result.frame)} metrics within tolerance of {baseline.path}",
              file=sys.stderr)
        return 0
    print(f"seem-bench check: FAILED, {len(bad)} of {len(result.frame)} metrics out of tolerance of "
          f"{baseline.path}: {', '.join(bad['metric'])}", file=sys.stderr)
    return 1
