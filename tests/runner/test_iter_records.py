"""`records.iter_records` (the summary's streaming reader) keeps exactly `load_records`'s records."""

from __future__ import annotations

import json

import pytest

from seem_bench.errors import DataError
from seem_bench.records import iter_records, load_records


def _write(path, recs):
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))


def test_streamed_records_follow_the_load_records_rules(tmp_path):
    fp = "f" * 8
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _write(a / "records-rank0.jsonl", [
        {"key": "s1/1", "fingerprint": fp, "status": "error", "error": "x"},
        {"key": "s2/1", "fingerprint": fp, "status": "ok", "v": 2, "model_s": 0.1},
        {"key": "s3/1", "fingerprint": "other", "status": "ok", "v": 9},
        {"key": "s1/1", "fingerprint": fp, "status": "ok", "v": 1},        # retried: supersedes the error
    ])
    _write(b / "records-rank1.jsonl", [
        {"key": "s2/1", "fingerprint": fp, "status": "ok", "v": 2, "model_s": 0.7},  # overlap, same result
        {"key": "s4/1", "fingerprint": fp, "status": "error", "error": "y"},
        {"key": "s4/1", "fingerprint": fp, "status": "error", "error": "z"},  # last error stands
    ])
    streamed = sorted(iter_records(a, b, fingerprint=fp), key=lambda r: r["key"])
    assert streamed == load_records(a, b, fingerprint=fp)
    assert [r.get("v", r.get("error")) for r in streamed] == [1, 2, "z"]
    _write(b / "records-rank2.jsonl", [{"key": "s2/1", "fingerprint": fp, "status": "ok", "v": 3}])
    with pytest.raises(DataError, match="recorded with a different result"):
        list(iter_records(a, b, fingerprint=fp))
