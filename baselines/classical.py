"""Weight-free classical baselines: OpenCV GrabCut and scikit-image's random walker.

Both turn clicks into seeds: a positive click marks a disk of radius ``max(2, 1% of min(H, W))``
as sure foreground, a negative click the same disk as sure background. With ``memory`` on, the
previous round's mask initialises the next (GrabCut: probable FG/BG; random walker: unchanged,
it has no state to carry). Both are deterministic: GrabCut's k-means RNG is re-seeded per call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.prompts.types import Prompts
from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")

# OpenCV is imported inside the functions that use it: `seem-bench models` lists these classes
# without loading it (CLI start-up).


def _seed_disks(shape: tuple[int, int], prompts: Prompts, radius: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    fg = np.zeros(shape, np.uint8)
    bg = np.zeros(shape, np.uint8)
    for c in prompts.clicks:
        cv2.circle(fg if c.positive else bg, (int(c.x), int(c.y)), radius, 1, -1)
    return fg.astype(bool), bg.astype(bool)


def _click_radius(shape: tuple[int, int]) -> int:
    return max(2, round(0.01 * min(shape)))


class GrabCutModel(Adapter):
    """OpenCV GrabCut seeded by the clicks (``cv2.grabCut`` with ``GC_INIT_WITH_MASK``).

    Init mask: probable background everywhere; a disk of radius 8 % of min(H, W) around each
    positive click probable foreground (or, with memory, the previous mask); click disks sure
    FG/BG. Options: ``iterations`` (default 3).
    """

    name = "grabcut"
    summary = "OpenCV GrabCut seeded by clicks (no weights)"
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point"}, memory=True)
    option_limits = {"iterations": (1, 1000)}

    def __init__(self, iterations: int | str = 3, **options: Any) -> None:
        super().__init__(iterations=int(iterations), **options)
        self.iterations = int(iterations)

    def encode(self, image: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(image[:, :, ::-1])  # GrabCut's GMMs are colour-order agnostic; BGR as cv2 expects

    def decode(self, state: np.ndarray, prompts: Prompts, memory: Any = None) -> Prediction:
        import cv2

        h, w = state.shape[:2]
        fg, bg = _seed_disks((h, w), prompts, _click_radius((h, w)))
        if not fg.any():
            return Prediction(mask=np.zeros((h, w), bool), memory=None)
        mask = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
        if memory is not None:
            mask[memory] = cv2.GC_PR_FGD
        else:
            big = np.zeros((h, w), np.uint8)
            r = max(3, round(0.08 * min(h, w)))
            for c in prompts.clicks:
                if c.positive:
                    cv2.circle(big, (int(c.x), int(c.y)), r, 1, -1)
            mask[big.astype(bool)] = cv2.GC_PR_FGD
        mask[bg] = cv2.GC_BGD
        mask[fg] = cv2.GC_FGD
        if not np.isin(mask, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():
            return Prediction(mask=fg, memory=fg)
        bgd = np.zeros((1, 65), np.float64)
        fgd = np.zeros((1, 65), np.float64)
        cv2.setRNGSeed(0)
        cv2.grabCut(state, mask, None, bgd, fgd, self.iterations, cv2.GC_INIT_WITH_MASK)
        out = (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
        return Prediction(mask=out, memory=out)


class RandomWalkerModel(Adapter):
    """scikit-image ``random_walker`` on a downscaled image; returns a foreground probability.

    Seeds: click disks (FG for positive, BG for negative) plus the image border as background
    unless a positive click touches it. Options: ``beta`` (default 130), ``max_side`` (the image
    is downscaled so its longer side is at most this, default 160).
    """

    name = "random-walker"
    summary = "scikit-image random walker seeded by clicks (no weights)"
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point"}, memory=False)
    option_limits = {"beta": (0.0, None), "max_side": (2, 100_000)}

    def __init__(self, beta: float | str = 130.0, max_side: int | str = 160, **options: Any) -> None:
        super().__init__(beta=float(beta), max_side=int(max_side), **options)
        self.beta = float(beta)
        self.max_side = int(max_side)

    def encode(self, image: np.ndarray) -> dict[str, Any]:
        import cv2

        h, w = image.shape[:2]
        s = min(1.0, self.max_side / max(h, w))
        small = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        return {"img": small.astype(np.float64) / 255.0, "scale": s, "hw": (h, w)}

    def decode(self, state: dict[str, Any], prompts: Prompts, memory: Any = None) -> Prediction:
        import cv2
        from skimage.segmentation import random_walker

        h, w = state["hw"]
        small = state["img"]
        sh, sw = small.shape[:2]
        s = state["scale"]
        scaled = Prompts(clicks=[type(c)(min(sw - 1, int(c.x * s)), min(sh - 1, int(c.y * s)), c.positive)
                                 for c in prompts.clicks])
        fg, bg = _seed_disks((sh, sw), scaled, max(1, round(_click_radius((h, w)) * s)))
        if not fg.any():
            return Prediction(prob=np.zeros((h, w), np.float32))
        border = np.zeros((sh, sw), bool)
        border[[0, -1], :] = True
        border[:, [0, -1]] = True
        labels = np.zeros((sh, sw), np.int32)
        labels[(bg | border) & ~fg] = 2
        labels[fg] = 1
        prob = random_walker(small, labels, beta=self.beta, mode="cg_j", tol=1e-4,
                             channel_axis=-1, return_full_prob=True)[0]
        full = cv2.resize(prob.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        return Prediction(prob=full)
