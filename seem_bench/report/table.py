"""Markdown/LaTeX/CSV tables of run summaries (pandas does the formatting)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

INTERACTIVE_COLUMNS = ["NoC@85", "NoC@90", "NoF@85", "NoF@90", "1-IoU", "mIoU@1", "mIoU@3",
                       "mIoU@5", "mIoU@10", "mIoU@20", "SPC"]


def summary_frame(summaries: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per run: model, dataset, then the metric columns (task default if not given)."""
    rows = []
    for s in summaries:
        cols = list(columns or s["task"].get("metrics") or INTERACTIVE_COLUMNS)
        row = {"model": s["model"]["name"], "dataset": s["dataset"]["name"]}
        row.update({c: s["metrics"].get(c) for c in cols})
        rows.append(row)
    return pd.DataFrame(rows)


def markdown_table(summaries: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Markdown table, each cell shown as its metric's spec says (unit, decimals; the one
    formatter `seem_bench.report.metric_info.format_value` every table uses)."""
    from seem_bench.marks import marks_label
    from seem_bench.report.metric_info import format_value, to_display

    df = summary_frame(summaries, columns)
    shown = df.copy().astype(object)
    for col in df.columns[2:]:
        shown[col] = [format_value(col, to_display(col, v, s), s)
                      for v, s in zip(df[col], summaries, strict=True)]
    marks = [marks_label(s) for s in summaries]
    if any(marks):  # demo / partial / errors / random weights: never an unmarked number
        shown["marks"] = marks
    return shown.to_markdown(index=False, disable_numparse=True)
