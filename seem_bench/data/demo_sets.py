"""Demo sets for the remaining suite cells: RefCOCOg, PascalVOC, SBD and three click sets.

Written by `seem_bench.data.demo` after the v2 sets (each from its own child generator, so the
earlier sets' bytes do not change), in the official on-disk formats of `seem_bench.data.writers`::

    DIR/refer/refcocog/refs(umd).p, instances.json     refcocog (umd: train / val / test)
    DIR/PascalVOC/JPEGImages, SegmentationObject,      pascalvoc (val): palette PNGs, index k =
        SegmentationClass, ImageSets/Segmentation         instance k, 255 = void (grey 220) bands
    DIR/SBD/img, inst/*.mat (GTinst), val.txt           sbd (val)
    DIR/Berkeley/images, masks                          berkeley (128 = ignore band)
    DIR/DAVIS345/img, gt                                davis345 (any channel > 0 = object)
    DIR/COCO_MVal/img, gt                               coco_mval

Demo categories map onto PASCAL classes 1..5 (aeroplane, bicycle, bird, boat, bottle) for the
VOC ``SegmentationClass`` and SBD ``Categories``: only the numbering matters to the loaders.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from seem_bench.data import writers
from seem_bench.data.scenes import CATEGORIES, Scene, make_scene

N_REFCOCOG = 6
N_VOC = 4
N_SBD = 4
N_CLICKSET = 4

_THINGS = [c for c in CATEGORIES if c["isthing"]]
_NAMES = {c["id"]: c["name"] for c in CATEGORIES}


def _scenes(rng: np.random.Generator, n: int, min_objects: int = 2) -> list[Scene]:
    out: list[Scene] = []
    while len(out) < n:
        s = make_scene(rng, 240, 320)
        if len(s.objects) >= min_objects:
            out.append(s)
    return out


def _position(mask: np.ndarray, w: int) -> str:
    cx = np.nonzero(mask)[1].mean() / w
    return "left" if cx < 0.4 else "right" if cx > 0.6 else "middle"


def write_refcocog(out: Path, rng: np.random.Generator) -> None:
    """``refer/refcocog/refs(umd).p`` + ``instances.json``; images beside RefCOCO's (train2014)."""
    root = out / "refer"
    scenes = _scenes(rng, N_REFCOCOG)
    # Ids above RefCOCO's demo range (< 580000), so the shared train2014 folder never clashes.
    image_ids = sorted(int(v) for v in rng.choice(np.arange(580000, 590000), N_REFCOCOG, replace=False))
    splits = ["train", "val", "val", "val", "test", "test"]
    images, anns, refs = [], [], []
    ref_id, sent_id = 0, 0
    for iid, scene, split in zip(image_ids, scenes, splits, strict=True):
        h, w = scene.image.shape[:2]
        fname = f"COCO_train2014_{iid:012d}.jpg"
        images.append({"id": iid, "file_name": fname, "height": h, "width": w})
        writers.write_jpeg(root / "images" / "mscoco" / "images" / "train2014" / fname, scene.image)
        for k, obj in enumerate(scene.objects):
            aid = iid * 100 + k + 1
            anns.append({"id": aid, "image_id": iid, "category_id": obj.category_id,
                         "segmentation": writers.mask_to_polygons(obj.mask), "area": float(obj.mask.sum()),
                         "bbox": writers.bbox_of(obj.mask), "iscrowd": 0})
            cat, colour, pos = _NAMES[obj.category_id], obj.color_word, _position(obj.mask, w)
            # RefCOCOg's expressions are longer, full sentences (Google-annotated, non-interactive).
            options = [f"A {colour} {cat} on the {pos} of the picture.",
                       f"the {cat} that is {colour} and sits {pos}", f"{colour} {cat} to the {pos}"]
            sentences = []
            for raw in options[: int(rng.integers(1, 4))]:
                sent = raw.lower().rstrip(".")
                sentences.append({"tokens": sent.split(), "raw": raw, "sent_id": sent_id, "sent": sent})
                sent_id += 1
            refs.append({"image_id": iid, "split": split, "sentences": sentences,
                         "file_name": f"COCO_train2014_{iid:012d}_{aid}.jpg", "category_id": obj.category_id,
                         "ann_id": aid, "sent_ids": [s["sent_id"] for s in sentences], "ref_id": ref_id})
            ref_id += 1
    writers.write_refer(root, "refcocog", "umd", refs, images, anns, _THINGS)


