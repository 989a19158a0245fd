"""Sampled clicks: a parametric, seeded model of where a user clicks inside the error region.

The base protocol (``ritm``, ``seem``, ``sam``) still decides everything but the position: the
polarity and the error region (`seem_bench.prompts.clicks.ClickChoice`). The position is drawn
inside that region with probability proportional to ``DT(p) ** gamma``, where ``DT`` is the
exact Euclidean distance to the region's boundary with the image border counting as boundary
(the same 1-px padded transform the deterministic rule maximises):

- ``gamma = inf`` (``None``, ``"inf"``) is the deterministic protocol itself (its first maximum
  in row-major order), bit for bit;
- a large finite ``gamma`` concentrates on the maxima: the deterministic click when the maximum
  is unique, a uniform pick among tied maxima otherwise (the limit of the distribution; the
  deterministic rule's "first in row-major order" is a tie-break, not a user model);
- ``gamma = 0`` is uniform over the region.

Pixels the rule never clicks (RITM: earlier clicks) have weight 0. ``sigma > 0`` then displaces
the drawn pixel by Gaussian noise (``sigma`` pixels per axis, rounded half to even) and keeps
it inside the region by rejection: up to `NOISE_TRIES` displacements are drawn and the first
that lands on an allowed pixel of the region is kept; if none does, the undisplaced pixel is.
So a click never leaves the region.

Exactness: distances are exact squared integers (scipy's EDT, rounded), the weights are
``exp(gamma / 2 * (log d2 - log max d2))`` in float64 (no overflow for any ``gamma``), and the
draw inverts their row-major cumulative sum with one ``rng.random()``; every number comes from
the generator the caller passes, which `seem_bench.prompts.seeding.prompt_rng` seeds per (run
seed, sample, object, round, draw), so draws do not depend on workers, shards, batching or
resume.

Idea after RClicks (Antonov et al., NeurIPS 2024, arXiv:2410.11722: realistic click positions
from a crowd study) and TETRIS (Moskalenko et al., AAAI 2024, arXiv:2402.06132: adversarial
click positions found with gradients); RClicks' learned clickability model is not shipped: this
is a parametric family, and the worst case is black-box (`seem_bench.loops.interactive`).

>>> region = np.zeros((5, 7), bool); region[1:4, 2:5] = True
>>> sample_click_position(region, np.random.default_rng(0), gamma=1e6)   # unique maximum
(3, 2)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from seem_bench.prompts.sampling import (  # noqa: F401 (re-exported: the settings live there)
    SAMPLING_PARAMS,
    Sampling,
    parse_gamma,
    parse_sigma,
    sampling_from,
)
from seem_bench.prompts.types import Click

if TYPE_CHECKING:  # only a type here: clicks imports OpenCV
    from seem_bench.prompts.clicks import ClickChoice

#: Gaussian displacements tried before the undisplaced pixel is kept (see the module docstring).
NOISE_TRIES = 64


def squared_distances(region: np.ndarray) -> np.ndarray:
    """Exact squared padded distances (``int64`` (H, W), 0 outside ``region``).

    The same quantity `seem_bench.prompts.distance.farthest_pixel` maximises, computed with
    scipy's exact EDT so that equal distances are equal integers (no float noise).
    """
    from scipy.ndimage import distance_transform_edt  # lazy: keeps the CLI's start-up light

    d = distance_transform_edt(np.pad(region, 1))[1:-1, 1:-1]
    return np.rint(np.square(d)).astype(np.int64)


def click_weights(region: np.ndarray, gamma: float,
                  exclude: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``float64`` (H, W) unnormalised weights ``DT ** gamma`` (max 1), 0 outside the region
    and at ``exclude`` pixels ``(ys, xs)``."""
    d2 = squared_distances(region).astype(np.float64)
    if exclude is not None:
        d2[exclude] = 0.0
    w = np.zeros(region.shape, np.float64)
    inside = d2 > 0
    if not inside.any():
        return w
    if gamma == 0:
        w[inside] = 1.0
        return w
    log_d2 = np.log(d2[inside])
    w[inside] = np.exp(0.5 * gamma * (log_d2 - log_d2.max()))
    return w


def sample_click_position(region: np.ndarray, rng: np.random.Generator, *, gamma: float,
                          sigma: float = 0.0, exclude: tuple[np.ndarray, np.ndarray] | None = None
                          ) -> tuple[int, int] | None:
    """``(x, y)`` drawn in ``region`` (``bool`` (H, W)) as the module docstring says; ``None``
    when no pixel of the region may be clicked."""
    w = click_weights(region, gamma, exclude)
    flat = np.flatnonzero(w.ravel())
    if flat.size == 0:
        return None
    cdf = np.cumsum(w.ravel()[flat])
    i = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), flat.size - 1)
    y, x = divmod(int(flat[i]), region.shape[1])
    if sigma > 0:
        allowed = region.copy()  # weight 0 after underflow (large gamma) is still clickable
        if exclude is not None:
            allowed[exclude] = False
        h, wd = region.shape
        for _ in range(NOISE_TRIES):
            dx, dy = rng.normal(0.0, sigma, 2)
            nx, ny = int(np.rint(x + dx)), int(np.rint(y + dy))
            if 0 <= nx < wd and 0 <= ny < h and allowed[ny, nx]:
                return nx, ny
    return x, y


def sampled_click(choice: ClickChoice, rng: np.random.Generator, *, gamma: float,
                  sigma: float = 0.0) -> Click | None:
    """The protocol's choice with its position drawn; the deterministic click where the rule's
    click has no region (RITM's (0, 0) case) or nothing in it may be clicked."""
    if choice.click is None or choice.region is None:
        return choice.click
    pos = sample_click_position(choice.region, rng, gamma=gamma, sigma=sigma, exclude=choice.exclude)
    if pos is None:
        return choice.click
    return Click(pos[0], pos[1], choice.click.positive)
