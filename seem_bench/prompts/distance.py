"""Distance transforms used by the click simulators.

Both measure, for every pixel of a region, the distance to the nearest pixel *outside* it, with
the region zero-padded by one pixel first so that the image border counts as outside (RITM and
SEEM both pad). Shapes: ``mask`` is ``bool`` (H, W); results are ``float32`` (H, W), 0 outside
the region.

- `padded_dt`: Euclidean distance as RITM computes it (``cv2.distanceTransform(m, DIST_L2,
  DIST_MASK_PRECISE)``, float32). OpenCV's result carries last-bit noise that depends on its
  threading: two pixels at the same true distance sqrt(50) come out as 7.071068 *or*
  7.0710683 from one call to the next. So RITM's own argmax and its ``fn_max > fp_max`` are
  not reproducible at ties; `farthest_pixel` removes the noise.
- `farthest_pixel`: the exact rule every simulator uses: the largest *exact* distance (squared
  distances are integers, so ties are true ties) and the first pixel in row-major order that
  has it. From OpenCV's map it rounds ``d**2`` to the integer it must be for the pixels near the
  maximum (the noise is ~1e-6 relative, far below the gap between neighbouring squared
  distances); above a maximum distance of 1000 px it uses scipy's exact EDT instead.
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


def farthest_pixel(mask: np.ndarray, exclude: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> tuple[int, int, int]:
    """``(x, y, d2)``: the first pixel (row-major) with the largest exact padded distance.

    ``mask``: ``bool`` (H, W). ``exclude``: ``(ys, xs)`` pixels whose distance counts as 0
    (RITM's not-clicked map). ``d2`` is the exact squared distance, an integer; an empty (or
    fully excluded) region gives ``(0, 0, 0)``: the first pixel of an all-zero map.

    Everything runs on the region's bounding box only: the ring of pixels just outside the
    box is all non-region, and for any pixel farther out the perpendicular foot on that ring
    is a closer non-region pixel, so distances inside are unchanged. Regions whose largest
    squared distance is at most `ERODE_MAX_D2` (thin error bands: most clicks after the first)
    are settled by `_erosion_ladder` (exact, no transform); wider ones by OpenCV's transform.

    >>> m = np.zeros((5, 7), bool); m[1:4, 1:6] = True
    >>> farthest_pixel(m)
    (2, 2, 4)
    """
    box = mask_box(mask)
    if box is None:
        return 0, 0, 0
    r0, r1, c0, c1 = box
    sub = mask[r0:r1, c0:c1]
    local = None
    if exclude is not None:
        ys, xs = exclude[0] - r0, exclude[1] - c0
        inside = (ys >= 0) & (ys < sub.shape[0]) & (xs >= 0) & (xs < sub.shape[1])
        local = (ys[inside], xs[inside])
    if _thin(sub):
        x, y, d2 = _erosion_ladder(sub, local)
        return (0, 0, 0) if d2 == 0 else (c0 + x, r0 + y, d2)
    return _farthest_by_transform(sub, local, r0, c0)


def _farthest_by_transform(sub: np.ndarray, local: tuple[np.ndarray, np.ndarray] | None, r0: int, c0: int
                           ) -> tuple[int, int, int]:
    """`farthest_pixel` on the box crop ``sub`` (origin ``(r0, c0)``) by a full distance transform."""
    d = padded_dt(sub)
    if local is not None:
        d[local] = 0
    top = float(d.max())
    if top == 0.0:
        return 0, 0, 0
    w = sub.shape[1]
    if top > 1000.0:  # keep the rounding argument below safe: exact EDT for huge objects
        from scipy.ndimage import distance_transform_edt

        exact = distance_transform_edt(np.pad(sub, 1))[1:-1, 1:-1]
        if local is not None:
            exact[local] = 0
        sq = np.rint(exact.ravel() ** 2)
        flat = int(np.argmax(sq))
        return c0 + flat % w, r0 + flat // w, int(sq[flat])
    # Distinct distances near the top differ by >= 1 / (2 * top): every pixel at the true
    # maximum is within a quarter of that of OpenCV's maximum, and d**2 rounds exactly.
    cand = np.flatnonzero(d.ravel() >= top - 0.25 / top)
    sq = np.rint(np.square(d.ravel()[cand], dtype=np.float64))
    best = int(cand[int(np.argmax(sq))])  # argmax: first of the ties, cand is in row-major order
    return c0 + best % w, r0 + best // w, int(sq.max())


#: Largest squared radius for which `exceeds` erodes instead of running the full transform:
#: an erosion costs ~(2r+1)^2 operations per pixel, the precise transform a fixed ~10 ns/pixel.
ERODE_MAX_D2 = 18


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(r0, r1, c0, c1)``: the half-open bounding box of ``mask``'s pixels, ``None`` if empty.

    ``cv2.boundingRect`` on the ``uint8`` view of a ``bool`` mask (a crop too: rows may be
    strided): one pass, no copy (faster than ``any`` along both axes at 480x854).
    """
    if mask.dtype == np.bool_ and mask.ndim == 2 and mask.strides[1] == 1:
        x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
        return None if w == 0 else (y, y + h, x, x + w)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def box_union(*boxes: tuple[int, int, int, int] | None) -> tuple[int, int, int, int] | None:
    """The smallest box holding every given box (``None`` entries are empty boxes)."""
    got = [b for b in boxes if b is not None]
    if not got:
        return None
    return (min(b[0] for b in got), max(b[1] for b in got), min(b[2] for b in got), max(b[3] for b in got))


