"""Helpers for the report tests: small in-process demo runs, and summaries written in the
runner's schema for the task kinds that cannot run yet (metric keys of the contract)."""

from __future__ import annotations

import json
from pathlib import Path

from seem_bench.runner import RunConfig, run
from seem_bench.tasks import get_task

LIMIT = 4


def demo_run(out: Path, demo_root: Path, model: str = "disks", overrides: tuple[str, ...] = (),
             limit: int = LIMIT, save_masks: str | None = None) -> Path:
    """Run the interactive task on the demo GrabCut set into ``out``; returns ``out``."""
    task = get_task("interactive").with_overrides(list(overrides))
    if save_masks:
        task.params["save_masks"] = save_masks  # what `run --save-masks` sets
    run(RunConfig(task=task, model=model, data_root=demo_root, out_dir=out, limit=limit, progress=False))
    return out


def write_summary(run_dir: Path, *, model: str, kind: str, task: str, dataset: str,
                  metrics: dict[str, float], run_id: str = "synthetic01") -> Path:
    """A minimal summary.json in the runner's schema (what tables read)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    summary = {"schema": 1, "run_id": run_id, "fingerprint": run_id * 4,
               "task": {"name": task, "kind": kind, "dataset": dataset, "split": None,
                        "protocol": None, "first_prompt": None, "params": {}, "metrics": list(metrics)},
               "model": {"name": model, "fingerprint": {"name": model, "options": {}}},
               "dataset": {"name": dataset, "split": None, "fingerprint": {"files": 1}},
               "counts": {"expected": 10, "evaluated": 10, "ok": 10, "errors": 0},
               "metrics": metrics}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    return run_dir
