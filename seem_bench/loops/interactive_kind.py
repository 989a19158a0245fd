"""The ``interactive`` task kind: per-object multi-round prompting (loop in `interactive`)."""

from __future__ import annotations

from typing import Any

from seem_bench.adapters.base import Adapter
from seem_bench.data.types import Sample
from seem_bench.loops.base import Encoder, TaskKind
from seem_bench.loops.interactive import run_sample
from seem_bench.metrics.interactive import InteractiveAccumulator
from seem_bench.prompts.protocols import PROTOCOLS
from seem_bench.tasks import TaskSpec

LOOP_PARAMS = ("max_rounds", "iou_target", "pred_thr", "memory", "negatives")


class InteractiveKind(TaskKind):
    name = "interactive"

    def prompt_kinds(self, task: TaskSpec) -> set[str]:
        kinds = {task.first_prompt, "point"} if task.params.get("max_rounds", 1) > 1 else {task.first_prompt}
        if task.params.get("text", "none") not in (None, "none", False):
            kinds.add("text")
        return kinds

    def units(self, sample: Sample, task: TaskSpec) -> list[str]:
        return [inst.instance_id for inst in sample.instances]

    def run_sample(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec,
                   seed: int) -> list[dict[str, Any]]:
        proto = PROTOCOLS.get(task.protocol)
        params = {k: v for k, v in task.params.items()}
        params.setdefault("first_prompt", task.first_prompt)
        state = encoder(sample.image())
        records = run_sample(adapter, state, sample, list(sample.instances), proto, params, seed)
        return [{"unit": r["instance_id"], **r} for r in records]

    def summarize(self, records: list[dict[str, Any]], header: dict[str, Any]
                  ) -> tuple[dict[str, float], dict[str, float]]:
        params = header["task"]["params"]
        acc = InteractiveAccumulator(max_rounds=int(params["max_rounds"]), compare=params.get("compare", "ritm"))
        for r in records:
            if r.get("status") == "ok":
                acc.update(r["ious"], sum(rd["model_s"] for rd in r["rounds"]))
        metrics = acc.compute()
        metrics.pop("instances", None)
        timings = {"decode_s_total": acc.model_seconds, "clicks": acc.clicks}
        return metrics, timings
