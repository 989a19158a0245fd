"""Marks (issue 13 items 7, 8): a demo, partial, errored or random-weights run never shows as a
plain result in `table`, `report` or `leaderboard`; CSV loads with pandas; LaTeX keeps notes."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from seem_bench.cli import main
from seem_bench.marks import marks_label, run_marks
from seem_bench.runner import summarize


@pytest.fixture
def random_run(runs, tmp_path) -> Path:
    """A sanity-model run whose header says ``--checkpoint random``, summary recomputed from it."""
    d = tmp_path / "random"
    shutil.copytree(runs["base"], d)
    header = json.loads((d / "header.json").read_text())
    header["model"] = {**header["model"], "random_weights": True, "checkpoint": "random"}
    (d / "header.json").write_text(json.dumps(header))
    summarize(d)
    return d


def test_a_limited_demo_run_is_marked_in_its_summary(runs):
    s = json.loads((runs["base"] / "summary.json").read_text())
    assert s["marks"] == ["demo", "partial"] == run_marks(s)
    assert s["dataset"]["samples"] == 4 and s["dataset"]["samples_total"] == 12
    assert marks_label(s) == "demo data, partial: --limit 4 of 12 samples"


def test_random_weights_marked_in_table_report_and_leaderboard(random_run, tmp_path, capsys):
    s = json.loads((random_run / "summary.json").read_text())
    assert s["marks"][0] == "random-weights"
    label = "random weights, demo data, partial: --limit 4 of 12 samples"  # with counts: run-level views
    row_marks = "random weights, demo data, partial, --limit 4"  # what a table row shows
    assert main(["table", str(random_run), "--reported", "--layout", "interactive"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| disks"))
    assert f"reproduced, {row_marks}" in row
    assert main(["table", str(random_run), "--layout", "runs"]) == 0
    assert f"[{row_marks}]" in capsys.readouterr().out
    html = tmp_path / "r.html"
    assert main(["report", str(random_run), "-o", str(html)]) == 0
    text = html.read_text()
    assert label in text and f"reproduced, {row_marks}" in text  # the runs overview and the paper table
    board = tmp_path / "board.csv"
    assert main(["leaderboard", "add", str(random_run), "--board", str(board)]) == 0
    assert f"marked [{label}]" in capsys.readouterr().err
    assert set(pd.read_csv(board).marks) == {row_marks}
    assert main(["leaderboard", "show", "--board", str(board), "--layout", "interactive"]) == 0
    assert f"reproduced, {row_marks}" in capsys.readouterr().out


def test_csv_of_several_tables_is_one_long_file_pandas_loads(runs, seem_t_runs, capsys):
    assert main(["table", str(runs["base"]), *map(str, seem_t_runs), "--reported", "--format", "csv"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(df.columns) == ["table", "model", "source", "group", "column", "metric", "value"]
    assert df.table.nunique() >= 2  # the SEEM and interactive layouts, in one file
    pq = df[(df.model == "seem_t") & (df.column == "PQ")]
    assert pq.value.tolist() == [pytest.approx(50.12)] and pq.group.tolist() == ["COCO"]
    reported = df[(df.model == "SEEM v1 Focal-T") & (df.column == "PQ")]
    assert reported.source.tolist() == ["reported (seem-readme)"]


def test_latex_keeps_the_published_numbers_notes_and_citations(runs, capsys):
    from seem_bench.report.leaderboard import load_sources

    assert main(["table", str(runs["base"]), "--reported", "--layout", "interactive", "--format", "latex"]) == 0
    tex = capsys.readouterr().out
    src = load_sources()["focsam-noc90"]
    assert "Published numbers, not run here" in tex
    assert src["title"].replace("&", r"\&").split(":")[0] in tex
    assert "demo data, partial, --limit 4" in tex  # the reproduced row keeps its marks
    assert tex.index("Published numbers") < tex.index(r"\end{table}")
    assert "<http" not in tex and r"\textless{}http" in tex  # escaped, compiles
