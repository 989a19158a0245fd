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

Rules every adapter keeps (the feature cache and the remote bridge rely on them):

- `decode` treats ``state`` as read-only: the same state object serves every round, every
  object of the image and, through `seem_bench.adapters.cache`, every sample showing the same
  pixels.
- `fingerprint` names everything that changes the numbers (weights hash, architecture, options,
  package version); `cache_identity` adds what changes the encoded features bit-wise without
  making it another run (the device type). The feature cache keys states by the latter.
- `decode_batch` decodes several objects' prompts in one call (`DecodeRequest`: state, prompts,
  memory and, for sanity models, the GT target). The default loops over `decode`, so every
  adapter takes part in the lockstep loop; SAM and SAM 2 override it with one forward pass per
  encoded image and prompt shape. ``Capabilities.max_batch`` is the largest number of requests
  the loop hands over in one call. A native `decode_batch` must return, for each request, what
  `decode` would (up to the float noise of batched kernels).
- `dump_state` / `load_state` turn a state into plain numpy arrays and back, so that it can be
  kept on disk (``--feature-cache DIR``); the default handles states built from numpy arrays,
  numbers, strings, lists, tuples and dicts, and returns ``None`` (= not persistable) otherwise.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from seem_bench.errors import UsageError
from seem_bench.prompts.types import Prompts
from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")

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
        deferred: the class cannot know them (the remote bridge: the worker declares them when
            it connects); only an instance's ``capabilities`` are checked.
        max_batch: the most `DecodeRequest`s one `Adapter.decode_batch` call takes (1 for
            adapters without a native batched decode: the default loops over `decode`).
    """

    tasks: frozenset[str]
    prompts: frozenset[str]
    composition: bool = False
    memory: bool = False
    deferred: bool = False
    max_batch: int = 1

    def __init__(self, tasks: Iterable[str], prompts: Iterable[str], composition: bool = False,
                 memory: bool = False, deferred: bool = False, max_batch: int = 1) -> None:
        object.__setattr__(self, "tasks", frozenset(tasks))
        object.__setattr__(self, "prompts", frozenset(prompts))
        object.__setattr__(self, "composition", composition)
        object.__setattr__(self, "memory", memory)
        object.__setattr__(self, "deferred", deferred)
        object.__setattr__(self, "max_batch", int(max_batch))
        unknown = self.prompts - PROMPT_KINDS
        if unknown:
            raise ValueError(f"unknown prompt kinds {sorted(unknown)}; known: {sorted(PROMPT_KINDS)}")
        if self.max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Capabilities:
        """Inverse of `to_json` (the remote bridge's handshake carries capabilities as JSON)."""
        return cls(d.get("tasks", ()), d.get("prompts", ()), bool(d.get("composition", False)),
                   bool(d.get("memory", False)), max_batch=int(d.get("max_batch", 1)))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tasks": sorted(self.tasks), "prompts": sorted(self.prompts),
                               "composition": self.composition, "memory": self.memory,
                               "max_batch": self.max_batch}
        if self.deferred:
            out["deferred"] = True
        return out


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


