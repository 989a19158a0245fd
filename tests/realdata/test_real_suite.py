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


def test_bench_ritm_real_smoke(interactive_data, tmp_path):
    """benchmarks/bench_ritm_real.py on one DAVIS-345 frame: runs, prints both sides' table."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    shared = interactive_data.parents[1]
    proc = subprocess.run([sys.executable, str(root / "benchmarks" / "bench_ritm_real.py"), "--shared", str(shared),
                           "--models", "disks", "--sets", "davis345", "--davis-every", "345"],
                          cwd=root, capture_output=True, text=True, timeout=900, env={**os.environ})
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.splitlines()[-1][len("RESULT "):])
    case = result["cases"]["disks/davis345"]
    assert case["objects"] == 1 and case["clicks_equal"] and case["seem_bench"] == case["ritm"]
    assert "|    NoBRS    |" in proc.stdout  # RITM's own results table
