"""Small hand-made datasets in each official byte format, with closed-form contents.

Every mask is a rectangle (or a rectangle minus a rectangle) at a known place, so the tests
know what each loader must return without running the loader's own code. Files are written
with `seem_bench.data.writers`; the byte-format tests check those writers independently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seem_bench.data import writers

H, W = 24, 32


def rect(y0: int, y1: int, x0: int, x1: int, h: int = H, w: int = W) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def image(seed: int, h: int = H, w: int = W) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


# --------------------------------------------------------------------------- COCO

# Category ids deliberately out of order in the JSON: the semantic mapping sorts by id.
COCO_CATEGORIES = [
    {"id": 7, "name": "wall", "supercategory": "stuff", "isthing": 0},
    {"id": 1, "name": "person", "supercategory": "person", "isthing": 1},
    {"id": 3, "name": "car", "supercategory": "vehicle", "isthing": 1},
]
PANOPTIC_SEGMENTS = {
    # image_id: [(segment id, category, iscrowd, mask)]
    5: [(3226956, 1, 0, rect(2, 10, 3, 12)), (1, 3, 0, rect(12, 20, 14, 30)),
        (65536 * 7 + 256 * 3 + 9, 7, 0, rect(20, 24, 0, 32)), (500, 1, 1, rect(2, 6, 20, 28))],
    42: [(77, 3, 0, rect(0, 24, 0, 8))],
}


def coco_panoptic(root: Path, split: str = "val2017", extra_png_id: int | None = None) -> Path:
    """``root/annotations/panoptic_<split>.json`` + PNGs + JPEGs; returns ``root``."""
    images, id_maps, segments = [], {}, {}
    for iid, segs in PANOPTIC_SEGMENTS.items():
        name = f"{iid:012d}.jpg"
        images.append({"id": iid, "file_name": name, "height": H, "width": W})
        writers.write_jpeg(root / split / name, image(iid))
        ids = np.zeros((H, W), np.int64)
        for sid, _, _, m in segs:
            ids[m] = sid
        if extra_png_id is not None and iid == 42:
            ids[23, 31] = extra_png_id  # a PNG id the JSON does not list
        id_maps[iid] = ids
        segments[iid] = [{"id": sid, "category_id": c, "iscrowd": crowd} for sid, c, crowd, _ in segs]
    writers.write_coco_panoptic(root, split, images, id_maps, segments, COCO_CATEGORIES)
    return root


# Instance annotations: a polygon, a multi-polygon, a compressed RLE and a crowd uncompressed RLE.
def coco_instances(root: Path, split: str = "val2017") -> tuple[Path, list[dict]]:
    images = [{"id": 9, "file_name": "000000000009.jpg", "height": H, "width": W},
              {"id": 11, "file_name": "000000000011.jpg", "height": H, "width": W},
              {"id": 12, "file_name": "000000000012.jpg", "height": H, "width": W}]  # no annotations
    for im in images:
        writers.write_jpeg(root / split / im["file_name"], image(im["id"]))
    ring = rect(4, 20, 4, 20) & ~rect(8, 16, 8, 16)
    anns = [
        {"id": 101, "image_id": 9, "category_id": 1, "iscrowd": 0, "area": 50.0, "bbox": [2, 3, 10, 5],
         "segmentation": [[2.0, 3.0, 12.0, 3.0, 12.0, 8.0, 2.0, 8.0]]},
        {"id": 102, "image_id": 9, "category_id": 3, "iscrowd": 0, "area": 30.0, "bbox": [15, 10, 15, 12],
         "segmentation": [[15.0, 10.0, 20.0, 10.0, 20.0, 15.0], [25.5, 15.5, 30.0, 15.5, 30.0, 22.0, 25.5, 22.0]]},
        {"id": 103, "image_id": 11, "category_id": 3, "iscrowd": 0, "area": float(ring.sum()), "bbox": [4, 4, 16, 16],
         "segmentation": writers.mask_to_rle(ring, compressed=True)},
        {"id": 104, "image_id": 11, "category_id": 1, "iscrowd": 1, "area": 40.0, "bbox": [22, 2, 8, 5],
         "segmentation": writers.mask_to_rle(rect(2, 7, 22, 30), compressed=False)},
    ]
    cats = [c for c in COCO_CATEGORIES if c["isthing"]]
    writers.write_coco_instances(root / "annotations" / f"instances_{split}.json", images, anns, cats)
    return root, anns


# --------------------------------------------------------------------------- REFER

REFER_SPLITS = {1: "train", 2: "val", 3: "testA", 4: "testB", 5: "testAB"}  # ref_id -> split


def refer_records(non_ascii: bool = True) -> tuple[list[dict], list[dict], list[dict]]:
    """(refs, images, annotations): image 100 holds refs 1-3, image 200 refs 4-5."""
    images = [{"id": 100, "file_name": "COCO_train2014_000000000100.jpg", "height": H, "width": W},
              {"id": 200, "file_name": "COCO_train2014_000000000200.jpg", "height": H, "width": W}]
    masks = {11: rect(1, 9, 1, 9), 12: rect(10, 20, 10, 20), 13: rect(0, 5, 25, 32),
             21: rect(5, 15, 2, 30), 22: rect(16, 24, 0, 4)}
    anns = [{"id": aid, "image_id": 100 if aid < 20 else 200, "category_id": 1 if aid % 2 else 3,
             "segmentation": writers.mask_to_polygons(m), "area": float(m.sum()),
             "bbox": writers.bbox_of(m), "iscrowd": 0} for aid, m in masks.items()]
    ann_of = {1: 11, 2: 12, 3: 13, 4: 21, 5: 22}
    refs, sent_id = [], 1000
    for ref_id, split in REFER_SPLITS.items():
        aid = ann_of[ref_id]
        iid = 100 if aid < 20 else 200
        raws = [f"Object {ref_id} left", f"the thing number {ref_id}"][: 1 + ref_id % 2]
        if non_ascii and ref_id == 2:
            raws.append("le café à gauche")
        sents = []
        for raw in raws:
            sents.append({"tokens": raw.lower().split(), "raw": raw, "sent_id": sent_id, "sent": raw.lower()})
            sent_id += 1
        refs.append({"sent_ids": [s["sent_id"] for s in sents], "file_name": f"COCO_train2014_{iid:012d}_{aid}.jpg",
                     "ann_id": aid, "ref_id": ref_id, "image_id": iid, "split": split, "sentences": sents,
                     "category_id": 1 if aid % 2 else 3})
    return refs, images, anns


REFER_MASKS = {1: rect(1, 9, 1, 9), 2: rect(10, 20, 10, 20), 3: rect(0, 5, 25, 32),
               4: rect(5, 15, 2, 30), 5: rect(16, 24, 0, 4)}  # ref_id -> mask as drawn (before polygons)


def refer(root: Path, name: str = "refcoco", split_by: str = "unc", refs=None) -> Path:
    """REFER ``data_root`` with ``<name>/refs(<split_by>).p``, ``instances.json`` and the images."""
    r, images, anns = refer_records()
    refs = r if refs is None else refs
    writers.write_refer(root, name, split_by, refs, images, anns, [c for c in COCO_CATEGORIES if c["isthing"]])
    for im in images:
        writers.write_jpeg(root / "images" / "mscoco" / "images" / "train2014" / im["file_name"], image(im["id"]))
    return root


# --------------------------------------------------------------------------- DAVIS


def davis_frames(seq_seed: int, n: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    """Frames with objects 1 and 2 (2 leaves after frame 1), a void band, and object 3 appearing at frame 2."""
    frames = []
    for t in range(n):
        lab = np.zeros((H, W), np.uint8)
        lab[rect(2 + t, 10 + t, 2, 10)] = 1
        if t < 2:
            lab[rect(12, 20, 20, 30)] = 2
        if t >= 2:
            lab[rect(14, 22, 14, 22)] = 3
        lab[0, :] = 255  # void row
        frames.append((image(seq_seed * 10 + t), lab))
    return frames


def davis(root: Path) -> Path:
    seqs = {"bear": davis_frames(1), "car-race": davis_frames(2, n=3)}
    writers.write_davis(root, seqs, {"val": ["car-race", "bear"], "train": []})
    writers.write_davis(root, {}, {"val": ["bear"]}, year="2016")
    return root
