"""The model registry: built-in adapters plus plugins from the ``seem_bench.models`` entry points.

A third-party package adds a model without touching seem-bench::

    [project.entry-points."seem_bench.models"]
    my-model = "my_package.adapter:MyModel"
"""

from __future__ import annotations

from typing import Any

from seem_bench.adapters.base import Adapter
from seem_bench.errors import MissingDependencyError
from seem_bench.registry import Registry

MODELS: Registry[type[Adapter]] = Registry("model", entry_point_group="seem_bench.models")

_BUILTIN = {
    "grabcut": "seem_bench.baselines.classical:GrabCutModel",
    "random-walker": "seem_bench.baselines.classical:RandomWalkerModel",
    "oracle": "seem_bench.baselines.sanity:OracleModel",
    "disks": "seem_bench.baselines.sanity:DisksModel",
    "seem_t": "seem_bench.baselines.seem:SeemFocalT",
    "seem_b": "seem_bench.baselines.seem:SeemSamViTB",
    "seem_l": "seem_bench.baselines.seem:SeemFocalL",
    "seem_t_v0": "seem_bench.baselines.seem:SeemFocalTv0",
    "seem_l_v0": "seem_bench.baselines.seem:SeemFocalLv0",
}
for _name, _spec in _BUILTIN.items():
    MODELS.register(_name, _spec)


def model_class(name: str) -> type[Adapter]:
    """The adapter class registered as ``name`` (``UsageError`` with suggestions if unknown)."""
    return MODELS.get(name)


def build_model(name: str, **options: Any) -> Adapter:
    """Check availability, then instantiate. Raises `MissingDependencyError` (exit 2) if not runnable."""
    cls = model_class(name)
    ok, reason = cls.availability(**options)
    if not ok:
        raise MissingDependencyError(f"model {name!r} cannot run here: {reason}")
    return cls(**options)
