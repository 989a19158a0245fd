"""The one prepared device check: SAM ViT-B (random weights) on the interactive task, demo data.

Reports (1) the harness share of wall time of a real run and (2) the encode-once speed-up.

1. `seem_bench.runner.run` with the real ``sam_b`` adapter on the demo GrabCut set (task
   ``interactive``, protocol ``ritm``, every round run). The weights are random: the
   architecture is SAM ViT-B built by ``segment_anything``'s own builder, saved to a temporary
   checkpoint that the adapter loads as it would the released file. Harness share =
   (time in the runner's per-sample loop - encode seconds - decode seconds) / loop time; the
   run's fixed costs (model load, dataset index, header, summary) are reported apart.
2. On the first ``--encode-images`` demo images: ``set_image`` once + ``R`` ``predict`` calls
   vs ``set_image`` before every ``predict`` (CUDA synchronised), as in
   ``benchmarks/bench_encode_once.py``.

Runs on CPU too (slowly): ``--arch tiny`` swaps the ViT-B encoder for a 2-block, 64-wide one
(same prompt encoder and mask decoder, loaded through ``--model-opt arch=auto``) so that the
test suite can run the whole script in seconds. Figures from ``--arch tiny`` are not SAM ViT-B
figures.

Usage::

    bash benchmarks/gpu_check.sh                         # on the GPU machine: full check
    .venv/bin/python benchmarks/gpu_check.py --quick --limit 1 --max-rounds 2 --arch tiny  # CPU smoke
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as C

TINY = {"encoder_embed_dim": 64, "encoder_depth": 2, "encoder_num_heads": 2,
        "encoder_global_attn_indexes": [1]}


def build_random_sam(arch: str, seed: int = 0) -> Any:
    """SAM with random weights: ``vit_b`` via ``sam_model_registry``, ``tiny`` via ``_build_sam``."""
    import torch
    from segment_anything import sam_model_registry
    from segment_anything.build_sam import _build_sam

    torch.manual_seed(seed)
    if arch == "vit_b":
        return sam_model_registry["vit_b"]()
    if arch == "tiny":
        return _build_sam(checkpoint=None, **TINY)
    raise SystemExit(f"--arch must be vit_b or tiny, got {arch!r}")


def harness_run(checkpoint: Path, arch: str, device: str, limit: int | None, rounds: int, out: Path,
                batch_size: int = 1) -> dict[str, Any]:
    """The interactive task with ``sam_b`` on the demo data; loop/fixed/encode/decode seconds."""
    from seem_bench.runner import RunConfig, run
    from seem_bench.tasks import get_task

    options = {"checkpoint": str(checkpoint), "device": device}
    if arch != "vit_b":
        options["arch"] = "auto"
    task = get_task("interactive").with_overrides([f"max_rounds={rounds}"])
    cfg = RunConfig(task=task, model="sam_b", model_options=options, out_dir=out, limit=limit,
                    progress=False, batch_size=batch_size)
    with C.timed_loop() as spans:
        t0 = time.perf_counter()
        summary = run(cfg)
        wall = time.perf_counter() - t0
    rt = C.record_times(out)
    loop = spans[0]
    harness = loop - rt["model_s"] - rt["encode_s"]
    assert summary is not None and summary["counts"]["errors"] == 0, summary and summary["counts"]
    return {"wall_s": wall, "loop_s": loop, "fixed_s": wall - loop, "encode_s": rt["encode_s"],
            "decode_s": rt["model_s"], "clicks": rt["clicks"], "instances": rt["instances"],
            "harness_s": harness, "harness_share": harness / loop,
            "harness_ms_per_click": harness / rt["clicks"] * 1e3,
            "decode_ms_per_click": rt["model_s"] / rt["clicks"] * 1e3, "NoC@90": summary["metrics"].get("NoC@90")}


def encode_once_check(model: Any, device: str, n_images: int, rounds: int) -> dict[str, Any]:
    """Encode-once vs re-encode per round on the first demo images (interleaved per image)."""
    from bench_encode_once import encode_once, re_encode
    from bench_overhead import sam_clicks
    from segment_anything import SamPredictor

    from seem_bench.data.clicksets import load_grabcut
    from seem_bench.data.demo import ensure_demo

    predictor = SamPredictor(model)
    images = [s.image() for s in load_grabcut(ensure_demo(quiet=True) / "GrabCut").samples[:n_images]]
    clicks0 = sam_clicks(*images[0].shape[:2], min(rounds, 2))
    encode_once(predictor, images[0], clicks0, device)  # warm-up (kernels, allocator)
    once = again = 0.0
    encs: list[float] = []
    decs: list[float] = []
    for i, img in enumerate(images):
        clicks = sam_clicks(*img.shape[:2], rounds, seed=i)
        a = encode_once(predictor, img, clicks, device)
        b = re_encode(predictor, img, clicks, device)
        once += a["total"]
        again += b["total"]
        encs += a["encode"] + b["encode"]
        decs += a["decode"] + b["decode"]
    return {"images": len(images), "rounds": rounds, "encode_once_s": once, "re_encode_s": again,
            "speedup": again / once, "encode_ms": C.median(encs) * 1e3, "decode_ms": C.median(decs) * 1e3}


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 image for the encode-once part")
    ap.add_argument("--limit", type=int, help="demo samples for the harness run (default: all 12)")
    ap.add_argument("--max-rounds", type=int, default=20, help="clicks per object (default 20)")
    ap.add_argument("--encode-images", type=int, help="images for encode-once (default 3, quick 1)")
    ap.add_argument("--arch", default="vit_b", help="vit_b (default) or tiny (CPU smoke test only)")
    ap.add_argument("--device", default="auto", help="auto (cuda if available), cuda or cpu")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--batch-size", type=int, default=1,
                    help="also run the harness with this --batch-size (lockstep + overlap) and compare")
    args = ap.parse_args(argv)
    import torch

    C.set_threads(args.threads)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    enc_images = args.encode_images or (1 if args.quick else 3)
    print(f"gpu_check: device {device} ({C.gpu_name() or 'no GPU'}), arch {args.arch}, torch "
          f"{torch.__version__}, CUDA {torch.version.cuda}", file=sys.stderr)

    work = Path(tempfile.mkdtemp(prefix="seem-bench-gpucheck-"))
    try:
        t0 = time.perf_counter()
        model = build_random_sam(args.arch)
        ckpt = work / f"sam_{args.arch}_random.pth"
        torch.save(model.state_dict(), ckpt)
        build_s = time.perf_counter() - t0
        h = harness_run(ckpt, args.arch, device, args.limit, args.max_rounds, work / "run")
        print(f"harness run: {h['clicks']} clicks, loop {h['loop_s']:.2f} s, harness share "
              f"{h['harness_share'] * 100:.2f} %", file=sys.stderr)
        hb = None
        if args.batch_size > 1:
            hb = harness_run(ckpt, args.arch, device, args.limit, args.max_rounds, work / "run-batched",
                             args.batch_size)
            from seem_bench.runner import load_records, strip_timings

            recs = [[strip_timings(r) for r in load_records(work / d)] for d in ("run", "run-batched")]
            ious = [(a["ious"], b["ious"]) for a, b in zip(*recs, strict=True)]
            hb["max_iou_diff"] = max(abs(x - y) for a, b in ious for x, y in zip(a, b, strict=True))
            hb["records_identical"] = recs[0] == recs[1]
        e = encode_once_check(model.to(device).eval(), device, enc_images, args.max_rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        ["interactive run: instances / clicks", f"{h['instances']} / {h['clicks']}", ""],
        ["loop wall time", h["loop_s"], "s"],
        ["  encode (runner's encode_s)", h["encode_s"], "s"],
        ["  decode (records' model_s)", h["decode_s"], "s"],
        ["  harness (loop - encode - decode)", h["harness_s"], "s"],
        ["harness share of loop wall time", h["harness_share"] * 100, "%"],
        ["harness per click", h["harness_ms_per_click"], "ms"],
        ["decode per click (SPC)", h["decode_ms_per_click"], "ms"],
        ["harness / decode per click", h["harness_ms_per_click"] / h["decode_ms_per_click"] * 100, "% (goal <= 2 %)"],
        ["run fixed costs (model load, index, header, summary)", h["fixed_s"], "s"],
        [f"encode once + {e['rounds']} decodes, {e['images']} image(s)", e["encode_once_s"], "s"],
        [f"re-encode every round, {e['rounds']} rounds", e["re_encode_s"], "s"],
        ["encode-once speed-up", e["speedup"], "x"],
        ["encode (set_image) median / decode (predict) median", f"{e['encode_ms']:.1f} / {e['decode_ms']:.2f}", "ms"],
        ["random-weights model build + checkpoint save", build_s, "s"],
    ]
    if hb is not None:
        rows += [
            [f"--batch-size {args.batch_size}: loop wall time", hb["loop_s"], "s"],
            [f"--batch-size {args.batch_size}: harness share of loop wall time", hb["harness_share"] * 100, "%"],
            [f"--batch-size {args.batch_size}: objects/s vs --batch-size 1", h["loop_s"] / hb["loop_s"], "x"],
            [f"--batch-size {args.batch_size}: decode per click (SPC)", hb["decode_ms_per_click"], "ms"],
            [f"--batch-size {args.batch_size} vs 1: records identical / max IoU difference",
             f"{hb['records_identical']} / {hb['max_iou_diff']:.3g}", ""],
        ]
    result = {"device": device, "gpu": C.gpu_name(), "arch": args.arch, "torch": torch.__version__,
              "cuda": torch.version.cuda, "python": platform.python_version(),
              "harness_share": round(h["harness_share"], 5), "harness_ms_per_click": round(h["harness_ms_per_click"], 3),
              "decode_ms_per_click": round(h["decode_ms_per_click"], 3), "clicks": h["clicks"],
              "fixed_s": round(h["fixed_s"], 2), "encode_once_speedup": round(e["speedup"], 3),
              "encode_ms": round(e["encode_ms"], 2), "decode_ms": round(e["decode_ms"], 3),
              "rounds": args.max_rounds, "limit": args.limit}
    if hb is not None:
        result["batched"] = {"batch_size": args.batch_size, "loop_s": round(hb["loop_s"], 3),
                             "harness_share": round(hb["harness_share"], 5),
                             "speedup": round(h["loop_s"] / hb["loop_s"], 3),
                             "decode_ms_per_click": round(hb["decode_ms_per_click"], 3),
                             "records_identical": hb["records_identical"], "max_iou_diff": hb["max_iou_diff"]}
    if args.arch != "vit_b":
        result["note"] = "tiny encoder: smoke test, not a SAM ViT-B figure"
    C.emit("gpu_check", C.markdown_table(["quantity", "value", "unit"], rows), result,
           "python benchmarks/gpu_check.py " + " ".join(sys.argv[1:] if argv is None else argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
