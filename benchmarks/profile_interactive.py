"""Profile the interactive loop with the zero-cost model at 480x854 (pyinstrument, else cProfile).

The run is `seem_bench.runner.run` on a generated GrabCut-layout set with ``bench-zero`` (see
``_common.ZeroCostModel``), so everything in the profile is harness: protocol step, IoU,
records, image and mask reading. ``torch`` is imported before profiling starts (the run header
imports it; that one-off cost would otherwise dominate a short profile).

pyinstrument is not a dependency: ``.venv/bin/pip install pyinstrument``.

Usage::

    .venv/bin/python benchmarks/profile_interactive.py --quick
    .venv/bin/python benchmarks/profile_interactive.py --protocol seem --images 10
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import _common as C


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 images")
    ap.add_argument("--images", type=int, help="generated 480x854 images (default 10, quick 3)")
    ap.add_argument("--rounds", type=int, default=20, help="clicks per object (default 20)")
    ap.add_argument("--protocol", default="ritm", help="click protocol (default ritm)")
    args = ap.parse_args(argv)
    n = args.images or (3 if args.quick else 10)
    import torch  # noqa: F401  - imported by the run header; keep it out of the profile

    from seem_bench.runner import RunConfig, run
    from seem_bench.tasks import get_task

    C.register_zero_cost()
    work = Path(tempfile.mkdtemp(prefix="seem-bench-profile-"))
    try:
        C.make_clickset(work / "data", n, 480, 854)
        task = get_task("interactive").with_overrides([f"max_rounds={args.rounds}", f"protocol={args.protocol}"])
        cfg = RunConfig(task=task, model="bench-zero", data_root=work / "data", out_dir=work / "run",
                        progress=False)
        try:
            from pyinstrument import Profiler
        except ImportError:
            Profiler = None  # noqa: N806
        t0 = time.perf_counter()
        if Profiler is not None:
            prof = Profiler(interval=0.0005)
            prof.start()
            run(cfg)
            prof.stop()
            report = prof.output_text(unicode=False, color=False)
        else:
            import cProfile
            import io
            import pstats

            cp = cProfile.Profile()
            cp.runcall(run, cfg)
            buf = io.StringIO()
            pstats.Stats(cp, stream=buf).sort_stats("cumulative").print_stats(30)
            report = buf.getvalue()
        wall = time.perf_counter() - t0
        rt = C.record_times(work / "run")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Machine: {C.machine()}")
    print(f"{n} images x {args.rounds} rounds, protocol {args.protocol}: {rt['clicks']} clicks, "
          f"{wall:.2f} s under the profiler")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
