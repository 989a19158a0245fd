"""Seeded randomness: every random choice comes from a generator keyed by where it is used."""

from __future__ import annotations

import zlib

import numpy as np


def prompt_rng(seed: int, sample_id: str, instance_id: str, round_index: int, draw: int = 0
               ) -> np.random.Generator:
    """``numpy.random.default_rng`` seeded by (run seed, sample id, instance id, round, draw).

    Ids are hashed with CRC-32 (stable across Python processes, unlike ``hash``). ``draw`` is
    the repetition index of a sampled-clicks run (``draws=K``); draw 0 keeps the four-number
    key it always had, so the streams of runs without draws are unchanged.
    """
    key = [int(seed) & 0xFFFFFFFF, zlib.crc32(str(sample_id).encode()),
           zlib.crc32(str(instance_id).encode()), int(round_index)]
    if draw:
        key.append(int(draw))
    return np.random.default_rng(key)
