"""Task parameters, owned once: one typed dataclass per task kind, validated before any data is read.

Each task kind declares its loop parameters here (type, default, choices, range, one line of
doc). Click protocols and first-prompt simulators declare only their own options (``dt``,
``blob_radius``, ``pred_thr``, ``box_noise``, ...), typed by `PROTOCOL_PARAMS` or by their
default's type. `validate_task` checks every ``params`` key of a task against these
declarations and returns the task with the kind's parameters filled in and coerced, so a loop
reads ``task.params["max_rounds"]`` and never carries a default of its own. ``seem-bench tasks
--json`` prints the schema.

Values arrive from YAML or from ``--set key=value`` (parsed as YAML scalars; ``on``/``off`` are
booleans). A value of the wrong type, outside its range or not among its choices is a
`UsageError` (exit 2) naming the parameter, with "did you mean" for a near-miss choice.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from seem_bench.errors import UsageError
from seem_bench.prompts.sampling import SAMPLING_PARAMS, sampling_from
from seem_bench.prompts.text import SENTENCE_RULES

if TYPE_CHECKING:
    from seem_bench.tasks import TaskSpec

_TYPES = ("int", "float", "bool", "str")


@dataclass(frozen=True)
class Param:
    """One declared parameter: ``type`` is ``int | float | bool | str``; ``nullable`` admits ``null``."""

    name: str
    type: str
    default: Any
    doc: str = ""
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False

    def check(self, value: Any, owner: str) -> Any:
        """``value`` coerced to the declared type, or a one-line `UsageError` naming ``owner.name``."""
        where = f"{owner}: parameter {self.name}"
        if value is None:
            if self.nullable:
                return None
            raise UsageError(f"{where} must be set ({self._expect()}), got null")
        if self.type == "bool":
            if not isinstance(value, bool):
                close = difflib.get_close_matches(str(value).lower(), ["on", "off"], n=1, cutoff=0.5)
                hint = f" Did you mean {close[0]}?" if close else ""
                raise UsageError(f"{where} must be on or off, got {value!r}.{hint}")
            return value
        if self.type in ("int", "float"):
            ok = isinstance(value, int) and not isinstance(value, bool)
            if self.type == "float":
                ok = ok or isinstance(value, float)
            if not ok:
                raise UsageError(f"{where} must be {self._expect()}, got {value!r}")
            value = float(value) if self.type == "float" else int(value)
            if not math.isfinite(value):
                raise UsageError(f"{where} must be a finite number, got {value!r}")
            if self.minimum is not None and value < self.minimum:
                raise UsageError(f"{where} must be >= {self.minimum:g}, got {value!r}")
            if self.maximum is not None and value > self.maximum:
                raise UsageError(f"{where} must be <= {self.maximum:g}, got {value!r}")
        elif self.type == "str" and not isinstance(value, str):
            raise UsageError(f"{where} must be {self._expect()}, got {value!r}")
        if self.choices is not None and value not in self.choices:
            close = difflib.get_close_matches(str(value), [str(c) for c in self.choices], n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise UsageError(f"{where} must be one of {', '.join(map(str, self.choices))}, got {value!r}.{hint}")
        return value

    def _expect(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        return {"int": "an integer", "float": "a number", "bool": "on or off", "str": "a string"}[self.type]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "nullable": self.nullable, "default": self.default,
                "choices": None if self.choices is None else list(self.choices),
                "minimum": self.minimum, "maximum": self.maximum, "doc": self.doc}

    @classmethod
    def from_default(cls, name: str, default: Any, doc: str = "") -> Param:
        """A parameter typed by its default (first-prompt simulator options)."""
        kind = {bool: "bool", int: "int", float: "float"}.get(type(default), "str")
        return cls(name, kind, default, doc, nullable=default is None)


def spec(default: Any, doc: str, *, choices: tuple[Any, ...] | None = None, minimum: float | None = None,
         maximum: float | None = None) -> Any:
    """A dataclass field carrying its `Param` declaration (type and nullability from the annotation)."""
    return field(default=default, metadata={"doc": doc, "choices": choices, "minimum": minimum,
                                            "maximum": maximum})


class KindParams:
    """Base of the per-kind parameter dataclasses."""

    kind: ClassVar[str] = ""

    @classmethod
    def declared(cls) -> dict[str, Param]:
        out = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            ann = str(f.type).replace(" ", "")
            base = ann.split("|")[0]
            if base not in _TYPES:
                raise TypeError(f"{cls.__name__}.{f.name}: unsupported type {f.type!r}")
            out[f.name] = Param(f.name, base, f.default, f.metadata.get("doc", ""), f.metadata.get("choices"),
                                f.metadata.get("minimum"), f.metadata.get("maximum"), "None" in ann.split("|"))
        return out

    @classmethod
    def from_params(cls, params: dict[str, Any], owner: str) -> KindParams:
        decl = cls.declared()
        params = cls.normalize(params, owner)
        out = cls(**{k: p.check(params.get(k, p.default), owner) for k, p in decl.items()})  # type: ignore[call-arg]
        out.check_together(owner)
        return out

    @classmethod
    def normalize(cls, params: dict[str, Any], owner: str) -> dict[str, Any]:
        """Spellings a kind accepts besides the declared type (default: none), before the checks."""
        return params

    def check_together(self, owner: str) -> None:
        """Rules that tie parameters together (default: none); `UsageError` naming them."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class InteractiveParams(KindParams):
    """``interactive`` (and ``composed``): multi-round prompting per object."""

    kind: ClassVar[str] = "interactive"
    max_rounds: int = spec(20, "rounds (prompts) per object", minimum=1)
    iou_target: float | None = spec(None, "stop an object once its IoU reaches this; null = run every "
                                          "round (mIoU@k curves need it)", minimum=0.0, maximum=1.0)
    memory: bool = spec(True, "SEEM 'Iter' switch: feed the previous round's output back")
    negatives: bool = spec(True, "SEEM 'Negative' switch: off = FP-driven clicks replaced by FN clicks")
    first_prompt_protocol: str | None = spec(None, "first-round simulator; null = the default for "
                                                   "first_prompt and protocol (`seem-bench protocols`)")
    output: str = spec("top", "which candidate of a multi-mask model is scored: top (= best-score, the "
                              "highest predicted IoU), first (the decoder's first), oracle (best IoU with "
                              "the GT)", choices=("top", "oracle", "first", "best-score"))
    text: str = spec("none", "compose a text prompt with the clicks", choices=("none", "class", "sentence"))
    compare: str = spec("ritm", "NoC threshold compare rule (ritm: float32)", choices=("ritm", "exact"))
    save_masks: str | None = spec(None, "store each object's final (or every round's) predicted mask as "
                                        "COCO RLE in its record (`run --save-masks`)",
                                  choices=(None, "final", "all"))
    seed: int = spec(0, "seed of every random prompt", minimum=0)
    gamma: float | None = spec(SAMPLING_PARAMS["gamma"], "sampled clicks: position drawn with probability "
                               "proportional to DT^gamma in the error region; null (or inf) = the "
                               "deterministic protocol, 0 = uniform", minimum=0.0)
    sigma: float = spec(SAMPLING_PARAMS["sigma"], "sampled clicks: Gaussian displacement in pixels "
                        "(kept inside the error region)", minimum=0.0)
    draws: int = spec(SAMPLING_PARAMS["draws"], "sampled clicks: repetitions per object besides draw 0 "
                      "(the deterministic protocol)", minimum=1)
    worst_of: int = spec(SAMPLING_PARAMS["worst_of"], "sampled clicks: candidates per round, the "
                         "lowest-IoU one kept (black-box worst case)", minimum=1)

    @classmethod
    def normalize(cls, params: dict[str, Any], owner: str) -> dict[str, Any]:
        """``gamma: inf`` (YAML ``.inf`` or the string ``inf``) is the deterministic ``null``."""
        g = params.get("gamma")
        if (isinstance(g, float) and math.isinf(g) and g > 0) or (
                isinstance(g, str) and g.strip().lower() in ("inf", "+inf", ".inf")):
            return {**params, "gamma": None}
        return params

    def check_together(self, owner: str) -> None:
        """``sigma``, ``draws``, ``worst_of`` need a finite ``gamma`` (`sampling_from` says so)."""
        try:
            sampling_from(self.to_dict())
        except UsageError as e:
            raise UsageError(f"{owner}: {e}") from None