@dataclass
class DecodeRequest:
    """One object's decode in a batch: what `Adapter.decode` takes, plus the GT for sanity models.

    Attributes:
        state: the encoded image (read-only; several requests may share one state).
        prompts: every prompt of the object so far.
        memory: the previous round's ``Prediction.memory`` when memory is on, else ``None``.
        target: the object's GT mask, handed to `Adapter.set_target` before the decode only
            when the adapter ``uses_ground_truth``; ``None`` otherwise.
    """

    state: Any
    prompts: Prompts
    memory: Any = None
    target: np.ndarray | None = None


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
    #: Inclusive (min, max) of numeric options (``None``: unbounded). An option's type is its
    #: ``__init__`` default's (int, float, bool): `check_option_values` parses and bounds the
    #: ``--model-opt`` text before the model is built.
    option_limits: ClassVar[dict[str, tuple[float | None, float | None]]] = {}

    def __init__(self, **options: Any) -> None:
        # Options reaching here unconsumed and undeclared are typos: refuse them rather than run
        # the default (adapters with their own, more specific check run it before this one).
        check_options(type(self), options)
        self.options = options

    @classmethod
    def availability(cls, **options: Any) -> tuple[bool, str]:
        """Whether this model can run here with ``options``: ``(ok, reason)``.

        Must be cheap (no weights loaded). The reason says what is missing and how to supply it.
        """
        return True, "ok"

    @classmethod
    def create(cls, **options: Any) -> Adapter:
        """Build the adapter for ``options`` (called by `registry.build_model` after `availability`).

        Normally ``cls(**options)``; an adapter whose code runs in another Python environment
        returns its remote-bridge stand-in here instead (SEEM: `seem_bench.adapters.seem_bridge`).
        """
        return cls(**options)

    def fingerprint(self) -> dict[str, Any]:
        """What identifies this model's numbers: name, options, checkpoint hash, code version.

        The device is left out: a run resumed or sharded on another device is the same run (the
        device each worker used is in the run header's environment).
        """
        return {"name": self.name,
                "options": {k: str(v) for k, v in sorted(self.options.items()) if k != "device"}}

    def cache_identity(self) -> dict[str, Any]:
        """What identifies this adapter's encoded states: `fingerprint` plus the device type.

        Features computed on CUDA and on CPU differ in the last bits, so the feature cache must
        not mix them, although both belong to the same run.
        """
        return {**self.fingerprint(), "device_type": str(getattr(self, "device_type", "cpu"))}

    def dump_state(self, state: Any) -> dict[str, np.ndarray] | None:
        """``state`` as named numpy arrays for the on-disk feature cache, or ``None`` if it cannot be.

        The default accepts trees of numpy arrays, numbers, strings, lists, tuples and dicts with
        string keys (`seem_bench.adapters.cache.pack_tree`); adapters whose state holds tensors
        override this and `load_state`.
        """
        from seem_bench.adapters.cache import pack_tree

        return pack_tree(state)

    def load_state(self, arrays: dict[str, np.ndarray]) -> Any:
        """Inverse of `dump_state`."""
        from seem_bench.adapters.cache import unpack_tree

        return unpack_tree(arrays)

    @abstractmethod
    def encode(self, image: np.ndarray) -> Any:
        """Run the image encoder once. ``image``: ``uint8`` (H, W, 3) RGB. Returns a state."""

    @abstractmethod
    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        """Decode one round for one object from the encoded ``state`` and all prompts so far."""

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[Prediction]:
        """Decode several objects at once (at most ``capabilities.max_batch`` requests).

        The default calls `decode` for each request in order (after `set_target` for models
        that use the ground truth), so its results are exactly the single decodes'. Native
        implementations batch the requests that share a state and a prompt shape into one
        forward pass.
        """
        out = []
        for req in requests:
            if self.uses_ground_truth and req.target is not None:
                self.set_target(req.target)
            out.append(self.decode(req.state, req.prompts, req.memory))
        return out

    def set_target(self, gt: np.ndarray) -> None:
        """Give a sanity model the GT mask of the current object (only if ``uses_ground_truth``)."""
        raise UsageError(f"model {self.name!r} does not take ground truth")

    def set_categories(self, categories: list[dict[str, Any]]) -> None:  # noqa: B027 - optional hook
        """The class vocabulary of a generic task (``id``, ``name``, ``isthing`` per category),
        given before its decodes. Open-vocabulary models (SEEM) embed the names; others ignore it."""

    def close(self) -> None:  # noqa: B027 - optional hook: most adapters hold nothing to release
        """Release resources (worker processes, GPU memory)."""


