"""Click simulators. Pure functions of (gt, pred, ignore, earlier prompts): no model, no I/O.

Every simulator takes ``gt``, ``pred``, ``ignore`` as ``bool`` (H, W) arrays and the earlier
clicks, and returns the next `Click` (``x`` = column, ``y`` = row) or ``None`` when the rule
places no click (only with ``negatives=False`` and nothing left to correct).

``ritm`` (RITM ``isegm/inference/clicker.py``, also SimpleClick and FocalClick):

1. ``fn = gt & ~pred & ~ignore`` and ``fp = ~gt & pred & ~ignore``.
2. Both are zero-padded by one pixel, so the image border counts as boundary, and get the exact
   Euclidean distance transform (RITM calls ``cv2.distanceTransform(m, cv2.DIST_L2, 0)``, whose
   float32 output has thread-dependent last-bit noise; seem-bench compares exact distances, see
   `seem_bench.prompts.distance.farthest_pixel`).
3. Distances at already-clicked pixels are set to 0 (RITM multiplies by a not-clicked map).
4. The click is positive iff ``max(fn_dt) > max(fp_dt)`` (a tie is negative).
5. It goes to the *first* maximum of the chosen map in row-major order.

Odd cases, kept as RITM has them: when both maps are all zero (perfect prediction, or every
error pixel already clicked) the click is *negative* at the first pixel whose ``fp_dt`` is 0,
i.e. ``(0, 0)``, even if (0, 0) was clicked before. The first click is the same rule with an
all-zero prediction.

``seem`` (SEEM's released evaluator: ``SimpleClickSampler`` "best" mode and
``prepare_next_spaital_mask`` in ``seem_model_v1.py``):

1. ``prompted`` = every pixel already given as a prompt: the (2r+1)^2 squares drawn around
   earlier clicks (r = 1, SEEM's 3x3 dilation) plus any first-prompt shape (scribble, polygon).
2. ``fn = gt & ~pred & ~prompted`` and ``fp = ~gt & pred & ~prompted``. Ignore pixels are *not*
   excluded: SEEM's sampler gets binary instance masks in which void (VOC 255) is background,
   so a void pixel predicted as object is a false positive for the click (its IoU, like
   seem-bench's, excludes void).
3. Positive iff ``|fn| > |fp|`` by pixel count; a tie (0 = 0 included) is negative.
4. The chosen region's distance transform with 1-px zero padding (exact, or kornia 0.7.0's
   approximation with ``dt="kornia"``); the click goes to its first maximum in row-major
   order. An empty region has all-zero distances, so the click is at (0, 0).
5. The per-object stop (no new click once IoU >= 0.925) and the image-level stop are loop
   rules: see `seem_bench.loops.interactive`.

``sam`` (SAM paper App. D.1): the paper fixes only "the point farthest from the boundary of
the error region" (first: of the object). It says nothing about ties, the image border or
repeated pixels, so seem-bench uses RITM's choices for all three: ``sam`` places the same
clicks as ``ritm``. ``sam-random`` draws the first point uniformly among the object's pixels.

>>> gt = np.zeros((6, 6), bool); gt[1:5, 1:5] = True
>>> ritm_click(gt, np.zeros_like(gt))
Click(x=2, y=2, positive=True)
>>> seem_click(gt, np.zeros_like(gt))
Click(x=2, y=2, positive=True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from seem_bench.errors import UsageError
from seem_bench.prompts.distance import exceeds, farthest_pixel, kornia070_dt, padded_dt
from seem_bench.prompts.types import Click

__all__ = ["ClickChoice", "click_squares", "error_masks", "padded_dt", "ritm_choice", "ritm_click",
           "sam_random_click", "seem_choice", "seem_click"]


def error_masks(gt: np.ndarray, pred: np.ndarray, ignore: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """False-negative and false-positive masks, ignore pixels excluded. All ``bool`` (H, W)."""
    # On bool arrays ``a > b`` is ``a & ~b``: one pass each instead of three.
    if ignore is None:
        return gt > pred, pred > gt
    return gt > (pred | ignore), pred > (gt | ignore)


def click_squares(shape: tuple[int, int], clicks: Sequence[Click], radius: int,
                  origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """``bool`` (H, W): the (2r+1) x (2r+1) square around each click, clipped to the image.

    ``radius=1`` is SEEM's 3x3 blob (a 3x3 ones convolution of the click map, ``> 0``).
    ``origin``: ``(row, col)`` of this array's top-left pixel in the frame the clicks are in (a
    crop); squares are clipped to the crop.
    """
    out = np.zeros(shape, bool)
    r0, c0 = origin
    for c in clicks:
        y1, x1 = c.y - r0 + radius + 1, c.x - c0 + radius + 1
        if y1 > 0 and x1 > 0:  # a negative stop would wrap around
            out[max(c.y - r0 - radius, 0):y1, max(c.x - c0 - radius, 0):x1] = True
    return out


@dataclass(frozen=True)
class ClickChoice:
    """What a protocol decided for one round, before a click position is fixed.

    ``click`` is the deterministic protocol's click (``None``: no click). ``region`` is the error
    region the click is taken from (``bool`` (H, W); its padded distance transform ranks the
    pixels) and ``exclude`` the ``(ys, xs)`` pixels of it never clicked (RITM: earlier clicks), or ``None``.
    ``region`` is ``None`` when the rule's click does not come from a region (RITM's all-zero
    case at (0, 0)): sampled clicks then keep the deterministic click.
    """

    click: Click | None
    region: np.ndarray | None = field(default=None, repr=False)
    exclude: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)


def _clicked_pixels(clicked: Sequence[Click], origin: tuple[int, int] = (0, 0)
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    if not clicked:
        return None
    return (np.fromiter((c.y - origin[0] for c in clicked), np.intp, len(clicked)),
            np.fromiter((c.x - origin[1] for c in clicked), np.intp, len(clicked)))


def _at(x: int, y: int, positive: bool, origin: tuple[int, int]) -> Click:
    return Click(x + origin[1], y + origin[0], positive)


def ritm_choice(gt: np.ndarray, pred: np.ndarray, ignore: np.ndarray | None = None,
                clicked: Sequence[Click] = (), *, negatives: bool = True,
                origin: tuple[int, int] = (0, 0), **_: object) -> ClickChoice:
    """RITM's decision for the next click (see `ritm_click`), with the region it comes from.

    ``origin``: the arrays are a crop of the frame with top-left pixel ``(row, col)``, holding
    every GT, prediction and ignore pixel (the loop passes the bounding box of their union):
    the click comes back in frame coordinates, the same as on the full frame (every distance is
    taken inside the region's own bounding box anyway), and ``region``/``exclude`` in the crop's.

    Only the winner's distance transform is computed in full when the loser's maximum can be
    settled by one erosion (`exceeds`): the larger region goes first, then the other is asked
    whether it beats (FN) or reaches (FP) that maximum.
    """
    fn, fp = error_masks(gt, pred, ignore)
    done = _clicked_pixels(clicked, origin)
    if not negatives:
        fx, fy, fn_d2 = farthest_pixel(fn, done)
        return ClickChoice(_at(fx, fy, True, origin), fn, done) if fn_d2 > 0 else ClickChoice(None)
    # positive iff max fn > max fp (a tie is negative); same decision in either order. The
    # larger region is likelier to win; on equal areas FP first, as a tie is negative.
    if np.count_nonzero(fn) > np.count_nonzero(fp):
        fx, fy, fn_d2 = farthest_pixel(fn, done)
        if fn_d2 > 0 and not exceeds(fp, fn_d2 - 1, done):  # no FP pixel reaches max fn
            return ClickChoice(_at(fx, fy, True, origin), fn, done)
        px, py, fp_d2 = farthest_pixel(fp, done)
    else:
        px, py, fp_d2 = farthest_pixel(fp, done)
        if exceeds(fn, fp_d2, done):
            fx, fy, _ = farthest_pixel(fn, done)
            return ClickChoice(_at(fx, fy, True, origin), fn, done)
    if fp_d2 == 0:  # both maps empty (or fully clicked): RITM's negative click at (0, 0)
        return ClickChoice(Click(0, 0, False))
    return ClickChoice(_at(px, py, False, origin), fp, done)  # a tie is negative


def ritm_click(gt: np.ndarray, pred: np.ndarray, ignore: np.ndarray | None = None,
               clicked: Sequence[Click] = (), *, negatives: bool = True,
               origin: tuple[int, int] = (0, 0), **_: object) -> Click | None:
    """The next RITM click. ``gt``, ``pred``, ``ignore``: ``bool`` (H, W).

    ``negatives=False`` (SEEM's "Negative" ablation applied to this clicker): the click is
    always taken from the FN map; ``None`` when no unclicked FN pixel is left. ``origin``: the
    arrays are a crop (see `ritm_choice`).
    """
    return ritm_choice(gt, pred, ignore, clicked, negatives=negatives, origin=origin).click


def seem_choice(gt: np.ndarray, pred: np.ndarray, ignore: np.ndarray | None = None,
                clicked: Sequence[Click] = (), *, prompted: np.ndarray | None = None,
                dt: str = "exact", blob_radius: int = 1, negatives: bool = True,
                origin: tuple[int, int] = (0, 0), **_: object) -> ClickChoice:
    """SEEM's decision for the next click (see `seem_click`), with the region it comes from.

    ``origin``: the arrays (``prompted`` too) are a crop holding every GT and prediction pixel
    (see `ritm_choice`); the click comes back in frame coordinates. Both transforms give the
    same values on any crop that holds the region's bounding box (`kornia070_dt` crops itself).
    """
    if dt not in ("exact", "kornia"):
        raise UsageError(f"seem protocol: dt must be 'exact' or 'kornia', got {dt!r}")
    done = click_squares(gt.shape, clicked, blob_radius, origin)
    if prompted is not None:
        done |= prompted
    fn = gt & ~pred & ~done  # no ignore here: see the module docstring
    fp = pred & ~gt & ~done
    fn_area = np.count_nonzero(fn)
    if negatives:
        positive = fn_area > np.count_nonzero(fp)
    elif fn_area:
        positive = True
    else:
        return ClickChoice(None)
    region = fn if positive else fp
    if dt == "exact":
        x, y, _ = farthest_pixel(region)
    else:
        dist = kornia070_dt(region)
        y, x = divmod(int(np.argmax(dist)), dist.shape[1])  # first maximum of the float32 map
    if not region.any():  # all-zero distances: the first pixel of the frame
        return ClickChoice(Click(0, 0, bool(positive)))
    return ClickChoice(_at(x, y, bool(positive), origin), region)


def seem_click(gt: np.ndarray, pred: np.ndarray, ignore: np.ndarray | None = None,
               clicked: Sequence[Click] = (), *, prompted: np.ndarray | None = None,
               dt: str = "exact", blob_radius: int = 1, negatives: bool = True,
               origin: tuple[int, int] = (0, 0), **_: object) -> Click | None:
    """The next click of SEEM's released evaluator (see the module docstring).

    Args:
        gt, pred: ``bool`` (H, W).
        ignore: accepted for a uniform signature and unused (SEEM treats void as background).
        clicked: earlier clicks; their ``blob_radius`` squares count as prompted.
        prompted: other already-prompted pixels (a first scribble or polygon), ``bool`` (H, W).
        dt: ``"exact"`` (Euclidean) or ``"kornia"`` (kornia 0.7.0's approximation, as SEEM ran).
        negatives: ``False`` takes the FN region whatever the areas; ``None`` if it is empty.
        origin: the arrays are a crop with this top-left ``(row, col)`` (see `seem_choice`).
    """
    return seem_choice(gt, pred, ignore, clicked, prompted=prompted, dt=dt,
                       blob_radius=blob_radius, negatives=negatives, origin=origin).click


def sam_random_click(gt: np.ndarray, ignore: np.ndarray | None, rng: np.random.Generator
                     ) -> Click:
    """``sam-random`` first point: a uniformly random object pixel (ignore pixels excluded).

    The candidates are the object's pixels in row-major order; ``rng.integers(n)`` picks one.
    """
    cand = gt if ignore is None else gt & ~ignore
    flat = np.flatnonzero(cand)
    if flat.size == 0:
        return Click(0, 0, False)  # nothing to click on: same as ritm's all-zero case
    y, x = divmod(int(flat[rng.integers(flat.size)]), gt.shape[1])
    return Click(x, y, True)
