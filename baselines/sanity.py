"""Sanity models with closed-form behaviour, for testing the harness end to end.

- ``oracle`` returns the ground-truth mask: every protocol gives IoU 1 after the first click, so
  NoC@t = 1 for every t, NoF = 0 and 1-IoU = 1. On the generic task it returns the GT panoptic
  map, the GT instances (score 1) and the GT semantic map: PQ = AP = mIoU = 100 %.
- ``disks`` returns the union of disks around positive clicks minus the disks around negative
  clicks; radius ``r = 0.05 * min(H, W)``; pixel ``(x, y)`` is in the disk of click ``(cx, cy)``
  iff ``(x - cx)**2 + (y - cy)**2 <= r**2``. Its click sequence on a hand-made mask can be
  derived by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.adapters.video import FrameSource, VideoAdapter, VideoSession
from seem_bench.prompts.types import Prompts
from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")


class OracleModel(Adapter):
    """Returns the ground-truth mask of the current object, whatever the prompt."""

    name = "oracle"
    summary = "sanity model: returns the GT mask (NoC = 1 on every protocol)"
    capabilities = Capabilities(tasks={"interactive", "ref-image", "referring", "generic", "davis-interactive",
                                       "video-interactive", "concept"},
                                prompts={"point", "box", "scribble", "polygon", "text", "ref_image", "none"},
                                composition=True, memory=True, max_batch=64)
    uses_ground_truth = True

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._gt: np.ndarray | dict | None = None

    def set_target(self, gt: np.ndarray | dict) -> None:
        """An object mask (prompted tasks) or the generic task's dict of image targets."""
        self._gt = gt if isinstance(gt, dict) else np.asarray(gt, bool)

    def encode(self, image: np.ndarray) -> tuple[int, int]:
        return image.shape[:2]

    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        if isinstance(self._gt, dict) and "concept" in self._gt:  # every instance of the phrase
            return Prediction(extra={"instances": [{"mask": m.copy(), "score": 1.0} for m in self._gt["concept"]]})
        if isinstance(self._gt, dict):
            return self._generic(self._gt)
        if self._gt is None or self._gt.shape != tuple(state):
            raise RuntimeError("oracle: set_target was not called for this image")
        return Prediction(mask=self._gt.copy(), score=1.0)

    def video(self) -> OracleVideo:
        """Video sessions that return the object's GT mask on every frame (J&F 100 after pass 1)."""
        return OracleVideo()

    @staticmethod
    def _generic(target: dict) -> Prediction:
        ids, segments = target["panoptic"]
        semantic = np.full(ids.shape, 255, np.int64)
        for s in segments:
            semantic[ids == s["id"]] = target["to_class"][s["category_id"]]
        instances = [{"mask": a["mask"], "category_id": a["category_id"], "score": 1.0}
                     for a in target.get("instances", ()) if not a.get("iscrowd")]
        panoptic = (ids.copy(), [{"id": s["id"], "category_id": s["category_id"]} for s in segments])
        return Prediction(extra={"panoptic": panoptic, "semantic": semantic, "instances": instances})


def disk_union(shape: tuple[int, int], prompts: Prompts, radius: float) -> np.ndarray:
    """Positive-click disks minus negative-click disks, later clicks applied in order of polarity."""
    h, w = shape
    yy, xx = np.ogrid[:h, :w]
    r2 = radius * radius
    pos = np.zeros((h, w), bool)
    neg = np.zeros((h, w), bool)
    for c in prompts.clicks:
        d = (xx - c.x) ** 2 + (yy - c.y) ** 2 <= r2
        (pos if c.positive else neg)[d] = True
    return pos & ~neg


