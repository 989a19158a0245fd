"""SEEM's released scribble and polygon samplers (``SimpleClickSampler`` "Scribble"/"Polygon").

SEEM drew these with unseeded ``random`` / ``numpy.random`` / ``torch.randperm`` calls, so no
run of SEEM's evaluator can be reproduced draw for draw. seem-bench keeps the geometry of each
sampler and takes every random draw from one seeded generator, in the order documented below;
the same seed gives the same prompt everywhere.

``seem-scribble`` (``forward_scribble`` -> ``Scribble.draw_by_points`` ->
``get_mask_by_input_strokes`` with one stroke):

1. start = the distance-transform maximum of the object (SEEM: of ``gt & ~pred & ~prompted``,
   which is the object in the first round), first maximum in row-major order;
2. preset ``rand_curve`` or ``rand_curve_small`` with probability 1/2 each;
3. brush width ``integers(lo, hi)`` (``(3, 10)`` / ``(2, 5)``: SEEM's float bound 2.5 is
   truncated, as legacy ``randint`` did);
4. a random walk of ``integers(*nVertexBound)`` vertices from the start: speed and heading start
   ``U(0, maxHeadSpeed)`` and ``U(0, 2 pi)``, each step adds ``U(-a, a)`` to both (``a`` from
   ``maxHeadAcceleration``), clips the speed to ``[0, maxHeadSpeed]`` and moves by
   ``(speed sin(heading), speed cos(heading))`` (SEEM's x uses the sine); then a line velocity
   ``(|N(0, maxInitSpeed / 2)|, U(0, 2 pi))``;
5. SEEM draws that stroke, throws it away and returns a *moved* copy: every vertex is shifted by
   ``(int(v cos(a)), int(v sin(a)))`` of the line velocity, a Gaussian acceleration is drawn
   (and unused), and ``int(n * 0.5)`` vertices chosen by a permutation move by
   ``integers(-m, m)`` in x then y (``m`` = ``maxPiontMove`` truncated: 3 or 1);
6. the moved polyline is drawn with PIL: lines of the brush width plus a disc of radius
   ``width // 2 - 1`` at each vertex; the prompt is that drawing *intersected with the object*.

``polygon`` (``forward_polygon``):

1. ``n = integers(1, min(9, |object|) + 1)`` object pixels chosen by ``permutation`` (row-major
   candidates), normalised as ``(x / (W + 1), y / (H + 1))`` by the *image* size;
2. a closed Bezier outline through them (control-point radius 0.2, edginess 0.05: points sorted
   by ``arctan2(dx, dy)`` around their mean, 100 samples per cubic segment), clipped to [0, 1];
3. the outline is scaled by the detectron2 box size *minus one* and placed at the box origin:
   pixel ``(x0 + int(x (x1 - x0 - 1)), y0 + int(y (y1 - y0 - 1)))`` with ``x1``/``y1`` exclusive.
   So the outline lies in the GT box but is not fitted to the object; only the outline pixels
   are set (no fill, no dilation). One chosen point gives a single pixel.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from seem_bench.prompts.boxes import tight_box
from seem_bench.prompts.distance import farthest_pixel
from seem_bench.prompts.types import Polygon, Scribble

#: SEEM's stroke presets (``datasets/visual_sampler/scribble.py``), used as given.
STROKE_PRESETS = {
    "rand_curve": {"vertices": (10, 30), "max_head_speed": 20, "head_acc": (15, 0.5),
                   "brush": (3, 10), "move_ratio": 0.5, "max_point_move": 3,
                   "max_init_speed": 6},
    "rand_curve_small": {"vertices": (6, 22), "max_head_speed": 12, "head_acc": (8, 0.5),
                         "brush": (2, 5), "move_ratio": 0.5, "max_point_move": 1,
                         "max_init_speed": 3},
}
LINE_ACCELERATION = {"rand_curve": (5, 0.5), "rand_curve_small": (3, 0.5)}


def seem_scribble(gt: np.ndarray, rng: np.random.Generator, region: np.ndarray | None = None
                  ) -> Scribble | None:
    """SEEM's eval scribble for ``gt`` (``bool`` (H, W)); ``None`` if it misses the object.

    ``region``: where the stroke starts (default ``gt``). The returned `Scribble` holds the moved
    control points as ``points`` and the drawn pixels (inside ``gt``) as ``mask``.
    """
    region = gt if region is None else region
    if not region.any():
        return None
    h, w = gt.shape
    name = "rand_curve" if rng.random() < 0.5 else "rand_curve_small"
    p = STROKE_PRESETS[name]
    width = int(rng.integers(*p["brush"]))
    x, y, _ = farthest_pixel(region)
    xs, ys = [float(x)], [float(y)]
    n_vertex = int(rng.integers(*p["vertices"]))
    heading = rng.uniform(0, 2 * np.pi)
    speed = rng.uniform(0, p["max_head_speed"])
    d_speed, d_heading = p["head_acc"]
    for _ in range(n_vertex):
        speed += rng.uniform(-d_speed, d_speed)
        heading += rng.uniform(-d_heading, d_heading)
        speed = float(np.clip(speed, 0, p["max_head_speed"]))
        xs.append(xs[-1] + speed * math.sin(heading))
        ys.append(ys[-1] + speed * math.cos(heading))
    line_speed = abs(rng.normal(0, p["max_init_speed"] / 2))
    line_heading = rng.uniform(0, 2 * np.pi)
    pts = np.stack([xs, ys], axis=1)
    pts += [int(line_speed * math.cos(line_heading)), int(line_speed * math.sin(line_heading))]
    rng.normal(0, np.array(LINE_ACCELERATION[name]) / 2)  # SEEM draws it and never uses it
    chosen = rng.permutation(len(pts))[:int(len(pts) * p["move_ratio"])]
    m = p["max_point_move"]
    for i in chosen:
        pts[i, 0] += rng.integers(-m, m)
        pts[i, 1] += rng.integers(-m, m)
    canvas = Image.new("1", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    r = width // 2 - 1
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        draw.line((a[0], a[1], b[0], b[1]), fill=1, width=width)
    for px, py in pts:
        draw.ellipse((px - r, py - r, px + r, py + r), fill=1)
    mask = np.array(canvas, dtype=bool) & gt
    if not mask.any():
        return None
    return Scribble(points=pts, positive=True, mask=mask)


def _cubic(p: np.ndarray, num: int = 100) -> np.ndarray:
    t = np.linspace(0, 1, num=num)
    coef = [math.comb(3, i) * t ** i * (1. - t) ** (3 - i) for i in range(4)]
    return sum(np.outer(c, p[i]) for i, c in enumerate(coef))


def closed_bezier(points: np.ndarray, rad: float = 0.2, edgy: float = 0.05) -> np.ndarray:
    """SEEM's smooth closed outline through ``points`` (N, 2): (100 N, 2) samples."""
    mix = np.arctan(edgy) / np.pi + .5
    d = points - points.mean(axis=0)
    pts = points[np.argsort(np.arctan2(d[:, 0], d[:, 1]))]  # SEEM sorts by arctan2(dx, dy)
    pts = np.vstack([pts, pts[:1]])
    step = np.diff(pts, axis=0)
    ang = np.arctan2(step[:, 1], step[:, 0])
    ang = np.where(ang >= 0, ang, ang + 2 * np.pi)
    prev = np.roll(ang, 1)
    ang = mix * ang + (1 - mix) * prev + (np.abs(prev - ang) > np.pi) * np.pi
    ang = np.append(ang, ang[0])
    curves = []
    for i in range(len(pts) - 1):
        p1, p2 = pts[i], pts[i + 1]
        r = rad * np.sqrt(np.sum((p2 - p1) ** 2))
        ctrl = np.array([p1, p1 + r * np.array([np.cos(ang[i]), np.sin(ang[i])]),
                         p2 + r * np.array([np.cos(ang[i + 1] + np.pi), np.sin(ang[i + 1] + np.pi)]),
                         p2])
        curves.append(_cubic(ctrl))
    return np.concatenate(curves)


