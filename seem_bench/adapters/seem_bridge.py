"""Run a SEEM adapter inside the SEEM environment through the remote bridge.

``seem-bench run --model seem_t`` in seem-bench's own venv (no detectron2 there) starts
``<prefix>/venv/bin/python bridge_launch.py ... -- --model seem_t --opt ...``: the same adapter
class, imported from this seem-bench's source, serves the model inside the environment built by
``scripts/seem_env.sh``. `SeemBridge` reports the served adapter's name and fingerprint, so a run
through the bridge writes the same header and records as an in-process run.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from seem_bench.adapters import seem_env
from seem_bench.adapters.remote import RemoteAdapter

#: The seem-bench packages the worker imports from this harness's source (setup.py maps the
#: last three from top-level folders of a checkout).
PACKAGES = ("seem_bench", "seem_bench.baselines", "seem_bench.taskdefs", "seem_bench.leaderboards")


def package_dirs() -> dict[str, str]:
    """``{package: directory}`` of this harness's seem-bench code."""
    out = {}
    for name in PACKAGES:
        try:
            mod = importlib.import_module(name)
        except ImportError:  # pragma: no cover - a partial install
            continue
        out[name] = str(Path(list(mod.__path__)[0]).resolve())
    return out


def worker_command(name: str, options: dict[str, Any], prefix: Path) -> list[str]:
    """The command line that serves model ``name`` with ``options`` from the environment at ``prefix``."""
    launcher = Path(__file__).with_name("bridge_launch.py")
    cmd = [str(seem_env.python(prefix)), str(launcher)]
    for pkg, d in package_dirs().items():
        cmd += ["--package", f"{pkg}={d}"]
    cmd += ["--", "--model", name]
    for k, v in sorted(options.items()):
        if v is None:
            continue
        if k == "checkpoint" and str(v) != "random":
            v = Path(str(v)).expanduser().resolve()  # the worker may not share our idea of '~'
        cmd += ["--opt", f"{k}={v}"]
    return cmd


def worker_env(prefix: Path) -> dict[str, str]:
    """The worker's environment: ours, plus the SEEM environment's offline tokenizer cache."""
    return {**os.environ, "SEEM_BENCH_SEEM_ENV": str(prefix), "HF_HOME": str(seem_env.hf_home(prefix)),
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


class SeemBridge(RemoteAdapter):
    """A SEEM adapter served from the SEEM environment; identical to the in-process adapter for the runner."""

    def __init__(self, name: str, prefix: Path, **options: Any) -> None:
        from seem_bench.baselines.seem import grounding_batch_size

        # a bad value in one line here, not as a worker that failed to start
        grounding_batch_size(options.get("grounding_batch", 1), name)
        super().__init__(command=worker_command(name, options, prefix), env=worker_env(prefix))
        self.name = str(self.served.get("name", name))  # type: ignore[misc]
        self.summary = f"{self.name} (SEEM environment {prefix}, remote bridge)"  # type: ignore[misc]
        self.prefix = prefix

    def fingerprint(self) -> dict[str, Any]:
        return dict(self.served.get("fingerprint", {}))


def cli_command(prefix: Path, args: list[str]) -> list[str]:
    """``seem-bench ARGS`` run inside the SEEM environment with this harness's code (in-process SEEM)."""
    launcher = Path(__file__).with_name("bridge_launch.py")
    cmd = [str(seem_env.python(prefix)), str(launcher), "--cli"]
    for pkg, d in package_dirs().items():
        cmd += ["--package", f"{pkg}={d}"]
    return [*cmd, "--", *args]
