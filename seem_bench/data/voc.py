"""PASCAL VOC 2012 instance masks, as RITM/SimpleClick's ``PascalVocDataset`` reads them.

Layout (``root`` = ``VOCdevkit/VOC2012``)::

    root/ImageSets/Segmentation/val.txt    one image name per line
    root/JPEGImages/<name>.jpg
    root/SegmentationObject/<name>.png     palette PNG: index k = instance k, 255 = void

RITM decodes the mask as ``cv2.cvtColor(cv2.imread(png), cv2.COLOR_BGR2GRAY)``: the palette
*colours* are converted to grey levels, and those grey levels are the instance ids. The void
colour (224, 224, 192) becomes grey 220, which is ignored in IoU; instance 1 (128, 0, 0) becomes
38, instance 2 (0, 128, 0) 75, and so on. seem-bench reproduces this exactly, including its odd
consequence: palette colours with equal grey levels (e.g. indices 1 and 16, both grey 38) are one
instance. ``instance_id`` is the grey level as a string; ``mask`` = (grey == id),
``ignore`` = (grey == 220).

SimpleClick evaluates split ``val`` (one sample per instance); RITM evaluated ``test`` from its own
``ImageSets/Segmentation/test.pickle`` (``(image names, grey ids)``, one per instance), which is
read when ``split="test"``. Either way seem-bench yields one `Sample` per image holding its
instances (in ascending grey id, or pickle order), whose masks equal RITM's per-instance masks.
"""

from __future__ import annotations

from functools import lru_cache, partial
from pathlib import Path

import cv2
import numpy as np

from seem_bench.data.fingerprint import fingerprint_files
from seem_bench.data.io import image_size, read_bgr, read_lines, read_py2_pickle, read_rgb
from seem_bench.data.problems import STRICT, Problems
from seem_bench.data.types import Dataset, Instance, Sample
from seem_bench.errors import DataError

VOID_GREY = 220


@lru_cache(maxsize=8)
def _grey_cached(path: Path, mtime_ns: int) -> np.ndarray:
    g = cv2.cvtColor(read_bgr(path), cv2.COLOR_BGR2GRAY)
    g.setflags(write=False)
    return g


def read_voc_grey(path: str | Path) -> np.ndarray:
    """RITM's VOC mask decoding: grey level of each pixel's colour, ``uint8`` (H, W), read-only."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime_ns
    except OSError:
        raise DataError(p, "file not found") from None
    return _grey_cached(p, mtime)


def voc_instance_mask(path: Path, grey: int) -> np.ndarray:
    return read_voc_grey(path) == grey


def voc_void_mask(path: Path) -> np.ndarray:
    return read_voc_grey(path) == VOID_GREY


def _split_items(root: Path, split: str, problems: Problems) -> tuple[list[tuple[str, list[int] | None]], Path]:
    seg_dir = root / "ImageSets" / "Segmentation"
    if split == "test" and (seg_dir / "test.pickle").is_file():
        f = seg_dir / "test.pickle"
        data = read_py2_pickle(f)
        try:
            names, ids = data
            names, ids = [str(n) for n in names], [int(i) for i in ids]
        except (TypeError, ValueError):
            raise DataError(f, "expected a pickled pair (image names, instance ids)") from None
        if len(names) != len(ids):
            raise DataError(f, f"{len(names)} names but {len(ids)} instance ids")
        grouped: dict[str, list[int]] = {}
        for n, i in zip(names, ids, strict=True):
            grouped.setdefault(n, []).append(i)
        return [(n, g) for n, g in grouped.items()], f
    f = seg_dir / f"{split}.txt"
    return [(n, None) for n in read_lines(f)], f


def build_pascalvoc(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    """Index VOC 2012 ``split`` (default ``val``); reads each object PNG once to list instances."""
    split = split or "val"
    items, list_file = _split_items(root, split, problems)
    if not items:
        problems.add(list_file, "lists no images")
    samples = []
    for name, listed in items:
        img, png = root / "JPEGImages" / f"{name}.jpg", root / "SegmentationObject" / f"{name}.png"
        try:
            grey = read_voc_grey(png)
            h, w = image_size(img)
        except DataError as e:
            problems.add_error(e)
            continue
        if grey.shape != (h, w):
            problems.add(png, f"mask is {grey.shape[1]}x{grey.shape[0]} but {img.name} is {w}x{h}")
            continue
        if listed is None:
            ids = [int(v) for v in np.unique(grey) if v != 0 and v != VOID_GREY]
        else:
            ids = listed
        insts = tuple(Instance(instance_id=str(k), mask_loader=partial(voc_instance_mask, png, k),
                               ignore_loader=partial(voc_void_mask, png)) for k in ids)
        samples.append(Sample(sample_id=name, dataset="pascalvoc", image_loader=partial(read_rgb, img),
                              height=h, width=w, instances=insts, image_path=str(img),
                              meta={"mask_path": str(png)}))
    return Dataset(name="pascalvoc", root=root, split=split, samples=samples,
                   fingerprint={"files": fingerprint_files(root, [list_file]), "ids": "ritm-grey"})


def load_pascalvoc(root: str | Path, split: str | None = None) -> Dataset:
    """``pascalvoc``: VOC 2012 ``SegmentationObject`` instances, default split ``val``."""
    return build_pascalvoc(Path(root), split)
