"""SAM 2 (Ravi et al. 2024) image predictor through the official ``sam2`` package: ``sam2_t/s/b/l``.

``encode`` runs ``SAM2ImagePredictor.set_image`` once per image (resize to 1024x1024, the Hiera
encoder and FPN neck, ``no_mem_embed`` added as the package does for single images) and keeps
``_features`` / ``_orig_hw`` in the state; ``decode`` hands them back and calls
``SAM2ImagePredictor.predict(point_coords, point_labels, box, mask_input, multimask_output)``
(``sam2/sam2_image_predictor.py``), so transforms are the package's own:

- unlike SAM 1, the image is resized to a 1024x1024 square (``SAM2Transforms``, aspect ratio not
  kept), so a click (x, y) reaches the prompt encoder at (x / W * 1024, y / H * 1024);
- masks come back at the original size, ``logits > 0`` (``mask_threshold`` 0, no hole filling:
  the predictor's defaults);
- the model is built with ``build_sam2(config, checkpoint)`` and its default
  ``apply_postprocessing=True`` (dynamic multimask fallback by stability, as
  ``SAM2ImagePredictor.from_pretrained`` builds it).

Several candidates (``multimask_output`` as for SAM): all of them go into ``Prediction.extra``
(``candidates`` bool at the original size in the model's order, ``candidate_memory`` their
(1, 256, 256) logits, ``candidate_scores``) for the loop's ``output=top|oracle``; ``mask`` /
``memory`` are the top-ranked one (see `baselines.sam`).

Options: ``multimask_output`` (as for SAM) and ``version``
(``2.1``, default: configs ``configs/sam2.1/sam2.1_hiera_*.yaml`` and ``sam2.1_hiera_*.pt``; or
``2``: the original SAM 2 release). Names: ``sam2_t`` (tiny), ``sam2_s`` (small), ``sam2_b``
(base+), ``sam2_l`` (large).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any, ClassVar

from seem_bench.baselines.sam import (
    _check_image,
    batch_groups,
    box_array,
    candidates_prediction,
    click_arrays,
    parse_multimask_output,
    reject_unknown,
    wants_multimask,
)

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

#: (config, released checkpoint) per release, from ``sam2/build_sam.py``'s HF_MODEL_ID_TO_FILENAMES.
VARIANTS: dict[str, dict[str, tuple[str, str]]] = {
    "t": {"2.1": ("configs/sam2.1/sam2.1_hiera_t.yaml", "sam2.1_hiera_tiny.pt"),
          "2": ("configs/sam2/sam2_hiera_t.yaml", "sam2_hiera_tiny.pt")},
    "s": {"2.1": ("configs/sam2.1/sam2.1_hiera_s.yaml", "sam2.1_hiera_small.pt"),
          "2": ("configs/sam2/sam2_hiera_s.yaml", "sam2_hiera_small.pt")},
    "b+": {"2.1": ("configs/sam2.1/sam2.1_hiera_b+.yaml", "sam2.1_hiera_base_plus.pt"),
           "2": ("configs/sam2/sam2_hiera_b+.yaml", "sam2_hiera_base_plus.pt")},
    "l": {"2.1": ("configs/sam2.1/sam2.1_hiera_l.yaml", "sam2.1_hiera_large.pt"),
          "2": ("configs/sam2/sam2_hiera_l.yaml", "sam2_hiera_large.pt")},
}
# sam2 imports hydra and needs its config module; torch>=2.5.1 (see its setup.py).
_MODULES = ("torch", "torchvision", "sam2", "hydra", "omegaconf")


@dataclass
class Sam2State:
    """One encoded image: ``SAM2ImagePredictor._features`` and the original (H, W)."""

    image_embed: Any  # torch.Tensor (1, 256, 64, 64)
    high_res_feats: list[Any]  # [(1, 32, 256, 256), (1, 64, 128, 128)]
    orig_hw: tuple[int, int]


class Sam2Adapter(Adapter):
    """Base of the SAM 2 sizes; subclasses name the variant key of `VARIANTS`."""

    variant: ClassVar[str] = ""
    checkpoint_name: ClassVar[str] = ""  # the default (2.1) release's file, for `seem-bench models`
    capabilities = Capabilities(tasks={"interactive", "video-interactive"}, prompts={"point", "box"},
                                memory=True, max_batch=64)

    @classmethod
    def files(cls, version: str = "2.1") -> tuple[str, str]:
        try:
            return VARIANTS[cls.variant][str(version)]
        except KeyError:
            raise UsageError(f"--model-opt version must be 2.1 or 2, got {version!r}") from None

    def __init__(self, checkpoint: str | None = None, device: str | None = None,
                 multimask_output: str = "single-point", version: str = "2.1", seed: int | str = 0,
                 frame_window: int | str = 16, correct_as_cond: bool | str = True,
                 video_image_size: int | str | None = None, **options: Any) -> None:
        reject_unknown(self.name, options)
        # Video predictor options (`video()`, baselines/sam2_video.py).
        self.frame_window = int(frame_window)
        if self.frame_window < 1:
            raise UsageError(f"--model-opt frame_window must be >= 1, got {frame_window!r}")
        self.correct_as_cond = str(correct_as_cond).lower() in ("true", "1", "on", "yes")
        self.video_image_size = None if video_image_size in (None, "", "null") else int(video_image_size)
        if self.video_image_size is not None and (self.video_image_size < 64 or self.video_image_size % 32):
            raise UsageError(f"--model-opt video_image_size must be a multiple of 32 >= 64, got {video_image_size!r}")
        self._video = None
        import torch
        from sam2.build_sam import build_sam2
        from sam2.sam2_image_predictor import SAM2ImagePredictor

        self.multimask_output = parse_multimask_output(multimask_output)
        self.version = str(version)
        self.config, ckpt_name = self.files(self.version)
        problem = checkpoint_problem(checkpoint, ckpt_name)
        if problem:
            raise UsageError(f"model {self.name!r}: {problem}")
        self.random_weights = is_random(checkpoint)
        self.seed = int(seed)
        path = None if self.random_weights else find_checkpoint(checkpoint, ckpt_name)
        super().__init__(checkpoint=str(path or RANDOM_CHECKPOINT), multimask_output=self.multimask_output,
                         version=self.version)
        self.checkpoint = path
        self.device = resolve_device(device)
        self.device_type = self.device.type
        if self.random_weights:
            torch.manual_seed(self.seed)  # build_sam2 without a checkpoint keeps the initialisation
        try:
            model = build_sam2(self.config, None if path is None else str(path), device=str(self.device),
                               mode="eval")
        except (RuntimeError, KeyError) as e:  # the package logs the missing keys, then raises bare
            raise UsageError(f"checkpoint {path} does not load into SAM {self.version} {self.variant} "
                             f"({self.config}): {type(e).__name__} {e}".strip()) from None
        self.model = model
        self.predictor = SAM2ImagePredictor(model)

    @classmethod
    def availability(cls, checkpoint: str | None = None, version: str = "2.1",
                     **options: Any) -> tuple[bool, str]:
        missing = missing_modules(*_MODULES)
        if missing:
            return False, (f"python package(s) {', '.join(missing)} not installed (SAM2_BUILD_CUDA=0 "
                           "pip install sam2; it needs torch>=2.5.1)")
        try:
            _, ckpt_name = cls.files(version)
        except UsageError as e:
            return False, str(e)
        problem = checkpoint_problem(checkpoint, ckpt_name)
        return (False, problem) if problem else (True, "ok")

    def fingerprint(self) -> dict[str, Any]:
        try:
            pkg = metadata.version("sam2")
        except metadata.PackageNotFoundError:
            pkg = None
        if self.checkpoint is None:
            weights = {"checkpoint": RANDOM_CHECKPOINT, "random_weights": True, "seed": self.seed,
                       "torch": metadata.version("torch")}
        else:
            weights = {"checkpoint_file": self.checkpoint.name, "checkpoint_sha256": sha256_file(self.checkpoint)}
        out = {"name": self.name, "config": self.config, **weights,
               "multimask_output": self.multimask_output, "apply_postprocessing": True, "sam2": pkg}
        if self.frame_window != 16 or not self.correct_as_cond or self.video_image_size is not None:
            # Only non-defaults, so that image runs keep their run ids.
            out["video"] = {"frame_window": self.frame_window, "correct_as_cond": self.correct_as_cond,
                            "image_size": self.video_image_size}
        return out

    def video(self) -> Any:
        """The SAM 2 video predictor with this model's weights (`baselines.sam2_video`)."""
        if self._video is None:
            from seem_bench.baselines.sam2_video import Sam2VideoAdapter

            self._video = Sam2VideoAdapter(self, self.frame_window, self.correct_as_cond, self.video_image_size)
        return self._video

    def encode(self, image: np.ndarray) -> Sam2State:
        _check_image(image)
        p = self.predictor
        p.set_image(image)
        f = p._features
        state = Sam2State(f["image_embed"], list(f["high_res_feats"]), tuple(p._orig_hw[0]))
        p.reset_predictor()  # the state now owns the features
        return state

    def _activate(self, state: Sam2State) -> None:
        # SAM2ImagePredictor keeps one image in private fields; point them at this state.
        p = self.predictor
        p._features = {"image_embed": state.image_embed, "high_res_feats": state.high_res_feats}
        p._orig_hw = [state.orig_hw]
        p._is_image_set = True
        p._is_batch = False

    def decode(self, state: Sam2State, prompts: Prompts, memory: Any = None) -> Prediction:
        coords, labels = click_arrays(prompts)
        box = box_array(prompts)
        if coords is None and box is None:
            return Prediction(mask=np.zeros(state.orig_hw, bool))
        self._activate(state)
        multi = wants_multimask(self.multimask_output, prompts)
        masks, scores, low = self.predictor.predict(point_coords=coords, point_labels=labels, box=box,
                                                    mask_input=memory, multimask_output=multi)
        masks = np.asarray(masks) > 0  # the package returns float 0/1 masks
        return candidates_prediction(masks, scores, low, several=multi and len(masks) > 1)

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[Prediction]:
        """One ``SAM2ImagePredictor._predict`` pass per `BatchGroup` (same image, same prompt shape),
        with the prompts prepared by the package's ``_prep_prompts`` as `decode`'s ``predict`` does."""
        out, groups = batch_groups(requests, self.multimask_output)
        p = self.predictor
        for g in groups:
            self._activate(g.state)
            mask_input, coords, labels, boxes = p._prep_prompts(g.coords, g.labels, g.boxes, g.masks,
                                                                normalize_coords=True)
            masks, scores, low = p._predict(coords, labels, boxes, mask_input, g.multi)
            masks, scores, low = (t.float().detach().cpu().numpy() for t in (masks, scores, low))
            for j, i in enumerate(g.indices):
                out[i] = candidates_prediction(masks[j] > 0, scores[j], low[j],
                                               several=g.multi and masks.shape[1] > 1)
        return [out[i] for i in range(len(requests))]

    def dump_state(self, state: Sam2State) -> dict[str, np.ndarray]:
        out = {"image_embed": state.image_embed.detach().cpu().numpy(),
               "orig_hw": np.asarray(state.orig_hw, np.int64)}
        for i, f in enumerate(state.high_res_feats):
            out[f"high_res_{i}"] = f.detach().cpu().numpy()
        return out

    def load_state(self, arrays: dict[str, np.ndarray]) -> Sam2State:
        import torch

        def t(a: np.ndarray) -> Any:
            return torch.from_numpy(np.ascontiguousarray(a)).to(self.device)

        n = sum(1 for k in arrays if k.startswith("high_res_"))
        return Sam2State(t(arrays["image_embed"]), [t(arrays[f"high_res_{i}"]) for i in range(n)],
                         tuple(int(v) for v in arrays["orig_hw"]))  # type: ignore[arg-type]

    def close(self) -> None:
        self.predictor.reset_predictor()


class Sam2Tiny(Sam2Adapter):
    name = "sam2_t"
    summary = "SAM 2.1 Hiera-T image predictor (sam2, sam2.1_hiera_tiny.pt)"
    variant = "t"
    checkpoint_name = VARIANTS["t"]["2.1"][1]


class Sam2Small(Sam2Adapter):
    name = "sam2_s"
    summary = "SAM 2.1 Hiera-S image predictor (sam2, sam2.1_hiera_small.pt)"
    variant = "s"
    checkpoint_name = VARIANTS["s"]["2.1"][1]


class Sam2BasePlus(Sam2Adapter):
    name = "sam2_b"
    summary = "SAM 2.1 Hiera-B+ image predictor (sam2, sam2.1_hiera_base_plus.pt)"
    variant = "b+"
    checkpoint_name = VARIANTS["b+"]["2.1"][1]


class Sam2Large(Sam2Adapter):
    name = "sam2_l"
    summary = "SAM 2.1 Hiera-L image predictor (sam2, sam2.1_hiera_large.pt)"
    variant = "l"
    checkpoint_name = VARIANTS["l"]["2.1"][1]
