"""Throughput of the interactive loop (issue 16): one-at-a-time vs lockstep vs lockstep + overlap.

1. **Simulated GPU.** A stand-in model (``bench-standin``) whose `decode_batch` of ``n``
   requests costs ``a + b*n`` seconds as ``time.sleep`` (a GIL-free wait: how an asynchronous
   GPU looks to the host), then returns `_common.round_masks` predictions (a shifted GT, so every
   round's click simulation sees real error regions). GrabCut-layout click set of ``--images``
   generated 480x854 scenes (one object each), ``ritm``, 20 clicks, every round run. Modes:

   - ``one-at-a-time``: ``batch_size=1``, no overlap, no read-ahead (one decode per object);
   - ``lockstep``: ``batch_size=B`` images stepped together, one decode per round, no overlap,
     no read-ahead;
   - ``lockstep+overlap``: the same plus the decode thread (two lanes) and read-ahead.

   Per mode: objects/s over the runner's per-sample loop, the model-only time (the seconds the
   stand-in spent inside ``decode_batch``, summed), and the harness share of wall time =
   ``1 - model-only / loop wall``. Records of the three modes are checked equal.

2. **SAM ViT-B decoder on CPU** (``--sam``): random weights, random (1, 256, 64, 64) image
   features (decoder time does not depend on their values), ``--objects`` prompts of 5 clicks
   each with memory: one `SamAdapter.decode_batch` of all of them vs as many single
   `SamAdapter.decode` calls, interleaved, median of ``--reps``; also how far the batched masks
   are from the single ones (float noise of batched kernels).

Usage::

    .venv/bin/python benchmarks/bench_pipeline.py --quick
    .venv/bin/python benchmarks/bench_pipeline.py --a-ms 5 --b-ms 0.2 --batch 16 --images 64 --sam
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import _common as C
import numpy as np

from seem_bench.adapters.base import Adapter, Capabilities, DecodeRequest, Prediction
from seem_bench.adapters.registry import MODELS
from seem_bench.prompts.types import Prompts


class StandInModel(Adapter):
    """``decode_batch`` of ``n`` requests = sleep ``a + b*n`` s, then the `round_masks` prediction."""

    name = "bench-standin"
    summary = "benchmark model: decode costs a + b*n seconds of GIL-free wait"
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point", "box"}, memory=True, max_batch=1024)
    uses_ground_truth = True
    busy = 0.0  # seconds spent in decode_batch (all instances, this process)
    _lock = threading.Lock()

    def __init__(self, a_ms: str | float = 5.0, b_ms: str | float = 0.2, **options: Any) -> None:
        super().__init__(a_ms=float(a_ms), b_ms=float(b_ms), **options)
        self.a, self.b = float(a_ms) / 1e3, float(b_ms) / 1e3

    def encode(self, image: np.ndarray) -> tuple[int, int]:
        return image.shape[:2]

    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        raise NotImplementedError("the stand-in decodes through decode_batch only")

    @staticmethod
    def _mask(gt: np.ndarray, k: int) -> np.ndarray:
        s = max(1, 24 // k)  # the round-k shift of `_common.round_masks`
        m = np.zeros_like(gt)
        m[s:, s:] = gt[: gt.shape[0] - s, : gt.shape[1] - s]
        return m

    def decode_batch(self, requests: list[DecodeRequest]) -> list[Prediction]:
        t0 = time.perf_counter()
        time.sleep(self.a + self.b * len(requests))
        out = [Prediction(mask=self._mask(np.asarray(r.target, bool), max(len(r.prompts.clicks), 1)))
               for r in requests]
        with self._lock:
            type(self).busy += time.perf_counter() - t0
        return out


def simulate(data: Path, work: Path, mode: str, batch: int, a_ms: float, b_ms: float, rounds: int,
             harness_workers: int | None = None) -> dict[str, Any]:
    """One run of the interactive task in ``mode``; loop seconds, model-only seconds, records."""
    import dataclasses

    from seem_bench.runner import RunConfig, load_records, run, strip_timings
    from seem_bench.tasks import get_task

    kw: dict[str, Any] = {"one-at-a-time": {"batch_size": 1, "overlap": False, "prefetch": 0},
                          "lockstep": {"batch_size": batch, "overlap": False, "prefetch": 0},
                          "lockstep+overlap": {"batch_size": batch, "overlap": True}}[mode]
    # Older packages (a before/after run with PYTHONPATH) have no harness workers.
    if harness_workers is not None and "harness_workers" in {f.name for f in dataclasses.fields(RunConfig)}:
        kw["harness_workers"] = harness_workers
    task = get_task("interactive").with_overrides([f"max_rounds={rounds}"])
    out = work / mode
    StandInModel.busy = 0.0
    with C.timed_loop() as spans:
        summary = run(RunConfig(task=task, model="bench-standin", data_root=data, out_dir=out, progress=False,
                                model_options={"a_ms": a_ms, "b_ms": b_ms}, **kw))
    assert summary is not None and summary["counts"]["errors"] == 0
    loop = spans[0]
    n = summary["counts"]["ok"]
    return {"mode": mode, "loop_s": loop, "model_s": StandInModel.busy, "objects": n,
            "objects_per_s": n / loop, "harness_share": 1 - StandInModel.busy / loop,
            "records": [strip_timings(r) for r in load_records(out)]}


def sam_batched(objects: int, reps: int, clicks: int = 5, threads: int | None = 1, device: str = "cpu"
                ) -> dict[str, Any]:
    """One batched SAM ViT-B decode of ``objects`` prompts vs that many single decodes."""
    import torch
    from gpu_check import build_random_sam
    from seem_bench.baselines.sam import SamState, SamViTB
    from segment_anything import SamPredictor

    from seem_bench.prompts.types import Click

    C.set_threads(threads)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model = build_random_sam("vit_b").eval().to(device)
    # Benchmark-only construction: the adapter's decode path without loading a checkpoint file.
    sam = SamViTB.__new__(SamViTB)
    sam.model, sam.predictor, sam.multimask_output = model, SamPredictor(model), "single-point"
    g = torch.Generator().manual_seed(0)
    state = SamState(torch.randn(1, 256, 64, 64, generator=g).to(device), (480, 854), (576, 1024))

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    rng = np.random.default_rng(0)
    reqs = []
    for _ in range(objects):
        cl = [Click(int(rng.integers(0, 854)), int(rng.integers(0, 480)), bool(i % 2 == 0)) for i in range(clicks)]
        mem = rng.normal(size=(1, 256, 256)).astype(np.float32)
        reqs.append(DecodeRequest(state, Prompts(clicks=cl), mem))
    sam.decode_batch(reqs[:2])  # warm-up
    single, batched = [], []
    for _ in range(reps):
        sync()
        t0 = time.perf_counter()
        one = [sam.decode(r.state, r.prompts, r.memory) for r in reqs]
        sync()
        single.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        many = sam.decode_batch(reqs)
        sync()
        batched.append(time.perf_counter() - t0)
    flips = max(int(np.count_nonzero(x.mask != y.mask)) for x, y in zip(one, many, strict=True))
    dscore = max(abs(x.score - y.score) for x, y in zip(one, many, strict=True))
    dlogit = max(float(np.abs(x.memory - y.memory).max()) for x, y in zip(one, many, strict=True))
    return {"objects": objects, "single_s": C.median(single), "batched_s": C.median(batched),
            "speedup": C.median(single) / C.median(batched), "max_pixel_flips": flips,
            "max_score_diff": dscore, "max_logit_diff": dlogit, "threads": torch.get_num_threads(),
            "device": device}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="32 images, no SAM part unless --sam")
    ap.add_argument("--images", type=int, help="generated 480x854 images (default 64, quick 32: "
                    "with overlap two lanes of B = 16 images are in flight)")
    ap.add_argument("--batch", type=int, default=16, help="B: images (= objects) per lockstep batch")
    ap.add_argument("--a-ms", type=float, nargs="+", default=[5.0], help="fixed decode cost a (ms)")
    ap.add_argument("--b-ms", type=float, default=0.2, help="decode cost per request b (ms)")
    ap.add_argument("--rounds", type=int, default=20, help="clicks per object")
    ap.add_argument("--size", default="480x854", help="image HxW")
    ap.add_argument("--sam", action="store_true", help="also time SAM ViT-B batched vs single decodes (CPU)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of the SAM timing (median)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads for the SAM part")
    ap.add_argument("--sam-device", default="cpu", help="device of the SAM part: cpu (default), cuda, auto")
    ap.add_argument("--harness-workers", type=int, help="threads for the click simulation (default: the runner's, cores - 1)")
    args = ap.parse_args(argv)
    n_images = args.images or (32 if args.quick else 64)
    h, w = (int(v) for v in args.size.split("x"))
    if "bench-standin" not in MODELS:
        MODELS.register("bench-standin", StandInModel)

    import seem_bench

    rows, result = [], {"images": n_images, "batch": args.batch, "b_ms": args.b_ms, "rounds": args.rounds,
                        "size": args.size, "harness_workers": args.harness_workers,
                        "package": str(Path(seem_bench.__file__).parent), "by_a": {}}
    with tempfile.TemporaryDirectory(prefix="seem-bench-pipeline-") as tmp:
        data = C.make_clickset(Path(tmp) / "data", n_images, h, w)
        for a in args.a_ms:
            runs = [simulate(data, Path(tmp) / f"a{a}", m, args.batch, a, args.b_ms, args.rounds,
                             args.harness_workers) for m in ("one-at-a-time", "lockstep", "lockstep+overlap")]
            same = runs[0]["records"] == runs[1]["records"] == runs[2]["records"]
            base = runs[0]["objects_per_s"]
            ideal = runs[1]["model_s"]  # lockstep's model-only time: one decode per round and batch
            for r in runs:
                rows.append([a, r["mode"], r["objects_per_s"], r["objects_per_s"] / base, r["loop_s"],
                             r["model_s"], r["harness_share"] * 100, r["loop_s"] / ideal])
            result["by_a"][str(a)] = {
                r["mode"]: {"objects_per_s": round(r["objects_per_s"], 3), "loop_s": round(r["loop_s"], 3),
                            "model_s": round(r["model_s"], 3), "harness_share": round(r["harness_share"], 4),
                            "speedup": round(r["objects_per_s"] / base, 3),
                            "loop_over_lockstep_model_only": round(r["loop_s"] / ideal, 3)} for r in runs}
            result["by_a"][str(a)]["records_identical"] = same
            if not same:
                print(f"bench_pipeline: records differ between modes at a={a} ms", file=sys.stderr)
                return 1
    table = C.markdown_table(["a ms", "mode", "objects/s", "speed-up", "loop s", "model-only s",
                              "harness share %", "loop / lockstep model-only"], rows)
    if args.sam:
        s = sam_batched(args.batch, args.reps, threads=args.threads, device=args.sam_device)
        result["sam_vit_b_cpu"] = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in s.items()}
        table += "\n\n" + C.markdown_table(
            [f"SAM ViT-B decoder, {s['device']}", "value"],
            [[f"{s['objects']} single decodes (s)", s["single_s"]], [f"1 batched decode of {s['objects']} (s)", s["batched_s"]],
             ["speed-up", s["speedup"]], ["max pixels differing per mask", s["max_pixel_flips"]],
             ["max |score diff|", s["max_score_diff"]], ["max |low-res logit diff|", s["max_logit_diff"]]])
    C.emit("bench_pipeline", table, result, "python benchmarks/bench_pipeline.py " +
           " ".join(sys.argv[1:] if argv is None else argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
