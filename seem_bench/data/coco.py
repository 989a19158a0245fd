"""COCO panoptic, instances and semantic (derived from panoptic), read from the published files.

Layout (``root`` = the COCO directory, ``split`` defaults to ``val2017``)::

    root/annotations/panoptic_val2017.json   images, annotations[{image_id, file_name, segments_info}], categories
    root/panoptic_val2017/<file_name>.png    RGB PNG, segment id = R + 256*G + 256**2*B, 0 = VOID
    root/annotations/instances_val2017.json  images, annotations (polygons / RLE, iscrowd), categories
    root/val2017/<file_name>.jpg

One `Sample` per image (``sample_id`` = ``str(image_id)``, sorted by image id). Pixels are read
on demand: panoptic instance masks are ``id_map == segment_id``; instance masks are decoded with
pycocotools exactly as ``COCO.annToMask`` does (polygons are rasterised by ``frPyObjects`` and
merged, uncompressed RLE converted, compressed RLE used as is).

Semantic (``coco_semantic``) follows MaskFormer/Mask2Former's
``prepare_coco_semantic_annos_from_panoptic_annos.py`` (the 133-class COCO semantic set that
detectron2's ``SemSegEvaluator`` scores): categories are numbered 0..K-1 in ascending category
id order, every segment (crowd included) is painted with its category's index, everything else
(VOID and PNG ids that the JSON does not list) is 255 = ignore.
"""

from __future__ import annotations

from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.data.fields import (
    annotation_problem,
    area_problem,
    bbox_problem,
    file_name_problem,
    flag_problem,
    image_entry,
    int_problem,
    is_int,
    kind_of,
    segmentation_problem,
)
from seem_bench.data.fingerprint import fingerprint_files
from seem_bench.data.io import open_image, os_problem, read_json, read_rgb, regular_file
from seem_bench.data.problems import STRICT, Problems
from seem_bench.data.types import Dataset, Instance, Sample
from seem_bench.errors import DataError

DEFAULT_SPLIT = "val2017"
SEMANTIC_IGNORE = 255

# --------------------------------------------------------------------------- pixel readers


def rgb2id(rgb: np.ndarray) -> np.ndarray:
    """Panoptic segment ids from an (H, W, 3) RGB array: ``R + 256*G + 256**2*B`` as ``int32``.

    >>> int(rgb2id(np.array([[[1, 2, 3]]], np.uint8))[0, 0])
    197121
    """
    rgb = rgb.astype(np.int32, copy=False)
    return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]


@lru_cache(maxsize=16)
def _panoptic_ids_cached(path: Path, mtime_ns: int) -> np.ndarray:
    try:
        with open_image(path, "panoptic PNG", unreadable="cannot decode panoptic PNG") as im:
            if im.mode not in ("RGB", "RGBA", "P"):
                raise DataError(path, f"panoptic PNG must be RGB, got mode {im.mode!r}")
            # RGBA/palette files (not official, but what some tools write) carry the same colours.
            arr = np.asarray(im if im.mode == "RGB" else im.convert("RGB"))
    except DataError:
        raise
    except Exception as e:
        raise DataError(path, f"cannot decode panoptic PNG ({type(e).__name__}: {e})") from None
    ids = rgb2id(arr)
    ids.setflags(write=False)
    return ids


def read_panoptic_ids(path: str | Path, size: tuple[int, int] | None = None) -> np.ndarray:
    """Segment-id map of a COCO panoptic PNG, ``int32`` (H, W), read-only (cached).

    ``size``: the (height, width) the JSON gives the image; a PNG of another size is an error.
    """
    p = regular_file(path)
    try:
        mtime = p.stat().st_mtime_ns
    except OSError as e:
        raise DataError(p, os_problem(e)) from None
    ids = _panoptic_ids_cached(p, mtime)
    if size is not None and ids.shape != tuple(size):
        raise DataError(p, f"PNG is {ids.shape[1]}x{ids.shape[0]} but the JSON says the image is "
                           f"{size[1]}x{size[0]}")
    return ids


