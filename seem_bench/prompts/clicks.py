"""Click simulators. Pure functions of (gt, pred, ignore, earlier clicks): no model, no I/O.

``ritm`` (RITM ``isegm/inference/clicker.py``, also used by SimpleClick and FocalClick):

1. ``fn = gt & ~pred & ~ignore`` and ``fp = ~gt & pred & ~ignore``.
2. Both are zero-padded by one pixel, so the image border counts as boundary, and get the exact
   Euclidean distance transform (``cv2.distanceTransform(m, cv2.DIST_L2, 0)``; float32).
3. Distances at already-clicked pixels are set to 0 (RITM multiplies by a not-clicked map).
4. The click is positive iff ``max(fn_dt) > max(fp_dt)`` (float32 compare; a tie is negative).
5. It goes to the *first* maximum of the chosen map in row-major order.

Odd cases, kept exactly as RITM has them: when both maps are all zero (perfect prediction, or
every error pixel already clicked) the click is *negative* at the first pixel whose ``fp_dt`` is
0, i.e. ``(0, 0)``. The first click is the same rule with an all-zero prediction.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from seem_bench.prompts.types import Click


def error_masks(gt: np.ndarray, pred: np.ndarray, ignore: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """False-negative and false-positive masks, ignore pixels excluded. All ``bool`` (H, W)."""
    fn = gt & ~pred
    fp = pred & ~gt
    if ignore is not None:
        fn &= ~ignore
        fp &= ~ignore
    return fn, fp


def padded_dt(mask: np.ndarray) -> np.ndarray:
    """Exact L2 distance to the nearest non-mask pixel, the image border counting as non-mask.

    ``mask``: ``bool`` (H, W). Returns ``float32`` (H, W).
    """
    padded = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), np.uint8)
    padded[1:-1, 1:-1] = mask
    return cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]


def ritm_click(gt: np.ndarray, pred: np.ndarray, ignore: np.ndarray | None = None,
               clicked: Sequence[Click] = ()) -> Click:
    """The next RITM click. ``gt``, ``pred``, ``ignore``: ``bool`` (H, W)."""
    fn, fp = error_masks(gt, pred, ignore)
    fn_dt = padded_dt(fn)
    fp_dt = padded_dt(fp)
    if clicked:
        ys = np.fromiter((c.y for c in clicked), np.intp, len(clicked))
        xs = np.fromiter((c.x for c in clicked), np.intp, len(clicked))
        fn_dt[ys, xs] = 0
        fp_dt[ys, xs] = 0
    fn_max = fn_dt.max()
    fp_max = fp_dt.max()
    positive = bool(fn_max > fp_max)
    flat = int(np.argmax(fn_dt if positive else fp_dt))  # argmax = first maximum, row-major
    y, x = divmod(flat, gt.shape[1])
    return Click(x=x, y=y, positive=positive)
