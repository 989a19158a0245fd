"""Closed-form checks of the interactive slice with the sanity models.

The `disks` click sequences below are derived by hand from SPEC §2 (``ritm``) and the model's
definition (disk radius 0.05·min(H, W); pixel in disk iff dx² + dy² <= r²).
"""

from __future__ import annotations

import json

import cv2
import numpy as np


def _write_grabcut_layout(root, masks: dict[str, np.ndarray]) -> None:
    (root / "data_GT").mkdir(parents=True)
    (root / "boundary_GT").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name, m in masks.items():
        img = rng.integers(0, 255, (*m.shape, 3), dtype=np.uint8)
        cv2.imwrite(str(root / "data_GT" / f"{name}.png"), img)
        cv2.imwrite(str(root / "boundary_GT" / f"{name}.bmp"), np.where(m, 255, 0).astype(np.uint8))


def _plus(mask: np.ndarray, x: int, y: int) -> None:
    mask[y, x - 1:x + 2] = True
    mask[y - 1:y + 2, x] = True


def test_disks_click_sequences_match_hand_derivation(cli, tmp_path):
    # 20x20 image: r = 1, a disk is a plus shape (centre + 4-neighbours).
    two_plus = np.zeros((20, 20), bool)
    _plus(two_plus, 5, 5)
    _plus(two_plus, 14, 12)
    # A plus without its right arm: the first disk spills over one pixel on three sides.
    broken = np.zeros((20, 20), bool)
    _plus(broken, 5, 5)
    broken[5, 6] = False
    _write_grabcut_layout(tmp_path / "set", {"a_two_plus": two_plus, "b_broken": broken})

    res = cli(["run", "--task", "interactive", "--model", "disks", "--data-root", str(tmp_path / "set"),
                   "--set", "max_rounds=4", "--out", str(tmp_path / "run"), "--no-progress"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    recs = {r["sample_id"]: r for r in map(json.loads, (tmp_path / "run" / "records-rank0.jsonl").read_text().splitlines())}

    # Two plus shapes: both centres have DT sqrt(2) (diagonal background); the tie between them
    # goes to the first in row-major order, (5, 5). The second click takes the other centre; the
    # prediction is then perfect, and RITM's rule clicks negative at (0, 0) forever after.
    a = recs["a_two_plus"]
    assert [r["prompt"]["click"] for r in a["rounds"]] == [[5, 5, 1], [14, 12, 1], [0, 0, 0], [0, 0, 0]]
    assert a["ious"] == [0.5, 1.0, 1.0, 1.0]

    # Broken plus {(5,4), (4,5), (5,5), (5,6)}: every pixel has DT 1; first row-major is (5, 4).
    # Disk at (5,4) = {(5,3), (4,4), (5,4), (6,4), (5,5)}: I = 2, U = 7. FN {(4,5), (5,6)} and FP
    # {(5,3), (4,4), (6,4)} all have DT 1: a tie is negative, at the first FP pixel (5, 3).
    # Negative disk at (5,3) removes (5,4): pred {(4,4), (6,4), (5,5)}, I = 1, U = 6.
    b = recs["b_broken"]
    assert [r["prompt"]["click"] for r in b["rounds"][:2]] == [[5, 4, 1], [5, 3, 0]]
    assert b["ious"][:2] == [2 / 7, 1 / 6]
