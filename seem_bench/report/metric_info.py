"""What a summary metric key means for display and comparison, read from the metric contract.

The metadata (unit, direction, display precision) is declared by the evaluator that computes
the metric (`seem_bench.metrics.contract.MetricSpec`) and written into ``summary.json`` under
``metric_specs``. Reports read it from there; numbers that come without a summary (reported
rows, leaderboard files, summaries written before ``metric_specs``) use the specs the registered
evaluators declare (`seem_bench.metrics.contract.catalog`). `remember` adds a loaded summary's
specs, so a plugin evaluator's metric shows right in every table of this process.
Nothing is guessed from a metric's name: a key no evaluator declares has no spec.

>>> lower_is_better("NoC@90"), lower_is_better("mIoU@5")
(True, False)
>>> to_display("PQ", 0.508), format_value("NoC@90", 1.875)
(50.8, '1.88')
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from seem_bench.errors import UsageError
from seem_bench.metrics.contract import MetricSpec, catalog, specs_of

_LEARNED: dict[str, MetricSpec] = {}


@lru_cache(maxsize=1)
def _catalog() -> dict[str, MetricSpec]:
    return catalog()


def remember(summary: Mapping[str, Any]) -> dict[str, MetricSpec]:
    """Record the specs a summary carries (later lookups by name find them); returns them."""
    specs = specs_of(summary)
    _LEARNED.update(specs)
    return specs


def find_spec(metric: str, summary: Mapping[str, Any] | None = None) -> MetricSpec | None:
    """The spec of ``metric``: the summary's own, else a remembered or declared one, else None."""
    if summary is not None:
        own = specs_of(summary).get(metric)
        if own is not None:
            return own
    return _LEARNED.get(metric) or _catalog().get(metric)


def spec(metric: str, summary: Mapping[str, Any] | None = None) -> MetricSpec:
    """`find_spec`, raising `UsageError` for a metric nothing declares."""
    found = find_spec(metric, summary)
    if found is None:
        raise UsageError(f"metric {metric!r} has no metadata (unit, direction): no evaluator declares it "
                         "and the summary carries no metric_specs for it; re-summarize the run with "
                         "`seem-bench merge RUN_DIR`")
    return found


def is_timing(metric: str, summary: Mapping[str, Any] | None = None) -> bool:
    """Hardware-dependent (seconds): `check` compares it only when given a tolerance."""
    found = find_spec(metric, summary)
    return found is not None and found.timing


def lower_is_better(metric: str, summary: Mapping[str, Any] | None = None) -> bool:
    """Whether a smaller value of ``metric`` is better (NoC, NoF, SPC)."""
    return not spec(metric, summary).higher_is_better


def is_fraction(metric: str, summary: Mapping[str, Any] | None = None) -> bool:
    """Whether ``metric`` is stored as a fraction in [0, 1] and shown ×100."""
    found = find_spec(metric, summary)
    return found is not None and found.unit == "fraction"


def unit_of(metric: str, summary: Mapping[str, Any] | None = None) -> str:
    """The unit ``metric`` has in a summary (``value`` when nothing declares it)."""
    found = find_spec(metric, summary)
    return found.unit if found is not None else "value"


def to_display(metric: str, value: float | None, summary: Mapping[str, Any] | None = None) -> float | None:
    """Summary units -> table units (fractions ×100, rounding noise of the ×100 removed)."""
    found = find_spec(metric, summary) or MetricSpec(metric, "value", True, 2, "")
    return found.display(value)


def decimals(metric: str, summary: Mapping[str, Any] | None = None) -> int:
    """Decimals shown in tables, as the metric's evaluator declares (2 when undeclared)."""
    found = find_spec(metric, summary)
    return found.precision if found is not None else 2


def format_value(metric: str, display_value: Any, summary: Mapping[str, Any] | None = None) -> str:
    """A table cell for a value already in display units; ``–`` when missing. A string is a
    cell formatted already (``"2.40 ± 0.31"`` in the sampled-clicks table) and is kept."""
    if isinstance(display_value, str):
        return display_value
    found = find_spec(metric, summary) or MetricSpec(metric, "value", True, 2, "")
    return found.format_display(display_value)
