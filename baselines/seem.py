"""SEEM (Segment Everything Everywhere All at Once) through the official repository's code.

The official inference code needs detectron2, an old torch and a CLIP tokenizer. The user
supplies a checkout (``--seem-root``, the UX-Decoder/Segment-Everything-Everywhere-All-At-Once
repository) and a released checkpoint (``--checkpoint``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.errors import MissingDependencyError
from seem_bench.prompts.types import Prompts

HOW = ("install the official SEEM code's requirements (detectron2, its torch) and pass "
       "--seem-root PATH_TO_CHECKOUT --checkpoint PATH_TO_{ckpt}, or serve it from its own "
       "environment with the remote bridge (see docs/models.md)")


class SeemAdapter(Adapter):
    """Base of the SEEM variants; subclasses name the checkpoint and backbone."""

    checkpoint_name: ClassVar[str] = ""
    config_name: ClassVar[str] = ""
    capabilities = Capabilities(
        tasks={"interactive", "generic", "referring", "ref-image", "vos", "composed"},
        prompts={"point", "box", "scribble", "polygon", "text", "ref_image", "none"},
        composition=True, memory=True)

    @classmethod
    def availability(cls, seem_root: str | None = None, checkpoint: str | None = None,
                     **options: Any) -> tuple[bool, str]:
        how = HOW.format(ckpt=cls.checkpoint_name)
        missing = [m for m in ("detectron2",) if importlib.util.find_spec(m) is None]
        if missing:
            return False, f"python package {', '.join(missing)} is not installed; {how}"
        if not seem_root or not (Path(seem_root) / "modeling").is_dir():
            return False, f"no SEEM checkout given (--seem-root); {how}"
        if not checkpoint or not Path(checkpoint).is_file():
            return False, f"checkpoint {checkpoint or cls.checkpoint_name!r} not found (--checkpoint); {how}"
        return True, "ok"

    def encode(self, image: np.ndarray) -> Any:
        raise MissingDependencyError(f"{self.name}: the in-process SEEM runtime is not available in this build")

    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        raise MissingDependencyError(f"{self.name}: the in-process SEEM runtime is not available in this build")


class SeemFocalT(SeemAdapter):
    name = "seem_t"
    summary = "SEEM v1 Focal-T (seem_focalt_v1.pt)"
    checkpoint_name = "seem_focalt_v1.pt"


class SeemSamViTB(SeemAdapter):
    name = "seem_b"
    summary = "SEEM v1 SAM-ViT-B (seem_samvitb_v1.pt)"
    checkpoint_name = "seem_samvitb_v1.pt"


class SeemFocalL(SeemAdapter):
    name = "seem_l"
    summary = "SEEM v1 Focal-L (seem_focall_v1.pt)"
    checkpoint_name = "seem_focall_v1.pt"


class SeemFocalTv0(SeemAdapter):
    name = "seem_t_v0"
    summary = "SEEM v0 Focal-T (seem_focalt_v0.pt)"
    checkpoint_name = "seem_focalt_v0.pt"


class SeemFocalLv0(SeemAdapter):
    name = "seem_l_v0"
    summary = "SEEM v0 Focal-L (seem_focall_v0.pt)"
    checkpoint_name = "seem_focall_v0.pt"
