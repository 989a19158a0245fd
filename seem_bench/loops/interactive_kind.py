"""The ``interactive`` task kind: per-object multi-round prompting (loop in `interactive`).

Sampled clicks (``--set gamma=G [--set draws=K]``): every object runs K + 1 times. Draw 0 is
the deterministic protocol, with the record key it always had (``<sample>/<instance>``); draw
``d >= 1`` has the key ``<sample>/<instance>#d`` and ``"draw": d`` in its record. The standard
metrics come from draw 0 only, so they equal a deterministic run's; the sampled statistics go
under ``metrics["robustness"]`` (`seem_bench.metrics.robustness`).
"""

from __future__ import annotations

from typing import Any

from seem_bench.adapters.base import Adapter
from seem_bench.data.types import Sample
from seem_bench.errors import UsageError
from seem_bench.loops.base import Encoder, TaskKind
from seem_bench.loops.interactive import run_sample
from seem_bench.metrics.interactive import DEFAULT_KS, InteractiveAccumulator
from seem_bench.metrics.robustness import robustness_stats
from seem_bench.prompts.first import FIRST_PROMPTS, FirstPromptSimulator, default_first_prompt
from seem_bench.prompts.protocols import PROTOCOLS
from seem_bench.prompts.sampled import Sampling, sampling_from
from seem_bench.tasks import TaskSpec

LOOP_PARAMS = ("max_rounds", "iou_target", "pred_thr", "memory", "negatives")


def unit_id(instance_id: str, draw: int) -> str:
    """The record unit of an object's draw: the instance id for draw 0, ``<id>#<draw>`` after."""
    return str(instance_id) if draw == 0 else f"{instance_id}#{draw}"


class InteractiveKind(TaskKind):
    name = "interactive"

    def first_simulator(self, task: TaskSpec) -> FirstPromptSimulator | None:
        """The first-round simulator (``None`` = the click protocol's own first click)."""
        name = task.params.get("first_prompt_protocol") or default_first_prompt(task.first_prompt, task.protocol)
        return None if name is None else FIRST_PROMPTS.get(name)

    def sampling(self, task: TaskSpec) -> Sampling | None:
        """The task's sampled-click settings (``None``: deterministic), validated."""
        return sampling_from(PROTOCOLS.get(task.protocol).options(task.params))

    def check_task(self, task: TaskSpec) -> None:
        PROTOCOLS.get(task.protocol)
        self.sampling(task)
        sim = self.first_simulator(task)
        if sim is not None and sim.kind != task.first_prompt:
            raise UsageError(f"first_prompt_protocol {sim.name!r} makes {sim.kind} prompts, "
                             f"but the task's first_prompt is {task.first_prompt!r}")

    def prompt_kinds(self, task: TaskSpec) -> set[str]:
        sim = self.first_simulator(task)
        kinds = {sim.gives if sim is not None else "point"}
        if int(task.params.get("max_rounds", 1)) > 1:
            kinds.add("point")
        if task.params.get("text", "none") not in (None, "none", False):
            kinds.add("text")
        return kinds

    def describe(self, task: TaskSpec) -> dict[str, Any]:
        sim = self.first_simulator(task)
        return {"first_prompt": None if sim is None else sim.to_json(task.params)}

    def units(self, sample: Sample, task: TaskSpec) -> list[str]:
        sampling = self.sampling(task)
        draws = 0 if sampling is None else sampling.draws
        return [unit_id(inst.instance_id, d) for d in range(draws + 1) for inst in sample.instances]

    def run_sample(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec,
                   seed: int) -> list[dict[str, Any]]:
        proto = PROTOCOLS.get(task.protocol)
        params = {**proto.params, **task.params}  # protocol defaults (pred_thr 0.49 for ritm, 0.5 else)
        params.setdefault("first_prompt", task.first_prompt)
        state = encoder(sample.image())
        sampling = self.sampling(task)
        out = []
        for d in range(1 + (0 if sampling is None else sampling.draws)):  # all objects per draw: SEEM couples them
            records = run_sample(adapter, state, sample, list(sample.instances), proto, params, seed, draw=d)
            out.extend({"unit": unit_id(r["instance_id"], d), **({"draw": d} if sampling else {}), **r}
                       for r in records)
        return out

    def summarize(self, records: list[dict[str, Any]], header: dict[str, Any]
                  ) -> tuple[dict[str, float], dict[str, float]]:
        params = header["task"]["params"]
        acc = InteractiveAccumulator(max_rounds=int(params["max_rounds"]), compare=params.get("compare", "ritm"))
        for r in records:
            if r.get("status") == "ok" and not r.get("draw"):
                decoded = [rd for rd in r["rounds"] if "repeat" not in rd["prompt"]]
                acc.update(r["ious"], sum(rd["model_s"] for rd in decoded), clicks=len(decoded))
        # mIoU@k at the usual rounds plus those the protocol's paper reports (SAM: 1, 2, 3, 5, 9).
        proto = header["task"].get("protocol")
        report_ks = PROTOCOLS.get(proto).report_ks if proto in PROTOCOLS else ()
        ks = sorted({*DEFAULT_KS, *report_ks})
        metrics = acc.compute(ks)
        metrics.pop("instances", None)
        if any(r.get("draw") for r in records):
            metrics["robustness"] = robustness_stats(records, max_rounds=int(params["max_rounds"]),
                                                     compare=params.get("compare", "ritm"), ks=ks)
        timings = {"decode_s_total": acc.model_seconds, "clicks": acc.clicks}
        return metrics, timings
