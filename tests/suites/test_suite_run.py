"""`seem-bench suite run / table`: demo mode, deltas, pre-flight checks, and resume after kill -9."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seem_bench.cli import main
from seem_bench.report.leaderboard import load_reported
from seem_bench.report.runs import load_records, load_summary
from seem_bench.suites.definition import get_suite
from seem_bench.suites.manifest import load_suite_dir
from seem_bench.suites.run import run_suite
from seem_bench.suites.table import suite_tables

HERE = Path(__file__).parent
RUN_ID = re.compile(r"run [0-9a-f]{12}$", re.M)


pytestmark = pytest.mark.usefixtures("demo_cache_env")  # tests/suites/conftest.py


def test_demo_mode_prints_the_pinned_seem_table(cli, demo_cache, tmp_path):
    env = {"SEEM_BENCH_CACHE": str(demo_cache)}
    out = tmp_path / "s"
    res = cli(["suite", "run", "seem-paper", "--model", "oracle", "--out", str(out), "--no-progress"],
              cwd=tmp_path, env_extra=env)
    assert res.returncode == 0, res.stderr
    # The oracle scores 100 everywhere, so every Δ is 100 minus the published number.
    assert RUN_ID.sub("run <run-id>", res.stdout) == (HERE / "seem_paper_oracle_demo.md").read_text()
    # The demo data holds every cell's dataset: nothing is skipped.
    assert "skipping" not in res.stderr
    assert "[1/7] cell coco (generic on coco_panoptic val2017): running into" in res.stderr
    assert "[7/7] cell davis16i (vos on davis2016 val): running into" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([*get_suite("seem-paper").ids(), "suite.json"])
    again = cli(["suite", "table", str(out)], cwd=tmp_path, env_extra=env)
    assert again.returncode == 0 and again.stdout == res.stdout


def _metrics_without_timing(summary: dict) -> dict:
    return {k: v for k, v in summary["metrics"].items() if k != "SPC"}


def test_kill9_mid_suite_resumes_without_rerunning_finished_cells(cli, demo_cache, tmp_path):
    env = {"SEEM_BENCH_CACHE": str(demo_cache)}
    args = ["suite", "run", "seem-paper", "--model", "noisy-oracle", "--no-progress"]
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "seem_bench", *args, "--out", str(out)], cwd=tmp_path,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Kill as soon as the sixth cell has started: its header is written before its first record.
        deadline = time.monotonic() + 300
        while not (out / "davis17" / "header.json").exists():
            assert proc.poll() is None, "the suite ended before its sixth cell started"
            assert time.monotonic() < deadline, "the sixth cell never started"
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert (out / "coco" / "summary.json").exists() and not (out / "davis17" / "summary.json").exists()
    coco_before = {p.name: p.read_bytes() for p in (out / "coco").iterdir()}

    res = cli([*args, "--out", str(out)], cwd=tmp_path, env_extra=env)
    assert res.returncode == 0, res.stderr
    assert f"[1/7] cell coco (generic on coco_panoptic val2017): finished earlier, reusing {out / 'coco'}" \
        in res.stderr
    assert "[6/7] cell davis17 (vos on davis2017 val): running into" in res.stderr
    assert {p.name: p.read_bytes() for p in (out / "coco").iterdir()} == coco_before  # not rerun
    lines = (out / "davis17" / "records-rank0.jsonl").read_text().splitlines()
    keys = [json.loads(line)["key"] for line in lines]
    summary = load_summary(out / "davis17")
    assert len(keys) == len(set(keys)) == summary["counts"]["expected"] == 9  # nothing lost or duplicated

    clean = tmp_path / "clean"
    ref = cli([*args, "--out", str(clean)], cwd=tmp_path, env_extra=env)
    assert ref.returncode == 0, ref.stderr
    assert res.stdout == ref.stdout  # same table, run ids included
    for cell in ("coco", "davis17"):
        assert _metrics_without_timing(load_summary(out / cell)) == _metrics_without_timing(load_summary(clean / cell))
    # A third run reuses every cell.
    third = cli([*args, "--out", str(out)], cwd=tmp_path, env_extra=env)
    assert third.stderr.count("finished earlier, reusing") == 7 and third.stdout == ref.stdout


def test_delta_rows_are_reproduced_minus_reported(tmp_path):
    out = tmp_path / "noisy"
    run_suite(get_suite("seem-paper"), "noisy-oracle", out, progress=False, log=lambda m: None)
    sd = load_suite_dir(out)
    reported = load_reported()
    readme, coco_interactive, video = suite_tables(sd)
    row = ("noisy-oracle", "reproduced, demo data")
    for table, ref, cell, cols in ((readme, "SEEM v1 Focal-T", "coco", {"PQ": "PQ", "mAP": "mAP", "mIoU": "mIoU"}),
                                   (video, "SEEM-T", "davis17", {"J&F": "J&F-Mean", "J": "J-Mean", "F": "F-Mean"})):
        delta = ("noisy-oracle", f"Δ vs {ref}")
        assert list(table.frame.index).index(delta) == list(table.frame.index).index(row) + 1
        group = "COCO" if cell == "coco" else "DAVIS17"
        for header, metric in cols.items():
            mine = 100 * sd.summaries[cell]["metrics"][metric]
            pub = 100 * float(reported[(reported.model == ref) & (reported.metric == metric)].value.iloc[0])
            assert math.isclose(table.frame.loc[row, (group, header)], mine, abs_tol=1e-9)
            assert math.isclose(table.frame.loc[delta, (group, header)], mine - pub, abs_tol=1e-9)
    # Columns the reference row has no number for (SBD for Focal-T) have no delta.
    assert not math.isnan(readme.frame.loc[row, ("SBD", "NoC90")])
    assert math.isnan(readme.frame.loc[("noisy-oracle", "Δ vs SEEM v1 Focal-T"), ("SBD", "NoC90")])
    # COCO interactive has no published row on this subset: labelled, and no delta row.
    assert "not the paper's subset" in coco_interactive.title
    assert list(coco_interactive.frame.index) == [row]
    [focal_l, _, _] = suite_tables(sd, versus="SEEM v1 Focal-L")
    d = focal_l.frame.loc[("noisy-oracle", "Δ vs SEEM v1 Focal-L"), ("COCO", "PQ")]
    assert math.isclose(d, 100 * sd.summaries["coco"]["metrics"]["PQ"] - 56.1, abs_tol=1e-9)
    manifest = json.loads((out / "suite.json").read_text())
    assert manifest["model"] == "noisy-oracle" and manifest["demo"] is True
    assert {k: v["status"] for k, v in manifest["cells"].items()} == dict.fromkeys(get_suite("seem-paper").ids(), "done")


def test_capabilities_and_data_are_checked_before_anything_runs(tmp_path, demo_root, capsys):
    out = tmp_path / "s"
    assert main(["suite", "run", "seem-paper", "--model", "disks", "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[:4] == [
        "seem-bench: cell coco (generic on coco_panoptic val2017): model 'disks' does not support task "
        "'generic' (it supports: interactive)",
        "seem-bench: cell refcocog (referring on refcocog umd/val): model 'disks' does not support task "
        "'referring' (it supports: interactive)",
        "seem-bench: cell davis17 (vos on davis2017 val): model 'disks' does not support task 'ref-image' "
        "(it supports: interactive)",
        "seem-bench: cell davis16i (vos on davis2016 val): model 'disks' does not support task 'ref-image' "
        "(it supports: interactive)"]
    assert err[4] == ("seem-bench: error: 4 of 7 cells of suite 'seem-paper' cannot run with model 'disks' "
                      "(listed above); leave them out with --cells")
    assert not out.exists()
    assert main(["suite", "run", "seem-paper", "--model", "oracle", "--versus", "SEEM v1 Focal L",
                 "--out", str(out)]) == 2
    assert ("--versus 'SEEM v1 Focal L' is not a model of the reported numbers (leaderboards/reported.csv). "
            "Did you mean 'SEEM v1 Focal-L'") in capsys.readouterr().err
    assert not out.exists()
    # With --data-root every missing dataset is one line with the `data check` command to run:
    # a copy of the demo data holding only its COCO and DAVIS folders.
    part = tmp_path / demo_root.name
    part.mkdir()
    for sub in ("coco", "DAVIS"):
        (part / sub).symlink_to(demo_root / sub)
    assert main(["suite", "run", "seem-paper", "--model", "oracle", "--data-root", str(part),
                 "--out", str(out)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4 and err[3].startswith("seem-bench: error: 3 dataset(s) needed by 3 of 7 cells")
    assert err[0].startswith("seem-bench: dataset refcocog umd/val (cells refcocog): ")
    assert err[0].endswith(f"then run `seem-bench data check refcocog --data-root {part / 'refer'} --split umd/val`")
    assert err[1].endswith(f"`seem-bench data check pascalvoc --data-root {part / 'PascalVOC'}`")
    assert err[2].startswith("seem-bench: dataset sbd (cells sbd): ")
    assert not out.exists()
    # --cells leaves the missing ones out; the present ones run from --data-root.
    assert main(["suite", "run", "seem-paper", "--model", "oracle", "--data-root", str(part),
                 "--cells", "davis17", "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    # --data-root pointing at the demo copy is still the demo data: the row says so (seem_bench.marks).
    assert "| oracle    | reproduced, demo data   | 100.0         | 100.0       | 100.0       |" in text
    assert "cell coco (generic on coco_panoptic val2017) not run: not selected (--cells)" in text


def test_a_suite_directory_refuses_another_configuration(tmp_path, capsys):
    out = tmp_path / "s"
    args = ["suite", "run", "sam-point", "--model", "noisy-oracle", "--out", str(out), "--no-progress"]
    assert main([*args, "--limit", "2"]) == 0
    text = capsys.readouterr().out
    assert "| noisy-oracle | reproduced, demo data, partial, --limit 2 |" in text
    assert "partial: every cell evaluated only its first 2 samples (--limit)" in text
    assert "no Δ row: no reported row of this model" in text
    assert main([*args, "--limit", "3"]) == 2
    assert "holds suite results of another configuration (limit differ)" in capsys.readouterr().err
    assert main(["suite", "run", "sam-point", "--model", "oracle", "--out", str(out), "--limit", "2"]) == 2
    assert "(model differ)" in capsys.readouterr().err
    # The SAM protocol's reported rounds (1, 2, 3, 5, 9) are in the summary, from the records.
    s = load_summary(out / "grabcut")
    recs = load_records(out / "grabcut", fingerprint=s["fingerprint"])
    assert len(recs) == 2
    for k in (1, 2, 3, 5, 9):
        want = sum(r["ious"][min(k, len(r["ious"])) - 1] for r in recs) / len(recs)
        assert math.isclose(s["metrics"][f"mIoU@{k}"], want, rel_tol=0, abs_tol=1e-12)


def test_the_models_own_reported_row_is_the_delta_reference(tmp_path):
    from seem_bench.suites.manifest import SuiteDir

    suite = get_suite("seem-paper")
    coco = suite.cell("coco")
    summary = {"run_id": "abc123abc123", "fingerprint": "abc123abc123" * 4, "task": coco.task.to_json(),
               "model": {"name": "seem_l"}, "dataset": {"name": "coco_panoptic", "split": "val2017"},
               "metrics": {"PQ": 0.55, "mAP": 0.45, "mIoU": 0.65}}
    sd = SuiteDir(tmp_path, suite, {"model": "seem_l", "limit": None, "demo": False, "cells": {}},
                  {"coco": summary})
    readme, coco_interactive, video = suite_tables(sd)
    # seem_l is the model_id of "SEEM v1 Focal-L" (PQ 56.1): its row is the reference, and the
    # reproduced row sits right below it.
    rows = list(readme.frame.index)
    assert rows.index(("seem_l", "reproduced")) == rows.index(("SEEM v1 Focal-L", "reported (seem-readme)")) + 1
    d = readme.frame.loc[("seem_l", "Δ vs SEEM v1 Focal-L"), "COCO"]
    assert [round(v, 9) for v in d] == [round(55 - 56.1, 9), round(45 - 46.3, 9), round(65 - 65.8, 9)]
    # No video row has a model_id: the table's reference is used, and no cell ran there.
    assert ("seem_l", "reproduced") not in list(video.frame.index)
    assert "cell davis17 (vos on davis2017 val) not run: not selected (--cells)" in video.notes
