"""``--checkpoint random``: the real architecture with the package builder's own initialisation.

The weights must be exactly what ``torch.manual_seed(seed)`` followed by the package's builder
gives (so a random-weight run is reproducible from its header alone), another seed must give
other weights, and the run header must say the weights are random
(``model.checkpoint == "random"``, ``model.random_weights is True``) so that reports can refuse
to pass its numbers off as results. SEEM's random mode is covered in test_seem_real.py.
"""

from __future__ import annotations

import json

import pytest

from seem_bench.adapters.registry import build_model
from seem_bench.cli import main as cli_main

pytest.importorskip("sam2", reason="sam2 is not installed (scripts/bootstrap.sh --test installs it)")


def _same_weights(a, b) -> bool:
    import torch

    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_sam2_random_weights_are_the_seeded_builder_output():
    import torch
    from sam2.build_sam import build_sam2

    torch.manual_seed(3)
    expected = build_sam2("configs/sam2.1/sam2.1_hiera_t.yaml", None, device="cpu", mode="eval")
    got = build_model("sam2_t", checkpoint="random", seed="3", device="cpu")
    assert _same_weights(got.model, expected)
    other = build_model("sam2_t", checkpoint="random", seed="4", device="cpu")
    assert not _same_weights(other.model, expected)
    fp = got.fingerprint()
    assert fp["checkpoint"] == "random" and fp["random_weights"] is True and fp["seed"] == 3
    assert "checkpoint_sha256" not in fp


def test_sam_random_weights_are_the_seeded_builder_output():
    import torch
    from segment_anything.build_sam import sam_model_registry

    torch.manual_seed(5)
    expected = sam_model_registry["vit_b"](checkpoint=None)
    got = build_model("sam_b", checkpoint="random", seed="5", device="cpu")
    assert _same_weights(got.model, expected)
    assert got.fingerprint()["random_weights"] is True
    with pytest.raises(Exception, match="arch=auto"):
        build_model("sam_b", checkpoint="random", arch="auto", device="cpu")


def test_random_weight_run_is_marked_in_the_header(demo_root, tmp_path):
    out = tmp_path / "run"
    rc = cli_main(["run", "--task", "interactive", "--model", "sam2_t", "--checkpoint", "random", "--seed", "7",
                   "--device", "cpu", "--data-root", str(demo_root), "--limit", "1", "--set", "max_rounds=1",
                   "--out", str(out), "--no-progress"])
    assert rc == 0
    header = json.loads((out / "header.json").read_text())
    assert header["model"]["checkpoint"] == "random"
    assert header["model"]["random_weights"] is True
    assert header["model"]["fingerprint"]["seed"] == 7  # --seed seeds the weights ...
    assert header["seed"] == 7 and header["task"]["params"]["seed"] == 7  # ... and is the run's seed
    records = [json.loads(line) for line in (out / "records-rank0.jsonl").read_text().splitlines()]
    assert records and all(r["status"] == "ok" for r in records)
