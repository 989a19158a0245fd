"""The ``referring`` task kind: one decode per referring expression (text prompt).

Units: ``all-sentences`` (LAVT/ReLA standard) makes every sentence of every ref a unit
``<ref>/<i>``; ``first-sentence`` (SEEM/X-Decoder evaluator) makes one unit per ref, its sentence
0 lower-cased. The image is encoded once for all its refs, and all its units go to one
`Adapter.decode_batch` call (chunks of ``capabilities.max_batch``) in ref order: adapters decode
them one by one unless they batch text (SEEM's ``grounding_batch``, one pass per image as SEEM's
evaluator). ``model_s`` is the call's time shared out evenly. Records hold the intersection and
union of each unit; the ``referring`` evaluator turns them into cIoU, mIoU and prec@X.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter, DecodeRequest
from seem_bench.data.types import Instance, Sample
from seem_bench.loops.base import Encoder, TaskKind
from seem_bench.loops.lockstep import decode_chunks
from seem_bench.prompts.text import select_sentences
from seem_bench.prompts.types import Prompts
from seem_bench.tasks import TaskSpec


def sentences(inst: Instance, rule: str) -> list[tuple[int, str]]:
    """``(index, text)`` of the sentences a rule evaluates for one ref."""
    return select_sentences(inst.sentences, rule)


class ReferringKind(TaskKind):
    name = "referring"
    prefetch_masks = True

    def prompt_kinds(self, task: TaskSpec) -> set[str]:
        return {"text"}

    def units(self, sample: Sample, task: TaskSpec) -> list[str]:
        rule = task.params["sentences"]
        return [f"{inst.instance_id}/{i}" for inst in sample.instances for i, _ in sentences(inst, rule)]

    def run_sample(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec,
                   seed: int) -> list[dict[str, Any]]:
        rule = task.params["sentences"]
        thr = float(task.params["pred_thr"])
        state = encoder(sample.image())
        units, requests = [], []
        target = adapter.uses_ground_truth
        for inst in sample.instances:
            gt = inst.mask()
            for i, text in sentences(inst, rule):
                units.append((inst, i, text, gt))
                requests.append(DecodeRequest(state, Prompts(text=text), target=gt if target else None))
        # All sentences of the image in one call, in ref order: a SEEM model with
        # grounding_batch decodes them together as SEEM's evaluator does; others one by one.
        preds, secs = decode_chunks(adapter, requests, max(1, int(adapter.capabilities.max_batch)))
        out = []
        valid = {}
        for (inst, i, text, gt), p, dt in zip(units, preds, secs, strict=True):
            if inst.instance_id not in valid:
                ignore = inst.ignore()
                valid[inst.instance_id] = None if ignore is None else ~ignore
            pred = p.binary(thr)
            inter = gt & pred
            union = gt | pred
            if valid[inst.instance_id] is not None:
                inter &= valid[inst.instance_id]
                union &= valid[inst.instance_id]
            out.append({"unit": f"{inst.instance_id}/{i}", "instance_id": inst.instance_id,
                        "category_id": inst.category_id, "sentence": text,
                        "intersection": int(np.count_nonzero(inter)),
                        "union": int(np.count_nonzero(union)), "model_s": dt, "status": "ok"})
        return out

    def default_evaluators(self, header: dict[str, Any]) -> list[str]:
        return ["referring"]
