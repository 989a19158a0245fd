"""Cost of the run's content fingerprint (issue 13 item 5): first run vs rerun (hash cache).

Writes a GrabCut-layout set of generated 480x854 scenes with the package's writer, then times
`seem_bench.data.fingerprint.content_fingerprint` over all its samples twice: with an empty
hash cache (every image and mask read and hashed; the files are in the page cache, so this is
the hashing cost, not a cold disk) and again with the cache the first pass wrote (nothing
hashed: one ``stat`` per file). Reported next to the dataset's size.

Usage::

    .venv/bin/python benchmarks/bench_fingerprint.py --quick     # 40 images
    .venv/bin/python benchmarks/bench_fingerprint.py             # 400 images
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _common import emit, make_clickset, markdown_table


def measure(n_images: int, repeat: int) -> dict[str, float]:
    from seem_bench.data.fingerprint import HashCache, content_fingerprint
    from seem_bench.data.registry import load_dataset

    with tempfile.TemporaryDirectory() as tmp:
        root = make_clickset(Path(tmp) / "data", n_images) / "GrabCut"
        samples = load_dataset("grabcut", root).samples
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        first, again = [], []
        for rep in range(repeat):
            cache_dir = Path(tmp) / f"hashes{rep}"
            cold = HashCache(root, cache_dir)
            t0 = time.perf_counter()
            fp = content_fingerprint(root, samples, cold)
            first.append(time.perf_counter() - t0)
            warm = HashCache(root, cache_dir)
            t0 = time.perf_counter()
            assert content_fingerprint(root, samples, warm) == fp and warm.hashed == 0
            again.append(time.perf_counter() - t0)
    return {"files": fp["files"], "mb": size / 1e6, "first_s": min(first), "rerun_s": min(again)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3, help="fastest of N")
    ap.add_argument("--quick", action="store_true", help="40 images, 1 repeat")
    args = ap.parse_args(argv)
    n, repeat = (40, 1) if args.quick else (args.images, args.repeat)
    r = measure(n, repeat)
    table = markdown_table(["images", "files", "MB", "first run s", "MB/s", "rerun s"],
                           [[n, r["files"], r["mb"], r["first_s"], r["mb"] / r["first_s"], r["rerun_s"]]])
    emit("fingerprint", table, {"images": n, **r},
         "benchmarks/bench_fingerprint.py " + " ".join(sys.argv[1:] if argv is None else argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
