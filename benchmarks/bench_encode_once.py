"""Encode once + N decodes vs re-encoding every round, SAM ViT-B (real architecture, random weights).

Both strategies make the same ``SamPredictor.predict`` calls (clicks so far, previous low-res
logits as ``mask_input``, multimask on the first click only, as the ``sam_b`` adapter does):

- ``encode-once``: ``set_image`` once per image, then ``rounds`` decodes (what seem-bench does);
- ``re-encode``: ``set_image`` before every decode (a harness that re-runs the model per click).

Per image the two run back to back (interleaved), on generated 480x854 scenes. The speed-up is
the ratio of total seconds. On a slow CPU the full 20-click re-encode run takes long (20 ViT-B
encodes per image), so ``--quick`` measures 3 rounds on 1 image and also prints the 20-click
speed-up projected from the measured per-round encode and decode medians,
``(R * E + R * D) / (E + R * D)``, labelled as a projection.

Usage::

    .venv/bin/python benchmarks/bench_encode_once.py --quick     # 1 image, 3 rounds measured
    .venv/bin/python benchmarks/bench_encode_once.py             # 1 image, 20 rounds measured
    .venv/bin/python benchmarks/bench_encode_once.py --images 3 --device cuda
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
from bench_overhead import sam_clicks, sam_predictor


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def encode_once(predictor: Any, image: np.ndarray, clicks: list[tuple[int, int, int]], device: str
                ) -> dict[str, Any]:
    """One ``set_image`` + one decode per click; returns total, encode and decode seconds."""
    t0 = time.perf_counter()
    predictor.set_image(image)
    _sync(device)
    enc = time.perf_counter() - t0
    decs = _decodes(predictor, clicks, reencode_image=None, device=device)
    return {"total": time.perf_counter() - t0, "encode": [enc], "decode": decs}


def re_encode(predictor: Any, image: np.ndarray, clicks: list[tuple[int, int, int]], device: str
              ) -> dict[str, Any]:
    """``set_image`` before every decode; returns total, per-round encode and decode seconds."""
    t0 = time.perf_counter()
    encs: list[float] = []
    decs = _decodes(predictor, clicks, reencode_image=image, device=device, encode_times=encs)
    return {"total": time.perf_counter() - t0, "encode": encs, "decode": decs}


def _decodes(predictor: Any, clicks: list[tuple[int, int, int]], reencode_image: np.ndarray | None,
             device: str, encode_times: list[float] | None = None) -> list[float]:
    out = []
    memory = None
    for k in range(1, len(clicks) + 1):
        if reencode_image is not None:
            t = time.perf_counter()
            predictor.set_image(reencode_image)
            _sync(device)
            if encode_times is not None:
                encode_times.append(time.perf_counter() - t)
        coords = np.array([[x, y] for x, y, _ in clicks[:k]], np.float64)
        labels = np.array([lab for _, _, lab in clicks[:k]], np.int64)
        t = time.perf_counter()
        masks, scores, low = predictor.predict(point_coords=coords, point_labels=labels,
                                               mask_input=memory, multimask_output=k == 1)
        best = int(np.argmax(scores))
        memory = np.asarray(low[best:best + 1], np.float32)
        out.append(time.perf_counter() - t)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 image, 3 rounds (+ 20-round projection)")
    ap.add_argument("--images", type=int, default=1, help="generated 480x854 images (default 1)")
    ap.add_argument("--rounds", type=int, help="clicks per image (default 20, quick 3)")
    ap.add_argument("--device", default="cpu", help="torch device (default cpu)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = ap.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 20)
    C.set_threads(args.threads)

    work = Path(tempfile.mkdtemp(prefix="seem-bench-encode-"))
    try:
        C.make_clickset(work, args.images, 480, 854, seed=1)
        from seem_bench.data.clicksets import load_grabcut

        images = [s.image() for s in load_grabcut(work / "GrabCut").samples]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    predictor = sam_predictor(args.device)
    once, again = [], []
    for i, image in enumerate(images):
        clicks = sam_clicks(*image.shape[:2], rounds, seed=i)
        once.append(encode_once(predictor, image, clicks, args.device))
        again.append(re_encode(predictor, image, clicks, args.device))
        print(f"image {i}: encode-once {once[-1]['total']:.1f} s, re-encode {again[-1]['total']:.1f} s",
              file=sys.stderr)

    t_once = sum(r["total"] for r in once)
    t_again = sum(r["total"] for r in again)
    enc = C.median([e for r in once + again for e in r["encode"]])
    dec = C.median([d for r in once + again for d in r["decode"]])
    measured = t_again / t_once
    projected = (20 * enc + 20 * dec) / (enc + 20 * dec)
    rows = [
        [f"encode once + {rounds} decodes, {len(images)} image(s)", t_once, "s"],
        [f"re-encode every round, {rounds} rounds, {len(images)} image(s)", t_again, "s"],
        [f"speed-up, measured at {rounds} clicks", measured, "x"],
        ["ViT-B encode (set_image) median", enc, "s"],
        ["decode (predict) median", dec * 1e3, "ms"],
        ["speed-up at 20 clicks, projected from the medians", projected, "x"],
    ]
    C.emit("encode_once", C.markdown_table(["quantity", "value", "unit"], rows), {
        "images": len(images), "rounds": rounds, "device": args.device, "torch_threads": args.threads,
        "encode_once_s": round(t_once, 3), "re_encode_s": round(t_again, 3),
        "speedup_measured": round(measured, 3), "encode_s": round(enc, 4), "decode_ms": round(dec * 1e3, 3),
        "speedup_20_projected": round(projected, 3),
    }, "python benchmarks/bench_encode_once.py " + " ".join(sys.argv[1:] if argv is None else argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
