"""Seeded random COCO-style ground truth and predictions, for tests and benchmarks.

Nothing here is a metric: these generators build inputs that exercise every rule the reference
evaluators have (crowd regions, VOID, ids absent from ``segments_info``, empty categories,
images without detections, score ties, more than 100 detections per image, detection results
carrying both ``bbox`` and ``segmentation``...), so that seem-bench's metrics can be compared
with pycocotools and panopticapi on many inputs, and timed at COCO-val scale.

Two families:

- `coco_instances` -> ``(gt_dataset, results)``: a COCO ``instances_*.json``-style dict and a
  detection results list (``iou_type="segm"`` with RLE/polygon masks, or ``"bbox"``).
- `panoptic_images` -> in-memory panoptic pairs, and `write_panoptic` to write them in the COCO
  panoptic format (RGB PNGs, id = R + 256·G + 256²·B, plus the JSON files).

Example::

    >>> gt, dt = coco_instances(seed=0, n_images=3, iou_type="bbox")
    >>> sorted(gt)
    ['annotations', 'categories', 'images']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

__all__ = [
    "DavisSequence",
    "PanopticPair",
    "coco_instances",
    "davis_sequences",
    "panoptic_images",
    "write_davis",
    "write_panoptic",
]


# --------------------------------------------------------------------------- instances
def _polygon(rng: np.random.Generator, h: int, w: int, scale: float) -> list[float]:
    """A random star-shaped polygon, flat ``[x0, y0, x1, y1, ...]`` in pixel coordinates."""
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    n = int(rng.integers(3, 9))
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = rng.uniform(0.3, 1.0, n) * scale
    xs = np.clip(cx + rad * np.cos(ang), 0, w)
    ys = np.clip(cy + rad * np.sin(ang), 0, h)
    # Round to 2 decimals: COCO polygons are stored with few decimals.
    return [round(float(v), 2) for xy in zip(xs, ys, strict=True) for v in xy]


def _jitter_polygon(rng: np.random.Generator, poly: list[float], h: int, w: int,
                    amount: float) -> list[float]:
    arr = np.asarray(poly, np.float64).reshape(-1, 2)
    arr = arr + rng.normal(0, amount, arr.shape) + rng.normal(0, amount, (1, 2))
    arr[:, 0] = np.clip(arr[:, 0], 0, w)
    arr[:, 1] = np.clip(arr[:, 1], 0, h)
    return [round(float(v), 2) for v in arr.ravel()]


def _rle_of(polys: list[list[float]], h: int, w: int) -> dict[str, Any]:
    from pycocotools import mask as mask_utils

    return mask_utils.merge(mask_utils.frPyObjects(polys, h, w))


def _uncompressed_rle(mask: np.ndarray) -> dict[str, Any]:
    """COCO's crowd format: run lengths in column-major order starting with a 0-run."""
    flat = np.asfortranarray(mask).ravel(order="F").astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        counts = [0] + counts
    return {"counts": counts, "size": [int(mask.shape[0]), int(mask.shape[1])]}