class DisksModel(Adapter):
    """Union of disks (radius 5 % of min(H, W)) at positive clicks minus those at negative clicks."""

    name = "disks"
    summary = "sanity model: disks around positive clicks minus disks around negative clicks"
    # The default decode_batch (a loop over decode) is exact; 64 lets the loop hand over chunks.
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point"}, memory=True, max_batch=64)

    def encode(self, image: np.ndarray) -> tuple[int, int]:
        return image.shape[:2]

    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        h, w = state
        return Prediction(mask=disk_union((h, w), prompts, 0.05 * min(h, w)))


def _erode(mask: np.ndarray, px: int) -> np.ndarray:
    import cv2

    if px <= 0:
        return mask.copy()
    return cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=px).astype(bool)


class NoisyOracleModel(OracleModel):
    """The oracle with controlled noise: every GT region eroded by ``erode`` pixels (default 2).

    Generic task: each panoptic segment eroded (its pixels become VOID), instance masks eroded
    with scores ``1 / (1 + k)`` in GT order, semantic map from the eroded panoptic map. Prompted
    tasks: the eroded object mask. Metrics are then below 100 % by amounts an independent
    evaluation of the same predictions must reproduce.
    """

    name = "noisy-oracle"
    summary = "sanity model: the GT eroded by `erode` px (default 2)"
    option_limits = {"erode": (0, 10_000)}

    def __init__(self, erode: int | str = 2, **options: Any) -> None:
        super().__init__(erode=int(erode), **options)
        self.erode = int(erode)

    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        out = super().decode(state, prompts, memory)
        if out.mask is not None:
            return Prediction(mask=_erode(out.mask, self.erode), score=1.0)
        ids, segments = out.extra["panoptic"]
        noisy = np.zeros_like(ids)
        for s in segments:
            noisy[_erode(ids == s["id"], self.erode)] = s["id"]
        semantic = np.full(ids.shape, 255, np.int64)
        for s in segments:
            semantic[noisy == s["id"]] = self._gt["to_class"][s["category_id"]]
        instances = [{**d, "mask": _erode(d["mask"], self.erode), "score": 1.0 / (1 + k)}
                     for k, d in enumerate(out.extra["instances"])]
        return Prediction(extra={"panoptic": (noisy, segments), "semantic": semantic, "instances": instances})


class RefCopyModel(Adapter):
    """Returns the referenced image's mask unchanged (resized to the target image if needed).

    On DAVIS from the first frame this is the classic "static first-frame" baseline, whose J&F
    is computable from the GT alone.
    """

    name = "ref-copy"
    summary = "baseline: copies the reference mask (static first-frame VOS baseline)"
    capabilities = Capabilities(tasks={"ref-image"}, prompts={"ref_image"})

    def encode(self, image: np.ndarray) -> tuple[int, int]:
        return image.shape[:2]

    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        import cv2

        h, w = state
        m = prompts.ref_image.mask
        if m.shape != (h, w):
            m = cv2.resize(m.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
        return Prediction(mask=m.copy())


class OracleVideoSession(VideoSession):
    """Every frame's mask is the GT the loop gave (`set_targets`), whatever the prompts."""

    def __init__(self, n_frames: int) -> None:
        self.n = n_frames
        self._gt: Any = None

    def set_targets(self, masks: Any) -> None:
        self._gt = masks

    def _mask(self, t: int) -> np.ndarray:
        if self._gt is None:
            raise RuntimeError("oracle video: set_targets was not called")
        return np.asarray(self._gt(t), bool).copy()

    def add_prompts(self, t: int, prompts: Prompts, mask: np.ndarray | None = None) -> np.ndarray:
        return self._mask(t)

    def propagate(self, start: int, reverse: bool = False) -> Iterator[tuple[int, np.ndarray]]:
        order = range(start, -1, -1) if reverse else range(start, self.n)
        for t in order:
            yield t, self._mask(t)


class OracleVideo(VideoAdapter):
    uses_ground_truth = True
    prompts = frozenset({"point", "box", "mask"})

    def start(self, frames: FrameSource) -> VideoSession:
        return OracleVideoSession(len(frames))
