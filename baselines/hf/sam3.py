"""``hf:sam3``: SAM 3 (Carion et al. 2025, "Segment Anything with Concepts") through transformers.

Promptable concept segmentation: ``Sam3Model`` with a noun phrase returns every instance of it.

- ``encode`` runs ``Sam3Processor`` on the image (resize to 1008x1008, ImageNet mean/std) and
  ``Sam3Model.get_vision_features`` once; the state is that ``Sam3VisionEncoderOutput``, handed
  back as ``vision_embeds`` for every phrase of the image;
- ``decode`` tokenizes the phrase (CLIP BPE, padded to 32 tokens, as ``Sam3Processor`` does;
  the text embedding of a phrase is computed once per run and reused), runs the DETR encoder /
  decoder and mask head, and post-processes with
  ``Sam3Processor.post_process_instance_segmentation``: score = sigmoid(query logit) x
  sigmoid(presence logit), masks = sigmoid(mask logits) upsampled bilinearly to the image size,
  ``> mask_threshold`` (0.5);
- ``Prediction.extra["instances"]``: every query with score > ``min_score`` (default 0.3, the
  processor's default threshold) as ``{"mask", "score"}`` in query order, plus
  ``extra["min_score"]`` so that the concept loop refuses a ``score_thr`` below it;
- referring: the sentence is the concept; ``mask`` is the highest-scoring instance (empty when
  none scores above ``min_score``).

Options: ``min_score``, ``mask_threshold``, ``config`` (random weights: ``default`` = the
released architecture, 840 M parameters; ``tiny`` for tests).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seem_bench.baselines.hf.base import HfAdapter, has_processor_files

from seem_bench.adapters.base import Capabilities, Prediction
from seem_bench.errors import UsageError
from seem_bench.prompts.types import Prompts
from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")

_TEXT_CACHE = 4096  # phrases whose text embedding is kept (SA-Co repeats phrases across images)


def tiny_sam3_config() -> Any:
    """A few-layer SAM 3 of the same classes (224 px, width 32): builds and runs in well under 1 s."""
    from transformers import (
        Sam3Config,
        Sam3DETRDecoderConfig,
        Sam3DETREncoderConfig,
        Sam3GeometryEncoderConfig,
        Sam3MaskDecoderConfig,
        Sam3VisionConfig,
        Sam3ViTConfig,
    )

    vit = Sam3ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                        image_size=224, patch_size=14, window_size=8, global_attn_indexes=[1])
    text = {"vocab_size": 49408, "hidden_size": 32, "intermediate_size": 64, "projection_dim": 32,
            "num_hidden_layers": 1, "num_attention_heads": 4, "max_position_embeddings": 32}
    small = {"hidden_size": 32, "num_layers": 1, "num_attention_heads": 4, "intermediate_size": 64}
    return Sam3Config(vision_config=Sam3VisionConfig(backbone_config=vit, fpn_hidden_size=32,
                                                      scale_factors=[2.0, 1.0]),
                      text_config=text, geometry_encoder_config=Sam3GeometryEncoderConfig(**small),
                      detr_encoder_config=Sam3DETREncoderConfig(**small),
                      detr_decoder_config=Sam3DETRDecoderConfig(**small, num_queries=8),
                      mask_decoder_config=Sam3MaskDecoderConfig(hidden_size=32, num_upsampling_stages=2))


class HfSam3(HfAdapter):
    name = "hf:sam3"
    summary = "SAM 3 concept segmentation (transformers Sam3Model; facebook/sam3)"
    hub_id = "facebook/sam3"
    model_class = "Sam3Model"
    needs_tokenizer = True
    capabilities = Capabilities(tasks={"concept", "referring"}, prompts={"text"})

    def __init__(self, checkpoint: str | None = None, device: str | None = None, seed: int | str = 0,
                 config: str = "default", min_score: float | str = 0.3, mask_threshold: float | str = 0.5,
                 **options: Any) -> None:
        try:
            self.min_score, self.mask_threshold = float(min_score), float(mask_threshold)
        except ValueError:
            raise UsageError(f"model {self.name!r}: min_score and mask_threshold must be numbers") from None
        super().__init__(checkpoint=checkpoint, device=device, seed=seed, config=config,
                         min_score=self.min_score, mask_threshold=self.mask_threshold, **options)
        self._text: OrderedDict[str, tuple[Any, Any]] = OrderedDict()

    def build_config(self, config: str) -> Any:
        from transformers import Sam3Config

        return Sam3Config() if config == "default" else tiny_sam3_config()

    def build_processor(self, checkpoint_dir: Path | None) -> tuple[Any, str]:
        from seem_bench.baselines.hf.tokenizer import clip_tokenizer
        from transformers import Sam3ImageProcessor, Sam3Processor

        if has_processor_files(checkpoint_dir):
            return Sam3Processor.from_pretrained(str(checkpoint_dir), local_files_only=True), "checkpoint"
        size = int(self.model.config.vision_config.backbone_config.image_size)
        image_proc = Sam3ImageProcessor(size={"height": size, "width": size})
        return Sam3Processor(image_processor=image_proc, tokenizer=clip_tokenizer(checkpoint_dir),
                             target_size=size), "default"

    def encode(self, image: np.ndarray) -> dict[str, Any]:
        import torch

        self.check_image(image)
        inputs = self.processor(images=image, return_tensors="pt")
        with torch.inference_mode():
            vision = self.model.get_vision_features(pixel_values=inputs["pixel_values"].to(self.device))
        return {"vision": vision, "hw": image.shape[:2]}

    def _text_embeds(self, text: str) -> tuple[Any, Any]:
        import torch

        hit = self._text.get(text)
        if hit is not None:
            self._text.move_to_end(text)
            return hit
        tok = self.processor.tokenizer(text, return_tensors="pt", padding="max_length", max_length=32)
        ids, mask = tok["input_ids"].to(self.device), tok["attention_mask"].to(self.device)
        with torch.inference_mode():
            emb = self.model.get_text_features(input_ids=ids, attention_mask=mask, return_dict=True)
        self._text[text] = (emb, mask)
        if len(self._text) > _TEXT_CACHE:
            self._text.popitem(last=False)
        return emb, mask

    def decode(self, state: dict[str, Any], prompts: Prompts, memory: Any = None) -> Prediction:
        import torch

        h, w = state["hw"]
        if not prompts.text:
            raise ValueError("hf:sam3 needs a text prompt (the concept)")
        emb, mask = self._text_embeds(prompts.text)
        with torch.inference_mode():
            out = self.model(vision_embeds=state["vision"], text_embeds=emb, attention_mask=mask)
            res = self.processor.post_process_instance_segmentation(
                out, threshold=self.min_score, mask_threshold=self.mask_threshold, target_sizes=[(h, w)])[0]
        masks = res["masks"].bool().cpu().numpy() if len(res["scores"]) else np.zeros((0, h, w), bool)
        scores = res["scores"].float().cpu().numpy()
        instances = [{"mask": masks[i], "score": float(scores[i])} for i in range(len(scores))]
        top = masks[int(np.argmax(scores))] if len(scores) else np.zeros((h, w), bool)
        return Prediction(mask=top, score=float(scores.max()) if len(scores) else 0.0,
                          extra={"instances": instances, "min_score": self.min_score})
