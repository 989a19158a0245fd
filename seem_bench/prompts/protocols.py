"""Named, versioned prompt protocols. Their parameters go into every run record.

Two registries:

- `PROTOCOLS`: click protocols (``ritm``, ``seem``, ``seem-kornia``, ``seem-official``, ``sam``,
  ``sam-random``),
  the simulated user of every round after the first and of the first round when the task's
  ``first_prompt`` is ``point``. A `ClickProtocol` carries what the loop needs: the click
  function, the blob radius clicks are drawn with, the stop rules, its parameters and version.
- `FIRST_PROMPTS`: first-round simulators for the other prompt kinds (``box``, ``box-jitter``,
  ``seem-box``, ``davis-robot``, ``davis-robot-0.15``, ``seem-scribble``, ``polygon``); see
  `seem_bench.prompts.first`.

A protocol's ``params`` are its defaults; a task or ``--set key=value`` overrides them, and the
effective values are recorded. Bump ``version`` whenever a change could move a number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seem_bench.errors import UsageError
from seem_bench.prompts.sampling import SAMPLING_PARAMS, Sampling, sampling_from
from seem_bench.registry import LazyFunction, Registry

if TYPE_CHECKING:  # the rules import numpy and OpenCV on first use, not with the registry
    import numpy as np

    from seem_bench.prompts.clicks import ClickChoice
    from seem_bench.prompts.types import Click

ritm_click = LazyFunction("seem_bench.prompts.clicks:ritm_click")
ritm_choice = LazyFunction("seem_bench.prompts.clicks:ritm_choice")
seem_click = LazyFunction("seem_bench.prompts.clicks:seem_click")
seem_choice = LazyFunction("seem_bench.prompts.clicks:seem_choice")

ClickFn = Callable[..., "Click | None"]
ChoiceFn = Callable[..., "ClickChoice"]

#: Loop switches the click function itself honours; they are task parameters (declared in
#: `seem_bench.params.InteractiveParams`), not protocol options, but `next_click` accepts them,
#: as it does the sampled-click parameters (`seem_bench.prompts.sampled.SAMPLING_PARAMS`).
CLICK_SWITCHES = ("negatives", *SAMPLING_PARAMS)


@dataclass(frozen=True)
class ClickProtocol:
    """A click simulator plus the loop rules that go with it.

    Attributes:
        name, version: recorded with every run; the version changes when a number could move.
        click_fn: ``(gt, pred, ignore, clicked, **options) -> Click | None``.
        choice_fn: same arguments, returns the `ClickChoice` (polarity + error region) that
            sampled clicks draw a position in; ``click_fn`` is its deterministic click.
        params: the protocol's own options and their defaults: ``pred_thr`` (threshold for
            probability outputs), ``dt``, ``blob_radius``, ``click_stop_iou``,
            ``image_stop_iou`` (typed in `seem_bench.params.PROTOCOL_PARAMS`). Loop parameters
            (``max_rounds``, ``iou_target``, ``memory``, ``negatives``, ``output``) belong to
            the task kind (`seem_bench.params.InteractiveParams`), declared once there, and
            so are the sampled-click parameters (``gamma``, ``sigma``, ``draws``, ``worst_of``).
        first_random: the first click is a uniformly random object pixel (``sam-random``).
        report_ks: the rounds the protocol's paper reports (SAM: 1, 2, 3, 5, 9).
        reference: where the rule was read.
    """

    name: str
    version: str
    click_fn: ClickFn = field(repr=False)
    choice_fn: ChoiceFn = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    first_random: bool = False
    report_ks: tuple[int, ...] = ()
    reference: str = ""

    @property
    def blob_radius(self) -> int:
        """Clicks are (2r+1)^2 squares for the model and for "already prompted" (SEEM: 1)."""
        return int(self.params.get("blob_radius", 0))

    def options(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The effective parameters: defaults updated by ``overrides`` (task / ``--set``)."""
        return {**self.params, **(overrides or {})}

    def click(self, gt: np.ndarray, pred: np.ndarray, ignore: np.ndarray | None = None,
              clicked: Sequence[Click] = (), *, first: bool = False,
              prompted: np.ndarray | None = None, rng: np.random.Generator | None = None,
              options: dict[str, Any] | None = None, sampling: Sampling | None = None,
              origin: tuple[int, int] | None = None) -> Click | None:
        """The next click under this protocol; ``first`` marks the object's very first prompt.

        ``sampling``: draw the position inside the protocol's error region (needs ``rng``);
        ``None`` is the deterministic protocol. The caller decides (draw 0 of a sampled run is
        deterministic), so ``options``' own ``gamma`` is not looked at here.

        ``origin``: ``gt``, ``pred``, ``ignore`` and ``prompted`` are a crop of the frame with
        this top-left ``(row, col)`` that holds every pixel of all four (the loop's bounding
        box); the click is the same as on the full frame and in frame coordinates. Only for the
        deterministic rules (not with ``sampling``, nor a random first point).
        """
        if origin is not None and (sampling is not None or (first and self.first_random)):
            raise ValueError("a cropped click is only for the deterministic rules")
        opts = self.options(options)
        if first and self.first_random:
            if rng is None:
                raise UsageError(f"protocol {self.name!r} draws its first point at random: pass "
                                 "rng=prompt_rng(seed, sample_id, instance_id, 1)")
            from seem_bench.prompts.clicks import sam_random_click

            return sam_random_click(gt, ignore, rng)
        kw = {"prompted": prompted, "dt": opts.get("dt", "exact"),
              "blob_radius": int(opts.get("blob_radius", 0)),
              "negatives": bool(opts.get("negatives", True))}
        if sampling is None:
            if origin is not None:
                kw["origin"] = origin
            return self.click_fn(gt, pred, ignore, tuple(clicked), **kw)
        if rng is None:
            raise UsageError(f"sampled clicks of protocol {self.name!r} need "
                             "rng=prompt_rng(seed, sample_id, instance_id, round, draw)")
        from seem_bench.prompts.sampled import sampled_click

        choice = self.choice_fn(gt, pred, ignore, tuple(clicked), **kw)
        return sampled_click(choice, rng, gamma=sampling.gamma, sigma=sampling.sigma)

    def to_json(self, overrides: dict[str, Any] | None = None, sampling: Sampling | None = None
                ) -> dict[str, Any]:
        """Name, version and effective options, as recorded in the run header; with sampled
        clicks (``sampling``, from the task's parameters) also ``sampling``: its settings and
        ``variant`` (``sampled`` or ``worst-of-M``), which reports read.
        """
        out = {"name": self.name, "version": self.version, "params": self.options(overrides)}
        if sampling is not None:
            out["sampling"] = sampling.to_json()
        return out


