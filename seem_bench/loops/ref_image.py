"""The ``ref-image`` task kind: segment with a referenced image (exemplar) prompt.

Two dataset shapes, one prompt kind (`RefImage`: another image plus a mask on it):

- video (DAVIS, the SEEM paper's zero-shot VOS): for each object, the first frame and its GT
  mask are the reference; every later frame is segmented independently (SEEM demo: no temporal
  memory). With ``memory: true`` the reference becomes the previous frame and its *predicted*
  mask instead. Each frame is encoded once for all objects. Per-object predictions are merged
  into one label map as the DAVIS evaluation expects: where objects overlap, the object with the
  higher ``score`` wins (ties: the higher object index, as painting objects in order does).
  J and F per frame are recorded; the ``davis`` evaluator excludes the first and last frames,
  and void (255) pixels count as background, both as davis2017-evaluation's semi-supervised
  path does. ``reference: scribble`` is SEEM's DAVIS16-Interactive: no GT mask is given; the
  first frame gets one DAVIS-robot scribble per object (`first_frame_scribbles`: the robot's
  strokes against an all-background prediction, kernel 0.2, every other object's strokes
  negative), the model's mask from those strokes becomes the reference for every later frame,
  and the first frame's own J / F are recorded beside (``first_J``, ``first_F``), not averaged.
- images (COCO): each instance is prompted with an exemplar of the same category from another
  image (`seem_bench.prompts.exemplars`); records hold I and U (``referring`` evaluator). An instance
  whose category appears in no other image gets an error record of its own (``status: error``,
  ``NoExemplarError: ...``); the other instances of the image are evaluated, and the summary
  counts it under ``errors``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter
from seem_bench.data.types import Dataset, Sample
from seem_bench.loops.base import Encoder, TaskKind, merge_objects
from seem_bench.metrics import davis as davis_metrics
from seem_bench.prompts.davis_robot import SERVICE_KERNEL_SIZE, robot_scribbles
from seem_bench.prompts.types import Prompts, RefImage, Scribble
from seem_bench.tasks import TaskSpec


class RefImageKind(TaskKind):
    name = "ref-image"

    def __init__(self) -> None:
        self.dataset: Dataset | None = None

    def bind(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def prompt_kinds(self, task: TaskSpec) -> set[str]:
        return {"ref_image", "scribble"} if task.params.get("reference") == "scribble" else {"ref_image"}

    def units(self, sample: Sample, task: TaskSpec) -> list[str]:
        insts = sample.frames[0].instances if sample.frames else sample.instances
        return [inst.instance_id for inst in insts]

    def run_sample(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec,
                   seed: int) -> list[dict[str, Any]]:
        if sample.frames:
            return self._video(adapter, encoder, sample, task)
        return self._exemplar(adapter, encoder, sample, task, seed)

    def _video(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec) -> list[dict[str, Any]]:
        thr = float(task.params["pred_thr"])
        use_memory = bool(task.params["memory"])
        first = sample.frames[0]
        ids = [inst.instance_id for inst in first.instances]
        ref_img = first.image()
        extra: dict[str, dict[str, Any]] = {i: {} for i in ids}
        if task.params.get("reference") == "scribble":
            masks0, extra = self._first_from_scribbles(adapter, encoder, first, thr)
        else:
            masks0 = {inst.instance_id: inst.mask() for inst in first.instances}
        refs = {oid: RefImage(ref_img, masks0[oid], source=f"{first.sample_id}/{oid}") for oid in ids}
        j: dict[str, list[float]] = {i: [] for i in ids}
        f: dict[str, list[float]] = {i: [] for i in ids}
        decode_s = 0.0
        for frame in sample.frames[1:]:
            image = frame.image()
            state = encoder(image)
            gts = {inst.instance_id: inst for inst in frame.instances}
            masks, scores = [], []
            for oid in ids:
                if adapter.uses_ground_truth:
                    adapter.set_target(gts[oid].mask() if oid in gts else np.zeros(image.shape[:2], bool))
                t0 = time.perf_counter()
                out = adapter.decode(state, Prompts(ref_image=refs[oid]))
                decode_s += time.perf_counter() - t0
                masks.append(out.binary(thr))
                scores.append(float(out.score) if out.score is not None else 0.0)
            labels = merge_objects(masks, scores)
            for k, oid in enumerate(ids):
                pred = labels == k + 1
                inst = gts.get(oid)
                gt = inst.mask() if inst is not None else np.zeros_like(pred)
                # davis2017-evaluation's semi-supervised path passes no void mask: void = background.
                j[oid].append(float(davis_metrics.jaccard(gt, pred)))
                f[oid].append(davis_metrics.f_measure(gt, pred))
                if use_memory:
                    refs[oid] = RefImage(image, pred, source=f"{frame.sample_id}/{oid}:pred")
        n = len(ids)
        return [{"unit": oid, "instance_id": oid, "frames": len(sample.frames), "J": j[oid], "F": f[oid],
                 **extra[oid], "model_s": decode_s / n, "status": "ok"} for oid in ids]

    def _first_from_scribbles(self, adapter: Adapter, encoder: Encoder, first: Sample, thr: float
                              ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Each object's first-frame mask as the model draws it from the robot's first scribbles."""
        image = first.image()
        gts = [inst.mask() for inst in first.instances]
        strokes = first_frame_scribbles(gts)
        state = encoder(image)
        masks, scores = [], []
        for k, gt in enumerate(gts, start=1):
            if adapter.uses_ground_truth:
                adapter.set_target(gt)
            out = adapter.decode(state, Prompts(scribbles=[Scribble(s.points, positive=s.object_id == k)
                                                           for s in strokes]))
            masks.append(out.binary(thr))
            scores.append(float(out.score) if out.score is not None else 0.0)
        labels = merge_objects(masks, scores)
        result, extra = {}, {}
        for k, (inst, gt) in enumerate(zip(first.instances, gts, strict=True), start=1):
            pred = labels == k
            result[inst.instance_id] = pred
            extra[inst.instance_id] = {
                "first_J": float(davis_metrics.jaccard(gt, pred)), "first_F": davis_metrics.f_measure(gt, pred),
                "first_strokes": sum(s.object_id == k for s in strokes)}
        return result, extra

    def _exemplar(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec,
                  seed: int) -> list[dict[str, Any]]:
        from seem_bench.prompts.exemplars import NoExemplarError, select_exemplar

        thr = float(task.params["pred_thr"])
        state = encoder(sample.image())
        out = []
        for inst in sample.instances:
            try:
                ex_sample, ex_inst = select_exemplar(self.dataset, sample, inst, seed=seed)
            except NoExemplarError as e:  # this instance only: the others of the image still run
                out.append({"unit": inst.instance_id, "instance_id": inst.instance_id,
                            "category_id": inst.category_id, "status": "error",
                            "error": f"{type(e).__name__}: {e}"})
                continue
            ref = RefImage(ex_sample.image(), ex_inst.mask(), source=f"{ex_sample.sample_id}/{ex_inst.instance_id}")
            gt = inst.mask()
            if adapter.uses_ground_truth:
                adapter.set_target(gt)
            t0 = time.perf_counter()
            pred = adapter.decode(state, Prompts(ref_image=ref)).binary(thr)
            dt = time.perf_counter() - t0
            out.append({"unit": inst.instance_id, "instance_id": inst.instance_id,
                        "category_id": inst.category_id, "exemplar": ref.source,
                        "intersection": int(np.count_nonzero(gt & pred)),
                        "union": int(np.count_nonzero(gt | pred)), "model_s": dt, "status": "ok"})
        return out

    def default_evaluators(self, header: dict[str, Any]) -> list[str]:
        # Older headers: DAVIS runs are video (J&F), every other dataset exemplar (I and U).
        return ["davis"] if str(header["dataset"]["name"]).startswith("davis") else ["referring"]


def first_frame_scribbles(gts: list[np.ndarray], kernel_size: float = SERVICE_KERNEL_SIZE) -> list:
    """The DAVIS robot's strokes on a first frame with nothing predicted yet (objects 1..n in ``gts`` order)."""
    labels = np.zeros(gts[0].shape, np.int64)
    for k, gt in enumerate(gts, start=1):
        labels[gt] = k
    return robot_scribbles(labels, np.zeros_like(labels), len(gts), kernel_size=kernel_size)
