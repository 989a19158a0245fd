"""Marks of a run whose numbers must not pass for a full benchmark result.

One function decides them, from what the run header and counts say; ``summary.json`` stores them
under ``marks`` and every report (``table``, ``report``, ``leaderboard add/show``) shows them next
to the run's numbers, so a smoke run never sits unmarked beside published numbers (a table row reads
``reproduced, demo data, partial, --limit 4``):

- ``random-weights``: the model ran with ``--checkpoint random`` (``model.random_weights`` or
  ``model.checkpoint == "random"`` in the header): a pipeline check, not a model's result;
- ``demo``: the run read the embedded demo data (no ``--data-root``, or a ``demo-v<N>`` copy);
- ``partial``: ``--limit`` cut the dataset, or fewer objects have records than the dataset holds
  (``merge --allow-partial``);
- ``errors``: some objects have error records (the model failed on them).

`check` refuses a random-weights run as the run under test or as the baseline.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

ORDER = ("random-weights", "demo", "partial", "errors")


def random_weights(summary: dict[str, Any]) -> bool:
    model = summary.get("model") or {}
    return bool(model.get("random_weights")) or model.get("checkpoint") == "random"


def _demo(summary: dict[str, Any]) -> bool:
    inv = summary.get("invocation") or {}
    root = (summary.get("dataset") or {}).get("root") or ""
    if "invocation" in summary and inv.get("data_root") is None:
        return True
    return any(part.startswith("demo-v") for part in PurePath(str(root)).parts)


def run_marks(summary: dict[str, Any]) -> list[str]:
    """The marks (in `ORDER`) of a run summary, or of a header plus its ``counts``."""
    counts = summary.get("counts") or {}
    limit = (summary.get("invocation") or {}).get("limit")
    marks = set()
    if random_weights(summary):
        marks.add("random-weights")
    if _demo(summary):
        marks.add("demo")
    if limit or (counts and counts.get("evaluated", 0) < counts.get("expected", 0)):
        marks.add("partial")
    if counts.get("errors"):
        marks.add("errors")
    return [m for m in ORDER if m in marks]


def row_label(summary: dict[str, Any]) -> str:
    """The marks as a table row shows them, e.g. ``demo data, partial, --limit 4`` ("" if none).

    Only what the runs of one table share (no per-run counts), so one model's runs on several
    datasets stay one row; `marks_label` has the counts.
    """
    words = []
    for m in _marks(summary):
        if m == "partial":
            limit = (summary.get("invocation") or {}).get("limit")
            words.append(f"partial, --limit {limit}" if limit else "partial")
        else:
            words.append(_WORDS.get(m, str(m)))
    return ", ".join(words)


_WORDS = {"random-weights": "random weights", "demo": "demo data", "errors": "errors"}


def _marks(summary: dict[str, Any]) -> list[str]:
    return summary["marks"] if isinstance(summary.get("marks"), list) else run_marks(summary)


def marks_label(summary: dict[str, Any]) -> str:
    """The marks in words for a table row, e.g. ``demo data, partial 4/12, 2 errors`` ("" if none)."""
    counts = summary.get("counts") or {}
    words = []
    for m in _marks(summary):
        if m == "random-weights":
            words.append("random weights")
        elif m == "demo":
            words.append("demo data")
        elif m == "partial":
            limit = (summary.get("invocation") or {}).get("limit")
            total = (summary.get("dataset") or {}).get("samples_total")
            if limit:
                words.append(f"partial: --limit {limit}" + (f" of {total} samples" if total else ""))
            else:
                words.append(f"partial: {counts.get('evaluated', '?')} of {counts.get('expected', '?')} objects")
        elif m == "errors":
            words.append(f"{counts.get('errors')} errors")
        else:
            words.append(str(m))
    return ", ".join(words)
