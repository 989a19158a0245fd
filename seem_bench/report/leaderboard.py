"""Reported numbers (shipped data) and leaderboard files of reproduced results.

Reported rows live in the ``seem_bench.leaderboards`` package (``reported.csv`` plus the citations
in ``sources.yaml``): numbers copied from publications, always labelled "reported". A
leaderboard file is a CSV that ``seem-bench leaderboard add RUN_DIR`` appends reproduced results
to, one row per metric, each carrying the run's id and fingerprint so that a number can be traced
to the exact task, protocol, model, data and parameters that produced it.

>>> reported = load_reported()
>>> row = reported[(reported.model == "SEEM v1 Focal-T") & (reported.metric == "PQ")]
>>> float(row.value.iloc[0])     # summary units: fractions
0.508
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from seem_bench.errors import DataError
from seem_bench.io_utils import atomic_write_text, digest
from seem_bench.report import entries
from seem_bench.report.constants import DEFAULT_BOARD  # noqa: F401 - re-exported
from seem_bench.report.metric_info import is_fraction, unit_of

REPORTED_COLUMNS = ["model", "model_id", "kind", "task", "dataset", "metric", "value", "unit", "source"]
BOARD_COLUMNS = ["model", "kind", "task", "dataset", "split", "protocol", "params", "metric", "value",
                 "unit", "run_id", "fingerprint", "dataset_fingerprint", "instances", "git_commit",
                 "created", "added", "run_dir", "marks"]


def _package_text(name: str) -> tuple[str, str]:
    entry = resources.files("seem_bench.leaderboards").joinpath(name)
    return entry.read_text(encoding="utf-8"), f"seem_bench.leaderboards/{name}"


def load_sources() -> dict[str, dict[str, str]]:
    """Citations of the reported numbers: ``{key: {title, url?, note?}}``."""
    text, where = _package_text("sources.yaml")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not all(isinstance(v, dict) and "title" in v for v in data.values()):
        raise DataError(where, "expected a mapping of source key -> {title, url, note}")
    return data


def read_csv_checked(text: str, where: str, columns: list[str]) -> pd.DataFrame:
    """Parse a leaderboard-style CSV and check its columns and values (``DataError`` naming ``where``)."""
    try:
        df = pd.read_csv(io.StringIO(text), comment="#", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise DataError(where, f"not a readable CSV: {' '.join(str(e).split())}") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(where, f"missing columns {', '.join(missing)}")
    values = pd.to_numeric(df["value"], errors="coerce")
    if values.isna().any():
        line = int(values.isna().to_numpy().nonzero()[0][0])
        raise DataError(where, f"row {line + 1}: value {df['value'].iloc[line]!r} is not a number")
    df["value"] = values
    return df


def _to_summary_units(df: pd.DataFrame, where: str) -> pd.Series:
    """``value`` in summary units; ``percent`` rows are divided by 100."""
    out = df["value"].astype(float).copy()
    for i, (metric, unit) in enumerate(zip(df["metric"], df["unit"], strict=True)):
        expected = ("percent", "fraction") if is_fraction(metric) else (unit_of(metric),)
        if unit not in expected:
            raise DataError(where, f"row {i + 1}: metric {metric} has unit {unit!r}, expected "
                                   f"{' or '.join(expected)}")
        if unit == "percent":
            out.iloc[i] = out.iloc[i] / 100.0
    return out


def load_reported() -> pd.DataFrame:
    """The shipped reported numbers as an entries frame (``source == "reported"``).

    ``reference`` holds the citation key (see `load_sources`). Validated on every load: a typo in
    the data file fails loudly instead of printing a wrong table.
    """
    text, where = _package_text("reported.csv")
    df = read_csv_checked(text, where, REPORTED_COLUMNS)
    sources = load_sources()
    unknown = sorted(set(df["source"]) - set(sources))
    if unknown:
        raise DataError(where, f"unknown source keys {', '.join(unknown)} (not in sources.yaml)")
    dup = df.duplicated(["model", "kind", "task", "dataset", "metric"])
    if dup.any():
        raise DataError(where, f"row {int(dup.to_numpy().nonzero()[0][0]) + 1}: duplicate entry")
    df["value"] = _to_summary_units(df, where)
    return entries.frame(df.assign(source="reported", reference=df["source"]))


def _digest(obj: Any) -> str:
    return digest(obj)[:16]


def board_rows(summary: dict[str, Any]) -> pd.DataFrame:
    """Leaderboard rows (`BOARD_COLUMNS`) for one run summary, one per metric."""
    e = entries.summary_entries([summary])
    added = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rows = e.assign(
        unit=[unit_of(m) for m in e["metric"]],
        dataset_fingerprint=_digest(summary["dataset"].get("fingerprint")),
        instances=str(summary.get("counts", {}).get("ok", "")),
        git_commit=str(summary.get("env", {}).get("git_commit") or ""),
        created=str(summary.get("created", "")), added=added,
        run_dir=str(Path(summary["_path"]).parent.resolve()) if "_path" in summary else "")
    return rows[BOARD_COLUMNS]


def read_board(path: str | Path) -> pd.DataFrame:
    """A leaderboard file (`BOARD_COLUMNS`); an absent file is an empty board."""
    p = Path(path)
    if not p.exists():
        return pd.DataFrame(columns=BOARD_COLUMNS)
    from seem_bench.data.io import read_text

    text = read_text(p, "leaderboard")
    # ``marks`` came later: a board written before it reads with no marks.
    df = read_csv_checked(text, str(p), [c for c in BOARD_COLUMNS if c != "marks"])
    if "marks" not in df.columns:
        df["marks"] = ""
    df = df[BOARD_COLUMNS].copy()
    # A hand-edited row in percent is normalised, so the file stays in summary units when rewritten.
    df["value"] = _to_summary_units(df, str(p))
    df["unit"] = [unit_of(m) for m in df["metric"]]
    return df


def add_to_board(path: str | Path, summary: dict[str, Any]) -> int:
    """Append one run's metrics to the leaderboard file atomically; returns the rows written.

    Adding a run again replaces its rows (same run fingerprint), so ``add`` is idempotent.
    """
    board = read_board(path)
    new = board_rows(summary)
    kept = board[board["fingerprint"] != summary.get("fingerprint", "")]
    out = pd.concat([kept, new], ignore_index=True) if len(kept) else new
    atomic_write_text(path, out.to_csv(index=False, lineterminator="\n"))
    return len(new)


def board_entries(board: pd.DataFrame) -> pd.DataFrame:
    """Entries (``source == "reproduced"``) of a leaderboard file's rows."""
    if not len(board):
        return entries.frame([])
    df = board.assign(model_id=board["model"], reference=board["run_dir"])
    return entries.frame(df)
