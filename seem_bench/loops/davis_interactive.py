"""The ``davis-interactive`` task kind: DAVIS interactive track with the scribble robot.

Per sequence and initial scribble (``Scribbles/<seq>/NNN.json``; without those files one
robot-made first scribble on an all-background prediction), up to ``max_interactions`` rounds:

1. the scribbles of the round: the dataset's file for round 1, then the robot's strokes
   (`seem_bench.prompts.davis_robot`, ``kernel_size`` 0.2 as the evaluation service) on the
   frame with the lowest mean J (``worst_frame``);
2. the model segments every frame for every object: on annotated frames from the strokes
   accumulated there (the object's strokes positive, every other id's negative), on the other
   frames from a referenced-image prompt (the nearest annotated frame, earlier on ties, and the
   mask just predicted there); objects merge into one label map by score (`merge_objects`);
3. J and F of every frame and object (void = background, as davisinteractive), and the round's
   decode seconds.

Each frame is encoded once per sequence and scribble, whatever the number of rounds. The
``davis-interactive`` evaluator is davisinteractive's ``summarize_report``
(`seem_bench.metrics.davis.DavisInteractiveEvaluator`):
AUC of J&F over time and J&F at 60 s, with a per-object budget ``max_t`` (30 s). Time is the
measured decode time (``clock: measured``), which is not reproducible across machines;
``clock: interactions`` counts every round as 1 s so that CI numbers are. ``J&F@<k>int`` (the
curve after k rounds) does not depend on time at all.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter
from seem_bench.data.davis import read_scribble_file
from seem_bench.data.io import read_label_png
from seem_bench.data.types import Sample
from seem_bench.errors import UsageError
from seem_bench.loops.base import Encoder, TaskKind, merge_objects
from seem_bench.metrics.davis import frame_scores
from seem_bench.prompts.davis_robot import RobotScribble, robot_scribbles, worst_frame
from seem_bench.prompts.types import Prompts, RefImage, Scribble
from seem_bench.tasks import TaskSpec


def _nearest(t: int, annotated: list[int]) -> int:
    return min(annotated, key=lambda a: (abs(a - t), a))


class DavisInteractiveKind(TaskKind):
    name = "davis-interactive"

    def prompt_kinds(self, task: TaskSpec) -> set[str]:
        return {"scribble", "ref_image"}

    def units(self, sample: Sample, task: TaskSpec) -> list[str]:
        n = len(sample.meta.get("scribbles", ())) or 1
        return [f"s{i}" for i in range(1, n + 1)]

    def run_sample(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec,
                   seed: int) -> list[dict[str, Any]]:
        if not sample.frames:
            raise UsageError(f"davis-interactive needs a video dataset; {sample.sample_id} has no frames")
        frames = sample.frames
        n_obj = int(sample.meta.get("n_objects", len(frames[0].instances)))
        gt = np.stack([read_label_png(f.meta["annotation_path"]) if f.meta.get("annotation_path")
                       else np.zeros((f.height, f.width), np.uint8) for f in frames]).astype(np.int64)
        images = [f.image() for f in frames]
        states = [encoder(img) for img in images]
        files = list(sample.meta.get("scribbles", ()))
        return [self._session(adapter, states, images, gt, n_obj, files[i] if files else None, i + 1, task)
                for i in range(len(files) or 1)]

    def _session(self, adapter: Adapter, states: list, images: list[np.ndarray], gt: np.ndarray, n_obj: int,
                 first_file: str | None, scribble_idx: int, task: TaskSpec) -> dict[str, Any]:
        p = task.params
        thr = float(p["pred_thr"])
        t_count, (h, w) = len(images), gt.shape[1:]
        pred = np.zeros_like(gt)
        strokes: dict[int, list[RobotScribble]] = {}
        rounds = []
        for it in range(1, int(p["max_interactions"]) + 1):
            if it == 1 and first_file:
                f, new = read_scribble_file(first_file, (h, w), t_count, n_obj)
            else:
                f = worst_frame(gt, pred, n_obj)
                new = robot_scribbles(gt[f], pred[f], n_obj, kernel_size=float(p["kernel_size"]))
            strokes.setdefault(f, []).extend(new)
            annotated = sorted(strokes)
            masks = np.zeros((n_obj, t_count, h, w), bool)
            scores = np.zeros((n_obj, t_count))
            decode_s = 0.0
            for k in range(1, n_obj + 1):
                order = annotated + [t for t in range(t_count) if t not in strokes]
                for t in order:
                    if t in strokes:
                        prompts = Prompts(scribbles=[Scribble(s.points, positive=s.object_id == k) for s in strokes[t]])
                    else:
                        a = _nearest(t, annotated)
                        prompts = Prompts(ref_image=RefImage(images[a], masks[k - 1, a], source=f"frame {a}"))
                    if adapter.uses_ground_truth:
                        adapter.set_target(gt[t] == k)
                    t0 = time.perf_counter()
                    out = adapter.decode(states[t], prompts)
                    decode_s += time.perf_counter() - t0
                    masks[k - 1, t] = out.binary(thr)
                    scores[k - 1, t] = float(out.score) if out.score is not None else 0.0
            pred = np.stack([merge_objects(list(masks[:, t]), list(scores[:, t])) for t in range(t_count)])
            j, fm = frame_scores(gt, pred, n_obj)
            rounds.append({"interaction": it, "frame": int(f), "strokes": len(new), "timing": decode_s,
                           "J": j.round(12).tolist(), "F": fm.round(12).tolist()})
        return {"unit": f"s{scribble_idx}", "scribble_idx": scribble_idx, "n_objects": n_obj,
                "frames": t_count, "rounds": rounds, "model_s": sum(r["timing"] for r in rounds), "status": "ok"}

    def default_evaluators(self, header: dict[str, Any]) -> list[str]:
        return ["davis-interactive"]
