"""The transformers family (``hf:*``): real transformers models with random (tiny) weights.

Every adapter runs its task on the demo data; weights load offline from a ``from_pretrained``
directory with their sha256 in the fingerprint; seeds fix the weights; the CLIP tokenizer is
derived offline and gives CLIP's ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("transformers", reason="pip install 'seem-bench[hf]'")

from seem_bench.baselines.hf import HF_MODELS  # noqa: E402

from seem_bench.adapters.registry import MODELS, build_model  # noqa: E402
from seem_bench.cli import main  # noqa: E402
from seem_bench.errors import UsageError  # noqa: E402
from seem_bench.prompts.types import Click, Prompts  # noqa: E402
from seem_bench.runner import RunConfig, run  # noqa: E402
from seem_bench.tasks import get_task  # noqa: E402

IMG = (np.random.default_rng(0).random((60, 80, 3)) * 255).astype(np.uint8)


def _tiny(name: str, **opts):
    return build_model(name, checkpoint="random", config="tiny", **opts)


def test_done_when_commands_print_tables(demo_root, capsys):
    """The issue's two commands (tiny configs, so that they take seconds here)."""
    rc = main(["run", "--task", "concept", "--model", "hf:sam3", "--checkpoint", "random", "--model-opt",
               "config=tiny", "--data-root", str(demo_root), "--out", str(demo_root.parent / "hf_concept")])
    out = capsys.readouterr().out
    assert rc == 0 and "| hf:sam3 " in out and "cgF1" in out and "IL_MCC" in out and "random weights" in out
    summary = json.loads((demo_root.parent / "hf_concept" / "summary.json").read_text())
    assert summary["metrics"]["pairs"] > 50 and summary["metrics"]["negative_pairs"] >= 0.75 * summary["metrics"]["pairs"]
    rc = main(["run", "--task", "interactive", "--model", "hf:sam2.1_t", "--checkpoint", "random", "--model-opt",
               "config=tiny", "--data-root", str(demo_root), "--limit", "2", "--set", "max_rounds=3",
               "--out", str(demo_root.parent / "hf_interactive")])
    out = capsys.readouterr().out
    assert rc == 0 and "| hf:sam2.1_t " in out and "NoC@90" in out


@pytest.mark.parametrize("name", ["hf:sam2.1_t", "hf:edgetam", "hf:sam3_tracker", "hf:sam_hq_b"])
def test_interactive_family_runs_on_demo_data(name, demo_root, tmp_path):
    task = get_task("interactive").with_overrides(["max_rounds=2", "output=first"])
    s = run(RunConfig(task=task, model=name, model_options={"checkpoint": "random", "config": "tiny"},
                      data_root=demo_root, out_dir=tmp_path, limit=1, progress=False))
    assert s["counts"]["ok"] == 1 and 0.0 <= s["metrics"]["mIoU@1"] <= 1.0
    # memory (the previous low-res logits as input_masks) and the multi-mask candidates
    m = _tiny(name)
    st = m.encode(IMG)
    p1 = m.decode(st, Prompts(clicks=(Click(40, 30, True),)))
    assert p1.mask.shape == IMG.shape[:2] and len(p1.extra["candidates"]) == 3
    assert p1.mask.tolist() == p1.extra["candidates"][int(np.argmax(p1.extra["candidate_scores"]))].tolist()
    p2 = m.decode(st, Prompts(clicks=(Click(40, 30, True), Click(5, 5, False))), memory=p1.memory)
    assert p2.mask.shape == IMG.shape[:2] and "candidates" not in p2.extra  # 2 clicks: one mask
    box = m.decode(st, Prompts(box=_box()))
    assert box.mask.shape == IMG.shape[:2]


def _box():
    from seem_bench.prompts.types import Box

    return Box(10, 10, 50, 40)