def _disk(k: int) -> np.ndarray:
    r = math.isqrt(k)
    v = np.arange(-r, r + 1)
    return (v[:, None] ** 2 + v[None, :] ** 2 <= k).astype(np.uint8)


#: Squared distances a pixel can have (sums of two squares) up to `ERODE_MAX_D2`, and for each
#: the ring kernel of the offsets at exactly that squared length.
_LADDER = [k for k in range(1, ERODE_MAX_D2 + 1)
           if any(math.isqrt(k - a * a) ** 2 == k - a * a for a in range(math.isqrt(k) + 1))]


def _ring(k: int) -> np.ndarray:
    r = math.isqrt(k)
    v = np.arange(-r, r + 1)
    return (v[:, None] ** 2 + v[None, :] ** 2 == k).astype(np.uint8)


_RINGS = {k: _ring(k) for k in _LADDER}
_SQUARE7 = np.ones((7, 7), np.uint8)


def _thin(mask: np.ndarray) -> bool:
    """Whether every pixel of ``mask`` (``bool`` (H, W)) has squared padded distance <= 18.

    A pixel at chessboard distance <= 3 from the outside is at squared distance <= 2 * 3**2 =
    18 (`ERODE_MAX_D2`): true when a 7x7 square erosion (separable, cheap) leaves nothing. False
    can still mean a maximum of 16 to 18; callers then take the exact transform either way.
    """
    if mask.size == 0:
        return True
    return cv2.countNonZero(cv2.erode(mask.view(np.uint8), _SQUARE7, borderType=cv2.BORDER_CONSTANT,
                                      borderValue=0)) == 0


def _erosion_ladder(sub: np.ndarray, exclude: tuple[np.ndarray, np.ndarray] | None
                    ) -> tuple[int, int, int]:
    """``(x, y, d2)`` in ``sub``'s coordinates for a region whose largest squared padded
    distance ``d2`` is at most `ERODE_MAX_D2` (``(0, 0, 0)``: nothing left after ``exclude``).

    ``S(k)``, the (non-excluded) pixels with squared distance > ``k``, is ``S(k')`` for the
    previous possible value ``k'`` minus the pixels that have a non-region pixel at squared
    offset exactly ``k``: one erosion by that offset ring (4 to 8 taps, outside the array
    counting as non-region), on ``S(k')``'s bounding box plus the ring's reach only. When
    ``S(k)`` is empty the maximum is ``k`` and every pixel of ``S(k')`` has it: the first one in
    row-major order is the click, the same pixel the transform's first maximum gives.
    """
    u = sub.view(np.uint8)
    alive = u.copy()
    if exclude is not None:
        alive[exclude] = 0
    box = mask_box(alive.view(np.bool_))
    if box is None:
        return 0, 0, 0
    h, w = u.shape
    r0, r1, c0, c1 = box
    alive = alive[r0:r1, c0:c1]
    for k in _LADDER:
        rad = math.isqrt(k)
        a0, a1, b0, b1 = max(r0 - rad, 0), min(r1 + rad, h), max(c0 - rad, 0), min(c1 + rad, w)
        eroded = cv2.erode(u[a0:a1, b0:b1], _RINGS[k], borderType=cv2.BORDER_CONSTANT, borderValue=0)
        nxt = cv2.bitwise_and(eroded[r0 - a0:r1 - a0, c0 - b0:c1 - b0], alive)
        nb = mask_box(nxt.view(np.bool_))
        if nb is None:
            flat = int(np.argmax(alive))
            return c0 + flat % alive.shape[1], r0 + flat // alive.shape[1], k
        alive = nxt[nb[0]:nb[1], nb[2]:nb[3]]
        r0, r1, c0, c1 = r0 + nb[0], r0 + nb[1], c0 + nb[2], c0 + nb[3]
    raise AssertionError("a region with squared distances above the ladder reached it")


