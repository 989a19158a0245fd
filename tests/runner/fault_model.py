"""A disks model that fails on one chosen image: the fault tests' model (not a test module).

The test picks the image at random and passes its pixels' sha256 in ``SEEM_BENCH_FAULT_SHA``;
``encode`` raises a plain ``RuntimeError`` on it (a real exception path, as a CUDA error would
be). Run as a script (``python -m torch.distributed.run ... fault_model.py run ...``) it registers
the model as ``faulty-disks`` and runs the ``seem-bench`` command line.
"""

from __future__ import annotations

import hashlib
import os
import sys

import numpy as np
from seem_bench.baselines.sanity import DisksModel

FAULT_ENV = "SEEM_BENCH_FAULT_SHA"


def image_sha(image: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()


class FaultyDisks(DisksModel):
    name = "faulty-disks"

    def encode(self, image: np.ndarray):
        if image_sha(image) == os.environ.get(FAULT_ENV):
            raise RuntimeError("simulated fault on the chosen sample")
        return super().encode(image)


def register() -> None:
    from seem_bench.adapters.registry import MODELS

    if "faulty-disks" not in MODELS:
        MODELS.register("faulty-disks", FaultyDisks)


if __name__ == "__main__":
    from seem_bench.cli import main

    register()
    sys.exit(main(sys.argv[1:]))
