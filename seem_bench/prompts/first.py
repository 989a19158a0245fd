"""First-round simulators for box, scribble and polygon tasks (`FIRST_PROMPTS`).

A task's ``first_prompt`` (``point | box | scribble | polygon``) names the *kind* of the first
prompt; ``first_prompt_protocol`` names the simulator, defaulting by kind and click protocol:

==========  =================================  ==============================
kind        ``ritm`` / ``sam`` / ``sam-random``  ``seem`` / ``seem-kornia``
==========  =================================  ==============================
point       the click protocol's first click   the click protocol's first click
box         ``box``                            ``seem-box``
scribble    ``davis-robot``                    ``seem-scribble``
polygon     ``polygon``                        ``polygon``
==========  =================================  ==============================

Each simulator returns a `FirstPrompt`: the prompt objects for the model, the pixels now
counting as "already prompted" (SEEM's rule excludes them from later clicks), optionally the
mask later clicks are computed against (``seem-box``), and what goes into the round record.
``None`` means the simulator produced nothing (the robot found no skeleton of >= 4 pixels, or
the object is empty): the loop then falls back to the click protocol's first click and records
that it did.

>>> import numpy as np
>>> gt = np.zeros((8, 10), bool); gt[2:6, 3:8] = True
>>> FIRST_PROMPTS.get("box")(gt, None, np.random.default_rng(0)).record
{'box': [3.0, 2.0, 7.0, 5.0]}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seem_bench.errors import UsageError
from seem_bench.registry import Registry

if TYPE_CHECKING:  # the simulators import numpy and OpenCV when they run, not with the registry
    import numpy as np

    from seem_bench.prompts.types import Box, Click, Polygon, Scribble

FIRST_PROMPT_KINDS = ("point", "box", "scribble", "polygon")


@dataclass
class FirstPrompt:
    """What a first-round simulator hands the loop (one object)."""

    clicks: list[Click] = field(default_factory=list)
    box: Box | None = None
    scribbles: list[Scribble] = field(default_factory=list)
    polygons: list[Polygon] = field(default_factory=list)
    prompted: np.ndarray | None = None  # bool (H, W): pixels now counted as already prompted
    click_target: np.ndarray | None = None  # bool (H, W): later clicks aim at this, not the GT
    record: dict[str, Any] = field(default_factory=dict)


SimFn = Callable[["np.ndarray", "np.ndarray | None", "np.random.Generator", dict[str, Any]],
                 "FirstPrompt | None"]


@dataclass(frozen=True)
class FirstPromptSimulator:
    """A named, versioned first-round simulator.

    ``kind`` is the task's ``first_prompt`` it serves; ``gives`` is the prompt kind the model
    receives (``seem-box`` serves ``box`` tasks but gives the model a click, as SEEM did).
    """

    name: str
    kind: str
    gives: str
    version: str
    fn: SimFn = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    reference: str = ""

    def __call__(self, gt: np.ndarray, ignore: np.ndarray | None, rng: np.random.Generator,
                 options: dict[str, Any] | None = None) -> FirstPrompt | None:
        return self.fn(gt, ignore, rng, {**self.params, **(options or {})})

    def to_json(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        params = {k: (overrides or {}).get(k, v) for k, v in self.params.items()}
        return {"name": self.name, "kind": self.kind, "gives": self.gives,
                "version": self.version, "params": params}


def _box(gt, ignore, rng, opts):
    from seem_bench.prompts.boxes import tight_box

    box = tight_box(gt)
    return None if box is None else FirstPrompt(box=box, record={"box": box.to_json()})


def _box_jitter(gt, ignore, rng, opts):
    from seem_bench.prompts.boxes import jitter_box, tight_box

    box = tight_box(gt)
    if box is None:
        return None
    noisy = jitter_box(box, gt.shape, rng, float(opts["box_noise"]), float(opts["box_noise_cap"]))
    return FirstPrompt(box=noisy, record={"box": noisy.to_json()})


def _seem_box(gt, ignore, rng, opts):
    from seem_bench.prompts.boxes import seem_box_region, tight_box
    from seem_bench.prompts.clicks import click_squares
    from seem_bench.prompts.distance import farthest_pixel
    from seem_bench.prompts.types import Click

    region = seem_box_region(gt)
    if not region.any():
        return None
    x, y, _ = farthest_pixel(region)
    click = Click(x, y, True)  # SEEM puts it in the positive mask, no area rule
    target = str(opts["seem_box_target"])
    if target not in ("box", "mask"):
        raise UsageError(f"seem-box: seem_box_target must be 'box' or 'mask', got {target!r}")
    return FirstPrompt(clicks=[click], prompted=click_squares(gt.shape, [click], 1),
                       click_target=region if target == "box" else None,
                       record={"click": click.to_json(), "box": tight_box(gt).to_json()})


def _davis_robot(gt, ignore, rng, opts):
    import numpy as np

    from seem_bench.prompts.davis_robot import rasterize, robot_scribbles
    from seem_bench.prompts.types import Scribble

    labels = gt.astype(np.int64)
    if ignore is not None:
        labels[ignore & ~gt] = 255  # void, as DAVIS annotations mark it
    strokes = robot_scribbles(labels, np.zeros_like(labels), nb_objects=1,
                              kernel_size=float(opts["kernel_size"]))
    if not strokes:
        return None
    scribbles = [Scribble(points=s.points, positive=s.object_id != 0,
                          mask=rasterize(s.points, gt.shape)) for s in strokes]
    prompted = np.logical_or.reduce([s.mask for s in scribbles])
    return FirstPrompt(scribbles=scribbles, prompted=prompted,
                       record={"scribbles": [s.to_json() for s in scribbles]})


def _seem_scribble(gt, ignore, rng, opts):
    from seem_bench.prompts.seem_shapes import seem_scribble

    s = seem_scribble(gt, rng)
    if s is None:
        return None
    return FirstPrompt(scribbles=[s], prompted=s.mask, record={"scribbles": [s.to_json()]})


def _polygon(gt, ignore, rng, opts):
    from seem_bench.prompts.seem_shapes import seem_polygon

    p = seem_polygon(gt, rng, max_points=int(opts["max_points"]))
    if p is None:
        return None
    return FirstPrompt(polygons=[p], prompted=p.mask, record={"polygon": p.to_json()})


FIRST_PROMPTS: Registry[FirstPromptSimulator] = Registry("first-prompt protocol")
_SEEM_SAMPLER = "SEEM datasets/visual_sampler/simpleclick_sampler.py"
_ROBOT = "davisinteractive 1.0.4 robot/interactive_robot.py (InteractiveScribblesRobot)"
for _sim in (
    FirstPromptSimulator("box", "box", "box", "1", _box,
                         description="tight GT box, XYXY with the last pixel inclusive (SAM-HQ eval)",
                         reference="SAM-HQ eval masks_to_boxes; SAM batched_mask_to_box"),
    FirstPromptSimulator("box-jitter", "box", "box", "1", _box_jitter,
                         params={"box_noise": 0.1, "box_noise_cap": 20.0},
                         description="each side moved by N(0, 0.1 side) capped at 20 px, seeded",
                         reference="SPEC §2; SAM / SAM 2 box noise"),
    FirstPromptSimulator("seem-box", "box", "point", "1", _seem_box,
                         params={"seem_box_target": "box"},
                         description="SEEM 'box': a 3x3 click at the DT maximum of the filled GT "
                                     "box; later clicks aim at the filled box (as SEEM)",
                         reference=_SEEM_SAMPLER + " forward_box"),
    FirstPromptSimulator("davis-robot", "scribble", "scribble", "1", _davis_robot,
                         params={"kernel_size": 0.2},
                         description="DAVIS interactive robot, evaluation-service kernel 0.2",
                         reference=_ROBOT),
    FirstPromptSimulator("davis-robot-0.15", "scribble", "scribble", "1", _davis_robot,
                         params={"kernel_size": 0.15},
                         description="DAVIS interactive robot, class-default kernel 0.15",
                         reference=_ROBOT),
    FirstPromptSimulator("seem-scribble", "scribble", "scribble", "1", _seem_scribble,
                         description="SEEM eval stroke from the DT maximum, clipped to the GT, seeded",
                         reference=_SEEM_SAMPLER + " forward_scribble"),
    FirstPromptSimulator("polygon", "polygon", "polygon", "1", _polygon, params={"max_points": 9},
                         description="SEEM polygon: 1-9 random GT points, closed Bezier outline "
                                     "placed in the GT box, seeded",
                         reference=_SEEM_SAMPLER + " forward_polygon"),
):
    FIRST_PROMPTS.register(_sim.name, _sim)


def default_first_prompt(kind: str, protocol: str) -> str | None:
    """The simulator a ``kind`` task uses under click ``protocol`` (``None`` for points)."""
    if kind not in FIRST_PROMPT_KINDS:
        raise UsageError(f"unknown first_prompt {kind!r}; known: {', '.join(FIRST_PROMPT_KINDS)}")
    if kind == "point":
        return None
    seem = protocol.startswith("seem")
    return {"box": "seem-box" if seem else "box",
            "scribble": "seem-scribble" if seem else "davis-robot",
            "polygon": "polygon"}[kind]
