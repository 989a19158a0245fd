"""RefCOCO, RefCOCO+ and RefCOCOg from the REFER files (or Hugging Face Parquet/Arrow).

REFER layout (``root`` = REFER's ``data_root``; pointing at ``root/<dataset>`` also works)::

    root/refcoco/refs(unc).p          pickle (Python 2 era) of refs: {ref_id, ann_id, category_id,
                                      image_id, file_name, split, sent_ids, sentences[{raw, sent,
                                      sent_id, tokens}]}
    root/refcoco/instances.json       COCO-style images / annotations / categories
    root/images/mscoco/images/train2014/COCO_train2014_<id:012d>.jpg   (COCO train2014 images)

The REFER API is Python-2 only and not on PyPI, so the pickle is read directly with REFER's
rules: ``split`` selects refs as ``REFER.getRefIds(split=...)`` does — ``testA``/``testB``/
``testC`` match any ref split *containing* that letter (so ``testA`` also matches ``testAB``),
``testAB``/``testBC``/``testAC`` match exactly, ``test`` matches every split containing
``"test"``, ``train``/``val`` match exactly. ``split`` may name the splitBy too: ``"umd/val"``,
``"google/val"``; the default splitBy is ``unc`` for refcoco/refcoco+ and ``umd`` for refcocog.
``split=None`` keeps every ref.

One `Sample` per image (the image is encoded once for all its refs); one `Instance` per ref
(``instance_id`` = ``str(ref_id)``) whose mask is its annotation's segmentation decoded like
``REFER.getMask`` (all polygons of the annotation merged), ``sentences`` = each sentence's
``raw`` text in ref order, ``meta`` = ``ref_id``, ``ann_id``, ``sent_ids``, ``split``, ``sents``
(REFER's normalised ``sent`` strings), ``category_name``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from seem_bench.data.coco import ann_to_mask
from seem_bench.data.fields import annotation_problem, image_entry, int_problem, is_int, kind_of
from seem_bench.data.fingerprint import fingerprint_files
from seem_bench.data.io import read_json, read_py2_pickle, read_rgb
from seem_bench.data.problems import STRICT, Problems
from seem_bench.data.types import Dataset, Instance, Sample
from seem_bench.errors import DataError, UsageError

DEFAULT_SPLIT_BY = {"refcoco": "unc", "refcoco+": "unc", "refcocog": "umd", "refclef": "unc"}
#: Where REFER and its descendants keep the COCO train2014 images, relative to ``data_root``.
IMAGE_DIR_CANDIDATES = ("images/mscoco/images/train2014", "images/train2014", "train2014",
                        "images", "coco/train2014")
KNOWN_SPLITS = ("train", "val", "test", "testA", "testB", "testC", "testAB", "testBC", "testAC")


def ref_in_split(ref_split: str, split: str) -> bool:
    """REFER's ``getRefIds`` split rule.

    >>> ref_in_split("testAB", "testA"), ref_in_split("testAB", "test"), ref_in_split("val", "testA")
    (True, True, False)
    """
    if split in ("testA", "testB", "testC"):
        return split[-1] in ref_split
    if split in ("testAB", "testBC", "testAC", "train", "val"):
        return ref_split == split
    if split == "test":
        return "test" in ref_split
    raise UsageError(f"unknown REFER split {split!r}; known: {', '.join(KNOWN_SPLITS)}")


def parse_split(name: str, split: str | None) -> tuple[str | None, str | None]:
    """``"umd/val"`` -> (``"umd"``, ``"val"``); ``"val"`` -> (``None``, ``"val"``) (default splitBy)."""
    if split is None:
        return None, None
    split_by, sep, s = split.rpartition("/")
    s = s or None
    if s is not None and s not in KNOWN_SPLITS:
        raise UsageError(f"unknown {name} split {split!r}; use one of {', '.join(KNOWN_SPLITS)}, "
                         "optionally prefixed by the splitBy, e.g. umd/val or google/val")
    return (split_by if sep else None), s


@dataclass
class ReferIndex:
    """What both back ends (REFER pickle, HF tables) produce before samples are built."""

    refs: list[dict]
    anns: dict[int, dict]
    images: dict[int, dict]
    categories: dict[int, dict]
    image_loader: Callable[[int], Callable[[], np.ndarray]]
    image_path: Callable[[int], str]
    source: Path  # the file reported in index problems
    files: list[Path] = field(default_factory=list)  # index files to fingerprint


def dataset_dir(root: Path, name: str) -> Path:
    """``root/<name>`` when it exists, else ``root`` itself (pointed at the dataset folder)."""
    sub = root / name
    return sub if sub.is_dir() else root


def refs_file(ds_dir: Path, name: str, split_by: str | None) -> Path:
    """The ``refs(<splitBy>).p`` to read: the one asked for, else the default, else the only one."""
    if split_by:
        return ds_dir / f"refs({split_by}).p"
    default = ds_dir / f"refs({DEFAULT_SPLIT_BY.get(name, 'unc')}).p"
    if default.is_file():
        return default
    found = sorted(ds_dir.glob("refs(*).p"))
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(f"{ds_dir} holds {', '.join(p.name for p in found)}: name the splitBy in the "
                         f"split, e.g. {found[0].name[5:-3]}/val")
    return default


def find_image_dir(data_root: Path) -> Path:
    """The first of `IMAGE_DIR_CANDIDATES` under ``data_root`` that exists (else the first one)."""
    for rel in IMAGE_DIR_CANDIDATES:
        d = data_root / rel
        if d.is_dir():
            return d
    return data_root / IMAGE_DIR_CANDIDATES[0]


def _refer_index(root: Path, name: str, split_by: str | None, problems: Problems) -> ReferIndex:
    ds_dir = dataset_dir(root, name)
    data_root = root.parent if ds_dir == root else root
    ref_path = refs_file(ds_dir, name, split_by)
    inst_path = ds_dir / "instances.json"
    if not ref_path.is_file() and ds_dir == root:
        raise DataError(root / name / ref_path.name, f"file not found (neither {root}/{name}/ nor {root} "
                                                     "holds REFER files; see `seem-bench data list`)")
    refs = read_py2_pickle(ref_path)
    if not isinstance(refs, list):
        raise DataError(ref_path, f"expected a pickled list of refs, got {type(refs).__name__}")
    data = read_json(inst_path)
    if not isinstance(data, dict) or any(k not in data for k in ("images", "annotations", "categories")):
        raise DataError(inst_path, "expected a COCO-style object with images, annotations, categories")
    for k in ("images", "annotations", "categories"):
        if not isinstance(data[k], list):
            raise DataError(inst_path, f"'{k}' must be a list, got {kind_of(data[k])}")
    images = {}
    for im in data["images"]:
        entry, why = image_entry(im)
        if entry is None:
            problems.add(inst_path, str(why))
            continue
        images[entry["id"]] = {k: entry[k] for k in ("file_name", "height", "width")}
    anns = {}
    for a in data["annotations"]:
        if not isinstance(a, dict) or not is_int(a.get("id")):
            problems.add(inst_path, f"annotation without an integer id: {a!r:.80}")
            continue
        anns[int(a["id"])] = a
    cats = {}
    for c in data["categories"]:
        if not isinstance(c, dict) or not is_int(c.get("id")):
            problems.add(inst_path, f"category without an integer id: {c!r:.80}")
            continue
        cats[int(c["id"])] = {"name": c.get("name", str(c["id"])), "supercategory": c.get("supercategory")}
    img_dir = find_image_dir(data_root)

    def loader(iid: int) -> Callable[[], np.ndarray]:
        return partial(read_rgb, img_dir / images[iid]["file_name"])

    return ReferIndex(refs=refs, anns=anns, images=images, categories=cats, image_loader=loader,
                      image_path=lambda iid: str(img_dir / images[iid]["file_name"]), source=ref_path,
                      files=[ref_path, inst_path])


def build_samples(name: str, index: ReferIndex, split: str | None, problems: Problems) -> list[Sample]:
    """Select refs by REFER's split rule and group them by image into samples."""
    src = index.source
    by_image: dict[int, list[Instance]] = {}
    seen_refs: set[int] = set()
    for n, ref in enumerate(index.refs):
        if not isinstance(ref, dict):
            problems.add(src, f"ref #{n} is a {type(ref).__name__}, not a dict")
            continue
        missing = [k for k in ("ref_id", "ann_id", "image_id", "split", "sentences") if k not in ref]
        if missing:
            problems.add(src, f"ref #{n} lacks {'/'.join(missing)}")
            continue
        why = (int_problem(ref["ref_id"], "ref_id") or int_problem(ref["ann_id"], "ann_id")
               or int_problem(ref["image_id"], "image_id")
               or (None if isinstance(ref["split"], str) else f"split must be a string, got {kind_of(ref['split'])}")
               or (None if isinstance(ref["sentences"], list | tuple)
                   else f"sentences must be a list, got {kind_of(ref['sentences'])}")
               or (None if "category_id" not in ref else int_problem(ref["category_id"], "category_id"))
               or (None if "sent_ids" not in ref or (isinstance(ref["sent_ids"], list | tuple)
                                                      and all(is_int(x) for x in ref["sent_ids"]))
                   else f"sent_ids must be a list of integers, got {ref['sent_ids']!r:.40}"))
        if why:
            problems.add(src, f"ref #{n} (ref_id {ref['ref_id']!r:.20}): {why}")
            continue
        ref_id, ann_id, image_id = int(ref["ref_id"]), int(ref["ann_id"]), int(ref["image_id"])
        ref_split, sentences = ref["split"], list(ref["sentences"])
        if ref_id in seen_refs:  # two instances of one id: records would share a key
            problems.add(src, f"ref #{n}: ref_id {ref_id} listed twice")
            continue
        seen_refs.add(ref_id)
        if split is not None and not ref_in_split(ref_split, split):
            continue
        ann = index.anns.get(ann_id)
        if ann is None:
            problems.add(src, f"ref {ref_id}: ann_id {ann_id} is not in the annotations")
            continue
        im = index.images.get(image_id)
        if im is None:
            problems.add(src, f"ref {ref_id}: image_id {image_id} is not in the images")
            continue
        if not is_int(ann.get("image_id", image_id)) or not is_int(ann.get("category_id", -1)):
            problems.add(src, f"ref {ref_id}: annotation {ann_id} lacks an integer image_id/category_id")
            continue
        if int(ann.get("image_id", image_id)) != image_id:
            problems.add(src, f"ref {ref_id}: image_id {image_id} but its annotation {ann_id} is on "
                              f"image {ann.get('image_id')}")
            continue
        cid = int(ref.get("category_id", ann.get("category_id", -1)))
        if cid not in index.categories:
            problems.add(src, f"ref {ref_id}: unknown category_id {cid}")
            continue
        if not all(isinstance(s, dict) and isinstance(s.get("raw"), str) and is_int(s.get("sent_id"))
                   and isinstance(s.get("sent", ""), str) for s in sentences):
            problems.add(src, f"ref {ref_id}: sentences need a string raw and an integer sent_id")
            continue
        raws = tuple(s["raw"] for s in sentences)
        sents = tuple(s.get("sent", s["raw"]) for s in sentences)
        sids = tuple(int(s["sent_id"]) for s in sentences)
        if "sent_ids" in ref and [int(x) for x in ref["sent_ids"]] != list(sids):
            problems.add(src, f"ref {ref_id}: sent_ids {list(ref['sent_ids'])} disagree with the "
                              f"sentences' sent_id {list(sids)}")
            continue
        seg = ann.get("segmentation")
        why = annotation_problem(ann, im["height"], im["width"])
        if why:
            problems.add(src, f"ref {ref_id}: annotation {ann_id}: {why}")
            continue
        bbox = ann.get("bbox")
        by_image.setdefault(image_id, []).append(Instance(
            instance_id=str(ref_id), mask_loader=partial(ann_to_mask, seg, im["height"], im["width"]),
            category_id=cid, iscrowd=bool(ann.get("iscrowd", 0)),
            bbox=None if bbox is None else tuple(float(x) for x in bbox),
            area=None if ann.get("area") is None else float(ann["area"]), sentences=raws,
            meta={"ref_id": ref_id, "ann_id": ann_id, "sent_ids": sids, "split": ref_split, "sents": sents,
                  "category_name": index.categories[cid]["name"]}))
    samples = []
    for iid in sorted(by_image):
        im = index.images[iid]
        samples.append(Sample(
            sample_id=str(iid), dataset=name, image_loader=index.image_loader(iid), height=im["height"],
            width=im["width"], instances=tuple(sorted(by_image[iid], key=lambda i: int(i.instance_id))),
            image_path=index.image_path(iid), meta={"image_id": iid}))
    if not samples:
        problems.add(src, f"split {split!r} selects no refs")
    return samples


