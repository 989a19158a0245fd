"""``davis-robot``: the DAVIS interactive scribble robot (davisinteractive 1.0.4).

Reproduces ``davisinteractive.robot.InteractiveScribblesRobot.interact`` for one frame, on
numpy 2 / networkx 3 / current scikit-learn and scikit-image. For each object id
``k = 0 .. nb_objects`` (0 = background: its scribbles are negative):

1. error mask ``(gt == k) & (pred != k)``; skipped when empty. Void pixels (255) belong to no
   id, so they are never an error.
2. Opening (erosion then dilation) with ``skimage.morphology.disk(r)``,
   ``r = min(kernel_size * sqrt(area) * 0.5, 16)``; while the opening is empty and ``r > 1``,
   ``r *= 0.9`` and retry. ``r <= 1`` from the start means no opening; if the radius drops to
   ``<= 1`` with the opening still empty, the empty opening is kept (no scribble for that id).
   ``disk`` with a fractional radius samples ``arange(-r, r + 1)``, an even-sized, off-centre
   footprint for some ``r``: kept as is. Pixels outside the image are ignored by the
   filters (skimage rank filters), and a pixel whose footprint covers no image pixel gets 0.
3. Medial axis of the opening zero-padded by 1 px, cropped back. Current scikit-image breaks
   medial-axis ties with an *unseeded* generator, so the original robot is no longer
   deterministic; scikit-image <= 0.18 (the robot's era) used ``RandomState(0).permutation``
   and seem-bench replays exactly that stream.
4. Graph over skeleton pixels (row-major order), edges between pixels within sqrt(2), weighted
   by distance (``sklearn.neighbors.radius_neighbors_graph`` -> ``networkx``); per connected
   component, cycles are broken by removing the heaviest edge of each cycle ``find_cycle``
   returns (first heaviest in cycle order); components with fewer than 4 nodes are dropped.
   These steps use the same libraries as the original because its output depends on their
   traversal orders (adjacency order, set order of components), not only on the graph.
5. Longest path of each tree by two sweeps: farthest node (hop count, first in BFS order) from
   the component's first node, then the longest shortest path from there.
6. Bezier curve through the path's pixels, ``min(nb_points, 1000)`` samples of
   ``sum_i C(n, i) t^(n-i) (1-t)^i P_i``: the curve runs from the path's *last* point to its
   first. A path with more pixels than samples is returned unchanged (no resampling).
7. Coordinates are divided by ``(W, H)`` for the DAVIS scribble JSON (`to_davis_json`).

``kernel_size`` is 0.2 in the DAVIS evaluation service and 0.15 as the class default.

>>> gt = np.zeros((40, 60), int); gt[5:35, 10:50] = 1
>>> [(s.object_id, s.points.shape) for s in robot_scribbles(gt, np.zeros_like(gt))]
[(1, (1000, 2))]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from seem_bench.errors import MissingDependencyError

SERVICE_KERNEL_SIZE = 0.2  # davisinteractive.evaluation.service default
CLASS_KERNEL_SIZE = 0.15  # InteractiveScribblesRobot() default


@dataclass(frozen=True)
class RobotScribble:
    """One robot stroke: ``points`` (N, 2) float ``(x, y)`` pixels; ``object_id`` 0 = background."""

    object_id: int
    points: np.ndarray


class _LegacyTiebreak(np.random.Generator):
    """A generator whose ``permutation`` is ``RandomState(0).permutation``: scikit-image <= 0.18's
    medial-axis tie-break, passed through ``medial_axis(rng=...)``."""

    def __init__(self) -> None:
        super().__init__(np.random.PCG64(0))

    def permutation(self, x: Any, axis: int = 0) -> np.ndarray:  # type: ignore[override]
        return np.random.RandomState(0).permutation(x)


def legacy_medial_axis(mask: np.ndarray) -> np.ndarray:
    """``skimage.morphology.medial_axis`` with scikit-image <= 0.18's fixed tie-break."""
    from skimage.morphology import medial_axis

    return medial_axis(mask, rng=_LegacyTiebreak())


def sk_disk(radius: float) -> np.ndarray:
    """``skimage.morphology.disk(radius)`` for a possibly fractional radius, ``uint8``."""
    axis = np.arange(-radius, radius + 1)
    xx, yy = np.meshgrid(axis, axis)
    return (xx ** 2 + yy ** 2 <= radius ** 2).astype(np.uint8)