def exceeds(mask: np.ndarray, k: int, exclude: tuple[np.ndarray, np.ndarray] | None = None) -> bool:
    """Whether some pixel of ``mask`` (not in ``exclude``) has exact squared padded distance > ``k``.

    The same question as ``farthest_pixel(mask, exclude)[2] > k``, answered for small ``k``
    (<= `ERODE_MAX_D2`) by one erosion: a pixel survives the erosion by the disk
    ``{v : |v|^2 <= k}`` (outside the array counting as non-region, the padding) iff no
    non-region pixel lies within squared distance ``k``, i.e. iff its squared distance is > k.
    The click rules use it to settle ``max fn > max fp`` without the loser's transform. For
    larger ``k`` a thin region (`_thin`: every squared distance <= `ERODE_MAX_D2`) answers no
    at once; only a wide one needs its transform.
    """
    if k > ERODE_MAX_D2 or k < 0:
        if k >= ERODE_MAX_D2 and _thin(mask):
            return False
        return farthest_pixel(mask, exclude)[2] > k
    box = mask_box(mask)
    if box is None:
        return False
    r0, r1, c0, c1 = box
    sub = mask[r0:r1, c0:c1].view(np.uint8)
    kept = cv2.erode(sub, _disk(k), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    if exclude is not None:
        ys, xs = exclude[0] - r0, exclude[1] - c0
        inside = (ys >= 0) & (ys < sub.shape[0]) & (xs >= 0) & (xs < sub.shape[1])
        kept[ys[inside], xs[inside]] = 0
    return cv2.countNonZero(kept) > 0


def kornia070_dt(mask: np.ndarray, h: float = 0.35, crop: bool = True) -> np.ndarray:
    """kornia 0.7.0's approximate distance transform of ``mask`` with SEEM's 1-pixel padding.

    SEEM feeds ``~pad(mask)`` as the source image, so sources are the pixels outside the region
    plus the padding ring; the value at a region pixel approximates its distance to them.
    ``mask``: ``bool`` (H, W). Returns ``float32`` (H, W).

    ``crop``: run the cascade on the region's bounding box plus a one-pixel ring only. Source
    pixels never change and the cascade stops at the same step, so every region value is the
    same as on the full image (the tests check this bit for bit); pixels outside stay 0.
    """
    import torch
    import torch.nn.functional as F

    out_full = np.zeros(mask.shape, np.float32)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return out_full
    cols = np.flatnonzero(mask.any(axis=0))
    hp, wp = mask.shape[0] + 2, mask.shape[1] + 2
    # In padded coordinates the region spans rows[0]+1 .. rows[-1]+1; keep one source ring.
    r0, r1, c0, c1 = (rows[0], rows[-1] + 3, cols[0], cols[-1] + 3) if crop else (0, hp, 0, wp)
    src = np.ones((hp, wp), np.float32)
    src[1:-1, 1:-1] = ~mask
    image = torch.from_numpy(np.ascontiguousarray(src[r0:r1, c0:c1]))[None, None]
    k_half = 1  # kernel_size 3
    # Same float32 ops in the same order as the release, so every value is reproduced exactly.
    axis = torch.linspace(0, 2, 3, dtype=torch.float32) - k_half
    gy, gx = torch.meshgrid(axis, axis, indexing="ij")
    kernel = torch.exp(torch.hypot(gx, gy) / -h)[None, None]
    out = torch.zeros_like(image)
    boundary = image.clone()
    ones = torch.ones_like(boundary)
    for i in range(math.ceil(max(hp, wp) / k_half)):  # the full image's bound; stops earlier
        cdt = F.conv2d(F.pad(boundary, [1, 1, 1, 1], mode="replicate"), kernel)
        cdt = torch.nan_to_num(-h * torch.log(cdt), posinf=0.0)
        step = torch.where(cdt > 0, 1.0, 0.0)
        if step.sum() == 0:
            break
        out += (i * 3 // 2 + cdt) * step  # the 0.7.0 offset, see the module docstring
        boundary = torch.where(step == 1, ones, boundary)
    full = np.zeros((hp, wp), np.float32)
    full[r0:r1, c0:c1] = out[0, 0].numpy()
    return full[1:-1, 1:-1]
