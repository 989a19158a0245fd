"""Task definitions: a task = dataset + protocol + parameters + metrics.

Tasks are YAML files in the top-level ``tasks/`` folder (installed as ``seem_bench.taskdefs``).
Fields: ``name``, ``kind`` (which loop runs it), ``description``, ``dataset``, ``split``,
``protocol``, ``first_prompt``, ``params`` (only where the task differs from its kind's defaults,
declared in `seem_bench.params`), ``metrics`` (the columns of the printed table) and
``evaluators`` (the metric families computed from the records, by
`seem_bench.metrics.contract.EVALUATORS` name). ``--set key=value`` overrides any top-level field or any
``params`` key; the effective task is recorded in the run header.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from seem_bench.errors import UsageError
from seem_bench.registry import Registry


@dataclass
class TaskSpec:
    name: str
    kind: str
    dataset: str
    protocol: str | None = None
    split: str | None = None
    first_prompt: str = "point"
    description: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    metrics: list[str] = field(default_factory=list)
    evaluators: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "dataset": self.dataset, "split": self.split,
                "protocol": self.protocol, "first_prompt": self.first_prompt,
                "params": dict(self.params), "metrics": list(self.metrics),
                "evaluators": list(self.evaluators)}

    def identity_json(self) -> dict[str, Any]:
        """What decides the records (the run fingerprint): evaluators only read records, so
        changing them re-summarizes a run instead of invalidating it."""
        out = self.to_json()
        del out["evaluators"]
        return out

    def with_overrides(self, overrides: list[str]) -> TaskSpec:
        """Apply ``key=value`` strings; values parse as YAML scalars (``on``/``off`` -> bool).

        Top-level fields are applied first (so ``protocol=seem dt=kornia`` works in any order);
        a key may be a task parameter or an option of the task's protocol. The result is
        validated against the declarations in `seem_bench.params` (types, choices, ranges), so a
        bad value fails here, before any data is read.
        """
        from seem_bench.params import TOP_LEVEL, known_params, unknown_param, validate_task

        spec = copy.deepcopy(self)
        parsed = []
        for item in overrides:
            key, sep, raw = item.partition("=")
            key = key.strip()
            if not sep or not key:
                raise UsageError(f"--set expects key=value, got {item!r}")
            parsed.append((key not in TOP_LEVEL, key, parse_value(raw)))
        for _, key, value in sorted(parsed, key=lambda t: t[0]):
            if key in TOP_LEVEL:
                setattr(spec, key, value)
            elif key in known_params(spec):
                spec.params[key] = value
            else:
                raise unknown_param(spec, key)
        return validate_task(spec)


def parse_value(raw: str) -> Any:
    raw = raw.strip()
    if raw.lower() in ("on", "true", "yes"):
        return True
    if raw.lower() in ("off", "false", "no"):
        return False
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def _load_builtin() -> Registry[TaskSpec]:
    reg: Registry[TaskSpec] = Registry("task")
    for entry in sorted(resources.files("seem_bench.taskdefs").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            # libyaml's parser where built (~10x faster: start-up of `seem-bench tasks`), the same
            # safe constructor either way.
            data = yaml.load(entry.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            spec = TaskSpec(**{k: v for k, v in data.items()})
            reg.register(spec.name, _validated(spec, entry.name))
    return reg


def _validated(spec: TaskSpec, source: str) -> TaskSpec:
    """A task file's parameters checked and its kind's defaults filled (`seem_bench.params`)."""
    from seem_bench.params import validate_task

    try:
        return validate_task(spec)
    except UsageError as e:
        raise UsageError(f"{source}: {e}") from None


TASKS: Registry[TaskSpec] = _load_builtin()


def get_task(name: str) -> TaskSpec:
    return copy.deepcopy(TASKS.get(name))