def _declared_params(cls: type[Adapter]) -> list[Any]:
    """The ``__init__`` parameters of ``cls``'s chain below `Adapter`, nearest class first; a
    ``**options`` catch-all is taken as forwarded to the parent, so the walk continues there."""
    import inspect

    out: list[Any] = []
    for klass in cls.__mro__:
        if klass is Adapter or klass is object:
            break
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = list(inspect.signature(init).parameters.values())
        out.extend(p for p in params if p.name != "self")
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            break
    return out


def accepted_options(cls: type[Adapter]) -> set[str]:
    """The keyword options ``cls`` declares (`_declared_params`), plus ``device``."""
    import inspect

    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {"device"} | {p.name for p in _declared_params(cls) if p.kind in named}


def _declared_defaults(cls: type[Adapter]) -> dict[str, Any]:
    """The defaults of the options ``cls`` declares, by name (the nearest class's default wins)."""
    import inspect

    out: dict[str, Any] = {}
    for p in _declared_params(cls):
        if p.default is not inspect.Parameter.empty:
            out.setdefault(p.name, p.default)
    return out


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def check_option_values(cls: type[Adapter], options: dict[str, Any]) -> None:
    """One-line `UsageError` for a ``--model-opt`` value of the wrong type or out of range.

    Types come from the option's declared default (an ``int`` default takes integers, a
    ``float`` one finite numbers, a ``bool`` one on/off); bounds from ``cls.option_limits``.
    Options without a numeric default (paths, names) are the adapter's to check.
    """
    import math

    defaults = _declared_defaults(cls)
    limits: dict[str, tuple[float | None, float | None]] = {}
    for klass in reversed(cls.__mro__):
        limits.update(getattr(klass, "option_limits", None) or {})
    model = cls.name or cls.__name__
    for key, raw in options.items():
        default = defaults.get(key)
        text = str(raw).strip()
        where = f"--model-opt {key}={raw}: model {model!r} option {key}"
        if isinstance(default, bool):
            if text.lower() not in _TRUE + _FALSE:
                raise UsageError(f"{where} must be on or off, got {text!r}")
            continue
        if isinstance(default, int):
            try:
                value: float = int(text)
            except ValueError:
                raise UsageError(f"{where} must be an integer, got {text!r}") from None
        elif isinstance(default, float):
            try:
                value = float(text)
            except ValueError:
                raise UsageError(f"{where} must be a number, got {text!r}") from None
            if not math.isfinite(value):
                raise UsageError(f"{where} must be a finite number, got {text!r}")
        else:
            continue
        lo, hi = limits.get(key, (None, None))
        if lo is not None and value < lo:
            raise UsageError(f"{where} must be >= {lo:g}, got {text}")
        if hi is not None and value > hi:
            raise UsageError(f"{where} must be <= {hi:g}, got {text}")


def check_options(cls: type[Adapter], options: dict[str, Any]) -> None:
    """One-line `UsageError` for the first option ``cls`` does not declare (`accepted_options`)."""
    import difflib

    allowed = accepted_options(cls)
    for key in sorted(options):
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            known = ", ".join(sorted(allowed - {"device"})) or "none"
            raise UsageError(f"model {cls.name or cls.__name__!r} has no option {key!r}.{hint} Its options: {known}")


def check_capabilities(cls: type[Adapter] | Adapter, task_kind: str, prompt_kinds: Iterable[str],
                       memory: bool = False) -> None:
    """Fail with a one-line `UsageError` if ``cls`` cannot serve the task as configured.

    ``cls`` is an adapter class (checked before anything is built) or an instance (checked right
    after `build_model`; this is what catches a mismatch for models whose class declares
    ``deferred`` capabilities, such as the remote bridge). Deferred capabilities pass here.

    >>> from seem_bench.baselines.sanity import DisksModel
    >>> check_capabilities(DisksModel, "interactive", {"point"})
    >>> check_capabilities(DisksModel, "interactive", {"text"})
    Traceback (most recent call last):
    ...
    seem_bench.errors.UsageError: model 'disks' does not accept text prompts (it accepts: point)
    """
    caps = cls.capabilities
    if caps.deferred:
        return
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