@dataclass(frozen=True)
class ReferringParams(KindParams):
    kind: ClassVar[str] = "referring"
    sentences: str = spec("all-sentences", "all-sentences (LAVT/ReLA) or first-sentence (SEEM evaluator)",
                          choices=SENTENCE_RULES)
    pred_thr: float = spec(0.5, "probability threshold of the predicted mask", minimum=0.0, maximum=1.0)
    seed: int = spec(0, "seed", minimum=0)


@dataclass(frozen=True)
class RefImageParams(KindParams):
    kind: ClassVar[str] = "ref-image"
    pred_thr: float = spec(0.5, "probability threshold of the predicted mask", minimum=0.0, maximum=1.0)
    memory: bool = spec(False, "video: feed the previous frame's output back")
    reference: str = spec("gt-mask", "video: the first frame's mask is its GT (gt-mask) or the model's own "
                          "from one robot scribble per object (scribble: SEEM's DAVIS16-Interactive)",
                          choices=("gt-mask", "scribble"))
    seed: int = spec(0, "seed", minimum=0)


@dataclass(frozen=True)
class GenericParams(KindParams):
    kind: ClassVar[str] = "generic"
    seed: int = spec(0, "seed", minimum=0)


@dataclass(frozen=True)
class DavisInteractiveParams(KindParams):
    kind: ClassVar[str] = "davis-interactive"
    max_interactions: int = spec(8, "robot interactions per session", minimum=1)
    kernel_size: float = spec(0.2, "robot kernel (0.2 evaluation service, 0.15 class default)", minimum=0.0)
    max_t: float = spec(30.0, "seconds per object (timeout = mean objects per sequence x max_t)", minimum=0.0)
    time_threshold: float = spec(60.0, "J&F@<this> seconds", minimum=0.0)
    clock: str = spec("measured", "measured seconds, or 1 s per interaction (reproducible)",
                      choices=("measured", "interactions"))
    pred_thr: float = spec(0.5, "probability threshold of the predicted mask", minimum=0.0, maximum=1.0)
    seed: int = spec(0, "seed", minimum=0)


