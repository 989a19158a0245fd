"""`seem-bench run --task interactive --model sam_b --checkpoint <random weights>` on the demo data.

The checkpoint is a random-weight SAM saved by the test with a reduced encoder (see
adapter_helpers.TINY_SAM: a ViT-B encode takes about a minute per image on this CPU), loaded
with ``--model-opt arch=auto``; prompt encoder, mask decoder and geometry are SAM's own. The
image encoder's forward is counted across the whole CLI run: exactly one per image. The run
uses ``--set output=oracle``: the loop chooses among the adapter's candidates (recorded in the
task parameters; the model itself never sees the ground truth).
"""

from __future__ import annotations

import json

from segment_anything.modeling.image_encoder import ImageEncoderViT

from seem_bench.cli import main as cli_main


def test_cli_run_encodes_each_image_once(tiny_sam_checkpoint, demo_root, tmp_path, monkeypatch):
    calls = []
    original = ImageEncoderViT.forward

    def counted(self, x):
        calls.append(tuple(x.shape))
        return original(self, x)

    monkeypatch.setattr(ImageEncoderViT, "forward", counted)
    out = tmp_path / "run"
    rc = cli_main(["run", "--task", "interactive", "--model", "sam_b", "--checkpoint", str(tiny_sam_checkpoint),
                   "--model-opt", "arch=auto", "--device", "cpu", "--data-root", str(demo_root),
                   "--limit", "2", "--set", "max_rounds=3", "--set", "output=oracle", "--out", str(out), "--no-progress"])
    assert rc == 0
    records = [json.loads(line) for line in (out / "records-rank0.jsonl").read_text().splitlines()]
    samples = {r["sample_id"] for r in records}
    assert len(samples) == 2 and all(r["status"] == "ok" for r in records)
    assert all(len(r["rounds"]) == 3 for r in records)
    assert len(calls) == len(samples) == 2  # one encode per image, whatever the rounds
    assert calls[0] == (1, 3, 1024, 1024)
    header = json.loads((out / "header.json").read_text())
    fp = header["model"]["fingerprint"]
    assert fp["multimask_output"] == "single-point" and fp["encoder"]["encoder_embed_dim"] == 32
    assert "multimask" not in fp
    assert header["task"]["params"]["output"] == "oracle"
    assert header["model"]["uses_ground_truth"] is False
