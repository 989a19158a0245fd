"""The checks a run makes on every sample it evaluates, lazily, as its pixels are read.

`data check` lists every problem of a dataset up front; a run cannot afford to decode
everything twice, so the runner wraps each sample's loaders instead: the image must decode at
the size the index gives, every mask and ignore mask must have that size, and an object mask
must not be empty where `data check` would call that a problem (an empty mask would score
IoU 1 at the first click and inflate the table). A failed check is a `DataError` naming the
file; the runner stops at it, or with ``--skip-bad-samples`` records the sample's objects as
errors. Checks run when the loop asks for the pixels, so nothing is read twice and nothing is
read that the task does not use.

>>> sample = guard_sample(dataset.samples[0], empty_is_problem=True)  # doctest: +SKIP
>>> sample.instances[0].mask()                                          # doctest: +SKIP
DataError: /data/GrabCut/boundary_GT/x.bmp: instance 1 has an empty mask
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from seem_bench.data.types import Instance, MaskLoader, Sample
from seem_bench.errors import DataError

#: Sample/instance ``meta`` keys naming the file a mask comes from (for problem lines).
MASK_KEYS = ("mask_path", "annotation_path", "panoptic_png", "inst_path")

#: Datasets whose object masks may legitimately be empty (COCO keeps degenerate annotations;
#: REFER points at COCO annotations). Elsewhere an empty object mask means the mask file and
#: the index disagree.
EMPTY_MASKS_ALLOWED = frozenset({"coco_instances", "refcoco", "refcoco+", "refcocog"})


def mask_source(sample: Sample, inst_meta: Any) -> str:
    """The file an instance's mask is read from (else the sample's image), for error lines."""
    for key in MASK_KEYS:
        if inst_meta.get(key):
            return str(inst_meta[key])
        if sample.meta.get(key):
            return str(sample.meta[key])
    return sample.image_path or sample.sample_id


def size_problem(arr: np.ndarray, sample: Sample, what: str) -> str | None:
    """The one-line problem when ``arr`` is not the sample's (H, W), else ``None``."""
    if arr.shape[:2] == (sample.height, sample.width):
        return None
    return (f"{what} is {arr.shape[1]}x{arr.shape[0]} but image {sample.sample_id} is "
            f"{sample.width}x{sample.height}")


def _checked_image(loader: Any, sample_id: str, size: tuple[int, int], where: str) -> np.ndarray:
    img = loader()
    if img.shape[:2] != size:
        raise DataError(where, f"image {sample_id} is {img.shape[1]}x{img.shape[0]} but the index "
                               f"says {size[1]}x{size[0]}")
    return img


def _checked_mask(loader: MaskLoader, sample: Sample, where: str, what: str,
                  if_empty: str | None) -> np.ndarray:
    m = loader()
    if m is None:  # an ignore loader may have nothing to ignore
        return m
    problem = size_problem(np.asarray(m), sample, what)
    if problem is not None:
        raise DataError(where, problem)
    if if_empty is not None and not np.any(m):
        raise DataError(where, if_empty)
    return m


def _guard_instance(inst: Instance, sample: Sample, empty_is_problem: bool) -> Instance:
    where = mask_source(sample, inst.meta)
    what = f"mask of instance {inst.instance_id}"
    ignore = inst.ignore_loader
    return replace(
        inst,
        mask_loader=partial(_checked_mask, inst.mask_loader, sample, where, what,
                            f"instance {inst.instance_id} has an empty mask" if empty_is_problem else None),
        ignore_loader=None if ignore is None else partial(
            _checked_mask, ignore, sample, where, f"ignore mask of instance {inst.instance_id}", None))


def guard_sample(sample: Sample, empty_is_problem: bool = True) -> Sample:
    """``sample`` with loaders that raise `DataError` for a bad image or mask (see module doc).

    Video samples are guarded frame by frame; a frame's object may be absent, so frames are
    never checked for empty masks.
    """
    if sample.frames:
        return replace(sample, frames=tuple(guard_sample(f, empty_is_problem=False) for f in sample.frames))
    bare = replace(sample, instances=())  # the loaders below need the size, not each other
    image_loader = sample.image_loader
    if image_loader is not None:
        image_loader = partial(_checked_image, image_loader, sample.sample_id,
                               (sample.height, sample.width), sample.image_path or sample.sample_id)
    return replace(sample, image_loader=image_loader,
                   instances=tuple(_guard_instance(i, bare, empty_is_problem) for i in sample.instances))
