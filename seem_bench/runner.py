"""Run a task with a model: records per instance, summary from records.

`run` is the library entry point behind ``seem-bench run``. Order of work, so that a wrong
configuration fails before any pixel is read: resolve task -> resolve model (availability,
capabilities) -> load dataset index -> write header -> loop -> summary.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm import tqdm

from seem_bench.adapters.base import check_capabilities
from seem_bench.adapters.registry import build_model, model_class
from seem_bench.data.registry import load_dataset, resolve_root
from seem_bench.envinfo import environment
from seem_bench.errors import SeemBenchError, UsageError
from seem_bench.io_utils import JsonlWriter, atomic_write_json, read_jsonl
from seem_bench.loops.interactive import run_sample
from seem_bench.metrics.iou import EMPTY_UNION_IOU
from seem_bench.metrics.interactive import InteractiveAccumulator
from seem_bench.prompts.protocols import PROTOCOLS
from seem_bench.schema import SCHEMA_VERSION, InstanceRecord, RunSummary
from seem_bench.tasks import TaskSpec

LOOP_PARAMS = ("max_rounds", "iou_target", "pred_thr", "memory", "negatives")


@dataclass
class RunConfig:
    task: TaskSpec
    model: str
    model_options: dict[str, Any] = field(default_factory=dict)
    data_root: Path | None = None
    out_dir: Path | None = None
    limit: int | None = None  # evaluate only the first N samples (smoke runs)
    progress: bool = True
    fail_fast: bool = False


def default_out_dir(task: str, model: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{stamp}_{task}_{model}"


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _protocol_json(task: TaskSpec) -> dict[str, Any]:
    proto = PROTOCOLS.get(task.protocol)
    overrides = {k: v for k, v in task.params.items() if k in proto.params}
    return proto.to_json(overrides)


def run(cfg: RunConfig) -> RunSummary:
    task = cfg.task
    if task.kind != "interactive":
        raise UsageError(f"task kind {task.kind!r} cannot be run by this version of seem-bench")
    cls = model_class(cfg.model)
    check_capabilities(cls, task.kind, {task.first_prompt}, memory=False)
    adapter = build_model(cfg.model, **cfg.model_options)
    proto = PROTOCOLS.get(task.protocol)
    protocol_json = _protocol_json(task)

    data_root = cfg.data_root
    if data_root is None:
        from seem_bench.data.demo import ensure_demo

        data_root = ensure_demo()
        print(f"seem-bench: no --data-root given, using the demo data in {data_root}", file=sys.stderr)
    dataset = load_dataset(task.dataset, resolve_root(task.dataset, data_root), task.split)
    samples = list(dataset.samples[: cfg.limit] if cfg.limit else dataset.samples)

    out = Path(cfg.out_dir) if cfg.out_dir else default_out_dir(task.name, cfg.model)
    model_fp = adapter.fingerprint()
    fingerprint = _digest({"task": task.to_json(), "protocol": protocol_json, "model": model_fp,
                           "dataset": dataset.fingerprint, "limit": cfg.limit})
    header_path = out / "header.json"
    if header_path.exists():
        old = json.loads(header_path.read_text())
        if old.get("fingerprint") != fingerprint:
            raise UsageError(f"{out} holds a different run (task, model, data or parameters differ); "
                             "choose another --out")
        header = old
    else:
        header = {
            "schema": SCHEMA_VERSION,
            "run_id": uuid.uuid4().hex[:12],
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "task": task.to_json(), "protocol": protocol_json,
            "model": {"name": cfg.model, "fingerprint": model_fp,
                      "uses_ground_truth": adapter.uses_ground_truth},
            "dataset": {"name": dataset.name, "root": str(dataset.root), "split": dataset.split,
                        "fingerprint": dataset.fingerprint, "samples": len(samples),
                        "instances": sum(len(s.instances) for s in samples)},
            "seed": int(task.params.get("seed", 0)), "fingerprint": fingerprint,
            "env": environment(),
            "conventions": {"empty_union_iou": EMPTY_UNION_IOU, "noc_compare": task.params.get("compare", "ritm"),
                            "spc": "decode seconds per click (image encode excluded, see encode_s)"},
        }
        atomic_write_json(header_path, header)

    done = set()
    for path in sorted(out.glob("records-rank*.jsonl")):
        done.update(r["key"] for r in read_jsonl(path) if r.get("fingerprint") == fingerprint)

    params = {k: task.params[k] for k in LOOP_PARAMS if k in task.params}
    seed = int(task.params.get("seed", 0))
    bar = tqdm(total=header["dataset"]["instances"], desc=f"{task.name}/{cfg.model}", unit="obj", file=sys.stderr,
               disable=not cfg.progress, dynamic_ncols=True)
    try:
        with JsonlWriter(out / "records-rank0.jsonl") as writer:
            for sample in samples:
                todo = [i for i in sample.instances if f"{sample.sample_id}/{i.instance_id}" not in done]
                bar.update(len(sample.instances) - len(todo))
                if not todo:
                    continue
                t0 = time.perf_counter()
                state = adapter.encode(sample.image())
                encode_s = time.perf_counter() - t0
                for rec in _sample_records(adapter, state, sample, proto, params, seed, cfg):
                    key = f"{sample.sample_id}/{rec['instance_id']}"
                    if key in done:
                        continue
                    rec = {"schema": SCHEMA_VERSION, "run_id": header["run_id"], "key": key,
                           "task": task.name, "fingerprint": fingerprint, "sample_id": sample.sample_id,
                           **rec}
                    if encode_s is not None:  # the sample's encode time goes on its first new record
                        rec["encode_s"], encode_s = encode_s, None
                    writer.write(rec)
                    bar.update(1)
    finally:
        bar.close()
        adapter.close()
    return summarize(out)


def _sample_records(adapter, state, sample, proto, params, seed, cfg) -> list[InstanceRecord]:
    """The loop's records for one sample; a model error becomes error records (or re-raises)."""
    try:
        return run_sample(adapter, state, sample, list(sample.instances), proto, params, seed)
    except SeemBenchError:
        raise
    except Exception as e:  # a model failing on one sample must not end the run
        if cfg.fail_fast:
            raise
        return [{"instance_id": i.instance_id, "status": "error", "error": f"{type(e).__name__}: {e}"}
                for i in sample.instances]


