"""`seem-bench check`: the CI regression gate (direction-aware, tolerances, exit codes)."""

from __future__ import annotations

import json

import pytest
import yaml

from seem_bench.cli import main
from seem_bench.errors import DataError, UsageError
from seem_bench.report.check import compare, load_baseline, parse_tols
from seem_bench.report.runs import load_summary


def statuses(res) -> dict[str, str]:
    return dict(zip(res.frame["metric"], res.frame["status"], strict=True))


def test_direction_aware_with_tolerance_boundaries():
    base = {"NoC@90": 2.0, "NoF@90": 3, "mIoU@5": 0.80, "1-IoU": 0.50}
    run = {"NoC@90": 2.1, "NoF@90": 2, "mIoU@5": 0.79, "1-IoU": 0.60}
    res = compare(run, base, tols={"NoC@90": 0.1, "mIoU@5": 0.005})
    # NoC grew by exactly the tolerance: ok; fewer failures: better; mIoU fell by more than tol.
    assert statuses(res) == {"NoC@90": "ok", "NoF@90": "better", "mIoU@5": "worse", "1-IoU": "better"}
    assert not res.passed
    res = compare(run, base, tols={"NoC@90": 0.09, "mIoU@5": 0.02})
    assert statuses(res)["NoC@90"] == "worse" and statuses(res)["mIoU@5"] == "ok"
    assert compare(run, base, tols={"NoC@90": 0.2, "mIoU@5": 0.02}).passed
    strict = compare(run, base, tols={"NoC@90": 0.2, "mIoU@5": 0.02}, strict=True)
    assert not strict.passed and statuses(strict)["1-IoU"] == "changed"


def test_missing_metric_fails_and_timing_is_skipped_unless_tolerated():
    res = compare({"NoC@90": 2.0, "SPC": 9.0}, {"NoC@90": 2.0, "NoC@85": 1.5, "SPC": 0.1})
    assert statuses(res) == {"NoC@90": "ok", "NoC@85": "missing"} and res.skipped == ["SPC"]
    assert not res.passed
    res = compare({"SPC": 9.0}, {"SPC": 0.1}, tols={"SPC": 1.0})
    assert statuses(res) == {"SPC": "worse"}
    with pytest.raises(UsageError, match="--tol names NoC@99, which the baseline does not have"):
        compare({"NoC@90": 1.0}, {"NoC@90": 1.0}, tols={"NoC@99": 0.1})


@pytest.mark.parametrize("bad", ["NoC@90", "NoC@90=", "NoC@90=abc", "=0.1", "NoC@90=-1", "NoC@90=nan"])
def test_malformed_tolerances(bad):
    with pytest.raises(UsageError, match="--tol expects METRIC=ABS"):
        parse_tols([bad])
    assert parse_tols(["J&F-Mean=0.01"]) == {"J&F-Mean": 0.01}


def test_rerun_passes_and_degraded_run_fails(runs, capsys):
    assert main(["check", str(runs["rerun"]), "--baseline", str(runs["base"])]) == 0
    out, err = capsys.readouterr()
    assert "OK" in err and "worse" not in out and "SPC" in out  # SPC listed as not compared
    assert main(["check", str(runs["degraded"]), "--baseline", str(runs["base"])]) == 1
    out, err = capsys.readouterr()
    worse = [line for line in out.splitlines() if "| worse" in line]
    assert worse and all(line.split("|")[2].strip() == "higher" for line in worse)
    assert "FAILED" in err and "mIoU@20" in err
    base, deg = (load_summary(runs[k])["metrics"] for k in ("base", "degraded"))
    assert deg["mIoU@20"] < base["mIoU@20"]  # the degradation the gate caught is real
    # A tolerance wide enough for every drop lets it pass.
    tols = [f"--tol={m}=1.0" for m in base if m.startswith(("mIoU", "1-IoU", "NoC", "NoF"))]
    assert main(["check", str(runs["degraded"]), "--baseline", str(runs["base"]), *tols]) == 0


def test_baseline_files_json_yaml_and_counts(runs, tmp_path, capsys):
    m = load_summary(runs["base"])["metrics"]
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"NoC@90": m["NoC@90"], "mIoU@5": m["mIoU@5"]}))
    assert main(["check", str(runs["degraded"]), "--baseline", str(flat)]) == 0
    y = tmp_path / "base.yaml"
    y.write_text(yaml.safe_dump({"metrics": {"mIoU@20": m["mIoU@20"] - 0.001},
                                 "tolerances": {"mIoU@20": 0.01}}))
    capsys.readouterr()
    assert main(["check", str(runs["base"]), "--baseline", str(y)]) == 0
    assert main(["check", str(runs["degraded"]), "--baseline", str(y)]) == 1
    # A summary baseline also pins the number of evaluated instances.
    b = load_baseline(runs["base"])
    b.counts = {**b.counts, "ok": b.counts["ok"] + 1}
    from seem_bench.report.check import check_run

    res = check_run(runs["rerun"], b)
    assert not res.passed and statuses(res)["instances ok"] == "differs"


def test_bad_baseline_files_are_one_line_errors(tmp_path, runs, capsys):
    with pytest.raises(DataError, match="baseline file not found"):
        load_baseline(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"metrics": {"NoC@90": "fast"}}))
    assert main(["check", str(runs["base"]), "--baseline", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert "bad.json: metrics: non-numeric values for NoC@90" in err and "\n" not in err