def _segment_mask(png: Path, size: tuple[int, int], segment_ids: tuple[int, ...]) -> np.ndarray:
    ids = read_panoptic_ids(png, size)
    if len(segment_ids) == 1:
        return ids == segment_ids[0]
    return np.isin(ids, segment_ids)


def load_panoptic_target(png: Path, size: tuple[int, int],
                         segments_info: tuple[dict, ...]) -> tuple[np.ndarray, list[dict]]:
    """The ``"panoptic"`` target: (id map ``int32`` (H, W), the image's ``segments_info`` list)."""
    return np.array(read_panoptic_ids(png, size)), [dict(s) for s in segments_info]


def load_semantic_target(png: Path, size: tuple[int, int],
                         seg_to_class: tuple[tuple[int, int], ...]) -> np.ndarray:
    """The ``"semantic"`` target: ``uint8`` (H, W) contiguous class index, 255 = ignore."""
    ids = read_panoptic_ids(png, size)
    out = np.full(ids.shape, SEMANTIC_IGNORE, np.uint8)
    if seg_to_class:
        seg_ids = np.array([s for s, _ in seg_to_class], np.int64)
        classes = np.array([c for _, c in seg_to_class], np.uint8)
        order = np.argsort(seg_ids)
        seg_ids, classes = seg_ids[order], classes[order]
        # One searchsorted over the image instead of a pass per segment.
        pos = np.clip(np.searchsorted(seg_ids, ids), 0, len(seg_ids) - 1)
        hit = seg_ids[pos] == ids
        out[hit] = classes[pos[hit]]
    return out


def ann_to_mask(segmentation: Any, height: int, width: int) -> np.ndarray:
    """Decode a COCO ``segmentation`` (polygons, uncompressed or compressed RLE) to ``bool`` (H, W).

    Same conversions as pycocotools ``COCO.annToRLE`` + ``maskUtils.decode``, except that
    degenerate polygons (fewer than 3 points) are dropped, as detectron2 does.
    """
    from pycocotools import mask as mask_utils

    if isinstance(segmentation, list):
        # Polygons under 3 points: pycocotools would take a 4-number one for a box and fail;
        # dropped as detectron2's COCO loader drops them.
        polys = [p for p in segmentation if len(p) >= 6]
        if not polys:
            return np.zeros((height, width), bool)
        rle = mask_utils.merge(mask_utils.frPyObjects(polys, height, width))
    elif isinstance(segmentation.get("counts"), list):
        rle = mask_utils.frPyObjects(segmentation, height, width)
    else:
        rle = segmentation
    return mask_utils.decode(rle).astype(bool)


# --------------------------------------------------------------------------- index helpers


def _categories(data: dict, json_path: Path, problems: Problems) -> dict[int, dict[str, Any]]:
    cats: dict[int, dict[str, Any]] = {}
    for c in data.get("categories") or []:
        if not isinstance(c, dict) or not is_int(c.get("id")):
            problems.add(json_path, f"category without an integer id: {c!r:.80}")
            continue
        cid = int(c["id"])
        why = flag_problem(c.get("isthing", 1), "isthing")
        if why:
            problems.add(json_path, f"category {cid}: {why}")
            continue
        cats[cid] = {"name": c.get("name", str(cid)), "supercategory": c.get("supercategory"),
                     "isthing": int(c.get("isthing", 1))}
    if not cats:
        problems.add(json_path, "no categories")
    return cats


def _require(data: Any, keys: tuple[str, ...], json_path: Path) -> None:
    if not isinstance(data, dict):
        raise DataError(json_path, "expected a JSON object at top level")
    missing = [k for k in keys if k not in data]
    if missing:
        raise DataError(json_path, f"missing key(s) {', '.join(missing)}")
    for k in keys:  # e.g. "images": null would fail later as a TypeError
        if not isinstance(data[k], list):
            raise DataError(json_path, f"'{k}' must be a list, got {kind_of(data[k])}")


