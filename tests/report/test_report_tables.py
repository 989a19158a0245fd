"""`seem-bench table`: paper layouts from summaries, reported rows marked, every output format."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from report_helpers import write_summary

from seem_bench.cli import main
from seem_bench.report import entries
from seem_bench.report.layouts import LAYOUTS, build_table, runs_table
from seem_bench.report.leaderboard import load_reported
from seem_bench.report.render import render
from seem_bench.report.runs import load_summary
from seem_bench.report.table import markdown_table


def md_rows(text: str) -> dict[str, list[str]]:
    """Markdown table rows keyed by their first cell + second cell."""
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("|") and not set(cells[0]) <= {":", "-"}:
            out[f"{cells[0]} / {cells[1]}"] = cells
    return out


def test_seem_readme_layout_puts_reproduced_next_to_reported(seem_t_runs, capsys):
    assert main(["table", *map(str, seem_t_runs), "--reported", "--layout", "seem"]) == 0
    text = capsys.readouterr().out
    header = text.splitlines()[2]
    for col in ["COCO PQ", "COCO mAP", "COCO mIoU", "RefCOCOg cIoU", "RefCOCOg mIoU", "RefCOCOg AP50",
                "VOC NoC85", "VOC NoC90"]:
        assert f" {col} " in header
    rows = md_rows(text)
    # Fractions x100 with one decimal, NoC with two; AP50 is prec@0.5.
    assert rows["seem_t / reproduced"][2:] == ["50.1", "39.5", "60.7", "58.5", "63.7", "72.0", "3.19", "4.13"]
    assert rows["SEEM v1 Focal-T / reported (seem-readme)"][2:] == [
        "50.8", "39.4", "60.7", "58.5", "63.7", "72.0", "3.19", "4.13"]
    assert rows["X-Decoder Focal-T / reported (seem-readme)"][-2:] == ["–", "–"]
    order = list(rows)
    assert order.index("seem_t / reproduced") == order.index("SEEM v1 Focal-T / reported (seem-readme)") + 1
    assert "Published numbers, not run here" in text


def test_without_reported_only_reproduced_rows(seem_t_runs, capsys):
    assert main(["table", *map(str, seem_t_runs)]) == 0
    text = capsys.readouterr().out
    assert "reported" not in text
    # auto: the SEEM layout (all three runs fit it) and the interactive one (VOC) are shown.
    assert "### SEEM README" in text and "### Interactive segmentation" in text
    assert "### Video" not in text


def test_interactive_layout_from_a_real_run(runs):
    s = load_summary(runs["base"])
    t = build_table(entries.summary_entries([s]), LAYOUTS["interactive"])
    # Datasets nobody has numbers for are dropped, as RITM-style tables do.
    assert list(t.frame.columns) == [("GrabCut", "NoC@85"), ("GrabCut", "NoC@90")]
    # A --limit run on the demo data is marked as such, never a bare "reproduced".
    row = t.frame.loc[("disks", "reproduced, demo data, partial, --limit 4")]
    assert row[("GrabCut", "NoC@85")] == s["metrics"]["NoC@85"]
    assert row[("GrabCut", "NoC@90")] == s["metrics"]["NoC@90"]
    with_reported = build_table(entries.concat(load_reported(), entries.summary_entries([s])),
                                LAYOUTS["interactive"])
    assert ("SBD", "NoC@90") in with_reported.frame.columns
    assert with_reported.frame.loc[("SAM ViT-H", "reported (focsam-noc90)"), ("GrabCut", "NoC@90")] == 1.88


def test_davis_layout_from_vos_summaries(tmp_path):
    d17 = write_summary(tmp_path / "v17", model="seem_t", kind="vos", task="vos", dataset="davis2017",
                        metrics={"J&F-Mean": 0.6043, "J-Mean": 0.5761, "F-Mean": 0.6325, "J-Recall": 0.6,
                                 "J-Decay": 0.1, "F-Recall": 0.7, "F-Decay": 0.1})
    t = build_table(entries.concat(load_reported(), entries.summary_entries([load_summary(d17)])),
                    LAYOUTS["davis"])
    mine = t.frame.loc[("seem_t", "reproduced")]
    assert mine[("DAVIS17", "J&F")] == pytest.approx(60.43)
    assert pd.isna(mine[("DAVIS16-Interactive", "J&F")])
    assert t.frame.loc[("SEEM-L", "reported (dinov-table3)"), ("DAVIS16-Interactive", "J")] == pytest.approx(58.3)
    latex = render(t, "latex")
    assert r"\multicolumn{3}{c}{DAVIS17}" in latex and r"J\&F" in latex and "60.4" in latex
    assert r"\toprule" in latex and "&F" not in latex.replace(r"\&F", "")


def test_runs_outside_every_paper_layout_get_the_runs_table(tmp_path, capsys):
    d = write_summary(tmp_path / "c", model="disks", kind="interactive", task="interactive",
                      dataset="my_clicks", metrics={"NoC@90": 3.5, "mIoU@5": 0.81234})
    assert main(["table", str(d)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### Runs") and "| disks   | my_clicks" in out and "| 81.23 " in out  # mIoU@k: two decimals in every table


def test_two_runs_of_one_model_in_one_cell_are_told_apart(runs, capsys):
    assert main(["table", str(runs["base"]), str(runs["degraded"]), "--layout", "interactive"]) == 0
    rows = md_rows(capsys.readouterr().out)
    # Told apart by what differs between them (issue 14), not by run ids alone; marks kept.
    marks = ", demo data, partial, --limit 4"
    assert {f"disks (negatives=on) / reproduced{marks}", f"disks (negatives=off) / reproduced{marks}"} <= set(rows)


def test_csv_and_html_formats_hold_the_numbers(runs, tmp_path):
    out = tmp_path / "t.csv"
    assert main(["table", str(runs["base"]), "--layout", "runs", "--format", "csv", "-o", str(out)]) == 0
    df = pd.read_csv(out).set_index("column")  # one long-format file: a line per cell
    m = load_summary(runs["base"])["metrics"]
    assert df.loc["NoC@90", "value"] == pytest.approx(m["NoC@90"])
    assert df.loc["mIoU@5", "value"] == pytest.approx(100 * m["mIoU@5"])  # CSV: unrounded display units
    html = tmp_path / "t.html"
    assert main(["table", str(runs["base"]), "--reported", "--format", "html", "-o", str(html)]) == 0
    text = html.read_text()
    assert '<th colspan="2" halign="left">GrabCut</th>' in text and "reported (focsam-noc90)" in text
    assert f"<td>{m['NoC@90']:.2f}</td>" in text


def test_runs_layout_keeps_run_table_numbers(runs):
    s = load_summary(runs["base"])
    t = runs_table([s])
    assert list(t.frame.columns) == s["task"]["metrics"]
    # The flat table printed by `seem-bench run` and the `runs` layout agree on every number.
    assert f"{s['metrics']['NoC@90']:.2f}" in markdown_table([s])
    assert render(t, "md").count(f"{s['metrics']['NoC@90']:.2f}") == 1


def test_bad_run_directories_fail_in_one_line(tmp_path, capsys):
    assert main(["table", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nope/summary.json: not found" in err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "summary.json").write_text(json.dumps({"task": {"name": "x"}, "metrics": {}}))
    assert main(["table", str(bad)]) == 1
    assert "summary lacks task.name/kind" in capsys.readouterr().err
    (bad / "summary.json").write_text("{not json")
    assert main(["table", str(bad), "-o", str(tmp_path / "t.md")]) == 1
    assert "unreadable summary" in capsys.readouterr().err
    assert not (tmp_path / "t.md").exists()


def test_unknown_layout_and_format_are_usage_errors(runs, capsys):
    assert main(["table", str(runs["base"]), "--layout", "cocoo"]) == 2
    assert "unknown layout 'cocoo'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["table", str(runs["base"]), "--format", "xlsx"])


def test_nested_metrics_are_set_aside_not_rejected(tmp_path):
    d = write_summary(tmp_path / "g", model="seem_t", kind="generic", task="generic", dataset="coco_panoptic",
                      metrics={"PQ": 0.5, "per_class": {"person": 0.7}, "mIoU": None})
    s = load_summary(d)
    assert s["metrics"] == {"PQ": 0.5} and s["_other_metrics"] == {"per_class": {"person": 0.7}, "mIoU": None}


def test_percentages_where_fractions_belong_are_refused(tmp_path, capsys):
    d = write_summary(tmp_path / "r", model="oracle", kind="referring", task="referring", dataset="refcocog",
                      metrics={"cIoU": 100.0, "mIoU": 0.9, "samples": 20})
    assert main(["table", str(d)]) == 1
    err = capsys.readouterr().err
    assert "r/summary.json: cIoU > 1: IoU-like metrics must be stored as fractions" in err
