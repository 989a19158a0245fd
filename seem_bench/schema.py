"""Run record and summary types (SPEC §5), versioned.

Files of a run directory::

    header.json            what was run: task, protocol, model, dataset fingerprint, env, seed
    records-rank<R>.jsonl  one `InstanceRecord` per line per worker; each sample's lines flushed + fsynced together
    summary.json           header + counts + aggregate metrics (+ their metric_specs), recomputed from all records

Aggregates are always recomputed from the per-instance records, never averaged per worker, so
1 and N workers give identical numbers.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

SCHEMA_VERSION = 1


class RoundRecord(TypedDict):
    round: int  # 1-based
    prompt: dict[str, Any]  # what this round added, e.g. {"click": [x, y, positive]}
    iou: float  # IoU after this round, ignore pixels excluded
    model_s: float  # decode seconds (timings are the only non-deterministic fields)
    mask: dict[str, Any]  # with --save-masks all: this round's prediction, COCO RLE


class InstanceRecord(TypedDict, total=False):
    schema: int
    run_id: str
    key: str  # "<sample_id>/<instance_id>": unique within a run; resume skips finished keys
    task: str
    fingerprint: str  # sha256 over task + protocol + model fingerprints: resume matches it
    sample_id: str
    instance_id: str
    category_id: int | None
    rounds: list[RoundRecord]
    ious: list[float]  # == [r["iou"] for r in rounds]
    final_iou: float
    mask: dict[str, Any]  # with --save-masks final|all: the final prediction, COCO RLE
    encode_s: float  # image encode seconds, on the first instance of each sample only
    status: Literal["ok", "error"]
    error: str


class RunHeader(TypedDict, total=False):
    schema: int
    run_id: str
    created: str
    task: dict[str, Any]
    protocol: dict[str, Any]
    model: dict[str, Any]
    dataset: dict[str, Any]
    seed: int
    fingerprint: str
    env: dict[str, Any]
    conventions: dict[str, Any]


class RunSummary(RunHeader, total=False):
    counts: dict[str, int]  # expected, evaluated, ok, errors (+ bad_samples: errors from bad data, if any)
    metrics: dict[str, float]
    metric_specs: dict[str, dict[str, Any]]  # per metric: unit, higher_is_better, precision, reference
    timings: dict[str, float]
    marks: list[str]  # random-weights / demo / partial / errors (seem_bench.marks)