def _images(data: dict, json_path: Path, problems: Problems) -> dict[int, dict]:
    images: dict[int, dict] = {}
    for im in data["images"]:
        entry, why = image_entry(im)
        if entry is None:
            problems.add(json_path, str(why))
            continue
        iid = entry["id"]
        if iid in images:
            problems.add(json_path, f"image id {iid} listed twice")
        images[iid] = entry
    return images


def _split_name(split: str | None) -> str:
    return split or DEFAULT_SPLIT


# --------------------------------------------------------------------------- panoptic / semantic


def _panoptic_index(root: Path, split: str, problems: Problems):
    json_path = root / "annotations" / f"panoptic_{split}.json"
    png_dir = root / f"panoptic_{split}"
    img_dir = root / split
    data = read_json(json_path)
    _require(data, ("images", "annotations", "categories"), json_path)
    cats = _categories(data, json_path, problems)
    images = _images(data, json_path, problems)
    anns: dict[int, dict] = {}
    for n, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict) or any(k not in ann for k in ("image_id", "file_name", "segments_info")):
            problems.add(json_path, f"annotation #{n} lacks image_id/file_name/segments_info: {ann!r:.80}")
            continue
        why = (int_problem(ann["image_id"], "image_id") or file_name_problem(ann["file_name"])
               or (None if isinstance(ann["segments_info"], list) else
                   f"segments_info must be a list, got {kind_of(ann['segments_info'])}"))
        if why:
            problems.add(json_path, f"annotation #{n}: {why}")
            continue
        iid, png_name, segs = int(ann["image_id"]), ann["file_name"], ann["segments_info"]
        if iid not in images:
            problems.add(json_path, f"annotation {png_name} refers to unknown image_id {iid}")
            continue
        if iid in anns:
            problems.add(json_path, f"image_id {iid} has two annotations")
        seen: set[int] = set()
        clean = []
        for s in segs:
            if not isinstance(s, dict) or not is_int(s.get("id")) or not is_int(s.get("category_id")):
                problems.add(json_path, f"{png_name}: segment lacks an integer id/category_id: {s!r:.80}")
                continue
            sid, cid = int(s["id"]), int(s["category_id"])
            why = (flag_problem(s.get("iscrowd", 0), "iscrowd") or bbox_problem(s.get("bbox"))
                   or area_problem(s.get("area")))
            if why:
                problems.add(json_path, f"{png_name}: segment {sid}: {why}")
                continue
            if sid == 0:
                problems.add(json_path, f"{png_name}: segment id 0 is VOID and cannot be a segment")
                continue
            if sid in seen:
                problems.add(json_path, f"{png_name}: segment id {sid} listed twice")
                continue
            if cid not in cats:  # kept (check mode) so that the PNG/JSON id comparison stays meaningful
                problems.add(json_path, f"{png_name}: segment {sid} has unknown category_id {cid}")
            seen.add(sid)
            clean.append({"id": sid, "category_id": cid, "iscrowd": int(s.get("iscrowd", 0)),
                          "bbox": s.get("bbox"), "area": s.get("area")})
        anns[iid] = {"png": png_dir / png_name, "segments_info": tuple(clean)}
    for iid in images:
        if iid not in anns:
            problems.add(json_path, f"image {images[iid]['file_name']} (id {iid}) has no annotation")
    if not anns:
        problems.add(json_path, f"no annotated images in split {split}")
    return json_path, img_dir, cats, images, anns


def _bbox(v: Any) -> tuple[float, float, float, float] | None:
    return None if v is None else tuple(float(x) for x in v)  # type: ignore[return-value]


