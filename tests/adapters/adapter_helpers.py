"""Small shared helpers of the adapter tests (imported by basename: tests/ has no packages)."""

from __future__ import annotations

import numpy as np

#: A reduced SAM encoder (the decoder, prompt encoder and 1024-px geometry are SAM's own):
#: ViT-B would take about a minute per image on this CPU, this takes about half a second.
TINY_SAM = {"encoder_embed_dim": 32, "encoder_depth": 2, "encoder_num_heads": 2,
            "encoder_global_attn_indexes": [1]}


def random_image(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
