"""``seem-bench ablate``: run a grid of task parameters and print the paper-style ablation table."""

from __future__ import annotations

import argparse
from pathlib import Path

from seem_bench.report.constants import DEFAULT_METRICS, FORMATS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ablate", help="run a parameter grid (memory, negatives, prompt, ...) and tabulate it",
        description="Run a task once per cell of a parameter grid, each cell in its own run directory "
                    "under --out, then print one table row per cell. Resumable: finished cells are "
                    "reused and unfinished ones resumed. `prompt` sets the task's first_prompt; other "
                    "keys are task fields or parameters as for `run --set`. Every cell is checked "
                    "against the model's capabilities before any runs.",
        epilog="Example:\n  seem-bench ablate --task interactive --model seem_t --checkpoint seem_focalt_v1.pt "
               "\\\n      --grid memory=on,off negatives=on,off prompt=point,box,scribble,polygon --out runs/abl",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", required=True, help="task name (see `seem-bench tasks`)")
    p.add_argument("--model", required=True, help="model name (see `seem-bench models`)")
    p.add_argument("--grid", nargs="+", required=True, metavar="KEY=V1,V2",
                   help="grid axes, e.g. memory=on,off negatives=on,off prompt=point,box")
    p.add_argument("--out", type=Path, help="grid directory (default runs/ablate_<task>_<model>)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="fixed task override applied to every cell (repeatable)")
    p.add_argument("--data-root", type=Path, help="directory holding the dataset(s); default: demo data")
    p.add_argument("--checkpoint", help="model weights file")
    p.add_argument("--device", help="torch device for neural models")
    p.add_argument("--model-opt", action="append", default=[], metavar="KEY=VALUE",
                   help="adapter-specific option (repeatable)")
    p.add_argument("--limit", type=int, help="evaluate only the first N samples in every cell")
    p.add_argument("--metrics", nargs="+", default=list(DEFAULT_METRICS), metavar="METRIC",
                   help=f"table columns (default {' '.join(DEFAULT_METRICS)})")
    p.add_argument("--format", choices=FORMATS, default="md", help="table format (default md)")
    p.add_argument("-o", "--output", type=Path, help="write the table to this file instead of stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from seem_bench.ablation import parse_grid, run_grid
    from seem_bench.cli.run_cmd import parse_kv
    from seem_bench.report.ablation import ablation_table
    from seem_bench.report.files import emit
    from seem_bench.report.render import render
    from seem_bench.tasks import get_task

    task = get_task(args.task).with_overrides(args.overrides)
    options = parse_kv(args.model_opt, "--model-opt")
    for key in ("checkpoint", "device"):
        if getattr(args, key):
            options[key] = getattr(args, key)
    out = args.out or Path("runs") / f"ablate_{task.name}_{args.model}"
    results = run_grid(task, args.model, parse_grid(args.grid), out, model_options=options,
                       limit=args.limit, data_root=args.data_root, progress=not args.no_progress)
    table = ablation_table(results, args.metrics, symbols=args.format != "csv")
    emit(render(table, args.format), args.output)
    return 0
