"""SAM 2's interactive video protocols (Ravi et al. 2024, §6.1 / App.), named and versioned.

The paper's definitions (quoted and discussed in docs/protocols.md, "Interactive video"):

- ``sam2-offline``: several passes over the whole video. Pass 1 prompts the first frame with
  clicks and segments the object through the video; every next pass prompts the frame with the
  lowest IoU against the ground truth and segments the whole video again from all prompts so
  far, until N_frame frames are prompted (one new frame per pass).
- ``sam2-online``: one pass. Prompt the first frame, propagate forward, pause at a frame whose
  IoU is below 0.75, add clicks there, resume forward; repeat while fewer than N_frame frames
  are prompted. New prompts affect only frames after the paused one.

The click rule on each prompted frame is a click protocol of `seem_bench.prompts.protocols`
(the task's ``protocol``: ``sam`` or ``ritm``, exact distance transform), N_click clicks per
frame. The loop is `seem_bench.loops.video_interactive`; its parameters are declared in
`seem_bench.params.VideoInteractiveParams`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seem_bench.registry import Registry

SAM2_PAPER = ("Ravi et al., \"SAM 2: Segment Anything in Images and Videos\", arXiv:2408.00714 (ICLR 2025), "
              "§6.1.1 promptable video segmentation and the appendix on interactive offline / online "
              "evaluation (quoted in heyoeyo/muggled_sam issue #27)")


@dataclass(frozen=True)
class VideoProtocol:
    name: str
    version: str
    mode: str  # "offline" | "online"
    description: str
    #: the loop parameters this protocol reads (recorded in the run header with their values)
    params: tuple[str, ...]
    reference: str = SAM2_PAPER

    def to_json(self, task_params: dict[str, Any]) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "mode": self.mode,
                "params": {k: task_params[k] for k in self.params}, "reference": self.reference}


VIDEO_PROTOCOLS: Registry[VideoProtocol] = Registry("video protocol")
VIDEO_PROTOCOLS.register("sam2-offline", VideoProtocol(
    name="sam2-offline", version="1", mode="offline",
    description="passes over the whole video; each pass prompts the lowest-IoU unprompted frame(s) with "
                "N_click clicks and re-segments every frame from all prompts",
    params=("max_frames", "frames_per_pass", "clicks_per_frame", "score_frames"),
))
VIDEO_PROTOCOLS.register("sam2-online", VideoProtocol(
    name="sam2-online", version="1", mode="online",
    description="one forward pass; pause on the first frame whose IoU < iou_threshold, add N_click clicks "
                "there, resume; at most N_frame prompted frames (J&F@k: a run with N_frame = k)",
    params=("max_frames", "clicks_per_frame", "iou_threshold", "score_frames"),
))
