"""What a task kind must provide to the runner.

A task's ``kind`` (``interactive``, ``generic``, ``referring``, ``ref-image``, ``davis-interactive``,
``video-interactive``) selects a `TaskKind`:
it names the record units of a sample (instances, sentences, objects, or the image itself) and
runs one sample through the model (calling ``encoder`` once per image). Records become metrics
through the evaluators the task lists (`seem_bench.metrics.contract`), never through the loop.
The runner owns everything else: sharding, resume, errors, files.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter
from seem_bench.data.types import Dataset, Sample
from seem_bench.registry import Registry
from seem_bench.tasks import TaskSpec


class Encoder:
    """Calls ``adapter.encode`` and accounts for its time and number of calls."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, image: np.ndarray) -> Any:
        t0 = time.perf_counter()
        state = self.adapter.encode(image)
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return state


def merge_objects(masks: list[np.ndarray], scores: list[float]) -> np.ndarray:
    """Label map (H, W) ``int32``: 0 background, k+1 where object k wins (see module docstring)."""
    labels = np.zeros(masks[0].shape, np.int32)
    order = sorted(range(len(masks)), key=lambda k: (scores[k], k))
    for k in order:
        labels[masks[k]] = k + 1
    return labels


class TaskKind(ABC):
    """One family of task loops (see module docstring)."""

    name: str = ""
    #: Whether the runner's read-ahead also loads the instances' masks (kinds that score objects).
    prefetch_masks: bool = False
    #: Whether records can carry predicted masks (``run --save-masks``).
    saves_masks: bool = False

    @abstractmethod
    def prompt_kinds(self, task: TaskSpec) -> set[str]:
        """Prompt kinds the model must accept (checked before any image is read)."""

    def memory_required(self, task: TaskSpec) -> bool:
        return False

    @abstractmethod
    def units(self, sample: Sample, task: TaskSpec) -> list[str]:
        """Record unit ids of a sample; the record key is ``<sample_id>/<unit>``. No pixels read."""

    @abstractmethod
    def run_sample(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec,
                   seed: int) -> list[dict[str, Any]]:
        """Records (each with ``unit`` and ``status``) for every unit of the sample, in order."""

    def run_batch(self, adapter: Adapter, encoder: Encoder, samples: list[Sample], task: TaskSpec,
                  seed: int, overlap: bool = True, harness_workers: int = 1
                  ) -> list[tuple[list[dict[str, Any]], float]]:
        """``(records, encode seconds)`` per sample, in order, for a group of samples.

        The default runs `run_sample` on each sample in turn. Kinds whose loop can step several
        samples' objects together (the interactive kind: one batched decode per round) override
        it; their records must equal `run_sample`'s. An exception fails the whole group: the
        runner then reruns its samples one by one, so that error records stay per sample.
        """
        out = []
        for sample in samples:
            before = encoder.seconds
            records = self.run_sample(adapter, encoder, sample, task, seed)
            out.append((records, encoder.seconds - before))
        return out

    @abstractmethod
    def default_evaluators(self, header: dict[str, Any]) -> list[str]:
        """Evaluator names for a run whose task lists none (headers written before tasks did)."""

    def check_task(self, task: TaskSpec) -> None:  # noqa: B027 - optional hook, no-op by default
        """Validate task parameters (raise `UsageError`) before anything is loaded."""

    def bind(self, dataset: Dataset) -> None:  # noqa: B027 - optional hook, no-op by default
        """See the whole dataset before the loop (exemplar prompts come from other samples)."""

    def describe(self, task: TaskSpec) -> dict[str, Any]:
        """Prompting details for the run header (e.g. the first-prompt simulator and version)."""
        return {}

    def dataset_header(self, dataset: Dataset) -> dict[str, Any]:
        """Extra dataset facts the summary needs (merged into the header's ``dataset``)."""
        return {}


KINDS: Registry[TaskKind] = Registry("task kind")
KINDS.register("interactive", "seem_bench.loops.interactive_kind:InteractiveKind")
KINDS.register("referring", "seem_bench.loops.referring:ReferringKind")
KINDS.register("ref-image", "seem_bench.loops.ref_image:RefImageKind")
KINDS.register("generic", "seem_bench.loops.generic:GenericKind")
KINDS.register("davis-interactive", "seem_bench.loops.davis_interactive:DavisInteractiveKind")
KINDS.register("video-interactive", "seem_bench.loops.video_interactive:VideoInteractiveKind")
KINDS.register("concept", "seem_bench.loops.concept:ConceptKind")
