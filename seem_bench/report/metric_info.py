"""What each summary metric key means for display and comparison: unit, scale, direction.

Summaries store IoU-like values as fractions in [0, 1]; tables show them ×100. NoC is a mean
number of clicks, NoF a count of instances, SPC seconds per click. Lower is better for NoC, NoF,
SPC and the DAVIS decays (J-Decay, F-Decay); higher for everything else.

>>> lower_is_better("NoC@90"), lower_is_better("mIoU@5")
(True, False)
>>> to_display("PQ", 0.508), format_value("NoC@90", 1.875)
(50.8, '1.88')
"""

from __future__ import annotations

import math
import re
from typing import Any

#: Keys measured in seconds: hardware-dependent, so `check` skips them unless given a tolerance.
TIMING_METRICS = frozenset({"SPC"})

_LOWER_PREFIXES = ("NoC@", "NoF@", "NoF-legacy@")
#: DAVIS decay: performance lost from the first to the last quarter of a video (less is better).
_LOWER_KEYS = frozenset({"J-Decay", "F-Decay"})
_COUNT_PREFIXES = ("NoF@", "NoF-legacy@")
# IoU-like keys stored as fractions (the contract between tasks and reports).
_FRACTION = re.compile(
    r"^(mIoU(@\d+)?|1-IoU|PQ|SQ|RQ|PQ_th|PQ_st|SQ_th|SQ_st|RQ_th|RQ_st|mAP|AP\d*|cIoU|gIoU|"
    r"fwIoU|mACC|pACC|N-acc|T-acc|(prec|Pr)@[\d.]+|J&F-Mean|[JF]-(Mean|Recall|Decay)|J&F@\d+s|J&F@\d+int|AUC)$"
)


def lower_is_better(metric: str) -> bool:
    """Whether a smaller value of ``metric`` is better (NoC, NoF, SPC, DAVIS J/F decay)."""
    return metric.startswith(_LOWER_PREFIXES) or metric in TIMING_METRICS or metric in _LOWER_KEYS


def is_fraction(metric: str) -> bool:
    """Whether ``metric`` is stored as a fraction in [0, 1] and shown ×100."""
    return bool(_FRACTION.match(metric))


def unit_of(metric: str) -> str:
    """The unit ``metric`` has in a summary: fraction, count, seconds or clicks."""
    if is_fraction(metric):
        return "fraction"
    if metric.startswith(_COUNT_PREFIXES):
        return "count"
    if metric in TIMING_METRICS:
        return "seconds"
    return "clicks" if metric.startswith("NoC@") else "value"


def to_display(metric: str, value: float | None) -> float | None:
    """Summary units -> table units (fractions ×100, rounding noise of the ×100 removed)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(100.0 * value, 10) if is_fraction(metric) else float(value)


def decimals(metric: str) -> int:
    """Decimals shown in tables: 1 for percentages (as papers print them), 2 for NoC."""
    if metric.startswith(_COUNT_PREFIXES):
        return 0
    if metric in TIMING_METRICS:
        return 4
    return 1 if is_fraction(metric) else 2


def format_value(metric: str, display_value: Any) -> str:
    """A table cell for a value already in display units; ``–`` when missing. A string is a
    cell formatted already (``"2.40 ± 0.31"`` in the sampled-clicks table) and is kept."""
    if isinstance(display_value, str):
        return display_value
    if display_value is None or (isinstance(display_value, float) and math.isnan(display_value)):
        return "–"
    return f"{float(display_value):.{decimals(metric)}f}"
