"""Reading the per-instance records of run directories: the one records reader of the package.

The runner (resume, summary), `merge` and the report layer all call `load_records`, so they agree
on which record stands for a key:

- only records of the run's ``fingerprint`` count (a directory may hold stale lines of another
  configuration; the runner refuses to mix them, this is the second line of defence);
- an ``ok`` record supersedes ``error`` records of the same key (``run --resume
  --retry-errors`` appends the retried result after the error it replaces); among error
  records the last one read stands (the latest attempt);
- two ``ok`` records of one key (overlapping shards) must be identical apart from timings, and
  the first is kept; if they differ the directory mixes two computations and that is a
  `DataError` rather than a silent choice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seem_bench.errors import DataError
from seem_bench.io_utils import read_jsonl

TIMING_FIELDS = ("model_s", "encode_s")


def record_files(run_dir: str | Path) -> list[Path]:
    return sorted(Path(run_dir).glob("records-rank*.jsonl"))


def strip_timings(rec: dict) -> dict:
    """A record without its timing fields: what must be identical across reruns."""
    out = {k: v for k, v in rec.items() if k not in TIMING_FIELDS}
    if "rounds" in out:
        out["rounds"] = [{k: v for k, v in rd.items() if k not in TIMING_FIELDS} for rd in out["rounds"]]
    return out


def load_records(*run_dirs: str | Path, fingerprint: str | None = None) -> list[dict[str, Any]]:
    """Records of one or more run directories, one per key (rules above), in key order."""
    by_key: dict[str, dict[str, Any]] = {}
    where: dict[str, str] = {}
    for run_dir in run_dirs:
        if not Path(run_dir).is_dir():  # also catches a fingerprint passed positionally by mistake
            raise DataError(run_dir, "not a run directory (records are read from records-rank*.jsonl in it)")
        for path in record_files(run_dir):
            for n, rec in enumerate(read_jsonl(path), start=1):
                if fingerprint is not None and rec.get("fingerprint") != fingerprint:
                    continue
                key = rec.get("key")
                if not isinstance(key, str):
                    raise DataError(path, f"line {n}: record has no 'key'")
                old = by_key.get(key)
                if old is None or (old.get("status") != "ok"):
                    by_key[key], where[key] = rec, f"{path}:{n}"
                elif rec.get("status") == "ok" and strip_timings(rec) != strip_timings(old):
                    raise DataError(path, f"line {n}: key {key!r} was recorded with a different result "
                                          f"at {where[key]}; the directories mix two computations")
    return [by_key[k] for k in sorted(by_key)]


def load_records_file(path: str | Path, fingerprint: str | None = None) -> list[dict[str, Any]]:
    """The lines of one records file (absent: none), filtered by ``fingerprint`` when given."""
    path = Path(path)
    if not path.exists():
        return []
    return [r for r in read_jsonl(path) if fingerprint is None or r.get("fingerprint") == fingerprint]


def finished_keys(*run_dirs: str | Path, fingerprint: str, retry_errors: bool = False) -> set[str]:
    """Keys that need no more work: every recorded key, or only the ``ok`` ones with ``retry_errors``."""
    recs = load_records(*run_dirs, fingerprint=fingerprint)
    return {r["key"] for r in recs if not retry_errors or r.get("status") == "ok"}
