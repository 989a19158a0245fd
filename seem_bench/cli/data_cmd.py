"""``seem-bench data``: demo data generation and dataset inspection (``list``, ``stats``, ``check``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from seem_bench.cli.limits import add_max_pixels, apply_max_pixels


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="generate the demo data; list, count and validate datasets",
                       description="Dataset utilities.")
    dsub = p.add_subparsers(dest="data_verb", metavar="ACTION", required=True)

    demo = dsub.add_parser("demo", help="generate the demo datasets (seeded, official formats)",
                           description="Deterministically generate the demo datasets in their official "
                                       "on-disk formats.")
    demo.add_argument("--out", type=Path, help="output directory (default: the cache used by `run`)")
    demo.add_argument("--force", action="store_true", help="regenerate even if present")
    demo.set_defaults(func=demo_main)

    lst = dsub.add_parser("list", help="name every dataset with its expected directory tree",
                          description="Every registered dataset, its splits, expected directory tree and "
                                      "where it is published.")
    lst.set_defaults(func=list_main)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("name", help="dataset name (see `seem-bench data list`)")
        q.add_argument("--data-root", type=Path,
                       help="the dataset's directory, or a folder holding it under its usual name "
                            "(as for `run --data-root`)")
        q.add_argument("--root", type=Path, dest="legacy_root", help="old spelling of --data-root (deprecated)")
        q.add_argument("--split", help="split (default: val; val2017 for COCO; every ref of the default splitBy for RefCOCO/+/g)")
        q.add_argument("--subset", type=Path, help="id-list file: keep only these sample ids")

    stats = dsub.add_parser("stats", help="count images/instances/expressions/sequences/frames",
                            description="Count what a dataset split holds, from its index files only.",
                            epilog="Example: seem-bench data stats refcoco --data-root /data/refer --split testA --json")
    common(stats)
    stats.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    stats.add_argument("--ids", action="store_true", help="print the sample ids, one per line (a subset file)")
    stats.set_defaults(func=stats_main)

    check = dsub.add_parser("check", help="validate every file of a dataset split (exit 1 on problems)",
                            description="Open every file a split refers to: exists, decodes, sizes agree, "
                                        "ids consistent, categories known. Prints one line per problem and "
                                        "exits 1 if there is any.",
                            epilog="Example: seem-bench data check coco_panoptic --data-root /data/coco")
    common(check)
    check.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_max_pixels(check)
    check.set_defaults(func=check_main)

    fetch = dsub.add_parser("fetch", help="download a dataset's official archives into the `data list` layout",
                            description="Download, verify (sha256) and unpack a dataset's official archives "
                                        "into DATA_ROOT/<folder>. A partial download resumes (HTTP Range); a "
                                        "set fetched completely before is never downloaded or overwritten.",
                            epilog="Example: seem-bench data fetch grabcut --data-root /data/interactive")
    fetch.add_argument("name", help="dataset name (see `seem-bench data list`)")
    fetch.add_argument("--data-root", type=Path, required=True, help="folder receiving the dataset folder")
    fetch.add_argument("--url", help="download from this URL instead of the official one (a mirror)")
    fetch.add_argument("--sha256", help="sha256 the archive must have (none is published for most sets)")
    fetch.set_defaults(func=fetch_main)


def demo_main(args: argparse.Namespace) -> int:
    from seem_bench.data.demo import default_cache_dir, generate_demo

    out = args.out or default_cache_dir()
    generate_demo(out, overwrite=args.force)
    print(out)
    print(f"seem-bench: demo data ready in {out}", file=sys.stderr)
    return 0


def list_main(args: argparse.Namespace) -> int:
    from seem_bench.data.catalog import CATALOG
    from seem_bench.data.registry import DATASETS, DEFAULT_SUBDIR

    for name in DATASETS.names():
        info = CATALOG.get(name)
        if info is None:
            print(f"{name}  (plugin: {DATASETS.raw(name)})\n")
            continue
        splits = ", ".join(info.splits)
        print(f"{name}  [{info.kind}; splits: {splits}; folder under --data-root: "
              f"{DEFAULT_SUBDIR.get(name, name)}/]")
        print(f"  {info.summary}")
        print("  " + info.tree.replace("\n", "\n  "))
        print(f"  from: {info.source}\n")
    return 0


def _root(args: argparse.Namespace) -> Path:
    """The dataset directory from ``--data-root`` (or the deprecated ``--root``, with a note)."""
    from seem_bench.data.registry import resolve_root
    from seem_bench.errors import UsageError

    if args.data_root is not None and args.legacy_root is not None:
        raise UsageError("give the dataset directory once: --data-root (--root is its old spelling)")
    if args.legacy_root is not None:
        print("seem-bench: note: `data --root` is now `--data-root` (as for `run`); --root still works",
              file=sys.stderr)
    root = args.data_root if args.data_root is not None else args.legacy_root
    if root is None:
        raise UsageError(f"data {args.data_verb} needs --data-root DIR (the {args.name} directory, or a "
                         "folder holding it; see `seem-bench data list`)")
    return resolve_root(args.name, root)


def stats_main(args: argparse.Namespace) -> int:
    from seem_bench.data.registry import load_dataset
    from seem_bench.data.stats import dataset_stats

    ds = load_dataset(args.name, _root(args), args.split, subset=args.subset)
    if args.ids:
        for s in ds.samples:
            print(s.sample_id)
        return 0
    counts = dataset_stats(ds)
    if args.json:
        print(json.dumps(counts))
    else:
        print(f"{ds.name} (split {ds.split or '-'}, root {ds.root})")
        width = max(len(k) for k in counts)
        for k, v in counts.items():
            print(f"  {k:<{width}}  {v}")
    return 0


def check_main(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from seem_bench.data.check import check_dataset

    apply_max_pixels(args)
    root = _root(args)
    with tqdm(desc=f"check {args.name}", unit="sample", file=sys.stderr,
              disable=args.no_progress or not sys.stderr.isatty()) as bar:
        problems = check_dataset(args.name, root, args.split, args.subset, progress=bar.update)
    for line in problems:
        print(line)
    if problems:
        print(f"seem-bench: {len(problems)} problem(s) in {args.name} at {root}", file=sys.stderr)
        return 1
    print(f"seem-bench: {args.name} at {root}: no problems", file=sys.stderr)
    return 0


def fetch_main(args: argparse.Namespace) -> int:
    from seem_bench.data.fetch import fetch

    fetch(args.name, args.data_root, url=args.url, sha256=args.sha256,
          log=lambda msg: print(msg, file=sys.stderr))
    return 0