def coco_instances(seed: int, n_images: int = 20, n_categories: int = 6,
                   iou_type: str = "segm", size: tuple[int, int] = (24, 72),
                   gt_per_image: float = 4.0, dt_per_image: float = 8.0,
                   score_levels: int | None = 12, max_dets_burst: int = 130,
                   ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A random COCO instances ground truth and a results list for it.

    Args:
        seed: everything derives from ``numpy.random.default_rng(seed)``.
        n_images: images in the GT (ids are random, not contiguous).
        n_categories: categories in the GT; some of them get no GT, some no detection.
        iou_type: ``"segm"`` (masks: GT polygons / crowd RLE, results compressed RLE, some with
            a ``bbox`` key too, which makes pycocotools use the box area) or ``"bbox"``.
        size: range of image side lengths in pixels.
        gt_per_image, dt_per_image: Poisson means.
        score_levels: scores drawn from this many values (ties across and within images);
            ``None`` for continuous scores.
        max_dets_burst: a few images get this many detections (past ``maxDets=100``).

    Returns:
        ``(gt, results)``: the GT dict (``images``, ``annotations``, ``categories``) and the
        results list, both JSON-serialisable.
    """
    from pycocotools import mask as mask_utils

    if iou_type not in ("segm", "bbox"):
        raise ValueError(f"iou_type must be 'segm' or 'bbox', not {iou_type!r}")
    rng = np.random.default_rng(seed)
    cat_ids = sorted(rng.choice(np.arange(1, 4 * n_categories + 2), n_categories, replace=False).tolist())
    categories = [{"id": int(c), "name": f"cat{c}", "supercategory": "thing"} for c in cat_ids]
    # Some categories have no GT at all (their AP is -1 in pycocotools).
    gt_cats = cat_ids[: max(1, n_categories - 1)] if n_categories > 1 else cat_ids
    img_ids = sorted(rng.choice(np.arange(1, 50 * n_images + 2), n_images, replace=False).tolist())
    # pycocotools picks the loading branch from the first result: all or none carry a bbox.
    segm_with_bbox = bool(rng.random() < 0.5)
    images, anns, results = [], [], []
    ann_id = 1
    for img_id in img_ids:
        h, w = (int(v) for v in rng.integers(size[0], size[1] + 1, 2))
        images.append({"id": int(img_id), "height": h, "width": w, "file_name": f"{img_id:012d}.jpg"})
        gts = []
        for _ in range(int(rng.poisson(gt_per_image))):
            cat = int(rng.choice(gt_cats))
            crowd = rng.random() < 0.08
            scale = rng.uniform(2, max(h, w) * 0.6)
            poly = _polygon(rng, h, w, scale)
            if iou_type == "segm":
                rle = _rle_of([poly], h, w)
                area = float(mask_utils.area(rle))
                if area == 0:
                    continue
                bbox = [float(v) for v in mask_utils.toBbox(rle)]
                if crowd:
                    seg: Any = _uncompressed_rle(mask_utils.decode(rle).astype(bool))
                elif rng.random() < 0.1:
                    seg = {"counts": rle["counts"].decode("ascii"), "size": [h, w]}
                else:
                    seg = [poly]
            else:
                x0, y0 = rng.uniform(0, w - 1), rng.uniform(0, h - 1)
                bw, bh = rng.uniform(0.5, w - x0), rng.uniform(0.5, h - y0)
                if rng.random() < 0.5:  # integer boxes make exact IoU ties at thresholds
                    x0, y0, bw, bh = (float(round(v)) or 1.0 for v in (x0, y0, bw, bh))
                bbox = [round(float(v), 2) for v in (x0, y0, bw, bh)]
                area = bbox[2] * bbox[3]
                seg = [[bbox[0], bbox[1], bbox[0], bbox[1] + bbox[3], bbox[0] + bbox[2],
                        bbox[1] + bbox[3], bbox[0] + bbox[2], bbox[1]]]
                poly = seg[0]
            if rng.random() < 0.1:
                # JSON area need not equal the mask area; the area ranges use the JSON value.
                area = float(area * rng.uniform(0.5, 2.0))
            anns.append({"id": ann_id, "image_id": int(img_id), "category_id": cat,
                         "segmentation": seg, "area": area, "bbox": bbox,
                         "iscrowd": int(crowd)})
            gts.append((cat, poly, bbox))
            ann_id += 1
        # Detections: jittered copies of the GT (some with a wrong category) plus clutter.
        n_dt = int(rng.poisson(dt_per_image))
        if rng.random() < 0.05:
            n_dt = max_dets_burst
        if rng.random() < 0.1:
            n_dt = 0
        for _ in range(n_dt):
            if gts and rng.random() < 0.7:
                cat, poly, bbox = gts[int(rng.integers(len(gts)))]
                if rng.random() < 0.15:
                    cat = int(rng.choice(cat_ids))
                amount = rng.uniform(0, 3)
            else:
                cat = int(rng.choice(cat_ids))
                poly = _polygon(rng, h, w, rng.uniform(2, max(h, w) * 0.5))
                bbox = None
                amount = 0.0
            score = (float(rng.integers(1, score_levels + 1)) / score_levels if score_levels
                     else float(rng.random()))
            det: dict[str, Any] = {"image_id": int(img_id), "category_id": cat, "score": score}
            if iou_type == "segm":
                rle = _rle_of([_jitter_polygon(rng, poly, h, w, amount)], h, w)
                det["segmentation"] = {"counts": rle["counts"].decode("ascii"), "size": [h, w]}
                if segm_with_bbox:
                    det["bbox"] = [float(v) for v in mask_utils.toBbox(rle)]
            else:
                if bbox is None:
                    x0, y0 = rng.uniform(0, w - 1), rng.uniform(0, h - 1)
                    b = [x0, y0, rng.uniform(0.5, w - x0), rng.uniform(0.5, h - y0)]
                else:
                    b = [v + rng.normal(0, amount) for v in bbox]
                    b[2], b[3] = max(b[2], 0.1), max(b[3], 0.1)
                if rng.random() < 0.5:
                    b = [float(round(v)) for v in b]
                    b[2], b[3] = max(b[2], 1.0), max(b[3], 1.0)
                det["bbox"] = [round(float(v), 2) for v in b]
            results.append(det)
    order = rng.permutation(len(results))
    results = [results[i] for i in order]
    return {"images": images, "annotations": anns, "categories": categories}, results


# --------------------------------------------------------------------------- panoptic
@dataclass
class PanopticPair:
    """One image's panoptic GT and prediction, as in memory and as in the COCO files.

    ``gt_ids`` / ``pred_ids`` are ``uint32`` (H, W) segment-id maps (0 = VOID);
    ``gt_segments`` / ``pred_segments`` are the ``segments_info`` lists. GT ``area`` values
    are the JSON areas (usually the PNG count, sometimes not, as the spec allows).
    """

    image_id: int
    gt_ids: np.ndarray
    gt_segments: list[dict[str, Any]]
    pred_ids: np.ndarray
    pred_segments: list[dict[str, Any]]


def panoptic_categories(n_things: int = 5, n_stuff: int = 4) -> list[dict[str, Any]]:
    """Panoptic categories with ``isthing`` (ids 1..n_things things, then stuff)."""
    cats = [{"id": i + 1, "name": f"thing{i + 1}", "isthing": 1} for i in range(n_things)]
    cats += [{"id": n_things + i + 1, "name": f"stuff{i + 1}", "isthing": 0} for i in range(n_stuff)]
    return cats


def _paint(rng: np.random.Generator, h: int, w: int, n: int) -> list[np.ndarray]:
    """``n`` random region masks (polygons and bands), each bool (H, W)."""
    out = []
    for _ in range(n):
        m = np.zeros((h, w), np.uint8)
        if rng.random() < 0.3:
            y0 = int(rng.integers(0, h))
            m[y0: y0 + int(rng.integers(1, h // 2 + 2))] = 1
        else:
            poly = np.asarray(_polygon(rng, h, w, rng.uniform(2, max(h, w) * 0.5)))
            cv2.fillPoly(m, [np.round(poly.reshape(-1, 2)).astype(np.int32)], 1)
        out.append(m.astype(bool))
    return out


def _new_id(rng: np.random.Generator, taken: set[int]) -> int:
    while True:
        v = int(rng.integers(1, 1 << 24))
        if v not in taken:
            taken.add(v)
            return v


def panoptic_images(seed: int, n_images: int = 10, categories: list[dict[str, Any]] | None = None,
                    size: tuple[int, int] = (16, 48), segments: tuple[int, int] = (2, 9),
                    ) -> tuple[list[dict[str, Any]], list[PanopticPair]]:
    """Random panoptic GT/prediction pairs covering panopticapi's rules.

    GT: painted segments of random categories (later ones overwrite earlier ones), VOID pixels,
    crowd segments (sometimes two of the same category in one image: the last wins), ids painted
    in the PNG but absent from ``segments_info``, JSON areas that sometimes differ from the PNG,
    listed segments covering no pixel. Predictions: perturbed copies of GT segments (shifted,
    eroded, merged), wrong categories, clutter, VOID, some images with no segment at all.

    Returns ``(categories, pairs)``.
    """
    rng = np.random.default_rng(seed)
    cats = categories if categories is not None else panoptic_categories()
    cat_ids = [c["id"] for c in cats]
    pairs = []
    img_ids = sorted(rng.choice(np.arange(1, 20 * n_images + 2), n_images, replace=False).tolist())
    for img_id in img_ids:
        h, w = (int(v) for v in rng.integers(size[0], size[1] + 1, 2))
        # ---- ground truth
        taken: set[int] = {0}
        gt = np.zeros((h, w), np.uint32)
        seg_cats: dict[int, int] = {}
        regions = _paint(rng, h, w, int(rng.integers(segments[0], segments[1] + 1)))
        for m in regions:
            sid = _new_id(rng, taken)
            gt[m] = sid
            seg_cats[sid] = int(rng.choice(cat_ids))
        if rng.random() < 0.7:  # VOID blobs
            for m in _paint(rng, h, w, int(rng.integers(1, 3))):
                gt[m & (rng.random((h, w)) < 0.8)] = 0
        present, counts = np.unique(gt, return_counts=True)
        area = dict(zip(present.tolist(), counts.tolist(), strict=True))
        gt_segments = []
        unlisted = set()
        for sid, cat in seg_cats.items():
            if sid not in area:
                if rng.random() < 0.5:  # listed but painted over: area 0 is legal in the JSON
                    gt_segments.append({"id": sid, "category_id": cat, "iscrowd": 0, "area": 0})
                continue
            if rng.random() < 0.07:
                unlisted.add(sid)  # in the PNG, not in segments_info: neither segment nor VOID
                continue
            a = int(area[sid])
            if rng.random() < 0.05:
                a = max(1, int(a * rng.uniform(0.6, 1.6)))
            crowd = int(rng.random() < 0.12)
            gt_segments.append({"id": sid, "category_id": cat, "iscrowd": crowd, "area": a})
        rng.shuffle(gt_segments)
        # ---- prediction
        pred = np.zeros((h, w), np.uint32)
        ptaken: set[int] = {0}
        pred_cat: dict[int, int] = {}
        if rng.random() < 0.05:
            pairs.append(PanopticPair(int(img_id), gt, gt_segments, pred, []))
            continue
        src_ids = [s for s in present.tolist() if s != 0]
        for sid in rng.permutation(src_ids).tolist() if src_ids else []:
            r = rng.random()
            if r < 0.12:
                continue  # missed segment
            m = gt == sid
            if r < 0.5:
                dy, dx = (int(v) for v in rng.integers(-3, 4, 2))
                m = np.roll(m, (dy, dx), axis=(0, 1))
            elif r < 0.65:
                m = cv2.erode(m.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            pid = _new_id(rng, ptaken)
            pred[m] = pid
            cat = seg_cats[sid]
            if rng.random() < 0.12:
                cat = int(rng.choice(cat_ids))
            pred_cat[pid] = cat
        for m in _paint(rng, h, w, int(rng.integers(0, 3))):
            pid = _new_id(rng, ptaken)
            pred[m] = pid
            pred_cat[pid] = int(rng.choice(cat_ids))
        if rng.random() < 0.5:
            for m in _paint(rng, h, w, 1):
                pred[m & (rng.random((h, w)) < 0.5)] = 0
        ppresent = set(np.unique(pred).tolist())
        pred_segments = [{"id": pid, "category_id": c} for pid, c in pred_cat.items() if pid in ppresent]
        pairs.append(PanopticPair(int(img_id), gt, gt_segments, pred, pred_segments))
    return cats, pairs


def id2rgb(ids: np.ndarray) -> np.ndarray:
    """Segment-id map (H, W) -> RGB ``uint8`` (H, W, 3), id = R + 256·G + 256²·B."""
    ids = np.asarray(ids, np.uint32)
    return np.stack([ids & 255, (ids >> 8) & 255, (ids >> 16) & 255], axis=-1).astype(np.uint8)


def write_panoptic(root: str | Path, categories: list[dict[str, Any]], pairs: list[PanopticPair],
                   ) -> dict[str, Path]:
    """Write pairs in the COCO panoptic format under ``root``.

    Returns the paths ``{"gt_json", "gt_folder", "pred_json", "pred_folder"}``.
    """
    root = Path(root)
    paths = {"gt_json": root / "gt.json", "gt_folder": root / "gt",
             "pred_json": root / "pred.json", "pred_folder": root / "pred"}
    paths["gt_folder"].mkdir(parents=True, exist_ok=True)
    paths["pred_folder"].mkdir(parents=True, exist_ok=True)
    gt_anns, pred_anns, images = [], [], []
    for p in pairs:
        name = f"{p.image_id:012d}.png"
        h, w = p.gt_ids.shape
        images.append({"id": p.image_id, "file_name": f"{p.image_id:012d}.jpg", "height": h, "width": w})
        # cv2 writes BGR: reverse the channels so the file holds R, G, B.
        cv2.imwrite(str(paths["gt_folder"] / name), id2rgb(p.gt_ids)[:, :, ::-1])
        cv2.imwrite(str(paths["pred_folder"] / name), id2rgb(p.pred_ids)[:, :, ::-1])
        gt_anns.append({"image_id": p.image_id, "file_name": name, "segments_info": p.gt_segments})
        pred_anns.append({"image_id": p.image_id, "file_name": name, "segments_info": p.pred_segments})
    with open(paths["gt_json"], "w") as f:
        json.dump({"images": images, "annotations": gt_anns, "categories": categories}, f)
    with open(paths["pred_json"], "w") as f:
        json.dump({"annotations": pred_anns}, f)
    return paths


# --------------------------------------------------------------------------- DAVIS
@dataclass
class DavisSequence:
    """One synthetic video: GT and predicted label maps, ``uint8`` (T, H, W), 0 = background."""

    name: str
    gt: np.ndarray
    pred: np.ndarray


def davis_sequences(seed: int, n_sequences: int = 4, frames: tuple[int, int] = (4, 12),
                    size: tuple[int, int] = (30, 90), objects: tuple[int, int] = (1, 4),
                    void: bool = False, shape: tuple[int, int] | None = None,
                    ) -> list[DavisSequence]:
    """Moving, growing ellipses as objects 1..N (all present in the first two frames) and
    predictions that drift, erode, drop objects, swap labels or go empty on some frames.

    Frame height and width are drawn from ``size`` unless ``shape`` = (H, W) fixes them.
    ``void=True`` paints 255 borders around GT objects, as DAVIS annotations have.
    """
    rng = np.random.default_rng(seed)
    out = []
    for s in range(n_sequences):
        t = int(rng.integers(frames[0], frames[1] + 1))
        h, w = (int(v) for v in rng.integers(size[0], size[1] + 1, 2))
        if shape is not None:
            h, w = shape
        n = int(rng.integers(objects[0], objects[1] + 1))
        gt = np.zeros((t, h, w), np.uint8)
        pred = np.zeros((t, h, w), np.uint8)
        for k in range(1, n + 1):
            cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
            vx, vy = rng.normal(0, 1.5, 2)
            ax, ay = rng.uniform(2, w / 4), rng.uniform(2, h / 4)
            for i in range(t):
                c = (int(round(cx + vx * i)), int(round(cy + vy * i)))
                axes = (max(1, int(ax * (1 + 0.05 * i))), max(1, int(ay)))
                cv2.ellipse(gt[i], c, axes, 15.0 * k, 0, 360, k, -1)
                r = rng.random()
                if r < 0.08:
                    continue  # missed on this frame
                dx, dy = (int(v) for v in rng.integers(-3, 4, 2))
                label = k if r > 0.12 else int(rng.integers(1, n + 1))
                cv2.ellipse(pred[i], (c[0] + dx, c[1] + dy),
                            (max(1, axes[0] + int(rng.integers(-2, 3))), axes[1]),
                            15.0 * k, 0, 360, label, -1)
        if void:
            for i in range(t):
                edge = cv2.morphologyEx((gt[i] > 0).astype(np.uint8), cv2.MORPH_GRADIENT,
                                        np.ones((3, 3), np.uint8)).astype(bool)
                gt[i][edge & (rng.random((h, w)) < 0.5)] = 255
        # Frames 0 and 1 keep every object: N = the first frame's largest label, and every
        # object is seen from the first evaluated frame on (what vos-benchmark assumes).
        for i in range(min(2, t)):
            for k in range(1, n + 1):
                if not (gt[i] == k).any():
                    gt[i][min(k, h - 1), min(k, w - 1)] = k
        out.append(DavisSequence(f"seq{seed}_{s}", gt, pred))
    return out


def _save_indexed(path: Path, labels: np.ndarray) -> None:
    from PIL import Image

    im = Image.fromarray(np.asarray(labels, np.uint8), mode="P")
    palette = [0, 0, 0] + [int(v) for k in range(1, 256) for v in ((k * 67) % 256, (k * 131) % 256, (k * 29) % 256)]
    im.putpalette(palette)
    im.save(path)


def write_davis(root: str | Path, results: str | Path, sequences: list[DavisSequence],
                subset: str = "val", skip_first_last: bool = True) -> None:
    """Write a DAVIS 2017 layout under ``root`` (``Annotations/480p``, ``ImageSets/2017``) and
    indexed-PNG results under ``results`` (first/last frames left out when ``skip_first_last``)."""
    root, results = Path(root), Path(results)
    (root / "ImageSets" / "2017").mkdir(parents=True, exist_ok=True)
    (root / "ImageSets" / "2017" / f"{subset}.txt").write_text(
        "".join(f"{s.name}\n" for s in sequences))
    for s in sequences:
        ann = root / "Annotations" / "480p" / s.name
        res = results / s.name
        ann.mkdir(parents=True, exist_ok=True)
        res.mkdir(parents=True, exist_ok=True)
        for i in range(s.gt.shape[0]):
            _save_indexed(ann / f"{i:05d}.png", s.gt[i])
            if skip_first_last and i in (0, s.gt.shape[0] - 1):
                continue
            _save_indexed(res / f"{i:05d}.png", s.pred[i])
