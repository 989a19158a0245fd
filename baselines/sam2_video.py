"""SAM 2 video predictor (``sam2.sam2_video_predictor.SAM2VideoPredictor``) as a `VideoAdapter`.

The predictor is built with ``build_sam2_video_predictor`` from the image adapter's config
(``apply_postprocessing=True``, as the package's own video examples: dynamic multimask
fallback, masks from clicks binarised for the memory encoder, holes up to 8 px filled), and
loaded with the image model's weights (a checkpoint, or the seeded random initialisation), so
``sam2_t`` is one network for images and videos.

What differs from ``predictor.init_state(jpeg_folder)``, and why:

- frames come from the dataset in memory (`FrameSource`), resized to 1024x1024 with PIL's
  default filter and normalised with ImageNet mean / std exactly as
  ``sam2.utils.misc._load_img_as_tensor`` + ``load_video_frames_from_jpg_images`` do, but at
  most ``frame_window`` of them are held (``init_state`` holds the whole video: 12 MB a frame);
- image features are kept for ``frame_window`` frames (LRU) instead of the package's one, so
  repeated passes over a short video do not re-run the encoder; memory stays bounded;
- ``add_all_frames_to_correct_as_cond`` is on by default (``correct_as_cond``): every frame
  that receives clicks becomes a conditioning frame, as the SAM 2 interactive protocols need
  ("segments the object again ... based on all prompts received previously"); the package's
  default (off) lets a correction reach only the next ``num_maskmem`` frames.

Clicks on a frame accumulate: every call sends all clicks of the frame so far
(``clear_old_points=True`` with the full list equals adding them one by one), after the box
if there is one. Masks are ``logits > 0`` at the original resolution.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np
import sam2.sam2_video_predictor as svp  # this module is imported only when a video model is built

from seem_bench.adapters.video import FrameSource, VideoAdapter, VideoSession
from seem_bench.errors import UsageError
from seem_bench.prompts.types import Prompts

_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


class WindowedSam2VideoPredictor(svp.SAM2VideoPredictor):
    """``SAM2VideoPredictor`` whose image-feature cache holds ``feature_window`` frames (LRU)."""

    feature_window = 16

    def _get_image_feature(self, inference_state: dict, frame_idx: int, batch_size: int) -> Any:
        # Shared by every session over the same frames (one object after another).
        lru = inference_state["feature_lru"]
        hit = lru.get(frame_idx)
        # The parent looks at "cached_features" first and overwrites it with one frame.
        inference_state["cached_features"] = {} if hit is None else {frame_idx: hit}
        out = super()._get_image_feature(inference_state, frame_idx, batch_size)
        lru[frame_idx] = inference_state["cached_features"][frame_idx]
        lru.move_to_end(frame_idx)
        while len(lru) > self.feature_window:
            lru.popitem(last=False)
        return out


def sam2_frame_tensor(image: np.ndarray, size: int, device: Any) -> Any:
    """Frame (H, W, 3) uint8 -> (3, size, size) float32, as sam2 loads a JPEG frame."""
    import torch
    from PIL import Image

    arr = np.asarray(Image.fromarray(np.asarray(image, np.uint8)).convert("RGB").resize((size, size))) / 255.0
    t = torch.from_numpy(arr).permute(2, 0, 1).float()
    mean = torch.tensor(_MEAN, dtype=torch.float32)[:, None, None]
    std = torch.tensor(_STD, dtype=torch.float32)[:, None, None]
    return ((t - mean) / std).to(device)


class Sam2VideoSession(VideoSession):
    OBJ = 1

    def __init__(self, predictor: Any, frames: FrameSource, device: Any) -> None:
        import torch

        self.p = predictor
        self.device = device
        size = int(predictor.image_size)
        images = frames.with_transform(lambda img: sam2_frame_tensor(img, size, torch.device("cpu")))
        h, w = frames.size
        # The keys of SAM2VideoPredictor.init_state, with lazily read frames.
        self.state: dict[str, Any] = {
            "images": images, "num_frames": len(frames), "offload_video_to_cpu": True,
            "offload_state_to_cpu": False, "video_height": h, "video_width": w,
            "device": device, "storage_device": device, "point_inputs_per_obj": {},
            "mask_inputs_per_obj": {}, "cached_features": {}, "constants": {},
            "obj_id_to_idx": OrderedDict(), "obj_idx_to_id": OrderedDict(), "obj_ids": [],
            "output_dict_per_obj": {}, "temp_output_dict_per_obj": {}, "frames_tracked_per_obj": {},
            "feature_lru": frames.shared("sam2-features", OrderedDict),
        }
        self.clicks: dict[int, list] = {}
        self.boxes: dict[int, Any] = {}

    @staticmethod
    def _mask(video_res_masks: Any) -> np.ndarray:
        return (video_res_masks[0, 0] > 0.0).cpu().numpy()

    def add_prompts(self, t: int, prompts: Prompts, mask: np.ndarray | None = None) -> np.ndarray:
        import torch

        with torch.inference_mode():
            if mask is not None:
                self.clicks.pop(t, None)
                self.boxes.pop(t, None)
                _, _, out = self.p.add_new_mask(self.state, t, self.OBJ, np.asarray(mask, bool))
                return self._mask(out)
            if prompts.box is not None:
                b = prompts.box
                self.boxes[t] = [float(b.x0), float(b.y0), float(b.x1), float(b.y1)]
                self.clicks[t] = []
            self.clicks.setdefault(t, []).extend(prompts.clicks)
            cl = self.clicks[t]
            points = np.array([[c.x, c.y] for c in cl], np.float32).reshape(-1, 2) if cl else None
            labels = np.array([1 if c.positive else 0 for c in cl], np.int32) if cl else None
            if points is None and t not in self.boxes:
                raise UsageError("sam2 video: a prompt needs clicks, a box or a mask")
            _, _, out = self.p.add_new_points_or_box(self.state, t, self.OBJ, points=points, labels=labels,
                                                     clear_old_points=True, box=self.boxes.get(t))
            return self._mask(out)

    def propagate(self, start: int, reverse: bool = False) -> Iterator[tuple[int, np.ndarray]]:
        import torch

        with torch.inference_mode():
            for t, _, masks in self.p.propagate_in_video(self.state, start_frame_idx=start, reverse=reverse):
                yield int(t), self._mask(masks)

    def close(self) -> None:
        self.state.clear()


class Sam2VideoAdapter(VideoAdapter):
    """See module docstring; ``image_adapter`` is a built `baselines.sam2.Sam2Adapter`."""

    prompts = frozenset({"point", "box", "mask"})

    def __init__(self, image_adapter: Any, frame_window: int = 16, correct_as_cond: bool = True,
                 image_size: int | None = None) -> None:
        from sam2.build_sam import build_sam2_video_predictor

        # propagate_in_video wraps its frames in a tqdm bar; the runner has its own.
        svp.tqdm = lambda it, *a, **k: it
        cls = WindowedSam2VideoPredictor
        overrides = [f"++model._target_={cls.__module__}.{cls.__qualname__}"]
        if correct_as_cond:
            overrides.append("++model.add_all_frames_to_correct_as_cond=true")
        if image_size is not None:  # CPU tests: the released weights are trained at 1024
            overrides.append(f"++model.image_size={int(image_size)}")
        self.device = image_adapter.device
        predictor = build_sam2_video_predictor(image_adapter.config, None, device=str(self.device),
                                               mode="eval", hydra_overrides_extra=overrides)
        predictor.load_state_dict(image_adapter.model.state_dict())
        predictor.feature_window = int(frame_window)
        self.predictor = predictor

    def start(self, frames: FrameSource) -> VideoSession:
        return Sam2VideoSession(self.predictor, frames, self.device)