def test_sam3_concept_and_referring(demo_root, tmp_path):
    m = _tiny("hf:sam3", min_score=0.0)
    st = m.encode(IMG)
    p = m.decode(st, Prompts(text="red disc"))
    inst = p.extra["instances"]
    assert len(inst) == 8 and all(i["mask"].shape == IMG.shape[:2] for i in inst)  # every query above 0
    assert p.mask.tolist() == inst[int(np.argmax([i["score"] for i in inst]))]["mask"].tolist()
    again = m.decode(st, Prompts(text="red disc"))  # the cached text embedding gives the same answer
    assert [i["score"] for i in again.extra["instances"]] == [i["score"] for i in inst]
    s = run(RunConfig(task=get_task("referring"), model="hf:sam3", data_root=demo_root, out_dir=tmp_path, limit=1,
                      model_options={"checkpoint": "random", "config": "tiny"}, progress=False))
    assert s["counts"]["ok"] > 0
    with pytest.raises(UsageError, match="min_score"):
        build_model("hf:sam3", checkpoint="random", config="tiny", min_score="x")


def test_checkpoint_dir_loads_offline_with_hashes(tmp_path):
    """A ``from_pretrained`` directory (written by save_pretrained) gives the same model."""
    from seem_bench.io_utils import sha256_file

    a = _tiny("hf:sam2.1_t", seed=3)
    a.model.save_pretrained(tmp_path)
    a.processor.save_pretrained(tmp_path)
    b = build_model("hf:sam2.1_t", checkpoint=str(tmp_path))
    fp = b.fingerprint()
    assert fp["checkpoint_sha256"]["model.safetensors"] == sha256_file(tmp_path / "model.safetensors")
    assert fp["processor"] == "checkpoint" and "random_weights" not in fp
    pa = a.decode(a.encode(IMG), Prompts(clicks=(Click(40, 30, True),)))
    pb = b.decode(b.encode(IMG), Prompts(clicks=(Click(40, 30, True),)))
    assert pa.mask.tolist() == pb.mask.tolist() and pa.score == pb.score
    with pytest.raises(UsageError, match="config=tiny is for --checkpoint random"):
        build_model("hf:sam2.1_t", checkpoint=str(tmp_path), config="tiny")


def test_seed_fixes_the_random_weights():
    sd = [_tiny("hf:sam_hq_b", seed=s).model.state_dict() for s in (0, 0, 1)]
    key = "vision_encoder.patch_embed.projection.weight"
    assert sd[0][key].equal(sd[1][key]) and not sd[0][key].equal(sd[2][key])


def test_released_architectures():
    """The default configs are the released sizes (only the configs are built here)."""
    from seem_bench.baselines.hf.promptable import sam2_config, sam_hq_config

    assert sam2_config("l").vision_config.backbone_config.blocks_per_stage == [2, 6, 36, 4]
    assert sam2_config("b+").vision_config.backbone_channel_list == [896, 448, 224, 112]
    assert sam_hq_config("h").vision_config.hidden_size == 1280
    assert sam_hq_config("h").mask_decoder_config.vit_dim == 1280


def test_every_hf_name_is_listed_with_a_truthful_reason(monkeypatch):
    from seem_bench.cli.models_cmd import describe_models

    d = describe_models(sorted(HF_MODELS))
    for name in HF_MODELS:
        assert name in MODELS.names()
        assert d[name]["runnable"] is False and "--checkpoint DIR" in d[name]["reason"]
    d = describe_models(sorted(HF_MODELS), checkpoint="random")
    assert all(d[n]["runnable"] for n in HF_MODELS), {n: d[n]["reason"] for n in HF_MODELS}
    with pytest.raises(UsageError, match="not a directory"):
        build_model("hf:sam3", checkpoint=str(Path("/nonexistent/sam3")))
    with pytest.raises(UsageError, match="Did you mean 'hf:sam3'"):
        MODELS.get("hf:sam_3")


def test_clip_tokenizer_is_clips():
    from seem_bench.baselines.hf.tokenizer import clip_tokenizer

    tok = clip_tokenizer()
    assert tok("a photo of a cat")["input_ids"] == [49406, 320, 1125, 539, 320, 2368, 49407]
    assert len(tok) == 49408


