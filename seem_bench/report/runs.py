"""Reading finished run directories (``summary.json`` + ``records-rank*.jsonl``) for reports.

Reports read only what a run wrote; they never recompute metrics, so a table, a plot and a CI
check of the same run directory agree with each other and with ``seem-bench run``.

>>> s = load_summary("runs/demo")          # doctest: +SKIP
>>> s["metrics"]["NoC@90"]                 # doctest: +SKIP
17.666666666666668
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seem_bench.errors import DataError
from seem_bench.records import load_records  # noqa: F401 - the one records reader, for report modules
from seem_bench.report.metric_info import is_fraction, remember

_REQUIRED = {"task": ("name", "kind"), "model": ("name",), "dataset": ("name",)}


def summary_path(path: str | Path) -> Path:
    """``path`` itself if it is a file, else ``path/summary.json``."""
    p = Path(path)
    return p if p.is_file() else p / "summary.json"


def load_summary(path: str | Path) -> dict[str, Any]:
    """The summary of a run directory (or a ``summary.json`` path), validated.

    Raises `DataError` naming the file when it is missing, not JSON, or lacks the fields every
    report needs (``task.name``, ``task.kind``, ``model.name``, ``dataset.name``, ``metrics``).
    Non-scalar metric values are moved to ``summary["_other_metrics"]``.
    """
    from seem_bench.records import read_run_json

    p = summary_path(path)
    if not p.exists():
        raise DataError(p, "not found: not a finished seem-bench run directory "
                           "(a run writes summary.json when it ends)")
    summary = read_run_json(p, "summary")
    for section, keys in _REQUIRED.items():
        block = summary.get(section)
        if not isinstance(block, dict) or any(k not in block for k in keys):
            raise DataError(p, f"summary lacks {section}.{'/'.join(keys)}")
    metrics = summary.get("metrics")
    if not isinstance(metrics, dict):
        raise DataError(p, "summary lacks a 'metrics' object")
    # Tables, plots and checks use scalar metrics; nested ones (per-class tables) and undefined
    # values (None) are set aside rather than rejected, so richer summaries stay readable.
    summary["metrics"] = {k: v for k, v in metrics.items() if _scalar(v)}
    summary["_path"] = str(p)
    remember(summary)  # tables built from this summary show its metrics as its evaluators declared
    # The contract: IoU-like metrics are fractions. A percentage would print as 5850.0 in tables
    # and compare wrongly against reported numbers, so it is refused instead of shown.
    wrong = [k for k, v in summary["metrics"].items() if is_fraction(k, summary) and abs(v) > 1.0 + 1e-9]
    if wrong:
        raise DataError(p, f"{', '.join(wrong)} > 1: IoU-like metrics must be stored as fractions "
                           f"in [0, 1] (got {wrong[0]} = {summary['metrics'][wrong[0]]})")
    summary["_other_metrics"] = {k: v for k, v in metrics.items() if not _scalar(v)}
    return summary


def _scalar(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def run_dir_of(summary: dict[str, Any]) -> Path:
    """The directory a loaded summary came from."""
    return Path(summary["_path"]).parent


def run_label(summary: dict[str, Any]) -> str:
    """A short human label: ``model · dataset`` plus the run id."""
    return f"{summary['model']['name']} · {summary['dataset']['name']} ({summary.get('run_id', '?')})"


def run_labels(summaries: list[dict[str, Any]]) -> list[str]:
    """Legend / row labels: the model, plus the parameters that differ between its runs."""
    from seem_bench.report.entries import distinct_labels, run_identity

    return distinct_labels([s["model"]["name"] for s in summaries],
                           [run_identity({"dataset": s["dataset"]["name"], **s["task"]}) for s in summaries],
                           [str(s.get("run_id", "")) for s in summaries])


def list_runs(root: str | Path) -> list[dict[str, Any]]:
    """Every run directory at or below ``root`` (a ``header.json`` marks one), described for
    `seem-bench runs`: task, model, the parameters that differ between runs of one task, completeness
    (from the summary; records counted when there is none yet) and the task's headline metrics.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(root, "not a directory")
    dirs = sorted({p.parent for p in root.rglob("header.json")})
    from seem_bench.records import read_header

    headers = [(d, read_header(d)) for d in dirs]
    from seem_bench.report.entries import differing, run_identity

    # Differences among the runs of one task (runs of different tasks differ in everything).
    diffs = [""] * len(headers)
    for task in dict.fromkeys(h["task"]["name"] for _, h in headers):
        idx = [i for i, (_, h) in enumerate(headers) if h["task"]["name"] == task]
        texts = differing([run_identity({"dataset": headers[i][1]["dataset"]["name"], **headers[i][1]["task"]})
                           for i in idx])
        for i, text in zip(idx, texts, strict=True):
            diffs[i] = text
    out = []
    for (d, h), diff in zip(headers, diffs, strict=True):
        row: dict[str, Any] = {"run_dir": str(d), "run_id": h.get("run_id", ""), "task": h["task"]["name"],
                               "model": h["model"]["name"], "dataset": h["dataset"]["name"],
                               "differs": diff, "expected": h["dataset"].get("instances")}
        if (d / "summary.json").exists():  # a damaged one is an error, not "no summary yet"
            s = load_summary(d)
            row["evaluated"] = s["counts"]["evaluated"]
            row["errors"] = s["counts"]["errors"]
            head = [m for m in (s["task"].get("metrics") or s["metrics"]) if m in s["metrics"]][:3]
            row["metrics"] = {m: s["metrics"][m] for m in head}
            from seem_bench.report.metric_info import format_value, to_display

            row["shown"] = ", ".join(f"{m} {format_value(m, to_display(m, v, s), s)}" for m, v in row["metrics"].items())
        else:
            keys = {r["key"] for r in load_records(d, fingerprint=h.get("fingerprint"))}
            if h.get("keys") is not None:  # only keys of the run's dataset count
                keys &= set(h["keys"])
            row.update(evaluated=len(keys), errors=None, metrics={}, shown="no summary yet")
        row["complete"] = row["evaluated"] == row["expected"]
        out.append(row)
    return out
