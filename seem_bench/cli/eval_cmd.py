"""``seem-bench eval``: score existing prediction files with the reference metrics.

Sub-verbs ``pq`` (COCO panoptic), ``ap`` (COCO instances, segm/bbox), ``semseg`` (label PNG
folders) and ``davis`` (DAVIS 2017 semi-supervised J&F). Each prints a small table, or with
``--json`` exactly one JSON object on stdout (NaN written as ``null``).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="score prediction files (PQ, AP, semantic mIoU, DAVIS J&F)",
        description="Score prediction files with the reference metrics: panopticapi PQ, "
                    "pycocotools AP, detectron2 semantic mIoU, davis2017-evaluation J&F.",
        epilog="Examples:\n"
               "  seem-bench eval pq --gt-json panoptic_val2017.json --gt-folder panoptic_val2017 "
               "--pred-json pred.json --pred-folder pred --json\n"
               "  seem-bench eval ap --gt instances_val2017.json --dt segm.json --iou-type segm\n"
               "  seem-bench eval semseg --gt-dir gt --pred-dir pred --num-classes 133\n"
               "  seem-bench eval davis --davis-root DAVIS --results results/osvos --set val",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ev = p.add_subparsers(dest="metric", metavar="METRIC", required=True)

    pq = ev.add_parser("pq", help="panoptic quality (panopticapi pq_compute)",
                       description="PQ/SQ/RQ of COCO panoptic predictions (JSON + RGB PNG folder).")
    pq.add_argument("--gt-json", type=Path, required=True, help="GT panoptic JSON")
    pq.add_argument("--gt-folder", type=Path, help="GT PNG folder (default: --gt-json without .json)")
    pq.add_argument("--pred-json", type=Path, required=True, help="prediction panoptic JSON")
    pq.add_argument("--pred-folder", type=Path,
                    help="prediction PNG folder (default: --pred-json without .json)")
    pq.add_argument("--backend", choices=("hotcoco", "numpy"), default="hotcoco",
                    help="hotcoco (Rust, default) or seem-bench's numpy core; same numbers")
    pq.add_argument("--workers", type=int, help="processes for --backend numpy (default: all CPUs)")
    pq.add_argument("--json", action="store_true", help="print one JSON object")
    pq.set_defaults(func=_pq)

    ap = ev.add_parser("ap", help="COCO AP/AR (pycocotools COCOeval)",
                       description="AP/AR stats[0..11] and per-category stats of COCO results.")
    ap.add_argument("--gt", type=Path, required=True, help="COCO instances JSON")
    ap.add_argument("--dt", type=Path, required=True, help="results JSON (list of detections)")
    ap.add_argument("--iou-type", choices=("segm", "bbox"), default="segm")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.set_defaults(func=_ap)

    ss = ev.add_parser("semseg", help="semantic mIoU/fwIoU/mACC/pACC (detectron2 rule)",
                       description="Semantic segmentation metrics of label PNGs matched by file name.")
    ss.add_argument("--gt-dir", type=Path, required=True, help="GT label PNGs")
    ss.add_argument("--pred-dir", type=Path, required=True, help="predicted label PNGs (same names)")
    ss.add_argument("--num-classes", type=int, required=True, help="K; labels are 0..K-1")
    ss.add_argument("--ignore-label", type=int, default=255, help="GT label excluded (default 255)")
    ss.add_argument("--json", action="store_true", help="print one JSON object")
    ss.set_defaults(func=_semseg)

    dv = ev.add_parser("davis", help="DAVIS 2017 semi-supervised J&F (davis2017-evaluation)",
                       description="J&F of indexed-PNG results; first and last frame excluded.")
    dv.add_argument("--davis-root", type=Path, required=True,
                    help="DAVIS folder (Annotations/<res>/, ImageSets/2017/)")
    dv.add_argument("--results", type=Path, required=True, help="folder of <seq>/<frame>.png")
    dv.add_argument("--set", dest="subset", default="val", help="ImageSets/2017/<set>.txt (default val)")
    dv.add_argument("--resolution", default="480p", help="annotation resolution folder (default 480p)")
    dv.add_argument("--workers", type=int, help="processes over sequences (default: all CPUs)")
    dv.add_argument("--json", action="store_true", help="print one JSON object")
    dv.set_defaults(func=_davis)


def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf -> null, numpy scalars -> Python, keys -> str."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _print_json(obj: Any) -> None:
    print(json.dumps(_clean(obj), allow_nan=False))


def _fmt(v: Any, scale: float = 1.0) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "nan"
    return f"{v * scale:.2f}" if isinstance(v, float) else str(v)


def _pq(args: argparse.Namespace) -> int:
    from seem_bench.metrics.panoptic import pq_compute

    res = pq_compute(args.gt_json, args.pred_json, args.gt_folder, args.pred_folder,
                     backend=args.backend, workers=args.workers)
    if args.json:
        _print_json(res)
        return 0
    print(f"{'':8s} {'PQ':>6s} {'SQ':>6s} {'RQ':>6s} {'N':>4s}")
    for name in ("All", "Things", "Stuff"):
        r = res[name]
        print(f"{name:8s} {_fmt(r['pq'], 100):>6s} {_fmt(r['sq'], 100):>6s} "
              f"{_fmt(r['rq'], 100):>6s} {r['n']:>4d}")
    return 0


def _ap(args: argparse.Namespace) -> int:
    from seem_bench.metrics.detection import STATS_NAMES, coco_evaluate

    res = coco_evaluate(args.gt, args.dt, args.iou_type)
    out = {"stats": res["stats"], "stats_names": res["stats_names"],
           "per_category": res["per_category"]}
    if args.json:
        _print_json(out)
        return 0
    for name, v in zip(STATS_NAMES, res["stats"], strict=True):
        # pycocotools' -1 means "absent" (no GT in that area range), not a score of -100.
        print(f"{name:6s} {'–' if v == -1 else _fmt(v, 100):>7s}")
    return 0


def _semseg(args: argparse.Namespace) -> int:
    from seem_bench.metrics.semantic import evaluate_dirs

    res = evaluate_dirs(args.gt_dir, args.pred_dir, args.num_classes, args.ignore_label)
    if args.json:
        _print_json(res)
        return 0
    for k in ("mIoU", "fwIoU", "mACC", "pACC"):
        print(f"{k:6s} {_fmt(res[k]):>7s}")
    print(f"images {res['images']}")
    return 0


def _davis(args: argparse.Namespace) -> int:
    from seem_bench.metrics.davis import evaluate_davis

    res = evaluate_davis(args.davis_root, args.results, subset=args.subset,
                         resolution=args.resolution, workers=args.workers)
    if args.json:
        _print_json(res)
        return 0
    for k in ("J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"):
        print(f"{k:9s} {_fmt(res[k], 100):>7s}")
    print(f"objects {res['objects']} in {res['sequences']} sequences")
    return 0
