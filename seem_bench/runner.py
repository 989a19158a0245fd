"""Run a task with a model: records per instance, summary from records, resumable, sharded.

`run` is the library entry point behind ``seem-bench run``. Order of work, so that a wrong
configuration fails before any pixel is read: resolve task -> resolve model (availability,
capabilities) -> load the dataset index -> header -> this worker's shard -> records -> summary.

Determinism: records hold no wall-clock state except the timing fields (``model_s``,
``encode_s``); ``run_id`` is derived from the run fingerprint, so the same task, model, data and
seed give identical records on 1 or N workers, before and after a resume.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm import tqdm

from seem_bench import distributed
from seem_bench.adapters.base import Adapter, check_capabilities
from seem_bench.adapters.registry import build_model, model_class
from seem_bench.data.fingerprint import content_fingerprint
from seem_bench.data.guard import EMPTY_MASKS_ALLOWED, guard_sample
from seem_bench.data.registry import load_dataset, resolve_root
from seem_bench.data.types import Sample
from seem_bench.distributed import Worker
from seem_bench.envinfo import environment
from seem_bench.errors import DataError, SeemBenchError, UsageError
from seem_bench.io_utils import JsonlWriter, atomic_write_json, digest
from seem_bench.loops.base import KINDS, Encoder, TaskKind
from seem_bench.loops.lockstep import default_harness_workers
from seem_bench.marks import run_marks
from seem_bench.metrics.contract import Evaluators, ExactSum
from seem_bench.metrics.iou import EMPTY_UNION_IOU
from seem_bench.params import validate_task
from seem_bench.prefetch import prefetch
from seem_bench.prompts.protocols import PROTOCOLS
from seem_bench.prompts.sampling import sampling_from
from seem_bench.records import (  # noqa: F401 - TIMING_FIELDS, strip_timings re-exported
    TIMING_FIELDS,
    finished_keys,
    iter_records,
    load_records,
    load_records_file,
    read_header,
    strip_timings,
)
from seem_bench.rundir_lock import RunDirLock
from seem_bench.schema import SCHEMA_VERSION, RunSummary
from seem_bench.tasks import TaskSpec


@dataclass
class RunConfig:
    task: TaskSpec
    model: str
    model_options: dict[str, Any] = field(default_factory=dict)
    data_root: Path | None = None
    out_dir: Path | None = None
    limit: int | None = None  # evaluate only the first N samples (smoke runs)
    subset: Path | None = None  # id-list file (e.g. the 600-image COCO-mini); hashed into the record
    feature_cache: Path | None = None  # on-disk encode cache (image sha256 + model identity)
    progress: bool = True
    fail_fast: bool = False
    retry_errors: bool = False  # on resume, run again the units whose records are errors
    skip_bad_samples: bool = False  # record a sample with a bad image/mask as errors and go on
    worker: Worker = field(default_factory=Worker)
    # Throughput only (records do not depend on them, so they are not part of the run's identity
    # and may differ on resume): samples stepped together (one batched decode per round for all
    # their objects), harness/decode double buffering, and how many samples are read ahead.
    batch_size: int = 1
    overlap: bool = True
    prefetch: int | None = None  # default: 2 batches ahead
    harness_workers: int | None = None  # threads for per-object click simulation; None: cores - 1

    def invocation(self) -> dict[str, Any]:
        """What `resume` needs to rebuild this config (recorded in the header)."""
        return {"task": self.task.to_json(), "model": self.model,
                "model_options": {k: str(v) for k, v in self.model_options.items()},
                "data_root": None if self.data_root is None else str(self.data_root),
                "limit": self.limit, "subset": None if self.subset is None else str(self.subset),
                "feature_cache": None if self.feature_cache is None else str(self.feature_cache),
                "skip_bad_samples": self.skip_bad_samples}


def config_from_run_dir(run_dir: Path, **changes: Any) -> RunConfig:
    """Rebuild the `RunConfig` of an existing run from its header (for ``--resume``)."""
    path = Path(run_dir) / "header.json"
    if not path.exists():
        raise UsageError(f"{path}: not found; --resume needs a run directory written by `seem-bench run`")
    inv = read_header(run_dir).get("invocation")
    if not inv:
        raise UsageError(f"{path}: no invocation recorded; cannot resume this run")
    try:
        cfg = RunConfig(task=TaskSpec(**{k: v for k, v in inv["task"].items()}), model=str(inv["model"]),
                        model_options=dict(inv["model_options"]),
                        data_root=None if inv["data_root"] is None else Path(inv["data_root"]),
                        out_dir=Path(run_dir), limit=inv["limit"],
                        subset=None if inv.get("subset") is None else Path(inv["subset"]),
                        feature_cache=None if inv.get("feature_cache") is None else Path(inv["feature_cache"]),
                        skip_bad_samples=bool(inv.get("skip_bad_samples", False)))
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise DataError(path, f"run header has a damaged invocation ({type(e).__name__}: {e}); "
                              "cannot resume this run") from None
    for k, v in changes.items():
        setattr(cfg, k, v)
    return cfg


def default_out_dir(task: str, model: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{stamp}_{task}_{model}"


def _protocol_json(task: TaskSpec) -> dict[str, Any] | None:
    if not task.protocol:
        return None
    proto = PROTOCOLS.get(task.protocol)
    overrides = {k: v for k, v in task.params.items() if k in proto.params}
    return proto.to_json(overrides, sampling_from(task.params))  # sampled clicks: header's protocol.sampling


def _weights_header(model_fp: dict[str, Any]) -> dict[str, Any]:
    """``checkpoint`` and ``random_weights`` of the run header's ``model`` (reports and checks read them).

    A ``--checkpoint random`` run (adapters put ``random_weights: true`` in their fingerprint; a
    remote model's is under ``served``) records ``checkpoint: "random"``; otherwise the
    checkpoint's file name when the adapter has one.
    """
    fp = model_fp.get("served", model_fp) if isinstance(model_fp.get("served"), dict) else model_fp
    if fp.get("random_weights"):
        return {"checkpoint": "random", "random_weights": True}
    return {"checkpoint": fp.get("checkpoint_file"), "random_weights": False}


def _prepare(cfg: RunConfig) -> tuple[Adapter, TaskKind, list[Sample], dict[str, Any]]:
    """Everything before the loop; raises on bad configuration before reading any pixel."""
    if cfg.limit is not None and (isinstance(cfg.limit, bool) or not isinstance(cfg.limit, int) or cfg.limit < 1):
        raise UsageError(f"--limit must be a positive number of samples, got {cfg.limit!r}")
    task = cfg.task = validate_task(cfg.task)
    kind: TaskKind = KINDS.get(task.kind)()
    kind.check_task(task)
    if task.params.get("save_masks") is not None and not kind.saves_masks:
        raise UsageError(f"--save-masks: the {task.kind} task kind does not store predicted masks "
                         "(only interactive does)")
    cls = model_class(cfg.model)
    check_capabilities(cls, task.kind, kind.prompt_kinds(task), memory=kind.memory_required(task))
    protocol_json = _protocol_json(task)
    adapter = build_model(cfg.model, feature_cache=cfg.feature_cache, **cfg.model_options)
    # Some adapters (the remote bridge) learn their capabilities only once built.
    check_capabilities(adapter, task.kind, kind.prompt_kinds(task), memory=kind.memory_required(task))

    data_root = cfg.data_root
    if data_root is None:
        from seem_bench.data.demo import DEMO_CONTENTS, ensure_demo

        if task.dataset not in DEMO_CONTENTS:
            raise UsageError(f"dataset={task.dataset}: the demo data has no {task.dataset} set (it holds "
                             f"{', '.join(DEMO_CONTENTS)}); pass --data-root DIR holding the real one "
                             "(see docs/data.md)")
        data_root = ensure_demo(quiet=not cfg.worker.is_main)
        if cfg.worker.is_main:
            print(f"seem-bench: no --data-root given, using the demo data in {data_root}", file=sys.stderr)
    dataset = load_dataset(task.dataset, resolve_root(task.dataset, data_root), task.split, subset=cfg.subset)
    samples = list(dataset.samples[: cfg.limit] if cfg.limit else dataset.samples)
    kind.bind(dataset)
    # The content of every file the run reads (a kind that binds the dataset, e.g. exemplars,
    # reads beyond its samples): an emptied mask or a truncated image changes the run id.
    read = dataset.samples if type(kind).bind is not TaskKind.bind else samples
    content = distributed.broadcast(
        cfg.worker, content_fingerprint(dataset.root, read) if cfg.worker.is_main or not cfg.worker.torchrun
        else None)
    dataset_fp = {**dataset.fingerprint, "content": content}
    model_fp = adapter.fingerprint()
    # Every record key the run can write: a record of any other key is not counted (a stale or
    # hand-made line must not make "4/3 evaluated" or move a metric).
    keys = [f"{s.sample_id}/{u}" for s in samples for u in kind.units(s, task)]
    fingerprint = digest({"task": task.identity_json(), "protocol": protocol_json, "prompting": kind.describe(task),
                          "model": model_fp,
                          "dataset": dataset_fp, "limit": cfg.limit})
    header = {
        "schema": SCHEMA_VERSION,
        "run_id": fingerprint[:12],
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "task": task.to_json(), "protocol": protocol_json, "prompting": kind.describe(task),
        "model": {"name": cfg.model, "fingerprint": model_fp,
                  "uses_ground_truth": adapter.uses_ground_truth, **_weights_header(model_fp)},
        "dataset": {"name": dataset.name, "root": str(dataset.root), "split": dataset.split,
                    "fingerprint": dataset_fp, "samples": len(samples),
                    "samples_total": len(dataset.samples),
                    "instances": len(keys),
                    **kind.dataset_header(dataset)},
        "seed": int(task.params["seed"]), "fingerprint": fingerprint,
        "invocation": cfg.invocation(),
        "env": environment(),
        "conventions": {"empty_union_iou": EMPTY_UNION_IOU,
                        "noc_compare": task.params.get("compare"),
                        "spc": "decode seconds per click (image encode excluded, see encode_s)"},
        "keys": keys,
    }
    return adapter, kind, samples, header


def _write_header(out: Path, header: dict[str, Any]) -> dict[str, Any]:
    """Create ``header.json`` or check that an existing one describes the same run."""
    path = out / "header.json"
    if path.exists():
        old = read_header(out)
        if old.get("dataset", {}).get("fingerprint") != header["dataset"]["fingerprint"]:
            raise UsageError(f"{out} holds a run on different data (the dataset fingerprint differs: a file "
                             "was changed since); choose another --out")
        if old.get("fingerprint") != header["fingerprint"]:
            raise UsageError(f"{out} holds a different run (task, model, data or parameters differ); "
                             "choose another --out")
        return old
    atomic_write_json(path, header)
    return header


def _mark_shard(out: Path, worker: Worker) -> None:
    """Write ``shard-<i>.json`` so that ``run --resume DIR`` resumes this shard only."""
    old = shard_marks(out)
    worlds = {n for _, n in old}
    if worlds and worlds != {worker.world}:
        raise UsageError(f"{out} holds shards of a {sorted(worlds)[0]}-way split; "
                         f"--shard {worker.rank}/{worker.world} would cover other samples")
    path = out / f"shard-{worker.rank}.json"
    if not path.exists():
        atomic_write_json(path, {"shard": f"{worker.rank}/{worker.world}"})


def shard_marks(out: Path) -> list[tuple[int, int]]:
    """The ``--shard i/n`` runs that wrote into ``out``, as ``(i, n)`` (none for a whole run)."""
    marks = []
    for path in sorted(Path(out).glob("shard-*.json")):
        from seem_bench.data.io import read_json

        try:
            i, n = (int(x) for x in read_json(path, "shard marker")["shard"].split("/"))
        except (DataError, AttributeError, ValueError, KeyError, TypeError):
            raise DataError(path, "unreadable shard marker (expected {\"shard\": \"I/N\"})") from None
        marks.append((i, n))
    return sorted(marks)


def shard_errors(out: Path, fingerprint: str, rank: int) -> int:
    """Error records among the keys this worker wrote (``records-rank<rank>.jsonl``)."""
    mine = {r["key"] for r in load_records_file(out / f"records-rank{rank}.jsonl", fingerprint)}
    return sum(1 for r in load_records(out, fingerprint=fingerprint)
               if r["key"] in mine and r.get("status") != "ok")


def run(cfg: RunConfig) -> RunSummary | None:
    """Run (or resume) this worker's share; returns the summary on the main worker of a complete run.

    With ``--shard i/n`` every shard writes its records and returns ``None``; `merge` (or the
    last ``summarize``) computes the summary. Under torchrun rank 0 summarises after a barrier.
    """
    worker = cfg.worker
    distributed.init_process_group(worker)
    try:
        adapter, kind, samples, header = _prepare(cfg)
        out = Path(cfg.out_dir) if cfg.out_dir else default_out_dir(cfg.task.name, cfg.model)
        out = Path(distributed.broadcast(worker, str(out)))  # ranks must agree on a timestamped default
        cfg.out_dir = out
        lock = None
        if worker.is_main or not worker.torchrun:
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise DataError(out, f"cannot create the run directory ({e.strerror or e})") from None
            if not out.is_dir():
                raise DataError(out, "--out is not a directory")
            # One writer per run (torchrun: rank 0 for all ranks; --shard jobs: one per shard).
            lock = RunDirLock(out, 0 if worker.torchrun else worker.rank).acquire()
        try:
            if lock is not None:
                header = _write_header(out, header)
            distributed.barrier(worker)
            header = _write_header(out, header)
            if not worker.torchrun and worker.world > 1:
                _mark_shard(out, worker)
            start, stop = distributed.shard_bounds(len(samples), worker.rank, worker.world)
            try:
                _loop(cfg, adapter, kind, samples[start:stop], header, out)
            finally:
                adapter.close()
            distributed.barrier(worker)
            if worker.torchrun and not worker.is_main:
                return None
            if not worker.torchrun and worker.world > 1:
                return None
            return summarize(out)
        finally:
            if lock is not None:
                lock.release()
    finally:
        distributed.destroy(worker)


def _loop(cfg: RunConfig, adapter: Adapter, kind: TaskKind, samples: list[Sample],
          header: dict[str, Any], out: Path) -> None:
    task = cfg.task
    fingerprint = header["fingerprint"]
    done = finished_keys(out, fingerprint=fingerprint, retry_errors=cfg.retry_errors)
    seed = int(task.params["seed"])
    units = {s.sample_id: kind.units(s, task) for s in samples}
    encoder = Encoder(adapter)
    empty_is_problem = header["dataset"]["name"] not in EMPTY_MASKS_ALLOWED
    bar = tqdm(total=sum(len(u) for u in units.values()), unit="obj", file=sys.stderr,
               desc=f"{task.name}/{cfg.model}" + (f" [{cfg.worker.rank}/{cfg.worker.world}]" if cfg.worker.world > 1 else ""),
               disable=not cfg.progress, dynamic_ncols=True)
    todo = []
    for sample in samples:
        n_missing = sum(f"{sample.sample_id}/{u}" not in done for u in units[sample.sample_id])
        bar.update(len(units[sample.sample_id]) - n_missing)
        if n_missing:
            # Checked loaders: bad pixels raise `DataError` when read (also by the read-ahead,
            # which then hands the sample over unread, so the loop meets the error itself).
            todo.append(guard_sample(sample, empty_is_problem))
    batch = max(1, int(cfg.batch_size))
    # With overlap, two lanes of B samples each are in flight (see `seem_bench.loops.lockstep`),
    # so every decode still batches B samples while the other lane's harness work runs.
    if cfg.overlap and batch > 1:
        batch *= 2
    depth = 2 * batch if cfg.prefetch is None else int(cfg.prefetch)
    workers = default_harness_workers() if cfg.harness_workers is None else max(1, int(cfg.harness_workers))

    def results(group: list[Sample]) -> list[tuple[list[dict[str, Any]], float]]:
        before = encoder.seconds
        try:
            return kind.run_batch(adapter, encoder, group, task, seed, overlap=cfg.overlap,
                                  harness_workers=workers)
        except DataError as e:  # a bad image or mask: stop, or record it and go on
            if len(group) > 1:  # rerun one by one: the bad data belongs to one sample
                return [r for s in group for r in results([s])]
            if not cfg.skip_bad_samples:
                raise
            return [([{"unit": u, "status": "error", "error": f"DataError: {e}", "bad_sample": True}
                      for u in units[group[0].sample_id]], encoder.seconds - before)]
        except SeemBenchError:
            raise
        except Exception as e:  # a model failing on one sample must not end the run
            if cfg.fail_fast:
                raise
            if len(group) > 1:  # rerun one by one: the error belongs to one sample
                return [r for s in group for r in results([s])]
            error = f"{type(e).__name__}: {e}"
            return [([{"unit": u, "status": "error", "error": error} for u in units[group[0].sample_id]],
                     encoder.seconds - before)]

    try:
        with JsonlWriter(out / f"records-rank{cfg.worker.rank}.jsonl", background=True) as writer:
            for group in _groups(prefetch(todo, depth, masks=kind.prefetch_masks), batch):
                new = [rec for sample, (records, encode_total) in zip(group, results(group), strict=True)
                       for rec in _new_records(sample, records, encode_total, done, header, task.name)]
                # One flush + fsync per batch: its samples were computed together, so durability
                # per sample was never finer than per batch.
                writer.write_many(new)
                bar.update(len(new))
    finally:
        bar.close()


def _groups(samples: Iterable[Sample], size: int) -> Iterator[list[Sample]]:
    group: list[Sample] = []
    for s in samples:
        group.append(s)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


def _new_records(sample: Sample, records: list[dict[str, Any]], encode_total: float, done: set[str],
                 header: dict[str, Any], task_name: str) -> list[dict[str, Any]]:
    """A sample's records not yet on disk, with the run's fields; the sample's encode time goes
    on its first new record."""
    fingerprint = header["fingerprint"]
    encode_s: float | None = encode_total
    new = []
    for rec in records:
        key = f"{sample.sample_id}/{rec['unit']}"
        if key in done:  # recomputed for a coupled protocol; already on disk
            continue
        rec = {"schema": SCHEMA_VERSION, "run_id": header["run_id"], "key": key,
               "task": task_name, "fingerprint": fingerprint,
               "sample_id": sample.sample_id, **rec}
        if encode_s is not None:
            rec["encode_s"], encode_s = encode_s, None
        new.append(rec)
    return new


def decode_seconds(rec: dict) -> float:
    """A record's model decode seconds: its ``model_s``, else the sum over its rounds."""
    if "model_s" in rec:
        return float(rec["model_s"])
    return sum(float(rd.get("model_s", 0.0)) for rd in rec.get("rounds", ()))


def evaluator_names(header: dict[str, Any]) -> list[str]:
    """The evaluators a run's task lists (older headers: the task kind's defaults)."""
    names = list(header["task"].get("evaluators") or [])
    return names or KINDS.get(header["task"]["kind"])().default_evaluators(header)


def summarize(run_dir: Path, extra_dirs: tuple[Path, ...] = (), out_dir: Path | None = None) -> RunSummary:
    """Recompute the summary from the records and write ``summary.json`` atomically.

    Streams the records through the task's evaluators (`seem_bench.metrics.contract`): memory
    does not grow with the number of records, and exact sums make the numbers independent of
    the order of records, so 1 or N workers, shards + merge and resumes agree bit for bit.
    """
    run_dir = Path(run_dir)
    header = read_header(run_dir)
    known = None if header.get("keys") is None else set(header["keys"])
    evaluators = Evaluators.build(evaluator_names(header), header)
    evaluated = ok = bad = 0
    decode_s, encode_s = ExactSum(), ExactSum()
    for rec in iter_records(run_dir, *extra_dirs, fingerprint=header["fingerprint"]):  # streamed
        if known is not None and rec["key"] not in known:
            continue  # not a unit of this run's dataset (see "keys" in _prepare)
        evaluated += 1
        bad += bool(rec.get("bad_sample"))
        try:
            encode_s.add(float(rec.get("encode_s", 0.0)))
            if rec.get("status") == "ok":
                ok += 1
                decode_s.add(decode_seconds(rec))
                evaluators.update(rec)
        except (AttributeError, KeyError, IndexError, TypeError, ValueError) as e:
            raise DataError(run_dir, f"record {rec['key']!r} has a broken field ({type(e).__name__}: {e}); "
                                     "the records file is damaged: restore it or remove that line") from None
    metrics = evaluators.compute()
    specs = evaluators.specs()
    summary: RunSummary = {
        **{k: v for k, v in header.items() if k != "keys"},
        "counts": {"expected": header["dataset"]["instances"], "evaluated": evaluated, "ok": ok,
                   "errors": evaluated - ok,
                   # only when some were skipped (--skip-bad-samples), so clean runs keep their counts
                   **({"bad_samples": bad} if bad else {})},
        "metrics": metrics,
        "metric_specs": {k: specs[k].to_json() for k in metrics},
        "timings": {"decode_s_total": decode_s.value(), **evaluators.timings(),
                    "encode_s_total": encode_s.value()},
    }
    summary["marks"] = run_marks(summary)  # demo / partial / errors / random weights: shown by every report
    atomic_write_json(Path(out_dir or run_dir) / "summary.json", summary)
    return summary