def _void_band(masks: list[np.ndarray], width: int = 5) -> np.ndarray:
    """VOC's void: a ``width``-px band along every object boundary."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))
    band = np.zeros(masks[0].shape, bool)
    for m in masks:
        u8 = m.astype(np.uint8)
        band |= (cv2.dilate(u8, kernel) > 0) & ~(cv2.erode(u8, kernel) > 0)
    return band


def write_pascalvoc(out: Path, rng: np.random.Generator) -> None:
    """``PascalVOC`` (= VOC2012): object and class palette PNGs with 255 void bands, ``val.txt``."""
    root = out / "PascalVOC"
    objects: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for n, scene in enumerate(_scenes(rng, N_VOC)):
        name = f"2007_{n:06d}"
        obj = np.zeros(scene.image.shape[:2], np.uint8)
        cls = np.zeros_like(obj)
        visible = [o for o in scene.objects if o.mask.any()]
        for k, o in enumerate(visible, start=1):  # at most a handful: grey levels stay distinct
            obj[o.mask] = k
            cls[o.mask] = o.category_id
        void = _void_band([o.mask for o in visible])
        obj[void], cls[void] = 255, 255
        objects[name] = (scene.image, obj)
        writers.write_palette_png(root / "SegmentationClass" / f"{name}.png", cls)
    writers.write_voc(root, "val", objects)


def write_sbd(out: Path, rng: np.random.Generator) -> None:
    """``SBD``: ``img/``, ``inst/*.mat`` (GTinst: Segmentation, Boundaries, Categories), ``val.txt``."""
    items = {}
    for n, scene in enumerate(_scenes(rng, N_SBD)):
        seg = np.zeros(scene.image.shape[:2], np.uint8)
        visible = [o for o in scene.objects if o.mask.any()]
        for k, o in enumerate(visible, start=1):
            seg[o.mask] = k
        items[f"2008_{n:06d}"] = (scene.image, seg, [o.category_id for o in visible])
    writers.write_sbd(out / "SBD", "val", items)


def _largest(scene: Scene) -> np.ndarray:
    return max(scene.objects, key=lambda o: int(o.mask.sum())).mask


def write_clicksets(out: Path, rng: np.random.Generator) -> None:
    """Berkeley (``images/``, ``masks/`` with a 128 ignore band), DAVIS-345 and COCO-MVal (``img/``, ``gt/``)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for n, scene in enumerate(_scenes(rng, N_CLICKSET, min_objects=1)):
        m = _largest(scene)
        u8 = m.astype(np.uint8)
        gt = np.where(m, 255, 0).astype(np.uint8)
        gt[(cv2.dilate(u8, kernel) > 0) & ~(cv2.erode(u8, kernel) > 0)] = 128
        writers.write_grabcut_item(out / "Berkeley" / "images", out / "Berkeley" / "masks", f"{n * 7 + 100:05d}",
                                   scene.image, gt, mask_ext=".png")
    for n, scene in enumerate(_scenes(rng, N_CLICKSET, min_objects=1)):
        writers.write_img_gt_item(out / "DAVIS345", f"shapes_{n:03d}", scene.image, _largest(scene))
    for n, scene in enumerate(_scenes(rng, N_CLICKSET, min_objects=1)):
        # COCO-MVal masks are coloured per image; any non-zero channel is the object.
        colour = tuple(int(c) for c in rng.integers(1, 256, 3))
        writers.write_img_gt_item(out / "COCO_MVal", f"{n:012d}", scene.image, _largest(scene), colour)
