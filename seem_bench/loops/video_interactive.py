"""The ``video-interactive`` task kind: SAM 2's offline and online click protocols on videos.

One record per (video, object): unit ``o<k>``. The object is tracked by a `VideoSession` of the
model's `VideoAdapter` (`seem_bench.adapters.video`); the simulated user clicks with the task's
click protocol (``sam`` or ``ritm``: `seem_bench.prompts.protocols`, exact distance transform,
void pixels excluded from the error regions) and the video protocol
(`seem_bench.prompts.video_protocols`) decides which frames get clicks:

``sam2-offline``
    pass 1 prompts the object's first annotated frame where it is visible; pass p > 1 prompts the
    ``frames_per_pass`` unprompted annotated frames of lowest IoU in pass p-1 (earliest on ties)
    and the session re-propagates the whole video (forward from the earliest prompted frame, then
    backward from it) with every prompt so far. Passes stop at ``max_frames`` prompted frames, or
    early when every unprompted frame is already perfect (IoU 1: nothing to click).
``sam2-online``
    for each budget b = 1..``max_frames`` (J&F@b is the paper's run with N_frame = b), a fresh
    session: prompt the first frame, propagate forward and pause at the first unprompted
    annotated frame whose IoU < ``iou_threshold`` while fewer than b frames are prompted; click
    there, resume from it. Frames before the first prompted one are then propagated backward
    without pauses. Budgets stop early once a run meets no low-quality frame it could not
    prompt (larger budgets give the same run).

On a prompted frame, up to ``clicks_per_frame`` clicks, one at a time, each from the session's
mask after the previous one (the first from the mask the user sees there: the previous pass's,
or empty on the very first frame); no click on a frame whose mask already equals the GT.
``first_prompt: box`` gives the first frame the GT box instead of clicks and ``mask`` the GT
mask (semi-supervised VOS); later frames get clicks.

Each pass records the frames it prompted (clicks, IoU before and after), and per frame the IoU,
J and F of the object's mask (`seem_bench.metrics.davis.frame_scores`, void = background as in
davis2017-evaluation; ``null`` on unannotated frames). The ``video-interactive`` evaluator
(`seem_bench.metrics.video_interactive`) turns them into J&F after k interacted frames.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter
from seem_bench.adapters.video import FrameSource, VideoSession, video_adapter_of
from seem_bench.data.types import Instance, Sample
from seem_bench.data.writers import mask_to_rle
from seem_bench.errors import UsageError
from seem_bench.loops.base import Encoder, TaskKind
from seem_bench.metrics.davis import frame_scores, jaccard
from seem_bench.prompts.protocols import PROTOCOLS, ClickProtocol
from seem_bench.prompts.seeding import prompt_rng
from seem_bench.prompts.types import Box, Click, Prompts
from seem_bench.prompts.video_protocols import VIDEO_PROTOCOLS
from seem_bench.tasks import TaskSpec

FIRST_PROMPTS = ("point", "box", "mask")


def object_ids(sample: Sample) -> list[str]:
    """Object ids of a video: the sequence sample's instances (DAVIS: 1..N of the first frame)."""
    return [inst.instance_id for inst in sample.instances]


def _instance(frame: Sample, oid: str) -> Instance | None:
    for inst in frame.instances:
        if inst.instance_id == oid:
            return inst
    return None


class _Object:
    """GT of one object over a video: mask and void per annotated frame (``None`` elsewhere)."""

    def __init__(self, sample: Sample, oid: str) -> None:
        self.n = len(sample.frames)
        self.size = (sample.height, sample.width)
        self.gt: list[np.ndarray | None] = []
        self.void: list[np.ndarray | None] = []
        for f in sample.frames:
            inst = _instance(f, oid) if f.meta.get("annotated", True) else None
            if inst is None:
                self.gt.append(None)
                self.void.append(None)
                continue
            self.gt.append(np.asarray(inst.mask(), bool))
            ign = inst.ignore()
            self.void.append(None if ign is None else np.asarray(ign, bool))
        self.annotated = [t for t in range(self.n) if self.gt[t] is not None]
        self.first_visible = next((t for t in self.annotated if self.gt[t].any()), None)

    def iou(self, t: int, mask: np.ndarray) -> float | None:
        g = self.gt[t]
        return None if g is None else float(jaccard(g, mask))

    def perfect(self, t: int, mask: np.ndarray) -> bool:
        g = self.gt[t]
        if g is None:
            return True
        diff = g ^ mask
        if self.void[t] is not None:
            diff &= ~self.void[t]
        return not diff.any()


def _box(mask: np.ndarray) -> Box:
    ys, xs = np.nonzero(mask)
    return Box(int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 12)


