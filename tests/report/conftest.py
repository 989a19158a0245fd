"""Fixtures for the report tests (helpers in `report_helpers`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_helpers import demo_run, write_summary


@pytest.fixture(scope="session")
def runs(tmp_path_factory, demo_root) -> dict[str, Path]:
    """``base`` and ``rerun``: the same disks run twice; ``degraded``: negatives=off (worse late mIoU);
    ``masked``: base storing every round's predicted mask; ``final``: only the final masks."""
    root = tmp_path_factory.mktemp("runs")
    return {"base": demo_run(root / "base", demo_root),
            "rerun": demo_run(root / "rerun", demo_root),
            "degraded": demo_run(root / "degraded", demo_root, overrides=("negatives=off",)),
            "masked": demo_run(root / "masked", demo_root, save_masks="all"),
            "final": demo_run(root / "final", demo_root, overrides=("max_rounds=3",), limit=2,
                              save_masks="final")}


@pytest.fixture
def seem_t_runs(tmp_path) -> list[Path]:
    """Generic (COCO), referring (RefCOCOg) and VOC interactive summaries of ``seem_t``."""
    return [
        write_summary(tmp_path / "gen", model="seem_t", kind="generic", task="generic",
                      dataset="coco_panoptic", run_id="gen000000001",
                      metrics={"PQ": 0.5012, "SQ": 0.8, "RQ": 0.6, "PQ_th": 0.55, "PQ_st": 0.43,
                               "mAP": 0.3951, "mIoU": 0.6071}),
        write_summary(tmp_path / "ref", model="seem_t", kind="referring", task="referring",
                      dataset="refcocog", run_id="ref000000001",
                      metrics={"cIoU": 0.585, "mIoU": 0.637, "prec@0.5": 0.72, "prec@0.9": 0.2}),
        write_summary(tmp_path / "voc", model="seem_t", kind="interactive", task="interactive",
                      dataset="pascalvoc", run_id="voc000000001",
                      metrics={"NoC@85": 3.191, "NoC@90": 4.129, "1-IoU": 0.7}),
    ]
