"""Encode cache: one image encoding per distinct image, in memory and optionally on disk.

Within one sample the runner already encodes once and reuses the state for every round and
every object. This module adds reuse *across* samples and runs:

- in memory, a small LRU keyed by the sha256 of the decoded pixels, so that datasets that show
  the same image in many samples (RefCOCO: one sample per referring expression; SBD: one per
  instance) still encode it once;
- on disk (``--feature-cache DIR``), one ``.npz`` per image and model::

      DIR/<model key>/identity.json          the adapter's cache_identity(), for humans
      DIR/<model key>/<sha[:2]>/<sha>.npz    the state, as arrays (no pickle)

  where ``<model key>`` is the first 20 hex digits of the sha256 of the adapter's
  `~seem_bench.adapters.base.Adapter.cache_identity` (fingerprint: weights hash, architecture,
  options, package version; plus the device type) and ``<sha>`` the sha256 of the image's
  shape, dtype and bytes. A changed checkpoint or option therefore never reads stale features.

Example::

    >>> from seem_bench.adapters.registry import build_model
    >>> model = with_feature_cache(build_model("disks"))
    >>> img = np.zeros((4, 6, 3), np.uint8)
    >>> _ = model.encode(img); _ = model.encode(img.copy())
    >>> model.stats.encodes, model.stats.memory_hits
    (1, 1)
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter, DecodeRequest, Prediction
from seem_bench.errors import UsageError
from seem_bench.io_utils import atomic_write_bytes
from seem_bench.prompts.types import Prompts

#: Bumped when the on-disk layout or the tree encoding changes; part of the model key.
CACHE_FORMAT = 1
_TREE = "__tree__"


# --------------------------------------------------------------------------- tree codec

def pack_tree(obj: Any) -> dict[str, np.ndarray] | None:
    """Encode a tree of arrays and plain values as named arrays (``None`` if it holds anything else).

    Supported leaves: numpy arrays (not ``object`` dtype), numpy scalars, ``bool``, ``int``,
    ``float``, ``str``, ``None``; containers: ``list``, ``tuple``, ``dict`` with ``str`` keys. The
    structure goes, as JSON, into the 0-d unicode array ``"__tree__"``, so `numpy.load` never
    needs pickle.

    >>> arrays = pack_tree({"hw": (2, 3), "feats": np.ones((1, 2), np.float32)})
    >>> sorted(arrays)
    ['__tree__', 'a0']
    >>> unpack_tree(arrays)["hw"]
    (2, 3)
    >>> pack_tree(object()) is None
    True
    """
    arrays: dict[str, np.ndarray] = {}

    def enc(o: Any) -> Any:
        if isinstance(o, np.ndarray):
            if o.dtype.hasobject:
                raise TypeError
            key = f"a{len(arrays)}"
            arrays[key] = o
            return {"$a": key}
        if isinstance(o, np.generic):
            key = f"a{len(arrays)}"
            arrays[key] = np.asarray(o)
            return {"$s": key}
        if o is None or isinstance(o, (bool, int, float, str)):
            return o
        if isinstance(o, tuple):
            return {"$t": [enc(v) for v in o]}
        if isinstance(o, list):
            return [enc(v) for v in o]
        if isinstance(o, dict) and all(isinstance(k, str) for k in o):
            return {"$d": {k: enc(v) for k, v in o.items()}}
        raise TypeError

    try:
        tree = enc(obj)
    except TypeError:
        return None
    arrays[_TREE] = np.array(json.dumps(tree))
    return arrays


def unpack_tree(arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of `pack_tree`."""

    def dec(o: Any) -> Any:
        if isinstance(o, list):
            return [dec(v) for v in o]
        if isinstance(o, dict):
            if "$a" in o:
                return arrays[o["$a"]]
            if "$s" in o:
                return arrays[o["$s"]][()]
            if "$t" in o:
                return tuple(dec(v) for v in o["$t"])
            return {k: dec(v) for k, v in o["$d"].items()}
        return o

    return dec(json.loads(str(arrays[_TREE][()])))


