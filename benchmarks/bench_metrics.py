"""Time seem-bench's metrics against the reference implementations on generated data.

PQ (COCO panoptic files) vs panopticapi and hotcoco; AP (COCO instances, segm and bbox) vs
pycocotools, faster-coco-eval and hotcoco; DAVIS J&F vs vos-benchmark. Default size is COCO
val (5,000 images) and DAVIS 2017 val (30 sequences, ~70 frames of 480x854). Each tool runs on the
same files (fastest of ``--repeat`` runs, 3 by default, once for tools slower than 20 s;
seem-bench and hotcoco interleaved, as they are within noise of each other); the
table gives seconds, seem-bench's time as a ratio of each tool's, and the headline value each
tool computed (they must agree).

Usage::

    .venv/bin/python benchmarks/bench_metrics.py              # full size, several minutes
    .venv/bin/python benchmarks/bench_metrics.py --quick      # smoke size, ~30 s
    .venv/bin/python benchmarks/bench_metrics.py --only ap --json out.json

The reference packages are the test extras (``bash scripts/bootstrap.sh --test``); a missing one
is reported as such and skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
from _common import emit, machine  # benchmarks/_common.py (the script's folder is on sys.path)

from seem_bench.data.synthetic import (
    coco_instances,
    davis_sequences,
    id2rgb,
    panoptic_categories,
    panoptic_images,
    write_davis,
)

#: Runs per tool; the fastest counts (the machine may be shared). Tools slower than
#: `REPEAT_UNDER` seconds run once.
REPEAT = 3
REPEAT_UNDER = 20.0


def timed(fn):
    best, out = float("inf"), None
    for _ in range(REPEAT):
        t = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            out = fn()
        best = min(best, time.perf_counter() - t)
        if best > REPEAT_UNDER:
            break
    return best, out


def timed_pair(ours, other):
    """Fastest of `REPEAT` runs of each, interleaved (other, ours, ours, other, ...) so that load
    drifts on a shared machine and warm caches favour neither side."""
    times: list[list[float]] = [[], []]
    outs: list[Any] = [None, None]
    for i in range(REPEAT):
        for side in ((1, 0) if i % 2 == 0 else (0, 1)):
            fn = (ours, other)[side]
            t = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                outs[side] = fn()
            times[side].append(time.perf_counter() - t)
    return (min(times[0]), outs[0]), (min(times[1]), outs[1])


# --------------------------------------------------------------------------- PQ
def make_panoptic(root: Path, n_images: int, size: tuple[int, int]) -> dict[str, Path]:
    cats = panoptic_categories(80, 53)
    gt_dir, pred_dir = root / "gt", root / "pred"
    gt_dir.mkdir(parents=True)
    pred_dir.mkdir(parents=True)
    gt_anns, pred_anns, images = [], [], []
    chunk = 50
    for k in range((n_images + chunk - 1) // chunk):
        _, pairs = panoptic_images(1000 + k, n_images=min(chunk, n_images - k * chunk),
                                   categories=cats, size=size, segments=(6, 20))
        for j, p in enumerate(pairs):
            img_id = k * chunk + j + 1
            name = f"{img_id:012d}.png"
            cv2.imwrite(str(gt_dir / name), id2rgb(p.gt_ids)[:, :, ::-1])
            cv2.imwrite(str(pred_dir / name), id2rgb(p.pred_ids)[:, :, ::-1])
            h, w = p.gt_ids.shape
            images.append({"id": img_id, "file_name": f"{img_id:012d}.jpg", "height": h, "width": w})
            gt_anns.append({"image_id": img_id, "file_name": name, "segments_info": p.gt_segments})
            pred_anns.append({"image_id": img_id, "file_name": name, "segments_info": p.pred_segments})
    (root / "gt.json").write_text(json.dumps({"images": images, "annotations": gt_anns, "categories": cats}))
    (root / "pred.json").write_text(json.dumps({"annotations": pred_anns}))
    return {"gt_json": root / "gt.json", "pred_json": root / "pred.json", "gt_folder": gt_dir,
            "pred_folder": pred_dir}


def bench_pq(root: Path, n_images: int, size: tuple[int, int]) -> list[dict[str, Any]]:
    from seem_bench.metrics.panoptic import pq_compute

    t0 = time.perf_counter()
    p = make_panoptic(root / "pq", n_images, size)
    print(f"  generated {n_images} panoptic images in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    args = [str(p["gt_json"]), str(p["pred_json"]), str(p["gt_folder"]), str(p["pred_folder"])]
    rows = []
    try:
        import hotcoco.panoptic as hp

        (t_ours, ours), (t, r) = timed_pair(lambda: pq_compute(*args), lambda: hp.pq_compute(*args))
        hot_row = {"metric": "PQ", "tool": "hotcoco pq_compute", "seconds": t, "pq": r["All"]["pq"]}
    except ImportError:
        t_ours, ours = timed(lambda: pq_compute(*args))
        hot_row = {"metric": "PQ", "tool": "hotcoco pq_compute", "missing": True}
    rows.append({"metric": "PQ", "tool": "seem-bench (hotcoco backend)", "seconds": t_ours,
                 "pq": ours["All"]["pq"]})
    rows.append(hot_row)
    t_np, res_np = timed(lambda: pq_compute(*args, backend="numpy"))
    rows.append({"metric": "PQ", "tool": "seem-bench (numpy backend)", "seconds": t_np, "pq": res_np["All"]["pq"]})
    try:
        import panopticapi.evaluation as pe

        t, r = timed(lambda: pe.pq_compute(*args))
        rows.append({"metric": "PQ", "tool": "panopticapi pq_compute (all CPUs)", "seconds": t,
                     "pq": float(r["All"]["pq"])})
    except ImportError:
        rows.append({"metric": "PQ", "tool": "panopticapi pq_compute", "missing": True})
    for r in rows:
        r["ours_seconds"] = t_ours
    return rows


# --------------------------------------------------------------------------- AP
def _ap_tools(gp: Path, dp: Path, iou_type: str) -> dict[str, Any]:
    def hot():
        import hotcoco

        g = hotcoco.COCO(str(gp))
        e = hotcoco.COCOeval(g, g.load_res(str(dp)), iou_type)
        e.run()
        return float(e.stats[0])

    def fce():
        from faster_coco_eval import COCO, COCOeval_faster

        g = COCO(str(gp))
        e = COCOeval_faster(g, g.loadRes(str(dp)), iou_type)
        e.evaluate()
        e.accumulate()
        e.summarize()
        return float(e.stats[0])

    def pyc():
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval

        g = COCO(str(gp))
        e = COCOeval(g, g.loadRes(str(dp)), iou_type)
        e.evaluate()
        e.accumulate()
        e.summarize()
        return float(e.stats[0])

    return {"hotcoco COCOeval": hot, "faster-coco-eval": fce, "pycocotools": pyc}


def bench_ap(root: Path, n_images: int, size: tuple[int, int], dt_per_image: float) -> list[dict[str, Any]]:
    from seem_bench.metrics.detection import coco_evaluate

    rows = []
    for iou_type in ("segm", "bbox"):
        t0 = time.perf_counter()
        gt, dt = coco_instances(2024, n_images=n_images, n_categories=80, iou_type=iou_type,
                                size=size, gt_per_image=7.3, dt_per_image=dt_per_image,
                                score_levels=None)
        d = root / f"ap_{iou_type}"
        d.mkdir(parents=True)
        gp, dp = d / "gt.json", d / "dt.json"
        gp.write_text(json.dumps(gt))
        dp.write_text(json.dumps(dt))
        print(f"  generated {n_images} images, {len(gt['annotations'])} GT, {len(dt)} {iou_type} "
              f"detections in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        del gt, dt
        label = f"AP {iou_type}"
        tools = _ap_tools(gp, dp, iou_type)
        (t_ours, ours), (t_hot, ap_hot) = timed_pair(
            lambda gp=gp, dp=dp, it=iou_type: coco_evaluate(gp, dp, it), tools.pop("hotcoco COCOeval"))
        group = [{"metric": label, "tool": "seem-bench (stats + per-category)", "seconds": t_ours,
                  "ap": ours["stats"][0]},
                 {"metric": label, "tool": "hotcoco COCOeval", "seconds": t_hot, "ap": ap_hot}]
        for name, fn in tools.items():
            try:
                t, ap = timed(fn)
                group.append({"metric": label, "tool": name, "seconds": t, "ap": ap})
            except ImportError:
                group.append({"metric": label, "tool": name, "missing": True})
        for r in group:
            r["ours_seconds"] = t_ours
        rows += group
    return rows


# --------------------------------------------------------------------------- J&F
def bench_jf(root: Path, n_sequences: int, frames: tuple[int, int], size: tuple[int, int],
             workers: int) -> list[dict[str, Any]]:
    from seem_bench.metrics.davis import evaluate_davis

    t0 = time.perf_counter()
    davis, res = root / "DAVIS", root / "davis_results"
    for k in range(n_sequences):  # one sequence at a time: a 480p video is ~30 MB of labels
        seqs = davis_sequences(500 + k, n_sequences=1, frames=frames, shape=size, objects=(1, 4))
        seqs[0].name = f"video{k:03d}"
        write_davis(davis / "_tmp", res, seqs, skip_first_last=False)
    # write_davis writes one ImageSets list per call: merge them into the final layout.
    (davis / "ImageSets" / "2017").mkdir(parents=True)
    shutil.move(str(davis / "_tmp" / "Annotations"), str(davis / "Annotations"))
    names = sorted(p.name for p in (davis / "Annotations" / "480p").iterdir())
    (davis / "ImageSets" / "2017" / "val.txt").write_text("".join(f"{n}\n" for n in names))
    shutil.rmtree(davis / "_tmp")
    print(f"  generated {n_sequences} sequences in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    rows = []
    t_ours, ours = timed(lambda: evaluate_davis(davis, res, workers=workers))
    rows.append({"metric": "DAVIS J&F", "tool": f"seem-bench ({workers} processes)", "seconds": t_ours,
                 "J&F": ours["J&F-Mean"]})
    try:
        from vos_benchmark.benchmark import benchmark

        def vb():
            out = benchmark([str(davis / "Annotations" / "480p")], [str(res)], num_processes=workers,
                            verbose=False)
            return out

        t, out = timed(vb)
        jf = out[0][0] / 100  # all_global_jf[0], in percent
        rows.append({"metric": "DAVIS J&F", "tool": f"vos-benchmark ({workers} processes)", "seconds": t,
                     "J&F": jf})
    except ImportError:
        rows.append({"metric": "DAVIS J&F", "tool": "vos-benchmark", "missing": True})
    for r in rows:
        r["ours_seconds"] = t_ours
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| metric | tool | seconds | seem-bench time / tool time | value |",
             "|---|---|---:|---:|---:|"]
    for r in rows:
        if r.get("missing"):
            lines.append(f"| {r['metric']} | {r['tool']} | not installed | | |")
            continue
        val = next((r[k] for k in ("pq", "ap", "J&F") if k in r), None)
        ratio = r["ours_seconds"] / r["seconds"] if r["seconds"] else float("nan")
        vs = "—" if val is None else f"{val:.6f}"
        lines.append(f"| {r['metric']} | {r['tool']} | {r['seconds']:.2f} | {ratio:.2f} | {vs} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    global REPEAT
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke size (200 images, 4 short videos)")
    ap.add_argument("--images", type=int, help="images for PQ and AP (default 5000, quick 200)")
    ap.add_argument("--only", default="pq,ap,jf", help="comma list of pq, ap, jf")
    ap.add_argument("--workdir", type=Path, help="where to generate data (default: a temp dir)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for J&F")
    ap.add_argument("--repeat", type=int, default=REPEAT,
                    help=f"runs per tool, fastest kept (tools over {REPEAT_UNDER:.0f} s run once)")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    REPEAT = max(1, args.repeat)
    n = args.images or (200 if args.quick else 5000)
    only = set(args.only.split(","))
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="seem-bench-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    print(f"machine: {machine()}", file=sys.stderr)  # also on stderr: the run takes minutes
    try:
        if "pq" in only:
            rows += bench_pq(work, n, (360, 640))
        if "ap" in only:
            rows += bench_ap(work, n, (240, 640), dt_per_image=30.0)
        if "jf" in only:
            if args.quick:
                rows += bench_jf(work, 4, (10, 20), (240, 427), args.workers)
            else:
                rows += bench_jf(work, 30, (50, 90), (480, 854), args.workers)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    command = "python benchmarks/bench_metrics.py " + " ".join(argv if argv is not None else sys.argv[1:])
    result = {"images": n, "rows": [{k: v for k, v in r.items() if k != "ours_seconds"} for r in rows]}
    emit("metrics", table(rows), result, command.strip())
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "command": command, **result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
