"""The ``interactive`` task kind: per-object multi-round prompting (loop in `interactive`).

Sampled clicks (``--set gamma=G [--set draws=K]``): every object runs K + 1 times. Draw 0 is
the deterministic protocol, with the record key it always had (``<sample>/<instance>``); draw
``d >= 1`` has the key ``<sample>/<instance>#d`` and ``"draw": d`` in its record. The standard
metrics come from draw 0 only (the ``interactive`` evaluator skips ``draw > 0``), so they equal
a deterministic run's; the sampled statistics come from the ``robustness`` evaluator
(`seem_bench.metrics.robustness`), which the interactive tasks list.
"""

from __future__ import annotations

from typing import Any

from seem_bench.adapters.base import Adapter
from seem_bench.data.types import Sample
from seem_bench.errors import UsageError
from seem_bench.loops.base import Encoder, TaskKind
from seem_bench.loops.interactive import run_sample
from seem_bench.prompts.first import FIRST_PROMPTS, FirstPromptSimulator, default_first_prompt
from seem_bench.prompts.protocols import PROTOCOLS
from seem_bench.prompts.sampled import Sampling, sampling_from
from seem_bench.tasks import TaskSpec


def unit_id(instance_id: str, draw: int) -> str:
    """The record unit of an object's draw: the instance id for draw 0, ``<id>#<draw>`` after."""
    return str(instance_id) if draw == 0 else f"{instance_id}#{draw}"


class InteractiveKind(TaskKind):
    name = "interactive"
    saves_masks = True

    def first_simulator(self, task: TaskSpec) -> FirstPromptSimulator | None:
        """The first-round simulator (``None`` = the click protocol's own first click)."""
        name = task.params.get("first_prompt_protocol") or default_first_prompt(task.first_prompt, task.protocol)
        return None if name is None else FIRST_PROMPTS.get(name)

    def sampling(self, task: TaskSpec) -> Sampling | None:
        """The task's sampled-click settings (``None``: deterministic), validated."""
        return sampling_from(task.params)

    def check_task(self, task: TaskSpec) -> None:
        PROTOCOLS.get(task.protocol)
        if self.sampling(task) is not None and task.evaluators and "robustness" not in task.evaluators:
            raise UsageError(f"task {task.name!r}: sampled clicks (gamma) need the robustness evaluator; "
                             f"add it to the task's evaluators ({', '.join(task.evaluators)})")
        sim = self.first_simulator(task)
        if sim is not None and sim.kind != task.first_prompt:
            raise UsageError(f"first_prompt_protocol {sim.name!r} makes {sim.kind} prompts, "
                             f"but the task's first_prompt is {task.first_prompt!r}")

    def prompt_kinds(self, task: TaskSpec) -> set[str]:
        sim = self.first_simulator(task)
        kinds = {sim.gives if sim is not None else "point"}
        if int(task.params["max_rounds"]) > 1:
            kinds.add("point")
        if task.params["text"] != "none":
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
        params = {**task.params, "first_prompt": task.first_prompt}  # protocol defaults: LoopConfig
        state = encoder(sample.image())
        sampling = self.sampling(task)
        out = []
        for d in range(1 + (0 if sampling is None else sampling.draws)):  # all objects per draw: SEEM couples them
            records = run_sample(adapter, state, sample, list(sample.instances), proto, params, seed, draw=d)
            out.extend({"unit": unit_id(r["instance_id"], d), **({"draw": d} if sampling else {}), **r}
                       for r in records)
        return out

    def default_evaluators(self, header: dict[str, Any]) -> list[str]:
        return ["interactive", "robustness"]
