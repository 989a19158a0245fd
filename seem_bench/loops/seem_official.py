"""The ``seem-official`` interactive loop: SEEM's own VOC "Point" evaluator, reproduced exactly.

Rules and their sources are in `seem_bench.prompts.seem_official`. The loop needs a model that
takes prompts and returns logits on its network grid: an adapter with

- ``grid_shapes(state) -> (orig_hw, net_hw, pad_hw)`` and
- ``decode_grid(state, pos, neg, memory) -> prev_mask``: ``pos``/``neg`` ``bool`` (n, Hp, Wp),
  one channel per object of the batch, decoded together in one call; returns the decoder's
  low-resolution logits (1, n, h4, w4), which are also the next round's memory.

(SEEM adapters in-process; not through the remote bridge). Per image, the objects (in the
sample's order, VOC: ascending grey id as SEEM's registration) go in batches of
``batch_size`` (5). Per batch and round r = 1 .. ``max_rounds``:

1. r = 1: each object's first grid click; r >= 2: its next grid click, unless its grid IoU from
   the last round is >= ``click_stop_iou`` (0.925, float32).
2. One decode of the batch with all prompt masks so far (+ the previous logits, memory on).
3. IoU at the original size, void excluded (`mask_iou`).
4. Batch stop: when every object of the batch has float32 IoU > ``image_stop_iou`` (0.9),
   the remaining rounds repeat the last IoU (``prompt = {"repeat": "image_stop_iou"}``).

Round records are those of `seem_bench.loops.interactive`, with the click in grid coordinates:
``{"grid_click": [x, y, positive]}``; ``{"skip": "click_stop_iou"}`` when the keep rule holds.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter
from seem_bench.data.types import Instance, Sample
from seem_bench.errors import UsageError
from seem_bench.loops.interactive import _f32_ge, seem_image_iou, seem_keep_iou
from seem_bench.metrics.iou import mask_iou
from seem_bench.prompts.protocols import ClickProtocol
from seem_bench.prompts.seem_official import (
    BATCH_SIZE,
    add_blob,
    batches,
    first_blob,
    first_grid_click,
    grid_gt,
    grid_predictions,
    next_grid_click,
    pad_grid,
)
from seem_bench.schema import InstanceRecord, RoundRecord


def check_params(opts: dict[str, Any]) -> None:
    """Refuse settings the official evaluator has no counterpart for."""
    if str(opts.get("first_prompt") or "point") != "point":
        raise UsageError(f"protocol seem-official evaluates clicks only (SEEM's VOC 'Point'); "
                         f"first_prompt {opts.get('first_prompt')!r} is not supported")
    if opts.get("first_prompt_protocol"):
        raise UsageError("protocol seem-official takes no first_prompt_protocol")
    if opts.get("text") not in (None, "none", False):
        raise UsageError("protocol seem-official takes no text prompt (SEEM's VOC 'Point' has none)")
    if not bool(opts.get("negatives", True)):
        raise UsageError("protocol seem-official has no negatives=off variant")
    if opts.get("gamma") is not None:
        raise UsageError("protocol seem-official has no sampled clicks (gamma): its clicks are SEEM's "
                         "grid rule; use protocol seem or seem-kornia with gamma")
    if int(opts.get("batch_size", BATCH_SIZE)) < 1:
        raise UsageError(f"batch_size must be >= 1, got {opts.get('batch_size')}")


def run_sample(adapter: Adapter, state: Any, sample: Sample, instances: list[Instance],
               protocol: ClickProtocol, params: dict[str, Any], seed: int) -> list[InstanceRecord]:
    """Records for ``instances`` of one encoded sample (see the module docstring)."""
    opts = protocol.options(params)
    check_params(opts)
    if not (hasattr(adapter, "decode_grid") and hasattr(adapter, "grid_shapes")):
        raise UsageError(f"protocol seem-official needs a model that decodes on its network grid "
                         f"(SEEM, in-process); {getattr(adapter, 'name', type(adapter).__name__)!r} "
                         "does not")
    orig_hw, net_hw, pad_hw = (tuple(int(v) for v in hw) for hw in adapter.grid_shapes(state))
    max_rounds = int(opts["max_rounds"])
    stop_click = float(opts.get("click_stop_iou", 0.925))
    stop_image = float(opts.get("image_stop_iou", 0.9))
    memory_on = bool(opts.get("memory", True))
    records: list[InstanceRecord] = []
    for group in batches(instances, int(opts.get("batch_size", BATCH_SIZE))):
        gts = [inst.mask() for inst in group]
        ignores = [inst.ignore() for inst in group]
        for g in gts:
            if g.shape != tuple(orig_hw):
                raise ValueError(f"instance mask is {g.shape}, the image {orig_hw}")
        grid = [grid_gt(g, net_hw) for g in gts]
        gt_pad = np.stack([pad_grid(g, pad_hw) for g in grid])
        pos = np.zeros((len(group), *pad_hw), bool)
        neg = np.zeros_like(pos)
        added: list[dict[str, Any]] = []
        for i, g in enumerate(grid):
            c = first_grid_click(g)
            pos[i] |= first_blob(g, c, pad_hw)
            added.append({"grid_click": c.to_json()})
        rounds: list[list[RoundRecord]] = [[] for _ in group]
        memory = None
        for r in range(1, max_rounds + 1):
            t0 = time.perf_counter()
            prev = adapter.decode_grid(state, pos.copy(), neg.copy(), memory)
            dt = (time.perf_counter() - t0) / len(group)  # one batched decode, shared equally
            memory = prev if memory_on else None
            pred_grid, pred_orig = grid_predictions(prev, pad_hw, net_hw, orig_hw)
            for i in range(len(group)):
                rounds[i].append({"round": r, "prompt": added[i],
                                  "iou": mask_iou(gts[i], pred_orig[i], ignores[i]), "model_s": dt})
            if all(seem_image_iou(gts[i], pred_orig[i], ignores[i]) > np.float32(stop_image)
                   for i in range(len(group))):
                for rd in rounds:
                    last = rd[-1]["iou"]
                    rd.extend({"round": k, "prompt": {"repeat": "image_stop_iou"}, "iou": last,
                               "model_s": 0.0} for k in range(r + 1, max_rounds + 1))
                break
            if r == max_rounds:
                break
            added = []
            for i in range(len(group)):
                if _f32_ge(seem_keep_iou(gt_pad[i], pred_grid[i]), stop_click):
                    added.append({"skip": "click_stop_iou"})
                    continue
                c = next_grid_click(gt_pad[i], pred_grid[i], pos[i] | neg[i])
                add_blob(pos[i], neg[i], c)
                added.append({"grid_click": c.to_json()})
        for inst, rd in zip(group, rounds, strict=True):
            ious = [x["iou"] for x in rd]
            records.append({"instance_id": inst.instance_id, "category_id": inst.category_id,
                            "rounds": rd, "ious": ious, "final_iou": ious[-1], "status": "ok"})
    return records
