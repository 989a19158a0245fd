"""``seem-bench merge``: combine the shards of a run into one summary."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from seem_bench.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "merge", help="merge shard run directories into one summary",
        description="Merge the records of `run --shard i/n` jobs (one directory shared by all shards, or "
                    "one directory per shard) and write the summary recomputed from all records.",
        epilog="Example: seem-bench merge runs/shard0 runs/shard1 --out runs/merged")
    p.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    p.add_argument("--out", type=Path, help="write merged records + summary here (default: the first RUN_DIR)")
    p.add_argument("--allow-partial", action="store_true", help="summarise even if objects are missing")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from seem_bench.io_utils import atomic_write_json, atomic_write_text
    from seem_bench.records import read_header
    from seem_bench.report.table import markdown_table
    from seem_bench.rundir_lock import RunDirLock, holder
    from seem_bench.runner import load_records, summarize

    headers = []
    for d in args.run_dirs:
        path = d / "header.json"
        if not path.exists():
            raise UsageError(f"{path}: not found; not a seem-bench run directory")
        headers.append(read_header(d))
        pid = holder(d)
        if pid is not None:
            raise UsageError(f"{d}: a seem-bench run (pid {pid}) is still writing into it; merge when it has ended")
    data_fps = {json.dumps(h.get("dataset", {}).get("fingerprint"), sort_keys=True) for h in headers}
    if len(data_fps) != 1:
        raise UsageError("the run directories were run on different data (dataset fingerprints differ; "
                         "a file was changed between runs): " + ", ".join(
                             f"{d}={h['fingerprint'][:12]}" for d, h in zip(args.run_dirs, headers, strict=True)))
    fps = {h["fingerprint"] for h in headers}
    if len(fps) != 1:
        raise UsageError("the run directories hold different runs (fingerprints differ): "
                         + ", ".join(f"{d}={h['fingerprint'][:12]}" for d, h in zip(args.run_dirs, headers, strict=True)))
    records = load_records(*args.run_dirs, fingerprint=headers[0]["fingerprint"])
    known = headers[0].get("keys")
    if known is not None:  # a record of a key the run's dataset does not have is not counted
        known = set(known)
        records = [r for r in records if r["key"] in known]
    expected = headers[0]["dataset"]["instances"]
    if len(records) < expected and not args.allow_partial:
        raise UsageError(f"only {len(records)} of {expected} objects have records; finish the missing shards "
                         "(rerun them: finished objects are skipped) or pass --allow-partial")
    out = args.out or args.run_dirs[0]
    if args.out:
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {out}: not a directory")
        if (out / "header.json").exists() and out.resolve() not in {d.resolve() for d in args.run_dirs}:
            if read_header(out)["fingerprint"] != headers[0]["fingerprint"]:
                raise UsageError(f"--out {out} holds another run (its fingerprint differs); merging "
                                 "would replace its records: choose another --out")
        out.mkdir(parents=True, exist_ok=True)
        with RunDirLock(out):  # no run may write into the directory while its records are replaced
            atomic_write_json(out / "header.json", headers[0])
            for stale in out.glob("records-rank*.jsonl"):
                stale.unlink()
            atomic_write_text(out / "records-rank0.jsonl",
                              "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))
            summary = summarize(out)
    else:
        summary = summarize(args.run_dirs[0], tuple(args.run_dirs[1:]))
    print(markdown_table([summary]))
    print(f"\nmerged {len(records)} records into {out}", file=sys.stderr)
    return 0
