"""The long "entries" frame every table is pivoted from: one row per (row source, model, metric).

Reported numbers (publications), reproduced runs (summaries) and leaderboard files all become
the same columns, so one layout code path serves ``table``, ``leaderboard show`` and ``report``.
Values are in summary units (IoU-like metrics as fractions).

>>> df = summary_entries([{"model": {"name": "disks"}, "metrics": {"NoC@90": 17.5},
...     "task": {"name": "interactive", "kind": "interactive"}, "dataset": {"name": "grabcut"}}])
>>> df[["source", "model", "dataset", "metric", "value"]].values.tolist()
[['reproduced', 'disks', 'grabcut', 'NoC@90', 17.5]]
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from seem_bench.marks import row_label

ENTRY_COLUMNS = ["source", "model", "model_id", "kind", "task", "dataset", "split", "protocol",
                 "params", "metric", "value", "run_id", "fingerprint", "reference", "marks"]


def params_text(params: dict[str, Any] | None) -> str:
    """Task parameters as compact, key-sorted JSON (what distinguishes two runs of one model)."""
    return json.dumps(params or {}, sort_keys=True, separators=(",", ":"), default=str)


def run_identity(task: dict[str, Any]) -> dict[str, Any]:
    """What distinguishes two runs of one model: task fields and parameters (a flat mapping)."""
    out = {k: task.get(k) for k in ("task", "dataset", "split", "protocol", "first_prompt") if k in task}
    out.update(task.get("params") or {})
    return out


def _shown_value(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    return "null" if v is None else str(v)


def differing(identities: list[dict[str, Any]]) -> list[str]:
    """Per identity, ``key=value`` text of the keys whose values differ between them ("" if none).

    >>> differing([{"protocol": "ritm", "memory": True}, {"protocol": "seem", "memory": False}])
    ['protocol=ritm, memory=on', 'protocol=seem, memory=off']
    """
    keys = list(dict.fromkeys(k for ident in identities for k in ident))
    varying = [k for k in keys if len({json.dumps(i.get(k), sort_keys=True, default=str) for i in identities}) > 1]
    return [", ".join(f"{k}={_shown_value(i.get(k))}" for k in varying) for i in identities]


def distinct_labels(names: list[str], identities: list[dict[str, Any]], run_ids: list[str]) -> list[str]:
    """Labels for runs: ``name``, plus the parameters that differ between the runs of one name
    (``disks (protocol=seem)``), plus the run id where even those are equal."""
    out = list(names)
    for name in dict.fromkeys(names):
        idx = [i for i, n in enumerate(names) if n == name]
        if len(idx) < 2:
            continue
        texts = differing([identities[i] for i in idx])
        for i, text in zip(idx, texts, strict=True):
            out[i] = f"{name} ({text})" if text else name
        labels = [out[i] for i in idx]
        for i in idx:
            if labels.count(out[i]) > 1:
                out[i] = f"{out[i][:-1]}, run {run_ids[i]})" if out[i].endswith(")") else f"{out[i]} ({run_ids[i]})"
    return out


def summary_entries(summaries: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Entries of reproduced runs, one per metric of each summary."""
    rows = []
    for s in summaries:
        task, model, dataset = s["task"], s["model"], s["dataset"]
        base = {"source": "reproduced", "model": model["name"], "model_id": model["name"],
                "kind": task["kind"], "task": task["name"],
                "dataset": dataset.get("name") or task.get("dataset"),
                "split": dataset.get("split") or task.get("split") or "",
                "protocol": task.get("protocol") or "", "params": params_text(task.get("params")),
                "run_id": s.get("run_id", ""), "fingerprint": s.get("fingerprint", ""),
                "reference": s.get("_path", ""), "marks": row_label(s)}
        for metric, value in s["metrics"].items():
            rows.append({**base, "metric": metric, "value": float(value)})
    return frame(rows)


def frame(rows: list[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """An entries frame with exactly `ENTRY_COLUMNS` (missing text columns become ``""``)."""
    df = pd.DataFrame(rows)
    for col in ENTRY_COLUMNS:
        if col not in df.columns:
            df[col] = float("nan") if col == "value" else ""
    df = df[ENTRY_COLUMNS].copy()
    text = [c for c in ENTRY_COLUMNS if c != "value"]
    df[text] = df[text].fillna("").astype(str)
    df["value"] = pd.to_numeric(df["value"])
    return df.reset_index(drop=True)


def concat(*frames: pd.DataFrame) -> pd.DataFrame:
    """Entries frames one after the other (empty ones skipped)."""
    parts = [f for f in frames if f is not None and len(f)]
    return frame(pd.concat(parts, ignore_index=True)) if parts else frame([])
