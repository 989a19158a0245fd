"""A tiny COCO-panoptic-layout set in the files SEEM's ``coco_2017_val_panoptic_with_sem_seg`` reads.

Used by `test_seem_generic_fidelity.py` (images) and `seem_generic_worker.py` (ground truth, in
the SEEM environment). Layout under ``root`` (SEEM's ``DATASET`` and detectron2's
``DETECTRON2_DATASETS``; seem-bench's ``--data-root``)::

    coco/val2017/<stem>.jpg
    coco/annotations/panoptic_val2017.json + coco/panoptic_val2017/<stem>.png   (RGB ids)
    coco/panoptic_semseg_val2017/<stem>.png   (uint8 contiguous class, 255 = ignore)
    coco/annotations/instances_val2017.json   (thing segments as RLE, crowd flagged)

The semantic PNGs follow MaskFormer's ``prepare_coco_semantic_annos_from_panoptic_annos.py``
(what SEEM's evaluation expects there): every listed segment, crowd included, painted with the
rank of its category id among the 133 COCO categories; the rest 255.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.data import writers

SPLIT = "val2017"
#: (height, width) of the test images: small, so the model's encoder stays cheap on CPU.
SIZES = ((72, 96), (80, 64), (60, 90))


def write_images(root: Path, seed: int) -> list[dict[str, Any]]:
    """JPEG images with smooth structure (blobs on gradients); returns COCO ``images`` entries."""
    rng = np.random.default_rng(seed)
    images = []
    for n, (h, w) in enumerate(SIZES):
        yy, xx = np.mgrid[:h, :w]
        rgb = np.stack([(yy * 3) % 256, (xx * 2) % 256, np.full((h, w), 96)], -1).astype(np.float64)
        for _ in range(4):
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            ry, rx = rng.uniform(6, h / 2), rng.uniform(6, w / 2)
            blob = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
            rgb[blob] = rng.uniform(0, 255, 3)
        iid = 100 + 7 * n  # not 1..N: ids are looked up, never used as indices
        name = f"{iid:012d}.jpg"
        writers.write_jpeg(root / "coco" / SPLIT / name, rgb.astype(np.uint8))
        images.append({"id": iid, "file_name": name, "height": h, "width": w})
    return images


def write_ground_truth(root: Path, images: Sequence[Mapping], id_maps: Mapping[int, np.ndarray],
                       segments: Mapping[int, Sequence[Mapping]], categories: Sequence[Mapping],
                       objects: Mapping[int, Sequence[Mapping]]) -> None:
    """Panoptic JSON + PNGs, semantic PNGs, and the instances JSON: the panoptic thing segments
    plus ``objects[image_id]`` (``{mask, category_id, iscrowd}``)."""
    coco = root / "coco"
    writers.write_coco_panoptic(coco, SPLIT, images, id_maps, segments, categories)
    rank = {int(c["id"]): i for i, c in enumerate(sorted(categories, key=lambda c: int(c["id"])))}
    things = {int(c["id"]) for c in categories if c["isthing"]}
    anns = []
    for im in images:
        iid = int(im["id"])
        ids = np.asarray(id_maps[iid])
        sem = np.full(ids.shape, 255, np.uint8)
        for s in segments[iid]:
            m = ids == int(s["id"])
            sem[m] = rank[int(s["category_id"])]
            if int(s["category_id"]) in things and m.any():
                anns.append({"id": len(anns) + 1, "image_id": iid, "category_id": int(s["category_id"]),
                             "iscrowd": int(s.get("iscrowd", 0)), "area": int(m.sum()),
                             "bbox": writers.bbox_of(m), "segmentation": writers.mask_to_rle(m, compressed=True)})
        for o in objects[iid]:
            m = np.asarray(o["mask"], bool)
            anns.append({"id": len(anns) + 1, "image_id": iid, "category_id": int(o["category_id"]),
                         "iscrowd": int(o["iscrowd"]), "area": int(m.sum()), "bbox": writers.bbox_of(m),
                         "segmentation": writers.mask_to_rle(m, compressed=True)})
        writers.write_grey_png(coco / f"panoptic_semseg_{SPLIT}" / (Path(im["file_name"]).stem + ".png"), sem)
    # instances_val2017.json lists the 80 thing categories only (detectron2's COCOEvaluator asserts it)
    writers.write_coco_instances(coco / "annotations" / f"instances_{SPLIT}.json", images, anns,
                                 [c for c in categories if c["isthing"]])


def ground_truth_from_prediction(ids: np.ndarray, segments: Sequence[Mapping], categories: Sequence[Mapping],
                                 salt: int) -> tuple[np.ndarray, list[dict]]:
    """A GT panoptic map built from a model's panoptic prediction, so that PQ and AP are not 0.

    The prediction's segments shifted by one pixel (IoU below 1), a 2-pixel VOID border and the
    prediction's VOID kept; segment ``j`` of image ``salt`` gets another category of its kind
    when ``(j + salt) % 3 == 2`` (an FP + an FN pair) and, a thing, is a crowd region when
    ``(j + salt) % 4 == 3`` (its prediction is then no FP). GT ids are colour-like numbers, not
    the prediction's.
    """
    kind = {int(c["id"]): bool(c["isthing"]) for c in categories}
    by_kind = {k: sorted(c for c, t in kind.items() if t == k) for k in (True, False)}
    shifted = np.roll(np.asarray(ids), (1, 1), axis=(0, 1))
    gt = np.zeros_like(shifted, dtype=np.int32)
    out = []
    used = {int(s["category_id"]) for s in segments}
    for j, s in enumerate(segments):
        sid = 3000 * (j + 1) + 17 * salt + 5
        cat = int(s["category_id"])
        crowd = 0
        if (j + salt) % 3 == 2:
            pool = [c for c in by_kind[kind[cat]] if c not in used]
            cat = pool[(j * 7 + salt) % len(pool)]
            used.add(cat)
        elif (j + salt) % 4 == 3 and kind[cat]:
            crowd = 1
        gt[shifted == int(s["id"])] = sid
        out.append({"id": sid, "category_id": cat, "iscrowd": crowd})
    gt[:2], gt[-2:], gt[:, :2], gt[:, -2:] = 0, 0, 0, 0
    present = set(np.unique(gt).tolist())
    return gt, [s for s in out if s["id"] in present]


def objects_from_prediction(instances: Sequence[Mapping], categories: Sequence[Mapping], salt: int,
                            n: int = 4) -> list[dict]:
    """Instance GT from a model's first ``n`` instance predictions, so that AP is not 0.

    Random-weight instance masks cover most of the image and never match a panoptic segment;
    these objects do. Each mask shifted by one pixel; object ``k`` gets another thing category
    when ``(k + salt) % 4 == 2`` and is a crowd region when ``(k + salt) % 4 == 3``.
    """
    things = sorted(int(c["id"]) for c in categories if c["isthing"])
    out = []
    for k, d in enumerate(instances[:n]):
        cat, crowd = int(d["category_id"]), 0
        if (k + salt) % 4 == 2:
            cat = things[(things.index(cat) + 1 + salt) % len(things)]
        elif (k + salt) % 4 == 3:
            crowd = 1
        out.append({"mask": np.roll(np.asarray(d["mask"], bool), (1, 1), axis=(0, 1)), "category_id": cat,
                    "iscrowd": crowd})
    return out
