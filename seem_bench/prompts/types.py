"""Prompt value types shared by the simulators (producers) and the adapters (consumers).

Coordinates are always ``(x, y)`` in original image pixels: ``x`` is the column, ``y`` the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")



@dataclass(frozen=True)
class Click:
    """One click: pixel column ``x``, row ``y`` (original resolution) and its polarity."""

    x: int
    y: int
    positive: bool

    def to_json(self) -> list:
        return [self.x, self.y, int(self.positive)]

    @classmethod
    def from_json(cls, v: list) -> Click:
        return cls(int(v[0]), int(v[1]), bool(v[2]))


@dataclass(frozen=True)
class Box:
    """An axis-aligned box ``(x0, y0, x1, y1)`` in pixels, SAM's XYXY convention.

    ``(x0, y0)`` is the first and ``(x1, y1)`` the *last* object pixel (inclusive), as SAM's
    ``batched_mask_to_box`` and SAM-HQ's ``masks_to_boxes`` derive boxes from masks; a
    one-pixel object at (3, 4) has the box ``(3, 4, 3, 4)``. Jittered boxes hold floats.
    """

    x0: float
    y0: float
    x1: float
    y1: float

    def to_json(self) -> list:
        return [float(self.x0), float(self.y0), float(self.x1), float(self.y1)]


@dataclass(frozen=True)
class Scribble:
    """A stroke: ``points`` is a float array (N, 2) of ``(x, y)`` pixels, plus its polarity.

    ``mask`` (``bool`` (H, W)), when set, is the stroke exactly as the simulator rasterised it
    (SEEM's samplers hand the model pixels, not a polyline); adapters that take masks use it,
    others draw ``points`` themselves.
    """

    points: np.ndarray = field(compare=False)
    positive: bool = True
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        return {"points": np.asarray(self.points).round(2).tolist(), "positive": self.positive}


@dataclass(frozen=True)
class Polygon:
    """A closed outline: ``points`` (N, 2) of ``(x, y)`` pixels; ``mask`` as for `Scribble`."""

    points: np.ndarray = field(compare=False)
    positive: bool = True
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        return {"points": np.asarray(self.points).round(2).tolist(), "positive": self.positive}


@dataclass(frozen=True)
class RefImage:
    """A referenced-image (exemplar) prompt: another image and a mask on it."""

    image: np.ndarray = field(compare=False)
    mask: np.ndarray = field(compare=False)
    source: str = ""  # sample/instance id of the exemplar, for records


@dataclass
class Prompts:
    """Everything the simulated user has given so far for one object.

    The adapter sees the full history each round (``clicks`` accumulate), as RITM, SAM and SEEM
    evaluators feed it; whether the previous mask is also fed back is the separate ``memory``
    argument of `Adapter.decode`.
    """

    clicks: list[Click] = field(default_factory=list)
    #: clicks are drawn as (2r+1) x (2r+1) squares: 0 = single pixels (RITM, SAM), 1 = SEEM's 3x3
    click_radius: int = 0
    box: Box | None = None
    scribbles: list[Scribble] = field(default_factory=list)
    polygons: list[Polygon] = field(default_factory=list)
    text: str | None = None
    ref_image: RefImage | None = None

    def kinds(self) -> set[str]:
        """Prompt kinds present: subset of {point, box, scribble, polygon, text, ref_image}."""
        out = set()
        if self.clicks:
            out.add("point")
        if self.box is not None:
            out.add("box")
        if self.scribbles:
            out.add("scribble")
        if self.polygons:
            out.add("polygon")
        if self.text is not None:
            out.add("text")
        if self.ref_image is not None:
            out.add("ref_image")
        return out
