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
from seem_bench.loops.interactive import LoopConfig, SampleRun, run_sample
from seem_bench.loops.lockstep import lockstep
from seem_bench.prompts.first import FIRST_PROMPTS, FirstPromptSimulator, default_first_prompt
from seem_bench.prompts.protocols import PROTOCOLS
from seem_bench.prompts.sampling import Sampling, sampling_from
from seem_bench.tasks import TaskSpec


def unit_id(instance_id: str, draw: int) -> str:
    """The record unit of an object's draw: the instance id for draw 0, ``<id>#<draw>`` after."""
    return str(instance_id) if draw == 0 else f"{instance_id}#{draw}"


class InteractiveKind(TaskKind):
    name = "interactive"
    prefetch_masks = True
    saves_masks = True

    def first_simulator(self, task: TaskSpec) -> FirstPromptSimulator | None:
        """The first-round simulator (``None`` = the click protocol's own first click)."""
        name = task.params.get("first_prompt_protocol") or default_first_prompt(task.first_prompt, task.protocol)
        return None if name is None else FIRST_PROMPTS.get(name)

    def sampling(self, task: TaskSpec) -> Sampling | None:
        """The task's sampled-click settings (``None``: deterministic), validated."""
        return sampling_from(task.params)

    def check_task(self, task: TaskSpec) -> None:
        proto = PROTOCOLS.get(task.protocol)
        if proto.params.get("grid"):  # seem-official: refuse what SEEM's evaluator has no rule for
            from seem_bench.loops.seem_official import check_params

            check_params({**proto.params, **task.params, "first_prompt": task.first_prompt})
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
        return self.run_batch(adapter, encoder, [sample], task, seed, overlap=False)[0][0]

    def run_batch(self, adapter: Adapter, encoder: Encoder, samples: list[Sample], task: TaskSpec,
                  seed: int, overlap: bool = True, harness_workers: int = 1
                  ) -> list[tuple[list[dict[str, Any]], float]]:
        """All objects of ``samples`` in lockstep: one batched decode per round (`lockstep`);
        ``harness_workers`` threads simulate the clicks (records are the same for any number)."""
        proto = PROTOCOLS.get(task.protocol)
        params = {**task.params, "first_prompt": task.first_prompt}  # protocol defaults: LoopConfig
        if proto.params.get("grid"):  # seem-official batches objects as SEEM's evaluator does
            return [self._run_grid(adapter, encoder, sample, proto, params, seed) for sample in samples]
        cfg = LoopConfig.build(proto, params)
        # Sampled clicks: every draw of a sample is a run of its own (draw 0 = the deterministic
        # protocol), sharing the sample's encoding; its objects are slots of their own in the batch.
        draws = range(1 + (0 if cfg.sampling is None else cfg.sampling.draws))
        per_sample, encode_s = [], []
        for sample in samples:
            before = encoder.seconds
            state = encoder(sample.image())
            encode_s.append(encoder.seconds - before)
            per_sample.append([SampleRun(adapter, state, sample, list(sample.instances), proto, cfg, seed, draw=d)
                               for d in draws])
        lockstep(adapter, [run for runs in per_sample for run in runs], overlap=overlap,
                 harness_workers=harness_workers)
        sampled = cfg.sampling is not None
        return [([{"unit": unit_id(r["instance_id"], d), **({"draw": d} if sampled else {}), **r}
                  for d, run in enumerate(runs) for r in run.records()], secs)
                for runs, secs in zip(per_sample, encode_s, strict=True)]

    @staticmethod
    def _run_grid(adapter: Adapter, encoder: Encoder, sample: Sample, proto: Any,
                  params: dict[str, Any], seed: int) -> tuple[list[dict[str, Any]], float]:
        before = encoder.seconds
        state = encoder(sample.image())
        secs = encoder.seconds - before
        records = run_sample(adapter, state, sample, list(sample.instances), proto, params, seed)
        return [{"unit": r["instance_id"], **r} for r in records], secs

    def default_evaluators(self, header: dict[str, Any]) -> list[str]:
        return ["interactive", "robustness"]
