"""Named, versioned prompt protocols. Their parameters go into every run record.

A protocol's ``params`` are its defaults; a task or ``--set key=value`` overrides them, and the
effective values are recorded. Bump ``version`` whenever a change could move a number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seem_bench.prompts.clicks import ritm_click
from seem_bench.prompts.types import Click
from seem_bench.registry import Registry

ClickFn = Callable[..., Click]


@dataclass(frozen=True)
class ClickProtocol:
    """A click simulator plus the loop rules that go with it.

    Params shared by every interactive protocol: ``max_rounds``, ``iou_target`` (stop when IoU
    reaches it; ``None`` runs every round, needed for mIoU@k curves), ``pred_thr`` (threshold for
    probability outputs), ``memory`` and ``negatives`` (the SEEM ablation switches).
    """

    name: str
    version: str
    click_fn: ClickFn = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def to_json(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"name": self.name, "version": self.version,
                "params": {**self.params, **(overrides or {})}}


PROTOCOLS: Registry[ClickProtocol] = Registry("protocol")

PROTOCOLS.register("ritm", ClickProtocol(
    name="ritm", version="1", click_fn=ritm_click,
    params={"max_rounds": 20, "iou_target": None, "pred_thr": 0.49, "memory": True,
            "negatives": True},
    description="RITM/SimpleClick clicker: exact padded L2 DT, positive iff max FN dist > max FP dist",
))


def next_click(gt: np.ndarray, pred: np.ndarray, *, protocol: str = "ritm",
               ignore: np.ndarray | None = None, clicked: Sequence[Click] = ()) -> Click:
    """The simulated user's next click.

    Args:
        gt: object mask, ``bool`` (H, W).
        pred: current prediction, ``bool`` (H, W); all ``False`` before the first click.
        protocol: registered protocol name (``seem-bench`` lists them).
        ignore: pixels never clicked nor counted, ``bool`` (H, W), or ``None``.
        clicked: earlier clicks, oldest first.

    Returns:
        a `Click` with ``x`` (column) and ``y`` (row) in original pixels.

    >>> gt = np.zeros((5, 5), bool); gt[1:4, 1:4] = True
    >>> next_click(gt, np.zeros_like(gt))
    Click(x=2, y=2, positive=True)
    """
    proto = PROTOCOLS.get(protocol)
    return proto.click_fn(np.asarray(gt, bool), np.asarray(pred, bool),
                          None if ignore is None else np.asarray(ignore, bool), tuple(clicked))
