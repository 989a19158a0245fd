"""``seem-official``: SEEM's own interactive evaluator, rule for rule, on the network grid.

The plain ``seem`` protocol applies SEEM's click rule at the image's original resolution and
maps each click to the network grid. SEEM's released evaluator (VOC "Point", commit 7b2e76d)
does everything on the grid instead. This module holds the pure parts of that evaluator; the
loop that batches objects and decodes is `seem_bench.loops.seem_official`. File:line below are
at 7b2e76d; ``seem_model_v1.py`` is ``modeling/architectures/seem_model_v1.py``.

1. Ground truth on the grid: ``cv2.resize(float64 mask, (w', h'), INTER_CUBIC)`` then *any
   non-zero value* is object (``.astype(np.bool)``, ``pascalvoc_dataset_mapper_ix.py:165-167``).
   Bicubic ringing (positive and negative) makes about two pixels around the object true, so
   the grid object is larger than the resized one. Void is background here. The grid is the
   resized image (``h' x w'``); later rounds work on it zero-padded to the model's size
   divisibility (``Hp x Wp``, ``Spatial_ImageList.from_tensors``).
2. First click (``simpleclick_sampler.py:51-93``): kornia 0.7.0's distance transform of the grid
   GT, zero-padded by one pixel, first maximum in flattened order; always positive, drawn as a
   3x3 blob clipped to the *unpadded* grid (the blob is drawn before padding).
3. Prediction for clicking (``seem_model_v1.py:967``): the decoder's low-resolution logits
   ``prev_mask`` upsampled bilinearly (``align_corners=False``) straight to ``Hp x Wp``,
   ``sigmoid > 0.5`` in the logits' dtype.
4. Next click (``seem_model_v1.py:963-1012``): `seem_bench.prompts.clicks.seem_click` with
   ``dt="kornia"`` applied to the padded grid, "prompted" = every pixel of the object's positive
   or negative prompt masks so far. The padding counts: a prediction spilling into it is a false
   positive there, and a click can land in it.
5. Keep rule (``seem_model_v1.py:975,1000-1001``): no new click once
   ``I / (U + 1e-8) >= 0.925`` in float32 on the padded grid against the grid GT, void not
   excluded (`seem_bench.loops.interactive.seem_keep_iou`).
6. Reported IoU (``seem_model_v1.py:492-497``): logits upsampled to ``Hp x Wp``, cropped to
   ``h' x w'``, upsampled bilinearly to the original size, ``sigmoid > 0.5``; IoU with void
   excluded (``modeling/utils/misc.py`` ``get_iou``).
7. Entry stop (``seem_model_v1.py:498-500``): when every object *of the batch* has IoU > 0.9,
   the last IoUs fill the remaining rounds. Objects are batched five per dataset entry in
   ascending VOC grey id (``register_pascalvoc_eval.py:46-56``): the batch shares the decoder's
   512-point prompt sampling cap (``modeling/utils/interactive.py:10-26``) and its spatial memory
   tokens (``attention_data_struct_seemv1.py:185-190``), so batching changes the masks.

Shapes: grid arrays are ``bool`` (n, h', w') or (n, Hp, Wp); clicks are `GridClick` with
``x`` (column) and ``y`` (row) on the grid.

>>> g = grid_gt(np.pad(np.ones((4, 4), bool), 4), (6, 6))  # 12x12 -> 6x6: 2x2 when resized
>>> int(g.sum())  # cubic ringing grows it to 4x4 on the grid
16
>>> first_grid_click(g)
GridClick(x=2, y=2, positive=True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from seem_bench.prompts.clicks import click_squares, seem_click
from seem_bench.prompts.distance import kornia070_dt
from seem_bench.prompts.types import Click

#: Objects per dataset entry in SEEM's VOC registration (``slice_size = 5``).
BATCH_SIZE = 5
#: SEEM's ``STROKE_SAMPLER.DILATION`` 3: a click is the 3x3 square around its cell.
BLOB_RADIUS = 1


@dataclass(frozen=True)
class GridClick:
    """A click on the network grid: ``x`` column, ``y`` row, ``positive``."""

    x: int
    y: int
    positive: bool

    def to_json(self) -> list[Any]:
        return [self.x, self.y, self.positive]


def grid_gt(mask: np.ndarray, net_hw: tuple[int, int]) -> np.ndarray:
    """The object on the network grid as SEEM's VOC mapper makes it: ``bool`` (h', w').

    ``cv2.resize`` of the 0/1 mask as float64 with ``INTER_CUBIC``, then every non-zero value
    (ringing included, of either sign) is object.
    """
    h, w = net_hw
    resized = cv2.resize(np.asarray(mask, np.float64), (int(w), int(h)), interpolation=cv2.INTER_CUBIC)
    return resized != 0


def pad_grid(a: np.ndarray, pad_hw: tuple[int, int]) -> np.ndarray:
    """Zero-pad the last two axes at the bottom/right to ``pad_hw`` (detectron2's ImageList)."""
    out = np.zeros((*a.shape[:-2], *pad_hw), a.dtype)
    out[..., :a.shape[-2], :a.shape[-1]] = a
    return out


def first_grid_click(gt: np.ndarray) -> GridClick:
    """``SimpleClickSampler.forward_point``: first maximum of the padded kornia DT of ``gt``.

    ``gt``: ``bool`` (h', w'), the unpadded grid GT. Always positive; an empty GT gives (0, 0).
    """
    dist = kornia070_dt(np.asarray(gt, bool))
    y, x = divmod(int(np.argmax(dist)), dist.shape[1])
    return GridClick(x, y, True)


def first_blob(gt: np.ndarray, click: GridClick, pad_hw: tuple[int, int]) -> np.ndarray:
    """The first click's 3x3 blob, clipped to the unpadded grid, then padded: ``bool`` (Hp, Wp)."""
    blob = click_squares(gt.shape, [Click(click.x, click.y, True)], BLOB_RADIUS)
    return pad_grid(blob, pad_hw)


def next_grid_click(gt_pad: np.ndarray, pred_pad: np.ndarray, prompted: np.ndarray) -> GridClick:
    """``prepare_next_spaital_mask`` (mode ``best``) for one object, all ``bool`` (Hp, Wp).

    ``prompted``: the object's positive | negative prompt masks so far. The rule is
    `seem_click` with kornia's DT (sign by FN area > FP area, tie negative; an empty region gives
    (0, 0)); the keep rule is the caller's (`seem_bench.loops.interactive.seem_keep_iou`).
    """
    c = seem_click(gt_pad, pred_pad, None, (), prompted=prompted, dt="kornia", blob_radius=0)
    return GridClick(c.x, c.y, c.positive)


def add_blob(pos: np.ndarray, neg: np.ndarray, click: GridClick) -> None:
    """Draw ``click``'s 3x3 blob (clipped to the padded grid) into ``pos`` or ``neg`` in place."""
    blob = click_squares(pos.shape, [Click(click.x, click.y, click.positive)], BLOB_RADIUS)
    (pos if click.positive else neg)[blob] = True


def grid_predictions(prev_mask: Any, pad_hw: tuple[int, int], net_hw: tuple[int, int],
                     orig_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Grid and original-size predictions from the decoder's ``prev_mask``.

    ``prev_mask``: torch tensor (1, n, h4, w4) of logits. Returns ``bool`` (n, Hp, Wp) (for
    clicking and the keep rule) and ``bool`` (n, H, W) (for the reported IoU), computed with
    the same torch calls as ``evaluate_interactive`` / ``prepare_next_spaital_mask``.
    """
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        up = F.interpolate(prev_mask, size=tuple(pad_hw), mode="bilinear", align_corners=False)
        grid = (up.sigmoid() > 0.5)[0]
        h, w = net_hw
        orig = F.interpolate(up[:, :, :h, :w], size=tuple(orig_hw), mode="bilinear",
                             align_corners=False)[0].sigmoid() > 0.5
    return grid.cpu().numpy(), orig.cpu().numpy()


def batches(items: Sequence[Any], size: int = BATCH_SIZE) -> list[Sequence[Any]]:
    """``items`` in consecutive slices of ``size`` (SEEM's dataset entries)."""
    if size < 1:
        raise ValueError(f"batch size must be >= 1, got {size}")
    return [items[i:i + size] for i in range(0, len(items), size)]
