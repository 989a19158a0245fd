"""Per-click harness overhead at 480x854 against SAM ViT-B's decode time (goal: <= 2 %).

Harness side: `seem_bench.runner.run` on a generated 480x854 GrabCut-layout click set with the
zero-cost model ``bench-zero`` (a list lookup per decode), task ``interactive`` (protocol
``ritm`` unless ``--protocol``), every round run (``iou_target`` null). Per click overhead =
(time inside the runner's per-sample loop - decode seconds - encode seconds) / clicks: the
protocol step, the IoU, the record (JSON + fsync), reading the image and masks. The run's fixed
costs (task/model resolution, dataset index, header with environment, summary) are reported
apart, and also spread over the clicks ("all-in").

Model side: the real ``segment_anything`` ViT-B (``sam_model_registry["vit_b"]()``, random
weights, no checkpoint), ``SamPredictor.set_image`` once on one of the generated images, then
``predict`` once per click with the clicks so far, the previous round's low-resolution logits as
``mask_input`` and ``multimask_output`` on the first click only, as the ``sam_b`` adapter calls
it. Each repetition runs the harness once, then the 20 SAM decodes (interleaved, so both see the
same machine load); the table gives medians.

Usage::

    .venv/bin/python benchmarks/bench_overhead.py --quick    # 4 images x 20 clicks, 2 repetitions
    .venv/bin/python benchmarks/bench_overhead.py            # 20 images x 20 clicks, 3 repetitions
    .venv/bin/python benchmarks/bench_overhead.py --quick --no-sam --profile 15   # harness only + cProfile

``--no-sam`` times the harness alone (no torch, no SAM); ``--profile N`` adds a cProfile of one
more harness run (top N functions by own time). A before/after comparison runs the same script
with ``PYTHONPATH`` pointing at a checkout of the older package (issue 23 in README.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as C
import numpy as np


def sam_predictor(device: str) -> Any:
    """SAM ViT-B with random weights, wrapped in the package's `SamPredictor`."""
    from segment_anything import SamPredictor, sam_model_registry

    sam = sam_model_registry["vit_b"]().to(device).eval()
    return SamPredictor(sam)


def sam_clicks(h: int, w: int, n: int, seed: int = 0) -> list[tuple[int, int, int]]:
    """``n`` seeded clicks ``(x, y, label)``: the first positive, later ones alternating."""
    rng = np.random.default_rng(seed)
    return [(int(rng.integers(w)), int(rng.integers(h)), 1 if k == 0 or k % 2 else 0) for k in range(n)]


def sam_decode_times(predictor: Any, clicks: list[tuple[int, int, int]]) -> list[float]:
    """Seconds of each ``predict`` call for clicks 1..n, fed back as the ``sam_b`` adapter does."""
    times = []
    memory = None
    for k in range(1, len(clicks) + 1):
        coords = np.array([[x, y] for x, y, _ in clicks[:k]], np.float64)
        labels = np.array([lab for _, _, lab in clicks[:k]], np.int64)
        t0 = time.perf_counter()
        masks, scores, low = predictor.predict(point_coords=coords, point_labels=labels,
                                               mask_input=memory, multimask_output=k == 1)
        best = int(np.argmax(scores))
        memory = np.asarray(low[best:best + 1], np.float32)
        times.append(time.perf_counter() - t0)
    return times


def harness_once(data_root: Path, out: Path, rounds: int, protocol: str) -> dict[str, float]:
    """One run with ``bench-zero``; returns loop / fixed seconds and the per-click overhead."""
    from seem_bench.runner import RunConfig, run
    from seem_bench.tasks import get_task

    task = get_task("interactive").with_overrides([f"max_rounds={rounds}", f"protocol={protocol}"])
    cfg = RunConfig(task=task, model="bench-zero", data_root=data_root, out_dir=out, progress=False)
    with C.timed_loop() as spans:
        t0 = time.perf_counter()
        run(cfg)
        wall = time.perf_counter() - t0
    rt = C.record_times(out)
    harness = spans[0] - rt["model_s"] - rt["encode_s"]
    return {"wall_s": wall, "loop_s": spans[0], "fixed_s": wall - spans[0], "clicks": rt["clicks"],
            "per_click_s": harness / rt["clicks"],
            "all_in_per_click_s": (wall - rt["model_s"] - rt["encode_s"]) / rt["clicks"]}


