"""Interactive (points / boxes) models of the SAM family through transformers.

``hf:sam2.1_t|s|b+|l`` (``Sam2Model``, SAM 2.1 Hiera image predictor), ``hf:edgetam``
(``EdgeTamModel``), ``hf:sam3_tracker`` (``Sam3TrackerModel``, SAM 3's interactive head on its
Perception-Encoder backbone), ``hf:sam_hq_b|l|h`` (``SamHQModel``): one code path, as they share
transformers' SAM interface.

- ``encode``: the model's processor resizes / normalises the image (SAM 2 / EdgeTAM / SAM 3
  tracker: a 1024x1024 square, aspect not kept; SAM-HQ: longest side 1024 then padding) and
  ``get_image_embeddings`` runs once; the state holds the embeddings (and SAM-HQ's
  intermediate ViT embeddings) and the original size.
- ``decode``: clicks as (x, y) pixels of the original image with labels 1 / 0 and the box as
  ``[x0, y0, x1, y1]`` go through the processor (which rescales them to the model's input
  frame), then the prompt encoder and mask decoder; with memory on, the previous round's
  low-resolution logits (1, 256, 256) are ``input_masks``. Masks come back through
  ``processor.post_process_masks`` at the original size, ``logits > 0``.
- Several candidates (SAM 2's convention, the same as SAM's): ``multimask_output`` says when
  to ask for 3 (``single-point``, the default: one click and no box; ``always``; ``never``).
  With 3, all go to the loop in ``extra`` (``candidates``, ``candidate_memory``,
  ``candidate_scores``: the predicted IoUs) and the task parameter ``output`` picks one:
  ``best-score`` (= ``top``, the highest predicted IoU, first on ties), ``first`` (the
  decoder's first multimask output) or ``oracle`` (best IoU with the GT). With one mask asked
  for, SAM 2's decoder itself may swap in the most stable multimask output
  (``dynamic_multimask_via_stability`` in its config, on in the release).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from seem_bench.baselines.hf.base import HfAdapter, has_processor_files
from seem_bench.baselines.sam import (
    box_array,
    candidates_prediction,
    click_arrays,
    parse_multimask_output,
    wants_multimask,
)

from seem_bench.adapters.base import Capabilities, Prediction
from seem_bench.prompts.types import Prompts
from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")

#: SAM 2.1 Hiera sizes (``sam2/configs/sam2.1/sam2.1_hiera_*.yaml``): embed dim, heads, blocks per
#: stage, global-attention blocks, window sizes per stage, window positional background size.
HIERA = {
    "t": (96, 1, [1, 2, 7, 2], [5, 7, 9], [8, 4, 14, 7], [7, 7]),
    "s": (96, 1, [1, 2, 11, 2], [7, 10, 13], [8, 4, 14, 7], [7, 7]),
    "b+": (112, 2, [2, 3, 16, 3], [12, 16, 20], [8, 4, 14, 7], [14, 14]),
    "l": (144, 2, [2, 6, 36, 4], [23, 33, 43], [8, 4, 16, 8], [7, 7]),
}
#: SAM ViT encoders (SAM-HQ keeps SAM's): hidden size, layers, heads, global-attention layers.
TINY_PX = 256  # input size of the tiny test configs
SAM_VIT = {"b": (768, 12, 12, [2, 5, 8, 11]), "l": (1024, 24, 16, [5, 11, 17, 23]),
           "h": (1280, 32, 16, [7, 15, 23, 31])}


def sam2_config(size: str, tiny: bool = False) -> Any:
    from transformers import (
        Sam2Config,
        Sam2HieraDetConfig,
        Sam2PromptEncoderConfig,
        Sam2VisionConfig,
    )

    embed, heads, blocks, glob, windows, bkg = HIERA[size]
    px = 1024
    if tiny:  # 4 stages as released, few and narrow blocks, 256-px input
        embed, heads, blocks, glob, px = 16, 1, [1, 1, 2, 1], [3], TINY_PX  # a global block may not open a stage
    dims = [embed * 2 ** i for i in range(4)]
    hiera = Sam2HieraDetConfig(hidden_size=embed, num_attention_heads=heads, blocks_per_stage=blocks,
                               embed_dim_per_stage=dims, num_attention_heads_per_stage=[heads * 2 ** i for i in range(4)],
                               window_size_per_stage=windows, global_attention_blocks=glob,
                               window_positional_embedding_background_size=bkg, image_size=[px, px])
    feats = [[px // 4, px // 4], [px // 8, px // 8], [px // 16, px // 16]]
    return Sam2Config(vision_config=Sam2VisionConfig(backbone_config=hiera, backbone_channel_list=dims[::-1],
                                                      backbone_feature_sizes=feats),
                      prompt_encoder_config=Sam2PromptEncoderConfig(image_size=px))


def sam_hq_config(size: str, tiny: bool = False) -> Any:
    from transformers import (
        SamHQConfig,
        SamHQMaskDecoderConfig,
        SamHQPromptEncoderConfig,
        SamHQVisionConfig,
    )

    hidden, layers, heads, glob = SAM_VIT[size]
    px = 1024
    if tiny:
        hidden, layers, heads, glob, px = 32, 4, 2, [1, 3], TINY_PX
    return SamHQConfig(vision_config=SamHQVisionConfig(hidden_size=hidden, num_hidden_layers=layers, image_size=px,
                                                        num_attention_heads=heads, global_attn_indexes=glob),
                       prompt_encoder_config=SamHQPromptEncoderConfig(image_size=px),
                       mask_decoder_config=SamHQMaskDecoderConfig(vit_dim=hidden))


def edgetam_config(tiny: bool = False) -> Any:
    from transformers import EdgeTamConfig, EdgeTamVisionConfig, TimmWrapperConfig

    # The backbone named explicitly: transformers 5's default spells the key "archirecture", so
    # EdgeTamConfig() alone builds timm's default network, not RepViT-M1 (channel mismatch).
    backbone = TimmWrapperConfig(architecture="repvit_m1",
                                 model_args={"in_chans": 3, "features_only": True, "out_indices": [0, 1, 2, 3]})
    px = TINY_PX if tiny else 1024  # tiny: the released network on a 256-px input
    feats = [[px // 4, px // 4], [px // 8, px // 8], [px // 16, px // 16]]
    return EdgeTamConfig(vision_config=EdgeTamVisionConfig(backbone_config=backbone, backbone_feature_sizes=feats),
                         prompt_encoder_config={"image_size": px})


def sam3_tracker_config(tiny: bool = False) -> Any:
    from transformers import Sam3TrackerConfig, Sam3VisionConfig, Sam3ViTConfig

    if not tiny:
        return Sam3TrackerConfig()
    px = 224  # 16 x 16 patches of 14 px
    vit = Sam3ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                        image_size=px, window_size=8, global_attn_indexes=[1])
    feats = [[64, 64], [32, 32], [16, 16]]
    return Sam3TrackerConfig(vision_config=Sam3VisionConfig(backbone_config=vit, backbone_feature_sizes=feats),
                             prompt_encoder_config={"image_size": px})


class HfPromptable(HfAdapter):
    """Base of the SAM-family ``hf:*`` names; subclasses set the classes and the config."""

    processor_class: ClassVar[str] = ""
    image_processor_class: ClassVar[str] = ""
    variant: ClassVar[str] = ""
    hq: ClassVar[bool] = False  # SAM-HQ: forward also takes the ViT's intermediate embeddings
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point", "box"}, memory=True)

    def __init__(self, checkpoint: str | None = None, device: str | None = None, seed: int | str = 0,
                 config: str = "default", multimask_output: str = "single-point", **options: Any) -> None:
        self.multimask_output = parse_multimask_output(multimask_output)
        super().__init__(checkpoint=checkpoint, device=device, seed=seed, config=config,
                         multimask_output=self.multimask_output, **options)

    def build_processor(self, checkpoint_dir: Path | None) -> tuple[Any, str]:
        import transformers

        proc_cls = getattr(transformers, self.processor_class)
        if has_processor_files(checkpoint_dir):
            return proc_cls.from_pretrained(str(checkpoint_dir), local_files_only=True), "checkpoint"
        px = self.model.config.prompt_encoder_config.image_size  # the input size the model was built for
        px = int(px[0] if isinstance(px, (list, tuple)) else px)
        image_cls = getattr(transformers, self.image_processor_class)
        if self.hq:  # SAM's resize: longest side, then pad to a square
            image_proc = image_cls(size={"longest_edge": px}, pad_size={"height": px, "width": px})
        else:
            image_proc = image_cls(size={"height": px, "width": px})
        return proc_cls(image_processor=image_proc), "default"

    def encode(self, image: np.ndarray) -> dict[str, Any]:
        import torch

        self.check_image(image)
        inputs = self.processor(images=image, return_tensors="pt")
        pixels = inputs["pixel_values"].to(self.device)
        with torch.inference_mode():
            out = self.model.get_image_embeddings(pixels)
        state: dict[str, Any] = {"hw": tuple(image.shape[:2]), "original_sizes": inputs["original_sizes"]}
        if self.hq:  # SamHQModel.get_image_embeddings returns (embeddings, intermediate embeddings)
            state["embeddings"], state["intermediate"] = out
        else:
            state["embeddings"] = out
        if "reshaped_input_sizes" in inputs:
            state["reshaped_input_sizes"] = inputs["reshaped_input_sizes"]
        return state

    def _prompt_inputs(self, state: dict[str, Any], coords: np.ndarray | None, labels: np.ndarray | None,
                       box: np.ndarray | None) -> dict[str, Any]:
        """Prompt tensors in the model's input frame, by the processor's own coordinate transform."""
        import torch

        if not self.hq:  # Sam2Processor-style: prompts alone, normalised with the original size
            kwargs: dict[str, Any] = {"original_sizes": [list(state["hw"])], "return_tensors": "pt"}
            if coords is not None:
                kwargs["input_points"] = [[coords.tolist()]]
                kwargs["input_labels"] = [[labels.tolist()]]  # type: ignore[union-attr]
            if box is not None:
                kwargs["input_boxes"] = [[box.tolist()]]
            return dict(self.processor(**kwargs))
        # SamHQProcessor needs the image to transform prompts; its coordinate rule alone instead
        p, out = self.processor, {}
        if coords is not None:
            pts = p._normalize_coordinates(p.target_size, coords, state["hw"])
            out["input_points"] = torch.as_tensor(pts, dtype=torch.float32)[None, None]
            out["input_labels"] = torch.as_tensor(labels, dtype=torch.int64)[None, None]
        if box is not None:
            b = p._normalize_coordinates(p.target_size, box[None], state["hw"], is_bounding_box=True)
            out["input_boxes"] = torch.as_tensor(b, dtype=torch.float32)[None]
        return out

    def decode(self, state: dict[str, Any], prompts: Prompts, memory: Any = None) -> Prediction:
        import torch

        coords, labels = click_arrays(prompts)
        box = box_array(prompts)
        h, w = state["hw"]
        if coords is None and box is None:
            return Prediction(mask=np.zeros((h, w), bool))
        inputs = self._prompt_inputs(state, coords, labels, box)
        multi = wants_multimask(self.multimask_output, prompts)
        fwd: dict[str, Any] = {"image_embeddings": state["embeddings"], "multimask_output": multi}
        for key in ("input_points", "input_labels", "input_boxes"):
            if key in inputs:
                fwd[key] = inputs[key].to(self.device)
        if self.hq:
            fwd["intermediate_embeddings"] = state["intermediate"]
        if memory is not None:
            fwd["input_masks"] = torch.as_tensor(np.asarray(memory, np.float32)[None], device=self.device)
        with torch.inference_mode():
            out = self.model(**fwd)
            low = out.pred_masks[0, 0]  # (candidates, 256, 256) logits
            sizes = [list(state["hw"])]
            extra = {"reshaped_input_sizes": state["reshaped_input_sizes"].tolist()} if self.hq else {}
            masks = self.processor.post_process_masks(out.pred_masks.cpu(), sizes, mask_threshold=0.0,
                                                      binarize=True, **extra)[0][0]
        scores = out.iou_scores[0, 0].float().cpu().numpy()
        return candidates_prediction(masks.bool().numpy(), scores, low.float().cpu().numpy(),
                                     several=multi and len(scores) > 1)


class HfSam21Tiny(HfPromptable):
    name = "hf:sam2.1_t"
    summary = "SAM 2.1 Hiera-T image predictor (transformers Sam2Model; facebook/sam2.1-hiera-tiny)"
    hub_id = "facebook/sam2.1-hiera-tiny"
    model_class, processor_class, image_processor_class = "Sam2Model", "Sam2Processor", "Sam2ImageProcessor"
    variant = "t"

    def build_config(self, config: str) -> Any:
        return sam2_config(self.variant, tiny=config == "tiny")


class HfSam21Small(HfSam21Tiny):
    name = "hf:sam2.1_s"
    summary = "SAM 2.1 Hiera-S image predictor (transformers Sam2Model; facebook/sam2.1-hiera-small)"
    hub_id = "facebook/sam2.1-hiera-small"
    variant = "s"


class HfSam21BasePlus(HfSam21Tiny):
    name = "hf:sam2.1_b+"
    summary = "SAM 2.1 Hiera-B+ image predictor (transformers Sam2Model; facebook/sam2.1-hiera-base-plus)"
    hub_id = "facebook/sam2.1-hiera-base-plus"
    variant = "b+"


class HfSam21Large(HfSam21Tiny):
    name = "hf:sam2.1_l"
    summary = "SAM 2.1 Hiera-L image predictor (transformers Sam2Model; facebook/sam2.1-hiera-large)"
    hub_id = "facebook/sam2.1-hiera-large"
    variant = "l"


class HfEdgeTam(HfPromptable):
    name = "hf:edgetam"
    summary = "EdgeTAM image predictor (transformers EdgeTamModel, RepViT via timm; yonigozlan/EdgeTAM-hf)"
    hub_id = "yonigozlan/EdgeTAM-hf"
    model_class, processor_class, image_processor_class = "EdgeTamModel", "Sam2Processor", "Sam2ImageProcessor"

    def build_config(self, config: str) -> Any:
        return edgetam_config(tiny=config == "tiny")

    @classmethod
    def availability(cls, checkpoint: str | None = None, **options: Any) -> tuple[bool, str]:
        from seem_bench.adapters.weights import missing_modules

        if missing_modules("timm"):
            return False, "EdgeTAM's RepViT backbone needs timm (pip install 'seem-bench[hf]')"
        return super().availability(checkpoint=checkpoint, **options)


class HfSam3Tracker(HfPromptable):
    name = "hf:sam3_tracker"
    summary = "SAM 3 tracker, image mode: points / boxes (transformers Sam3TrackerModel; facebook/sam3)"
    hub_id = "facebook/sam3"
    model_class, processor_class = "Sam3TrackerModel", "Sam3TrackerProcessor"
    image_processor_class = "Sam2ImageProcessor"

    def build_config(self, config: str) -> Any:
        return sam3_tracker_config(tiny=config == "tiny")


class HfSamHQBase(HfPromptable):
    name = "hf:sam_hq_b"
    summary = "SAM-HQ ViT-B (transformers SamHQModel; syscv-community/sam-hq-vit-base)"
    hub_id = "syscv-community/sam-hq-vit-base"
    model_class, processor_class, image_processor_class = "SamHQModel", "SamHQProcessor", "SamImageProcessor"
    variant = "b"
    hq = True

    def build_config(self, config: str) -> Any:
        return sam_hq_config(self.variant, tiny=config == "tiny")


class HfSamHQLarge(HfSamHQBase):
    name = "hf:sam_hq_l"
    summary = "SAM-HQ ViT-L (transformers SamHQModel; syscv-community/sam-hq-vit-large)"
    hub_id = "syscv-community/sam-hq-vit-large"
    variant = "l"


class HfSamHQHuge(HfSamHQBase):
    name = "hf:sam_hq_h"
    summary = "SAM-HQ ViT-H (transformers SamHQModel; syscv-community/sam-hq-vit-huge)"
    hub_id = "syscv-community/sam-hq-vit-huge"
    variant = "h"
