"""`seem-bench leaderboard add|show`: reproduced rows with fingerprints beside the reported ones."""

from __future__ import annotations

import io
import json
import os
import shutil

import pandas as pd
import pytest

from seem_bench.cli import main
from seem_bench.report.leaderboard import read_board
from seem_bench.report.runs import load_summary


def test_add_is_idempotent_and_traceable(runs, tmp_path, capsys):
    board = tmp_path / "board.csv"
    assert main(["leaderboard", "add", str(runs["base"]), str(runs["degraded"]), "--board", str(board)]) == 0
    first = read_board(board)
    s = load_summary(runs["base"])
    assert len(first) == 2 * len(s["metrics"])
    assert main(["leaderboard", "add", str(runs["base"]), "--board", str(board)]) == 0
    again = read_board(board)
    assert len(again) == len(first)  # re-adding a run replaces its rows
    mine = again[again.fingerprint == s["fingerprint"]].set_index("metric")
    assert mine.loc["NoC@90", "value"] == s["metrics"]["NoC@90"]  # full precision, summary units
    assert mine.loc["mIoU@5", "unit"] == "fraction" and mine.loc["NoC@90", "unit"] == "clicks"
    assert set(mine.run_id) == {s["run_id"]} and set(mine.instances) == {str(s["counts"]["ok"])}
    assert oct(os.stat(board).st_mode & 0o777) == "0o644"
    assert f"{len(s['metrics'])} metrics of run {s['run_id']}" in capsys.readouterr().err


def test_show_puts_board_rows_in_the_paper_layout(runs, tmp_path, capsys):
    board = tmp_path / "board.csv"
    main(["leaderboard", "add", str(runs["base"]), "--board", str(board)])
    capsys.readouterr()
    assert main(["leaderboard", "show", "--board", str(board), "--layout", "interactive"]) == 0
    out = capsys.readouterr().out
    m = load_summary(runs["base"])["metrics"]
    row = next(line for line in out.splitlines() if line.startswith("| disks"))
    assert "reproduced" in row and f"{m['NoC@85']:.2f}" in row and f"{m['NoC@90']:.2f}" in row
    # A --limit run on the demo data keeps its marks on the board.
    assert "reproduced, demo data, partial, --limit 4" in row
    assert "| SAM ViT-H" in out and "reported (focsam-noc90)" in out
    assert main(["leaderboard", "show", "--board", str(board), "--no-reported", "--format", "csv"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    noc90 = df[df.column == "NoC@90"]
    assert list(noc90.source) == ["reproduced, demo data, partial, --limit 4"]
    assert noc90.value.iloc[0] == pytest.approx(m["NoC@90"]) and list(noc90.group) == ["GrabCut"]


def test_show_without_a_board_shows_reported_numbers(tmp_path, capsys):
    assert main(["leaderboard", "show", "--board", str(tmp_path / "none.csv"), "--layout", "seem"]) == 0
    out = capsys.readouterr().out
    assert "| SEEM v1 SAM-ViT-L" in out and "reproduced" not in out.split("- reported")[0]
    assert main(["leaderboard", "show", "--board", str(tmp_path / "none.csv"), "--no-reported"]) == 2
    assert "no leaderboard rows" in capsys.readouterr().err


def test_partial_runs_are_refused_and_the_board_is_untouched(runs, tmp_path, capsys):
    board = tmp_path / "board.csv"
    main(["leaderboard", "add", str(runs["base"]), "--board", str(board)])
    before = board.read_bytes()
    partial = tmp_path / "partial"
    shutil.copytree(runs["rerun"], partial)
    s = json.loads((partial / "summary.json").read_text())
    s["counts"]["ok"] -= 1
    (partial / "summary.json").write_text(json.dumps(s))
    assert main(["leaderboard", "add", str(partial), "--board", str(board)]) == 1
    assert "evaluated 3 of 4 instances" in capsys.readouterr().err
    assert board.read_bytes() == before
    assert main(["leaderboard", "add", str(partial), "--board", str(board), "--allow-partial"]) == 0


def test_corrupt_board_is_a_one_line_error(runs, tmp_path, capsys):
    board = tmp_path / "board.csv"
    board.write_text("model,metric\nx,y\n")
    assert main(["leaderboard", "add", str(runs["base"]), "--board", str(board)]) == 1
    err = capsys.readouterr().err.strip()
    assert "board.csv: missing columns" in err and "\n" not in err
    assert board.read_text() == "model,metric\nx,y\n"