def build_coco_panoptic(root: Path, split: str | None, problems: Problems = STRICT,
                        name: str = "coco_panoptic") -> Dataset:
    """Index a COCO panoptic split: one instance per segment (things and stuff, crowd flagged)."""
    split = _split_name(split)
    json_path, img_dir, cats, images, anns = _panoptic_index(root, split, problems)
    samples = []
    for iid in sorted(anns):
        im, ann = images[iid], anns[iid]
        size = (im["height"], im["width"])
        insts = tuple(
            Instance(instance_id=str(s["id"]), mask_loader=partial(_segment_mask, ann["png"], size, (s["id"],)),
                     category_id=s["category_id"], iscrowd=bool(s["iscrowd"]), bbox=_bbox(s["bbox"]),
                     area=None if s["area"] is None else float(s["area"]),
                     meta={"isthing": cats.get(s["category_id"], {}).get("isthing"),
                           "category_name": cats.get(s["category_id"], {}).get("name")})
            for s in ann["segments_info"])
        samples.append(Sample(
            sample_id=str(iid), dataset=name, image_loader=partial(read_rgb, img_dir / im["file_name"]),
            height=size[0], width=size[1], instances=insts, image_path=str(img_dir / im["file_name"]),
            targets={"panoptic": partial(load_panoptic_target, ann["png"], size, ann["segments_info"])},
            meta={"image_id": iid, "panoptic_png": str(ann["png"])}))
    return Dataset(name=name, root=root, split=split, samples=samples, categories=cats,
                   fingerprint={"files": fingerprint_files(root, [json_path])})


def contiguous_ids(categories: dict[int, dict]) -> dict[int, int]:
    """``{category_id: index}`` numbering categories 0..K-1 in ascending id order (MaskFormer)."""
    return {cid: i for i, cid in enumerate(sorted(categories))}


def build_coco_semantic(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    """Index COCO semantic (derived from panoptic): one instance per category present, target map."""
    split = _split_name(split)
    json_path, img_dir, cats, images, anns = _panoptic_index(root, split, problems)
    to_class = contiguous_ids(cats)
    categories = {cid: {**c, "contiguous_id": to_class[cid]} for cid, c in cats.items()}
    samples = []
    for iid in sorted(anns):
        im, ann = images[iid], anns[iid]
        size = (im["height"], im["width"])
        by_cat: dict[int, list[int]] = {}
        known = [s for s in ann["segments_info"] if s["category_id"] in to_class]
        for s in known:
            by_cat.setdefault(s["category_id"], []).append(s["id"])
        insts = tuple(
            Instance(instance_id=str(cid), mask_loader=partial(_segment_mask, ann["png"], size, tuple(sids)),
                     category_id=cid, meta={"contiguous_id": to_class[cid], "segment_ids": tuple(sids),
                                            "category_name": cats[cid]["name"]})
            for cid, sids in sorted(by_cat.items()))
        seg_to_class = tuple((s["id"], to_class[s["category_id"]]) for s in known)
        samples.append(Sample(
            sample_id=str(iid), dataset="coco_semantic",
            image_loader=partial(read_rgb, img_dir / im["file_name"]),
            height=size[0], width=size[1], instances=insts, image_path=str(img_dir / im["file_name"]),
            targets={"semantic": partial(load_semantic_target, ann["png"], size, seg_to_class)},
            meta={"image_id": iid, "panoptic_png": str(ann["png"]), "ignore_label": SEMANTIC_IGNORE}))
    return Dataset(name="coco_semantic", root=root, split=split, samples=samples, categories=categories,
                   fingerprint={"files": fingerprint_files(root, [json_path]),
                                "semantic": "maskformer-133: contiguous ids in category-id order, 255 ignore"})


# --------------------------------------------------------------------------- instances


#: Kept for callers of the old name; the checks live in `seem_bench.data.fields`.
_check_segmentation = segmentation_problem


def build_coco_instances(root: Path, split: str | None, problems: Problems = STRICT,
                         name: str = "coco_instances") -> Dataset:
    """Index a COCO instances split: one instance per annotation (crowd included, flagged)."""
    split = _split_name(split)
    json_path = root / "annotations" / f"instances_{split}.json"
    img_dir = root / split
    data = read_json(json_path)
    _require(data, ("images", "annotations", "categories"), json_path)
    cats = _categories(data, json_path, problems)
    images = _images(data, json_path, problems)
    by_image: dict[int, list[Instance]] = {iid: [] for iid in images}
    seen: set[int] = set()
    for n, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict) or not (is_int(ann.get("id")) and is_int(ann.get("image_id"))
                                             and is_int(ann.get("category_id"))) or "segmentation" not in ann:
            problems.add(json_path, f"annotation #{n} lacks an integer id/image_id/category_id or a "
                                    f"segmentation: {ann!r:.80}")
            continue
        aid, iid, cid = int(ann["id"]), int(ann["image_id"]), int(ann["category_id"])
        seg = ann["segmentation"]
        if aid in seen:
            problems.add(json_path, f"annotation id {aid} listed twice")
            continue
        seen.add(aid)
        if iid not in images:
            problems.add(json_path, f"annotation {aid} refers to unknown image_id {iid}")
            continue
        if cid not in cats:
            problems.add(json_path, f"annotation {aid} has unknown category_id {cid}")
            continue
        h, w = images[iid]["height"], images[iid]["width"]
        why = annotation_problem(ann, h, w)
        if why:
            problems.add(json_path, f"annotation {aid}: {why}")
            continue
        by_image[iid].append(Instance(
            instance_id=str(aid), mask_loader=partial(ann_to_mask, seg, h, w), category_id=cid,
            iscrowd=bool(ann.get("iscrowd", 0)), bbox=_bbox(ann.get("bbox")),
            area=None if ann.get("area") is None else float(ann["area"]),
            meta={"category_name": cats[cid]["name"]}))
    if not images:
        problems.add(json_path, f"no images in split {split}")
    samples = [
        Sample(sample_id=str(iid), dataset=name, image_loader=partial(read_rgb, img_dir / images[iid]["file_name"]),
               height=images[iid]["height"], width=images[iid]["width"],
               instances=tuple(sorted(by_image[iid], key=lambda i: int(i.instance_id))),
               image_path=str(img_dir / images[iid]["file_name"]), meta={"image_id": iid})
        for iid in sorted(images)]
    return Dataset(name=name, root=root, split=split, samples=samples, categories=cats,
                   fingerprint={"files": fingerprint_files(root, [json_path])})


