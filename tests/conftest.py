"""Shared fixtures: the demo data generated once per test session into a temp cache."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_cache(tmp_path_factory) -> Path:
    """A ``SEEM_BENCH_CACHE`` directory holding the generated demo data."""
    from seem_bench.data import demo

    cache = tmp_path_factory.mktemp("cache")
    demo.generate_demo(cache / f"demo-v{demo.DEMO_VERSION}")
    return cache


@pytest.fixture(scope="session")
def demo_root(demo_cache) -> Path:
    from seem_bench.data import demo

    return demo_cache / f"demo-v{demo.DEMO_VERSION}"


@pytest.fixture(scope="session")
def once_per_session(request, tmp_path_factory) -> Callable[[str, Callable[[Path], dict]], dict]:
    """``once_per_session(name, compute)``: ``compute(work_dir)``'s JSON-able result, computed by
    one process of the session even under pytest-xdist (which may split an ``xdist_group``
    across workers): the workers share the parent of their base temp folder, the first to take
    the lock computes, the others wait and read the same result."""
    distributed = hasattr(request.config, "workerinput")
    shared = tmp_path_factory.getbasetemp().parent if distributed else tmp_path_factory.getbasetemp()

    def get(name: str, compute: Callable[[Path], dict]) -> dict:
        work = shared / name
        work.mkdir(exist_ok=True)
        out = work / "result.json"
        with open(work / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not out.is_file():
                result = compute(work)
                tmp = out.with_suffix(".tmp")
                tmp.write_text(json.dumps(result))
                tmp.replace(out)
        return json.loads(out.read_text())

    return get


def run_cli(args: list[str], cwd: Path, env_extra: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m seem_bench ARGS`` as a user would, capturing output."""
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "seem_bench", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli():
    """`run_cli` as a fixture, so tests in any folder can use it without importing conftest."""
    return run_cli


def pytest_configure(config):
    """Under ``-n N`` schedule by ``xdist_group`` so that the slow SEEM cases, which share one
    driver run, stay on one worker instead of blocking every worker on the driver's lock."""
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI (``CI`` set) a skip is a failure: the test command installs every reference
    implementation, so a reference test can only skip if its install broke."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI (a reference is missing?): {report.longrepr}"
