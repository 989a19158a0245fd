"""What every ``hf:<arch>`` adapter shares: weights, processor, fingerprint, availability.

Weights come from one of two places, never from the network (``HF_HUB_OFFLINE=1`` is set before
transformers is imported):

- ``--checkpoint DIR``: a local ``from_pretrained`` directory, i.e. a snapshot of the model's Hub
  repository (``config.json``, ``model.safetensors`` or ``pytorch_model.bin`` / sharded
  ``*.safetensors`` + index, and the processor files ``preprocessor_config.json`` /
  ``processor_config.json`` / tokenizer files where the model has them). The sha256 of every
  weight file and of ``config.json`` goes into the fingerprint (the run header).
- ``--checkpoint random``: the architecture built from its config with transformers' own
  initialisation, seeded by ``--seed`` (a smoke mode, marked ``random weights``). ``--model-opt
  config=default`` (the default) is the released architecture; ``config=tiny`` a few-layer
  version of the same classes, for the test suite.

The processor (resizing, normalisation, prompt coordinate transforms, mask post-processing) is
the model's own transformers processor: read from DIR when DIR has its files, else built with
the processor's defaults (and the offline CLIP tokenizer where the model has text), recorded as
``processor: default`` in the fingerprint.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from seem_bench.adapters.base import Adapter
from seem_bench.adapters.weights import (
    RANDOM_CHECKPOINT,
    is_random,
    missing_modules,
    resolve_device,
)
from seem_bench.errors import UsageError
from seem_bench.io_utils import sha256_file
from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no download attempt, ever
CONFIGS = ("default", "tiny")
_WEIGHT_SUFFIXES = (".safetensors", ".bin")


def weight_files(directory: Path) -> list[Path]:
    """The weight files of a ``from_pretrained`` directory, sorted (shards included)."""
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in _WEIGHT_SUFFIXES)


def has_processor_files(directory: Path | None) -> bool:
    """Whether a checkpoint directory carries its processor (``preprocessor_config.json`` as on the
    Hub, or ``processor_config.json`` as transformers 5's ``save_pretrained`` writes it)."""
    return directory is not None and any((directory / n).is_file()
                                         for n in ("preprocessor_config.json", "processor_config.json"))


def checkpoint_dir_problem(checkpoint: Any, hub_id: str) -> str | None:
    """Why ``checkpoint`` is not a usable weights source for a model released as ``hub_id``."""
    if is_random(checkpoint):
        return None
    if not checkpoint:
        return (f"no weights: pass --checkpoint DIR (a local snapshot of the Hub repository {hub_id}: "
                "config.json, model.safetensors, processor files) or --checkpoint random")
    d = Path(str(checkpoint)).expanduser()
    if not d.is_dir():
        return f"--checkpoint {d}: not a directory (hf:* models load a from_pretrained directory)"
    if not (d / "config.json").is_file():
        return f"--checkpoint {d}: no config.json (expected a snapshot of {hub_id})"
    if not weight_files(d):
        return f"--checkpoint {d}: no *.safetensors or *.bin weight file"
    return None


def _image_check(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected a uint8 (H, W, 3) RGB image, got {image.dtype} {image.shape}")


class HfAdapter(Adapter):
    """Base of the ``hf:*`` adapters; subclasses name the transformers classes and configs."""

    hub_id: ClassVar[str] = ""  # the released checkpoint's Hub repository (docs and messages only)
    model_class: ClassVar[str] = ""  # transformers class name
    needs_tokenizer: ClassVar[bool] = False  # CLIP BPE (SAM 3, CLIPSeg)

    def __init__(self, checkpoint: str | None = None, device: str | None = None, seed: int | str = 0,
                 config: str = "default", **options: Any) -> None:
        problem = checkpoint_dir_problem(checkpoint, self.hub_id)
        if problem:
            raise UsageError(f"model {self.name!r}: {problem}")
        if config not in CONFIGS:
            raise UsageError(f"model {self.name!r}: --model-opt config must be one of {', '.join(CONFIGS)}, "
                             f"got {config!r}")
        self.random_weights = is_random(checkpoint)
        if not self.random_weights and config != "default":
            raise UsageError(f"model {self.name!r}: --model-opt config=tiny is for --checkpoint random "
                             "(a checkpoint directory carries its own config.json)")
        self.checkpoint_dir = None if self.random_weights else Path(str(checkpoint)).expanduser()
        self.seed = int(seed)
        self.config_name = config
        super().__init__(checkpoint=str(self.checkpoint_dir or RANDOM_CHECKPOINT), config=config, **options)
        import torch
        import transformers

        self.device = resolve_device(device)
        self.device_type = self.device.type
        cls = getattr(transformers, self.model_class)
        if self.random_weights:
            torch.manual_seed(self.seed)  # transformers' _init_weights draws from torch's generator
            model = cls(self.build_config(config))
        else:
            try:
                model = cls.from_pretrained(str(self.checkpoint_dir), local_files_only=True)
            except (OSError, ValueError, RuntimeError, KeyError) as e:
                detail = " ".join(str(e).split())[:300]
                raise UsageError(f"--checkpoint {self.checkpoint_dir} does not load into {self.model_class}: "
                                 f"{detail}") from None
        self.model = model.to(self.device).eval()
        self.processor, self.processor_source = self.build_processor(self.checkpoint_dir)

    # -- what subclasses provide
    def build_config(self, config: str) -> Any:
        """The transformers config of ``config`` (``default``: the released architecture)."""
        raise NotImplementedError

    def build_processor(self, checkpoint_dir: Path | None) -> tuple[Any, str]:
        """``(processor, "checkpoint" | "default")``."""
        raise NotImplementedError

    # -- shared
    @classmethod
    def availability(cls, checkpoint: str | None = None, **options: Any) -> tuple[bool, str]:
        missing = missing_modules("torch", "transformers")
        if missing:
            return False, f"python package(s) {', '.join(missing)} not installed (pip install 'seem-bench[hf]')"
        major = int(metadata.version("transformers").split(".")[0])
        if major < 5:
            return False, f"transformers {metadata.version('transformers')} is too old: pip install 'transformers>=5'"
        problem = checkpoint_dir_problem(checkpoint, cls.hub_id)
        if problem:
            return False, problem
        if cls.needs_tokenizer:
            from seem_bench.baselines.hf.tokenizer import bpe_source

            has_own = checkpoint and not is_random(checkpoint) and (Path(str(checkpoint)) / "vocab.json").is_file()
            if not has_own and bpe_source() is None:
                return False, "the CLIP tokenizer needs open_clip's BPE file: pip install --no-deps open_clip_torch"
        return True, "ok"

    def fingerprint(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "model_class": self.model_class,
                               "transformers": metadata.version("transformers"),
                               "processor": self.processor_source}
        if self.random_weights:
            out.update({"checkpoint": RANDOM_CHECKPOINT, "random_weights": True, "seed": self.seed,
                        "config": self.config_name, "torch": metadata.version("torch")})
        else:
            d = self.checkpoint_dir
            assert d is not None
            out["checkpoint_dir"] = str(d)
            out["checkpoint_sha256"] = {p.name: sha256_file(p) for p in [d / "config.json", *weight_files(d)]}
        out["options"] = {k: str(v) for k, v in sorted(self.options.items())
                          if k not in ("device", "checkpoint", "config")}
        return out

    def dump_state(self, state: Any) -> None:
        return None  # states hold torch tensors / model outputs: kept in memory only

    @staticmethod
    def check_image(image: np.ndarray) -> None:
        _image_check(image)
