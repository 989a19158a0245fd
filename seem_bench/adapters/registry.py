"""The model registry: built-in adapters plus plugins from the ``seem_bench.models`` entry points.

A third-party package adds a model without touching seem-bench::

    [project.entry-points."seem_bench.models"]
    my-model = "my_package.adapter:MyModel"

Names are resolved lazily: listing them imports nothing heavy, and an unknown name fails with a
"did you mean" suggestion:

>>> model_class("sam-b")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
seem_bench.errors.UsageError: unknown model 'sam-b'. Did you mean 'sam_b' ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seem_bench.adapters.base import Adapter, check_option_values
from seem_bench.errors import MissingDependencyError, UsageError
from seem_bench.registry import Registry

MODELS: Registry[type[Adapter]] = Registry("model", entry_point_group="seem_bench.models")

_BUILTIN = {
    "grabcut": "seem_bench.baselines.classical:GrabCutModel",
    "random-walker": "seem_bench.baselines.classical:RandomWalkerModel",
    "oracle": "seem_bench.baselines.sanity:OracleModel",
    "disks": "seem_bench.baselines.sanity:DisksModel",
    "noisy-oracle": "seem_bench.baselines.sanity:NoisyOracleModel",
    "ref-copy": "seem_bench.baselines.sanity:RefCopyModel",
    "sam_b": "seem_bench.baselines.sam:SamViTB",
    "sam_l": "seem_bench.baselines.sam:SamViTL",
    "sam_h": "seem_bench.baselines.sam:SamViTH",
    "sam2_t": "seem_bench.baselines.sam2:Sam2Tiny",
    "sam2_s": "seem_bench.baselines.sam2:Sam2Small",
    "sam2_b": "seem_bench.baselines.sam2:Sam2BasePlus",
    "sam2_l": "seem_bench.baselines.sam2:Sam2Large",
    "seem_t": "seem_bench.baselines.seem:SeemFocalT",
    "seem_b": "seem_bench.baselines.seem:SeemSamViTB",
    "seem_l": "seem_bench.baselines.seem:SeemFocalL",
    "seem_sam_l": "seem_bench.baselines.seem:SeemSamViTL",
    "seem_t_v0": "seem_bench.baselines.seem:SeemFocalTv0",
    "seem_l_v0": "seem_bench.baselines.seem:SeemFocalLv0",
    "remote": "seem_bench.adapters.remote:RemoteAdapter",
}
for _name, _spec in _BUILTIN.items():
    MODELS.register(_name, _spec)
from seem_bench.baselines.hf import HF_MODELS  # noqa: E402 - the transformers family, hf:<arch>

for _name, _spec in HF_MODELS.items():
    MODELS.register(_name, _spec)


def model_class(name: str) -> type[Adapter]:
    """The adapter class registered as ``name`` (``UsageError`` with suggestions if unknown)."""
    return MODELS.get(name)


def build_model(name: str, *, feature_cache: str | Path | bool | None = None,
                **options: Any) -> Adapter:
    """Check availability, then instantiate. Raises `MissingDependencyError` (exit 2) if not runnable.

    ``feature_cache``: ``None``/``False`` returns the adapter itself; ``True`` wraps it in the
    in-memory encode cache; a directory adds the on-disk cache there (see
    `seem_bench.adapters.cache`). Options that are ``None`` are dropped (unset CLI flags).
    """
    options = {k: v for k, v in options.items() if v is not None}
    cls = model_class(name)
    check_option_values(cls, options)  # typed and bounded before the model sees the text
    if isinstance(feature_cache, str | Path) and Path(feature_cache).exists() and not Path(feature_cache).is_dir():
        raise UsageError(f"--feature-cache {feature_cache}: not a directory (the cache is a folder of "
                         "encodings; give a new or existing directory)")
    ok, reason = cls.availability(**options)
    if not ok:
        raise MissingDependencyError(f"model {name!r} cannot run here: {reason}")
    adapter = cls.create(**options)
    if feature_cache is None or feature_cache is False:
        return adapter
    from seem_bench.adapters.cache import with_feature_cache

    return with_feature_cache(adapter, None if feature_cache is True else feature_cache)