PROTOCOLS: Registry[ClickProtocol] = Registry("protocol")

_RITM_REF = "RITM isegm/inference/clicker.py (Clicker._get_next_click)"
PROTOCOLS.register("ritm", ClickProtocol(
    name="ritm", version="1", click_fn=ritm_click, choice_fn=ritm_choice,
    params={"pred_thr": 0.49},
    description="RITM/SimpleClick clicker: exact padded L2 DT, positive iff max FN dist > max FP "
                "dist (tie negative), first maximum in row-major order",
    reference=_RITM_REF,
))

_SEEM_PARAMS = {"pred_thr": 0.5, "dt": "exact", "blob_radius": 1,
                "click_stop_iou": 0.925, "image_stop_iou": 0.9}
_SEEM_REF = ("SEEM seem_model_v1.py prepare_next_spaital_mask + evaluate_interactive; "
             "datasets/visual_sampler/simpleclick_sampler.py")
PROTOCOLS.register("seem", ClickProtocol(
    name="seem", version="1", click_fn=seem_click, choice_fn=seem_choice, params=_SEEM_PARAMS,
    description="SEEM evaluator: positive iff FN area > FP area, prompted pixels excluded, DT "
                "argmax (1-px pad) drawn as 3x3, no click once IoU >= 0.925, image stops when "
                "every object IoU > 0.9",
    reference=_SEEM_REF,
))
PROTOCOLS.register("seem-kornia", ClickProtocol(
    name="seem-kornia", version="1", click_fn=seem_click, choice_fn=seem_choice, params={**_SEEM_PARAMS, "dt": "kornia"},
    description="seem with kornia 0.7.0's approximate distance transform (as SEEM ran it)",
    reference=_SEEM_REF,
))

