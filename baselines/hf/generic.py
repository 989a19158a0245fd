"""``hf:mask2former``: Mask2Former (Cheng et al., CVPR 2022) for the generic task, through transformers.

Promptless: ``encode`` runs ``Mask2FormerImageProcessor`` and the whole
``Mask2FormerForUniversalSegmentation`` once per image (there is no prompt to wait for) and keeps
the class / mask query outputs; ``decode`` post-processes them with the processor's own
``post_process_panoptic_segmentation`` (``threshold`` 0.8, ``mask_threshold`` 0.5,
``overlap_mask_area_threshold`` 0.8, stuff classes fused: Mask2Former's panoptic-inference
defaults), ``post_process_semantic_segmentation`` and ``post_process_instance_segmentation``.

Class index k of the model is the k-th dataset category by id: MaskFormer's contiguous order
for COCO panoptic (133 classes), which is also the generic task's semantic index; indices past
the dataset's categories are dropped (a segment of one becomes VOID).
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


def tiny_mask2former_config(num_labels: int = 7) -> Any:
    from transformers import Mask2FormerConfig, SwinConfig

    swin = SwinConfig(embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2], window_size=4,
                      out_features=["stage1", "stage2", "stage3", "stage4"])
    return Mask2FormerConfig(backbone_config=swin, feature_size=32, mask_feature_size=32, hidden_dim=32,
                             encoder_feedforward_dim=64, dim_feedforward=64, encoder_layers=1, decoder_layers=2,
                             num_attention_heads=2, num_queries=10, num_labels=num_labels)


class HfMask2Former(HfAdapter):
    name = "hf:mask2former"
    summary = "Mask2Former panoptic (transformers Mask2FormerForUniversalSegmentation; facebook/mask2former-swin-tiny-coco-panoptic)"
    hub_id = "facebook/mask2former-swin-tiny-coco-panoptic"
    model_class = "Mask2FormerForUniversalSegmentation"
    capabilities = Capabilities(tasks={"generic"}, prompts={"none"})

    def __init__(self, checkpoint: str | None = None, device: str | None = None, seed: int | str = 0,
                 config: str = "default", **options: Any) -> None:
        super().__init__(checkpoint=checkpoint, device=device, seed=seed, config=config, **options)
        self.categories: list[dict[str, Any]] = []

    def build_config(self, config: str) -> Any:
        from transformers import Mask2FormerConfig

        return Mask2FormerConfig() if config == "default" else tiny_mask2former_config()

    def build_processor(self, checkpoint_dir: Path | None) -> tuple[Any, str]:
        from transformers import Mask2FormerImageProcessor

        if has_processor_files(checkpoint_dir):
            return Mask2FormerImageProcessor.from_pretrained(str(checkpoint_dir), local_files_only=True), "checkpoint"
        size = {"shortest_edge": 128, "longest_edge": 256} if self.config_name == "tiny" else None
        return (Mask2FormerImageProcessor(size=size) if size else Mask2FormerImageProcessor()), "default"

    def set_categories(self, categories: list[dict[str, Any]]) -> None:
        self.categories = sorted(categories, key=lambda c: int(c["id"]))

    def encode(self, image: np.ndarray) -> dict[str, Any]:
        import torch

        self.check_image(image)
        inputs = self.processor(images=image, return_tensors="pt")
        with torch.inference_mode():
            out = self.model(pixel_values=inputs["pixel_values"].to(self.device),
                             pixel_mask=inputs["pixel_mask"].to(self.device))
        return {"out": out, "hw": tuple(image.shape[:2])}

    def decode(self, state: dict[str, Any], prompts: Prompts, memory: Any = None) -> Prediction:
        out, hw, cats = state["out"], state["hw"], self.categories
        stuff = [k for k, c in enumerate(cats) if not int(c.get("isthing", 1))]
        ids, infos = self.post_panoptic(out, hw, stuff)
        ids[ids < 0] = 0
        segments = []
        for s in infos:
            if int(s["label_id"]) < len(cats):
                segments.append({"id": int(s["id"]), "category_id": int(cats[int(s["label_id"])]["id"])})
            else:
                ids[ids == int(s["id"])] = 0
        semantic = self.post_semantic(out, hw)
        semantic = np.where(semantic < len(cats), semantic, 255).astype(np.int64)
        instances = []
        for mask, label, score in self.post_instances(out, hw):
            if label < len(cats) and int(cats[label].get("isthing", 1)):
                instances.append({"mask": mask, "category_id": int(cats[label]["id"]), "score": score})
        return Prediction(extra={"panoptic": (ids, segments), "semantic": semantic, "instances": instances})

    # The processor's own post-processing, at Mask2Former's panoptic-inference defaults.
    def post_panoptic(self, out: Any, hw: tuple[int, int], stuff: list[int]) -> tuple[np.ndarray, list[dict]]:
        pan = self.processor.post_process_panoptic_segmentation(
            out, threshold=0.8, mask_threshold=0.5, overlap_mask_area_threshold=0.8, label_ids_to_fuse=set(stuff),
            target_sizes=[hw])[0]
        return pan["segmentation"].cpu().numpy().astype(np.int64), pan["segments_info"]

    def post_semantic(self, out: Any, hw: tuple[int, int]) -> np.ndarray:
        return self.processor.post_process_semantic_segmentation(out, target_sizes=[hw])[0].cpu().numpy()

    def post_instances(self, out: Any, hw: tuple[int, int]) -> list[tuple[np.ndarray, int, float]]:
        """(mask, model class index, score) of every instance the processor keeps."""
        inst = self.processor.post_process_instance_segmentation(out, threshold=0.5, target_sizes=[hw],
                                                                 return_binary_maps=True)[0]
        masks = inst["segmentation"]
        if masks is None:
            return []
        return [(masks[k].bool().cpu().numpy(), int(s["label_id"]), float(s["score"]))
                for k, s in enumerate(inst["segments_info"])]


def tiny_eomt_config(num_labels: int = 7) -> Any:
    from transformers import EomtConfig

    return EomtConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                      image_size=64, patch_size=16, num_queries=10, num_labels=num_labels, num_blocks=1)


class HfEomt(HfMask2Former):
    """``hf:eomt``: EoMT (Kerssies et al., CVPR 2025, "Your ViT is Secretly an Image Segmentation
    Model"): a plain ViT whose last blocks process the queries, through transformers.

    The image is resized to the model's square input and padded (``do_pad``, as the COCO panoptic
    checkpoints' processors do); the processor's post-processing takes the padded ``size`` to
    undo it. Its panoptic fusion names stuff classes (``stuff_classes``) where Mask2Former names
    classes to fuse; its instance output is one id map, split here into one mask per segment.
    """

    name = "hf:eomt"
    summary = "EoMT panoptic (transformers EomtForUniversalSegmentation; tue-mps/coco_panoptic_eomt_large_640)"
    hub_id = "tue-mps/coco_panoptic_eomt_large_640"
    model_class = "EomtForUniversalSegmentation"

    def build_config(self, config: str) -> Any:
        from transformers import EomtConfig

        return EomtConfig(num_labels=133) if config == "default" else tiny_eomt_config()

    def build_processor(self, checkpoint_dir: Path | None) -> tuple[Any, str]:
        from transformers import EomtImageProcessor

        if has_processor_files(checkpoint_dir):
            return EomtImageProcessor.from_pretrained(str(checkpoint_dir), local_files_only=True), "checkpoint"
        side = 64 if self.config_name == "tiny" else 640
        return EomtImageProcessor(size={"shortest_edge": side, "longest_edge": side}, do_pad=True), "default"

    def encode(self, image: np.ndarray) -> dict[str, Any]:
        import torch

        self.check_image(image)
        inputs = self.processor(images=image, return_tensors="pt")
        offsets = inputs.get("patch_offsets") or None
        with torch.inference_mode():
            out = self.model(pixel_values=inputs["pixel_values"].to(self.device), patch_offsets=offsets)
        return {"out": out, "hw": tuple(image.shape[:2])}

    def post_panoptic(self, out: Any, hw: tuple[int, int], stuff: list[int]) -> tuple[np.ndarray, list[dict]]:
        pan = self.processor.post_process_panoptic_segmentation(
            out, target_sizes=[hw], threshold=0.8, mask_threshold=0.5, overlap_mask_area_threshold=0.8,
            stuff_classes=stuff, size=self.processor.size)[0]
        return pan["segmentation"].cpu().numpy().astype(np.int64), pan["segments_info"]

    def post_semantic(self, out: Any, hw: tuple[int, int]) -> np.ndarray:
        return self.processor.post_process_semantic_segmentation(out, target_sizes=[hw],
                                                                 size=self.processor.size)[0].cpu().numpy()

    def post_instances(self, out: Any, hw: tuple[int, int]) -> list[tuple[np.ndarray, int, float]]:
        inst = self.processor.post_process_instance_segmentation(out, target_sizes=[hw], threshold=0.5,
                                                                 size=self.processor.size)[0]
        ids = inst["segmentation"].cpu().numpy()
        return [(ids == int(s["id"]), int(s["label_id"]), float(s["score"])) for s in inst["segments_info"]]


def tiny_oneformer_config(num_labels: int = 7) -> Any:
    from transformers import OneFormerConfig, SwinConfig

    swin = SwinConfig(embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2], window_size=4,
                      out_features=["stage1", "stage2", "stage3", "stage4"])
    return OneFormerConfig(backbone_config=swin, num_queries=10, conv_dim=32, mask_dim=32, hidden_dim=32,
                           encoder_feedforward_dim=64, encoder_layers=1, decoder_layers=2, num_attention_heads=2,
                           dim_feedforward=64, text_encoder_width=32, text_encoder_num_layers=1,
                           text_encoder_n_ctx=4, num_labels=num_labels)


class HfOneFormer(HfMask2Former):
    """``hf:oneformer``: OneFormer (Jain et al., CVPR 2023), one model conditioned on a task token.

    OneFormer is evaluated per task with that task's token ("the task is panoptic" / semantic /
    instance), so ``encode`` runs the model once per task on the same image and keeps the three
    outputs; each output goes through the processor's post-processing of its own task. The task
    token is tokenized with CLIP's BPE (derived offline, `seem_bench.baselines.hf.tokenizer`) unless
    the checkpoint directory carries its own tokenizer files.
    """

    name = "hf:oneformer"
    summary = "OneFormer panoptic / semantic / instance (transformers OneFormerForUniversalSegmentation; shi-labs/oneformer_coco_swin_large)"
    hub_id = "shi-labs/oneformer_coco_swin_large"
    model_class = "OneFormerForUniversalSegmentation"
    TASKS = ("panoptic", "semantic", "instance")

    def build_config(self, config: str) -> Any:
        from transformers import OneFormerConfig

        return OneFormerConfig(num_labels=133) if config == "default" else tiny_oneformer_config()

    def build_processor(self, checkpoint_dir: Path | None) -> tuple[Any, str]:
        from seem_bench.baselines.hf.tokenizer import clip_tokenizer
        from transformers import OneFormerImageProcessor, OneFormerProcessor

        if has_processor_files(checkpoint_dir):
            return OneFormerProcessor.from_pretrained(str(checkpoint_dir), local_files_only=True), "checkpoint"
        cfg = self.model.config
        size = {"shortest_edge": 128, "longest_edge": 256} if self.config_name == "tiny" else None
        kwargs = {"num_text": cfg.num_queries - cfg.text_encoder_n_ctx, **({"size": size} if size else {})}
        return OneFormerProcessor(image_processor=OneFormerImageProcessor(**kwargs),
                                  tokenizer=clip_tokenizer(), task_seq_length=cfg.task_seq_len), "default"

    def encode(self, image: np.ndarray) -> dict[str, Any]:
        import torch

        self.check_image(image)
        outs = {}
        for task in self.TASKS:
            inputs = self.processor(images=image, task_inputs=[task], return_tensors="pt")
            with torch.inference_mode():
                outs[task] = self.model(pixel_values=inputs["pixel_values"].to(self.device),
                                        pixel_mask=inputs["pixel_mask"].to(self.device),
                                        task_inputs=inputs["task_inputs"].to(self.device))
        return {"out": outs, "hw": tuple(image.shape[:2])}

    def post_panoptic(self, out: Any, hw: tuple[int, int], stuff: list[int]) -> tuple[np.ndarray, list[dict]]:
        return super().post_panoptic(out["panoptic"], hw, stuff)

    def post_semantic(self, out: Any, hw: tuple[int, int]) -> np.ndarray:
        return super().post_semantic(out["semantic"], hw)

    def post_instances(self, out: Any, hw: tuple[int, int]) -> list[tuple[np.ndarray, int, float]]:
        inst = self.processor.post_process_instance_segmentation(out["instance"], threshold=0.5, target_sizes=[hw])[0]
        ids = inst["segmentation"].cpu().numpy()
        return [(ids == int(s["id"]), int(s["label_id"]), float(s["score"])) for s in inst["segments_info"]]
