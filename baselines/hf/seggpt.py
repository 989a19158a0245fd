"""``hf:seggpt``: SegGPT (Wang et al., ICCV 2023) for referenced-image prompts, through transformers.

``SegGptForImageSegmentation`` encodes the prompt image, its mask and the target image together
(stacked vertically into one ViT input), so nothing of the target can be encoded ahead of its
prompt: ``encode`` only keeps the image, and each ``decode`` runs ``SegGptImageProcessor`` on
(target, exemplar image, exemplar mask as a 1-label map, ``num_labels=1``), the model, and
``post_process_semantic_segmentation`` (nearest palette colour, resized to the image):
the predicted mask is label 1.
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


def tiny_seggpt_config() -> Any:
    from transformers import SegGptConfig

    return SegGptConfig(hidden_size=32, num_hidden_layers=5, num_attention_heads=4, mlp_dim=64, image_size=[128, 64],
                        pretrain_image_size=64, decoder_hidden_size=16, merge_index=0,
                        intermediate_hidden_state_indices=[1, 2, 3, 4])


class HfSegGpt(HfAdapter):
    name = "hf:seggpt"
    summary = "SegGPT in-context segmentation from an exemplar (transformers SegGptForImageSegmentation; BAAI/seggpt-vit-large)"
    hub_id = "BAAI/seggpt-vit-large"
    model_class = "SegGptForImageSegmentation"
    capabilities = Capabilities(tasks={"ref-image"}, prompts={"ref_image"})

    def build_config(self, config: str) -> Any:
        from transformers import SegGptConfig

        return SegGptConfig() if config == "default" else tiny_seggpt_config()

    def build_processor(self, checkpoint_dir: Path | None) -> tuple[Any, str]:
        from transformers import SegGptImageProcessor

        if has_processor_files(checkpoint_dir):
            return SegGptImageProcessor.from_pretrained(str(checkpoint_dir), local_files_only=True), "checkpoint"
        h, w = self.model.config.image_size
        return SegGptImageProcessor(size={"height": int(h) // 2, "width": int(w)}), "default"

    def encode(self, image: np.ndarray) -> dict[str, Any]:
        self.check_image(image)
        return {"image": image, "hw": image.shape[:2]}

    def decode(self, state: dict[str, Any], prompts: Prompts, memory: Any = None) -> Prediction:
        import torch

        ref = prompts.ref_image
        if ref is None:
            raise ValueError("hf:seggpt needs a referenced-image prompt")
        inputs = self.processor(images=state["image"], prompt_images=ref.image,
                                prompt_masks=np.asarray(ref.mask, np.uint8), num_labels=1, return_tensors="pt")
        with torch.inference_mode():
            out = self.model(**{k: v.to(self.device) for k, v in inputs.items()})
        seg = self.processor.post_process_semantic_segmentation(out, target_sizes=[tuple(state["hw"])], num_labels=1)[0]
        return Prediction(mask=(seg == 1).cpu().numpy())
