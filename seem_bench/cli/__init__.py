"""The ``seem-bench`` command line: thin argument parsing over the library.

Each verb lives in its own module exposing ``register(subparsers)``; errors the user can act on
(`SeemBenchError`) print as one line on stderr with the error's exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from seem_bench import __version__
from seem_bench.errors import SeemBenchError

#: Verb modules, in the order ``--help`` lists them. Only verbs that work are listed.
VERBS = ("run", "merge", "runs", "data", "models", "tasks", "protocols", "suites", "suite", "table", "leaderboard", "ablate",
         "plot", "report", "check", "eval")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seem-bench",
        description="Exact, reproducible benchmarks for promptable segmentation models "
                    "(SEEM, SAM, SAM 2, classical baselines).",
        epilog="Example: seem-bench run --task interactive --model grabcut",
    )
    parser.add_argument("--version", action="version", version=f"seem-bench {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb in VERBS:
        importlib.import_module(f"seem_bench.cli.{verb.replace('-', '_')}_cmd").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    _ignore_sigxfsz()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SeemBenchError as e:
        print(f"seem-bench: error: {e}", file=sys.stderr)
        return e.exit_code
    except OSError as e:  # the floor: readers and writers turn these into SeemBenchErrors themselves
        where = f"{e.filename}: " if e.filename else ""
        print(f"seem-bench: error: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("seem-bench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _ignore_sigxfsz() -> None:
    """A write past ``ulimit -f`` raises SIGXFSZ, whose default action kills the process with no
    message; ignored, the write fails with ``EFBIG`` and the writer reports it in one line."""
    import signal

    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
