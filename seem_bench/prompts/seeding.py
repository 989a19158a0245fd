"""Seeded randomness: every random choice comes from a generator keyed by where it is used."""

from __future__ import annotations

import zlib

import numpy as np


def prompt_rng(seed: int, sample_id: str, instance_id: str, round_index: int) -> np.random.Generator:
    """``numpy.random.default_rng`` seeded by (run seed, sample id, instance id, round).

    Ids are hashed with CRC-32 (stable across Python processes, unlike ``hash``).
    """
    key = [int(seed) & 0xFFFFFFFF, zlib.crc32(str(sample_id).encode()),
           zlib.crc32(str(instance_id).encode()), int(round_index)]
    return np.random.default_rng(key)
