"""`seem-bench suite check`: the CI gate over every cell of a suite (exit 0 pass, 1 regression)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from seem_bench.cli import main
from seem_bench.report.runs import load_summary
from seem_bench.suites.definition import get_suite
from seem_bench.suites.run import run_suite


@pytest.fixture(scope="module")
def suites(tmp_path_factory, demo_cache) -> dict[str, Path]:
    """seem-paper on the demo data with noisy-oracle eroding 2 px (``base``) and 4 px (``worse``)."""
    old = os.environ.get("SEEM_BENCH_CACHE")
    os.environ["SEEM_BENCH_CACHE"] = str(demo_cache)
    try:
        root = tmp_path_factory.mktemp("check")
        out = {}
        for name, erode in (("base", 2), ("worse", 4)):
            # Two cells keep it quick (the demo data holds every cell's dataset).
            run_suite(get_suite("seem-paper"), "noisy-oracle", root / name, model_options={"erode": erode},
                      cell_ids=["coco", "davis17"], progress=False, log=lambda m: None)
            out[name] = root / name
        return out
    finally:
        if old is None:
            os.environ.pop("SEEM_BENCH_CACHE")
        else:
            os.environ["SEEM_BENCH_CACHE"] = old


def _rows(text: str) -> dict[tuple[str, str], list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("|")][2:]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    return {(c[0], c[1]): c[2:] for c in cells}


def test_a_suite_passes_against_itself_and_fails_against_a_better_one(suites, capsys):
    assert main(["suite", "check", str(suites["base"]), "--baseline", str(suites["base"])]) == 0
    out, err = capsys.readouterr()
    assert "seem-bench suite check: OK" in err
    rows = _rows(out)
    assert {c for c, _ in rows} == {"coco", "davis17"} and all(r[-1] == "ok" for r in rows.values())
    # More erosion: every IoU-like metric drops, so the gate fails and names cell and metric.
    assert main(["suite", "check", str(suites["worse"]), "--baseline", str(suites["base"])]) == 1
    out, err = capsys.readouterr()
    rows = _rows(out)
    base, worse = (load_summary(suites[k] / "coco")["metrics"]["PQ"] for k in ("base", "worse"))
    assert worse < base and rows[("coco", "PQ")][-1] == "worse"
    assert rows[("davis17", "J&F-Mean")][-1] == "worse"
    assert err.startswith("seem-bench suite check: FAILED") and "coco:PQ" in err and "davis17:J&F-Mean" in err
    # The other direction improves every metric but F-Decay (the decay of a 2-px erosion over these
    # clips is larger): with a tolerance for it the gate passes, unless --strict.
    back = ["suite", "check", str(suites["base"]), "--baseline", str(suites["worse"])]
    assert main(back) == 1
    assert "davis17:F-Decay" in capsys.readouterr().err
    assert main([*back, "--tol", "F-Decay=0.01"]) == 0
    assert main([*back, "--tol", "F-Decay=0.01", "--strict"]) == 1
    capsys.readouterr()


def test_baseline_file_tolerances_and_missing_cells(suites, tmp_path, capsys):
    s = load_summary(suites["base"] / "coco")["metrics"]
    jf = load_summary(suites["base"] / "davis17")["metrics"]["J&F-Mean"]
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"suite": "seem-paper", "cells": {
        "coco": {"metrics": {"PQ": s["PQ"] + 0.01, "mIoU": s["mIoU"]}, "counts": {"ok": 8}},
        "davis17": {"J&F-Mean": jf}}}))
    assert main(["suite", "check", str(suites["base"]), "--baseline", str(path)]) == 1
    rows = _rows(capsys.readouterr().out)
    assert rows[("coco", "PQ")][-1] == "worse" and rows[("coco", "mIoU")][-1] == "ok"
    assert rows[("coco", "instances ok")][-1] == "ok" and rows[("davis17", "J&F-Mean")][-1] == "ok"
    assert main(["suite", "check", str(suites["base"]), "--baseline", str(path), "--tol", "PQ=0.0100001"]) == 0
    capsys.readouterr()
    # A baseline cell this directory did not run is a failure, not a silent pass.
    path.write_text(json.dumps({"cells": {"voc": {"NoC@90": 3.0}, "davis17": {"J&F-Mean": jf}}}))
    assert main(["suite", "check", str(suites["base"]), "--baseline", str(path)]) == 1
    out, err = capsys.readouterr()
    assert _rows(out)[("voc", "(cell not run)")][-1] == "missing" and "voc:(cell not run)" in err
    assert "not in the baseline (not compared): coco" in out


@pytest.mark.parametrize("content, code, message", [
    ({"suite": "ritm-noc", "cells": {"grabcut": {"NoC@90": 1.0}}}, 2, "is suite 'ritm-noc', not 'seem-paper'"),
    ({"cells": {"nope": {"PQ": 1.0}}}, 2, "baseline names cells nope"),
    ({"cells": {"coco": {"PQ": "high"}}}, 1, "(cell coco): cell baseline must be a mapping of metric name to number"),
    ({"metrics": {"PQ": 0.5}}, 1, "a suite baseline needs a non-empty 'cells' mapping"),
])
def test_bad_baselines_are_one_line_errors(suites, tmp_path, capsys, content, code, message):
    path = tmp_path / "b.json"
    path.write_text(json.dumps(content))
    assert main(["suite", "check", str(suites["base"]), "--baseline", str(path)]) == code
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert main(["suite", "check", str(suites["base"]), "--baseline", str(suites["base"]), "--tol", "NoC@90=1"]) == 2
    assert "--tol names NoC@90, which no baseline cell has" in capsys.readouterr().err