# --------------------------------------------------------------------------- registry entry points


def load_coco_panoptic(root: str | Path, split: str | None = None) -> Dataset:
    """``coco_panoptic``: ``root`` holds ``annotations/``, ``panoptic_<split>/``, ``<split>/``."""
    return build_coco_panoptic(Path(root), split)


def load_coco_semantic(root: str | Path, split: str | None = None) -> Dataset:
    """``coco_semantic``: derived from the panoptic files (same layout as ``coco_panoptic``)."""
    return build_coco_semantic(Path(root), split)


def load_coco_instances(root: str | Path, split: str | None = None) -> Dataset:
    """``coco_instances``: ``root`` holds ``annotations/instances_<split>.json`` and ``<split>/``."""
    return build_coco_instances(Path(root), split)


def instances_json(root: Path, split: str | None) -> Path:
    """``<root>/annotations/instances_<split>.json``: the COCO instance GT of a panoptic root."""
    return Path(root) / "annotations" / f"instances_{split or 'val2017'}.json"


def annotations_by_image(path: Path) -> dict[int, list[dict]]:
    """The annotations of a COCO instances JSON grouped by ``image_id`` (file order kept)."""
    data = read_json(path)
    _require(data, ("images", "annotations"), path)
    sizes = {}
    for im in data["images"]:
        entry, why = image_entry(im)
        if entry is None:
            raise DataError(path, str(why))
        sizes[entry["id"]] = (entry["height"], entry["width"])
    out: dict[int, list[dict]] = {}
    for n, a in enumerate(data["annotations"]):
        if not isinstance(a, dict) or not is_int(a.get("image_id")) or not is_int(a.get("category_id")):
            raise DataError(path, f"annotation #{n} lacks an integer image_id/category_id")
        if int(a["image_id"]) not in sizes:
            raise DataError(path, f"annotation #{n} refers to unknown image_id {a['image_id']}")
        why = annotation_problem(a, *sizes[int(a["image_id"])])  # its mask is decoded by pycocotools
        if why:
            raise DataError(path, f"annotation {a.get('id', f'#{n}')}: {why}")
        out.setdefault(int(a["image_id"]), []).append(a)
    return out
