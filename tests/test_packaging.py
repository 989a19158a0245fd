"""A non-editable install finds the CLI, the baselines, the task definitions and the leaderboards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_non_editable_install_works_from_any_directory(tmp_path, demo_cache):
    target = tmp_path / "site"
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                          "--target", str(target), "-q", str(REPO)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (target / "seem_bench" / "baselines" / "classical.py").is_file()
    assert (target / "seem_bench" / "taskdefs" / "interactive.yaml").is_file()
    assert (target / "seem_bench" / "taskdefs" / "suites" / "seem-paper.yaml").is_file()
    assert (target / "bin" / "seem-bench").is_file()
    env = {**os.environ, "PYTHONPATH": str(target), "SEEM_BENCH_CACHE": str(demo_cache)}
    where = subprocess.run([sys.executable, "-c", "import seem_bench, seem_bench.baselines.sanity as s;"
                            "print(seem_bench.__file__); print(s.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert all(line.startswith(str(target)) for line in where.stdout.split()), where.stdout
    run = subprocess.run([sys.executable, "-m", "seem_bench", "run", "--task", "interactive", "--model",
                          "oracle", "--no-progress"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "| oracle" in run.stdout
