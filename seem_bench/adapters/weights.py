"""Finding checkpoints, hashing them, choosing a torch device: shared by the neural adapters.

A checkpoint is looked up, in order: the ``checkpoint`` option (``--checkpoint PATH``); then the
released file name (e.g. ``sam_vit_b_01ec64.pth``) in ``$SEEM_BENCH_CHECKPOINTS`` and in
``~/.cache/seem-bench/checkpoints``. ``seem-bench models`` reports what it found.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

#: ``--checkpoint random``: build the real architecture with its own random initialisation, seeded
#: by the run's seed (``--seed``). A smoke mode: the run header records ``random_weights: true``.
RANDOM_CHECKPOINT = "random"


def is_random(checkpoint: Any) -> bool:
    """Whether the checkpoint option asks for random weights."""
    return checkpoint is not None and str(checkpoint) == RANDOM_CHECKPOINT


def checkpoint_dirs() -> list[Path]:
    """Directories searched for released checkpoint files, in order."""
    dirs = []
    env = os.environ.get("SEEM_BENCH_CHECKPOINTS")
    if env:
        dirs.append(Path(env).expanduser())
    dirs.append(Path.home() / ".cache" / "seem-bench" / "checkpoints")
    return dirs


def find_checkpoint(option: str | os.PathLike | None, filename: str) -> Path | None:
    """The checkpoint to use: the explicit option if given (even if missing), else a found file.

    Callers handle `RANDOM_CHECKPOINT` before asking for a file.
    """
    if option:
        return Path(option).expanduser()
    for d in checkpoint_dirs():
        if (d / filename).is_file():
            return d / filename
    return None


def checkpoint_problem(option: str | os.PathLike | None, filename: str) -> str | None:
    """Why no usable checkpoint is available (``None`` if one is), phrased for the user."""
    if is_random(option):
        return None
    path = find_checkpoint(option, filename)
    if path is None:
        where = " or ".join(str(d) for d in checkpoint_dirs())
        return f"no checkpoint: pass --checkpoint PATH (released file {filename}) or put it in {where}"
    if not path.is_file():
        return f"checkpoint {path} not found"
    return None


def missing_modules(*names: str) -> list[str]:
    """The importable-module names among ``names`` that are not installed (cheap: no import)."""
    out = []
    for n in names:
        try:
            if importlib.util.find_spec(n) is None:
                out.append(n)
        except (ImportError, ValueError):
            out.append(n)
    return out


def resolve_device(device: Any = None) -> Any:
    """``torch.device`` from an option: ``None``/``"auto"`` = CUDA if available, else CPU."""
    import torch

    if device in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(str(device))
