"""Smoke tests of the benchmark scripts (tiny settings, CPU): they run and print their result.

The figures themselves are not checked here (they depend on the machine); the README in
``benchmarks/`` records them with the commands that produced them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"


def _result(stdout: str) -> dict:
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, stdout[-2000:]
    return json.loads(lines[-1][len("RESULT "):])


@pytest.fixture
def bench_path(monkeypatch):
    """Import the scripts' helper modules as the scripts do (their folder on ``sys.path``)."""
    monkeypatch.syspath_prepend(str(BENCH))


def test_gpu_check_runs_on_cpu_with_tiny_settings(demo_cache):
    pytest.importorskip("segment_anything")
    env = {**os.environ, "SEEM_BENCH_CACHE": str(demo_cache)}
    res = subprocess.run([sys.executable, str(BENCH / "gpu_check.py"), "--quick", "--limit", "1",
                          "--max-rounds", "2", "--arch", "tiny", "--device", "cpu", "--threads", "1",
                          "--batch-size", "2"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    out = _result(res.stdout)
    assert out["benchmark"] == "gpu_check" and out["device"] == "cpu" and out["arch"] == "tiny"
    assert out["clicks"] == 2  # 1 demo object x 2 rounds, all through the real sam_b adapter
    assert 0.0 <= out["harness_share"] < 1.0
    assert out["encode_once_speedup"] > 0
    assert "not a SAM ViT-B figure" in out["note"]
    assert out["batched"]["batch_size"] == 2 and out["batched"]["records_identical"] is True


def test_bench_pipeline_runs_and_its_modes_agree(tmp_path):
    res = subprocess.run([sys.executable, str(BENCH / "bench_pipeline.py"), "--images", "3", "--size", "60x80",
                          "--rounds", "3", "--batch", "2", "--a-ms", "1", "--b-ms", "0.1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    out = _result(res.stdout)["by_a"]["1.0"]
    assert out["records_identical"] is True
    for mode in ("one-at-a-time", "lockstep", "lockstep+overlap"):
        assert out[mode]["objects_per_s"] > 0 and 0.0 <= out[mode]["harness_share"] < 1.0
    # 3 images x 3 rounds: one decode per object and round alone, one per batch (2 + 1) and round
    # in lockstep, so the stand-in slept 9 x a vs 6 x a (a = 1 ms) at least.
    assert out["one-at-a-time"]["model_s"] >= 9 * 1e-3 and out["lockstep"]["model_s"] >= 6 * 1e-3


def test_zero_cost_model_measures_the_real_runner(bench_path, tmp_path):
    import _common as C
    from bench_overhead import harness_once

    C.register_zero_cost()
    C.make_clickset(tmp_path / "data", 2, 48, 64)
    h = harness_once(tmp_path / "data", tmp_path / "run", 3, "ritm")
    assert h["clicks"] == 6  # every round runs (iou_target null)
    assert h["per_click_s"] > 0 and h["loop_s"] <= h["wall_s"]
    recs = C.record_times(tmp_path / "run")
    assert recs["instances"] == 2 and recs["clicks"] == 6


def test_round_masks_leave_errors_that_shrink(bench_path):
    import _common as C

    gt = np.zeros((40, 50), bool)
    gt[10:30, 12:40] = True
    masks = C.round_masks(gt, 20)
    errors = [int((m ^ gt).sum()) for m in masks]
    assert all(e > 0 for e in errors)  # every round leaves something to click on
    assert errors[0] > errors[-1]


def test_generated_coco_set_loads(bench_path, tmp_path):
    from bench_memory import make_coco

    from seem_bench.data.registry import load_dataset

    make_coco(tmp_path, 5, size=32)
    ds = load_dataset("coco_panoptic", tmp_path / "coco", "val2017")
    assert len(ds.samples) == 5
    ids, segments = ds.samples[0].targets["panoptic"]()
    assert ids.shape == (32, 32) and len(segments) >= 2


def test_hotspot_candidates_match_the_exact_rule(bench_path):
    from bench_hotspots import ObjectIoU, ellipse_pairs, ritm_click_crop, ritm_exact

    from seem_bench.metrics.iou import mask_iou
    from seem_bench.prompts.clicks import ritm_click

    for gt, pred in ellipse_pairs(60, seed=3):
        ref = ritm_exact(gt, pred, None, ())
        for fn in (ritm_click, ritm_click_crop):
            c = fn(gt, pred)
            assert (c.x, c.y, c.positive) == ref
        assert ObjectIoU(gt, None)(pred) == mask_iou(gt, pred)


def test_summary_memory_runs_with_tiny_settings():
    res = subprocess.run([sys.executable, str(BENCH / "bench_summary_memory.py"), "--sizes", "10,30",
                          "--rounds", "3"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    out = _result(res.stdout)
    assert set(out) >= {"10", "30"} and out["30"]["package"].startswith(str(ROOT))


def test_fingerprint_benchmark_rerun_hashes_nothing(bench_path):
    from bench_fingerprint import measure

    r = measure(3, 1)
    assert r["files"] == 6 and r["mb"] > 0 and r["first_s"] > 0 and r["rerun_s"] > 0


def test_cli_startup_benchmark_times_every_verb_and_floor():
    res = subprocess.run([sys.executable, str(BENCH / "bench_cli_startup.py"), "--reps", "1"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    result = _result(res.stdout)
    assert set(result["median_s"]) == {"seem-bench --help", "seem-bench tasks", "seem-bench models",
                                       "python -c pass", "python -c 'import numpy'"}
    assert all(v > 0 for v in result["median_s"].values())