def load_records(run_dir: Path) -> list[dict]:
    """All records of a run, deduplicated by key (the last one wins), in key order."""
    by_key: dict[str, dict] = {}
    for path in sorted(Path(run_dir).glob("records-rank*.jsonl")):
        for rec in read_jsonl(path):
            by_key[rec["key"]] = rec
    return [by_key[k] for k in sorted(by_key)]


def summarize(run_dir: Path) -> RunSummary:
    """Recompute the summary from the records and write ``summary.json`` atomically."""
    run_dir = Path(run_dir)
    header = json.loads((run_dir / "header.json").read_text())
    records = [r for r in load_records(run_dir) if r.get("fingerprint") == header["fingerprint"]]
    params = header["task"]["params"]
    acc = InteractiveAccumulator(max_rounds=int(params["max_rounds"]),
                                 compare=params.get("compare", "ritm"))
    encode_s = 0.0
    ok = [r for r in records if r.get("status") == "ok"]
    for r in ok:
        acc.update(r["ious"], sum(rd["model_s"] for rd in r["rounds"]))
    for r in records:
        encode_s += r.get("encode_s", 0.0)
    metrics = acc.compute()
    metrics.pop("instances", None)
    summary: RunSummary = {
        **header,
        "counts": {"expected": header["dataset"]["instances"],
                   "evaluated": len(records), "ok": len(ok), "errors": len(records) - len(ok)},
        "metrics": metrics,
        "timings": {"encode_s_total": encode_s, "decode_s_total": acc.model_seconds,
                    "clicks": acc.clicks},
    }
    atomic_write_json(run_dir / "summary.json", summary)
    return summary