def seem_polygon(gt: np.ndarray, rng: np.random.Generator, max_points: int = 9,
                 region: np.ndarray | None = None) -> Polygon | None:
    """SEEM's eval polygon for ``gt`` (``bool`` (H, W)); ``None`` for an empty object.

    ``region``: where the points are drawn (default ``gt``). ``points`` are the outline samples
    in pixels (floats, before truncation); ``mask`` the pixels SEEM sets.
    """
    region = gt if region is None else region
    flat = np.flatnonzero(region)
    box = tight_box(gt)
    if flat.size == 0 or box is None:
        return None
    h, w = gt.shape
    n = int(rng.integers(1, min(max_points, flat.size) + 1))
    idx = flat[rng.permutation(flat.size)[:n]]
    coords = np.stack([(idx % w) / (w + 1), (idx // w) / (h + 1)], axis=1)
    curve = np.clip(closed_bezier(coords), 0.0, 1.0)
    bw, bh = box.x1 - box.x0, box.y1 - box.y0  # detectron2's x2 - x1 - 1 (x2 exclusive)
    cols = (curve[:, 0] * bw).astype(np.int64)  # toward zero, as torch's .int()
    rows = (curve[:, 1] * bh).astype(np.int64)
    mask = np.zeros_like(gt, dtype=bool)
    mask[box.y0 + rows, box.x0 + cols] = True
    pts = np.stack([box.x0 + curve[:, 0] * bw, box.y0 + curve[:, 1] * bh], axis=1)
    return Polygon(points=pts, positive=True, mask=mask)