def _opening(mask: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    # cv2 anchors at (size // 2) and correlates, like skimage's rank filters; it only differs
    # where the footprint misses every image pixel (rank filters give 0 there, cv2 erode 255).
    covered = cv2.dilate(np.ones_like(mask), footprint, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    eroded = np.minimum(cv2.erode(mask, footprint), covered)
    return cv2.dilate(eroded, footprint)


def scribble_skeleton(error: np.ndarray, kernel_size: float = SERVICE_KERNEL_SIZE,
                      max_kernel_radius: float = 16) -> np.ndarray:
    """Steps 2-3: the skeleton the robot draws along, ``bool`` (H, W)."""
    mask = np.asarray(error, np.uint8)
    side = np.sqrt(np.sum(mask > 0))
    radius = min(kernel_size * side * .5, max_kernel_radius)
    opened = mask
    while radius > 1.:
        opened = _opening(mask, sk_disk(radius))
        if opened.any():
            break
        radius *= .9
    return legacy_medial_axis(np.pad(opened.astype(bool), 1))[1:-1, 1:-1]


def _graph_libs():
    try:
        import networkx as nx
        from sklearn.neighbors import radius_neighbors_graph
    except ImportError as e:
        raise MissingDependencyError(
            f"the davis-robot protocol needs networkx and scikit-learn ({e.name} is missing): "
            "pip install networkx scikit-learn") from e
    return nx, radius_neighbors_graph


def skeleton_paths(skeleton: np.ndarray, min_nb_nodes: int = 4) -> list[np.ndarray]:
    """Steps 4-5: the longest path of every kept skeleton component, ``int`` (N, 2) ``(x, y)``."""
    nx, radius_neighbors_graph = _graph_libs()
    ys, xs = np.nonzero(skeleton)
    if xs.size == 0:
        return []
    points = np.stack([xs, ys], axis=1)
    graph = nx.from_scipy_sparse_array(radius_neighbors_graph(points, np.sqrt(2), mode="distance"))
    paths = []
    for component in nx.connected_components(graph):
        tree = graph.subgraph(component).copy()
        while True:
            try:
                cycle = nx.find_cycle(tree)
            except nx.NetworkXNoCycle:
                break
            weights = [graph[u][v]["weight"] for u, v in cycle]
            tree.remove_edge(*cycle[int(np.argmax(weights))])
        if len(tree) < min_nb_nodes:
            continue
        start = next(iter(tree.nodes()))
        hops = nx.single_source_shortest_path_length(tree, start)
        end = max(hops.items(), key=lambda kv: kv[1])[0]
        longest = max(nx.single_source_shortest_path(tree, end).values(), key=len)
        paths.append(points[list(longest)])
    return paths


def bezier(points: np.ndarray, nb_points: int = 1000) -> np.ndarray:
    """Step 6: ``min(nb_points, 1000)`` samples of the Bezier curve of ``points`` (N, 2)."""
    from scipy.special import comb

    nb_points = min(nb_points, 1000)
    pts = np.asarray(points, dtype=float)
    n = len(pts)
    if n > nb_points:
        return pts
    t = np.linspace(0., 1., nb_points).reshape(1, -1)
    i = np.arange(n).reshape(-1, 1)
    # Term order kept as the robot evaluates it, so that every float matches.
    basis = comb(n - 1, i) * (t ** (n - 1 - i)) * (1 - t) ** i
    return basis.T.dot(pts)


def robot_scribbles(gt: np.ndarray, pred: np.ndarray, nb_objects: int | None = None,
                    kernel_size: float = SERVICE_KERNEL_SIZE, max_kernel_radius: float = 16,
                    min_nb_nodes: int = 4, nb_points: int = 1000) -> list[RobotScribble]:
    """The robot's scribbles for one frame.

    Args:
        gt, pred: ``int`` label maps (H, W): 0 = background, k = object k, 255 = void (gt).
        nb_objects: number of objects; ``None`` counts the distinct ids in ``gt`` other than 0
            and 255 (a count, not the largest id: with ids {1, 3} only 0, 1, 2 are scribbled,
            as in the original).
        kernel_size: 0.2 (evaluation service) or 0.15 (class default).

    Returns:
        strokes in object-id order, pixel coordinates (divide by (W, H) for DAVIS JSON).
    """
    gt = np.asarray(gt)
    pred = np.asarray(pred)
    if nb_objects is None:
        ids = np.unique(gt)
        nb_objects = int(np.count_nonzero((ids > 0) & (ids < 255)))
    out = []
    for obj in range(nb_objects + 1):
        error = (gt == obj) & (pred != obj)
        if not error.any():
            continue
        skeleton = scribble_skeleton(error, kernel_size, max_kernel_radius)
        for path in skeleton_paths(skeleton, min_nb_nodes):
            out.append(RobotScribble(obj, bezier(path, nb_points)))
    return out


def worst_frame(gt: np.ndarray, pred: np.ndarray, nb_objects: int) -> int:
    """The frame the robot scribbles on when none is given: lowest mean Jaccard over objects.

    ``gt``, ``pred``: ``int`` (T, H, W). Per object, an empty union counts as 1; ties go to the
    first frame (davisinteractive ``batched_jaccard(...).argmin()``).
    """
    jac = np.empty((len(gt), nb_objects))
    for k in range(nb_objects):
        g, p = gt == k + 1, pred == k + 1
        union = (g | p).sum(axis=(1, 2))
        inter = (g & p).sum(axis=(1, 2))
        jac[:, k] = np.where(union == 0, 1.0, inter / np.maximum(union, 1))
    return int(np.argmin(jac.mean(axis=1)))


def to_davis_json(scribbles: list[RobotScribble], shape: tuple[int, int]) -> list[dict[str, Any]]:
    """Strokes as DAVIS scribble entries: ``{"path": [[x/W, y/H], ...], "object_id": k}``."""
    h, w = shape
    scale = np.asarray([w, h], dtype=float)
    return [{"path": (s.points / scale).tolist(), "object_id": int(s.object_id)} for s in scribbles]


def rasterize(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A 1-px polyline through the rounded points, ``bool`` (H, W) (for mask-taking models)."""
    canvas = np.zeros(shape, np.uint8)
    pts = np.rint(np.asarray(points, float)).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(canvas, [pts], isClosed=False, color=1, thickness=1, lineType=cv2.LINE_8)
    return canvas.astype(bool)
