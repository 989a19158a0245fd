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

from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.prompts.types import Prompts


class OracleModel(Adapter):
    """Returns the ground-truth mask of the current object, whatever the prompt."""

    name = "oracle"
    summary = "sanity model: returns the GT mask (NoC = 1 on every protocol)"
    capabilities = Capabilities(tasks={"interactive", "ref-image", "referring", "generic"},
                                prompts={"point", "box", "scribble", "polygon", "text", "ref_image", "none"},
                                composition=True, memory=True)
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
        if isinstance(self._gt, dict):
            return self._generic(self._gt)
        if self._gt is None or self._gt.shape != tuple(state):
            raise RuntimeError("oracle: set_target was not called for this image")
        return Prediction(mask=self._gt.copy(), score=1.0)

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
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point"}, memory=True)

    def encode(self, image: np.ndarray) -> tuple[int, int]:
        return image.shape[:2]

    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        h, w = state
        return Prediction(mask=disk_union((h, w), prompts, 0.05 * min(h, w)))
