"""Distance transforms used by the click simulators.

Both measure, for every pixel of a region, the distance to the nearest pixel *outside* it, with
the region zero-padded by one pixel first so that the image border counts as outside (RITM and
SEEM both pad). Shapes: ``mask`` is ``bool`` (H, W); results are ``float32`` (H, W), 0 outside
the region.

- `padded_dt`: exact Euclidean distance (``cv2.distanceTransform(m, DIST_L2, DIST_MASK_PRECISE)``,
  as RITM calls it). Squared distances are integers, so two pixels tie only at equal distances.
- `kornia070_dt`: the approximate cascaded-convolution transform of kornia 0.7.0
  (``kornia.contrib.distance_transform``, ``kernel_size=3, h=0.35``), the version SEEM's
  requirements pin and its evaluator calls. Kept op-for-op in float32 torch so that its values,
  and hence its argmax, match that release bit for bit, including its step offset
  ``i * kernel_size // 2`` (0, 1, 3, 4, 6, ... instead of 0, 1, 2, 3, ...), which later kornia
  releases changed. Costs one 3x3 convolution per distance step, so it is only for
  ``dt="kornia"`` runs.

>>> m = np.zeros((3, 4), bool); m[:, 1:3] = True
>>> padded_dt(m).tolist()
[[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def padded_dt(mask: np.ndarray) -> np.ndarray:
    """Exact L2 distance to the nearest non-mask pixel, the image border counting as non-mask.

    ``mask``: ``bool`` (H, W). Returns ``float32`` (H, W).
    """
    padded = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), np.uint8)
    padded[1:-1, 1:-1] = mask
    return cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]


def kornia070_dt(mask: np.ndarray, h: float = 0.35) -> np.ndarray:
    """kornia 0.7.0's approximate distance transform of ``mask`` with SEEM's 1-pixel padding.

    SEEM feeds ``~pad(mask)`` as the source image, so sources are the pixels outside the region
    plus the padding ring; the value at a region pixel approximates its distance to them.
    ``mask``: ``bool`` (H, W). Returns ``float32`` (H, W).
    """
    import torch
    import torch.nn.functional as F

    hp, wp = mask.shape[0] + 2, mask.shape[1] + 2
    src = np.ones((hp, wp), np.float32)
    src[1:-1, 1:-1] = ~mask
    image = torch.from_numpy(src)[None, None]
    k_half = 1  # kernel_size 3
    # Same float32 ops in the same order as the release, so every value is reproduced exactly.
    axis = torch.linspace(0, 2, 3, dtype=torch.float32) - k_half
    gy, gx = torch.meshgrid(axis, axis, indexing="ij")
    kernel = torch.exp(torch.hypot(gx, gy) / -h)[None, None]
    out = torch.zeros_like(image)
    boundary = image.clone()
    ones = torch.ones_like(boundary)
    for i in range(math.ceil(max(hp, wp) / k_half)):
        cdt = F.conv2d(F.pad(boundary, [1, 1, 1, 1], mode="replicate"), kernel)
        cdt = torch.nan_to_num(-h * torch.log(cdt), posinf=0.0)
        step = torch.where(cdt > 0, 1.0, 0.0)
        if step.sum() == 0:
            break
        out += (i * 3 // 2 + cdt) * step  # the 0.7.0 offset, see the module docstring
        boundary = torch.where(step == 1, ones, boundary)
    return out[0, 0, 1:-1, 1:-1].numpy()
