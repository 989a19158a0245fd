"""SAM and SAM 2 (real architectures, random weights) on real GrabCut images at their own size.

``sam2_t --checkpoint random`` is the real Hiera-T with seeded random weights. ``sam_b`` runs
a random-weight SAM saved to a file with a reduced image encoder (``--model-opt arch=auto`` reads
the dimensions from it; prompt encoder, mask decoder and 1024-px geometry are SAM's own), as
``tests/adapters/test_sam_cli_e2e.py`` does: a full random ViT-B encode takes about a minute per
image on this CPU. ``seem-bench run --model sam_b --checkpoint random`` itself is the command in
docs/suites.md. Each image is encoded exactly once whatever the rounds; the GrabCut images are
481x321 to 640x480 (non-square, .jpg/.JPG/.bmp); the header's content fingerprint names the
real files.
"""

from __future__ import annotations

import json

import pytest

from seem_bench.cli import main as cli_main

LIMIT = 2


def _count_forward(monkeypatch, cls) -> list[tuple]:
    calls: list[tuple] = []
    original = cls.forward

    def counted(self, x, *a, **k):
        calls.append(tuple(x.shape))
        return original(self, x, *a, **k)

    monkeypatch.setattr(cls, "forward", counted)
    return calls


def _check_run(out, n_images: int, calls: list, random_weights: bool) -> dict:
    records = [json.loads(line) for line in (out / "records-rank0.jsonl").read_text().splitlines()]
    assert len(records) == n_images and all(r["status"] == "ok" for r in records)
    assert all(len(r["rounds"]) == 2 for r in records)
    assert len(calls) == n_images  # one encode per image
    header = json.loads((out / "header.json").read_text())
    assert header["dataset"]["name"] == "grabcut" and header["dataset"]["root"].endswith("GrabCut")
    assert header["dataset"]["fingerprint"]["content"]["files"] == 2 * n_images
    assert header["model"]["random_weights"] is random_weights
    return header


@pytest.fixture(scope="module")
def small_sam_checkpoint(tmp_path_factory):
    import torch
    from segment_anything.build_sam import _build_sam

    torch.manual_seed(0)
    model = _build_sam(checkpoint=None, encoder_embed_dim=32, encoder_depth=2, encoder_num_heads=2,
                       encoder_global_attn_indexes=[1])
    path = tmp_path_factory.mktemp("sam") / "small_random_sam.pth"
    torch.save(model.state_dict(), path)
    return path


def test_sam_b_random_on_real_grabcut(interactive_data, small_sam_checkpoint, tmp_path, monkeypatch):
    import torch
    from segment_anything.modeling.image_encoder import ImageEncoderViT

    torch.set_num_threads(1)
    calls = _count_forward(monkeypatch, ImageEncoderViT)
    out = tmp_path / "run"
    assert cli_main(["run", "--task", "interactive", "--model", "sam_b", "--checkpoint", str(small_sam_checkpoint),
                     "--model-opt", "arch=auto", "--device", "cpu", "--data-root", str(interactive_data),
                     "--set", "dataset=grabcut", "--set", "max_rounds=2", "--limit", str(LIMIT),
                     "--out", str(out), "--no-progress"]) == 0
    _check_run(out, LIMIT, calls, random_weights=False)  # a random-weight file, not `random`
    assert calls[0] == (1, 3, 1024, 1024)


def test_sam2_t_random_on_real_grabcut(interactive_data, tmp_path, monkeypatch):
    pytest.importorskip("sam2")
    import torch
    from sam2.modeling.backbones.image_encoder import ImageEncoder

    torch.set_num_threads(1)
    calls = _count_forward(monkeypatch, ImageEncoder)
    out = tmp_path / "run"
    assert cli_main(["run", "--task", "interactive", "--model", "sam2_t", "--checkpoint", "random",
                     "--device", "cpu", "--data-root", str(interactive_data), "--set", "dataset=grabcut",
                     "--set", "max_rounds=2", "--limit", "1", "--out", str(out), "--no-progress"]) == 0
    _check_run(out, 1, calls, random_weights=True)
    assert calls[0] == (1, 3, 1024, 1024)
