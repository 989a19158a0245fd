"""Every built-in suite runs every cell on the demo data (nothing skipped), and the seem-paper
video table's DAVIS16-Interactive cell prompts the first frame with scribbles only."""

from __future__ import annotations

import numpy as np
import pytest

from seem_bench.cli import main
from seem_bench.data.registry import load_dataset, resolve_root
from seem_bench.loops.ref_image import first_frame_scribbles
from seem_bench.report.runs import load_records, load_summary
from seem_bench.suites.definition import get_suite
from seem_bench.suites.run import run_suite

pytestmark = pytest.mark.usefixtures("demo_cache_env")  # tests/suites/conftest.py


@pytest.mark.parametrize("name", ["ritm-noc", "sam-point", "davis-interactive"])
def test_suite_runs_every_cell_on_the_demo_data(tmp_path, name):
    # seem-paper's full demo run is pinned in test_suite_run.py (oracle table).
    lines: list[str] = []
    manifest = run_suite(get_suite(name), "noisy-oracle", tmp_path / name, progress=False, log=lines.append)
    assert not [m for m in lines if "skipping" in m]
    assert {k: v["status"] for k, v in manifest["cells"].items()} == dict.fromkeys(get_suite(name).ids(), "done")
    for cid in get_suite(name).ids():
        s = load_summary(tmp_path / name / cid)
        assert s["counts"]["ok"] == s["counts"]["expected"] > 0 and s["counts"]["errors"] == 0


def test_davis16_interactive_first_frame_comes_from_scribbles(tmp_path, demo_root, capsys):
    ds = load_dataset("davis2016", resolve_root("davis2016", demo_root), "val")
    first = ds.samples[0].frames[0]
    gts = [inst.mask() for inst in first.instances]
    strokes = first_frame_scribbles(gts)
    assert strokes and {s.object_id for s in strokes} == {1}  # DAVIS 2016: one (merged) object
    for s in strokes:  # every stroke point lies on its object
        xy = np.rint(np.asarray(s.points)).astype(int)
        assert gts[0][xy[:, 1], xy[:, 0]].mean() > 0.95

    out = tmp_path / "s"
    assert main(["suite", "run", "seem-paper", "--model", "noisy-oracle", "--cells", "davis16i,davis17",
                 "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    row = next(line for line in text.splitlines() if line.startswith("| noisy-oracle | reproduced"))
    assert row.count("–") == 0  # both DAVIS groups filled
    s = load_summary(out / "davis16i")
    recs = load_records(out / "davis16i", fingerprint=s["fingerprint"])
    assert len(recs) == len(ds.samples)
    for r in recs:  # the first frame is the model's own mask, scored beside, not in J&F
        assert 0 < r["first_J"] < 1 and r["first_strokes"] >= 1 and len(r["J"]) == r["frames"] - 1
    # A model without scribble prompts cannot run the cell: refused before anything runs.
    assert main(["suite", "run", "seem-paper", "--model", "ref-copy", "--cells", "davis16i",
                 "--out", str(tmp_path / "rc")]) == 2
    assert "scribble" in capsys.readouterr().err
