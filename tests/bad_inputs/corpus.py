"""Shared assertions of the bad-input corpus (``test_corpus_*.py``).

Every bad input must end as SPEC §6 and the README promise: a non-zero exit code (2 usage, 1
data/model), exactly one line on stderr naming the file or parameter at fault, no traceback,
and no partial output file (no summary, no half-written temporary file).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def seem_bench(args: list[str], cwd: Path, env: dict[str, str] | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m seem_bench ARGS`` as a user runs it (own process: C libraries' stderr, pools)."""
    # Importing seem_bench (as this test process did) sets OPENCV_LOG_LEVEL for itself; the
    # command must show what a user's fresh shell would, so it does not inherit that.
    base = {k: v for k, v in os.environ.items() if k != "OPENCV_LOG_LEVEL"}
    full_env = {**base, "SEEM_BENCH_CACHE": str(Path(cwd) / ".cache"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "seem_bench", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def files_under(root: Path) -> set[Path]:
    """Every file under ``root`` (relative paths), ignoring seem-bench's own cache."""
    return {p.relative_to(root) for p in Path(root).rglob("*")
            if p.is_file() and ".cache" not in p.relative_to(root).parts}


def assert_one_line_failure(proc: subprocess.CompletedProcess, code: int, *names: str) -> str:
    """Exit ``code``, nothing on stdout, one stderr line holding every string of ``names``, no
    traceback. Returns the line."""
    where = f"\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == code, f"exit {proc.returncode}, expected {code}{where}"
    assert "Traceback" not in proc.stderr, where
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one stderr line{where}"
    assert lines[0].startswith("seem-bench: error: "), where
    for name in names:
        assert name in lines[0], f"{name!r} not named{where}"
    assert proc.stdout == "", where
    return lines[0]


def assert_no_partial_outputs(root: Path, before: set[Path], allowed: set[str] = frozenset()) -> None:
    """No file appeared under ``root`` since ``before`` except names in ``allowed`` (e.g. a
    resumable run's ``header.json`` and complete record lines); never a summary or a temp file."""
    new = files_under(root) - before
    assert not [p for p in new if p.name == "summary.json"], new
    assert not [p for p in new if p.name.startswith(".")], f"temporary files left: {new}"
    assert {p.name for p in new} <= set(allowed), f"unexpected outputs: {sorted(map(str, new))}"
    for p in new:
        if p.suffix == ".jsonl":
            text = (root / p).read_text()
            assert text == "" or text.endswith("\n"), f"{p}: torn last line"


def seem_bench_here(args: list[str], capfd) -> subprocess.CompletedProcess:
    """``seem-bench ARGS`` in this test process (no interpreter start: for the many cheap cases),
    its exit code and captured stdout/stderr shaped like `seem_bench`'s. Use absolute paths;
    cases that may crash the interpreter or set process state (``--max-pixels``) use `seem_bench`."""
    from seem_bench.cli import main

    capfd.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as e:  # argparse
        code = e.code if isinstance(e.code, int) else 2
    out, err = capfd.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)
