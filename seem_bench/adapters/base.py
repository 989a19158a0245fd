"""The adapter contract (SPEC §4): encode once per image, decode once per prompt round.

A model enters seem-bench by subclassing `Adapter`::

    class MyModel(Adapter):
        name = "my-model"
        capabilities = Capabilities(tasks={"interactive"}, prompts={"point"}, memory=True)

        def encode(self, image):            # uint8 (H, W, 3) RGB, once per image
            return {"feats": backbone(image), "hw": image.shape[:2]}

        def decode(self, state, prompts, memory=None):   # once per round
            logits = head(state["feats"], prompts.clicks, memory)
            return Prediction(mask=logits > 0, logits=logits, memory=logits)

The runner never calls `encode` twice for the same image of a sample, whatever the number of
rounds or instances; it passes back ``Prediction.memory`` of the previous round as ``memory``
only when the protocol's ``memory`` switch is on (SEEM's "Iter" ablation).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from seem_bench.errors import UsageError
from seem_bench.prompts.types import Prompts

#: Prompt kinds an adapter may declare (`Prompts.kinds` produces the same names).
PROMPT_KINDS = frozenset({"point", "box", "scribble", "polygon", "text", "ref_image", "none"})


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do; checked against the task before any image is read.

    Attributes:
        tasks: task kinds it supports (``interactive``, ``generic``, ``referring``, ...).
        prompts: prompt kinds it accepts (subset of `PROMPT_KINDS`; ``none`` = promptless).
        composition: accepts text together with visual prompts in one decode.
        memory: can use the previous round's output (``memory`` argument of `decode`).
    """

    tasks: frozenset[str]
    prompts: frozenset[str]
    composition: bool = False
    memory: bool = False

    def __init__(self, tasks: Iterable[str], prompts: Iterable[str], composition: bool = False,
                 memory: bool = False) -> None:
        object.__setattr__(self, "tasks", frozenset(tasks))
        object.__setattr__(self, "prompts", frozenset(prompts))
        object.__setattr__(self, "composition", composition)
        object.__setattr__(self, "memory", memory)
        unknown = self.prompts - PROMPT_KINDS
        if unknown:
            raise ValueError(f"unknown prompt kinds {sorted(unknown)}; known: {sorted(PROMPT_KINDS)}")

    def to_json(self) -> dict[str, Any]:
        return {"tasks": sorted(self.tasks), "prompts": sorted(self.prompts),
                "composition": self.composition, "memory": self.memory}


@dataclass
class Prediction:
    """One decode's output for one object.

    Attributes:
        mask: ``bool`` (H, W) at original image size. Ignored when ``prob`` is given: the
            protocol thresholds ``prob`` itself (RITM uses ``prob > 0.49``).
        prob: optional foreground probability, ``float32`` (H, W) in [0, 1].
        score: optional confidence of the returned mask.
        memory: whatever the adapter wants back next round when memory is on (e.g. SAM's
            low-resolution logits); opaque to the harness.
        extra: optional outputs for other tasks (panoptic map, labels, ...).
    """

    mask: np.ndarray | None = None
    prob: np.ndarray | None = None
    score: float | None = None
    memory: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def binary(self, threshold: float) -> np.ndarray:
        """The predicted mask: ``prob > threshold`` if a probability map is given, else ``mask``."""
        if self.prob is not None:
            return self.prob > threshold
        if self.mask is None:
            raise ValueError("Prediction has neither mask nor prob")
        return np.asarray(self.mask, dtype=bool)


class Adapter(ABC):
    """Base class of every model adapter.

    Subclasses set ``name`` and ``capabilities`` and implement `encode` and `decode`. Options
    from the command line (``--checkpoint``, ``--device``, ``--model-opt k=v``) arrive as keyword
    arguments of ``__init__``.
    """

    name: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities]
    #: Sanity models (the GT oracle) see the target through `set_target`; runs record this.
    uses_ground_truth: ClassVar[bool] = False
    #: One-line description for ``seem-bench models``.
    summary: ClassVar[str] = ""

    def __init__(self, **options: Any) -> None:
        self.options = options

    @classmethod
    def availability(cls, **options: Any) -> tuple[bool, str]:
        """Whether this model can run here with ``options``: ``(ok, reason)``.

        Must be cheap (no weights loaded). The reason says what is missing and how to supply it.
        """
        return True, "ok"

    def fingerprint(self) -> dict[str, Any]:
        """What identifies this model's numbers: name, options, checkpoint hash, code version.

        The device is left out: a run resumed or sharded on another device is the same run (the
        device each worker used is in the run header's environment).
        """
        return {"name": self.name,
                "options": {k: str(v) for k, v in sorted(self.options.items()) if k != "device"}}

    @abstractmethod
    def encode(self, image: np.ndarray) -> Any:
        """Run the image encoder once. ``image``: ``uint8`` (H, W, 3) RGB. Returns a state."""

    @abstractmethod
    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        """Decode one round for one object from the encoded ``state`` and all prompts so far."""

    def set_target(self, gt: np.ndarray) -> None:
        """Give a sanity model the GT mask of the current object (only if ``uses_ground_truth``)."""
        raise UsageError(f"model {self.name!r} does not take ground truth")

    def close(self) -> None:
        """Release resources (worker processes, GPU memory)."""


def check_capabilities(cls: type[Adapter], task_kind: str, prompt_kinds: Iterable[str],
                       memory: bool = False) -> None:
    """Fail with a one-line `UsageError` if ``cls`` cannot serve the task as configured."""
    caps = cls.capabilities
    if task_kind not in caps.tasks:
        raise UsageError(f"model {cls.name!r} does not support task {task_kind!r} "
                         f"(it supports: {', '.join(sorted(caps.tasks))})")
    kinds = set(prompt_kinds)
    missing = kinds - caps.prompts
    if missing:
        raise UsageError(f"model {cls.name!r} does not accept {', '.join(sorted(missing))} prompts "
                         f"(it accepts: {', '.join(sorted(caps.prompts))})")
    visual = kinds - {"text", "none"}
    if "text" in kinds and visual and not caps.composition:
        raise UsageError(f"model {cls.name!r} cannot compose text with {', '.join(sorted(visual))} prompts")
    if memory and not caps.memory:
        raise UsageError(f"model {cls.name!r} has no memory prompt: run with --set memory=off")
