"""End-to-end: the README's main command and the CLI's user-facing errors."""

from __future__ import annotations

import json


def test_readme_main_command_writes_records_summary_and_table(cli, demo_cache, tmp_path):
    res = cli(["run", "--task", "interactive", "--model", "grabcut"], cwd=tmp_path,
                  env_extra={"SEEM_BENCH_CACHE": str(demo_cache)})
    assert res.returncode == 0, res.stderr
    header = res.stdout.splitlines()[0]
    for col in ["NoC@85", "NoC@90", "NoF@85", "NoF@90", "1-IoU", "mIoU@1", "mIoU@3", "mIoU@5",
                "mIoU@10", "mIoU@20", "SPC"]:
        assert f" {col} " in header
    assert "using the demo data" in res.stderr
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.endswith("_interactive_grabcut")
    records = [json.loads(line) for line in (runs[0] / "records-rank0.jsonl").read_text().splitlines()]
    summary = json.loads((runs[0] / "summary.json").read_text())
    assert len(records) == summary["counts"]["expected"] == summary["counts"]["ok"] > 0
    for r in records:
        assert len(r["rounds"]) == 20 and r["ious"] == [rd["iou"] for rd in r["rounds"]]
        assert r["rounds"][0]["prompt"]["click"][2] == 1  # the first click is always positive
    # The summary is recomputed from records: NoC@90 is the mean first round reaching 0.9.
    nocs = [next((i + 1 for i, v in enumerate(r["ious"]) if v >= 0.9), 20) for r in records]
    assert abs(summary["metrics"]["NoC@90"] - sum(nocs) / len(nocs)) < 1e-12
    # A classical method must not be perfect on the demo scenes.
    assert summary["metrics"]["NoC@90"] > 1.0
    assert summary["env"]["packages"]["numpy"]
    assert summary["protocol"]["name"] == "ritm"


def test_oracle_is_perfect_after_one_click(cli, demo_cache, tmp_path):
    res = cli(["run", "--task", "interactive", "--model", "oracle", "--out", str(tmp_path / "o"),
                   "--no-progress"], cwd=tmp_path, env_extra={"SEEM_BENCH_CACHE": str(demo_cache)})
    assert res.returncode == 0, res.stderr
    m = json.loads((tmp_path / "o" / "summary.json").read_text())["metrics"]
    assert m["NoC@85"] == 1 and m["NoC@90"] == 1 and m["1-IoU"] == 1
    assert m["NoF@85"] == 0 and m["NoF@90"] == 0


def test_seem_without_a_checkpoint_is_one_line_exit_2(cli, tmp_path):
    res = cli(["run", "--task", "interactive", "--model", "seem_b"], cwd=tmp_path)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    # Whether or not the SEEM environment exists here, a missing checkpoint is named, with the way out.
    assert "seem_b" in lines[0] and "--checkpoint" in lines[0]
    assert not (tmp_path / "runs").exists()


def test_unknown_names_suggest_close_matches(cli, tmp_path):
    res = cli(["run", "--task", "interactive", "--model", "grabcat"], cwd=tmp_path)
    assert res.returncode == 2 and "Did you mean 'grabcut'" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    res = cli(["run", "--task", "interactiv", "--model", "grabcut"], cwd=tmp_path)
    assert res.returncode == 2 and "Did you mean 'interactive'" in res.stderr
    res = cli(["run", "--task", "interactive", "--model", "disks", "--set", "max_round=3"],
                  cwd=tmp_path)
    assert res.returncode == 2 and "max_rounds" in res.stderr


def test_every_listed_verb_has_working_help(cli, tmp_path):
    from seem_bench.cli import VERBS

    res = cli(["--help"], cwd=tmp_path)
    assert res.returncode == 0
    for verb in VERBS:
        assert verb in res.stdout
        sub = cli([verb, "--help"], cwd=tmp_path)
        assert sub.returncode == 0, (verb, sub.stderr)
