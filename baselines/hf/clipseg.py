"""``hf:clipseg``: CLIPSeg (Lüddecke & Ecker, CVPR 2022) for referring segmentation, through transformers.

``CLIPSegForImageSegmentation`` runs the CLIP image encoder and the text encoder together; the
adapter splits its ``forward`` into the same three calls so that the image is encoded once:

- ``encode``: the processor's image transform, then ``model.clip.vision_model(pixel_values,
  output_hidden_states=True, interpolate_pos_encoding=True)``; the state keeps the activations
  of ``config.extract_layers`` (``hidden_states[i + 1]``, as ``forward`` takes them);
- ``decode``: ``model.get_conditional_embeddings`` of the tokenized sentence, then
  ``model.decoder(activations, conditional_embeddings)``; the logits (input resolution) go
  through a sigmoid and a bilinear resize to the image size: ``Prediction.prob``, thresholded by
  the referring task's ``pred_thr`` (0.5). A test checks the split equals ``forward``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from seem_bench.baselines.hf.base import HfAdapter, has_processor_files

from seem_bench.adapters.base import Capabilities, Prediction
from seem_bench.prompts.types import Prompts
from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")


def tiny_clipseg_config() -> Any:
    from transformers import CLIPSegConfig

    text = {"vocab_size": 49408, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
            "num_attention_heads": 4, "max_position_embeddings": 77}
    vision = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
              "image_size": 96, "patch_size": 16}
    return CLIPSegConfig(text_config=text, vision_config=vision, projection_dim=32, extract_layers=[1],
                         reduce_dim=16, decoder_num_attention_heads=2, decoder_intermediate_size=32)


class HfClipSeg(HfAdapter):
    name = "hf:clipseg"
    summary = "CLIPSeg referring segmentation (transformers CLIPSegForImageSegmentation; CIDAS/clipseg-rd64-refined)"
    hub_id = "CIDAS/clipseg-rd64-refined"
    model_class = "CLIPSegForImageSegmentation"
    needs_tokenizer = True
    capabilities = Capabilities(tasks={"referring"}, prompts={"text"})

    def build_config(self, config: str) -> Any:
        from transformers import CLIPSegConfig

        return CLIPSegConfig() if config == "default" else tiny_clipseg_config()

    def build_processor(self, checkpoint_dir: Path | None) -> tuple[Any, str]:
        from seem_bench.baselines.hf.tokenizer import clip_tokenizer
        from transformers import CLIPSegProcessor, ViTImageProcessor

        if has_processor_files(checkpoint_dir):
            return CLIPSegProcessor.from_pretrained(str(checkpoint_dir), local_files_only=True), "checkpoint"
        px = int(self.model.config.vision_config.image_size)
        return CLIPSegProcessor(image_processor=ViTImageProcessor(size={"height": px, "width": px}),
                                tokenizer=clip_tokenizer(checkpoint_dir)), "default"

    def encode(self, image: np.ndarray) -> dict[str, Any]:
        import torch

        self.check_image(image)
        pixels = self.processor(images=image, return_tensors="pt")["pixel_values"].to(self.device)
        with torch.inference_mode():
            out = self.model.clip.vision_model(pixel_values=pixels, output_hidden_states=True,
                                               interpolate_pos_encoding=True)
        acts = [out.hidden_states[i + 1] for i in self.model.extract_layers]
        return {"activations": acts, "hw": image.shape[:2]}

    def decode(self, state: dict[str, Any], prompts: Prompts, memory: Any = None) -> Prediction:
        import torch
        import torch.nn.functional as F

        if not prompts.text:
            raise ValueError("hf:clipseg needs a text prompt")
        tok = self.processor.tokenizer(prompts.text, return_tensors="pt", padding=True)
        with torch.inference_mode():
            cond = self.model.get_conditional_embeddings(batch_size=1, input_ids=tok["input_ids"].to(self.device),
                                                         attention_mask=tok["attention_mask"].to(self.device))
            logits = self.model.decoder(state["activations"], cond).logits
            logits = logits.reshape(1, 1, *logits.shape[-2:]).float()
            prob = F.interpolate(logits, size=tuple(state["hw"]), mode="bilinear", align_corners=False).sigmoid()
        return Prediction(prob=prob[0, 0].cpu().numpy().astype(np.float32))
