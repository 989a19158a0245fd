"""Box prompts: ``box`` (tight), ``box-jitter`` (noisy) and ``seem-box`` (SEEM's "box" = a click).

- `tight_box`: the object's tight box in SAM's XYXY convention, last pixel inclusive (SAM
  ``batched_mask_to_box``, SAM-HQ ``masks_to_boxes``), the box SAM-HQ's box evaluation feeds.
- `jitter_box`: SPEC §2 ``box-jitter``: each coordinate moves by ``N(0, 0.1 * side)`` capped at
  +-20 px, where ``side`` is ``x1 - x0`` for x0/x1 and ``y1 - y0`` for y0/y1 (coordinate
  differences, as SAM 2's ``sample_box_points`` measures them); the four offsets are one
  ``rng.normal(size=4)`` draw in the order x0, y0, x1, y1. The result is clamped to the image
  (``[0, W-1]``, ``[0, H-1]``) as SAM 2 does, and a side that crossed over is swapped back.
- `seem_box_region`: SEEM's released "box" mode (``SimpleClickSampler.forward_box``) fills the
  detectron2 box of the mask (``BitMasks.get_bounding_boxes``: exclusive x2 = last pixel + 1)
  and clicks the distance-transform maximum of the filled box. It also fills the box *into the
  GT tensor it later clicks against*, so in SEEM every later corrective click and the 0.925
  per-object stop are computed against the filled box, while IoU is measured against the true
  mask (``gt_masks_orisize``). seem-bench reproduces that (``seem_box_target="box"``) and
  offers ``"mask"`` to click against the object instead.

>>> m = np.zeros((5, 6), bool); m[1:3, 2:5] = True
>>> tight_box(m)
Box(x0=2, y0=1, x1=4, y1=2)
"""

from __future__ import annotations

import numpy as np

from seem_bench.prompts.types import Box


def tight_box(mask: np.ndarray) -> Box | None:
    """Tight XYXY box of ``mask`` (``bool`` (H, W)), last pixel inclusive; ``None`` if empty."""
    cols = np.flatnonzero(mask.any(axis=0))
    rows = np.flatnonzero(mask.any(axis=1))
    if cols.size == 0:
        return None
    return Box(int(cols[0]), int(rows[0]), int(cols[-1]), int(rows[-1]))


def jitter_box(box: Box, shape: tuple[int, int], rng: np.random.Generator,
               frac: float = 0.1, cap: float = 20.0) -> Box:
    """``box`` with each side moved by ``clip(N(0, frac * side), -cap, cap)`` (see module doc)."""
    h, w = shape
    bw, bh = box.x1 - box.x0, box.y1 - box.y0
    noise = rng.normal(size=4) * np.array([bw, bh, bw, bh], float) * frac
    x0, y0, x1, y1 = np.array([box.x0, box.y0, box.x1, box.y1], float) + np.clip(noise, -cap, cap)
    x0, x1 = (float(np.clip(v, 0, w - 1)) for v in (x0, x1))
    y0, y1 = (float(np.clip(v, 0, h - 1)) for v in (y0, y1))
    return Box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def seem_box_region(mask: np.ndarray) -> np.ndarray:
    """The filled detectron2 box of ``mask``, ``bool`` (H, W); all ``False`` for an empty mask."""
    out = np.zeros_like(mask, dtype=bool)
    box = tight_box(mask)
    if box is not None:
        out[box.y0:box.y1 + 1, box.x0:box.x1 + 1] = True
    return out
