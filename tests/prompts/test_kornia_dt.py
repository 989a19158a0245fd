"""``dt="kornia"`` equals kornia 0.7.0's ``distance_transform`` (the release SEEM pins) bit for bit.

The release is installed apart from the test environment's newer kornia
(``scripts/bootstrap.sh --test``: ``pip install --no-deps --target .venv/ref/kornia-0.7.0``) and
run in a subprocess on the same inputs SEEM gives it: ``(~pad(region, 1)).float()``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from prompt_mask_cases import random_case, random_gt
from prompt_plain_reference import first_max

from seem_bench.prompts import Click, next_click
from seem_bench.prompts.distance import kornia070_dt

REF = Path(__file__).resolve().parents[2] / ".venv" / "ref" / "kornia-0.7.0"

_SCRIPT = """
import sys, numpy as np, torch, kornia
from kornia.contrib import distance_transform
assert kornia.__version__ == "0.7.0", kornia.__version__
data = np.load(sys.argv[1])
out = {}
for k in data.files:
    src = torch.from_numpy((~np.pad(data[k], 1)).astype(np.float32))[None, None]
    out[k] = distance_transform(src)[0, 0, 1:-1, 1:-1].numpy()
np.savez(sys.argv[2], **out)
"""


@pytest.fixture(scope="module")
def release_dt(tmp_path_factory):
    if not (REF / "kornia" / "__init__.py").exists():
        pytest.skip(f"kornia 0.7.0 reference not installed in {REF} (run scripts/bootstrap.sh --test)")
    rng = np.random.default_rng(70)
    regions = {f"r{i}": random_gt(rng, int(rng.integers(8, 48)), int(rng.integers(8, 48))) for i in range(30)}
    regions["full"] = np.ones((20, 30), bool)
    regions["empty"] = np.zeros((20, 30), bool)
    regions["big"] = random_gt(rng, 120, 200)
    d = tmp_path_factory.mktemp("kornia")
    np.savez(d / "in.npz", **regions)
    env = {**os.environ, "PYTHONPATH": str(REF)}
    subprocess.run([sys.executable, "-c", _SCRIPT, str(d / "in.npz"), str(d / "out.npz")],
                   check=True, env=env, capture_output=True)
    with np.load(d / "out.npz") as out:
        return regions, {k: out[k] for k in out.files}


def test_kornia070_dt_bitwise_equal_to_release(release_dt):
    regions, ref = release_dt
    for k, region in regions.items():
        ours = kornia070_dt(region)
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours, ref[k], err_msg=k)


def test_kornia070_differs_from_exact_dt(release_dt):
    # The approximation is not Euclidean (and 0.7.0 adds offsets 0, 1, 3, 4, ...): on a full
    # 20x30 region the exact DT peaks at 10, 0.7.0's at a different value.
    regions, ref = release_dt
    assert float(ref["full"].max()) != 10.0


def test_seem_kornia_click_is_release_argmax(release_dt):
    regions, ref = release_dt
    for k, region in regions.items():
        if not region.any():
            continue
        c = next_click(region, np.zeros_like(region), protocol="seem", dt="kornia")
        assert (c.x, c.y) == first_max(ref[k]) and c.positive, k


def test_seem_kornia_protocol_alias():
    rng = np.random.default_rng(1)
    for _ in range(20):
        gt, pred, _, clicks = random_case(rng)
        cl = [Click(*t) for t in clicks]
        assert next_click(gt, pred, protocol="seem-kornia", clicked=cl) == \
            next_click(gt, pred, protocol="seem", dt="kornia", clicked=cl)


def test_cropped_cascade_equals_full_image_cascade():
    rng = np.random.default_rng(71)
    for _ in range(8):
        region = np.zeros((150, 220), bool)
        h, w = int(rng.integers(5, 40)), int(rng.integers(5, 40))
        y, x = int(rng.integers(0, 150 - h)), int(rng.integers(0, 220 - w))
        region[y:y + h, x:x + w] = random_gt(rng, h, w)
        if rng.random() < 0.3:
            region[0, :30] = True  # touching the image border
        np.testing.assert_array_equal(kornia070_dt(region), kornia070_dt(region, crop=False))
