"""Where the SEEM environment built by ``scripts/seem_env.sh`` lives, and how to enter it.

Layout (fixed; the script writes it, other code and tests rely on it)::

    <prefix>/venv/bin/python   interpreter with torch, detectron2-xyz and SEEM's inference requirements
    <prefix>/src/seem          SEEM sources (imported from there, never copied into seem-bench)
    <prefix>/src/detectron2    detectron2-xyz sources (the copy that was built)
    <prefix>/hf                offline Hugging Face cache with the CLIP tokenizer files
    <prefix>/READY             written last by the script

The prefix is ``$SEEM_BENCH_SEEM_ENV`` when set; else the first complete environment among
``$SEEM_BENCH_CACHE/seem-env`` and ``~/.cache/seem-bench/seem-env`` (the tests point
``SEEM_BENCH_CACHE`` at a temporary demo-data cache, which must not hide a built environment).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BUILD_COMMAND = "bash scripts/seem_env.sh"


def candidate_prefixes() -> list[Path]:
    """Prefixes searched for the SEEM environment, in order."""
    env = os.environ.get("SEEM_BENCH_SEEM_ENV")
    if env:
        return [Path(env).expanduser()]
    out = []
    cache = os.environ.get("SEEM_BENCH_CACHE")
    if cache:
        out.append(Path(cache).expanduser() / "seem-env")
    home = Path.home() / ".cache" / "seem-bench" / "seem-env"
    if home not in out:
        out.append(home)
    return out


def is_ready(prefix: Path) -> bool:
    """Whether ``prefix`` holds a completely built environment."""
    return (prefix / "READY").is_file() and (prefix / "venv" / "bin" / "python").exists() \
        and (prefix / "src" / "seem" / "modeling").is_dir()


def find_prefix() -> Path | None:
    """The prefix of a complete SEEM environment, or ``None``."""
    for p in candidate_prefixes():
        if is_ready(p):
            return p
    return None


def python(prefix: Path) -> Path:
    return prefix / "venv" / "bin" / "python"


def seem_src(prefix: Path) -> Path:
    return prefix / "src" / "seem"


def hf_home(prefix: Path) -> Path:
    return prefix / "hf"


def inside(prefix: Path | None) -> bool:
    """Whether this interpreter is the environment's own python."""
    if prefix is None:
        return False
    return Path(sys.prefix).resolve() == (prefix / "venv").resolve()


def missing_reason() -> str:
    """Why no environment was found, phrased for ``seem-bench models``."""
    where = " or ".join(str(p) for p in candidate_prefixes())
    return f"no SEEM environment at {where}; build it with `{BUILD_COMMAND}` (docs/models.md)"