def harness_only(args: argparse.Namespace) -> int:
    """``--no-sam``: median per-click harness cost over ``reps`` runs (+ optional profile)."""
    import seem_bench

    n_images = args.images or (4 if args.quick else 20)
    reps = args.reps or (3 if args.quick else 5)
    C.register_zero_cost()
    work = Path(tempfile.mkdtemp(prefix="seem-bench-overhead-"))
    try:
        C.make_clickset(work / "data", n_images, 480, 854)
        harness_once(work / "data", work / "warm", args.rounds, args.protocol)
        runs = [harness_once(work / "data", work / f"run{rep}", args.rounds, args.protocol) for rep in range(reps)]
        if args.profile:
            import cProfile
            import io
            import pstats

            prof = cProfile.Profile()
            prof.runcall(harness_once, work / "data", work / "prof", args.rounds, args.protocol)
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(args.profile)
            print(buf.getvalue())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    per_click = C.median([r["per_click_s"] for r in runs])
    table = C.markdown_table(["quantity", "median", "unit"], [
        ["harness per click (protocol + IoU + record + image/mask read)", per_click * 1e3, "ms"],
        ["each repetition", " / ".join(f"{r['per_click_s'] * 1e3:.3f}" for r in runs), "ms"]])
    C.emit("overhead", table, {
        "images": n_images, "rounds": args.rounds, "reps": reps, "protocol": args.protocol,
        "package": str(Path(seem_bench.__file__).parent), "harness_ms_per_click": round(per_click * 1e3, 3),
        "runs_ms": [round(r["per_click_s"] * 1e3, 3) for r in runs], "goal_met": per_click <= 3e-4},
        "python benchmarks/bench_overhead.py --no-sam " + ("--quick" if args.quick else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="4 images, 2 repetitions")
    ap.add_argument("--images", type=int, help="generated 480x854 images (default 20, quick 4)")
    ap.add_argument("--reps", type=int, help="interleaved repetitions (default 3, quick 2)")
    ap.add_argument("--rounds", type=int, default=20, help="clicks per object (default 20)")
    ap.add_argument("--protocol", default="ritm", help="click protocol (default ritm)")
    ap.add_argument("--device", default="cpu", help="torch device for SAM (default cpu)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (default 1: on a shared machine more threads made SAM slower)")
    ap.add_argument("--no-sam", action="store_true", help="harness only: no SAM decode timing")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="print a cProfile (top N by own time) of one more harness run")
    args = ap.parse_args(argv)
    if args.no_sam:
        return harness_only(args)
    C.set_threads(args.threads)
    n_images = args.images or (4 if args.quick else 20)
    reps = args.reps or (2 if args.quick else 3)
    C.register_zero_cost()

    work = Path(tempfile.mkdtemp(prefix="seem-bench-overhead-"))
    try:
        t0 = time.perf_counter()
        C.make_clickset(work / "data", n_images, 480, 854)
        print(f"generated {n_images} images at 480x854 in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        from seem_bench.data.clicksets import load_grabcut

        image = load_grabcut(work / "data" / "GrabCut").samples[0].image()
        predictor = sam_predictor(args.device)
        t0 = time.perf_counter()
        predictor.set_image(image)
        encode_s = time.perf_counter() - t0
        print(f"SAM ViT-B encode (set_image) {encode_s:.2f} s", file=sys.stderr)
        clicks = sam_clicks(*image.shape[:2], args.rounds)
        sam_decode_times(predictor, clicks[:2])  # warm-up (first-call allocations)

        harness, decode = [], []
        for rep in range(reps):
            h = harness_once(work / "data", work / f"run{rep}", args.rounds, args.protocol)
            d = sam_decode_times(predictor, clicks)
            harness.append(h)
            decode.append(float(np.mean(d)))
            print(f"rep {rep}: harness {h['per_click_s'] * 1e3:.2f} ms/click, SAM decode "
                  f"{decode[-1] * 1e3:.1f} ms/click", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    per_click = C.median([h["per_click_s"] for h in harness])
    all_in = C.median([h["all_in_per_click_s"] for h in harness])
    fixed = C.median([h["fixed_s"] for h in harness])
    dec = C.median(decode)
    ratio = per_click / dec
    rows = [
        ["harness per click (protocol + IoU + record + image/mask read)", per_click * 1e3, "ms"],
        ["harness per click, run's fixed costs spread over the clicks", all_in * 1e3, "ms"],
        [f"run fixed costs (setup + summary), {n_images} images", fixed, "s"],
        [f"SAM ViT-B decode per click ({args.device}, random weights)", dec * 1e3, "ms"],
        ["SAM ViT-B encode (set_image), once", encode_s, "s"],
        ["overhead / decode", ratio * 100, "% (goal <= 2 %)"],
        ["overhead (all-in) / decode", all_in / dec * 100, "%"],
    ]
    table = C.markdown_table(["quantity", "median", "unit"], rows)
    C.emit("overhead", table, {
        "images": n_images, "rounds": args.rounds, "reps": reps, "protocol": args.protocol,
        "size": [480, 854], "device": args.device, "torch_threads": args.threads,
        "harness_ms_per_click": round(per_click * 1e3, 3),
        "harness_all_in_ms_per_click": round(all_in * 1e3, 3),
        "run_fixed_s": round(fixed, 3), "sam_decode_ms": round(dec * 1e3, 2),
        "sam_encode_s": round(encode_s, 2), "ratio": round(ratio, 4), "goal_met": ratio <= 0.02,
    }, "python benchmarks/bench_overhead.py " + " ".join(sys.argv[1:] if argv is None else argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
