"""Peak RSS of the generic task for a small vs a 10x larger generated COCO set (goal: flat).

Generates COCO-panoptic val2017 sets of small images (64x64 by default: 2 stuff + 1-3 thing
segments each, with ``instances_val2017.json`` and JPEGs) with `seem_bench.data.writers`, then
runs ``generic`` with the ``oracle`` model on each in its own subprocess (so one size's memory
cannot leak into the other's). The child samples its resident set size every 5 ms and reports
the peak per phase:

- ``start``: after imports, before `seem_bench.runner.run`;
- ``setup``: task/model resolution, dataset index (grows with the number of images by design:
  it is the index), header;
- ``loop``: the per-image loop, where "flat" is the goal: growth here means per-image state is
  kept;
- ``summary``: records read back, PQ/semantic sums and AP against the instances JSON;
- ``ru_maxrss``: the kernel's peak for the whole child.

Defaults: 1,000 vs 10,000 images. ``--quick``: 200 vs 2,000. Differences are reported per
phase, and per 1,000 images.

Usage::

    .venv/bin/python benchmarks/bench_memory.py --quick
    .venv/bin/python benchmarks/bench_memory.py                 # 1,000 vs 10,000 (minutes)
    .venv/bin/python benchmarks/bench_memory.py --sizes 1000,5000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import _common as C
import numpy as np

PAGE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------- data


def make_coco(root: Path, n_images: int, size: int = 64, seed: int = 0) -> Path:
    """A COCO panoptic + instances val2017 set of ``n_images`` ``size`` x ``size`` images under ``root/coco``."""
    import cv2

    from seem_bench.data import writers
    from seem_bench.data.scenes import CATEGORIES, STUFF_GROUND, STUFF_SKY, THING_IDS

    rng = np.random.default_rng(seed)
    coco = root / "coco"
    images, id_maps, segments, instances = [], {}, {}, []
    next_id = 1
    for k in range(n_images):
        iid = k + 1
        name = f"{iid:012d}.jpg"
        img = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        ids = np.zeros((size, size), np.int32)
        horizon = int(rng.integers(size // 4, 3 * size // 4))
        segs = []
        for cat, rows in ((STUFF_SKY, slice(0, horizon)), (STUFF_GROUND, slice(horizon, size))):
            ids[rows] = next_id
            segs.append({"id": next_id, "category_id": cat, "iscrowd": 0})
            next_id += 1
        for _ in range(int(rng.integers(1, 4))):
            m = np.zeros((size, size), np.uint8)
            cv2.ellipse(m, (int(rng.integers(8, size - 8)), int(rng.integers(8, size - 8))),
                        (int(rng.integers(4, size // 3)), int(rng.integers(4, size // 3))),
                        float(rng.integers(0, 180)), 0, 360, 1, -1)
            mask = m.astype(bool)
            ids[mask] = next_id
            cat = int(rng.choice(THING_IDS))
            segs.append({"id": next_id, "category_id": cat, "iscrowd": 0})
            next_id += 1
        ids[0, :] = 0  # a VOID row, as COCO's unlabelled pixels
        segs = [s for s in segs if (ids == s["id"]).any()]  # drop segments fully occluded or void
        for s in segs:  # instances from the final (occluded) id map
            if s["category_id"] in THING_IDS:
                mask = ids == s["id"]
                instances.append({"id": len(instances) + 1, "image_id": iid, "category_id": s["category_id"],
                                  "segmentation": writers.mask_to_rle(mask, compressed=True),
                                  "area": float(mask.sum()), "bbox": writers.bbox_of(mask), "iscrowd": 0})
        images.append({"id": iid, "file_name": name, "height": size, "width": size})
        id_maps[iid], segments[iid] = ids, segs
        writers.write_jpeg(coco / "val2017" / name, img)
    writers.write_coco_panoptic(coco, "val2017", images, id_maps, segments, CATEGORIES)
    writers.write_coco_instances(coco / "annotations" / "instances_val2017.json", images, instances,
                                 [c for c in CATEGORIES if c["isthing"]])
    return root


# --------------------------------------------------------------------------- child


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def child(data_root: Path, out: Path) -> dict[str, Any]:
    """Run the generic task with ``oracle`` here; peak RSS (bytes) per phase."""
    from seem_bench import runner
    from seem_bench.tasks import get_task

    phase = ["start"]
    peaks: dict[str, int] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            r = _rss()
            p = phase[0]
            if r > peaks.get(p, 0):
                peaks[p] = r
            time.sleep(0.005)

    orig_loop, orig_summarize = runner._loop, runner.summarize

    def loop(*a: Any, **k: Any) -> Any:
        phase[0] = "loop"
        try:
            return orig_loop(*a, **k)
        finally:
            phase[0] = "after_loop"

    def summarize(*a: Any, **k: Any) -> Any:
        phase[0] = "summary"
        return orig_summarize(*a, **k)

    runner._loop, runner.summarize = loop, summarize  # type: ignore[assignment]
    peaks["start"] = _rss()
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    phase[0] = "setup"
    t0 = time.perf_counter()
    summary = runner.run(runner.RunConfig(task=get_task("generic"), model="oracle", data_root=data_root,
                                          out_dir=out, progress=False))
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    assert summary is not None
    return {"peaks": peaks, "ru_maxrss": maxrss, "wall_s": wall, "evaluated": summary["counts"]["evaluated"],
            "PQ": summary["metrics"].get("PQ"), "mAP": summary["metrics"].get("mAP")}


# --------------------------------------------------------------------------- parent


def measure(n: int, work: Path, size: int) -> dict[str, Any]:
    """Generate ``n`` images, run the child on them, delete both; the child's figures."""
    t0 = time.perf_counter()
    data = make_coco(work / f"data{n}", n, size)
    gen_s = time.perf_counter() - t0
    res = subprocess.run([sys.executable, __file__, "--child", str(data), str(work / f"run{n}")],
                         capture_output=True, text=True, timeout=7200)
    if res.returncode != 0:
        raise RuntimeError(f"child for {n} images failed:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["generate_s"] = gen_s
    shutil.rmtree(work / f"data{n}", ignore_errors=True)
    shutil.rmtree(work / f"run{n}", ignore_errors=True)
    print(f"{n} images: generated in {gen_s:.0f} s, run {out['wall_s']:.0f} s, ru_maxrss "
          f"{out['ru_maxrss'] / 2**20:.0f} MiB", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (also the ``--child`` side); returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200 vs 2,000 images")
    ap.add_argument("--sizes", help="comma list of image counts (default 1000,10000; quick 200,2000)")
    ap.add_argument("--size", type=int, default=64, help="image side in pixels (default 64)")
    ap.add_argument("--child", nargs=2, metavar=("DATA_ROOT", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(Path(args.child[0]), Path(args.child[1]))))
        return 0
    sizes = [int(v) for v in (args.sizes or ("200,2000" if args.quick else "1000,10000")).split(",")]
    work = Path(tempfile.mkdtemp(prefix="seem-bench-memory-"))
    try:
        results = {n: measure(n, work, args.size) for n in sizes}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    mib = 2.0**20
    phases = ["start", "setup", "loop", "summary"]
    header = ["images", *[f"peak {p} (MiB)" for p in phases], "ru_maxrss (MiB)", "run (s)", "PQ", "mAP"]
    rows = []
    for n, r in results.items():
        rows.append([n, *[r["peaks"].get(p, 0) / mib for p in phases], r["ru_maxrss"] / mib, r["wall_s"],
                     r["PQ"], r["mAP"]])
    lo, hi = sizes[0], sizes[-1]
    per_k = {p: (results[hi]["peaks"].get(p, 0) - results[lo]["peaks"].get(p, 0)) / mib / ((hi - lo) / 1000)
             for p in phases}
    per_k["ru_maxrss"] = (results[hi]["ru_maxrss"] - results[lo]["ru_maxrss"]) / mib / ((hi - lo) / 1000)
    loop_growth = (results[hi]["peaks"]["loop"] - results[hi]["peaks"]["setup"]) - \
        (results[lo]["peaks"]["loop"] - results[lo]["peaks"]["setup"])
    rows.append([f"growth per 1,000 images ({lo} -> {hi})", *[per_k[p] for p in phases], per_k["ru_maxrss"],
                 "", "", ""])
    table = C.markdown_table(header, rows)
    C.emit("memory", table, {
        "sizes": sizes, "image_side": args.size,
        "peak_mib": {str(n): {p: round(r["peaks"].get(p, 0) / mib, 1) for p in phases}
                     for n, r in results.items()},
        "ru_maxrss_mib": {str(n): round(r["ru_maxrss"] / mib, 1) for n, r in results.items()},
        "growth_mib_per_1000": {k: round(v, 2) for k, v in per_k.items()},
        "loop_above_setup_growth_mib": round(loop_growth / mib, 2),
        "run_s": {str(n): round(r["wall_s"], 1) for n, r in results.items()},
    }, "python benchmarks/bench_memory.py " + " ".join(sys.argv[1:] if argv is None else argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
