"""SEEM Focal-T (official code, random weights): native `decode_batch` vs one decode per object.

The objects of one image in one spatial decode (``SeemAdapter.decode_batch`` with
``spatial_batch=5``, SEEM's evaluator batching) against the same requests decoded one by one
(the default, ``spatial_batch=1``): ``--objects`` click prompts on one random image, two rounds
(round 2 adds a click and passes round 1's memory), median of ``--reps`` interleaved
repetitions. Also counts the objects whose mask differs: SEEM's batch couples its objects
(shared spatial memory tokens, one sampling cap), so the numbers are the evaluator's, not the
single decodes'.

Runs inside the SEEM environment (``scripts/seem_env.sh``); started with another python it
re-executes itself there (as ``bench_seem.py``).

Usage::

    .venv/bin/python benchmarks/bench_seem_batch.py --quick         # 3 objects, 1 repetition
    .venv/bin/python benchmarks/bench_seem_batch.py --objects 5 --reps 3 --device cuda
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from bench_seem import _load_packages, _reexec_in_env


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 objects, 1 repetition, 240x320 input")
    ap.add_argument("--objects", type=int, default=5, help="objects of the image (default 5: one SEEM batch)")
    ap.add_argument("--reps", type=int, default=3, help="interleaved repetitions (median)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = ap.parse_args()
    rc = _reexec_in_env(__file__, "bench_seem_batch")
    if rc is not None:
        return rc
    _load_packages()
    import numpy as np
    import torch

    from seem_bench.adapters.base import Adapter, DecodeRequest
    from seem_bench.adapters.registry import build_model
    from seem_bench.prompts.types import Click, Prompts

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _common as C

    torch.set_num_threads(args.threads)
    n, reps = (3, 1) if args.quick else (args.objects, args.reps)
    size = ("240", "320") if args.quick else ("512", "682")
    model = build_model("seem_t", checkpoint="random", device=args.device, min_size=size[0], max_size=size[1],
                        seed="0")
    rng = np.random.default_rng(0)
    h, w = (240, 320) if args.quick else (512, 682)
    state = model.encode(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    firsts = [Click(int(rng.integers(w)), int(rng.integers(h)), True) for _ in range(n)]
    seconds = [Click(int(rng.integers(w)), int(rng.integers(h)), False) for _ in range(n)]

    def two_rounds(decode_batch) -> tuple[float, list]:
        t0 = time.perf_counter()
        r1 = decode_batch([DecodeRequest(state, Prompts(clicks=[c], click_radius=1)) for c in firsts])
        r2 = decode_batch([DecodeRequest(state, Prompts(clicks=[a, b], click_radius=1), p.memory)
                           for a, b, p in zip(firsts, seconds, r1, strict=True)])
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - t0, [p.mask for p in r1 + r2]

    def loop(reqs):
        return Adapter.decode_batch(model, reqs)

    model.spatial_batch = 5  # as --model-opt spatial_batch=5 (one model built, not two)
    two_rounds(model.decode_batch)  # warm-up
    batched, single, differ = [], [], 0
    for _ in range(reps):
        tb, mb = two_rounds(model.decode_batch)
        ts, ms = two_rounds(loop)
        batched.append(tb)
        single.append(ts)
        differ = max(differ, sum(not np.array_equal(a, b) for a, b in zip(mb, ms, strict=True)))
    tb, ts = statistics.median(batched), statistics.median(single)
    table = C.markdown_table(["SEEM Focal-T, random weights", "value"], [
        [f"{n} objects x 2 rounds, one decode per object (s)", ts],
        [f"{n} objects x 2 rounds, native decode_batch (s)", tb],
        ["speed-up", ts / tb], [f"masks differing from the single decodes (of {2 * n})", differ]])
    C.emit("seem_batch", table, {"objects": n, "reps": reps, "device": args.device, "threads": args.threads,
                                 "input": f"{h}x{w}", "single_s": round(ts, 3), "batched_s": round(tb, 3),
                                 "speedup": round(ts / tb, 3), "masks_differing": differ},
           "python benchmarks/bench_seem_batch.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
