"""How far the plain ``seem`` protocol is from SEEM's own evaluator (``seem-official``).

Runs in the SEEM environment (``bash scripts/seem_env.sh``)::

    ~/.cache/seem-bench/seem-env/venv/bin/python benchmarks/bench_seem_official.py [--quick]

SEEM Focal-T with random weights (seeded), on the demo interactive set (GrabCut layout, written
by ``seem-bench data demo``), both protocols on the same encoded image: plain ``seem`` (clicks at
the original resolution, one object per decode) and ``seem-official`` (equal to SEEM's own
evaluator, `tests/adapters/test_seem_fidelity.py`). Reports the first click's grid cell, the grid
GT's growth from cubic ringing, per-round IoU gaps and NoC. With random weights the masks cover
almost the whole image, so later clicks and the NoC say little; the first click and the GT do.
The SEEM workarounds (stand-ins, CPU redirects, seeding) are the fidelity test's worker's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seem-env", default=os.environ.get("SEEM_BENCH_SEEM_ENV") or str(
        Path(os.environ.get("SEEM_BENCH_CACHE") or Path.home() / ".cache" / "seem-bench") / "seem-env"))
    ap.add_argument("--data", default=str(Path.home() / ".cache" / "seem-bench" / "demo-v2" / "GrabCut"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--min-size", type=int, default=160)
    ap.add_argument("--max-size", type=int, default=256)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="3 images, 3 rounds")
    args = ap.parse_args()
    if args.quick:
        args.limit, args.rounds = 3, 3
    sys.path.insert(0, str(REPO / "tests" / "adapters"))
    import seem_official_worker as w

    seem_root = Path(args.seem_env) / "src" / "seem"
    w.setup(seem_root, REPO, None)
    w._patch_common(args.seed, {})
    import numpy as np

    sys.path.insert(0, str(REPO / "benchmarks"))
    from _common import machine, markdown_table

    from baselines.seem import SeemFocalT, to_grid
    from seem_bench.data.registry import load_dataset
    from seem_bench.loops.interactive import run_sample
    from seem_bench.metrics.interactive import noc
    from seem_bench.prompts import PROTOCOLS
    from seem_bench.prompts.seem_official import grid_gt

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "random_focalt.pt"
        w.random_checkpoint(seem_root / "configs" / "seem" / "focalt_unicl_lang_v1.yaml", ckpt, args.seed)
        adapter = SeemFocalT(seem_root=str(seem_root), checkpoint=str(ckpt), device="cpu",
                             min_size=args.min_size, max_size=args.max_size, seed=args.seed)
    ds = load_dataset("grabcut", args.data)
    samples = ds.samples[:args.limit] if args.limit else ds.samples
    rows, first_same, cheb, growth, gaps = [], 0, [], [], []
    nocs = {"seem": {85: [], 90: []}, "seem-official": {85: [], 90: []}}
    iou1 = {"seem": [], "seem-official": []}
    for s in samples:
        state = adapter.encode(s.image())
        orig_hw, net_hw, _ = adapter.grid_shapes(state)
        out = {}
        for name in ("seem", "seem-official"):
            proto = PROTOCOLS.get(name)
            out[name] = run_sample(adapter, state, s, list(s.instances), proto,
                                   {**proto.params, "max_rounds": args.rounds}, args.seed)
        for inst, plain, off in zip(s.instances, out["seem"], out["seem-official"], strict=True):
            x, y, _ = plain["rounds"][0]["prompt"]["click"]
            gx, gy = to_grid(x, y, orig_hw, net_hw)
            ox, oy, _ = off["rounds"][0]["prompt"]["grid_click"]
            first_same += (gx, gy) == (ox, oy)
            cheb.append(max(abs(gx - ox), abs(gy - oy)))
            m = inst.mask()
            scaled = m.sum() * net_hw[0] * net_hw[1] / (orig_hw[0] * orig_hw[1])
            growth.append(grid_gt(m, net_hw).sum() / scaled - 1)
            gaps.append(np.abs(np.subtract(plain["ious"], off["ious"])).mean())
            for name, rec in (("seem", plain), ("seem-official", off)):
                iou1[name].append(rec["ious"][0])
                for t in (85, 90):
                    nocs[name][t].append(noc(rec["ious"], t / 100, max_rounds=args.rounds))
            rows.append([f"{s.sample_id}/{inst.instance_id}", f"({gx},{gy})", f"({ox},{oy})",
                         float(growth[-1]), float(gaps[-1]), plain["ious"][0], off["ious"][0]])
    n = len(rows)
    result = {"objects": n, "rounds": args.rounds, "input": [args.min_size, args.max_size],
              "first_click_same_cell": first_same / n, "first_click_max_cell_offset": int(max(cheb)),
              "first_click_mean_cell_offset": float(np.mean(cheb)),
              "grid_gt_growth_mean": float(np.mean(growth)), "grid_gt_growth_max": float(np.max(growth)),
              "mean_abs_iou_gap": float(np.mean(gaps)),
              "mIoU@1": {k: float(np.mean(v)) for k, v in iou1.items()},
              "NoC@85": {k: float(np.mean(v[85])) for k, v in nocs.items()},
              "NoC@90": {k: float(np.mean(v[90])) for k, v in nocs.items()},
              "seconds": round(time.perf_counter() - t0, 1)}
    print(machine())
    print("command: " + " ".join([Path(sys.executable).name, *sys.argv]))
    print(markdown_table(["object", "seem 1st click (grid)", "official 1st click", "grid GT growth",
                          "mean |IoU gap|", "IoU@1 seem", "IoU@1 official"], rows))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
