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

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seem_bench.errors import DataError
from seem_bench.io_utils import iter_jsonl, read_jsonl

TIMING_FIELDS = ("model_s", "encode_s")

#: What every reader of a run header needs: section -> (field, type) pairs.
_HEADER_FIELDS: dict[str | None, tuple[tuple[str, type | tuple[type, ...]], ...]] = {
    None: (("fingerprint", str),),
    "task": (("name", str), ("kind", str)),
    "model": (("name", str),),
    "dataset": (("name", str), ("instances", int)),
}


def read_run_json(path: str | Path, what: str) -> dict[str, Any]:
    """A run-state JSON file (``header.json``, ``summary.json``, ``ablation.json``) that must hold
    an object; missing, empty, truncated, list-valued or a directory: one `DataError` line."""
    from seem_bench.data.io import read_json

    try:
        data = read_json(path, what)
    except DataError as e:
        raise DataError(path, f"unreadable {what}: {e.problem}") from None
    if not isinstance(data, dict):
        raise DataError(path, f"{what} must be a JSON object, got {type(data).__name__}; "
                              "the file is damaged: restore it or start a new run")
    return data


def read_header(run_dir: str | Path) -> dict[str, Any]:
    """``run_dir/header.json``, checked to hold the fields every reader uses (`_HEADER_FIELDS`)."""
    path = Path(run_dir) / "header.json"
    header = read_run_json(path, "run header")
    for section, fields in _HEADER_FIELDS.items():
        block = header if section is None else header.get(section)
        for name, typ in fields:
            value = block.get(name) if isinstance(block, dict) else None
            if not isinstance(value, typ) or isinstance(value, bool):
                where = name if section is None else f"{section}.{name}"
                raise DataError(path, f"run header lacks a valid {where}; the file is damaged: restore "
                                      "it or start a new run")
    keys = header.get("keys")
    if keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise DataError(path, "run header 'keys' must be a list of strings")
    return header


def record_problem(rec: dict[str, Any]) -> str | None:
    """What is wrong with the fields every record has (``key``, ``status``), or ``None``."""
    if not isinstance(rec.get("key"), str):
        return "record has no 'key'"
    if rec.get("status") not in ("ok", "error"):
        return f"record {rec['key']!r} has status {rec.get('status')!r:.30}, not 'ok' or 'error'"
    rounds = rec.get("rounds", [])
    if not isinstance(rounds, list) or not all(isinstance(rd, dict) for rd in rounds):
        return f"record {rec['key']!r} has a broken field (rounds must be a list of objects)"
    return None


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
    return sorted(iter_records(*run_dirs, fingerprint=fingerprint), key=lambda r: r["key"])


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


def iter_records(*run_dirs: str | Path, fingerprint: str | None = None) -> Iterator[dict[str, Any]]:
    """The records `load_records` returns, streamed in file order (constant memory per record).

    Same rules, in two passes: the first picks, per key, the line that stands (kept as a small
    digest and a file position, never the record), the second yields those lines. The summary
    reads records this way, so its memory does not grow with the records' size.
    """
    files = [p for d in run_dirs for p in _checked_files(d)]
    chosen: dict[bytes, tuple[int, int, bool, bytes]] = {}  # key -> (file, line, ok, content)
    for i, path in enumerate(files):
        for n, rec in enumerate(iter_jsonl(path), start=1):
            if fingerprint is not None and rec.get("fingerprint") != fingerprint:
                continue
            key = rec.get("key")
            problem = record_problem(rec)
            if problem is not None:
                raise DataError(path, f"line {n}: {problem}")
            kd = _small_digest(key)
            ok = rec.get("status") == "ok"
            old = chosen.get(kd)
            if old is None or not old[2]:
                chosen[kd] = (i, n, ok, _content_digest(rec) if ok else b"")
            elif ok and _content_digest(rec) != old[3]:
                raise DataError(path, f"line {n}: key {key!r} was recorded with a different result "
                                      f"at {files[old[0]]}:{old[1]}; the directories mix two computations")
    for i, path in enumerate(files):
        for n, rec in enumerate(iter_jsonl(path), start=1):
            if fingerprint is not None and rec.get("fingerprint") != fingerprint:
                continue
            pick = chosen.get(_small_digest(rec["key"]))
            if pick is not None and pick[0] == i and pick[1] == n:
                yield rec


def _checked_files(run_dir: str | Path) -> list[Path]:
    if not Path(run_dir).is_dir():
        raise DataError(run_dir, "not a run directory (records are read from records-rank*.jsonl in it)")
    return record_files(run_dir)


def _small_digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode(), digest_size=8).digest()


def _content_digest(rec: dict[str, Any]) -> bytes:
    return hashlib.blake2b(json.dumps(strip_timings(rec), sort_keys=True).encode(), digest_size=16).digest()
