"""`seem-bench ablate`: grid cells as run directories, resumable, checked before running."""

from __future__ import annotations

import json

import pytest

import seem_bench.runner
from seem_bench.ablation import expand, parse_grid, run_grid
from seem_bench.cli import main
from seem_bench.errors import UsageError
from seem_bench.report.ablation import ablation_table
from seem_bench.report.runs import load_summary
from seem_bench.tasks import get_task


def table_rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]


def test_grid_runs_every_cell_and_tabulates_it(demo_root, tmp_path, capsys):
    out = tmp_path / "abl"
    args = ["ablate", "--task", "interactive", "--model", "disks", "--grid", "negatives=on,off",
            "memory=on,off", "--limit", "2", "--data-root", str(demo_root), "--out", str(out),
            "--no-progress", "--metrics", "NoC@85", "mIoU@20"]
    assert main(args) == 0
    text = capsys.readouterr().out
    cells = ["negatives-on_memory-on", "negatives-on_memory-off", "negatives-off_memory-on",
             "negatives-off_memory-off"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(cells)
    rows = table_rows(text)
    assert [r[:2] for r in rows] == [["✓", "✓"], ["✓", "✗"], ["✗", "✓"], ["✗", "✗"]]
    for row, cell in zip(rows, cells, strict=True):
        s = load_summary(out / cell)
        assert s["task"]["params"]["negatives"] is (row[0] == "✓")
        assert s["task"]["params"]["memory"] is (row[1] == "✓")
        assert row[2:] == [f"{s['metrics']['NoC@85']:.2f}", f"{100 * s['metrics']['mIoU@20']:.2f}"]  # RITM's two decimals, in every table
    # The switch is real: without negative clicks the disks model ends lower on these samples.
    on, off = (load_summary(out / c)["metrics"]["mIoU@20"] for c in cells[::2])
    assert off < on


def test_finished_cells_are_reused(demo_root, tmp_path, monkeypatch, capsys):
    task = get_task("interactive").with_overrides(["max_rounds=3"])
    grid = parse_grid(["memory=on,off"])
    first = run_grid(task, "grabcut", grid, tmp_path / "g", limit=1, data_root=demo_root, progress=False)
    # grabcut's memory (its previous mask) changes what it predicts after the first click.
    assert first[0][1]["metrics"]["mIoU@3"] != first[1][1]["metrics"]["mIoU@3"]

    def no_run(cfg):
        raise AssertionError("a finished cell was run again")

    monkeypatch.setattr(seem_bench.runner, "run", no_run)
    again = run_grid(task, "grabcut", grid, tmp_path / "g", limit=1, data_root=demo_root, progress=False)
    assert [s["metrics"] for _, s in again] == [s["metrics"] for _, s in first]
    assert capsys.readouterr().err.count("finished earlier, reusing") == 2
    t = ablation_table(again, ["mIoU@3"], symbols=False)
    assert list(t.frame.index) == [("on",), ("off",)]


def test_unfinished_cell_is_resumed(demo_root, tmp_path):
    task = get_task("interactive").with_overrides(["max_rounds=2"])
    grid = parse_grid(["negatives=on"])
    [(cell, s)] = run_grid(task, "disks", grid, tmp_path / "g", limit=2, data_root=demo_root, progress=False)
    (cell.out_dir / "summary.json").unlink()
    lines = (cell.out_dir / "records-rank0.jsonl").read_text().splitlines()
    (cell.out_dir / "records-rank0.jsonl").write_text(lines[0] + "\n")
    [(_, s2)] = run_grid(task, "disks", grid, tmp_path / "g", limit=2, data_root=demo_root, progress=False)
    assert s2["counts"]["ok"] == 2
    assert len((cell.out_dir / "records-rank0.jsonl").read_text().splitlines()) == 2  # only the lost one rerun
    assert {k: v for k, v in s2["metrics"].items() if k != "SPC"} == \
        {k: v for k, v in s["metrics"].items() if k != "SPC"}


def test_unsupported_cells_fail_before_anything_runs(demo_root, tmp_path, capsys):
    out = tmp_path / "abl"
    args = ["ablate", "--task", "interactive", "--model", "disks", "--grid", "memory=on,off",
            "prompt=point,box,scribble,polygon", "--limit", "1", "--data-root", str(demo_root),
            "--out", str(out), "--no-progress"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "6 of 8 grid cells cannot run" in err
    assert "[memory=on prompt=box] model 'disks' does not accept box prompts" in err
    assert not out.exists()
    args = ["ablate", "--task", "interactive", "--model", "random-walker", "--grid", "memory=on,off",
            "--out", str(out)]
    assert main(args) == 2
    assert "[memory=on] model 'random-walker' has no memory prompt" in capsys.readouterr().err
    assert not out.exists()


def test_grid_syntax_and_a_foreign_out_directory(demo_root, tmp_path):
    for bad in (["memory"], ["memory="], ["memory=on", "memory=off"], []):
        with pytest.raises(UsageError, match="--grid"):
            parse_grid(bad)
    with pytest.raises(UsageError, match="has no parameter 'memry'. Did you mean memory"):
        expand(get_task("interactive"), parse_grid(["memry=on"]), tmp_path)
    task = get_task("interactive").with_overrides(["max_rounds=2"])
    run_grid(task, "disks", parse_grid(["memory=on"]), tmp_path / "g", limit=1, data_root=demo_root,
             progress=False)
    manifest = json.loads((tmp_path / "g" / "ablation.json").read_text())
    assert manifest["model"] == "disks" and manifest["limit"] == 1 and manifest["grid"] == {"memory": ["on"]}
    with pytest.raises(UsageError, match="holds an ablation of another configuration"):
        run_grid(task, "disks", parse_grid(["memory=on"]), tmp_path / "g", limit=2, data_root=demo_root,
                 progress=False)