def image_digest(image: np.ndarray) -> str:
    """sha256 over the image's shape, dtype and C-order bytes (the decoded pixels, not the file)."""
    a = np.ascontiguousarray(image)
    h = hashlib.sha256(f"{a.shape}|{a.dtype.str}|".encode())
    h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def identity_key(identity: dict[str, Any]) -> str:
    """The cache directory name of a model: 20 hex digits of sha256 over its identity JSON."""
    blob = json.dumps({"format": CACHE_FORMAT, **identity}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


# --------------------------------------------------------------------------- the wrapper

@dataclass
class CacheStats:
    """Counters of a `CachedAdapter` (tests assert ``encodes`` == number of distinct images)."""

    encodes: int = 0  # calls of the wrapped adapter's encode
    memory_hits: int = 0
    disk_hits: int = 0
    disk_writes: int = 0
    unpersistable: int = 0  # states the adapter could not turn into arrays (kept in memory only)
    unreadable: int = 0  # cache files that failed to load (recomputed and rewritten)

    def to_json(self) -> dict[str, int]:
        return asdict(self)


class CachedAdapter(Adapter):
    """An adapter whose `encode` is served from the memory LRU or the disk cache when possible.

    Everything else (decode, capabilities, fingerprint, ground truth) is the wrapped adapter's:
    caching does not change a run's numbers or its fingerprint. Attribute lookups the wrapper
    does not define fall through to the wrapped adapter.
    """

    def __init__(self, inner: Adapter, cache_dir: str | Path | None = None,
                 memory_items: int = 4) -> None:
        if memory_items < 0:
            raise UsageError(f"feature cache: memory_items must be >= 0, got {memory_items}")
        self.inner = inner
        self.options = inner.options
        # Instance attributes shadow the class-level declarations so that the wrapper reports
        # the wrapped model (including capabilities a remote worker declared at connection).
        self.name = inner.name  # type: ignore[misc]
        self.summary = inner.summary  # type: ignore[misc]
        self.capabilities = inner.capabilities  # type: ignore[misc]
        self.uses_ground_truth = inner.uses_ground_truth  # type: ignore[misc]
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.memory_items = int(memory_items)
        self.stats = CacheStats()
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self._model_dir: Path | None = None

    def __getattr__(self, item: str) -> Any:
        if item == "inner":  # not yet set (during unpickling): avoid infinite recursion
            raise AttributeError(item)
        return getattr(self.inner, item)

    # -- the contract, delegated
    def fingerprint(self) -> dict[str, Any]:
        return self.inner.fingerprint()

    def cache_identity(self) -> dict[str, Any]:
        return self.inner.cache_identity()

    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        return self.inner.decode(state, prompts, memory)

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[Prediction]:
        return self.inner.decode_batch(requests)

    def set_target(self, gt: np.ndarray) -> None:
        self.inner.set_target(gt)

    def set_categories(self, categories: list[dict[str, Any]]) -> None:
        self.inner.set_categories(categories)

    def dump_state(self, state: Any) -> dict[str, np.ndarray] | None:
        return self.inner.dump_state(state)

    def load_state(self, arrays: dict[str, np.ndarray]) -> Any:
        return self.inner.load_state(arrays)

    def close(self) -> None:
        self._memory.clear()
        self.inner.close()

    # -- the cache
    def model_dir(self) -> Path | None:
        """``DIR/<model key>`` (created with its ``identity.json`` on first use), or ``None``."""
        if self.cache_dir is None:
            return None
        if self._model_dir is None:
            identity = self.inner.cache_identity()
            d = self.cache_dir / identity_key(identity)
            d.mkdir(parents=True, exist_ok=True)
            ident = d / "identity.json"
            if not ident.exists():
                atomic_write_bytes(ident, json.dumps({"format": CACHE_FORMAT, **identity}, indent=2,
                                                      sort_keys=True, default=str).encode())
            self._model_dir = d
        return self._model_dir

    def encode(self, image: np.ndarray) -> Any:
        key = image_digest(image)
        if key in self._memory:
            self._memory.move_to_end(key)
            self.stats.memory_hits += 1
            return self._memory[key]
        state = self._read(key)
        if state is None:
            state = self.inner.encode(image)
            self.stats.encodes += 1
            self._write(key, state)
        if self.memory_items:
            self._memory[key] = state
            while len(self._memory) > self.memory_items:
                self._memory.popitem(last=False)
        return state

    def _path(self, key: str) -> Path | None:
        d = self.model_dir()
        return None if d is None else d / key[:2] / f"{key}.npz"

    def _read(self, key: str) -> Any:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
            state = self.inner.load_state(arrays)
        except Exception as e:  # a torn or foreign file: recompute rather than fail or trust it
            self.stats.unreadable += 1
            print(f"seem-bench: feature cache file {path} is unreadable ({type(e).__name__}: {e}); "
                  "recomputing it", file=sys.stderr)
            return None
        self.stats.disk_hits += 1
        return state

    def _write(self, key: str, state: Any) -> None:
        path = self._path(key)
        if path is None:
            return
        arrays = self.inner.dump_state(state)
        if arrays is None:
            self.stats.unpersistable += 1
            return
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        atomic_write_bytes(path, buf.getvalue())  # concurrent ranks never see half a file
        self.stats.disk_writes += 1


def with_feature_cache(adapter: Adapter, cache_dir: str | Path | None = None,
                       memory_items: int = 4) -> CachedAdapter:
    """Wrap ``adapter`` so that each distinct image is encoded once (memory LRU + optional disk).

    ``cache_dir`` ``None`` keeps the in-memory LRU only (``memory_items`` most recent images).
    Wrapping an already wrapped adapter returns it unchanged.
    """
    if isinstance(adapter, CachedAdapter):
        return adapter
    return CachedAdapter(adapter, cache_dir, memory_items)
