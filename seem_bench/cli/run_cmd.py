"""``seem-bench run``: evaluate a model on a task."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seem_bench.cli.limits import add_max_pixels, apply_max_pixels
from seem_bench.errors import UsageError


def parse_kv(items: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        k, sep, v = item.partition("=")
        if not sep or not k:
            raise UsageError(f"{what} expects key=value, got {item!r}")
        out[k.strip()] = v.strip()
    return out


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run", help="evaluate a model on a task",
        description="Evaluate a model on a task; writes per-instance records and a summary under --out "
                    "and prints a Markdown table. Without --data-root the demo data is used.",
        epilog="Examples:\n  seem-bench run --task interactive --model grabcut\n"
               "  seem-bench run --resume runs/20261126-101500_interactive_grabcut\n"
               "  torchrun --nproc_per_node 4 -m seem_bench run --task interactive --model sam_b --out runs/x\n"
               "  seem-bench run --task interactive --model sam_b --batch-size 8   # 8 images per batched round\n"
               "  seem-bench run --task interactive --model sam_b --checkpoint sam_vit_b_01ec64.pth "
               "--data-root /data --set dataset=berkeley --set max_rounds=20",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", help="task name (see `seem-bench tasks`)")
    p.add_argument("--model", help="model name (see `seem-bench models`)")
    p.add_argument("--resume", type=Path, metavar="RUN_DIR",
                   help="continue an interrupted run: finished objects are skipped, the rest run")
    p.add_argument("--shard", metavar="I/N",
                   help="run only shard I of N (0-based) for job arrays; then `seem-bench merge`")
    p.add_argument("--data-root", type=Path, help="directory holding the dataset(s); default: demo data")
    p.add_argument("--out", type=Path, help="run directory (default runs/<timestamp>_<task>_<model>)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a task field or parameter, e.g. --set memory=off (repeatable)")
    p.add_argument("--checkpoint", help="model weights file, or 'random': the real architecture with "
                                         "random weights seeded by --seed (a smoke run, marked as such)")
    p.add_argument("--seed", type=int, help="the run's seed (same as --set seed=N); with --checkpoint random "
                                            "it also seeds the weights")
    p.add_argument("--seem-root", help="checkout of the official SEEM repository (SEEM models)")
    p.add_argument("--device", help="torch device for neural models (default: cuda if available)")
    p.add_argument("--model-opt", action="append", default=[], metavar="KEY=VALUE",
                   help="adapter-specific option (repeatable), e.g. --model-opt iterations=5")
    p.add_argument("--feature-cache", type=Path, metavar="DIR",
                   help="cache image encodings on disk (keyed by image sha256 + model identity)")
    p.add_argument("--limit", type=int, help="evaluate only the first N samples")
    p.add_argument("--subset", type=Path, metavar="FILE",
                   help="evaluate only the sample ids listed in FILE (hashed into the run record)")
    p.add_argument("--batch-size", type=int, default=1, metavar="B",
                   help="step the objects of B images together, one batched decode per round "
                        "(records do not depend on B; default 1)")
    p.add_argument("--no-overlap", action="store_true",
                   help="decode on the main thread instead of overlapping the harness's work with it")
    p.add_argument("--prefetch", type=int, metavar="N",
                   help="images read ahead in the background (default 2 x batch size; 0 = off)")
    p.add_argument("--harness-workers", type=int, metavar="N",
                   help="threads simulating the clicks of a batch's objects (default: cores - 1, "
                        "at least 1; records do not depend on N)")
    p.add_argument("--save-masks", choices=("final", "all"),
                   help="store each object's final (or every round's) predicted mask as COCO RLE in its "
                        "record, for `plot --samples` / `report --samples` (interactive tasks)")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first model error")
    p.add_argument("--retry-errors", action="store_true",
                   help="with --resume: run again the objects whose records are errors (the new "
                        "record supersedes the error)")
    p.add_argument("--skip-bad-samples", action="store_true",
                   help="record a sample whose image or mask is bad (truncated, wrong size, empty mask) "
                        "as errors and go on, instead of stopping at it")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_max_pixels(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from seem_bench import distributed
    from seem_bench.adapters.weights import is_random
    from seem_bench.report.table import markdown_table
    from seem_bench.runner import RunConfig, config_from_run_dir, run, shard_errors
    from seem_bench.tasks import get_task

    apply_max_pixels(args)
    worker = distributed.from_env()
    if args.shard:
        if worker.torchrun:
            raise UsageError("--shard and torchrun both split the work: use one")
        worker = distributed.parse_shard(args.shard)
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit must be a positive number of samples, got {args.limit}")
    if args.retry_errors and not args.resume:
        raise UsageError("--retry-errors re-runs the error records of an earlier run: use it with --resume RUN_DIR")
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.prefetch is not None and args.prefetch < 0:
        raise UsageError(f"--prefetch must be >= 0, got {args.prefetch}")
    if args.harness_workers is not None and args.harness_workers < 1:
        raise UsageError(f"--harness-workers must be >= 1, got {args.harness_workers}")
    if args.resume:
        if args.task or args.model or args.overrides or args.out or args.seed is not None or args.save_masks:
            raise UsageError("--resume takes the task, model, parameters and output of the run it resumes; "
                             "drop --task/--model/--set/--seed/--out/--save-masks")
        worker = _resumed_shard(args.resume, worker, explicit=bool(args.shard))
    common = {"progress": not args.no_progress, "fail_fast": args.fail_fast, "worker": worker,
              "retry_errors": args.retry_errors, "batch_size": args.batch_size,
              "overlap": not args.no_overlap, "prefetch": args.prefetch,
              "harness_workers": args.harness_workers}
    if args.skip_bad_samples:
        common["skip_bad_samples"] = True
    if args.resume:
        cfg = config_from_run_dir(args.resume, **common)
    else:
        if not args.task or not args.model:
            raise UsageError("run needs --task and --model (or --resume RUN_DIR)")
        overrides = list(args.overrides) + ([f"seed={args.seed}"] if args.seed is not None else [])
        task = get_task(args.task).with_overrides(overrides)
        if args.save_masks:
            task.params["save_masks"] = args.save_masks  # changes the records: part of the run identity
        options = parse_kv(args.model_opt, "--model-opt")
        for key in ("checkpoint", "seem_root", "device"):
            if getattr(args, key):
                options[key] = getattr(args, key)
        if is_random(options.get("checkpoint")):
            options.setdefault("seed", str(int(task.params.get("seed", 0))))
        cfg = RunConfig(task=task, model=args.model, model_options=options, data_root=args.data_root,
                        out_dir=args.out, limit=args.limit, subset=args.subset,
                        feature_cache=args.feature_cache, **common)
    summary = run(cfg)
    if summary is None:
        if worker.torchrun:
            return 0  # rank 0 reports (and sets the exit code for) the whole run
        errors = shard_errors(cfg.out_dir, _fingerprint(cfg.out_dir), worker.rank)
        print(f"seem-bench: shard {worker.rank}/{worker.world} done"
              + (f", {errors} error records (see docs/running.md; rerun them with --resume "
                 f"{cfg.out_dir} --retry-errors)" if errors else "")
              + f"; when every shard is done run `seem-bench merge {cfg.out_dir}`", file=sys.stderr)
        return 1 if errors else 0
    print(markdown_table([summary]))
    c = summary["counts"]
    bad = f" ({c['bad_samples']} in samples with bad data, skipped)" if c.get("bad_samples") else ""
    print(f"\n{c['ok']}/{c['expected']} instances evaluated, {c['errors']} errors{bad}; records and summary "
          f"in {cfg.out_dir}", file=sys.stderr)
    # A run with error records is not a clean result: exit 1 so scripts and CI notice.
    return 1 if c["errors"] else 0


def _fingerprint(out: Path) -> str:
    from seem_bench.records import read_header

    return read_header(out)["fingerprint"]


def _resumed_shard(run_dir: Path, worker, explicit: bool):
    """The shard a ``--resume`` continues: the one recorded in ``run_dir`` (``shard-<i>.json``)."""
    from seem_bench import distributed
    from seem_bench.runner import shard_marks

    marks = shard_marks(run_dir)
    if explicit or worker.torchrun or not marks:
        if explicit and marks and worker.world != marks[0][1]:
            raise UsageError(f"{run_dir} holds shards of a {marks[0][1]}-way split, not {worker.world}")
        return worker
    if len(marks) > 1:
        raise UsageError(f"{run_dir} holds shards {', '.join(f'{i}/{n}' for i, n in marks)}: resume each "
                         f"with --resume {run_dir} --shard I/N")
    i, n = marks[0]
    return distributed.Worker(rank=i, world=n)
