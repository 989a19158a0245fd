"""Interactive click sets in the layouts RITM reads them (``isegm/data/datasets/*.py``).

- GrabCut: ``<root>/data_GT/<name>.<ext>`` images, ``<root>/boundary_GT/<stem>.<ext>`` masks.
  Berkeley: ``<root>/images/`` and ``<root>/masks/``. Masks are read as RITM does,
  ``cv2.imread(mask)[:, :, 0]``: 128 = ignore, > 128 = object, anything else = background.
- DAVIS-345 and COCO-MVal: ``<root>/img/*`` and ``<root>/gt/*``; the mask is
  ``max over channels of cv2.imread(mask) > 0`` (any channel non-zero = object), no ignore.

All four: one `Sample` per image (sorted by file name, ``sample_id`` = image stem), one
instance ``"1"``; the mask of image ``a.b.jpg`` is the mask file whose stem is ``a`` (RITM pairs
by ``image_name.split('.')[0]``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from seem_bench.data.fingerprint import fingerprint_listing
from seem_bench.data.io import image_size, read_bgr, read_mask_channel0, read_rgb
from seem_bench.data.problems import STRICT, Problems
from seem_bench.data.types import Dataset, Instance, Sample
from seem_bench.errors import DataError

_IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}


def grabcut_object(mask_path: Path) -> np.ndarray:
    """GrabCut/Berkeley object: blue channel > 128, ``bool`` (H, W)."""
    return read_mask_channel0(mask_path) > 128


def grabcut_ignore(mask_path: Path) -> np.ndarray:
    """GrabCut/Berkeley ignore band: blue channel == 128, ``bool`` (H, W)."""
    return read_mask_channel0(mask_path) == 128


def any_channel_object(mask_path: Path) -> np.ndarray:
    """DAVIS-345 / COCO-MVal object: any BGR channel > 0, ``bool`` (H, W)."""
    return read_bgr(mask_path).max(axis=2) > 0


def _no_image(expected: Path, mask_name: str) -> np.ndarray:
    raise DataError(expected, f"no image for mask {mask_name}")


def _image_dir_set(root: Path, name: str, images_dir: str, masks_dir: str, object_fn, ignore_fn,
                   problems: Problems) -> Dataset:
    img_dir, mask_dir = root / images_dir, root / masks_dir
    for d in (img_dir, mask_dir):
        if not d.is_dir():
            raise DataError(d, f"directory not found (expected the {name} layout, see `seem-bench data list`)")
    images = sorted(p for p in img_dir.iterdir() if p.suffix.lower() in _IMAGE_EXTS)
    if not images:
        problems.add(img_dir, "no images found")
    masks = {p.stem: p for p in mask_dir.iterdir() if p.suffix.lower() in _IMAGE_EXTS}
    def instance_of(mask: Path) -> Instance:
        return Instance(instance_id="1", mask_loader=partial(object_fn, mask),
                        ignore_loader=None if ignore_fn is None else partial(ignore_fn, mask),
                        meta={"mask_path": str(mask)})

    samples = []
    for img in images:
        mask = masks.get(img.name.split(".")[0])
        if mask is None:
            problems.add(mask_dir / f"{img.name.split('.')[0]}.*", f"no mask for image {img.name}")
            continue
        try:
            h, w = image_size(img)
        except DataError as e:
            problems.add_error(e)
            continue
        inst = instance_of(mask)
        samples.append(Sample(sample_id=img.stem, dataset=name, image_loader=partial(read_rgb, img),
                              height=h, width=w, instances=(inst,), image_path=str(img)))
    # A mask without its image is a sample that cannot be read (RITM ignores it silently): kept,
    # so that `run` reports it (or records it with --skip-bad-samples) and `data check` lists it.
    paired = {img.name.split(".")[0] for img in images}
    for stem in sorted(set(masks) - paired):
        mask = masks[stem]
        try:
            h, w = image_size(mask)
        except DataError as e:
            problems.add_error(e)
            continue
        inst = instance_of(mask)
        samples.append(Sample(sample_id=stem, dataset=name, height=h, width=w, instances=(inst,),
                              image_loader=partial(_no_image, img_dir / f"{stem}.*", mask.name)))
    listing = [f"{images_dir}/{p.name}" for p in images] + [f"{masks_dir}/{p.name}" for p in masks.values()]
    return Dataset(name=name, root=root, split=None, samples=samples,
                   fingerprint={"files": {}, "listing_sha256": fingerprint_listing(listing),
                                "listing_count": len(listing)})


def load_grabcut_layout(root: str | Path, name: str = "grabcut", images_dir: str = "data_GT",
                        masks_dir: str = "boundary_GT", problems: Problems = STRICT) -> Dataset:
    """Load a GrabCut-layout set: one sample per image, one instance (``"1"``) per sample."""
    return _image_dir_set(Path(root), name, images_dir, masks_dir, grabcut_object, grabcut_ignore, problems)


def load_img_gt_layout(root: str | Path, name: str, problems: Problems = STRICT) -> Dataset:
    """Load an ``img/`` + ``gt/`` set (RITM's ``DavisDataset`` layout: DAVIS-345, COCO-MVal)."""
    return _image_dir_set(Path(root), name, "img", "gt", any_channel_object, None, problems)


def load_grabcut(root: str | Path, split: str | None = None) -> Dataset:
    """``grabcut``: 50 images, ``data_GT/`` + ``boundary_GT/``."""
    return load_grabcut_layout(root, "grabcut", "data_GT", "boundary_GT")


def load_berkeley(root: str | Path, split: str | None = None) -> Dataset:
    """``berkeley``: 96 images / 100 instances, ``images/`` + ``masks/``."""
    return load_grabcut_layout(root, "berkeley", "images", "masks")


def load_davis345(root: str | Path, split: str | None = None) -> Dataset:
    """``davis345``: the 345 DAVIS frames RITM evaluates, ``img/`` + ``gt/``."""
    return load_img_gt_layout(root, "davis345")


def load_coco_mval(root: str | Path, split: str | None = None) -> Dataset:
    """``coco_mval``: the 800-instance COCO-MVal set, ``img/`` + ``gt/``."""
    return load_img_gt_layout(root, "coco_mval")


def build_grabcut(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    return load_grabcut_layout(root, "grabcut", "data_GT", "boundary_GT", problems)


def build_berkeley(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    return load_grabcut_layout(root, "berkeley", "images", "masks", problems)


def build_davis345(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    return load_img_gt_layout(root, "davis345", problems)


def build_coco_mval(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    return load_img_gt_layout(root, "coco_mval", problems)
