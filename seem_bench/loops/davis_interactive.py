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

Each frame is encoded once per sequence and scribble, whatever the number of rounds. The summary
is davisinteractive's ``summarize_report`` (`seem_bench.metrics.davis.interactive_summary`):
AUC of J&F over time and J&F at 60 s, with a per-object budget ``max_t`` (30 s). Time is the
measured decode time (``clock: measured``), which is not reproducible across machines;
``clock: interactions`` counts every round as 1 s so that CI numbers are. ``J&F@<k>int`` (the
curve after k rounds) does not depend on time at all.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter
from seem_bench.data.davis import read_scribbles
from seem_bench.data.io import read_label_png
from seem_bench.data.types import Sample
from seem_bench.errors import UsageError
from seem_bench.loops.base import Encoder, TaskKind
from seem_bench.loops.ref_image import merge_objects
from seem_bench.metrics.davis import frame_scores, interactive_summary
from seem_bench.prompts.davis_robot import RobotScribble, robot_scribbles, worst_frame
from seem_bench.prompts.types import Prompts, RefImage, Scribble
from seem_bench.tasks import TaskSpec

CLOCKS = ("measured", "interactions")


def read_scribble_file(path: str | Path, shape: tuple[int, int], n_frames: int, n_objects: int
                       ) -> tuple[int, list[RobotScribble]]:
    """A DAVIS scribble JSON -> (annotated frame, strokes in pixels), validated against the
    sequence by `read_scribbles` (frame count, JSON shape, object ids, coordinates).

    Format: ``{"scribbles": [[{"path": [[x/W, y/H], ...], "object_id": k}, ...] per frame], ...}``.
    """
    data = read_scribbles(path, n_frames, n_objects)
    per_frame = data["scribbles"]
    h, w = shape
    frames = [i for i, strokes in enumerate(per_frame) if strokes]
    f = int(data.get("annotated_frame", frames[0]))
    strokes = [RobotScribble(int(s["object_id"]), np.asarray(s["path"], float) * [w, h])
               for s in per_frame[f]]
    return f, strokes


def _nearest(t: int, annotated: list[int]) -> int:
    return min(annotated, key=lambda a: (abs(a - t), a))


class DavisInteractiveKind(TaskKind):
    name = "davis-interactive"

    def check_task(self, task: TaskSpec) -> None:
        if task.params.get("clock", "measured") not in CLOCKS:
            raise UsageError(f"clock must be one of {', '.join(CLOCKS)}")

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
        thr = float(p.get("pred_thr", 0.5))
        t_count, (h, w) = len(images), gt.shape[1:]
        pred = np.zeros_like(gt)
        strokes: dict[int, list[RobotScribble]] = {}
        rounds = []
        for it in range(1, int(p.get("max_interactions", 8)) + 1):
            if it == 1 and first_file:
                f, new = read_scribble_file(first_file, (h, w), t_count, n_obj)
            else:
                f = worst_frame(gt, pred, n_obj)
                new = robot_scribbles(gt[f], pred[f], n_obj, kernel_size=float(p.get("kernel_size", 0.2)))
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

    def summarize(self, records: list[dict[str, Any]], header: dict[str, Any]
                  ) -> tuple[dict[str, float], dict[str, float]]:
        p = header["task"]["params"]
        ok = [r for r in records if r.get("status") == "ok"]
        rows, sequences = [], {}
        fixed = p.get("clock", "measured") == "interactions"
        for r in ok:
            seq = r["sample_id"]
            n_scr, _ = sequences.get(seq, (0, r["n_objects"]))
            sequences[seq] = (max(n_scr, r["scribble_idx"]), r["n_objects"])
            for rd in r["rounds"]:
                for t, (jr, fr) in enumerate(zip(rd["J"], rd["F"], strict=True)):
                    for k in range(r["n_objects"]):
                        rows.append({"sequence": seq, "scribble_idx": r["scribble_idx"],
                                     "interaction": rd["interaction"], "object_id": k + 1, "frame": t,
                                     "jaccard": jr[k], "contour": fr[k],
                                     "timing": 1.0 if fixed else rd["timing"]})
        if not rows:
            return {}, {"decode_s_total": 0.0}
        res = interactive_summary(rows, dict(sorted(sequences.items())), max_t=float(p.get("max_t", 30)),
                                  time_threshold=float(p.get("time_threshold", 60)))
        curve = res.pop("curve")
        metrics = {k: float(v) for k, v in res.items()}
        for i, v in enumerate(curve["J&F"][1:-1], start=1):
            metrics[f"J&F@{i}int"] = float(v)
        return metrics, {"decode_s_total": sum(r["model_s"] for r in ok)}
