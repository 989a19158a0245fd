"""The ``interactive`` task kind: per-object multi-round prompting (loop in `interactive`)."""

from __future__ import annotations

from typing import Any

from seem_bench.adapters.base import Adapter
from seem_bench.data.types import Sample
from seem_bench.errors import UsageError
from seem_bench.loops.base import Encoder, TaskKind
from seem_bench.loops.interactive import run_sample
from seem_bench.prompts.first import FIRST_PROMPTS, FirstPromptSimulator, default_first_prompt
from seem_bench.prompts.protocols import PROTOCOLS
from seem_bench.tasks import TaskSpec


class InteractiveKind(TaskKind):
    name = "interactive"
    saves_masks = True

    def first_simulator(self, task: TaskSpec) -> FirstPromptSimulator | None:
        """The first-round simulator (``None`` = the click protocol's own first click)."""
        name = task.params.get("first_prompt_protocol") or default_first_prompt(task.first_prompt, task.protocol)
        return None if name is None else FIRST_PROMPTS.get(name)

    def check_task(self, task: TaskSpec) -> None:
        PROTOCOLS.get(task.protocol)
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
        return [inst.instance_id for inst in sample.instances]

    def run_sample(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec,
                   seed: int) -> list[dict[str, Any]]:
        proto = PROTOCOLS.get(task.protocol)
        params = {**task.params, "first_prompt": task.first_prompt}  # protocol defaults: LoopConfig
        state = encoder(sample.image())
        records = run_sample(adapter, state, sample, list(sample.instances), proto, params, seed)
        return [{"unit": r["instance_id"], **r} for r in records]

    def default_evaluators(self, header: dict[str, Any]) -> list[str]:
        return ["interactive"]