_OFFICIAL_REF = ("SEEM 7b2e76d evaluate_interactive + prepare_next_spaital_mask (seem_model_v1.py), "
                 "SimpleClickSampler.forward_point, pascalvoc_dataset_mapper_ix.py, "
                 "register_pascalvoc_eval.py; see seem_bench.prompts.seem_official")
PROTOCOLS.register("seem-official", ClickProtocol(
    name="seem-official", version="1", click_fn=seem_click, choice_fn=seem_choice,
    params={**_SEEM_PARAMS, "dt": "kornia", "grid": True, "batch_size": 5},
    description="SEEM's own VOC Point evaluator exactly: clicks on the network grid against the "
                "cubic-resized GT and the bilinearly upsampled logits, kornia DT, grid IoU for "
                "the 0.925 keep rule, objects decoded in batches of 5 (SEEM models only)",
    reference=_OFFICIAL_REF,
))

_SAM_PARAMS = {"pred_thr": 0.5}
_SAM_REF = "SAM paper (Kirillov et al. 2023) App. D.1; ties/border/repeats as ritm"
PROTOCOLS.register("sam", ClickProtocol(
    name="sam", version="1", click_fn=ritm_click, choice_fn=ritm_choice, params=_SAM_PARAMS, report_ks=(1, 2, 3, 5, 9),
    description="SAM App. D.1: farthest from the object / error-region boundary; output=top "
                "(model's top-ranked mask) or oracle (best candidate vs GT)",
    reference=_SAM_REF,
))
PROTOCOLS.register("sam-random", ClickProtocol(
    name="sam-random", version="1", click_fn=ritm_click, choice_fn=ritm_choice, params=_SAM_PARAMS, first_random=True,
    report_ks=(1, 2, 3, 5, 9),
    description="sam with a uniformly random first object pixel (seeded)",
    reference=_SAM_REF,
))


def next_click(gt: np.ndarray, pred: np.ndarray, *, protocol: str = "ritm",
               ignore: np.ndarray | None = None, clicked: Sequence[Click] = (),
               prompted: np.ndarray | None = None, rng: np.random.Generator | None = None,
               **options: Any) -> Click | None:
    """The simulated user's next click.

    Args:
        gt: object mask, ``bool`` (H, W).
        pred: current prediction, ``bool`` (H, W); all ``False`` before the first click.
        protocol: registered protocol name (``seem-bench protocols`` lists them).
        ignore: pixels never clicked nor counted, ``bool`` (H, W), or ``None``.
        clicked: earlier clicks, oldest first.
        prompted: other pixels already given as prompts (``seem``: a first scribble/polygon).
        rng: generator for random protocols (``sam-random``'s first point) and sampled clicks;
            use `prompt_rng`.
        options: protocol options, e.g. ``dt="kornia"``, ``negatives=False``, or ``gamma=2``
            (and ``sigma``) for a click drawn in the error region (`seem_bench.prompts.sampled`).

    Returns:
        a `Click` with ``x`` (column) and ``y`` (row) in original pixels, or ``None`` where the
        rule places none (``negatives=False`` with no false negative left). Per-object stop
        rules (SEEM's IoU >= 0.925) are the loop's business, not this function's.

    >>> import numpy as np
    >>> gt = np.zeros((5, 5), bool); gt[1:4, 1:4] = True
    >>> next_click(gt, np.zeros_like(gt))
    Click(x=2, y=2, positive=True)
    >>> next_click(gt, gt | np.eye(5, dtype=bool), protocol="seem")
    Click(x=0, y=0, positive=False)
    """
    import numpy as np

    proto = PROTOCOLS.get(protocol)
    unknown = set(options) - set(proto.params) - set(CLICK_SWITCHES)
    if unknown:
        raise UsageError(f"protocol {protocol!r} has no option {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted({*proto.params, *CLICK_SWITCHES}))}")
    gt = np.asarray(gt, bool)
    pred = np.asarray(pred, bool)
    if gt.ndim != 2 or pred.shape != gt.shape:
        raise UsageError(f"next_click: gt and pred must be (H, W) of one shape, got {gt.shape} "
                         f"and {pred.shape}")
    first = not clicked and prompted is None and not pred.any()
    return proto.click(gt, pred, None if ignore is None else np.asarray(ignore, bool), clicked,
                       first=first, prompted=None if prompted is None else np.asarray(prompted, bool),
                       rng=rng, options=options, sampling=sampling_from(options))
