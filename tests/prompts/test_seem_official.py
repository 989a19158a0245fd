"""Protocol ``seem-official``: SEEM's own evaluator's rules on the network grid, and its loop.

The rules are checked on cases with answers derived by hand; the loop runs with a grid model
whose logits are a closed-form function of the GT, so every expected record follows from the
rules. Equality with SEEM's own code is `tests/adapters/test_seem_fidelity.py`.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.data.types import Instance, Sample
from seem_bench.errors import UsageError
from seem_bench.loops.interactive import run_sample
from seem_bench.prompts import PROTOCOLS, next_click
from seem_bench.prompts.seem_official import (
    GridClick,
    add_blob,
    batches,
    first_blob,
    first_grid_click,
    grid_gt,
    grid_predictions,
    next_grid_click,
)


def test_grid_gt_same_size_is_the_mask_and_halving_rings():
    m = np.zeros((9, 9), bool)
    m[3:6, 2:7] = True
    assert np.array_equal(grid_gt(m, (9, 9)), m)  # no resampling, no ringing
    big = np.kron(m, np.ones((2, 2), bool))  # 18x18, the same object at 2x
    # Halving samples at source x = 2x' + 0.5: the 4 cubic taps straddle the object's edge one
    # cell out, where the outer lobe (-0.0703) makes a non-zero value: a ring of one cell.
    ring = np.zeros((9, 9), bool)
    ring[2:7, 1:8] = True
    assert np.array_equal(grid_gt(big, (9, 9)), ring)
    # at 4x the taps of a cell never leave its block: no ringing
    assert np.array_equal(grid_gt(np.kron(m, np.ones((4, 4), bool)), (9, 9)), m)
    assert not grid_gt(np.zeros((36, 36), bool), (9, 9)).any()


def test_first_click_is_deepest_object_cell_and_positive():
    g = np.zeros((7, 9), bool)
    g[1:6, 2:7] = True
    assert first_grid_click(g) == GridClick(4, 3, True)
    assert first_grid_click(np.zeros((4, 4), bool)) == GridClick(0, 0, True)  # sampler: always positive


def test_first_blob_is_clipped_before_padding_later_blobs_are_not():
    g = np.zeros((4, 6), bool)
    g[3, 2:5] = True  # a one-row object on the last grid row
    c = first_grid_click(g)
    assert c == GridClick(3, 3, True)  # kornia's approximate DT favours the middle of the row
    blob = first_blob(g, c, (8, 8))
    assert blob[2:4, 2:5].all() and blob.sum() == 6  # row 4 (padding) untouched
    pos, neg = np.zeros((8, 8), bool), np.zeros((8, 8), bool)
    add_blob(pos, neg, GridClick(2, 3, False))
    assert neg[2:5, 1:4].all() and neg.sum() == 9 and not pos.any()


def test_next_click_can_land_in_the_padding():
    gt = np.zeros((8, 8), bool)
    gt[:4, :4] = True  # the object fills the 4x4 image; rows/cols 4..7 are padding
    pred = np.ones((8, 8), bool)  # logits upsampled to the padded size predict the padding too
    c = next_grid_click(gt, pred, np.zeros((8, 8), bool))
    assert not c.positive and (c.x >= 4 or c.y >= 4)
    # already prompted pixels are not clicked again; FN area > FP area makes it positive
    pred = np.zeros((8, 8), bool)
    done = np.zeros((8, 8), bool)
    done[:3, :3] = True
    c = next_grid_click(gt, pred, done)
    assert c.positive and not done[c.y, c.x] and gt[c.y, c.x]


def test_grid_predictions_threshold_sigmoid_not_logit_sign():
    # sigmoid(1e-9) rounds to exactly 0.5 in float32: SEEM's `sigmoid() > 0.5` is False there,
    # although the logit is positive.
    tiny = torch.full((1, 2, 2, 3), 1e-9)
    tiny[0, 1] = 3.0
    grid, orig = grid_predictions(tiny, (8, 12), (6, 9), (12, 18))
    assert grid.shape == (2, 8, 12) and orig.shape == (2, 12, 18)
    assert not grid[0].any() and not orig[0].any()
    assert grid[1].all() and orig[1].all()


def test_batches_of_five():
    assert [list(b) for b in batches(list(range(12)))] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]
    with pytest.raises(ValueError):
        batches([1], 0)


def test_next_click_api_names_the_protocol():
    gt = np.zeros((6, 6), bool)
    gt[1:5, 1:5] = True
    assert "seem-official" in PROTOCOLS
    assert next_click(gt, np.zeros_like(gt), protocol="seem-official").to_json() == [2, 2, True]


# ---------------------------------------------------------------------------- the loop

H, W = 12, 16  # original image = the network grid (no resampling), padded to 16 x 16
NET, PAD = (12, 16), (16, 16)


class GridModel(Adapter):
    """Logits on the 1/4 grid: ``+8`` in the cells of a per-object target, ``-8`` elsewhere.

    ``targets[object index]``: ``bool`` (4, 4) cells, the same every round. A decode without
    memory starts a new batch. Records every decoded batch.
    """

    name = "grid-model"
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point"}, memory=True)

    def __init__(self, targets):
        super().__init__()
        self.targets = targets
        self.calls: list[tuple[np.ndarray, np.ndarray, bool]] = []
        self.seen = self.start = 0

    def encode(self, image):
        return {}

    def decode(self, state, prompts, memory=None) -> Prediction:  # pragma: no cover - not used
        raise AssertionError("seem-official must decode on the grid")

    def grid_shapes(self, state):
        return (H, W), NET, PAD

    def decode_grid(self, state, pos, neg, memory=None):
        self.calls.append((pos.copy(), neg.copy(), memory is not None))
        n = pos.shape[0]
        if memory is None:
            self.start, self.seen = self.seen, self.seen + n
        out = np.full((1, n, 4, 4), -8.0, np.float32)
        for i in range(n):
            out[0, i][self.targets[self.start + i]] = 8.0
        return torch.from_numpy(out)


def _sample(masks, ignore=None):
    insts = tuple(Instance(str(i + 1), partial(np.copy, m),
                           ignore_loader=None if ignore is None else partial(np.copy, ignore))
                  for i, m in enumerate(masks))
    return Sample("img", "test", partial(np.zeros, (H, W, 3), np.uint8), H, W, insts), list(insts)


def test_loop_batches_five_keeps_and_stops_the_batch_when_all_are_right():
    # Seven 4x4 objects: batches of 5 and 2. The model predicts every object exactly except
    # object 1, which it never predicts: batch 2 stops after one decode (IoU 1 > 0.9), batch 1
    # runs every round; objects 2-5 are right on the grid (grid IoU >= 0.925): no new click.
    cells = []
    for i in range(7):
        c = np.zeros((4, 4), bool)
        c[i // 4, i % 4] = True
        cells.append(c)
    # each GT is what the model's logits for its cell give at the original size: IoU 1
    logits = torch.from_numpy(np.where(np.stack(cells), 8.0, -8.0).astype(np.float32))[None]
    masks = list(grid_predictions(logits, PAD, NET, (H, W))[1])
    model = GridModel([np.zeros((4, 4), bool)] + cells[1:])
    sample, insts = _sample(masks)
    proto = PROTOCOLS.get("seem-official")
    recs = run_sample(model, {}, sample, insts, proto, {**proto.params, "max_rounds": 3}, seed=0)
    assert [r["instance_id"] for r in recs] == [str(i) for i in range(1, 8)]
    assert [c[0].shape[0] for c in model.calls] == [5, 5, 5, 2]
    assert [c[2] for c in model.calls] == [False, True, True, False]  # memory from round 2
    for r in recs[5:]:
        assert r["ious"] == [1.0, 1.0, 1.0]
        assert [rd["prompt"].get("repeat") for rd in r["rounds"]] == [None, "image_stop_iou", "image_stop_iou"]
    for r in recs[1:5]:
        assert r["ious"] == [1.0, 1.0, 1.0]
        assert [rd["prompt"] for rd in r["rounds"][1:]] == [{"skip": "click_stop_iou"}] * 2
    # object 1: IoU 0 throughout; clicks go to the deepest unprompted object cells, positive
    assert recs[0]["ious"] == [0.0, 0.0, 0.0]
    clicks = [rd["prompt"]["grid_click"] for rd in recs[0]["rounds"]]
    assert all(p is True for _, _, p in clicks)
    # the prompt masks given to the model hold exactly the blobs of the recorded clicks
    expect = first_blob(masks[0], GridClick(*clicks[0]), PAD)
    assert np.array_equal(model.calls[0][0][0], expect)
    for k, (x, y, p) in enumerate(clicks[1:], start=1):
        add_blob(expect, np.zeros(PAD, bool), GridClick(x, y, p))
        assert np.array_equal(model.calls[k][0][0], expect)
        assert not model.calls[k][1].any()


def test_loop_refuses_models_without_grid_decoding_and_other_first_prompts():
    class Plain(Adapter):
        name = "plain"
        capabilities = Capabilities(tasks={"interactive"}, prompts={"point"})

        def encode(self, image):
            return None

        def decode(self, state, prompts, memory=None):
            return Prediction(mask=np.zeros((H, W), bool))

    m = np.zeros((H, W), bool)
    m[2:9, 2:9] = True
    sample, insts = _sample([m])
    proto = PROTOCOLS.get("seem-official")
    with pytest.raises(UsageError, match="network grid"):
        run_sample(Plain(), None, sample, insts, proto, dict(proto.params), 0)
    with pytest.raises(UsageError, match="first_prompt"):
        run_sample(GridModel([np.zeros((4, 4), bool)]), {}, sample, insts, proto,
                   {**proto.params, "first_prompt": "box"}, 0)


def test_cli_refuses_seem_official_where_it_cannot_be_exact(demo_root, tmp_path, capsys):
    from seem_bench.cli import main as cli_main

    base = ["run", "--task", "interactive", "--model", "disks", "--set", "protocol=seem-official",
            "--limit", "1", "--data-root", str(demo_root), "--no-progress"]
    assert cli_main([*base, "--set", "first_prompt=box", "--out", str(tmp_path / "a")]) == 2
    assert "evaluates clicks only" in capsys.readouterr().err
    assert cli_main([*base, "--out", str(tmp_path / "b")]) == 2
    assert "decodes on its network grid" in capsys.readouterr().err
