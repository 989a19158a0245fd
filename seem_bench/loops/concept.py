"""The ``concept`` task kind: promptable concept segmentation (SAM 3's SA-Co protocol).

Units are the (image, noun phrase) pairs of a sample (``sample.meta["pairs"]``, see
`seem_bench.data.saco`): the image is encoded once, then each phrase is one text-prompted decode
that must return every instance of the concept, or none. The adapter answers in
``Prediction.extra["instances"]``: ``[{"mask": bool (H, W), "score": float}, ...]`` in its own
order. The record keeps what the ``concept`` evaluator needs (`seem_bench.metrics.concept`):
the number of predictions with ``score >= score_thr`` and, per GT version (SA-Co/Gold's three
annotators), the non-crowd GT count and the IoUs of the optimal one-to-one matching.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter
from seem_bench.data.types import Sample
from seem_bench.errors import DataError
from seem_bench.loops.base import Encoder, TaskKind
from seem_bench.metrics.concept import flat_masks, pair_part
from seem_bench.prompts.types import Prompts
from seem_bench.tasks import TaskSpec


def _pairs(sample: Sample) -> list[dict[str, Any]]:
    pairs = sample.meta.get("pairs")
    if pairs is None:
        raise DataError(sample.image_path or sample.sample_id,
                        "no (image, phrase) pairs: the concept task needs an SA-Co dataset (saco_gold, saco_silver)")
    return list(pairs)


class ConceptKind(TaskKind):
    name = "concept"
    prefetch_masks = True

    def prompt_kinds(self, task: TaskSpec) -> set[str]:
        return {"text"}

    def units(self, sample: Sample, task: TaskSpec) -> list[str]:
        return [str(p["id"]) for p in _pairs(sample)]

    def run_sample(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec,
                   seed: int) -> list[dict[str, Any]]:
        thr = float(task.params["score_thr"])
        n_versions = int(sample.meta.get("versions", 1))
        pairs = _pairs(sample)
        gt: dict[int, list[list[tuple[np.ndarray, bool]]]] = {
            int(p["id"]): [[] for _ in range(n_versions)] for p in pairs}
        for inst in sample.instances:  # annotation order within each version: the matching's order
            pid = int(inst.meta["pair_id"])
            if pid in gt:
                gt[pid][int(inst.meta["version"])].append((inst.mask(), bool(inst.iscrowd)))
        state = encoder(sample.image())
        out = []
        for p in pairs:
            pid = int(p["id"])
            if adapter.uses_ground_truth:  # sanity models: version 0's instances
                adapter.set_target({"concept": [m for m, crowd in gt[pid][0] if not crowd]})
            t0 = time.perf_counter()
            pred = adapter.decode(state, Prompts(text=p["text"]))
            dt = time.perf_counter() - t0
            if "instances" not in pred.extra:
                raise ValueError("the model returned no instance list (Prediction.extra['instances'])")
            floor = pred.extra.get("min_score")
            if floor is not None and float(floor) > thr:  # predictions in [thr, floor) would be missing
                raise ValueError(f"the model drops predictions scoring under {floor} but the task keeps "
                                 f"score_thr={thr}: lower --model-opt min_score")
            dets = list(pred.extra["instances"])
            kept = [np.asarray(d["mask"], bool) for d in dets if float(d["score"]) >= thr]
            for m in kept:
                if m.shape != (sample.height, sample.width):
                    raise ValueError(f"predicted mask of shape {m.shape}, image is {(sample.height, sample.width)}")
            flat = flat_masks(kept)  # once for every GT version
            versions = [pair_part(flat, [m for m, _ in v], [c for _, c in v]) for v in gt[pid]]
            out.append({"unit": str(pid), "pair_id": pid, "text": p["text"], "n_pred": len(dets),
                        "n_dt": len(kept), "versions": versions, "model_s": dt, "status": "ok"})
        return out

    def default_evaluators(self, header: dict[str, Any]) -> list[str]:
        return ["concept"]
