"""SEEM Focal-T (official code, random weights): encode-once vs re-encode, and the harness share.

Runs inside the SEEM environment built by ``scripts/seem_env.sh``: started with another python,
the script re-executes itself with the environment's python, importing this checkout's
seem-bench as the bridge worker does (``seem_bench/adapters/bridge_launch.py``).

1. encode-once vs re-encode, on the first ``--images`` demo GrabCut images: one ``encode`` and
   ``R`` spatial decodes (clicks accumulating, memory on) vs ``encode`` before every decode.
2. harness share of a real run: `seem_bench.runner.run` of task ``interactive`` (protocol
   ``seem``) with ``seem_t --checkpoint random``; share = (loop seconds - encode - decode) /
   loop seconds, where the loop is ``run()`` minus the model build (timed separately, same options).

Usage::

    .venv/bin/python benchmarks/bench_seem.py --quick            # 1 image, 3 rounds, 2-sample run
    .venv/bin/python benchmarks/bench_seem.py --device cuda      # e.g. from benchmarks/gpu_check.sh
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _reexec_in_env(script: str = __file__, name: str = "bench_seem") -> int | None:
    """Re-run ``script`` with the SEEM environment's python unless SEEM imports here."""
    if os.environ.get("SB_BENCH_IN_ENV") == "1":
        return None
    sys.path.insert(0, str(ROOT))
    from seem_bench.adapters import seem_env
    from seem_bench.adapters.seem_bridge import package_dirs, worker_env

    prefix = seem_env.find_prefix()
    if prefix is None:
        print(f"{name}: {seem_env.missing_reason()}", file=sys.stderr)
        return 2
    env = {**worker_env(prefix), "SB_BENCH_IN_ENV": "1", "SB_PACKAGES": json.dumps(package_dirs()),
           "SB_LAUNCHER": str(Path(seem_env.__file__).with_name("bridge_launch.py"))}
    return subprocess.call([str(seem_env.python(prefix)), script, *sys.argv[1:]], env=env)


def _load_packages() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bridge_launch", os.environ["SB_LAUNCHER"])
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    packages = json.loads(os.environ["SB_PACKAGES"])
    for name in sorted(packages, key=lambda n: n.count(".")):
        launcher.load_package(name, packages[name])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 image, 3 rounds, a 2-sample run")
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--limit", type=int, default=4, help="samples of the harness-share run")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--min-size", default="512")
    ap.add_argument("--max-size", default="682")
    args = ap.parse_args()
    if args.quick:
        args.images, args.rounds, args.limit = 1, 3, 2
    rc = _reexec_in_env()
    if rc is not None:
        return rc
    _load_packages()
    import torch

    from seem_bench.adapters.registry import build_model
    from seem_bench.data.demo import ensure_demo
    from seem_bench.data.registry import load_dataset, resolve_root
    from seem_bench.prompts.types import Click, Prompts
    from seem_bench.runner import RunConfig, run
    from seem_bench.tasks import get_task

    def sync() -> None:
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()

    opts = {"checkpoint": "random", "device": args.device, "min_size": args.min_size,
            "max_size": args.max_size, "seed": "0"}
    demo = ensure_demo(quiet=True)
    ds = load_dataset("grabcut", resolve_root("grabcut", demo))
    t0 = time.perf_counter()
    model = build_model("seem_t", **opts)
    build_s = time.perf_counter() - t0
    print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}, "
          f"input min/max {args.min_size}/{args.max_size}; build {build_s:.1f} s", flush=True)
    once, again, enc_t, dec_t = [], [], [], []
    for sample in ds.samples[: args.images]:
        image = sample.image()
        h, w = image.shape[:2]
        clicks = [Click(int((w * (r + 1)) // (args.rounds + 2)), h // 2, r % 3 != 2) for r in range(args.rounds)]
        t0 = time.perf_counter()
        state = model.encode(image)
        sync()
        enc_t.append(time.perf_counter() - t0)
        mem = None
        for r in range(args.rounds):
            t1 = time.perf_counter()
            out = model.decode(state, Prompts(clicks=clicks[: r + 1], click_radius=1), mem)
            sync()
            dec_t.append(time.perf_counter() - t1)
            mem = out.memory
        once.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        mem = None
        for r in range(args.rounds):
            s = model.encode(image)
            out = model.decode(s, Prompts(clicks=clicks[: r + 1], click_radius=1), mem)
            sync()
            mem = out.memory
        again.append(time.perf_counter() - t0)
    e, d = statistics.median(enc_t), statistics.median(dec_t)
    result = {"images": args.images, "rounds": args.rounds, "encode_s_median": round(e, 3),
              "decode_s_median": round(d, 3), "encode_once_s": round(sum(once), 2),
              "re_encode_s": round(sum(again), 2), "speedup": round(sum(again) / sum(once), 2),
              "projected_speedup_20": round((20 * e + 20 * d) / (e + 20 * d), 2)}
    print(f"encode-once vs re-encode ({args.images} image(s) x {args.rounds} rounds): "
          f"{result['encode_once_s']} s vs {result['re_encode_s']} s -> x{result['speedup']} "
          f"(encode {e:.2f} s, decode {d:.2f} s; 20-round projection x{result['projected_speedup_20']})",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = RunConfig(task=get_task("interactive").with_overrides(["protocol=seem", "max_rounds=3"]),
                        model="seem_t", model_options=opts, data_root=demo, out_dir=Path(tmp) / "run",
                        limit=args.limit, progress=False)
        t0 = time.perf_counter()
        summary = run(cfg)
        wall = time.perf_counter() - t0
        recs = [json.loads(x) for p in sorted((Path(tmp) / "run").glob("records-*.jsonl"))
                for x in p.read_text().splitlines()]
    enc = sum(r.get("encode_s") or 0.0 for r in recs)
    dec = sum(r.get("model_s") or 0.0 for r in recs)
    loop = wall - build_s
    share = (loop - enc - dec) / loop
    result.update({"run_wall_s": round(wall, 2), "run_loop_s_est": round(loop, 2), "run_encode_s": round(enc, 2),
                   "run_decode_s": round(dec, 2), "harness_share": round(share, 4),
                   "errors": summary["counts"]["errors"]})
    print(f"harness share of a {args.limit}-sample run (3 rounds): {100 * share:.1f} % of "
          f"{loop:.1f} s (encode {enc:.1f} s, decode {dec:.1f} s; build {build_s:.1f} s excluded)")
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