@dataclass(frozen=True)
class VideoInteractiveParams(KindParams):
    """``video-interactive``: SAM 2's offline / online click protocols (`seem_bench.loops.video_interactive`)."""

    kind: ClassVar[str] = "video-interactive"
    video_protocol: str = spec("sam2-offline", "sam2-offline (passes, worst frame each) or sam2-online "
                               "(one pass, pause below iou_threshold)", choices=("sam2-offline", "sam2-online"))
    max_frames: int = spec(8, "N_frame: prompted frames at most (offline: one per pass; J&F@1..N reported)",
                           minimum=1)
    frames_per_pass: int = spec(1, "sam2-offline: new frames prompted per pass (the lowest-IoU ones); "
                                "passes = ceil(max_frames / frames_per_pass)", minimum=1)
    clicks_per_frame: int = spec(3, "N_click: clicks on each prompted frame (fewer once it is perfect)", minimum=1)
    iou_threshold: float = spec(0.75, "sam2-online: pause on a frame whose IoU is below this",
                                minimum=0.0, maximum=1.0)
    score_frames: str = spec("inner", "frames scored: inner = annotated frames but the first and last "
                             "(davis2017-evaluation), all = every annotated frame", choices=("inner", "all"))
    save_masks: str | None = spec(None, "store the last pass's (final) or every pass's (all) per-frame "
                                        "masks as COCO RLE in the records (`run --save-masks`)",
                                  choices=(None, "final", "all"))
    seed: int = spec(0, "seed of random first clicks (protocol sam-random)", minimum=0)


@dataclass(frozen=True)
class ConceptParams(KindParams):
    kind: ClassVar[str] = "concept"
    score_thr: float = spec(0.5, "predictions scoring below this are dropped (CGF1Eval threshold)",
                            minimum=0.0, maximum=1.0)
    seed: int = spec(0, "seed", minimum=0)


