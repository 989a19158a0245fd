"""Mask IoU with ignore regions (RITM ``get_iou`` semantics)."""

from __future__ import annotations

import numpy as np


def mask_iou(gt: np.ndarray, pred: np.ndarray, ignore: np.ndarray | None = None) -> float:
    """IoU of two ``bool`` (H, W) masks, pixels in ``ignore`` excluded from I and U.

    An empty union (no object, no prediction) gives 1.0: RITM returns NaN there, which would
    poison means; seem-bench records the convention in every run header.

    >>> a = np.zeros((4, 4), bool); a[:2] = True
    >>> mask_iou(a, a)
    1.0
    """
    if ignore is None:
        inter = np.count_nonzero(gt & pred)
        union = np.count_nonzero(gt | pred)
    else:
        valid = ~ignore
        inter = np.count_nonzero(gt & pred & valid)
        union = np.count_nonzero((gt | pred) & valid)
    return 1.0 if union == 0 else float(inter / union)


#: Recorded in run headers: the value `mask_iou` returns when the union is empty.
EMPTY_UNION_IOU = 1.0
