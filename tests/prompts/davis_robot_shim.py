"""Run the original davisinteractive 1.0.4 robot on numpy 2 / networkx 3 / current scikit-image.

Three incompatibilities, each patched only while the robot runs:

- ``np.int`` / ``np.float`` (removed in numpy 1.24) -> the Python builtins they aliased.
- ``networkx.from_scipy_sparse_matrix`` (removed in networkx 3.0) -> ``from_scipy_sparse_array``
  (same graph, same node and edge insertion order).
- ``skimage.morphology.medial_axis`` breaks ties with an unseeded generator since 0.19; the
  robot's scikit-image (<= 0.18) used ``np.random.RandomState(0).permutation``. The robot module's
  ``medial_axis`` name is rebound to a version fed a generator replaying that stream (written here,
  independently of seem-bench's).
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator

import numpy as np

#: Why the original cannot run here, or None when it can.
MISSING = next((f"{m} is not installed (scripts/bootstrap.sh --test installs it)"
                for m in ("davisinteractive", "absl", "networkx", "sklearn")
                if importlib.util.find_spec(m) is None), None)


class _RS0(np.random.Generator):
    def __init__(self) -> None:
        super().__init__(np.random.PCG64(1))

    def permutation(self, x, axis=0):
        return np.random.RandomState(0).permutation(x)


def _medial_axis_rs0(image, mask=None, return_distance=False):
    from skimage.morphology import medial_axis

    return medial_axis(image, mask=mask, return_distance=return_distance, rng=_RS0())


@contextlib.contextmanager
def patched() -> Iterator[object]:
    """Yields the robot module with the compatibility patches applied."""
    import davisinteractive.robot.interactive_robot as robot_mod
    import networkx as nx

    saved = {name: getattr(np, name, None) for name in ("int", "float")}
    had_nx = hasattr(nx, "from_scipy_sparse_matrix")
    saved_ma = robot_mod.medial_axis
    np.int = int  # type: ignore[attr-defined]
    np.float = float  # type: ignore[attr-defined]
    if not had_nx:
        nx.from_scipy_sparse_matrix = nx.from_scipy_sparse_array
    robot_mod.medial_axis = _medial_axis_rs0
    try:
        yield robot_mod
    finally:
        robot_mod.medial_axis = saved_ma
        if not had_nx:
            del nx.from_scipy_sparse_matrix
        for name, value in saved.items():
            if value is None:
                delattr(np, name)
            else:
                setattr(np, name, value)


def original_scribbles(gt: np.ndarray, pred: np.ndarray, kernel_size: float,
                       nb_objects: int | None = None, frame: int | None = 0) -> dict:
    """``InteractiveScribblesRobot(kernel_size).interact`` on (T, H, W) label arrays."""
    with patched() as robot_mod:
        robot = robot_mod.InteractiveScribblesRobot(kernel_size=kernel_size)
        return robot.interact("seq", pred, gt, nb_objects=nb_objects, frame=frame)
