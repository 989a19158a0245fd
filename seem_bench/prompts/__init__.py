"""Prompt simulation: the published simulated-user protocols, exact and seeded.

- `PROTOCOLS` / `next_click`: click protocols ``ritm``, ``seem`` (``dt=exact|kornia``),
  ``seem-kornia``, ``sam``, ``sam-random`` (`clicks`, `protocols`).
- `FIRST_PROMPTS`: first-round box / scribble / polygon simulators (`first`, `boxes`,
  `davis_robot`, `seem_shapes`).
- `text` (sentence rules, class-name composition), `exemplars` (referenced images),
  `seeding.prompt_rng` (every random draw).
"""

from seem_bench.prompts.first import FIRST_PROMPTS, FirstPromptSimulator
from seem_bench.prompts.protocols import PROTOCOLS, ClickProtocol, next_click
from seem_bench.prompts.seeding import prompt_rng
from seem_bench.prompts.types import Box, Click, Polygon, Prompts, RefImage, Scribble

__all__ = ["FIRST_PROMPTS", "PROTOCOLS", "Box", "Click", "ClickProtocol", "FirstPromptSimulator",
           "Polygon", "Prompts", "RefImage", "Scribble", "next_click", "prompt_rng"]
