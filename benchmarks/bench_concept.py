"""Time the concept metrics (cgF1 / IL_MCC / pmF1) against sam3's evaluator and our COCO AP.

Generated SA-Co/Gold-like pairs (``--pairs``, 25 % positive, 1-4 instances, 3 annotators,
``--size`` px masks, 0-4 predictions per pair) are scored three ways on the same masks:

- seem-bench: per pair the concept loop's record (`metrics.concept.pair_part`: IoU matrix and
  Hungarian matching per annotator), then the ``concept`` evaluator;
- sam3's ``CGF1Evaluator`` (``sam3/eval/cgf1_eval.py``, loaded by path) on the JSON files;
- seem-bench's COCO AP (``metrics.detection.coco_evaluate``, segm, hotcoco) on the same GT
  (annotator a) and predictions: the speed class the concept metrics are held to.

cgF1 / IL_MCC / pmF1 must equal the reference's. Usage::

    .venv/bin/python benchmarks/bench_concept.py            # 2,000 pairs
    .venv/bin/python benchmarks/bench_concept.py --quick    # 300 pairs
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, markdown_table  # noqa: E402


def _blob(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(m, (int(rng.integers(5, w - 5)), int(rng.integers(5, h - 5))),
                (int(rng.integers(4, w // 6)), int(rng.integers(4, h // 6))), float(rng.uniform(0, 180)), 0, 360, 1, -1)
    return m.astype(bool)


def _rle(m: np.ndarray) -> dict:
    r = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    return {"size": r["size"], "counts": r["counts"].decode("ascii")}


def generate(n_pairs: int, size: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    h, w = size, int(size * 4 / 3)
    pairs, versions, preds, by_pair = [], [[], [], []], [], []
    aid = 1
    for pid in range(1, n_pairs + 1):
        base = [_blob(rng, h, w) for _ in range(rng.integers(1, 5))] if rng.random() < 0.25 else []
        pairs.append({"id": pid, "file_name": f"{pid}.jpg", "text_input": f"p{pid}", "height": h, "width": w,
                      "is_instance_exhaustive": True})
        gts = []
        for v in range(3):
            gt = base[:-1] if (v and base and rng.random() < 0.2) else base
            gts.append(gt)
            for m in gt:
                versions[v].append({"id": aid, "image_id": pid, "category_id": 1, "segmentation": _rle(m),
                                    "area": float(m.sum()), "bbox": list(mask_utils.toBbox(_rle(m))), "iscrowd": 0})
                aid += 1
        masks = [np.roll(m, int(rng.integers(-3, 4)), axis=1) for m in base if rng.random() < 0.8]
        masks += [_blob(rng, h, w) for _ in range(rng.integers(0, 2))]
        scores = [float(rng.random()) for _ in masks]
        for m, s in zip(masks, scores, strict=True):
            r = _rle(m)
            preds.append({"image_id": pid, "category_id": 1, "segmentation": r, "score": s,
                          "bbox": [float(v) for v in mask_utils.toBbox(r)]})
        by_pair.append((masks, scores, gts))
    return pairs, versions, preds, by_pair


def ours(by_pair) -> tuple[float, dict]:
    from seem_bench.metrics.concept import ConceptEvaluator, flat_masks, matched_ious, pair_part

    matched_ious(np.ones((1, 1)))  # import scipy.optimize outside the timing
    t0 = time.perf_counter()
    ev = ConceptEvaluator({})
    for masks, scores, gts in by_pair:  # what the concept loop does per pair, then the evaluator
        kept = flat_masks([m for m, s in zip(masks, scores, strict=True) if s >= 0.5])
        ev.add_pair(len(kept), [pair_part(kept, g, [False] * len(g)) for g in gts])
    return time.perf_counter() - t0, ev.compute()


def reference(root: Path, n_versions: int) -> tuple[float, dict]:
    spec = importlib.util.find_spec("sam3")
    path = Path(list(spec.submodule_search_locations)[0]) / "eval" / "cgf1_eval.py"
    mspec = importlib.util.spec_from_file_location("sam3_cgf1_eval_reference", path)
    mod = importlib.util.module_from_spec(mspec)
    mspec.loader.exec_module(mod)
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        out = mod.CGF1Evaluator([str(root / f"gt_{v}.json") for v in "abc"[:n_versions]]).evaluate(str(root / "preds.json"))
    return time.perf_counter() - t0, out


def coco_ap(root: Path) -> tuple[float, float]:
    from seem_bench.metrics.detection import coco_evaluate

    t0 = time.perf_counter()
    r = coco_evaluate(root / "gt_a.json", root / "preds.json", "segm")
    return time.perf_counter() - t0, r["stats"][0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=2000)
    ap.add_argument("--size", type=int, default=240, help="mask height (width = 4/3 of it)")
    ap.add_argument("--quick", action="store_true", help="300 pairs")
    args = ap.parse_args()
    n = 300 if args.quick else args.pairs
    pairs, versions, preds, by_pair = generate(n, args.size)
    rows, result = [], {"pairs": n}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for v, letter in enumerate("abc"):
            (root / f"gt_{letter}.json").write_text(json.dumps(
                {"images": pairs, "annotations": versions[v], "categories": [{"id": 1, "name": "object"}]}))
        (root / "preds.json").write_text(json.dumps(preds))
        t_ours3, m3 = ours(by_pair)
        t_ref3, r3 = reference(root, 3)
        t_ours1, m1 = ours([(m, s, g[:1]) for m, s, g in by_pair])
        t_ref1, r1 = reference(root, 1)
        t_ap, ap50 = coco_ap(root)
    for name, m, r in (("3 annotators", m3, r3), ("1 annotator", m1, r1)):
        for k, rk in (("cgF1", "cgF1"), ("IL_MCC", "IL_MCC"), ("pmF1", "positive_micro_F1")):
            assert m[k] == r[f"cgF1_eval_segm_{rk}"], (name, k, m[k], r[f"cgF1_eval_segm_{rk}"])
    rows = [["seem-bench concept (records + evaluator), 3 annotators", t_ours3, 1e3 * t_ours3 / n, m3["cgF1"]],
            ["sam3 CGF1Evaluator, 3 annotators", t_ref3, 1e3 * t_ref3 / n, r3["cgF1_eval_segm_cgF1"]],
            ["seem-bench concept, 1 annotator", t_ours1, 1e3 * t_ours1 / n, m1["cgF1"]],
            ["sam3 CGF1Evaluator, 1 annotator", t_ref1, 1e3 * t_ref1 / n, r1["cgF1_eval_segm_cgF1"]],
            ["seem-bench COCO AP segm (hotcoco), annotator a", t_ap, 1e3 * t_ap / n, ap50]]
    result.update({"ours_3_s": t_ours3, "ref_3_s": t_ref3, "ours_1_s": t_ours1, "ref_1_s": t_ref1, "ap_s": t_ap,
                   "cgF1": m3["cgF1"]})
    emit("concept", markdown_table(["scorer", "seconds", "ms / pair", "cgF1 (AP for AP)"], rows), result,
         " ".join(["benchmarks/bench_concept.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
