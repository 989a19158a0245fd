"""The video model contract: one tracking session per (video, object), prompted on any frame.

A task kind that prompts videos (``video-interactive``) gets a `VideoAdapter` from the image
adapter the runner built (``adapter.video()``), so ``--model sam2_t`` names one model for
images and videos. The contract, per session:

- `VideoAdapter.start(frames)`: a `VideoSession` over a `FrameSource` (frames read lazily,
  at most ``window`` decoded frames held: memory is bounded by a frame window, not the video
  length);
- `VideoSession.add_prompts(t, prompts)`: clicks, a box or a mask on frame ``t``; returns the
  object's mask on ``t`` at once (what a user sees after clicking), ``bool`` (H, W). Clicks
  accumulate on a frame (``Prompts.clicks`` are the *new* clicks); a mask replaces them;
- `VideoSession.propagate(start, reverse)`: yields ``(t, mask)`` for every frame from ``start``
  forward (or backward) using every prompt given so far; frames that received prompts yield
  their prompted output. A consumer may stop iterating early (online protocols pause there);
- `VideoSession.close()`: release what the session holds (features, memories).

Sessions of one object are independent of other objects (SAM 2's video predictor tracks
objects independently unless told to enforce non-overlap); the loop runs one object at a time.
Sanity models that see the ground truth (``uses_ground_truth``) get the object's GT masks
through `VideoSession.set_targets`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from seem_bench.errors import UsageError
from seem_bench.prompts.types import Prompts
from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")


class FrameSource:
    """The frames of one video, read on demand, at most ``window`` decoded ones kept (LRU).

    ``loaders[t]()`` returns frame ``t`` as ``uint8`` (H, W, 3) RGB. ``transform`` (optional)
    turns a frame into what the model consumes (SAM 2: a normalised 1024x1024 tensor); the
    window then holds transformed frames.
    """

    def __init__(self, loaders: Sequence[Callable[[], np.ndarray]], size: tuple[int, int],
                 window: int = 16, transform: Callable[[np.ndarray], Any] | None = None) -> None:
        if window < 1:
            raise UsageError(f"frame window must be >= 1, got {window}")
        self.loaders = list(loaders)
        self.size = (int(size[0]), int(size[1]))
        self.window = int(window)
        self.transform = transform
        self._cache: OrderedDict[int, Any] = OrderedDict()
        self.reads = 0  # frames decoded (tests check the window bounds memory)

    def __len__(self) -> int:
        return len(self.loaders)

    def __getitem__(self, t: int) -> Any:
        t = int(t)
        if t in self._cache:
            self._cache.move_to_end(t)
            return self._cache[t]
        if not 0 <= t < len(self.loaders):
            raise IndexError(f"frame {t} outside 0..{len(self.loaders) - 1}")
        img = self.loaders[t]()
        self.reads += 1
        value = img if self.transform is None else self.transform(img)
        self._cache[t] = value
        while len(self._cache) > self.window:
            self._cache.popitem(last=False)
        return value

    def with_transform(self, transform: Callable[[np.ndarray], Any]) -> FrameSource:
        """The same frames through ``transform``, with a window of its own."""
        return FrameSource(self.loaders, self.size, self.window, transform)

    def held(self) -> int:
        return len(self._cache)

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        """A per-video object that sessions over these frames share (a model's feature cache)."""
        store = self.__dict__.setdefault("_shared", {})
        if key not in store:
            store[key] = make()
        return store[key]


class VideoSession(ABC):
    """One object tracked through one video (see module docstring)."""

    def set_targets(self, masks: Callable[[int], np.ndarray]) -> None:  # noqa: B027 - sanity models only
        """Ground truth of the tracked object per frame (only for ``uses_ground_truth`` models)."""

    @abstractmethod
    def add_prompts(self, t: int, prompts: Prompts, mask: np.ndarray | None = None) -> np.ndarray:
        """Prompt frame ``t`` with new clicks / a box (``prompts``) or a ``mask``; its mask now."""

    @abstractmethod
    def propagate(self, start: int, reverse: bool = False) -> Iterator[tuple[int, np.ndarray]]:
        """``(t, mask)`` from ``start`` to the last (or, ``reverse``, the first) frame."""

    def close(self) -> None:  # noqa: B027 - optional: most sessions hold nothing to release
        """Release the session's features and memories."""


class VideoAdapter(ABC):
    """Builds tracking sessions; ``fingerprint`` and ``uses_ground_truth`` come from the image adapter."""

    uses_ground_truth: bool = False
    #: prompt kinds ``add_prompts`` accepts: ``point``, ``box``, ``mask``.
    prompts: frozenset[str] = frozenset({"point"})

    @abstractmethod
    def start(self, frames: FrameSource) -> VideoSession:
        """A new session over ``frames`` (no prompt yet)."""


def video_adapter_of(adapter: Any) -> VideoAdapter:
    """The `VideoAdapter` of an image adapter (its ``video()`` method), or a `UsageError`."""
    make = getattr(adapter, "video", None)
    if make is None:
        raise UsageError(f"model {getattr(adapter, 'name', adapter)!r} has no video predictor "
                         "(models with one: oracle, sam2_t/s/b/l)")
    return make()
