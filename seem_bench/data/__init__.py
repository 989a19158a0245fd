"""Dataset loaders yielding one record type (`Sample` / `Instance`), and the demo data."""

from seem_bench.data.registry import DATASETS, load_dataset
from seem_bench.data.types import Dataset, Instance, Sample

__all__ = ["DATASETS", "Dataset", "Instance", "Sample", "load_dataset"]
