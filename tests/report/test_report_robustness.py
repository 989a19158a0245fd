"""Sampled-click reports: ranking stability in closed form, the deterministic-vs-sampled table,
the NoC distribution and draws figures, the HTML section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seem_bench.metrics.robustness import ranking_stability, robustness_stats
from seem_bench.runner import RunConfig, run
from seem_bench.tasks import get_task


def _recs(noc_by_draw: dict[str, list[int]], max_rounds: int = 5) -> list[dict]:
    """Records whose IoU first reaches 0.9 at the given round (per object, per draw 0..K)."""
    out = []
    for obj, nocs in noc_by_draw.items():
        for d, n in enumerate(nocs):
            ious = [0.5] * (n - 1) + [0.95] * (max_rounds - n + 1)
            out.append({"key": f"s/{obj}" + (f"#{d}" if d else ""), "sample_id": "s", "instance_id": obj,
                        "draw": d, "status": "ok", "ious": ious})
    return out


def test_ranking_stability_closed_form():
    # draw:      0  1  2  3  4   (run-level NoC@90 = mean over the two objects)
    a = _recs({"1": [1, 1, 2, 3, 4], "2": [1, 1, 2, 3, 2]})
    b = _recs({"1": [2, 2, 3, 3, 1], "2": [2, 2, 2, 3, 2]})
    # A: 1, 2, 3, 3   B: 2, 2.5, 3, 1.5  -> A wins, wins, tie, loses = 2.5 / 4
    res = ranking_stability(a, b, metric="NoC@90", max_rounds=5, n_boot=200)
    assert res["win_rate"] == 0.625 and res["draws"] == 4 and res["objects"] == 2
    assert res["deterministic"] == 1.0
    back = ranking_stability(b, a, metric="NoC@90", max_rounds=5, n_boot=200)
    assert back["win_rate"] == 1 - res["win_rate"] and back["deterministic"] == 0.0
    assert back["ci"] == pytest.approx([1 - res["ci"][1], 1 - res["ci"][0]])  # same resamples
    lo, hi = res["ci"]
    assert 0.0 <= lo <= hi <= 1.0


def test_ranking_stability_of_a_dominant_model_is_certain():
    rng = np.random.default_rng(0)
    objs = {str(i): [int(v) for v in rng.integers(2, 6, 7)] for i in range(9)}
    a = _recs({o: [1] * 7 for o in objs})
    res = ranking_stability(a, _recs(objs), metric="NoC@90", max_rounds=5, n_boot=300)
    assert res["win_rate"] == 1.0 and res["ci"] == [1.0, 1.0]
    none = ranking_stability(a, _recs({"other": [1, 1]}), metric="NoC@90", max_rounds=5)
    assert none["win_rate"] is None and none["objects"] == 0


def test_robustness_stats_hand_computed():
    recs = _recs({"1": [1, 2, 4], "2": [3, 3, 5]})  # draws 1, 2: object 1 -> 2, 4; object 2 -> 3, 5
    st = robustness_stats(recs, max_rounds=5, ks=(1,))["metrics"]
    assert st["NoC@90"] == {"deterministic": 2.0, "mean": 3.5, "sd": pytest.approx(np.sqrt(2)),
                            "p5": pytest.approx(2.5 + 0.05 * 2), "p95": pytest.approx(2.5 + 0.95 * 2),
                            "worst": 4.5}
    assert st["NoF@90"]["mean"] == 0.0 and st["mIoU@1"]["deterministic"] == pytest.approx(0.725)


@pytest.fixture(scope="module")
def sampled_pair(demo_root, tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("robust")
    task = get_task("interactive").with_overrides(["max_rounds=4", "gamma=1", "draws=3"])
    out = {}
    for model in ("disks", "noisy-oracle"):
        run(RunConfig(task=task, model=model, data_root=demo_root, out_dir=base / model, progress=False))
        out[model] = base / model
    return out


def test_table_prints_deterministic_and_sampled_with_ranking_line(cli, sampled_pair, tmp_path):
    res = cli(["table", *(str(p) for p in sampled_pair.values())], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert "### Sampled clicks: deterministic vs sampled" in text
    assert "NoC@90 det" in text and "NoC@90 sampled" in text and "NoC@90 worst-of-3" in text
    assert text.count(" ± ") == 2 * 4 + 1  # 2 runs x 4 metrics (no mIoU@5 in 4 rounds) + the note
    lines = [ln for ln in text.splitlines() if "ranking stability" in ln]
    assert len(lines) == 1 and "disks beats noisy-oracle in" in lines[0] and "bootstrap CI" in lines[0]


def test_plot_and_report_draw_the_distribution_and_draws(cli, sampled_pair, tmp_path):
    runs = [str(p) for p in sampled_pair.values()]
    res = cli(["plot", *runs, "-o", str(tmp_path / "c.png")], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    for name in ("c.png", "c_noc_distribution.png", "c_draws.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    res = cli(["report", *runs, "-o", str(tmp_path / "r.html")], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    page = (tmp_path / "r.html").read_text()
    assert "<h2>Sampled clicks</h2>" in page and 'alt="NoC distribution over sampled clicks"' in page
    assert 'alt="clicks of several draws"' in page and "ranking stability" in page
    bad = cli(["plot", runs[0], "-o", str(tmp_path / "d.png"), "--draws-of", "nope/1"], cwd=tmp_path)
    assert bad.returncode == 2 and "no record 'nope/1'" in bad.stderr


def test_an_object_with_a_failed_draw_is_left_out():
    recs = _recs({"1": [1, 2, 4], "2": [3, 3, 5]})
    recs = [r for r in recs if r["key"] != "s/2#2"]
    recs.append({"key": "s/2#2", "sample_id": "s", "unit": "2#2", "status": "error", "error": "x"})
    st = robustness_stats(recs, max_rounds=5)
    assert st["objects"] == 1 and st["draws"] == 2
    assert st["metrics"]["NoC@90"]["mean"] == 3.0 and st["metrics"]["NoC@90"]["deterministic"] == 1.0


def test_qualitative_panel_draws_a_worst_of_m_draw(demo_root, tmp_path):
    from seem_bench.metrics.detection import decode_mask
    from seem_bench.report.plots import samples_png
    from seem_bench.report.runs import load_records, load_summary

    task = get_task("interactive").with_overrides(["max_rounds=3", "gamma=0", "worst_of=2", "save_masks=final"])
    run(RunConfig(task=task, model="disks", data_root=demo_root, out_dir=tmp_path / "w", limit=1, progress=False))
    summary = load_summary(tmp_path / "w")
    rec = next(r for r in load_records(tmp_path / "w") if r.get("draw") == 1)
    assert rec["key"].endswith("#1") and decode_mask(rec["mask"]).any()  # the kept candidate's mask
    png = samples_png(summary, [rec["key"]])
    assert png[:4] == b"\x89PNG"
