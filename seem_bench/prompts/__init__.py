"""Prompt simulation: the published simulated-user protocols, exact and seeded.

- `PROTOCOLS` / `next_click`: click protocols ``ritm``, ``seem`` (``dt=exact|kornia``),
  ``seem-kornia``, ``sam``, ``sam-random`` (`clicks`, `protocols`).
- `FIRST_PROMPTS`: first-round box / scribble / polygon simulators (`first`, `boxes`,
  `davis_robot`, `seem_shapes`).
- `text` (sentence rules, class-name composition), `exemplars` (referenced images),
  `seeding.prompt_rng` (every random draw).
"""

from __future__ import annotations

import importlib
from typing import Any

# Names resolve on first use (PEP 562): importing one submodule (the task schema needs
# `sampled`'s parameters) must not pull in OpenCV and every simulator (CLI start-up, issue 23).
_WHERE = {"FIRST_PROMPTS": "first", "FirstPromptSimulator": "first", "PROTOCOLS": "protocols",
          "ClickProtocol": "protocols", "next_click": "protocols", "prompt_rng": "seeding",
          **{n: "types" for n in ("Box", "Click", "Polygon", "Prompts", "RefImage", "Scribble")}}

__all__ = ["FIRST_PROMPTS", "PROTOCOLS", "Box", "Click", "ClickProtocol", "FirstPromptSimulator",
           "Polygon", "Prompts", "RefImage", "Scribble", "next_click", "prompt_rng"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"seem_bench.prompts.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'seem_bench.prompts' has no attribute {name!r}")
