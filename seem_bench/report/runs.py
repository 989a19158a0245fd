"""Reading finished run directories (``summary.json`` + ``records-rank*.jsonl``) for reports.

Reports read only what a run wrote; they never recompute metrics, so a table, a plot and a CI
check of the same run directory agree with each other and with ``seem-bench run``.

>>> s = load_summary("runs/demo")          # doctest: +SKIP
>>> s["metrics"]["NoC@90"]                 # doctest: +SKIP
17.666666666666668
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seem_bench.errors import DataError
from seem_bench.io_utils import read_jsonl

_REQUIRED = {"task": ("name", "kind"), "model": ("name",), "dataset": ("name",)}


def summary_path(path: str | Path) -> Path:
    """``path`` itself if it is a file, else ``path/summary.json``."""
    p = Path(path)
    return p if p.is_file() else p / "summary.json"


def load_summary(path: str | Path) -> dict[str, Any]:
    """The summary of a run directory (or a ``summary.json`` path), validated.

    Raises `DataError` naming the file when it is missing, not JSON, or lacks the fields every
    report needs (``task.name``, ``task.kind``, ``model.name``, ``dataset.name``, ``metrics``).
    """
    p = summary_path(path)
    if not p.exists():
        raise DataError(p, "not found: not a finished seem-bench run directory "
                           "(a run writes summary.json when it ends)")
    try:
        summary = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(p, f"unreadable summary: {e}") from None
    if not isinstance(summary, dict):
        raise DataError(p, "a summary must be a JSON object")
    for section, keys in _REQUIRED.items():
        block = summary.get(section)
        if not isinstance(block, dict) or any(k not in block for k in keys):
            raise DataError(p, f"summary lacks {section}.{'/'.join(keys)}")
    metrics = summary.get("metrics")
    if not isinstance(metrics, dict):
        raise DataError(p, "summary lacks a 'metrics' object")
    bad = [k for k, v in metrics.items() if not isinstance(v, int | float) or isinstance(v, bool)]
    if bad:
        raise DataError(p, f"non-numeric metric values: {', '.join(bad)}")
    summary["_path"] = str(p)
    return summary


def run_dir_of(summary: dict[str, Any]) -> Path:
    """The directory a loaded summary came from."""
    return Path(summary["_path"]).parent


def load_records(run_dir: str | Path, fingerprint: str | None = None) -> list[dict[str, Any]]:
    """The run's per-instance records, one per key (the last line wins), sorted by key.

    Only records with ``fingerprint`` (the run's) are kept when it is given, as the runner does.
    """
    by_key: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(run_dir).glob("records-rank*.jsonl")):
        try:
            rows = read_jsonl(path)
        except (OSError, json.JSONDecodeError) as e:
            raise DataError(path, f"unreadable records: {e}") from None
        for rec in rows:
            if fingerprint is None or rec.get("fingerprint") == fingerprint:
                by_key[rec["key"]] = rec
    return [by_key[k] for k in sorted(by_key)]


def run_label(summary: dict[str, Any]) -> str:
    """A short human label: ``model · dataset`` plus the run id."""
    return f"{summary['model']['name']} · {summary['dataset']['name']} ({summary.get('run_id', '?')})"
