"""`seem-bench runs` and run labels: what distinguishes runs is named, not only their ids."""

from __future__ import annotations

import json

from report_helpers import demo_run

from seem_bench.cli import main
from seem_bench.report.runs import load_summary, run_labels


def test_runs_lists_differing_parameters_completeness_and_metrics(demo_root, tmp_path, capsys):
    a = demo_run(tmp_path / "runs" / "a", demo_root, overrides=("max_rounds=2",), limit=1)
    b = demo_run(tmp_path / "runs" / "b", demo_root, overrides=("max_rounds=2", "protocol=seem"), limit=1)
    capsys.readouterr()
    assert main(["runs", str(tmp_path / "runs"), "--json"]) == 0
    rows = {r["run_dir"]: r for r in json.loads(capsys.readouterr().out)}
    ra, rb = rows[str(a)], rows[str(b)]
    assert (ra["differs"], rb["differs"]) == ("protocol=ritm", "protocol=seem")
    assert ra["complete"] and ra["evaluated"] == ra["expected"] == load_summary(a)["counts"]["ok"]
    assert ra["metrics"]["NoC@85"] == load_summary(a)["metrics"]["NoC@85"]

    # Table rows and plot legends name the difference instead of a bare run id.
    assert run_labels([load_summary(a), load_summary(b)]) == ["disks (protocol=ritm)", "disks (protocol=seem)"]
    assert main(["table", str(a), str(b), "--layout", "interactive"]) == 0
    out = capsys.readouterr().out
    assert "| disks (protocol=seem) |" in out and "| disks (protocol=ritm) |" in out

    # A run without a summary yet is listed as incomplete from its records.
    (b / "summary.json").unlink()
    assert main(["runs", str(tmp_path / "runs"), "--json"]) == 0
    rb = {r["run_dir"]: r for r in json.loads(capsys.readouterr().out)}[str(b)]
    assert rb["shown"] == "no summary yet" and rb["evaluated"] == rb["expected"]


def test_identical_runs_fall_back_to_run_ids():
    s = {"model": {"name": "m"}, "dataset": {"name": "d"}, "task": {"name": "t", "params": {}}}
    assert run_labels([{**s, "run_id": "r1"}, {**s, "run_id": "r2"}]) == ["m (r1)", "m (r2)"]
