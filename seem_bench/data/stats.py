"""``seem-bench data stats``: what a dataset split holds, counted from its index (no pixels read).

Keys that apply: image sets give ``images`` and ``instances``; referring sets add
``expressions`` (sentences; ``instances`` counts refs); video sets give ``sequences``,
``frames`` and ``instances`` (objects, counted once per sequence).

>>> dataset_stats(load_dataset("refcoco", "/data/refer", "val"))   # doctest: +SKIP
{'images': 1500, 'instances': 3811, 'expressions': 10834}
"""

from __future__ import annotations

from seem_bench.data.types import Dataset

REFERRING = ("refcoco", "refcoco+", "refcocog")


def dataset_stats(ds: Dataset) -> dict[str, int]:
    """Counts for ``ds``: ``images``/``instances``[/``expressions``] or ``sequences``/``frames``/``instances``."""
    if any(s.frames for s in ds.samples):
        return {"sequences": len(ds.samples), "frames": sum(len(s.frames) for s in ds.samples),
                "instances": sum(len(s.instances) for s in ds.samples)}
    out = {"images": len(ds.samples), "instances": sum(len(s.instances) for s in ds.samples)}
    if ds.name in REFERRING or any(i.sentences for s in ds.samples for i in s.instances):
        out["expressions"] = sum(len(i.sentences) for s in ds.samples for i in s.instances)
    return out