KIND_PARAMS: dict[str, type[KindParams]] = {
    c.kind: c for c in (InteractiveParams, ReferringParams, RefImageParams, GenericParams, DavisInteractiveParams)}
KIND_PARAMS["concept"] = ConceptParams
KIND_PARAMS["video-interactive"] = VideoInteractiveParams

#: Options of the click protocols (each protocol declares a subset through its defaults).
PROTOCOL_PARAMS: dict[str, Param] = {p.name: p for p in (
    Param("pred_thr", "float", 0.5, "probability threshold of a probability output", minimum=0.0, maximum=1.0),
    Param("dt", "str", "exact", "distance transform of the click rule", choices=("exact", "kornia")),
    Param("blob_radius", "int", 0, "clicks are (2r+1)^2 squares for the model and the clicker", minimum=0),
    Param("click_stop_iou", "float", None, "no new click once IoU >= this", minimum=0.0, maximum=1.0,
          nullable=True),
    Param("image_stop_iou", "float", None, "image stops once every object IoU > this", minimum=0.0,
          maximum=1.0, nullable=True),
    Param("grid", "bool", False, "clicks and prompts on the model's network grid (seem-official)"),
    Param("batch_size", "int", 1, "objects decoded together in one call (seem-official: 5)", minimum=1),
)}

TOP_LEVEL = ("dataset", "split", "protocol", "first_prompt", "description")


def _protocol_params(task: TaskSpec) -> dict[str, Param]:
    """Options of the task's click protocol and of every first-prompt simulator it may use."""
    if not task.protocol:
        return {}
    from seem_bench.prompts.first import FIRST_PROMPTS
    from seem_bench.prompts.protocols import PROTOCOLS

    proto = PROTOCOLS.get(task.protocol)
    out = {k: dataclasses.replace(PROTOCOL_PARAMS[k], default=v) for k, v in proto.params.items()}
    for _, sim in FIRST_PROMPTS.items():
        out.update({k: Param.from_default(k, v, f"{sim.name} option") for k, v in sim.params.items()
                    if k not in out})
    return out


def known_params(task: TaskSpec) -> dict[str, Param]:
    """Every parameter ``task`` accepts: its kind's, then its protocol's own options."""
    if task.kind not in KIND_PARAMS:
        raise UsageError(f"task {task.name!r}: unknown kind {task.kind!r}; known: {', '.join(KIND_PARAMS)}")
    return {**_protocol_params(task), **KIND_PARAMS[task.kind].declared()}


def unknown_param(task: TaskSpec, key: str) -> UsageError:
    known = sorted({*TOP_LEVEL, *known_params(task)})
    close = difflib.get_close_matches(key, known, n=2)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    return UsageError(f"task {task.name!r} has no parameter {key!r}.{hint} Known: {', '.join(known)}")


def validate_task(task: TaskSpec) -> TaskSpec:
    """``task`` with its parameters checked and coerced, the kind's defaults filled in.

    Protocol and simulator options stay only where given (their defaults belong to the
    protocol, recorded in the header's ``protocol``). Raises `UsageError` on the first bad one.
    """
    import copy

    owner = f"task {task.name!r}"
    known = known_params(task)
    if task.protocol:
        from seem_bench.prompts.protocols import PROTOCOLS

        PROTOCOLS.get(task.protocol)
    if task.params.get("first_prompt_protocol") is not None:
        from seem_bench.prompts.first import FIRST_PROMPTS

        FIRST_PROMPTS.get(task.params["first_prompt_protocol"])
    for key in task.params:
        if key not in known:
            raise unknown_param(task, key)
    kind_params = KIND_PARAMS[task.kind].from_params(task.params, owner).to_dict()
    extra = {k: known[k].check(v, owner) for k, v in task.params.items() if k not in kind_params}
    out = copy.deepcopy(task)
    out.params = {**kind_params, **extra}
    return out


def schema(task: TaskSpec) -> dict[str, Any]:
    """The parameters of ``task`` for ``seem-bench tasks --json``: declaration plus the task's value."""
    return {name: {**p.to_json(), "value": task.params.get(name, p.default)}
            for name, p in known_params(task).items()}
