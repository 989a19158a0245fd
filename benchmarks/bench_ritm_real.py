"""seem-bench vs RITM's own evaluator on the real GrabCut / DAVIS-345 files: NoC table and wall time.

Runs ``tests/realdata/ritm_side_by_side.py`` (the equality test's driver) on the full sets and
prints, per model and set, NoC@85/NoC@90 as seem-bench's summary gives them and as RITM's
``get_results_table`` prints them, plus each side's wall time in the same process. ``--no-memo``
gives each side its own model, so the wall times compare the two evaluators on equal work.

Usage:
    .venv/bin/python benchmarks/bench_ritm_real.py [--shared ../shared] [--no-memo]
        [--models disks,random-walker,grabcut] [--sets grabcut,davis345] [--davis-every N]

Needs ``../shared`` (data + ``vendor/ritm-isegm-*.tar.gz``) and ``scripts/bootstrap.sh --test``
(isegm's import dependencies in ``.venv/ref/isegm-deps``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from _common import machine

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "tests" / "realdata" / "ritm_side_by_side.py"
OPTIONS = {"random-walker": {"max_side": 64}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--models", default="disks,random-walker,grabcut")
    ap.add_argument("--sets", default="grabcut,davis345")
    ap.add_argument("--davis-every", type=int, default=1, help="every N-th DAVIS-345 frame (1 = all 345)")
    ap.add_argument("--no-memo", action="store_true", help="each side its own model (for the wall times)")
    ap.add_argument("--out", type=Path, help="keep the driver's JSON here")
    args = ap.parse_args()
    data = args.shared / "data" / "interactive"
    tarball = next((args.shared / "vendor").glob("ritm-isegm-*.tar.gz"))
    frames = sorted(p.name.split(".")[0] for p in (data / "DAVIS" / "img").iterdir())
    cases = []
    for m in args.models.split(","):
        for s in args.sets.split(","):
            ids = frames[:: args.davis_every] if s == "davis345" and args.davis_every > 1 else None
            cases.append({"id": f"{m}/{s}", "model": m, "options": OPTIONS.get(m, {}), "dataset": s, "ids": ids})
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with tarfile.open(tarball) as tf:
            tf.extractall(tmp / "isegm", filter="data")
        pkg = next((tmp / "isegm").glob("*/isegm/inference/evaluation.py")).parents[2]
        env = {**os.environ, "TQDM_DISABLE": "1",
               "PYTHONPATH": os.pathsep.join([str(pkg), str(Path(sys.prefix) / "ref" / "isegm-deps")])}
        out = args.out or tmp / "out.json"
        cmd = [sys.executable, str(DRIVER), "--data", str(data), "--work", str(tmp / "work"), "--out", str(out),
               "--cases", json.dumps(cases)] + (["--no-memo"] if args.no_memo else [])
        subprocess.run(cmd, env=env, check=True)
        res = json.loads(out.read_text())
    print("\n| model | set | objects | seem-bench NoC@85 | RITM NoC@85 | seem-bench NoC@90 | RITM NoC@90 "
          "| clicks equal | seem-bench wall s | RITM evaluate_dataset s | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    rows = {}
    for cid, r in res.items():
        sb, rt = r["seem_bench"], r["ritm"]
        same = all(o["clicks"] == rt["objects"][k]["clicks"] for k, o in sb["objects"].items())
        ratio = sb["wall_s"] / rt["elapsed_s"] if rt["elapsed_s"] else float("nan")
        rows[cid] = {"objects": len(sb["objects"]), "seem_bench": sb["mean"], "ritm": rt["mean"], "clicks_equal": same,
                     "seem_bench_wall_s": sb["wall_s"], "ritm_elapsed_s": rt["elapsed_s"],
                     "model_s": {"seem_bench": sb["model_s"], "ritm": rt["model_s"]}}
        m, s = cid.split("/")
        print(f"| {m} | {s} | {len(sb['objects'])} | {sb['mean']['85']:.2f} | {rt['mean']['85']:.2f} | "
              f"{sb['mean']['90']:.2f} | {rt['mean']['90']:.2f} | {same} | {sb['wall_s']:.1f} | "
              f"{rt['elapsed_s']:.1f} | {ratio:.2f} |")
    print("\nRITM's own table (isegm.inference.utils.get_results_table):")
    for r in res.values():
        print(r["ritm"]["table"])
    print("RESULT " + json.dumps({"memo": not args.no_memo, "cases": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
