"""SEEM (Zou et al., NeurIPS 2023) through the official repository's inference code.

Where it runs: ``bash scripts/seem_env.sh`` builds a dedicated environment (torch, detectron2
from MaureenZOU/detectron2-xyz, SEEM's inference requirements, the CLIP tokenizer offline) and
unpacks SEEM there (`seem_bench.adapters.seem_env`). When SEEM's requirements import in this
process (``--seem-root`` or the environment's own source) the adapter runs in-process; otherwise
`create` returns `seem_bench.adapters.seem_bridge.SeemBridge`, which serves the same adapter class
from that environment through the remote bridge (same fingerprint, same records).

What was executed (tests/adapters/test_seem_real.py, CPU, ``--checkpoint random``): interactive
(memory on/off; click, box, scribble, polygon first prompts), referring, composed text + clicks,
feature cache, bridge vs in-process, generic (panoptic/instance/semantic). Released checkpoints
and CUDA/FP16 have not been run by the seem-bench authors. Fixes the released code needed here:
CUDA-only calls redirected to the device while building and embedding text (`cuda_calls_on`),
``BACKBONE.LOAD_PRETRAINED`` off for the SAM-ViT configs, a stand-in for the compiled deformable
attention op (`deformable_attention_fallback`), class embeddings only when a task scores classes.

How the adapter maps onto the official code (v1 = ``seem_model_v1.py`` + ``interface/seem_v1.py``):

- model: ``BaseModel(opt, build_model(opt)).from_pretrained(ckpt)`` with ``opt`` loaded by
  ``utils/arguments.load_opt_from_config_files`` from ``configs/seem/<config>.yaml`` (as
  ``demo/seem/app.py``); FP16 autocast on CUDA as ``assets/readmes/EVAL.md`` runs it
  (``FP16 True``); text embeddings set with ``lang_encoder.get_text_embeddings`` (COCO classes,
  as the demo; class logits are not used for the masks returned here).
- encode (once per image): the image is resized as the interactive dataset mapper does
  (``datasets/dataset_mappers/pascalvoc_dataset_mapper_ix.py``: torchvision
  ``Resize(MIN_SIZE_TEST, BICUBIC, max_size=MAX_SIZE_TEST)`` on a PIL image; sizes from the
  config's ``VOC``/``SBD``/``DAVIS``/``REF`` section, option ``input``), normalised with the
  model's pixel mean/std, padded by ``ImageList.from_tensors(size_divisibility)``, then
  ``backbone`` and ``sem_seg_head.pixel_decoder.forward_features`` (the "image encoder" of the
  paper). The state keeps ``mask_features`` and ``multi_scale_features``.
- decode, visual prompts: clicks/boxes/scribbles/polygons are rasterised at network resolution
  (a click as a ``2 * Prompts.click_radius + 1`` square of cells: the ``seem`` protocol's radius
  1 is SEEM's 3x3; a scribble or polygon from its ``mask`` when the simulator gave one, resampled
  to the grid, else drawn from its points)
  into ``extra = {'spatial_query_pos_mask': [(1, Hp, Wp) bool], 'spatial_query_neg_mask': [...]}``
  (the format of ``evaluate_interactive``); memory on adds ``extra['prev_mask']`` = the previous
  round's ``outputs['prev_mask']`` (``evaluate_interactive``: ``extra.update(outputs)``); then
  ``sem_seg_head.predictor(multi_scale_features, mask_features, extra=extra, task='spatial')``.
  The model selects the output itself (``attention_data_struct_seemv1.update_spatial_results``:
  the spatial query whose mask embedding best matches the positive prompt embedding) and
  returns ``prev_mask`` (1, 1, Hp/4, Wp/4) logits, upsampled as ``evaluate_interactive`` does:
  bilinear to the padded size, crop to the resized size, bilinear to the original size,
  ``sigmoid > 0.5``.
- decode, text only (referring): ``grounding_tokens`` / ``grounding_nonzero_mask`` from
  ``lang_encoder.get_text_token_embeddings`` and ``task='grounding_eval'``, then the query whose
  ``pred_gtexts`` embedding has the highest cosine similarity with the sentence's ``class_emb``
  (``evaluate_grounding``); bilinear to the padded size, SEEM's own bicubic
  ``sem_seg_postprocess`` to the original size, ``sigmoid > 0.5``. One sentence per decode, or
  with ``grounding_batch`` all sentences of an image in one pass as ``evaluate_grounding``
  (`SeemAdapter._decode_grounding`; tests/adapters/test_seem_grounding_fidelity.py shows the
  records equal SEEM's grounding evaluator).
- text + visual (composition): the tokens of both, with the attention hook the evaluator applies
  for ``STROKE_SAMPLER.EVAL.GROUNDING`` (``pipeline/utils/misc.py`` ``hook_opt``: spatial queries
  also attend to ``tokens_grounding``), as ``evaluate_interactive_grounding``.
- referenced image: only v0 (``seem_t_v0``, ``seem_l_v0``). In v1 the ``refimg_tokens`` branch
  of ``modeling/interface/seem_v1.py`` (lines 281-331 at the fetched commit 7b2e76d) uses
  ``src_spatial_indices`` that only the other branch defines, so the released v1 code cannot
  decode a referenced-image prompt; v1 names do not declare ``ref_image``.

Known differences from the official evaluator, by construction of the harness: objects are
decoded one at a time (SEEM v1 decodes all objects of an image in one batch; the 512-point
sampling cap of ``modeling/utils/interactive.rand_sample`` is then shared by all objects, here
it applies per object, which only matters when prompts cover more than 512 pixels); clicks come
from the harness's protocol at original resolution and are mapped to the network grid (pixel
whose area contains the click's centre), where SEEM's sampler clicks on the resized mask. The
point sampling of ``rand_sample`` is random when prompts cover more than 512 pixels: the
adapter seeds torch with option ``seed`` (default 0) before every decode. Protocol
``seem-official`` removes these differences through `SeemAdapter.decode_grid` (prompt masks
on the grid, objects batched as SEEM does; `seem_bench.loops.seem_official`).

Generic segmentation (no prompt): SEEM's own ``evaluate`` on the cached encoding
(`SeemAdapter.generic_outputs`); with ``preprocess=seem-official`` a generic run equals SEEM's COCO
evaluation end to end (tests/adapters/test_seem_generic_fidelity.py). Not implemented: audio
prompts, video.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import os
import sys
import types
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from seem_bench.adapters import seem_env
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
from seem_bench.prompts.types import Polygon, Prompts
from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")

HOW = ("build SEEM's environment with `bash scripts/seem_env.sh` (seem-bench then runs SEEM there through "
       "the remote bridge), or install the official SEEM code's requirements here and pass --seem-root "
       "(docs/models.md \"Running SEEM\")")
#: Image resize before the encoder: ``interactive`` = the interactive/VOC mapper's torchvision
#: bicubic (``pascalvoc_dataset_mapper_ix.py:62``); ``seem-official`` = SEEM's COCO and RefCOCO
#: evaluation mappers (detectron2 ``ResizeShortestEdge``, `shortest_edge_resize`), at the
#: ``COCO.INPUT`` test sizes unless ``input`` names another section (``REF`` for referring).
PREPROCESS_MODES = ("interactive", "seem-official")
#: What must import for SEEM to run in this process.
REQUIRED_MODULES = ("torch", "torchvision", "detectron2", "transformers", "kornia", "timm", "mpi4py")

#: Config sections whose INPUT sizes the official evaluator uses for each benchmark family.
INPUT_SECTIONS = ("VOC", "SBD", "DAVIS", "REF", "COCO")
#: ``STROKE_SAMPLER.DILATION`` of every released config: a click is a 3x3 square (what the
#: ``seem`` protocol's ``click_radius`` 1 gives); also the width of a scribble drawn from points.
CLICK_DILATION = 3
#: ``Polygon.draw_eval`` (datasets/visual_sampler/polygon.py): the outline is dilated 5 times
#: with the 8-connected 3x3 structure, i.e. an 11x11 square brush.
POLYGON_DILATE_ITERATIONS = 5


# --------------------------------------------------------------------------- pure: geometry

def resized_hw(h: int, w: int, min_size: int, max_size: int | None) -> tuple[int, int]:
    """(h', w') of torchvision ``Resize(min_size, max_size=max_size)`` for an (h, w) image.

    The shorter side becomes ``min_size`` and the longer ``int(min_size * long / short)``; if that
    exceeds ``max_size`` the longer side becomes ``max_size`` and the shorter
    ``int(max_size * short' / long')`` (torchvision's ``_compute_resized_output_size``).

    >>> resized_hw(100, 200, 800, 1333)
    (666, 1333)
    >>> resized_hw(480, 640, 1000, 1024)
    (768, 1024)
    """
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = int(min_size), int(min_size * long / short)
    if max_size is not None and new_long > max_size:
        new_short, new_long = int(max_size * new_short / new_long), int(max_size)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return new_h, new_w


def shortest_edge_resize(image: np.ndarray, min_size: int, max_size: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The resize of SEEM's COCO and RefCOCO evaluations, and the (h', w') it must give.

    ``build.py`` gives ``coco_2017_val_panoptic_with_sem_seg`` no mapper of its own, so
    ``_test_loader_from_config`` uses detectron2's ``DatasetMapper(cfg, is_train=False)``, whose
    only augmentation is ``T.ResizeShortestEdge(MIN_SIZE_TEST, MAX_SIZE_TEST, "choice")``
    (``detection_utils.build_augmentation``); ``refcoco_dataset_mapper.py:59-66``
    (``build_transform_gen_se``) applies the same transform at the ``REF`` sizes. PIL bilinear on
    the uint8 image, sides rounded with ``int(x + 0.5)``: detectron2's own transform runs here.
    """
    from detectron2.data import transforms as T

    h, w = image.shape[:2]
    aug = T.ResizeShortestEdge(int(min_size), int(max_size), "choice")
    want = T.ResizeShortestEdge.get_output_shape(h, w, int(min_size), int(max_size))
    return aug.get_transform(image).apply_image(image), (int(want[0]), int(want[1]))


def padded_hw(h: int, w: int, size_divisibility: int) -> tuple[int, int]:
    """Size after detectron2 ``ImageList.from_tensors(size_divisibility)`` (zero pad bottom/right)."""
    if size_divisibility <= 1:
        return h, w
    d = int(size_divisibility)
    return (h + d - 1) // d * d, (w + d - 1) // d * d


def to_grid(x: float, y: float, src_hw: tuple[int, int], dst_hw: tuple[int, int]) -> tuple[int, int]:
    """Network-grid cell ``(gx, gy)`` holding the centre of original pixel (x, y).

    ``gx = floor((x + 0.5) * w' / W)``, clipped to the grid (same for y).

    >>> to_grid(10, 20, (100, 200), (666, 1333))
    (69, 136)
    """
    (h, w), (nh, nw) = src_hw, dst_hw
    gx = min(nw - 1, max(0, math.floor((x + 0.5) * nw / w)))
    gy = min(nh - 1, max(0, math.floor((y + 0.5) * nh / h)))
    return gx, gy


def _scaled_points(points: np.ndarray, src_hw: tuple[int, int], dst_hw: tuple[int, int]) -> np.ndarray:
    (h, w), (nh, nw) = src_hw, dst_hw
    p = np.asarray(points, np.float64).reshape(-1, 2)
    # Continuous coordinates: pixel centres map to pixel centres.
    out = np.empty_like(p)
    out[:, 0] = (p[:, 0] + 0.5) * nw / w - 0.5
    out[:, 1] = (p[:, 1] + 0.5) * nh / h - 0.5
    return np.round(out).astype(np.int32)


def mask_to_grid(mask: np.ndarray, net_hw: tuple[int, int], pad_hw: tuple[int, int]) -> np.ndarray:
    """An original-size ``bool`` (H, W) prompt mask on the network grid, ``bool`` (Hp, Wp).

    A cell is set when the pixel holding its centre is set (nearest at cell centres), plus the
    cell holding each set pixel's centre (`to_grid`), so that a down-scaled 1-pixel stroke keeps
    every pixel; nothing spills into the padding.

    >>> mask_to_grid(np.eye(2, dtype=bool), (4, 4), (4, 5)).astype(int)
    array([[1, 1, 0, 0, 0],
           [1, 1, 0, 0, 0],
           [0, 0, 1, 1, 0],
           [0, 0, 1, 1, 0]])
    """
    m = np.asarray(mask, bool)
    (h, w), (nh, nw) = m.shape, net_hw
    rows = np.minimum(((np.arange(nh) + 0.5) * h / nh).astype(np.int64), h - 1)
    cols = np.minimum(((np.arange(nw) + 0.5) * w / nw).astype(np.int64), w - 1)
    out = np.zeros(pad_hw, bool)
    out[:nh, :nw] = m[np.ix_(rows, cols)]
    ys, xs = np.nonzero(m)
    out[np.clip(((ys + 0.5) * nh / h).astype(np.int64), 0, nh - 1),
        np.clip(((xs + 0.5) * nw / w).astype(np.int64), 0, nw - 1)] = True
    return out


def rasterize_prompts(prompts: Prompts, orig_hw: tuple[int, int], net_hw: tuple[int, int],
                      pad_hw: tuple[int, int], scribble_width: int = CLICK_DILATION
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative prompt masks, ``bool`` (Hp, Wp), as SEEM's spatial queries take them.

    Everything is drawn at network resolution ``net_hw`` inside the zero-padded ``pad_hw`` canvas:
    a click is the ``(2r+1) x (2r+1)`` square around its grid cell with ``r =
    prompts.click_radius`` (the ``seem`` protocol's r = 1 is ``prepare_next_spaital_mask``'s
    one-pixel mask convolved with a 3x3 ones kernel, padding 1; r = 0, as RITM and SAM protocols
    give, is the cell alone), clipped at the borders; a box is filled (cells whose centres lie in
    ``[x0, x1) x [y0, y1)``, scaled). A scribble or polygon carrying a ``mask`` (the shape as the
    simulator drew it, original size) is that mask on the grid (`mask_to_grid`); without one, a
    scribble is its 1-cell polyline dilated by a ``scribble_width`` square (3: as wide as a SEEM
    click) and a polygon its closed outline dilated like ``Polygon.draw_eval``. A pixel both
    positive and negative stays in both (SEEM keeps two masks).
    """
    ph, pw = pad_hw
    nh, nw = net_hw
    pos = np.zeros((ph, pw), np.uint8)
    neg = np.zeros((ph, pw), np.uint8)
    r = max(0, int(prompts.click_radius))
    for c in prompts.clicks:
        gx, gy = to_grid(c.x, c.y, orig_hw, net_hw)
        (pos if c.positive else neg)[max(0, gy - r):gy + r + 1, max(0, gx - r):gx + r + 1] = 1
    if prompts.box is not None:
        b = prompts.box
        h, w = orig_hw
        x0 = max(0, math.ceil(b.x0 * nw / w - 0.5))
        x1 = min(nw, math.ceil(b.x1 * nw / w - 0.5))
        y0 = max(0, math.ceil(b.y0 * nh / h - 0.5))
        y1 = min(nh, math.ceil(b.y1 * nh / h - 0.5))
        pos[y0:y1, x0:x1] = 1
    for shape in [*prompts.scribbles, *prompts.polygons]:
        target = pos if shape.positive else neg
        if shape.mask is not None:
            if tuple(np.shape(shape.mask)) != tuple(orig_hw):
                raise ValueError(f"{type(shape).__name__} mask is {np.shape(shape.mask)}, the image {orig_hw}")
            target |= mask_to_grid(shape.mask, net_hw, pad_hw).astype(np.uint8)
            continue
        import cv2  # only for drawn shapes: `seem-bench models` imports this module without OpenCV

        drawn = np.zeros((ph, pw), np.uint8)
        pts = _scaled_points(shape.points, orig_hw, net_hw).reshape(-1, 1, 2)
        if isinstance(shape, Polygon):
            cv2.polylines(drawn, [pts], True, 1, thickness=1)
            drawn = cv2.dilate(drawn, np.ones((3, 3), np.uint8), iterations=POLYGON_DILATE_ITERATIONS)
        else:
            # A 1-cell 8-connected polyline dilated by a width x width square (like a click's 3x3),
            # rather than cv2's thick lines, whose width is not exactly `thickness`.
            cv2.polylines(drawn, [pts], False, 1, thickness=1)
            k = max(1, int(scribble_width))
            drawn = cv2.dilate(drawn, np.ones((k, k), np.uint8))
        target |= drawn
    # Strokes must not spill into the padding: SEEM draws on the resized image, then pads.
    pos[nh:, :] = 0
    pos[:, nw:] = 0
    neg[nh:, :] = 0
    neg[:, nw:] = 0
    return pos.astype(bool), neg.astype(bool)


def spatial_extra(prompts: Prompts, orig_hw: tuple[int, int], net_hw: tuple[int, int],
                  pad_hw: tuple[int, int]) -> dict[str, list[np.ndarray]]:
    """The ``extra`` dict of SEEM's spatial decode for one object, as numpy (the runtime moves it).

    ``{'spatial_query_pos_mask': [bool (1, Hp, Wp)], 'spatial_query_neg_mask': [bool (1, Hp, Wp)]}``
    — one list entry per image of the batch, one channel per object, as
    ``evaluate_interactive`` builds them.
    """
    pos, neg = rasterize_prompts(prompts, orig_hw, net_hw, pad_hw)
    return {"spatial_query_pos_mask": [pos[None]], "spatial_query_neg_mask": [neg[None]]}


def select_grounding(v_emb: Any, t_emb: Any, logit_scale: Any = None) -> list[int]:
    """Per sentence, the query answering it (``evaluate_grounding``, ``seem_model_v1.py:749-759``).

    ``v_emb``: (Q, C) query embeddings (``pred_gtexts``); ``t_emb``: (N, C) sentence embeddings
    (``class_emb``), one row per sentence decoded in the pass. As the official code, in torch and
    the inputs' dtype: both L2-normalised with +1e-7, similarity ``exp(logit_scale).clamp(max=100)
    * v @ t.T`` (``language/loss.py`` ``vl_similarity``; the positive scale can only make ties),
    then ``max(0)``, whose ties go to the lowest index (torch's documented rule).

    >>> select_grounding(np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]]), np.array([[0.0, 2.0], [3.0, 0.1]]))
    [2, 0]
    """
    import torch

    v = torch.as_tensor(v_emb)
    t = torch.as_tensor(t_emb).to(v.dtype)
    v = v / (v.norm(dim=-1, keepdim=True) + 1e-7)
    t = t / (t.norm(dim=-1, keepdim=True) + 1e-7)
    sim = v @ t.t()
    if logit_scale is not None:
        sim = torch.as_tensor(logit_scale).to(sim).exp().clamp(max=100) * sim
    return [int(i) for i in sim.max(0)[1].tolist()]


def grounding_batch_size(value: int | str, model: str = "seem") -> int:
    """``--model-opt grounding_batch``: sentences of one image per grounding decode; 0 = ``image`` (all).

    >>> grounding_batch_size("image"), grounding_batch_size("3")
    (0, 3)
    """
    if str(value).strip().lower() == "image":
        return 0
    try:
        k = int(value)
    except (TypeError, ValueError):
        k = -1
    if k < 1:
        raise UsageError(f"model {model!r}: grounding_batch must be 'image' or an integer >= 1, got {value!r}")
    return k


def batch_key(req: DecodeRequest, spatial_batch: int, grounding_batch: int) -> tuple[Any, int]:
    """``(key, cap)`` of a request for `SeemAdapter.decode_batch`: consecutive requests with one
    key share a decode of at most ``cap`` requests (0 = no cap); key ``None``: decoded alone.

    Spatial: visual prompts only (no text, no referenced image), one image, all with or all
    without memory. Grounding: text only, one image (memory is never read by a text decode).
    """
    kinds = req.prompts.kinds()
    if kinds == {"text"} and grounding_batch != 1:
        return ("grounding", id(req.state)), grounding_batch
    if kinds and not kinds & {"text", "ref_image"} and spatial_batch != 1:
        return ("spatial", id(req.state), req.memory is None), spatial_batch
    return None, 1


def postprocess_logits(logits: Any, pad_hw: tuple[int, int], net_hw: tuple[int, int],
                       orig_hw: tuple[int, int]) -> np.ndarray:
    """Low-resolution mask logits -> float32 logits (H, W) at the original image size.

    As ``evaluate_interactive`` (``seem_model_v1.py:492-497``): bilinear (``align_corners=False``)
    to the padded input size, crop the top-left ``net_hw``, bilinear to ``orig_hw``. ``logits``: a
    torch tensor or array whose last two dims are the mask; the mask is ``logits > 0``. (Text-only
    decodes use SEEM's own ``sem_seg_postprocess`` instead: `SeemAdapter._decode_grounding`.)
    """
    import torch
    import torch.nn.functional as F

    t = torch.as_tensor(logits).float().reshape(1, 1, *tuple(logits.shape[-2:]))
    t = F.interpolate(t, size=tuple(pad_hw), mode="bilinear", align_corners=False)
    t = t[:, :, :net_hw[0], :net_hw[1]]
    t = F.interpolate(t, size=tuple(orig_hw), mode="bilinear", align_corners=False)
    return t[0, 0].cpu().numpy()


def input_sizes(opt: dict[str, Any], section: str) -> tuple[int, int]:
    """``(MIN_SIZE_TEST, MAX_SIZE_TEST)`` of a config section (``VOC``, ``REF``, ...), from the yaml."""
    try:
        inp = opt[section]["INPUT"]
        return int(inp["MIN_SIZE_TEST"]), int(inp["MAX_SIZE_TEST"])
    except (KeyError, TypeError):
        raise UsageError(f"SEEM config has no {section}.INPUT.MIN_SIZE_TEST/MAX_SIZE_TEST; "
                         f"choose --model-opt input= one of {', '.join(INPUT_SECTIONS)}") from None


# --------------------------------------------------------------------------- runtime shims

@contextlib.contextmanager
def cuda_calls_on(device: Any) -> Iterator[None]:
    """Send the released code's hard-wired CUDA calls to ``device`` while the block runs.

    ``modeling/architectures/seem_model_v1.py:229`` builds ``dilation_kernel`` on
    ``torch.cuda.current_device()``; ``modeling/language/vlpencoder.py:99,107,137`` move text
    tokens with ``.cuda()``. Only building and text embedding are wrapped, and only off CUDA;
    ``Tensor.cuda`` and ``torch.cuda.current_device`` are restored on exit.
    """
    import torch

    if device.type == "cuda":
        yield
        return
    saved = torch.cuda.current_device, torch.Tensor.cuda

    def to_device(t: Any, *args: Any, **kwargs: Any) -> Any:
        return t.to(device)

    torch.cuda.current_device = lambda: device  # type: ignore[assignment]
    torch.Tensor.cuda = to_device  # type: ignore[method-assign]
    try:
        yield
    finally:
        torch.cuda.current_device, torch.Tensor.cuda = saved  # type: ignore[method-assign]


def deformable_attention_fallback() -> None:
    """Let the SAM-ViT configs' pixel decoder use its pure-PyTorch deformable attention.

    ``modeling/vision/encoder/ops/functions/ms_deform_attn_func.py`` imports the compiled CUDA
    op ``MultiScaleDeformableAttention`` at import time; without it the deformable encoder is not
    registered at all ("Deformable Transformer Encoder is not available."). An empty stand-in
    module lets the import succeed; the op's call then fails and ``ms_deform_attn.py:116-121``
    falls back to ``ms_deform_attn_core_pytorch`` (same maths). A compiled op is used when present.
    """
    name = "MultiScaleDeformableAttention"
    if name not in sys.modules and importlib.util.find_spec(name) is None:
        stub = types.ModuleType(name)
        stub.__doc__ = "seem-bench stand-in: no compiled op, SEEM falls back to PyTorch"
        sys.modules[name] = stub


def class_embedding_cache(weights_id: str, class_names: list[str], mode: str) -> Path:
    """On-disk cache file of SEEM class embeddings: weights + class list + template mode."""
    import hashlib
    import json

    key = hashlib.sha256(json.dumps({"weights": weights_id, "classes": class_names, "mode": mode},
                                    sort_keys=True).encode()).hexdigest()
    base = Path(os.environ.get("SEEM_BENCH_CACHE") or Path.home() / ".cache" / "seem-bench")
    return base / "seem-class-embeddings" / f"{key}.npy"


# --------------------------------------------------------------------------- the adapter

class SeemAdapter(Adapter):
    """Base of the SEEM variants; subclasses name the checkpoint, config and code version."""

    checkpoint_name: ClassVar[str] = ""
    config_name: ClassVar[str] = ""  # under configs/seem/ of the checkout
    version: ClassVar[str] = "v1"
    capabilities = Capabilities(
        tasks={"interactive", "referring", "generic"},
        prompts={"point", "box", "scribble", "polygon", "text", "none"},
        composition=True, memory=True, max_batch=64)

    @classmethod
    def placement(cls, seem_root: str | None = None) -> tuple[str | None, Any]:
        """Where this model can run: ``("in-process", root)``, ``("bridge", env_prefix)`` or ``(None, why)``.

        In-process when SEEM's requirements import here; otherwise through the remote bridge in
        the environment built by ``scripts/seem_env.sh`` (`seem_bench.adapters.seem_env`).
        """
        prefix = seem_env.find_prefix()
        root = Path(seem_root) if seem_root else (seem_env.seem_src(prefix) if prefix else None)
        if root is None:
            return None, f"{seem_env.missing_reason()}, or pass --seem-root with SEEM's requirements installed"
        if not (root / "modeling" / "architectures").is_dir():
            return None, f"{root} is not a SEEM checkout (no modeling/architectures)"
        if not (root / "configs" / "seem" / cls.config_name).is_file():
            return None, f"{root}/configs/seem/{cls.config_name} not found (an older checkout?)"
        missing = missing_modules(*REQUIRED_MODULES)
        if not missing:
            return "in-process", root
        if prefix is not None and not seem_env.inside(prefix):
            return "bridge", prefix
        return None, f"python package(s) {', '.join(missing)} not installed; {HOW}"

    @classmethod
    def availability(cls, seem_root: str | None = None, checkpoint: str | None = None,
                     **options: Any) -> tuple[bool, str]:
        problem = checkpoint_problem(checkpoint, cls.checkpoint_name)
        if problem:
            return False, f"{problem} (or --checkpoint random for a random-weight smoke run)"
        where, detail = cls.placement(seem_root)
        if where is None:
            return False, str(detail)
        if where == "bridge":
            return True, f"runs in the SEEM environment {detail} through the remote bridge"
        return True, "ok (in-process)"

    @classmethod
    def create(cls, **options: Any) -> Adapter:
        where, detail = cls.placement(options.get("seem_root"))
        if where == "bridge":
            from seem_bench.adapters.seem_bridge import SeemBridge

            return SeemBridge(cls.name, detail, **options)
        return cls(**options)

    def __init__(self, seem_root: str | None = None, checkpoint: str | None = None,
                 device: str | None = None, input: str | None = None, min_size: int | str | None = None,
                 max_size: int | str | None = None, fp16: bool | str = True, seed: int | str = 0,
                 class_embeddings: str = "templated", preprocess: str = "interactive",
                 spatial_batch: int | str = 1, grounding_batch: int | str = "1", **options: Any) -> None:
        if preprocess not in PREPROCESS_MODES:
            raise UsageError(f"model {self.name!r}: preprocess must be one of {', '.join(PREPROCESS_MODES)}, "
                             f"got {preprocess!r}")
        if options:
            raise UsageError(f"model {self.name!r}: unknown option(s) {', '.join(sorted(options))}")
        if class_embeddings not in ("templated", "plain"):
            raise UsageError(f"model {self.name!r}: class_embeddings must be templated or plain, "
                             f"got {class_embeddings!r}")
        import torch

        where, root = self.placement(seem_root)
        if where != "in-process":
            raise UsageError(f"model {self.name!r} cannot be built in this process: {root}")
        self.seem_root = Path(root).resolve()
        self.random_weights = is_random(checkpoint)
        self.checkpoint = None if self.random_weights else find_checkpoint(checkpoint, self.checkpoint_name)
        prefix = seem_env.find_prefix()
        if prefix is not None and seem_env.inside(prefix):
            # SEEM loads CLIPTokenizer.from_pretrained('openai/clip-vit-base-patch32'): the
            # environment holds it as an offline hub cache entry (scripts/seem_env.sh).
            os.environ.setdefault("HF_HOME", str(seem_env.hf_home(prefix)))
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if str(self.seem_root) not in sys.path:
            # The repository is not a package: its modules import each other as top-level
            # `modeling`, `utils`, `datasets` (demo/seem/app.py runs from the repository root).
            sys.path.insert(0, str(self.seem_root))
        deformable_attention_fallback()
        from modeling import build_model  # SEEM: modeling/architectures/build.py
        from modeling.BaseModel import BaseModel  # SEEM: modeling/BaseModel.py
        from utils.arguments import load_opt_from_config_files  # SEEM: utils/arguments.py

        self.device = resolve_device(device)
        self.device_type = self.device.type
        self.fp16 = str(fp16).lower() not in ("0", "false", "no", "off") and self.device.type == "cuda"
        self.seed = int(seed)
        self.class_embeddings = class_embeddings
        self.spatial_batch = int(spatial_batch)  # objects of one image per spatial decode (decode_batch)
        if self.spatial_batch < 1:
            raise UsageError(f"model {self.name!r}: spatial_batch must be >= 1, got {spatial_batch!r}")
        # a string default: the option also takes "image" (the CLI checks int defaults as ints)
        self.grounding_batch = grounding_batch_size(grounding_batch, self.name)
        opt = load_opt_from_config_files([str(self.seem_root / "configs" / "seem" / self.config_name)])
        opt["device"] = self.device  # BaseModel.from_pretrained reads it (map_location)
        # configs/seem/samvit*_v1.yaml point BACKBONE.PRETRAINED at a file on the authors' cluster
        # with LOAD_PRETRAINED true (modeling/vision/backbone/vit.py:583-584 asserts it exists);
        # the SEEM checkpoint holds the backbone, so the SAM initialisation is never needed.
        opt["MODEL"]["BACKBONE"]["LOAD_PRETRAINED"] = False
        if min_size is not None or max_size is not None:
            if min_size is None or max_size is None:
                raise UsageError("give both --model-opt min_size and max_size, or neither")
            self.min_size, self.max_size = int(min_size), int(max_size)
            self.input = "custom"
        else:
            # SEEM's COCO evaluation reads the COCO section's sizes (build.py get_config_from_name).
            default = "COCO" if preprocess == "seem-official" else "VOC"
            self.input = str(input or default).upper()
            self.min_size, self.max_size = input_sizes(opt, self.input)
        self.preprocess = preprocess
        extra = {} if preprocess == "interactive" else {"preprocess": preprocess}
        extra.update(self._batching())  # recorded only when on: default runs keep their identity
        super().__init__(input=self.input, min_size=self.min_size, max_size=self.max_size,
                         fp16=self.fp16, seed=self.seed, **extra)
        self.opt = opt
        with cuda_calls_on(self.device):
            if self.random_weights:
                torch.manual_seed(self.seed)  # the architecture's own initialisation, seeded
                model = BaseModel(opt, build_model(opt))
            else:
                model = BaseModel(opt, build_model(opt)).from_pretrained(str(self.checkpoint))
        model = model.eval().to(self.device)
        self.model = model.model
        self._text_embeddings: tuple[str, ...] | None = None
        self._categories: list[dict[str, Any]] | None = None
        self.set_class_embeddings(None)
        from torchvision import transforms
        from torchvision.transforms import InterpolationMode

        self._resize = transforms.Resize(self.min_size, interpolation=InterpolationMode.BICUBIC,
                                         max_size=self.max_size)
        self.size_divisibility = int(self.model.size_divisibility)
        self._gt = None

    def weights_id(self) -> str:
        """What identifies the weights: the checkpoint's sha256, or the random seed and config."""
        if self.random_weights:
            return f"random:{self.config_name}:seed={self.seed}:torch={_version('torch')}"
        return sha256_file(self.checkpoint)  # type: ignore[arg-type]

    def set_class_embeddings(self, class_names: list[str] | None) -> None:
        """Set the language encoder's ``default`` class embeddings.

        ``None``: the class names of ``COCO_PANOPTIC_CLASSES`` + background embedded plainly
        (one forward pass; no templates). Spatial and grounding decodes only need *some* class
        embeddings to exist (``compute_similarity`` of ``interface/seem_v1.py:358`` computes
        class logits that those decodes do not read; a test checks that the masks are equal).
        A list: the classes a generic task scores, with the official 80 prompt templates
        (``get_text_embeddings(..., is_eval=True)``; unless ``class_embeddings=plain``), cached
        on disk by weights + class list + template mode (~5 s per class on CPU otherwise).
        """
        import torch
        from utils.constants import COCO_PANOPTIC_CLASSES  # SEEM: utils/constants.py

        templated = class_names is not None and self.class_embeddings == "templated"
        names = list(COCO_PANOPTIC_CLASSES) if class_names is None else list(class_names)
        key = (("templated" if templated else "plain"), *names)
        if self._text_embeddings == key:
            return
        path = class_embedding_cache(self.weights_id(), names + ["background"], key[0])
        if path.is_file():
            emb = torch.from_numpy(np.load(path)).to(self.device)
            self.lang.default_text_embeddings = emb
        else:
            with torch.no_grad(), cuda_calls_on(self.device):
                if templated:
                    self.lang.get_text_embeddings(names + ["background"], is_eval=True)
                else:
                    self.lang.get_text_embeddings(names + ["background"], is_eval=False, prompt=False)
            from seem_bench.io_utils import atomic_write_bytes

            buf = io.BytesIO()
            np.save(buf, self.lang.default_text_embeddings.float().cpu().numpy())
            atomic_write_bytes(path, buf.getvalue())
        self._text_embeddings = key

    @property
    def lang(self) -> Any:
        return self.model.sem_seg_head.predictor.lang_encoder

    def fingerprint(self) -> dict[str, Any]:
        if self.random_weights:
            weights = {"checkpoint": RANDOM_CHECKPOINT, "random_weights": True, "checkpoint_sha256": None}
        else:
            weights = {"checkpoint_file": self.checkpoint.name,  # type: ignore[union-attr]
                       "checkpoint_sha256": sha256_file(self.checkpoint)}  # type: ignore[arg-type]
        return {"name": self.name, "version": self.version, "config": self.config_name, **weights,
                "input": self.input, "min_size": self.min_size, "max_size": self.max_size,
                "fp16": self.fp16, "seed": self.seed, **source_id(self.seem_root),
                **({} if self.preprocess == "interactive" else {"preprocess": self.preprocess}),
                **self._batching(), "torch": _version("torch"),
                # Grounding masks are resized back as SEEM does (bicubic, antialiased) since this
                # key was added; runs recorded with the earlier bilinear resize cannot resume here.
                "grounding_resize": "sem_seg_postprocess"}

    def _batching(self) -> dict[str, Any]:
        """The batching options that change the numbers (SEEM's batches couple their members),
        only when on: default runs keep their identity."""
        out: dict[str, Any] = {}
        if self.spatial_batch != 1:
            out["spatial_batch"] = self.spatial_batch
        if self.grounding_batch != 1:
            out["grounding_batch"] = "image" if self.grounding_batch == 0 else self.grounding_batch
        return out

    def _autocast(self) -> Any:
        import torch

        if self.fp16:
            return torch.autocast(device_type="cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    # -- encode: resize (dataset mapper), normalise + pad (ImageList), backbone + pixel decoder
    def encode(self, image: np.ndarray) -> dict[str, Any]:
        import torch
        from detectron2.structures import ImageList
        from PIL import Image

        h, w = image.shape[:2]
        if self.preprocess == "seem-official":
            resized, want = shortest_edge_resize(np.ascontiguousarray(image), self.min_size, self.max_size)
        else:
            resized = np.asarray(self._resize(Image.fromarray(np.ascontiguousarray(image))))
            want = resized_hw(h, w, self.min_size, self.max_size)
        net_hw = resized.shape[:2]
        if net_hw != want:  # guards the prompt mapping
            raise RuntimeError(f"{self.preprocess} resize gave {h}x{w} -> {net_hw}, seem-bench expected {want}")
        m = self.model
        with torch.no_grad(), self._autocast():
            x = torch.from_numpy(resized.copy()).permute(2, 0, 1).to(self.device)
            x = (x - m.pixel_mean) / m.pixel_std  # seem_model_v1.py evaluate_interactive
            images = ImageList.from_tensors([x], self.size_divisibility)
            features = m.backbone(images.tensor)
            mask_features, _, multi_scale = m.sem_seg_head.pixel_decoder.forward_features(features)
        return {"mask_features": mask_features, "multi_scale_features": list(multi_scale),
                "orig_hw": (h, w), "net_hw": tuple(net_hw), "pad_hw": tuple(images.tensor.shape[-2:])}

    # -- decode
    def _grounding(self, text: str) -> dict[str, Any]:
        """Grounding tokens of a sentence composed with visual prompts (``evaluate_interactive_grounding``)."""
        from torch import nn

        with cuda_calls_on(self.device):  # vlpencoder.py:137 moves the tokens with .cuda()
            gtext = self.lang.get_text_token_embeddings([text], name="grounding", token=False, norm=False)
        token_emb, tokens = gtext["token_emb"], gtext["tokens"]
        # padded with -1 and masked where the embedding sums to < 0 (which, as in the official
        # code, also masks real tokens with a negative sum).
        query_emb = nn.utils.rnn.pad_sequence(
            [token_emb[i][tokens["attention_mask"][i].bool()] for i in range(len(token_emb))],
            padding_value=-1)
        nonzero = query_emb.sum(dim=-1) < 0
        return {"grounding_tokens": query_emb, "grounding_nonzero_mask": nonzero.t()}

    @contextlib.contextmanager
    def _composed_attention(self) -> Any:
        # pipeline/utils/misc.py hook_opt with STROKE_SAMPLER.EVAL.GROUNDING: the attention
        # prototype dict is shared with the built model, so the evaluator mutates it in place.
        q = self.opt["ATTENTION_ARCH"]["SELF_ATTENTION"]["queries"]
        old = q["spatial"]
        q["spatial"] = ["queries_spatial", "tokens_spatial", "memories_spatial", "tokens_grounding"]
        try:
            yield
        finally:
            q["spatial"] = old

    def decode(self, state: dict[str, Any], prompts: Prompts, memory: Any = None) -> Prediction:
        import torch

        kinds = prompts.kinds()
        if not kinds:  # promptless: generic segmentation (panoptic / instance / semantic)
            return self._decode_generic(state)
        visual = kinds - {"text"}
        orig_hw, net_hw, pad_hw = state["orig_hw"], state["net_hw"], state["pad_hw"]
        pred = self.model.sem_seg_head.predictor
        torch.manual_seed(self.seed)  # rand_sample draws with torch.multinomial beyond 512 points
        with torch.no_grad(), self._autocast():
            if "ref_image" in kinds:
                return self._decode_ref_image(state, prompts, memory)
            if not visual:  # referring: text only (evaluate_grounding), one sentence per pass
                return self._decode_grounding(state, [prompts.text or ""])[0]
            extra: dict[str, Any] = {
                k: [torch.from_numpy(a).to(self.device) for a in v]
                for k, v in spatial_extra(prompts, orig_hw, net_hw, pad_hw).items()}
            if memory is not None:
                extra["prev_mask"] = memory
            ctx: Any = contextlib.nullcontext()
            if prompts.text is not None:  # composition (evaluate_interactive_grounding)
                extra.update(self._grounding(prompts.text))
                ctx = self._composed_attention()
            with ctx:
                out = pred(state["multi_scale_features"], state["mask_features"], target_queries=None,
                           extra=extra, task="spatial")
        prev = out["prev_mask"]
        logits = torch.from_numpy(postprocess_logits(prev[0, 0], pad_hw, net_hw, orig_hw))
        return Prediction(mask=(logits.sigmoid() > 0.5).numpy(), memory=prev)

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[Prediction]:
        """The requests' decodes; with ``--model-opt spatial_batch=K > 1`` the objects of one
        image go K at a time into one spatial decode, as SEEM's own evaluator batches them (5).

        SEEM's batching changes its numbers: the objects of a batch share the spatial memory
        tokens and the 512-point prompt sampling cap (``modeling/utils/interactive.py:10-26``),
        so an object's mask depends on which objects share its batch (measured: the same prompt
        three times in one batch gives three different masks). The default ``spatial_batch=1``
        is therefore one decode per object, whose records do not depend on ``--batch-size``;
        ``spatial_batch=5`` reproduces the evaluator's batching for the plain protocols (and is
        recorded with the model's options, so it is a different run). What is batched:
        consecutive requests on the same encoded image with visual prompts only (clicks, box,
        scribble, polygon; no text, no referenced image, not promptless) that all have, or all
        lack, memory; everything else is decoded alone.

        ``--model-opt grounding_batch=image`` (or ``=K``) does the same for referring: consecutive
        text-only requests on one encoded image go into one grounding decode (at most K), as
        SEEM's ``evaluate_grounding`` decodes every ref of an image in one pass with the tokens
        of all their sentences (`_decode_grounding`). That couples the sentences (they attend to
        each other's tokens in the decoder): a mask depends on the image's other sentences, and
        on their order (the referring loop gives them in ref order). Default 1: one sentence per
        decode; a group of one is exactly that decode.
        """
        if self.spatial_batch == 1 and self.grounding_batch == 1:
            return super().decode_batch(requests)
        out: list[Prediction | None] = [None] * len(requests)
        groups: list[tuple[Any, list[int]]] = []  # (key, or None = alone; request indices)
        for i, req in enumerate(requests):
            key, cap = batch_key(req, self.spatial_batch, self.grounding_batch)
            if key is not None and groups and groups[-1][0] == key and (cap == 0 or len(groups[-1][1]) < cap):
                groups[-1][1].append(i)
            else:
                groups.append((key, [i]))
        for key, idx in groups:
            if key is None or len(idx) == 1:
                for i in idx:
                    out[i] = self.decode(requests[i].state, requests[i].prompts, requests[i].memory)
                continue
            if key[0] == "grounding":
                preds = self._decode_grounding(requests[idx[0]].state, [requests[i].prompts.text or "" for i in idx])
            else:
                preds = self._decode_spatial_batch(requests[idx[0]].state, [requests[i].prompts for i in idx],
                                                   [requests[i].memory for i in idx])
            for i, p in zip(idx, preds, strict=True):
                out[i] = p
        return [p for p in out if p is not None]

    def _decode_grounding(self, state: dict[str, Any], texts: list[str]) -> list[Prediction]:
        """One ``grounding_eval`` decode of several sentences of one image, as ``evaluate_grounding``
        (``seem_model_v1.py:732-780``) decodes all refs of an image.

        The sentences are embedded in one ``get_text_token_embeddings`` call; the valid tokens of
        all of them, concatenated, are the grounding tokens of one decoder pass (none masked);
        each sentence takes the query whose ``pred_gtexts`` embedding best matches its own
        ``class_emb`` (`select_grounding`); the chosen masks are up-sampled together as the
        official code does: bilinear to the padded size, then SEEM's own ``sem_seg_postprocess``
        (``modeling/modules/postprocessing.py:118-121``: crop, then *bicubic with antialias* to
        the original size; detectron2's function of that name is bilinear), and thresholded
        ``sigmoid > 0.5`` as ``GroundingEvaluator.process`` (``grounding_evaluation.py:54``).
        One sentence: the per-sentence decode of `decode`.
        """
        import torch
        import torch.nn.functional as F
        from detectron2.utils.memory import retry_if_cuda_oom
        from modeling.modules import sem_seg_postprocess  # SEEM

        orig_hw, net_hw, pad_hw = state["orig_hw"], state["net_hw"], state["pad_hw"]
        torch.manual_seed(self.seed)
        with torch.no_grad(), self._autocast():
            with cuda_calls_on(self.device):  # vlpencoder.py:137 moves the tokens with .cuda()
                gtext = self.lang.get_text_token_embeddings(list(texts), name="grounding", token=False,
                                                            norm=False)
            query_emb = gtext["token_emb"][gtext["tokens"]["attention_mask"].bool()]
            nonzero = torch.zeros(query_emb[:, None].shape[:-1], dtype=torch.bool, device=query_emb.device)
            extra = {"grounding_tokens": query_emb[:, None], "grounding_nonzero_mask": nonzero.t()}
            out = self.model.sem_seg_head.predictor(state["multi_scale_features"], state["mask_features"],
                                                    target_queries=None, extra=extra, task="grounding_eval")
            chosen = select_grounding(out["pred_gtexts"][0], gtext["class_emb"], self.lang.logit_scale)
            logits = F.interpolate(out["pred_gmasks"][0][chosen][None], size=tuple(pad_hw), mode="bilinear",
                                   align_corners=False)[0]
            logits = retry_if_cuda_oom(sem_seg_postprocess)(logits, tuple(net_hw), *orig_hw)
            masks = (logits.sigmoid() > 0.5).cpu()
        return [Prediction(mask=m.numpy()) for m in masks]

    def _decode_spatial_batch(self, state: dict[str, Any], prompts: list[Prompts], memories: list[Any]
                              ) -> list[Prediction]:
        """One spatial decode of several objects of one image (`decode_grid`: the evaluator's
        call): prompt masks stacked (n, Hp, Wp), memories concatenated along the query axis
        (SEEM's ``prev_mask`` of a batch is (1, n, h, w)); each object gets its channel back."""
        import torch

        orig_hw, net_hw, pad_hw = state["orig_hw"], state["net_hw"], state["pad_hw"]
        masks = [rasterize_prompts(p, orig_hw, net_hw, pad_hw) for p in prompts]
        memory = None if memories[0] is None else torch.cat(list(memories), dim=1)
        prev = self.decode_grid(state, np.stack([m[0] for m in masks]), np.stack([m[1] for m in masks]), memory)
        preds = []
        for i in range(len(prompts)):
            logits = torch.from_numpy(postprocess_logits(prev[0, i], pad_hw, net_hw, orig_hw))
            preds.append(Prediction(mask=(logits.sigmoid() > 0.5).numpy(), memory=prev[:, i:i + 1]))
        return preds

    # -- generic segmentation: seem_model_v1.py `evaluate` from the cached features
    def set_categories(self, categories: list[dict[str, Any]]) -> None:
        """The generic task's classes (``id``, ``name``, ``isthing``), as SEEM's evaluator sets them.

        ``pipeline/XDecoderPipeline.py:126-131``: ``model.metadata`` of the dataset,
        ``sem_seg_head.num_classes = len(names) - 1`` and the class names + "background" embedded
        with the prompt templates. The contiguous class index is the rank of the category id
        (MaskFormer's COCO order; `seem_bench.data.coco.contiguous_ids`).
        """
        from detectron2.data.catalog import Metadata

        cats = sorted(({"id": int(c["id"]), "name": str(c["name"]), "isthing": int(c.get("isthing", 1))}
                       for c in categories), key=lambda c: c["id"])
        if self._categories == cats:
            return
        meta = Metadata(name="seem-bench")
        meta.set(thing_dataset_id_to_contiguous_id={c["id"]: i for i, c in enumerate(cats) if c["isthing"]},
                 stuff_dataset_id_to_contiguous_id={c["id"]: i for i, c in enumerate(cats)},
                 thing_classes=[c["name"] for c in cats], stuff_classes=[c["name"] for c in cats])
        self.set_class_embeddings([c["name"] for c in cats])
        self.model.metadata = meta
        self.model.sem_seg_head.num_classes = len(cats)
        self._categories = cats

    def generic_outputs(self, state: dict[str, Any]) -> dict[str, Any]:
        """SEEM's own ``evaluate`` (``seem_model_v1.py:378-437``) on an encoded state, per image.

        Same calls in the same order: ``sem_seg_head.predictor`` on the cached pixel-decoder
        outputs (``sem_seg_head.layers``), bilinear up-sampling to the padded size,
        ``sem_seg_postprocess`` when the config asks for it before inference, then the model's
        ``semantic_inference``, ``panoptic_inference`` and ``instance_inference``. Returns the
        ``processed_results`` entry: ``sem_seg``, ``panoptic_seg``, ``instances`` (torch).
        """
        import torch
        import torch.nn.functional as F
        from detectron2.utils.memory import retry_if_cuda_oom
        from modeling.modules import bbox_postprocess, sem_seg_postprocess  # SEEM

        if self._categories is None:
            raise UsageError(f"model {self.name!r}: generic segmentation needs the task's categories")
        m = self.model
        h, w = state["orig_hw"]
        image_size = tuple(state["net_hw"])
        with torch.no_grad(), self._autocast():
            outputs = m.sem_seg_head.predictor(state["multi_scale_features"], state["mask_features"], None,
                                               None, None, "seg", {})
            mask_cls = outputs["pred_logits"][0]
            mask_pred = F.interpolate(outputs["pred_masks"], size=tuple(state["pad_hw"]), mode="bilinear",
                                      align_corners=False)
            input_size = mask_pred.shape[-2:]
            mask_pred = mask_pred[0]
            box_pred = outputs["pred_boxes"][0] if m.task_switch["bbox"] else None
            res: dict[str, Any] = {}
            if m.sem_seg_postprocess_before_inference:
                mask_pred = retry_if_cuda_oom(sem_seg_postprocess)(mask_pred, image_size, h, w)
                mask_cls = mask_cls.to(mask_pred)
            r = retry_if_cuda_oom(m.semantic_inference)(mask_cls, mask_pred)
            if not m.sem_seg_postprocess_before_inference:
                r = retry_if_cuda_oom(sem_seg_postprocess)(r, image_size, h, w)
            res["sem_seg"] = r
            res["panoptic_seg"] = retry_if_cuda_oom(m.panoptic_inference)(mask_cls, mask_pred)
            if box_pred is not None:
                box_pred = bbox_postprocess(box_pred, input_size, image_size, h, w)
            res["instances"] = retry_if_cuda_oom(m.instance_inference)(mask_cls, mask_pred, box_pred)
        return res

    def _decode_generic(self, state: dict[str, Any]) -> Prediction:
        res = self.generic_outputs(state)
        cats = self._categories or []
        ids, segments = res["panoptic_seg"]
        ids = ids.cpu().numpy().astype(np.int32)
        if ids.shape != tuple(state["orig_hw"]):  # every released config post-processes first
            raise RuntimeError(f"SEEM's panoptic output is {ids.shape}, the image {tuple(state['orig_hw'])}: "
                               "the config has TEST.PANOPTIC_ON off")
        segs = [{"id": int(d["id"]), "category_id": cats[int(d["category_id"])]["id"]} for d in segments]
        inst = res["instances"]
        masks = inst.pred_masks.cpu().numpy() > 0
        instances = [{"mask": masks[i], "category_id": cats[int(c)]["id"], "score": float(sc)}
                     for i, (c, sc) in enumerate(zip(inst.pred_classes.tolist(), inst.scores.tolist(), strict=True))]
        semantic = res["sem_seg"].argmax(dim=0).cpu().numpy().astype(np.int64)
        return Prediction(extra={"panoptic": (ids, segs), "instances": instances, "semantic": semantic})

    # -- protocol seem-official (seem_bench.loops.seem_official): prompts and logits on the grid
    def grid_shapes(self, state: dict[str, Any]) -> tuple[tuple[int, int], ...]:
        """``(orig_hw, net_hw, pad_hw)`` of an encoded image."""
        return state["orig_hw"], state["net_hw"], state["pad_hw"]

    def decode_grid(self, state: dict[str, Any], pos: np.ndarray, neg: np.ndarray,
                    memory: Any = None) -> Any:
        """One spatial decode of a batch of objects, as ``evaluate_interactive`` makes it.

        ``pos``/``neg``: ``bool`` (n, Hp, Wp) prompt masks on the padded grid, one channel per
        object; ``memory``: the previous call's return value. Returns ``prev_mask`` logits
        (1, n, Hp/4, Wp/4). The batch shares the 512-point sampling cap and the memory tokens,
        as in the official evaluator; torch is seeded first (both draw from its RNG).
        """
        import torch

        torch.manual_seed(self.seed)
        extra: dict[str, Any] = {"spatial_query_pos_mask": [torch.from_numpy(pos).to(self.device)],
                                 "spatial_query_neg_mask": [torch.from_numpy(neg).to(self.device)]}
        if memory is not None:
            extra["prev_mask"] = memory
        with torch.no_grad(), self._autocast():
            out = self.model.sem_seg_head.predictor(
                state["multi_scale_features"], state["mask_features"], target_queries=None,
                extra=extra, task="spatial")
        return out["prev_mask"]

    def _decode_ref_image(self, state: dict[str, Any], prompts: Prompts, memory: Any) -> Prediction:
        raise UsageError(f"model {self.name!r}: the released SEEM v1 code cannot decode a referenced-image "
                         "prompt (see baselines/seem.py); use seem_t_v0 or seem_l_v0")

    def dump_state(self, state: dict[str, Any]) -> dict[str, np.ndarray]:
        out = {"mask_features": state["mask_features"].float().cpu().numpy()}
        for i, f in enumerate(state["multi_scale_features"]):
            out[f"ms_{i}"] = f.float().cpu().numpy()
        for k in ("orig_hw", "net_hw", "pad_hw"):
            out[k] = np.asarray(state[k], np.int64)
        return out

    def load_state(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        import torch

        def t(a: np.ndarray) -> Any:
            return torch.from_numpy(np.ascontiguousarray(a)).to(self.device)

        n = sum(1 for k in arrays if k.startswith("ms_"))
        return {"mask_features": t(arrays["mask_features"]),
                "multi_scale_features": [t(arrays[f"ms_{i}"]) for i in range(n)],
                **{k: tuple(int(v) for v in arrays[k]) for k in ("orig_hw", "net_hw", "pad_hw")}}


class SeemV0Adapter(SeemAdapter):
    """SEEM v0 (``seem_model_v0.py`` + ``interface/seem_v0.py``): adds referenced-image prompts."""

    version = "v0"
    capabilities = Capabilities(
        tasks={"interactive", "referring", "ref-image"},
        prompts={"point", "box", "scribble", "polygon", "text", "ref_image"},
        composition=True, memory=True)

    def _decode_ref_image(self, state: dict[str, Any], prompts: Prompts, memory: Any) -> Prediction:
        # evaluate_referring_image on the exemplar (task='refimg' returns its spatial tokens),
        # then the target decoded with extra={'refimg_tokens': ...} (interface/seem_v0.py).
        import torch
        import torch.nn.functional as F

        ref = prompts.ref_image
        ref_state = self.encode(ref.image)
        rh, rw = ref_state["net_hw"]
        m = torch.from_numpy(np.asarray(ref.mask, np.float32))[None, None].to(self.device)
        # demo/seem/tasks/interactive.py: F.interpolate(mask, (h, w), mode='bilinear') > 0
        m = F.interpolate(m, (rh, rw), mode="bilinear") > 0
        ph, pw = ref_state["pad_hw"]
        pos = torch.zeros((1, ph, pw), dtype=torch.bool, device=self.device)
        pos[0, :rh, :rw] = m[0, 0]
        pred = self.model.sem_seg_head.predictor
        tokens = pred(ref_state["multi_scale_features"], ref_state["mask_features"], target_queries=None,
                      extra={"spatial_query_pos_mask": [pos], "spatial_query_neg_mask": [pos & False]},
                      task="refimg")
        out = pred(state["multi_scale_features"], state["mask_features"], target_queries=None,
                   extra={"refimg_tokens": tokens}, task="spatial")
        prev = out["prev_mask"]
        logits = postprocess_logits(prev[0, 0], state["pad_hw"], state["net_hw"], state["orig_hw"])
        return Prediction(mask=logits > 0, memory=prev)


def _git_head(root: Path) -> str | None:
    """The commit checked out in ``root`` (loose or packed ref, detached HEAD, worktree ``.git`` file)."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree or submodule: "gitdir: PATH"
            text = git.read_text().strip()
            if not text.startswith("gitdir: "):
                return None
            git = (root / text[8:]).resolve()
        ref = (git / "HEAD").read_text().strip()
        if not ref.startswith("ref: "):
            return ref
        name = ref[5:]
        common = git
        if (git / "commondir").is_file():  # worktrees keep refs in the main repository
            common = (git / (git / "commondir").read_text().strip()).resolve()
        for d in (git, common):
            if (d / name).is_file():
                return (d / name).read_text().strip()
        for d in (git, common):
            packed = d / "packed-refs"
            if packed.is_file():
                for line in packed.read_text().splitlines():
                    sha, _, refname = line.partition(" ")
                    if refname.strip() == name and not line.startswith(("#", "^")):
                        return sha
    except OSError:
        return None
    return None


def source_id(root: Path) -> dict[str, str | None]:
    """Which SEEM code ran: the git commit, or for an unpacked tarball (no ``.git``) the tarball's
    sha256 that ``scripts/seem_env.sh`` recorded in ``.source-sha256``."""
    out: dict[str, str | None] = {"seem_commit": _git_head(root)}
    if out["seem_commit"] is None:
        f = root / ".source-sha256"
        out["seem_source_sha256"] = f.read_text().strip() if f.is_file() else None
    return out


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


class SeemFocalT(SeemAdapter):
    name = "seem_t"
    summary = "SEEM v1 Focal-T (seem_focalt_v1.pt; official code)"
    checkpoint_name = "seem_focalt_v1.pt"
    config_name = "focalt_unicl_lang_v1.yaml"


class SeemSamViTB(SeemAdapter):
    name = "seem_b"
    summary = "SEEM v1 SAM-ViT-B (seem_samvitb_v1.pt; official code)"
    checkpoint_name = "seem_samvitb_v1.pt"
    config_name = "samvitb_unicl_lang_v1.yaml"


class SeemSamViTL(SeemAdapter):
    name = "seem_sam_l"
    summary = "SEEM v1 SAM-ViT-L (seem_samvitl_v1.pt; official code)"
    checkpoint_name = "seem_samvitl_v1.pt"
    config_name = "samvitl_unicl_lang_v1.yaml"


class SeemFocalL(SeemAdapter):
    name = "seem_l"
    summary = "SEEM v1 Focal-L (seem_focall_v1.pt; official code)"
    checkpoint_name = "seem_focall_v1.pt"
    config_name = "focall_unicl_lang_v1.yaml"


class SeemFocalTv0(SeemV0Adapter):
    name = "seem_t_v0"
    summary = "SEEM v0 Focal-T (seem_focalt_v0.pt; official code)"
    checkpoint_name = "seem_focalt_v0.pt"
    config_name = "focalt_unicl_lang_v0.yaml"


class SeemFocalLv0(SeemV0Adapter):
    name = "seem_l_v0"
    summary = "SEEM v0 Focal-L (seem_focall_v0.pt; official code)"
    checkpoint_name = "seem_focall_v0.pt"
    config_name = "focall_unicl_lang_v0.yaml"
