"""``coco_interactive``: COCO panoptic val2017 segments on a fixed, documented image subset.

The SEEM paper's COCO interactive rows use a 600-image "COCO-mini" that was never released
(UX-Decoder/Segment-Everything-Everywhere-All-At-Once #127). This set is **not the paper's
subset**; it is seem-bench's own, drawn by a stated rule so that anyone holding COCO gets the
same images:

- **v1 rule.** Eligible images: every image of the split with at least one non-crowd segment.
  Each eligible image gets the key ``sha256("seem-bench/coco-interactive/v1/seed=0/" + str(image_id))``
  (hex); the 600 images with the smallest keys are kept (all of them when there are fewer), in
  ascending image id. The rule depends only on the image ids, not on file order.
- **Instances.** Every non-crowd segment, things and stuff, as SEEM's COCO panoptic interactive
  mapper samples them (``coco_panoptic_interactive_dataset_mapper.py``: ``if not
  segment_info["iscrowd"]``); nothing is ignored in IoU.

The selected ids and their sha256 (of the ids, one per line in order, each followed by
``\\n``) go into the dataset fingerprint, hence into every run record;
``seem-bench data stats coco_interactive --root DIR --ids`` prints the ids (a subset file).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from seem_bench.data.coco import build_coco_panoptic
from seem_bench.data.problems import STRICT, Problems
from seem_bench.data.types import Dataset, Sample

SUBSET_VERSION = "v1"
SUBSET_SIZE = 600
SUBSET_SEED = 0
LABEL = "not the paper's subset"


def subset_key(image_id: int, version: str = SUBSET_VERSION, seed: int = SUBSET_SEED) -> str:
    """The rule's sort key of one image id.

    >>> subset_key(139)[:12]
    '53ac71c0bdb8'
    """
    return hashlib.sha256(f"seem-bench/coco-interactive/{version}/seed={seed}/{image_id}".encode()).hexdigest()


def select_image_ids(image_ids: list[int], n: int = SUBSET_SIZE) -> list[int]:
    """The ``n`` ids with the smallest `subset_key`, ascending by id."""
    return sorted(sorted(set(image_ids), key=subset_key)[:n])


def ids_sha256(ids: list[int]) -> str:
    """sha256 of the id list as a subset file holds it (one id per line)."""
    return hashlib.sha256("".join(f"{i}\n" for i in ids).encode()).hexdigest()


def build_coco_interactive(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    """COCO panoptic ``split`` (default val2017) reduced to the v1 subset and its non-crowd segments."""
    pan = build_coco_panoptic(root, split, problems, name="coco_interactive")
    eligible: dict[int, Sample] = {}
    for s in pan.samples:
        insts = tuple(i for i in s.instances if not i.iscrowd)
        if insts:
            eligible[int(s.sample_id)] = replace(s, instances=insts)
    ids = select_image_ids(list(eligible), SUBSET_SIZE)
    if not ids:
        problems.add(root, f"split {pan.split} has no image with a non-crowd segment")
    fp = {**pan.fingerprint, "subset": {"rule": f"coco-interactive {SUBSET_VERSION}", "size": SUBSET_SIZE,
                                        "seed": SUBSET_SEED, "ids": len(ids), "sha256": ids_sha256(ids)}}
    return replace(pan, samples=[eligible[i] for i in ids], fingerprint=fp)


def load_coco_interactive(root: str | Path, split: str | None = None) -> Dataset:
    """``coco_interactive``: the v1 600-image subset of COCO panoptic val2017, non-crowd segments."""
    return build_coco_interactive(Path(root), split)