def test_clipseg_encode_once_equals_forward(demo_root, tmp_path):
    """The split encode / decode gives ``CLIPSegForImageSegmentation.forward``'s logits."""
    import torch

    m = _tiny("hf:clipseg")
    text = "the left blue disc"
    st = m.encode(IMG)
    tok = m.processor.tokenizer(text, return_tensors="pt", padding=True)
    with torch.inference_mode():
        full = m.model(**m.processor(images=IMG, text=text, return_tensors="pt", padding=True)).logits
        split = m.model.decoder(st["activations"], m.model.get_conditional_embeddings(
            batch_size=1, input_ids=tok["input_ids"], attention_mask=tok["attention_mask"])).logits
    assert torch.equal(full, split)
    p = m.decode(st, Prompts(text=text))
    assert p.prob.shape == IMG.shape[:2] and 0 <= p.prob.min() <= p.prob.max() <= 1
    s = run(RunConfig(task=get_task("referring"), model="hf:clipseg", data_root=demo_root, out_dir=tmp_path, limit=1,
                      model_options={"checkpoint": "random", "config": "tiny"}, progress=False))
    assert s["counts"]["ok"] > 0


def test_seggpt_runs_the_ref_image_task(demo_root, tmp_path):
    s = run(RunConfig(task=get_task("ref-image"), model="hf:seggpt", data_root=demo_root, out_dir=tmp_path, limit=1,
                      model_options={"checkpoint": "random", "config": "tiny"}, progress=False))
    assert s["counts"]["ok"] > 0 and 0.0 <= s["metrics"]["mIoU"] <= 1.0


def test_multimask_rule_output_first_best_score_oracle():
    """``output=first`` scores the decoder's first candidate, ``best-score``/``top`` the adapter's
    top-ranked mask, ``oracle`` the best by IoU with the GT."""
    from types import SimpleNamespace

    from seem_bench.adapters.base import Prediction
    from seem_bench.loops.interactive import _choose_output

    gt = np.zeros((4, 4), bool)
    gt[:2] = True
    cands = [np.eye(4, dtype=bool), gt.copy(), np.ones((4, 4), bool)]
    out = Prediction(mask=cands[2], score=0.9, memory="m2",
                     extra={"candidates": cands, "candidate_memory": ["m0", "m1", "m2"], "candidate_scores": [0.1, 0.2, 0.9]})
    pick = {rule: _choose_output(out, gt, None, SimpleNamespace(output=rule, pred_thr=0.5))
            for rule in ("first", "best-score", "top", "oracle")}
    assert pick["first"][0].tolist() == cands[0].tolist() and pick["first"][1] == "m0"
    assert pick["best-score"][0].tolist() == pick["top"][0].tolist() == cands[2].tolist()
    assert pick["oracle"][0].tolist() == gt.tolist() and pick["oracle"][1] == "m1"


@pytest.mark.parametrize("name", ["hf:mask2former", "hf:eomt", "hf:oneformer"])
def test_universal_segmenters_run_the_generic_task(name, demo_root, tmp_path):
    s = run(RunConfig(task=get_task("generic"), model=name, data_root=demo_root, out_dir=tmp_path,
                      limit=1, model_options={"checkpoint": "random", "config": "tiny"}, progress=False))
    assert s["counts"]["ok"] == 1
    m = _tiny(name)
    cats = [{"id": 3, "name": "a", "isthing": 1}, {"id": 9, "name": "b", "isthing": 0}]  # 2 of the 7 classes
    m.set_categories(cats)
    p = m.decode(m.encode(IMG), Prompts())
    ids, segments = p.extra["panoptic"]
    assert {s["category_id"] for s in segments} <= {3, 9} and set(np.unique(ids)) <= {0} | {s["id"] for s in segments}
    assert set(np.unique(p.extra["semantic"])) <= {0, 1, 255}
