"""J&F after k interacted frames for ``video-interactive`` records (SAM 2's offline / online protocols).

Per object and pass, the record holds per-frame J and F (`seem_bench.metrics.davis.frame_scores`,
the davis2017-evaluation rules on the object's mask; ``null`` on unannotated frames). For k
interacted frames:

- the pass is the one that ended with k prompted frames (offline: pass ceil(k / frames_per_pass);
  online: the run with budget N_frame = k); a record with fewer passes (the protocol stopped
  early: nothing left to correct) repeats its last pass, as davisinteractive repeats the last
  interaction;
- scored frames are the object's annotated frames, without the first and the last
  (``score_frames: inner``, davis2017-evaluation's ``[1:-1]`` of the annotation files) or all
  of them (``all``);
- per object J-Mean and F-Mean are `db_statistics` means over the scored frames; the dataset's
  ``J&F@<k>fr`` = (mean over objects of J-Mean + mean over objects of F-Mean) / 2, which is
  davis2017-evaluation's J&F-Mean of the masks that pass produced, each object scored on its
  own mask (SA-V's per-object rule; on objects that do not overlap, the same as scoring the
  merged label map).

``AUC`` = trapezoidal area under J&F@k over the reported k, divided by their range (J&F@k
itself when one k is reported). State: two exact sums per k.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from seem_bench.metrics.contract import Evaluator, ExactSum, MetricSpec
from seem_bench.metrics.davis import db_statistics

_REF = "davis2017-evaluation J&F-Mean of each pass's masks (SAM 2 interactive protocol)"


def reported_ks(params: Mapping[str, Any]) -> list[int]:
    """The numbers of interacted frames J&F is reported at."""
    n = int(params.get("max_frames", 8))
    if params.get("video_protocol", "sam2-offline") == "sam2-offline":
        per = int(params.get("frames_per_pass", 1))
        return sorted({min(p * per, n) for p in range(1, math.ceil(n / per) + 1)})
    return list(range(1, n + 1))


def scored_frames(annotated: list[int], rule: str) -> list[int]:
    return list(annotated[1:-1]) if rule == "inner" else list(annotated)


def object_pass_scores(record: Mapping[str, Any], pass_record: Mapping[str, Any], rule: str
                       ) -> tuple[float, float]:
    """(J-Mean, F-Mean) of one object in one pass over its scored frames."""
    frames = scored_frames(list(record["annotated"]), rule)
    j = np.array([pass_record["J"][t] for t in frames], np.float64)
    f = np.array([pass_record["F"][t] for t in frames], np.float64)
    return db_statistics(j)[0], db_statistics(f)[0]


class VideoInteractiveEvaluator(Evaluator):
    name = "video-interactive"

    def __init__(self, header: Mapping[str, Any]) -> None:
        super().__init__(header)
        self.ks = reported_ks(self.params)
        self.j = [ExactSum() for _ in self.ks]
        self.f = [ExactSum() for _ in self.ks]
        self.clicks = ExactSum()
        self.prompted = ExactSum()
        self.objects = 0

    @classmethod
    def metric_specs(cls, params: Mapping[str, Any]) -> list[MetricSpec]:
        ks = reported_ks(params)
        return [*(MetricSpec(f"J&F@{k}fr", "fraction", True, 1, f"{_REF}: after {k} interacted frame(s)")
                  for k in ks),
                MetricSpec("AUC", "fraction", True, 1, "area under J&F vs interacted frames / their range"),
                MetricSpec("frames", "count", False, 2, "mean prompted frames per object (last pass)"),
                MetricSpec("clicks", "clicks", False, 2, "mean clicks per object (every pass's prompts)"),
                MetricSpec("objects", "count", True, 0, "objects evaluated")]

    def update(self, record: Mapping[str, Any]) -> None:
        rule = self.params.get("score_frames", "inner")
        passes = record["passes"]
        for i, _ in enumerate(self.ks):
            jm, fm = object_pass_scores(record, passes[min(i, len(passes) - 1)], rule)
            self.j[i].add(jm)
            self.f[i].add(fm)
        offline = self.params.get("video_protocol", "sam2-offline") == "sam2-offline"
        counted = passes if offline else passes[-1:]
        self.clicks.add(sum(len(e["clicks"]) for p in counted for e in p["prompts"]))
        self.prompted.add(passes[-1]["prompted_frames"])
        self.objects += 1

    def merge(self, other: Evaluator) -> VideoInteractiveEvaluator:
        assert isinstance(other, VideoInteractiveEvaluator)
        for mine, theirs in zip(self.j + self.f + [self.clicks, self.prompted],
                                other.j + other.f + [other.clicks, other.prompted], strict=True):
            mine.merge(theirs)
        self.objects += other.objects
        return self

    def compute(self) -> dict[str, float]:
        n = self.objects
        if not n:
            return {}
        curve = [(j.value() / n + f.value() / n) / 2 for j, f in zip(self.j, self.f, strict=True)]
        out = {f"J&F@{k}fr": v for k, v in zip(self.ks, curve, strict=True)}
        if len(self.ks) == 1:
            auc = curve[0]
        else:
            area = sum((self.ks[i + 1] - self.ks[i]) * (curve[i] + curve[i + 1]) / 2 for i in range(len(curve) - 1))
            auc = area / (self.ks[-1] - self.ks[0])
        out.update({"AUC": auc, "frames": self.prompted.value() / n, "clicks": self.clicks.value() / n,
                    "objects": n})
        return out
