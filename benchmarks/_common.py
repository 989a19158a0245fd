"""Shared pieces of the ``benchmarks/`` scripts: machine line, generated data, zero-cost model.

Nothing here is part of the installed package. The scripts import it as ``_common`` (Python puts
the script's own folder first on ``sys.path``).

- `machine`: one line naming the CPU, core count, GPU (if any) and library versions.
- `make_clickset`: a GrabCut-layout click set of seeded synthetic scenes at any size, written
  with the package's own format writer (`seem_bench.data.writers.write_grabcut_item`).
- `ZeroCostModel` (registered as ``bench-zero``): returns a precomputed mask per round, so a run
  measures the harness alone (protocol step + IoU + record).
- `timed_loop`: wraps ``seem_bench.runner._loop`` to time the per-sample loop apart from the run's
  fixed costs (task/model resolution, dataset index, header, summary).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.adapters.registry import MODELS
from seem_bench.prompts.types import Prompts

# --------------------------------------------------------------------------- machine / output


def cpu_name() -> str:
    """The CPU model string from ``/proc/cpuinfo`` (or `platform.processor` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name() -> str | None:
    """The first CUDA device's name, or ``None`` when torch sees no GPU."""
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return None


def machine() -> str:
    """One line: CPU, cores, load, GPU, Python/numpy/torch versions."""
    parts = [f"{cpu_name()} ({platform.machine()}), {os.cpu_count()} cores"]
    with contextlib.suppress(OSError):
        parts.append(f"load avg {os.getloadavg()[0]:.1f}")
    gpu = gpu_name()
    parts.append(f"GPU {gpu}" if gpu else "no GPU")
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    with contextlib.suppress(ImportError):
        import torch

        versions.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    return ", ".join(parts + versions)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub Markdown table (numbers right-aligned)."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    align = ["---:" if rows and isinstance(rows[0][i], (int, float)) else "---"
             for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def emit(name: str, table: str, result: dict[str, Any], command: str) -> None:
    """Print the machine, the command, the table and one ``RESULT {json}`` line (last line)."""
    print(f"Machine: {machine()}")
    print(f"Command: {command}")
    print()
    print(table)
    print()
    print("RESULT " + json.dumps({"benchmark": name, **result}, sort_keys=True))


def set_threads(n: int | None) -> None:
    """Set torch's intra-op CPU threads (``None`` leaves torch's default)."""
    if n:
        import torch

        torch.set_num_threads(n)


def median(xs: Sequence[float]) -> float:
    """The median of ``xs`` as a float."""
    return float(statistics.median(xs))


# --------------------------------------------------------------------------- data


def make_clickset(root: Path, n_images: int, height: int = 480, width: int = 854, seed: int = 0
                  ) -> Path:
    """Write ``n_images`` seeded scenes as a GrabCut-layout set under ``root/GrabCut``; returns ``root``.

    Each image's object is its largest visible scene object; a 2-px band around its boundary is
    the ignore label (128), as in GrabCut's ``boundary_GT`` masks. Pass ``root`` as the run's
    ``data_root`` (the loader finds ``GrabCut/`` there).
    """
    from seem_bench.data.demo import write_grabcut_set

    write_grabcut_set(root, np.random.default_rng(seed), n_images, height, width, prefix="bench")
    return root


# --------------------------------------------------------------------------- zero-cost model


def round_masks(gt: np.ndarray, rounds: int = 20) -> list[np.ndarray]:
    """Imperfect predictions that improve with the round: ``gt`` shifted by ``max(1, 24 // k)`` px.

    A shift leaves both a false-negative and a false-positive band, so every round's click
    simulation sees real error regions (as with a real model), never the empty-error shortcut.
    """
    out = []
    h, w = gt.shape
    for k in range(1, rounds + 1):
        s = max(1, 24 // k)
        m = np.zeros_like(gt)
        m[s:, s:] = gt[: h - s, : w - s]
        out.append(m)
    return out


class ZeroCostModel(Adapter):
    """A model whose decode is a list lookup: the harness's own cost is all that is left.

    ``uses_ground_truth``: the loop hands it the object mask (`set_target`, a reference, no
    copy); the first decode of an object precomputes `round_masks` (counted as model time, so it
    is not charged to the harness), later decodes return the precomputed mask for the number of
    clicks so far.
    """

    name = "bench-zero"
    summary = "benchmark model: precomputed masks, no compute per decode"
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point", "box"}, memory=True)
    uses_ground_truth = True

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._gt: np.ndarray | None = None
        self._src: np.ndarray | None = None
        self._masks: list[np.ndarray] = []

    def set_target(self, gt: np.ndarray) -> None:
        self._gt = gt

    def encode(self, image: np.ndarray) -> tuple[int, int]:
        return image.shape[:2]

    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        if self._gt is not self._src:  # a new object: precompute its masks once
            self._src = self._gt
            self._masks = round_masks(np.asarray(self._gt, bool))
        k = max(len(prompts.clicks), 1)
        return Prediction(mask=self._masks[min(k, len(self._masks)) - 1])


def register_zero_cost() -> None:
    """Make ``bench-zero`` available to `seem_bench.runner.run` in this process."""
    if "bench-zero" not in MODELS:
        MODELS.register("bench-zero", ZeroCostModel)


# --------------------------------------------------------------------------- runner timing


@contextlib.contextmanager
def timed_loop() -> Iterator[list[float]]:
    """Within the block, every ``runner._loop`` call appends its wall seconds to the yielded list."""
    from seem_bench import runner

    spans: list[float] = []
    original = runner._loop

    def wrapper(*args: Any, **kwargs: Any) -> None:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spans.append(time.perf_counter() - t0)

    runner._loop = wrapper  # type: ignore[assignment]
    try:
        yield spans
    finally:
        runner._loop = original  # type: ignore[assignment]


def record_times(run_dir: Path) -> dict[str, float]:
    """Sum of decode (``model_s``) and encode (``encode_s``) seconds and click count of a run."""
    from seem_bench.runner import load_records

    model = encode = 0.0
    clicks = instances = 0
    for r in load_records(run_dir):
        encode += r.get("encode_s", 0.0)
        instances += 1
        for rd in r.get("rounds", ()):
            model += rd["model_s"]
            if "repeat" not in rd["prompt"]:
                clicks += 1
        if "rounds" not in r:
            model += r.get("model_s", 0.0)
    return {"model_s": model, "encode_s": encode, "clicks": clicks, "instances": instances}
