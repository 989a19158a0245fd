"""`seem-bench plot`: mIoU-vs-clicks curves from records, and the qualitative panel of stored masks."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from seem_bench.cli import main
from seem_bench.errors import UsageError
from seem_bench.report.plots import curves_png, miou_curve, samples_png
from seem_bench.report.runs import load_records, load_summary


def png_pixels(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_curve_from_records_matches_the_summary(runs):
    s = load_summary(runs["base"])
    curve = miou_curve(s)
    assert list(curve.index) == list(range(1, 21))
    for k in (1, 3, 5, 10, 20):  # the metrics and the plot agree to the last bit
        assert curve[k] == pytest.approx(s["metrics"][f"mIoU@{k}"], abs=1e-15)
    recs = load_records(runs["base"], fingerprint=s["fingerprint"])
    assert curve[7] == pytest.approx(np.mean([r["ious"][6] for r in recs]))


def test_curve_falls_back_to_summary_keys_without_records(tmp_path, runs):
    s = load_summary(runs["base"])
    s["_path"] = str(tmp_path / "summary.json")  # a copied summary, records left behind
    curve = miou_curve(s)
    assert list(curve.index) == [1, 3, 5, 10, 20] and curve[5] == s["metrics"]["mIoU@5"]


def test_curves_png_one_panel_per_dataset(runs):
    summaries = [load_summary(runs[k]) for k in ("base", "degraded")]
    one = png_pixels(curves_png(summaries))
    assert one.shape[0] > 200 and one.std() > 10  # drawn, not blank
    summaries[1]["dataset"]["name"] = "berkeley"  # same records, pretend another dataset
    two = png_pixels(curves_png(summaries))
    assert two.shape[1] > 1.6 * one.shape[1]  # a second panel side by side


def test_panel_draws_the_stored_masks_and_says_how_to_get_them(runs):
    s = load_summary(runs["masked"])
    rec = load_records(runs["masked"], fingerprint=s["fingerprint"])[1]
    png = png_pixels(samples_png(s, [rec["key"]], rounds=3))
    assert png.ndim == 3 and png.std() > 10
    with pytest.raises(UsageError, match="no record for sample 'nope'"):
        samples_png(s, ["nope"])
    # Without stored masks nothing is recomputed: the error says which run option stores them.
    base = load_summary(runs["base"])
    with pytest.raises(UsageError, match="hold no predicted masks; rerun with `seem-bench run ... --save-masks final`"):
        samples_png(base, [rec["key"]])
    final = load_summary(runs["final"])
    key = load_records(runs["final"], fingerprint=final["fingerprint"])[0]["key"]
    assert png_pixels(samples_png(final, [key])).std() > 10  # the last round: stored
    with pytest.raises(UsageError, match="stored only final masks .* --save-masks all"):
        samples_png(final, [key], rounds=1)


def test_plot_cli_writes_curves_and_panel(runs, tmp_path, capsys):
    out = tmp_path / "fig" / "curves.png"
    assert main(["plot", str(runs["masked"]), str(runs["degraded"]), "-o", str(out),
                 "--samples", "demo_000", "--rounds", "2"]) == 0
    assert png_pixels(out.read_bytes()).std() > 10
    panel = tmp_path / "fig" / "curves_samples.png"
    assert png_pixels(panel.read_bytes()).std() > 10
    assert oct(os.stat(out).st_mode & 0o777) == "0o644"
    # A bad sample id fails before anything is written.
    assert main(["plot", str(runs["masked"]), "-o", str(tmp_path / "x.png"), "--samples", "zzz"]) == 2
    assert not (tmp_path / "x.png").exists()
    assert "no record for sample 'zzz'" in capsys.readouterr().err


def test_nothing_to_plot_for_non_interactive_runs(tmp_path):
    from report_helpers import write_summary

    vos = write_summary(tmp_path / "vos", model="seem_t", kind="vos", task="vos", dataset="davis2017",
                        metrics={"J&F-Mean": 0.6})
    with pytest.raises(UsageError, match="no interactive run"):
        curves_png([load_summary(vos)])
