"""Interactive segmentation metrics from per-instance IoU-per-round lists.

Definitions (SPEC §3; RITM ``isegm/inference/utils.py::compute_noc_metric``):

- ``NoC@t``: the first round whose IoU reaches ``t``; ``max_rounds`` if none does.
- ``NoF@t``: instances that never reach ``t`` within ``max_rounds``.
- ``NoF-legacy@t``: RITM's printed "NoF" = instances whose NoC equals ``max_rounds``; unlike
  ``NoF@t`` it also counts an instance that reaches ``t`` exactly on the last round.
- ``1-IoU``: mean IoU after the first round; ``mIoU@k``: mean IoU after round ``k``. An instance
  whose run stopped early (``iou_target`` reached) carries its last IoU forward.
- ``SPC``: model seconds per click, summed over all instances and rounds.

Means and sums use exact summation (``math.fsum``), so the numbers do not depend on the order of
``update`` and ``merge`` calls: one worker and N workers give bit-identical results.

Threshold comparison rule. RITM stores IoUs as float32 and compares them with the float64
thresholds of ``np.arange(0.8, 1.0, 0.05)`` (0.8500000000000001, 0.9000000000000001) under
numpy-1 casting, which performs the compare in float32. ``compare="ritm"`` (default) reproduces
that: ``float32(iou) >= float32(t)``, so an IoU of exactly 0.85 counts as reaching 85 %.
``compare="exact"`` compares float64 IoU with the decimal threshold ``t``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

DEFAULT_THRESHOLDS = (0.5, 0.8, 0.85, 0.9)
DEFAULT_KS = (1, 3, 5, 10, 20)


def reached(ious: np.ndarray, thr: float, compare: str = "ritm") -> np.ndarray:
    """Boolean array: which rounds' IoU reach ``thr`` under the comparison rule."""
    if compare == "ritm":
        return np.asarray(ious, np.float32) >= np.float32(thr)
    if compare == "exact":
        return np.asarray(ious, np.float64) >= thr
    raise ValueError(f"compare must be 'ritm' or 'exact', not {compare!r}")


def noc(ious: Sequence[float], thr: float, max_rounds: int = 20, compare: str = "ritm") -> int:
    """Number of clicks to reach ``thr``; ``max_rounds`` if never reached.

    >>> noc([0.5, 0.86, 0.95], 0.85)
    2
    >>> noc([0.5, 0.6], 0.85, max_rounds=20)
    20
    """
    hit = reached(np.asarray(ious)[:max_rounds], thr, compare)
    return int(np.argmax(hit)) + 1 if hit.any() else max_rounds


def _key(thr: float) -> str:
    return f"{round(thr * 100):d}"


@dataclass
class InteractiveAccumulator:
    """Streaming interactive metrics: ``update`` per instance, ``merge`` across workers.

    Holds the per-instance IoU lists (a few floats each), so ``compute`` is exact whatever the
    order of updates and merges.

    >>> acc = InteractiveAccumulator(max_rounds=3)
    >>> acc.update([0.5, 0.9, 0.95], model_seconds=0.3)
    >>> acc.update([0.95], model_seconds=0.1)
    >>> acc.compute(ks=(1, 3))["NoC@90"]
    1.5
    """

    max_rounds: int = 20
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    compare: str = "ritm"
    ious: list[list[float]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    clicks: int = 0

    @property
    def model_seconds(self) -> float:
        """Total model seconds over all instances (exact sum)."""
        return math.fsum(self.seconds)

    def update(self, ious: Sequence[float], model_seconds: float = 0.0, clicks: int | None = None) -> None:
        """Add one instance: its IoU after each round, its model seconds and the number of
        decoded rounds (default ``len(ious)``; SEEM's repeated rounds are not decoded)."""
        self.ious.append([float(v) for v in ious])
        self.seconds.append(float(model_seconds))
        self.clicks += len(ious) if clicks is None else int(clicks)

    def merge(self, other: InteractiveAccumulator) -> InteractiveAccumulator:
        """Add another accumulator's instances; returns ``self``."""
        self.ious.extend(other.ious)
        self.seconds.extend(other.seconds)
        self.clicks += other.clicks
        return self

    def _padded(self) -> np.ndarray:
        """(N, max_rounds) IoUs, the last value carried forward after an early stop."""
        out = np.zeros((len(self.ious), self.max_rounds), np.float64)
        for i, row in enumerate(self.ious):
            row = row[: self.max_rounds]
            if row:
                out[i, : len(row)] = row
                out[i, len(row):] = row[-1]
        return out

    def compute(self, ks: Iterable[int] = DEFAULT_KS) -> dict[str, float]:
        n = len(self.ious)
        out: dict[str, float] = {"instances": n}
        if n == 0:
            return out
        for thr in self.thresholds:
            nocs = np.array([noc(r, thr, self.max_rounds, self.compare) for r in self.ious])
            never = np.array([not reached(np.asarray(r[: self.max_rounds]), thr, self.compare).any()
                              for r in self.ious])
            out[f"NoC@{_key(thr)}"] = float(nocs.mean())
            out[f"NoF@{_key(thr)}"] = int(never.sum())
            out[f"NoF-legacy@{_key(thr)}"] = int((nocs == self.max_rounds).sum())
        padded = self._padded()
        out["1-IoU"] = math.fsum(padded[:, 0].tolist()) / n
        for k in ks:
            if 1 <= k <= self.max_rounds:
                out[f"mIoU@{k}"] = math.fsum(padded[:, k - 1].tolist()) / n
        out["SPC"] = self.model_seconds / self.clicks if self.clicks else 0.0
        return out