class VideoInteractiveKind(TaskKind):
    name = "video-interactive"
    saves_masks = True

    def prompt_kinds(self, task: TaskSpec) -> set[str]:
        return {"box", "point"} if task.first_prompt == "box" else {"point"}

    def check_task(self, task: TaskSpec) -> None:
        if task.first_prompt not in FIRST_PROMPTS:
            raise UsageError(f"task {task.name!r}: first_prompt must be one of {', '.join(FIRST_PROMPTS)} "
                             f"for the video-interactive kind, got {task.first_prompt!r}")
        if not task.protocol:
            raise UsageError(f"task {task.name!r}: the video-interactive kind needs a click protocol "
                             "(protocol: sam or ritm)")
        PROTOCOLS.get(task.protocol)
        VIDEO_PROTOCOLS.get(task.params["video_protocol"])

    def describe(self, task: TaskSpec) -> dict[str, Any]:
        vp = VIDEO_PROTOCOLS.get(task.params["video_protocol"])
        out = {"video_protocol": vp.to_json(task.params), "first_prompt": task.first_prompt}
        if vp.mode == "offline":
            out["passes"] = math.ceil(task.params["max_frames"] / task.params["frames_per_pass"])
        return out

    def units(self, sample: Sample, task: TaskSpec) -> list[str]:
        return [f"o{oid}" for oid in object_ids(sample)]

    def default_evaluators(self, header: dict[str, Any]) -> list[str]:
        return ["video-interactive"]

    # ------------------------------------------------------------------ the loop
    def run_sample(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec,
                   seed: int) -> list[dict[str, Any]]:
        if not sample.frames:
            raise UsageError(f"video-interactive needs a video dataset; {sample.sample_id} has no frames")
        video = video_adapter_of(adapter)
        if task.first_prompt == "mask" and "mask" not in video.prompts:
            raise UsageError(f"first_prompt=mask: model {adapter.name!r} takes no mask prompt on video frames")
        frames = FrameSource([f.image for f in sample.frames], (sample.height, sample.width),
                             window=int(getattr(adapter, "frame_window", 16)))
        proto = PROTOCOLS.get(task.protocol)
        opts = {k: v for k, v in task.params.items() if k in proto.params}
        records = []
        for oid in object_ids(sample):
            obj = _Object(sample, oid)
            run = _ObjectRun(video, frames, obj, proto, opts, task, seed, sample.sample_id, oid)
            t0 = time.perf_counter()
            passes = run.offline() if task.params["video_protocol"] == "sam2-offline" else run.online()
            if task.params["save_masks"] == "final":
                for p in passes[:-1]:
                    p.pop("masks", None)
            records.append({"unit": f"o{oid}", "object_id": oid, "frames": obj.n,
                            "annotated": obj.annotated, "first_frame": obj.first_visible,
                            "passes": passes, "model_s": run.model_s,
                            "loop_s": time.perf_counter() - t0, "status": "ok"})
        return records


