"""Sampled-click runs end to end: same draws on 1/2 workers, shards and resume; draw 0 is the
deterministic run; worst-of-M keeps the lowest-IoU candidate; summary statistics equal an
independent computation from the records."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import numpy as np
import pytest

from seem_bench.distributed import Worker
from seem_bench.metrics.robustness import nested
from seem_bench.runner import RunConfig, load_records, run, strip_timings, summarize
from seem_bench.tasks import get_task

SAMPLED = ["max_rounds=4", "gamma=2", "sigma=1.5", "draws=3"]


def _records(run_dir: Path) -> list[dict]:
    return [strip_timings(r) for r in load_records(run_dir)]


def _run(task_overrides, out: Path, demo_root: Path, model: str = "disks", **kw):
    task = get_task("interactive").with_overrides(task_overrides)
    return run(RunConfig(task=task, model=model, data_root=demo_root, out_dir=out, progress=False, **kw))


@pytest.fixture(scope="module")
def sampled_run(demo_root, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sampled") / "one"
    _run(SAMPLED, out, demo_root)
    return out


def test_draws_are_keyed_and_differ(sampled_run):
    recs = _records(sampled_run)
    summary = json.loads((sampled_run / "summary.json").read_text())
    n_obj = summary["dataset"]["instances"] // 4
    assert summary["counts"]["ok"] == len(recs) == 4 * n_obj  # draw 0 + 3 draws per object
    assert sorted({r["draw"] for r in recs}) == [0, 1, 2, 3]
    assert all(r["key"].endswith(f"#{r['draw']}") == (r["draw"] > 0) for r in recs)
    assert summary["protocol"]["sampling"] == {"variant": "sampled", "gamma": 2.0, "sigma": 1.5,
                                               "draws": 3, "worst_of": 1}
    clicks = {}
    for r in recs:
        clicks.setdefault(r["instance_id"] + r["sample_id"], set()).add(
            json.dumps([rd["prompt"].get("click") for rd in r["rounds"]]))
    assert sum(len(v) > 1 for v in clicks.values()) >= n_obj // 2  # draws really move the clicks


def test_draw_zero_is_the_deterministic_run(sampled_run, demo_root, tmp_path):
    det = _run(["max_rounds=4"], tmp_path / "det", demo_root)
    sampled = json.loads((sampled_run / "summary.json").read_text())
    zero = {r["key"]: r for r in _records(sampled_run) if r["draw"] == 0}
    plain = {r["key"]: r for r in _records(tmp_path / "det")}
    assert zero.keys() == plain.keys()
    for k, r in plain.items():
        assert zero[k]["rounds"] == r["rounds"] and zero[k]["ious"] == r["ious"]
    standard = {k: v for k, v in det["metrics"].items() if k != "SPC"}
    assert {k: sampled["metrics"][k] for k in standard} == standard
    assert "sampling" not in det["protocol"] and nested(det["metrics"]) is None
    assert not [k for k in det["metrics"] if "/" in k] and "draws" not in det["metrics"]


def test_same_draws_on_two_workers_with_shards_and_after_resume(sampled_run, demo_root, tmp_path):
    ref = _records(sampled_run)
    ref_summary = json.loads((sampled_run / "summary.json").read_text())
    two = tmp_path / "two"
    for rank in (0, 1):
        assert _run(SAMPLED, two, demo_root, worker=Worker(rank=rank, world=2)) is None
    assert len(list(two.glob("records-rank*.jsonl"))) == 2
    merged = summarize(two)
    assert _records(two) == ref
    assert nested(merged["metrics"]) == nested(ref_summary["metrics"])
    assert {k: v for k, v in merged["metrics"].items() if "/" in k} == {
        k: v for k, v in ref_summary["metrics"].items() if "/" in k}

    # An interrupted run: keep the first 7 records (mid-sample, mid-draw), then resume.
    part = tmp_path / "resumed"
    part.mkdir()
    (part / "header.json").write_text((sampled_run / "header.json").read_text())
    lines = (sampled_run / "records-rank0.jsonl").read_text().splitlines()
    (part / "records-rank0.jsonl").write_text("\n".join(lines[:7]) + "\n")
    resumed = _run(SAMPLED, part, demo_root)
    assert _records(part) == ref
    assert nested(resumed["metrics"]) == nested(ref_summary["metrics"])


def _independent_stats(records: list[dict], max_rounds: int) -> dict:
    """Plain-Python recomputation of the robustness statistics (see metrics/robustness.py)."""
    by_obj: dict[str, dict[int, list[float]]] = {}
    for r in records:
        by_obj.setdefault(f"{r['sample_id']}/{r['instance_id']}", {})[r["draw"]] = r["ious"]
    objs = sorted(by_obj)
    k = max(max(d) for d in by_obj.values())

    def value(ious, metric):
        row = (list(ious) + [ious[-1]] * max_rounds)[:max_rounds]
        name, at = metric.split("@")
        if name == "mIoU":
            return row[int(at) - 1]
        thr = np.float32(int(at) / 100)
        hit = [i + 1 for i, v in enumerate(row) if np.float32(v) >= thr]
        if name == "NoC":
            return float(hit[0] if hit else max_rounds)
        return 0.0 if hit else 1.0

    out = {}
    for m in ("NoC@85", "NoC@90", "NoF@85", "NoF@90", "mIoU@1", "mIoU@3"):
        agg = (lambda xs: math.fsum(xs)) if m.startswith("NoF") else (lambda xs: math.fsum(xs) / len(xs))
        per_draw = [agg([value(by_obj[o][d], m) for o in objs]) for d in range(1, k + 1)]
        sds = [statistics.stdev([value(by_obj[o][d], m) for d in range(1, k + 1)]) for o in objs]
        worst = [(max if m[:3] in ("NoC", "NoF") else min)(value(by_obj[o][d], m) for d in range(1, k + 1))
                 for o in objs]
        srt = sorted(per_draw)

        def pct(q, srt=srt):  # linear interpolation between order statistics
            pos = q / 100 * (len(srt) - 1)
            lo = math.floor(pos)
            return srt[lo] + (srt[min(lo + 1, len(srt) - 1)] - srt[lo]) * (pos - lo)
        out[m] = {"deterministic": agg([value(by_obj[o][0], m) for o in objs]),
                  "mean": statistics.fmean(per_draw), "sd": statistics.fmean(sds),
                  "p5": float(pct(5)), "p95": float(pct(95)), "worst": agg(worst)}
    return out


def test_summary_statistics_equal_an_independent_computation(sampled_run):
    summary = json.loads((sampled_run / "summary.json").read_text())
    rob = nested(summary["metrics"])
    expected = _independent_stats(_records(sampled_run), 4)
    assert rob["draws"] == 3 and rob["objects"] == summary["dataset"]["instances"] // 4
    for m, exp in expected.items():
        for stat, v in exp.items():
            assert rob["metrics"][m][stat] == pytest.approx(v, rel=1e-12, abs=1e-12), (m, stat)
    # the contract's metadata: direction, unit and precision of every statistic, in the summary
    specs = summary["metric_specs"]
    assert specs["NoC@90/mean"]["higher_is_better"] is False and specs["NoC@90/mean"]["unit"] == "clicks"
    assert specs["mIoU@3/worst"]["higher_is_better"] is True and specs["mIoU@3/worst"]["unit"] == "fraction"
    assert specs["mIoU@3/sd"]["higher_is_better"] is False  # a smaller spread is more robust
    assert specs["NoF@90/mean"]["precision"] == 2 and specs["NoF@90/worst"]["precision"] == 0


def test_worst_of_m_keeps_the_lowest_iou_candidate(demo_root, tmp_path):
    summary = _run(["max_rounds=3", "gamma=0", "draws=1", "worst_of=3"], tmp_path / "w", demo_root)
    assert summary["protocol"]["sampling"]["variant"] == "worst-of-3"
    recs = [r for r in _records(tmp_path / "w") if r["draw"] == 1]
    checked = 0
    for r in recs:
        for rd in r["rounds"]:
            p = rd["prompt"]
            if "candidates" in p:
                assert len(p["candidates"]) == len(p["candidate_ious"]) == 3
                assert rd["iou"] == min(p["candidate_ious"])
                assert p["click"] == p["candidates"][int(np.argmin(p["candidate_ious"]))]
                checked += 1
    assert checked == 3 * len(recs)  # every round of every sampled draw had 3 candidates


def test_draws_without_gamma_is_a_usage_error(cli, demo_cache, tmp_path):
    res = cli(["run", "--task", "interactive", "--model", "disks", "--set", "draws=3", "--no-progress",
               "--out", str(tmp_path / "x")], cwd=tmp_path, env_extra={"SEEM_BENCH_CACHE": str(demo_cache)})
    assert res.returncode == 2
    assert "draws need sampled clicks" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