def _is_hf_layout(root: Path, name: str) -> bool:
    ds_dir = dataset_dir(root, name)
    if any(ds_dir.glob("refs(*).p")):
        return False
    return any(ds_dir.rglob("*.parquet")) or any(ds_dir.rglob("*.arrow"))


def build_refer(root: Path, name: str, split: str | None, problems: Problems = STRICT) -> Dataset:
    """Index ``name`` (refcoco / refcoco+ / refcocog) from REFER files or HF tables under ``root``."""
    split_by, s = parse_split(name, split)
    if _is_hf_layout(root, name):
        from seem_bench.data.refer_hf import hf_index

        index = hf_index(dataset_dir(root, name), problems)
    else:
        index = _refer_index(root, name, split_by, problems)
    samples = build_samples(name, index, s, problems)
    used_split_by = split_by or (index.source.name[5:-3] if index.source.name.startswith("refs(") else None)
    return Dataset(name=name, root=root, split=split, samples=samples, categories=index.categories,
                   fingerprint={"files": fingerprint_files(root, index.files),
                                "split_by": used_split_by, "split_rule": "refer-getRefIds"})


def load_refcoco(root: str | Path, split: str | None = None) -> Dataset:
    """``refcoco``: splits ``val``, ``testA``, ``testB`` (splitBy ``unc``); also ``train``."""
    return build_refer(Path(root), "refcoco", split)


def load_refcoco_plus(root: str | Path, split: str | None = None) -> Dataset:
    """``refcoco+``: splits ``val``, ``testA``, ``testB`` (splitBy ``unc``); also ``train``."""
    return build_refer(Path(root), "refcoco+", split)


def load_refcocog(root: str | Path, split: str | None = None) -> Dataset:
    """``refcocog``: ``umd/val``, ``umd/test`` (default splitBy ``umd``) and ``google/val``."""
    return build_refer(Path(root), "refcocog", split)


def build_refcoco(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    return build_refer(root, "refcoco", split, problems)


def build_refcoco_plus(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    return build_refer(root, "refcoco+", split, problems)


def build_refcocog(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    return build_refer(root, "refcocog", split, problems)
