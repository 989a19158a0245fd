"""Dataset registry: name -> loader ``(root, split) -> Dataset``."""

from __future__ import annotations

from pathlib import Path

from seem_bench.data.types import Dataset
from seem_bench.registry import Registry

DATASETS: Registry = Registry("dataset")
DATASETS.register("grabcut", "seem_bench.data.clicksets:load_grabcut")
DATASETS.register("berkeley", "seem_bench.data.clicksets:load_berkeley")

#: Where each dataset lives under a ``--data-root`` holding several (the demo data's layout).
DEFAULT_SUBDIR = {"grabcut": "GrabCut", "berkeley": "Berkeley"}


def load_dataset(name: str, root: str | Path, split: str | None = None) -> Dataset:
    """Load dataset ``name`` from ``root`` (the dataset's own directory)."""
    return DATASETS.get(name)(Path(root), split)


def resolve_root(name: str, data_root: str | Path) -> Path:
    """The dataset directory: ``data_root/<subdir>`` if it exists, else ``data_root`` itself."""
    base = Path(data_root)
    sub = base / DEFAULT_SUBDIR.get(name, name)
    return sub if sub.is_dir() else base
