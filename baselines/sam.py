"""SAM (Kirillov et al. 2023) through the official ``segment_anything`` package: ``sam_b/l/h``.

Encode once, decode many, exactly as the package's ``SamPredictor`` is meant to be used:
``encode`` runs ``SamPredictor.set_image`` (``ResizeLongestSide(1024)`` + the ViT image encoder)
once per image and keeps the embedding in the state; ``decode`` hands the state back to the
predictor and calls ``SamPredictor.predict(point_coords, point_labels, box, mask_input,
multimask_output)`` (``segment_anything/predictor.py``), so prompt transforms and mask
post-processing are the package's own:

- clicks go in as (x, y) pixels of the original image with labels 1/0; the predictor scales
  them by ``ResizeLongestSide.apply_coords`` (x * new_w / W, y * new_h / H, where the longer
  side becomes 1024) and the prompt encoder adds 0.5 (pixel centres);
- a box goes in as ``[x0, y0, x1, y1]`` (``Box`` of the prompt);
- with ``memory`` on, the low-resolution logits (1, 256, 256) of the mask the loop kept last
  round (the top-ranked one, or the ``output=oracle`` choice) are passed as ``mask_input``
  (SAM's iterative refinement input);
- the returned mask is SAM's own decision, ``logits > 0`` after upsampling to the original
  size; the harness's ``pred_thr`` does not apply (the mask is returned, not a probability).

Several candidates: when SAM is asked for 3 masks (``multimask_output``), every candidate goes
back to the loop in ``Prediction.extra`` (the loop's ``output=top|oracle`` task parameter picks
one; the adapter never sees the ground truth):

- ``candidates``: the masks, ``bool`` (H, W) at the original size, in the model's order;
- ``candidate_memory``: their low-resolution logits, (1, 256, 256) ``float32`` each (what
  ``output=oracle`` feeds back as ``mask_input`` for the chosen one when memory is on);
- ``candidate_scores``: SAM's predicted IoUs.

``mask`` / ``score`` / ``memory`` are the top-ranked candidate (highest predicted IoU, first on
ties): what ``output=top`` scores. With one mask asked for, ``extra`` holds no candidates.

Options (``--model-opt k=v``):

``multimask_output``  when to ask for 3 candidates: ``single-point`` (default; one click and no
    box, the ambiguous case the SAM authors recommend it for), ``always``, ``never``.
``arch``  ``vit_b`` / ``vit_l`` / ``vit_h`` (default: the model name's) or ``auto``: read the
    encoder size from the checkpoint (for fine-tuned or reduced encoders; the fingerprint
    records the dimensions found). A checkpoint that does not fit the architecture is refused.

``multimask_output``, the architecture, the checkpoint sha256 and the package version go into
the fingerprint. (The former
``multimask=top|oracle`` option is refused with a pointer to ``--set output=...``.)

>>> p = candidates_prediction(np.array([[[True, False]], [[True, True]]]), np.array([0.2, 0.9]),
...                           np.zeros((2, 4, 4), np.float32), several=True)
>>> p.mask.tolist(), p.score, len(p.extra["candidates"]), p.memory.shape
([[True, True]], 0.9, 2, (1, 4, 4))
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any, ClassVar

from seem_bench.adapters.base import Adapter, Capabilities, DecodeRequest, Prediction
from seem_bench.adapters.weights import (
    RANDOM_CHECKPOINT,
    checkpoint_problem,
    find_checkpoint,
    is_random,
    missing_modules,
    resolve_device,
)
from seem_bench.errors import UsageError
from seem_bench.io_utils import sha256_file
from seem_bench.prompts.types import Prompts
from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")

MULTIMASK_OUTPUTS = ("single-point", "always", "never")

#: The encoder dimensions of the released SAM models (``segment_anything/build_sam.py``).
SAM_ARCHS: dict[str, dict[str, Any]] = {
    "vit_b": {"encoder_embed_dim": 768, "encoder_depth": 12, "encoder_num_heads": 12,
              "encoder_global_attn_indexes": [2, 5, 8, 11]},
    "vit_l": {"encoder_embed_dim": 1024, "encoder_depth": 24, "encoder_num_heads": 16,
              "encoder_global_attn_indexes": [5, 11, 17, 23]},
    "vit_h": {"encoder_embed_dim": 1280, "encoder_depth": 32, "encoder_num_heads": 16,
              "encoder_global_attn_indexes": [7, 15, 23, 31]},
}
# _build_sam's fixed geometry: 1024-px input, 16-px patches, 14-px attention windows.
_GLOBAL_REL_POS = 2 * (1024 // 16) - 1
_WINDOW_REL_POS = 2 * 14 - 1


# --------------------------------------------------------------------------- pure helpers

def wants_multimask(rule: str, prompts: Prompts) -> bool:
    """Whether to ask the model for several candidates under ``rule`` (see module docstring)."""
    if rule == "always":
        return True
    if rule == "never":
        return False
    return len(prompts.clicks) == 1 and prompts.box is None


def candidates_prediction(masks: np.ndarray, scores: np.ndarray, low_res: np.ndarray,
                          several: bool) -> Prediction:
    """The `Prediction` of one SAM / SAM 2 ``predict`` call (see module docstring).

    ``masks``: (C, H, W) at the original size (bool, or SAM 2's float 0/1); ``scores``: (C,)
    predicted IoUs; ``low_res``: (C, 256, 256) logits. ``mask``/``score``/``memory`` are the
    top-ranked candidate (``numpy.argmax``: first on ties); with ``several`` every candidate also
    goes into ``extra`` in the model's order, for the loop's ``output=oracle``.
    """
    masks = np.asarray(masks)
    masks = masks > 0 if masks.dtype != bool else masks
    scores = np.asarray(scores, np.float64).reshape(-1)
    low = np.asarray(low_res, np.float32)
    k = int(np.argmax(scores))
    extra: dict[str, Any] = {}
    if several:
        extra = {"candidates": [masks[i] for i in range(len(masks))],
                 "candidate_memory": [low[i:i + 1] for i in range(len(low))],
                 "candidate_scores": [float(v) for v in scores]}
    return Prediction(mask=masks[k], score=float(scores[k]), memory=low[k:k + 1], extra=extra)


@dataclass
class BatchGroup:
    """Requests that one batched forward pass can serve: same state, same prompt shape.

    SAM's decoders take a batch of prompts against one image embedding, but every prompt of a
    batch must have the same number of points, a box or not, a mask input or not, and the same
    ``multimask_output``. Padding with "not a point" tokens would add tokens to the mask
    decoder's attention and change the masks, so requests are grouped instead (in a lockstep
    round most objects have the same number of clicks).
    """

    indices: list[int]
    state: Any
    coords: np.ndarray | None  # (B, N, 2)
    labels: np.ndarray | None  # (B, N)
    boxes: np.ndarray | None  # (B, 4)
    masks: np.ndarray | None  # (B, 1, 256, 256)
    multi: bool


def batch_groups(requests: Sequence[DecodeRequest], rule: str) -> tuple[dict[int, Prediction], list[BatchGroup]]:
    """Split ``requests`` into `BatchGroup`s; requests without any prompt are answered directly
    (an empty mask at the state's size, as `SamAdapter.decode` does), by index."""
    empty: dict[int, Prediction] = {}
    keyed: dict[tuple, list[int]] = {}
    parts: dict[int, tuple] = {}
    for i, req in enumerate(requests):
        coords, labels = click_arrays(req.prompts)
        box = box_array(req.prompts)
        if coords is None and box is None:
            empty[i] = Prediction(mask=np.zeros(_orig_size(req.state), bool))
            continue
        multi = wants_multimask(rule, req.prompts)
        key = (id(req.state), None if coords is None else len(coords), box is not None,
               req.memory is not None, multi)
        keyed.setdefault(key, []).append(i)
        parts[i] = (coords, labels, box, req.memory)
    groups = []
    for key, idx in keyed.items():
        coords = None if key[1] is None else np.stack([parts[i][0] for i in idx])
        labels = None if key[1] is None else np.stack([parts[i][1] for i in idx])
        boxes = np.stack([parts[i][2] for i in idx]) if key[2] else None
        masks = np.stack([np.asarray(parts[i][3], np.float32) for i in idx]) if key[3] else None
        groups.append(BatchGroup(idx, requests[idx[0]].state, coords, labels, boxes, masks, key[4]))
    return empty, groups


def _orig_size(state: Any) -> tuple[int, int]:
    return tuple(getattr(state, "original_size", None) or state.orig_hw)  # SamState / Sam2State


def click_arrays(prompts: Prompts) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(point_coords (N, 2) float, point_labels (N,) int)`` as SAM predictors take them, or ``None``s."""
    if not prompts.clicks:
        return None, None
    coords = np.array([[c.x, c.y] for c in prompts.clicks], dtype=np.float64)
    labels = np.array([1 if c.positive else 0 for c in prompts.clicks], dtype=np.int64)
    return coords, labels


def box_array(prompts: Prompts) -> np.ndarray | None:
    """``[x0, y0, x1, y1]`` as SAM predictors take a box, or ``None``."""
    if prompts.box is None:
        return None
    b = prompts.box
    return np.array([b.x0, b.y0, b.x1, b.y1], dtype=np.float64)


def arch_from_state_dict(sd: dict[str, Any]) -> dict[str, Any]:
    """The ``_build_sam`` encoder arguments that fit a SAM state dict (raises ``ValueError``).

    embed dim from the patch embedding, depth from the block indices, heads from the relative
    position tables (their width is the head dim), global-attention blocks from the tables'
    length (2*64-1 for global attention at 1024 px, 2*14-1 for 14-px windows).
    """
    try:
        embed = int(sd["image_encoder.patch_embed.proj.weight"].shape[0])
    except KeyError:
        raise ValueError("no image_encoder.patch_embed.proj.weight: not a SAM state dict") from None
    blocks = sorted({int(m.group(1)) for k in sd if (m := re.match(r"image_encoder\.blocks\.(\d+)\.", k))})
    if not blocks or blocks != list(range(len(blocks))):
        raise ValueError("image_encoder.blocks.* are missing or not numbered 0..N-1")
    head_dim = int(sd["image_encoder.blocks.0.attn.rel_pos_h"].shape[1])
    if embed % head_dim:
        raise ValueError(f"embed dim {embed} is not a multiple of the head dim {head_dim}")
    glob = []
    for i in blocks:
        n = int(sd[f"image_encoder.blocks.{i}.attn.rel_pos_h"].shape[0])
        if n == _GLOBAL_REL_POS:
            glob.append(i)
        elif n != _WINDOW_REL_POS:
            raise ValueError(f"block {i} has relative positions for {n} offsets: not SAM's 1024-px / "
                             "14-px-window geometry")
    return {"encoder_embed_dim": embed, "encoder_depth": len(blocks),
            "encoder_num_heads": embed // head_dim, "encoder_global_attn_indexes": glob}


def parse_multimask_output(multimask_output: str) -> str:
    """Validate ``multimask_output`` (``UsageError`` naming the allowed values)."""
    if multimask_output not in MULTIMASK_OUTPUTS:
        raise UsageError(f"--model-opt multimask_output must be one of {', '.join(MULTIMASK_OUTPUTS)}, "
                         f"got {multimask_output!r}")
    return multimask_output


def reject_unknown(model: str, options: dict[str, Any]) -> None:
    if options.get("multimask") is not None:
        raise UsageError(f"model {model!r}: --model-opt multimask was removed: the adapter returns every "
                         "candidate and the task parameter output picks one (--set output=top|oracle)")
    unknown = sorted(k for k, v in options.items() if v is not None)
    if unknown:
        raise UsageError(f"model {model!r}: unknown option(s) {', '.join(unknown)}")


# --------------------------------------------------------------------------- the adapter

@dataclass
class SamState:
    """One encoded image: the (1, 256, 64, 64) embedding and the sizes the predictor needs."""

    features: Any  # torch.Tensor on the model's device
    original_size: tuple[int, int]  # (H, W) of the image
    input_size: tuple[int, int]  # (h, w) after ResizeLongestSide, before padding to 1024


class SamAdapter(Adapter):
    """Base of ``sam_b``, ``sam_l``, ``sam_h``; subclasses name the architecture and the file."""

    arch: ClassVar[str] = ""
    checkpoint_name: ClassVar[str] = ""
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point", "box"}, memory=True, max_batch=64)

    def __init__(self, checkpoint: str | None = None, device: str | None = None,
                 multimask_output: str = "single-point", arch: str | None = None,
                 seed: int | str = 0, **options: Any) -> None:
        reject_unknown(self.name, options)
        import torch
        from segment_anything import SamPredictor
        from segment_anything.build_sam import _build_sam, sam_model_registry

        self.multimask_output = parse_multimask_output(multimask_output)
        arch = arch or self.arch
        if arch != "auto" and arch not in SAM_ARCHS:
            raise UsageError(f"--model-opt arch must be auto or one of {', '.join(SAM_ARCHS)}, got {arch!r}")
        self.random_weights = is_random(checkpoint)
        self.device = resolve_device(device)
        self.device_type = self.device.type
        if self.random_weights:
            if arch == "auto":
                raise UsageError(f"model {self.name!r}: --model-opt arch=auto reads the architecture from a "
                                 "checkpoint; --checkpoint random needs a fixed arch")
            super().__init__(checkpoint=RANDOM_CHECKPOINT, multimask_output=self.multimask_output, arch=arch)
            self.checkpoint = None
            self.seed = int(seed)
            torch.manual_seed(self.seed)  # segment_anything's own initialisation, seeded
            sam = sam_model_registry[arch](checkpoint=None)
            self.arch_dims = dict(SAM_ARCHS[arch])
            self.arch_name = arch
            self.model = sam.to(self.device).eval()
            self.predictor = SamPredictor(self.model)
            return
        path = find_checkpoint(checkpoint, self.checkpoint_name)
        problem = checkpoint_problem(checkpoint, self.checkpoint_name)
        if problem:
            raise UsageError(f"model {self.name!r}: {problem}")
        super().__init__(checkpoint=str(path), multimask_output=self.multimask_output, arch=arch)
        self.checkpoint = path
        sd = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(sd, dict) and "model" in sd and "image_encoder.patch_embed.proj.weight" not in sd:
            sd = sd["model"]  # training-style checkpoints wrap the state dict
        try:
            found = arch_from_state_dict(sd)
        except ValueError as e:
            raise UsageError(f"checkpoint {path}: {e}") from None
        if arch == "auto":
            dims = found
            sam = _build_sam(checkpoint=None, **dims)
        else:
            dims = SAM_ARCHS[arch]
            if found != dims:  # say what the file is instead of listing a hundred missing keys
                raise UsageError(
                    f"checkpoint {path} holds a ViT encoder with embed dim {found['encoder_embed_dim']}, "
                    f"depth {found['encoder_depth']}, {found['encoder_num_heads']} heads, not SAM {arch} "
                    f"({dims['encoder_embed_dim']}, {dims['encoder_depth']}, {dims['encoder_num_heads']}); "
                    "pick the model that matches the file (sam_b/sam_l/sam_h) or --model-opt arch=auto")
            sam = sam_model_registry[arch](checkpoint=None)  # the package's own builder
        try:
            sam.load_state_dict(sd, strict=True)
        except RuntimeError as e:
            detail = " ".join(str(e).split())[:300]
            raise UsageError(f"checkpoint {path} does not load into SAM {arch}: {detail}") from None
        self.arch_dims = dict(dims)
        self.arch_name = arch
        self.model = sam.to(self.device).eval()
        self.predictor = SamPredictor(self.model)

    @classmethod
    def availability(cls, checkpoint: str | None = None, **options: Any) -> tuple[bool, str]:
        missing = missing_modules("torch", "torchvision", "segment_anything")
        if missing:
            return False, (f"python package(s) {', '.join(missing)} not installed "
                           "(pip install 'seem-bench[sam]')")
        problem = checkpoint_problem(checkpoint, cls.checkpoint_name)
        if problem:
            return False, problem
        arch = options.get("arch") or cls.arch
        if arch == "auto" or is_random(checkpoint):
            return True, "ok"
        found = _peek_arch(find_checkpoint(checkpoint, cls.checkpoint_name))  # type: ignore[arg-type]
        if found is not None and found != SAM_ARCHS.get(arch):
            return False, (f"checkpoint holds a ViT encoder with embed dim {found['encoder_embed_dim']} and depth "
                           f"{found['encoder_depth']}, not SAM {arch}; use the matching sam_* name or "
                           "--model-opt arch=auto")
        return True, "ok"

    def fingerprint(self) -> dict[str, Any]:
        if self.random_weights:
            weights = {"checkpoint": RANDOM_CHECKPOINT, "random_weights": True, "seed": self.seed,
                       "torch": _version("torch")}
        else:
            weights = {"checkpoint_file": self.checkpoint.name, "checkpoint_sha256": sha256_file(self.checkpoint)}
        return {"name": self.name, "arch": self.arch_name, "encoder": self.arch_dims, **weights,
                "multimask_output": self.multimask_output,
                "segment_anything": _version("segment-anything")}

    # -- encode / decode
    def encode(self, image: np.ndarray) -> SamState:
        _check_image(image)
        p = self.predictor
        p.set_image(image, image_format="RGB")
        import torch

        if p.features.is_cuda:  # CUDA is asynchronous: make encode_s the encoder's real time
            torch.cuda.synchronize(p.features.device)
        state = SamState(p.features, tuple(p.original_size), tuple(p.input_size))
        p.reset_image()  # the state now owns the features
        return state

    def _activate(self, state: SamState) -> None:
        # SamPredictor keeps one image; point it at this state's (read-only) embedding.
        p = self.predictor
        p.features = state.features
        p.original_size = state.original_size
        p.input_size = state.input_size
        p.is_image_set = True

    def decode(self, state: SamState, prompts: Prompts, memory: Any = None) -> Prediction:
        coords, labels = click_arrays(prompts)
        box = box_array(prompts)
        if coords is None and box is None:
            return Prediction(mask=np.zeros(state.original_size, bool))
        self._activate(state)
        multi = wants_multimask(self.multimask_output, prompts)
        masks, scores, low = self.predictor.predict(point_coords=coords, point_labels=labels, box=box,
                                                    mask_input=memory, multimask_output=multi)
        return candidates_prediction(masks, scores, low, several=multi and len(masks) > 1)

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[Prediction]:
        """One ``SamPredictor.predict_torch`` pass per `BatchGroup` (same image, same prompt shape).

        The prompt transforms are `decode`'s (``apply_coords`` / ``apply_boxes`` on the original
        size); each request gets what `decode` would return, up to the float noise of the batched
        kernels (see docs/models.md for the measured difference).
        """
        import torch

        out, groups = batch_groups(requests, self.multimask_output)
        p = self.predictor
        for g in groups:
            self._activate(g.state)
            dev = p.device
            coords = labels = boxes = masks_in = None
            if g.coords is not None:
                coords = torch.as_tensor(p.transform.apply_coords(g.coords, p.original_size),
                                         dtype=torch.float, device=dev)
                labels = torch.as_tensor(g.labels, dtype=torch.int, device=dev)
            if g.boxes is not None:
                boxes = torch.as_tensor(p.transform.apply_boxes(g.boxes, p.original_size),
                                        dtype=torch.float, device=dev)
            if g.masks is not None:
                masks_in = torch.as_tensor(g.masks, dtype=torch.float, device=dev)
            masks, scores, low = p.predict_torch(coords, labels, boxes, masks_in, g.multi)
            masks, scores, low = (t.detach().cpu().numpy() for t in (masks, scores, low))
            for j, i in enumerate(g.indices):
                out[i] = candidates_prediction(masks[j], scores[j], low[j], several=g.multi and masks.shape[1] > 1)
        return [out[i] for i in range(len(requests))]

    # -- feature cache
    def dump_state(self, state: SamState) -> dict[str, np.ndarray]:
        return {"features": state.features.detach().cpu().numpy(),
                "original_size": np.asarray(state.original_size, np.int64),
                "input_size": np.asarray(state.input_size, np.int64)}

    def load_state(self, arrays: dict[str, np.ndarray]) -> SamState:
        import torch

        return SamState(torch.from_numpy(np.ascontiguousarray(arrays["features"])).to(self.device),
                        tuple(int(v) for v in arrays["original_size"]),  # type: ignore[arg-type]
                        tuple(int(v) for v in arrays["input_size"]))  # type: ignore[arg-type]

    def close(self) -> None:
        self.predictor.reset_image()


def _peek_arch(path: Any) -> dict[str, Any] | None:
    """Encoder dimensions of a SAM checkpoint read through a memory map (no weights loaded).

    ``None`` when the file cannot be mapped (legacy torch format) or is not a SAM state dict:
    then only loading it can tell.
    """
    import torch

    try:
        sd = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        if isinstance(sd, dict) and "model" in sd and "image_encoder.patch_embed.proj.weight" not in sd:
            sd = sd["model"]
        return arch_from_state_dict(sd)
    except Exception:
        return None


def _check_image(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected a uint8 (H, W, 3) RGB image, got {image.dtype} {image.shape}")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


class SamViTB(SamAdapter):
    name = "sam_b"
    summary = "SAM ViT-B (segment_anything, sam_vit_b_01ec64.pth)"
    arch = "vit_b"
    checkpoint_name = "sam_vit_b_01ec64.pth"


class SamViTL(SamAdapter):
    name = "sam_l"
    summary = "SAM ViT-L (segment_anything, sam_vit_l_0b3195.pth)"
    arch = "vit_l"
    checkpoint_name = "sam_vit_l_0b3195.pth"


class SamViTH(SamAdapter):
    name = "sam_h"
    summary = "SAM ViT-H (segment_anything, sam_vit_h_4b8939.pth)"
    arch = "vit_h"
    checkpoint_name = "sam_vit_h_4b8939.pth"
