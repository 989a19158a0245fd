"""Task definitions: a task = dataset + protocol + parameters + metrics.

Tasks are YAML files in the top-level ``tasks/`` folder (installed as ``seem_bench.taskdefs``).
Fields: ``name``, ``kind`` (which loop runs it), ``description``, ``dataset``, ``split``,
``protocol``, ``first_prompt``, ``params`` (protocol and loop parameters), ``metrics`` (the
columns of the printed table) and ``evaluators`` (the metric families computed from the records,
by `seem_bench.metrics.contract.EVALUATORS` name). ``--set key=value`` overrides any top-level field or any
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

TOP_LEVEL = ("dataset", "split", "protocol", "first_prompt", "description")


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

    def protocol_keys(self) -> set[str]:
        """Parameters the task's click protocol and the first-prompt simulators accept."""
        from seem_bench.prompts.first import FIRST_PROMPTS
        from seem_bench.prompts.protocols import PROTOCOLS

        keys: set[str] = set()
        if self.protocol and self.protocol in PROTOCOLS:
            keys |= set(PROTOCOLS.get(self.protocol).params)
            keys |= {"first_prompt_protocol"}
            for _, sim in FIRST_PROMPTS.items():
                keys |= set(sim.params)
        return keys

    def with_overrides(self, overrides: list[str]) -> TaskSpec:
        """Apply ``key=value`` strings; values parse as YAML scalars (``on``/``off`` -> bool).

        Top-level fields are applied first (so ``protocol=seem dt=kornia`` works in any order);
        a key may be a task parameter or a parameter of the task's protocol.
        """
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
            elif key in spec.params or key in spec.protocol_keys():
                spec.params[key] = value
            else:
                known = sorted({*TOP_LEVEL, *spec.params, *spec.protocol_keys()})
                import difflib

                close = difflib.get_close_matches(key, known, n=2)
                hint = f" Did you mean {' or '.join(close)}?" if close else ""
                raise UsageError(f"task {spec.name!r} has no parameter {key!r}.{hint} Known: {', '.join(known)}")
        return spec


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
            data = yaml.safe_load(entry.read_text())
            spec = TaskSpec(**{k: v for k, v in data.items()})
            reg.register(spec.name, spec)
    return reg


TASKS: Registry[TaskSpec] = _load_builtin()


def get_task(name: str) -> TaskSpec:
    return copy.deepcopy(TASKS.get(name))
