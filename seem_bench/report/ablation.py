"""The ablation table of a finished grid: one row per cell, read from the cells' summaries.

Running the grid is orchestration (`seem_bench.ablation`); this module only reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from seem_bench.errors import UsageError
from seem_bench.report.constants import DEFAULT_METRICS  # noqa: F401 - re-exported
from seem_bench.report.layouts import Table
from seem_bench.report.metric_info import to_display
from seem_bench.tasks import parse_value


def _shown(raw: str) -> str:
    """Booleans as the paper's ✓ / ✗; anything else as typed."""
    value = parse_value(raw)
    return ("✓" if value else "✗") if isinstance(value, bool) else raw


def ablation_table(results: Sequence[tuple[Any, dict[str, Any]]],
                   metrics: Sequence[str] = DEFAULT_METRICS, symbols: bool = True) -> Table:
    """One row per cell (grid values as the index), one column per metric, display units.

    ``results``: ``(cell, summary)`` pairs; a cell is anything with a ``values`` mapping of grid
    key -> value as typed (`seem_bench.ablation.Cell`).

    ``symbols``: on/off values shown as ✓ / ✗ (paper style); ``False`` keeps them as typed (CSV).
    """
    if not results:
        raise UsageError("the ablation grid has no cells")
    keys = list(results[0][0].values)
    show = _shown if symbols else str
    index = pd.MultiIndex.from_tuples([tuple(show(c.values[k]) for k in keys) for c, _ in results],
                                      names=keys)
    data = np.array([[to_display(m, s["metrics"].get(m), s) for m in metrics] for _, s in results], dtype=float)
    frame = pd.DataFrame(data, index=index, columns=list(metrics))
    first = results[0][1]
    title = (f"Ablation: {first['model']['name']} on {first['task']['name']} "
             f"({first['dataset']['name']}, {(first.get('counts') or {}).get('ok', '?')} instances)")
    return Table(title, frame, {m: m for m in metrics})
