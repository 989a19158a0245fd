"""Clicks per second at 480x854: seem-bench's ``ritm`` / ``seem`` simulators vs the plain reference.

The reference is the test suite's independent transcription of SPEC §2
(``tests/prompts/prompt_plain_reference.py``: scipy's exact EDT, explicit loops), run on the
same seeded mask pairs (``tests/prompts/prompt_mask_cases.py``: objects, predictions with FN and
FP regions, some perfect or empty). Every click is checked equal before timing counts. One run
each (the brief asks for one run: on a shared machine, read the ratio, not the absolute rate).

Usage::

    .venv/bin/python benchmarks/bench_clicks.py            # 60 pairs at 480x854
    .venv/bin/python benchmarks/bench_clicks.py --pairs 20 --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "prompts"))

from _common import emit, markdown_table  # noqa: E402
from prompt_mask_cases import random_gt, random_pred  # noqa: E402
from prompt_plain_reference import ritm_reference, seem_reference  # noqa: E402

from seem_bench.prompts import next_click  # noqa: E402


def make_pairs(n: int, h: int, w: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    pairs = []
    while len(pairs) < n:
        gt = random_gt(rng, h, w)
        if gt.sum() < 100:  # a real object, not the occasional empty draw
            continue
        pairs.append((gt, random_pred(rng, gt)))
    return pairs


def run(n: int, h: int, w: int, seed: int) -> dict:
    pairs = make_pairs(n, h, w, seed)
    rows, result = [], {"pairs": n, "height": h, "width": w}
    for proto, ref_fn in (("ritm", lambda g, p: ritm_reference(g, p)),
                          ("seem", lambda g, p: seem_reference(g, p))):
        t0 = time.perf_counter()
        ours = [next_click(g, p, protocol=proto) for g, p in pairs]
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        refs = [ref_fn(g, p) for g, p in pairs]
        t_ref = time.perf_counter() - t0
        bad = sum((c.x, c.y, c.positive) != r for c, r in zip(ours, refs, strict=True))
        if bad:
            raise SystemExit(f"{proto}: {bad} clicks differ from the reference; not timing a wrong answer")
        rows.append([proto, n / t_ours, n / t_ref, t_ref / t_ours])
        result[proto] = {"ours_clicks_per_s": n / t_ours, "reference_clicks_per_s": n / t_ref,
                         "speedup": t_ref / t_ours}
    table = markdown_table(["protocol", "seem-bench clicks/s", "reference clicks/s", "speed-up (x)"], rows)
    return {"table": table, "result": result}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=60)
    ap.add_argument("--size", default="480x854", help="HxW (default 480x854, DAVIS 480p)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write the result here")
    args = ap.parse_args(argv)
    h, w = (int(v) for v in args.size.split("x"))
    out = run(args.pairs, h, w, args.seed)
    emit("clicks", out["table"], out["result"], "python benchmarks/bench_clicks.py " + " ".join(argv or sys.argv[1:]))
    if args.json:
        args.json.write_text(json.dumps(out["result"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
