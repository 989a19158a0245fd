"""The interactive loop: protocol step -> adapter decode -> IoU -> record, per round.

Hot path. The image is encoded once per sample by the runner; here each round costs one click
simulation (two distance transforms), one decode and one IoU.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter
from seem_bench.data.types import Instance, Sample
from seem_bench.metrics.iou import mask_iou
from seem_bench.prompts.protocols import ClickProtocol
from seem_bench.prompts.types import Prompts
from seem_bench.schema import InstanceRecord, RoundRecord


def run_instance(adapter: Adapter, state: Any, inst: Instance, protocol: ClickProtocol,
                 params: dict[str, Any]) -> InstanceRecord:
    """Run every round for one object; returns its record (without run-level fields).

    ``params``: ``max_rounds``, ``iou_target`` (stop once reached after >= 1 round, or ``None``),
    ``pred_thr``, ``memory`` and ``negatives``.
    """
    gt = inst.mask()
    ignore = inst.ignore()
    if adapter.uses_ground_truth:
        adapter.set_target(gt)
    max_rounds = int(params["max_rounds"])
    target = params.get("iou_target")
    thr = float(params.get("pred_thr", 0.49))
    use_memory = bool(params.get("memory", True))
    negatives = bool(params.get("negatives", True))

    pred = np.zeros_like(gt)
    prompts = Prompts()
    memory = None
    rounds: list[RoundRecord] = []
    for r in range(1, max_rounds + 1):
        # negatives=off: hide false positives from the clicker, so only FN-driven clicks are made.
        click = protocol.click_fn(gt, pred if negatives else pred & gt, ignore, prompts.clicks)
        prompts.clicks.append(click)
        t0 = time.perf_counter()
        out = adapter.decode(state, prompts, memory if use_memory else None)
        dt = time.perf_counter() - t0
        memory = out.memory
        pred = out.binary(thr)
        if pred.shape != gt.shape:
            raise ValueError(f"model returned a {pred.shape} mask for a {gt.shape} image")
        iou = mask_iou(gt, pred, ignore)
        rounds.append({"round": r, "prompt": {"click": click.to_json()}, "iou": iou, "model_s": dt})
        if target is not None and iou >= target:
            break
    ious = [rd["iou"] for rd in rounds]
    return {"instance_id": inst.instance_id, "category_id": inst.category_id, "rounds": rounds,
            "ious": ious, "final_iou": ious[-1], "status": "ok"}


def run_sample(adapter: Adapter, state: Any, sample: Sample, instances: list[Instance],
               protocol: ClickProtocol, params: dict[str, Any], seed: int) -> list[InstanceRecord]:
    """Records for ``instances`` of one encoded sample, in order (runner entry point).

    The runner passes every instance of the sample when any of them still needs a record (a
    resumed run recomputes the others deterministically and keeps only the missing records), so
    protocols that couple the objects of one image (SEEM's evaluator) see all of them.
    """
    return [run_instance(adapter, state, inst, protocol, params) for inst in instances]
