"""Sampled-click settings: their parameters, validation and the `Sampling` a run records.

Declarations only (no array code), so that the task schema (``seem-bench tasks``) loads without
numpy; the sampling itself is `seem_bench.prompts.sampled`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from seem_bench.errors import UsageError


def parse_gamma(value: Any) -> float | None:
    """``gamma`` as given by a task or ``--set``: ``None`` for the deterministic protocol.

    >>> parse_gamma("inf") is None, parse_gamma(2)
    (True, 2.0)
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("inf", "+inf", ".inf")):
        return None
    try:
        g = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"gamma must be a number >= 0 or 'inf', got {value!r}") from None
    if math.isnan(g) or g < 0:
        raise UsageError(f"gamma must be a number >= 0 or 'inf', got {value!r}")
    return None if math.isinf(g) else g


def parse_sigma(value: Any) -> float:
    """``sigma`` (pixels of Gaussian displacement), a finite number >= 0."""
    try:
        s = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"sigma must be a number >= 0 (pixels), got {value!r}") from None
    if not math.isfinite(s) or s < 0:
        raise UsageError(f"sigma must be a number >= 0 (pixels), got {value!r}")
    return s


#: Protocol parameters of sampled clicks; their defaults are the deterministic protocol.
SAMPLING_PARAMS: dict[str, Any] = {"gamma": None, "sigma": 0.0, "draws": 1, "worst_of": 1}


@dataclass(frozen=True)
class Sampling:
    """Effective sampled-click settings of a run (``None`` from `sampling_from`: deterministic).

    ``draws``: sampled repetitions per object (draw 0, the deterministic protocol, comes on
    top). ``worst_of``: candidates per round, of which the loop keeps the one whose prediction
    has the lowest IoU (a black-box worst case; 1 = plain sampling).
    """

    gamma: float
    sigma: float = 0.0
    draws: int = 1
    worst_of: int = 1

    @property
    def variant(self) -> str:
        """The protocol variant recorded in the header: ``sampled`` or ``worst-of-M``."""
        return "sampled" if self.worst_of == 1 else f"worst-of-{self.worst_of}"

    def to_json(self) -> dict[str, Any]:
        return {"variant": self.variant, "gamma": self.gamma, "sigma": self.sigma,
                "draws": self.draws, "worst_of": self.worst_of}


def _positive_int(options: dict[str, Any], key: str) -> int:
    v = options.get(key, SAMPLING_PARAMS[key])
    if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v or v < 1:
        raise UsageError(f"{key} must be an integer >= 1, got {v!r}")
    return int(v)


def sampling_from(options: dict[str, Any]) -> Sampling | None:
    """The `Sampling` that protocol ``options`` ask for, validated; ``None`` = deterministic.

    Raises `UsageError` naming the parameter for a bad value, and for ``draws``, ``sigma`` or
    ``worst_of`` given without a finite ``gamma`` (they would silently change nothing).
    """
    gamma = parse_gamma(options.get("gamma"))
    sigma = parse_sigma(options.get("sigma", 0.0))
    draws = _positive_int(options, "draws")
    worst_of = _positive_int(options, "worst_of")
    if gamma is None:
        extra = [k for k, on in (("draws", draws > 1), ("sigma", sigma > 0), ("worst_of", worst_of > 1))
                 if on]
        if extra:
            raise UsageError(f"{', '.join(extra)} need sampled clicks: set gamma to a number >= 0 "
                             "(e.g. --set gamma=2)")
        return None
    return Sampling(gamma=gamma, sigma=sigma, draws=draws, worst_of=worst_of)
