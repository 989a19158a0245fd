"""`suite run ritm-noc` on the real ``shared/data/interactive`` folder: both of its sets run, the
published rows on exactly these files (RITM README, SAM ViT-B via SegNext) print beside them."""

from __future__ import annotations

import json

from seem_bench.cli import main as cli_main


def test_ritm_noc_suite_runs_grabcut_and_davis345_for_real(interactive_data, tmp_path, capsys):
    out = tmp_path / "suite"
    rc = cli_main(["suite", "run", "ritm-noc", "--model", "disks", "--data-root", str(interactive_data),
                   "--cells", "grabcut,davis345", "--limit", "4", "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert rc == 0
    for cell, folder in (("grabcut", "GrabCut"), ("davis345", "DAVIS")):
        header = json.loads((out / cell / "header.json").read_text())
        assert header["dataset"]["root"] == str(interactive_data / folder)
        assert header["dataset"]["samples"] == 4 and header["dataset"]["samples_total"] == {"grabcut": 50, "davis345": 345}[cell]
        assert header["protocol"]["name"] == "ritm" and header["task"]["params"]["iou_target"] == 0.9
    rows = {line.split("|")[1].strip() + " / " + line.split("|")[2].strip(): line for line in printed.splitlines()
            if line.startswith("| ")}
    hr18 = rows["RITM HRNet18 IT-M / reported (ritm-readme)"]
    assert [c.strip() for c in hr18.split("|")[3:5]] == ["1.42", "1.54"]
    assert "5.15" in rows["SAM ViT-B (RITM clicker) / reported (segnext-eval-sam)"]
    assert "disks / reproduced, partial, --limit 4" in rows
