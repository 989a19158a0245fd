"""Prompt simulation: the published simulated-user protocols, exact and seeded."""

from seem_bench.prompts.protocols import PROTOCOLS, ClickProtocol, next_click
from seem_bench.prompts.types import Box, Click, Polygon, Prompts, RefImage, Scribble

__all__ = ["PROTOCOLS", "Box", "Click", "ClickProtocol", "Polygon", "Prompts", "RefImage",
           "Scribble", "next_click"]