class _ObjectRun:
    """The simulated user and one object's sessions (see module docstring)."""

    def __init__(self, video: Any, frames: FrameSource, obj: _Object, proto: ClickProtocol,
                 opts: dict[str, Any], task: TaskSpec, seed: int, sample_id: str, oid: str) -> None:
        self.video, self.frames, self.obj, self.proto, self.opts = video, frames, obj, proto, opts
        self.p = task.params
        self.first_prompt = task.first_prompt
        self.seed, self.sample_id, self.oid = seed, sample_id, oid
        self.model_s = 0.0
        self.n_clicks = 0

    # ---- sessions
    def _session(self) -> VideoSession:
        t0 = time.perf_counter()
        s = self.video.start(self.frames)
        if self.video.uses_ground_truth:
            obj = self.obj
            s.set_targets(lambda t: obj.gt[t] if obj.gt[t] is not None else np.zeros(obj.size, bool))
        self.model_s += time.perf_counter() - t0
        return s

    def _add(self, s: VideoSession, t: int, prompts: Prompts, mask: np.ndarray | None = None) -> np.ndarray:
        t0 = time.perf_counter()
        out = np.asarray(s.add_prompts(t, prompts, mask), bool)
        self.model_s += time.perf_counter() - t0
        return out

    def _prompt_frame(self, s: VideoSession, t: int, current: np.ndarray, first: bool) -> dict[str, Any]:
        """Prompt frame ``t`` (clicks, or the first frame's box / mask); the frame's entry."""
        obj = self.obj
        entry: dict[str, Any] = {"frame": t, "iou_before": _round(obj.iou(t, current)), "clicks": []}
        mask = current
        if first and self.first_prompt == "mask":
            mask = self._add(s, t, Prompts(), mask=obj.gt[t])
            entry["mask"] = True
        elif first and self.first_prompt == "box":
            b = _box(obj.gt[t])
            mask = self._add(s, t, Prompts(box=b))
            entry["box"] = b.to_json()
        else:
            clicked: list[Click] = []
            for _ in range(int(self.p["clicks_per_frame"])):
                if obj.perfect(t, mask):
                    break
                self.n_clicks += 1
                rng = prompt_rng(self.seed, self.sample_id, self.oid, self.n_clicks)
                c = self.proto.click(obj.gt[t], mask, obj.void[t], clicked,
                                     first=first and not clicked and not mask.any(), rng=rng, options=self.opts)
                if c is None:
                    break
                clicked.append(c)
                mask = self._add(s, t, Prompts(clicks=[c]))
            entry["clicks"] = [[int(c.x), int(c.y), bool(c.positive)] for c in clicked]
        entry["iou_after"] = _round(obj.iou(t, mask))
        return {"entry": entry, "mask": mask}

    def _propagate(self, s: VideoSession, start: int, reverse: bool, masks: list[np.ndarray]) -> None:
        t0 = time.perf_counter()
        for t, m in s.propagate(start, reverse):
            masks[t] = np.asarray(m, bool)
        self.model_s += time.perf_counter() - t0

    def _pass_record(self, index: int, prompts: list[dict[str, Any]], prompted: int,
                     masks: list[np.ndarray]) -> dict[str, Any]:
        obj = self.obj
        j = [None] * obj.n
        f = [None] * obj.n
        iou = [None] * obj.n
        if obj.annotated:
            gt = np.stack([obj.gt[t] for t in obj.annotated]).astype(np.uint8)
            pred = np.stack([masks[t] for t in obj.annotated]).astype(np.uint8)
            jj, ff = frame_scores(gt, pred, 1)
            for i, t in enumerate(obj.annotated):
                j[t], f[t] = _round(jj[i, 0]), _round(ff[i, 0])
                iou[t] = j[t]
        rec: dict[str, Any] = {"pass": index, "prompted_frames": prompted, "prompts": prompts,
                               "iou": iou, "J": j, "F": f}
        if self.p["save_masks"] is not None:
            rec["masks"] = [mask_to_rle(m, compressed=True) for m in masks]
        return rec

    def _empty(self) -> list[np.ndarray]:
        return [np.zeros(self.obj.size, bool) for _ in range(self.obj.n)]

    # ---- protocols
    def offline(self) -> list[dict[str, Any]]:
        obj = self.obj
        masks = self._empty()
        if obj.first_visible is None:  # never visible: nothing to click, the empty prediction is scored
            return [self._pass_record(1, [], 0, masks)]
        s = self._session()
        try:
            prompted: list[int] = []
            passes = []
            max_frames, per_pass = int(self.p["max_frames"]), int(self.p["frames_per_pass"])
            index = 0
            while len(prompted) < max_frames:
                index += 1
                if index == 1:
                    new = [obj.first_visible]
                else:
                    last = passes[-1]["iou"]
                    todo = sorted((last[t], t) for t in obj.annotated if t not in prompted)
                    todo = [(v, t) for v, t in todo if v < 1.0]  # a perfect frame has nothing to click
                    new = [t for _, t in todo[: min(per_pass, max_frames - len(prompted))]]
                    if not new:
                        break
                entries = [self._prompt_frame(s, t, masks[t], first=index == 1)["entry"] for t in new]
                prompted.extend(new)
                start = min(prompted)
                self._propagate(s, start, False, masks)
                if start > 0:
                    self._propagate(s, start, True, masks)
                passes.append(self._pass_record(index, entries, len(prompted), masks))
            return passes
        finally:
            s.close()

    def online(self) -> list[dict[str, Any]]:
        obj = self.obj
        if obj.first_visible is None:
            return [self._pass_record(1, [], 0, self._empty())]
        thr = float(self.p["iou_threshold"])
        passes = []
        for budget in range(1, int(self.p["max_frames"]) + 1):
            masks = self._empty()
            s = self._session()
            try:
                t0 = obj.first_visible
                first = self._prompt_frame(s, t0, masks[t0], first=True)
                entries = [first["entry"]]
                prompted = {t0}
                start = t0
                wanted = False
                while True:
                    paused = None
                    t_start = time.perf_counter()
                    for t, m in s.propagate(start, False):
                        masks[t] = np.asarray(m, bool)
                        if t not in prompted and obj.gt[t] is not None and obj.iou(t, masks[t]) < thr:
                            if len(prompted) < budget:
                                paused = t
                                break
                            wanted = True  # a larger budget would pause here
                    self.model_s += time.perf_counter() - t_start
                    if paused is None:
                        break
                    got = self._prompt_frame(s, paused, masks[paused], first=False)
                    masks[paused] = got["mask"]
                    entries.append(got["entry"])
                    prompted.add(paused)
                    start = paused
                if t0 > 0:
                    self._propagate(s, t0, True, masks)
            finally:
                s.close()
            passes.append(self._pass_record(budget, entries, len(prompted), masks))
            if not wanted:  # no low-quality frame was left unprompted: larger budgets repeat this run
                break
        return passes
