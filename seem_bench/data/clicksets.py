"""Interactive click sets in the layouts RITM reads them (``isegm/data/datasets/*.py``).

GrabCut: ``<root>/data_GT/<name>.<ext>`` images and ``<root>/boundary_GT/<stem>.<ext>`` masks.
Berkeley: ``<root>/images/`` and ``<root>/masks/``, same decoding. Masks are read as RITM does,
``cv2.imread(mask)[:, :, 0]``: value 128 = ignore, > 128 = object, anything else = background.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from seem_bench.data.fingerprint import fingerprint_listing
from seem_bench.data.io import image_size, read_mask_channel0, read_rgb
from seem_bench.data.types import Dataset, Instance, Sample
from seem_bench.errors import DataError

_IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}


def _grabcut_object(mask_path: Path) -> np.ndarray:
    return read_mask_channel0(mask_path) > 128


def _grabcut_ignore(mask_path: Path) -> np.ndarray:
    return read_mask_channel0(mask_path) == 128


def load_grabcut_layout(root: str | Path, name: str = "grabcut", images_dir: str = "data_GT",
                        masks_dir: str = "boundary_GT") -> Dataset:
    """Load a GrabCut-layout set: one sample per image, one instance (``"1"``) per sample."""
    root = Path(root)
    img_dir, mask_dir = root / images_dir, root / masks_dir
    for d in (img_dir, mask_dir):
        if not d.is_dir():
            raise DataError(d, f"directory not found (expected the {name} layout, see `seem-bench data list`)")
    images = sorted(p for p in img_dir.iterdir() if p.suffix.lower() in _IMAGE_EXTS)
    if not images:
        raise DataError(img_dir, "no images found")
    masks = {p.stem: p for p in mask_dir.iterdir() if p.suffix.lower() in _IMAGE_EXTS}
    samples = []
    for img in images:
        mask = masks.get(img.stem)
        if mask is None:
            raise DataError(mask_dir / f"{img.stem}.*", f"no mask for image {img.name}")
        h, w = image_size(img)
        inst = Instance(instance_id="1", mask_loader=partial(_grabcut_object, mask),
                        ignore_loader=partial(_grabcut_ignore, mask))
        samples.append(Sample(sample_id=img.stem, dataset=name, image_loader=partial(read_rgb, img),
                              height=h, width=w, instances=(inst,), image_path=str(img)))
    listing = [f"{images_dir}/{p.name}" for p in images] + [f"{masks_dir}/{p.name}" for p in masks.values()]
    return Dataset(name=name, root=root, split=None, samples=samples,
                   fingerprint={"listing_sha256": fingerprint_listing(listing), "files": len(listing)})


def load_grabcut(root: str | Path, split: str | None = None) -> Dataset:
    return load_grabcut_layout(root, "grabcut", "data_GT", "boundary_GT")


def load_berkeley(root: str | Path, split: str | None = None) -> Dataset:
    return load_grabcut_layout(root, "berkeley", "images", "masks")
