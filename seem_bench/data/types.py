"""The one record type every loader yields.

A `Sample` is one image (or one video: then ``frames`` holds one `Sample` per frame) with the
instances to be segmented in it. Pixels are loaded lazily through picklable callables
(module-level functions bound with `functools.partial`), so a dataset of 100k samples costs only
its index in memory and can be shipped to worker processes.

Conventions: images are ``uint8`` arrays of shape (H, W, 3) in RGB order; masks are ``bool``
arrays of shape (H, W); boxes are ``(x, y, w, h)`` in pixels (COCO order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MaskLoader = Callable[[], np.ndarray]
ImageLoader = Callable[[], np.ndarray]


@dataclass(frozen=True)
class Instance:
    """One object to segment.

    Attributes:
        instance_id: stable id within its sample (string, e.g. the COCO annotation id).
        mask_loader: returns the object's mask, ``bool`` (H, W).
        ignore_loader: returns pixels excluded from IoU (``bool`` (H, W)), or ``None``.
        category_id: dataset category id, ``None`` where the dataset has none (GrabCut).
        iscrowd: COCO crowd flag.
        bbox: ``(x, y, w, h)`` as stored by the dataset, if it stores one.
        area: area as stored by the dataset (COCO JSON), if it stores one.
        sentences: referring expressions, in dataset order.
        meta: dataset-specific extras (``ref_id``, ``sent_ids``, ...).
    """

    instance_id: str
    mask_loader: MaskLoader = field(repr=False, compare=False)
    ignore_loader: MaskLoader | None = field(default=None, repr=False, compare=False)
    category_id: int | None = None
    iscrowd: bool = False
    bbox: tuple[float, float, float, float] | None = None
    area: float | None = None
    sentences: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def mask(self) -> np.ndarray:
        """The object mask, ``bool`` (H, W)."""
        return np.asarray(self.mask_loader(), dtype=bool)

    def ignore(self) -> np.ndarray | None:
        """Pixels excluded from evaluation, ``bool`` (H, W), or ``None``."""
        if self.ignore_loader is None:
            return None
        ign = self.ignore_loader()
        return None if ign is None else np.asarray(ign, dtype=bool)


@dataclass(frozen=True)
class Sample:
    """One image (or one video) with its instances.

    Attributes:
        sample_id: stable id, unique within the dataset split (e.g. the COCO image id or
            ``"<seq>/<frame>"``); part of every record key and of every prompt seed.
        dataset: registry name of the dataset that produced it.
        image_loader: returns the RGB image, ``uint8`` (H, W, 3).
        height, width: image size in pixels.
        instances: the objects to segment.
        image_path: where the image came from (for records and error messages).
        frames: for videos, one `Sample` per frame in temporal order; empty for images.
        targets: lazy dataset-level targets, e.g. ``{"panoptic": loader, "semantic": loader}``.
        meta: dataset-specific extras.
    """

    sample_id: str
    dataset: str
    image_loader: ImageLoader | None = field(repr=False, compare=False)
    height: int
    width: int
    instances: tuple[Instance, ...] = ()
    image_path: str | None = None
    frames: tuple[Sample, ...] = ()
    targets: Mapping[str, Callable[[], Any]] = field(default_factory=dict, repr=False, compare=False)
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def image(self) -> np.ndarray:
        """The RGB image, ``uint8`` (H, W, 3)."""
        if self.image_loader is None:
            raise ValueError(f"sample {self.sample_id!r} is a video: use .frames")
        return self.image_loader()


@dataclass
class Dataset:
    """A loaded dataset split: its samples plus what identifies exactly what was read.

    Attributes:
        name: registry name (``"grabcut"``, ``"coco_panoptic"``, ...).
        root: the directory it was read from.
        split: split name, or ``None`` for single-split sets.
        samples: the samples in a stable order (sorted by ``sample_id`` unless the dataset
            defines an order, e.g. an official list file).
        fingerprint: ``{"files": {relative path: sha256}, "subset": {...}}`` for the run record.
        categories: ``{category_id: {"name": ..., "isthing": ...}}`` where the dataset has them.
    """

    name: str
    root: Path
    split: str | None
    samples: Sequence[Sample]
    fingerprint: dict[str, Any] = field(default_factory=dict)
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.samples)

    def __iter__(self):
        return iter(self.samples)
