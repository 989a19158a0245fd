"""``run --save-masks``: the stored masks are exactly the predictions that were scored."""

from __future__ import annotations

import pytest

from seem_bench.data.registry import load_dataset, resolve_root
from seem_bench.errors import UsageError
from seem_bench.metrics.detection import decode_mask
from seem_bench.metrics.iou import mask_iou
from seem_bench.runner import RunConfig, load_records, run
from seem_bench.tasks import get_task


def test_every_stored_round_mask_scores_its_recorded_iou(demo_root, tmp_path):
    task = get_task("interactive").with_overrides(["max_rounds=3", "protocol=seem"])
    task.params["save_masks"] = "all"
    run(RunConfig(task=task, model="disks", data_root=demo_root, out_dir=tmp_path / "r", limit=2, progress=False))
    ds = load_dataset("grabcut", resolve_root("grabcut", demo_root))
    insts = {f"{s.sample_id}/{i.instance_id}": i for s in ds.samples[:2] for i in s.instances}
    recs = load_records(tmp_path / "r")
    assert recs
    for rec in recs:
        inst = insts[rec["key"]]
        gt, ignore = inst.mask(), inst.ignore()
        for rd in rec["rounds"]:
            assert mask_iou(gt, decode_mask(rd["mask"]), ignore) == rd["iou"]
        assert rec["mask"] == rec["rounds"][-1]["mask"]


def test_save_masks_is_refused_where_records_cannot_hold_them(demo_root, tmp_path, cli):
    task = get_task("referring")
    task.params["save_masks"] = "final"
    # The typed parameters refuse it before any data is read (only interactive declares save_masks).
    with pytest.raises(UsageError, match="task 'referring' has no parameter 'save_masks'"):
        run(RunConfig(task=task, model="oracle", data_root=demo_root, out_dir=tmp_path / "x", progress=False))
    assert not (tmp_path / "x").exists()


def test_run_cli_flag_stores_final_masks(demo_root, tmp_path):
    from seem_bench.cli import main

    out = tmp_path / "cli"
    assert main(["run", "--task", "interactive", "--model", "disks", "--data-root", str(demo_root),
                 "--limit", "1", "--set", "max_rounds=2", "--save-masks", "final", "--out", str(out),
                 "--no-progress"]) == 0
    rec = load_records(out)[0]
    assert "mask" in rec and all("mask" not in rd for rd in rec["rounds"])
    assert rec["mask"]["size"] == list(decode_mask(rec["mask"]).shape)
