"""The video-interactive kind (SAM 2 offline / online click protocols) end to end.

Closed form: the GT oracle scores J&F 100 after one pass. SAM 2 (Hiera-T, random weights, a
128 px video model so CPU runs stay short) on a demo DAVIS sequence: its records obey the
protocols' rules, and the per-pass J&F equals davis2017-evaluation's J&F-Mean
(`seem_bench.metrics.davis.evaluate_davis`, tested against the reference) on the masks each
pass produced, written as DAVIS result PNGs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seem_bench.errors import SeemBenchError
from seem_bench.runner import RunConfig, run
from seem_bench.tasks import get_task

SAM2_OPTS = {"checkpoint": "random", "device": "cpu", "video_image_size": 128}


def _run(root: Path, out: Path, model: str = "oracle", opts: dict | None = None, *overrides: str,
         limit: int | None = None):
    task = get_task("video-interactive").with_overrides(list(overrides))
    return run(RunConfig(task=task, model=model, model_options=dict(opts or {}), data_root=root, out_dir=out,
                         progress=False, limit=limit))


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "records-rank0.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("protocol", ["sam2-offline", "sam2-online"])
def test_oracle_scores_100_after_one_pass(protocol, demo_root, tmp_path):
    s = _run(demo_root, tmp_path / "run", "oracle", None, f"video_protocol={protocol}")
    m = s["metrics"]
    for k in (1, 2, 3, 5, 8):
        assert m[f"J&F@{k}fr"] == pytest.approx(1.0, abs=1e-12)
    assert m["AUC"] == pytest.approx(1.0, abs=1e-12)
    recs = _records(tmp_path / "run")
    assert m["objects"] == len(recs) > 3
    for r in recs:  # one click on the first frame makes every frame perfect: nothing left to prompt
        assert len(r["passes"]) == 1 and r["passes"][0]["prompted_frames"] == 1
        assert [len(e["clicks"]) for e in r["passes"][0]["prompts"]] == [1]
    assert m["clicks"] == 1.0


@pytest.mark.parametrize("first", ["box", "mask"])
def test_first_frame_box_or_mask(first, demo_root, tmp_path):
    from seem_bench.data.registry import load_dataset, resolve_root

    s = _run(demo_root, tmp_path / "run", "oracle", None, f"first_prompt={first}", limit=1)
    assert s["metrics"]["J&F@1fr"] == pytest.approx(1.0, abs=1e-12) and s["metrics"]["clicks"] == 0
    sample = load_dataset("davis2017", resolve_root("davis2017", demo_root), "val").samples[0]
    for r in _records(tmp_path / "run"):
        (entry,) = r["passes"][0]["prompts"]
        assert entry["clicks"] == []
        if first == "mask":
            assert entry["mask"] is True
        else:  # the tight GT box, inclusive corners
            gt = next(i for i in sample.frames[0].instances if i.instance_id == r["object_id"]).mask()
            ys, xs = np.nonzero(gt)
            assert entry["box"] == [xs.min(), ys.min(), xs.max(), ys.max()]


def test_oracle_run_resumes_to_the_same_records(demo_root, tmp_path):
    out = tmp_path / "run"
    first = _run(demo_root, out)
    path = out / "records-rank0.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-2]) + "\n")  # interrupted: the last two objects missing
    again = _run(demo_root, out)
    assert again["metrics"] == first["metrics"]
    key = {json.loads(line)["key"] for line in lines}
    assert {r["key"] for r in _records(out)} == key


def test_first_prompt_must_be_a_video_prompt(demo_root, tmp_path):
    with pytest.raises(SeemBenchError, match="first_prompt"):
        _run(demo_root, tmp_path / "run", "oracle", None, "first_prompt=text")


def test_model_without_video_predictor_is_refused(demo_root, tmp_path):
    with pytest.raises(SeemBenchError, match="video-interactive"):
        _run(demo_root, tmp_path / "run", "disks")


# --------------------------------------------------------------------------- SAM 2, random weights
@pytest.fixture(scope="module")
def sam2_offline(demo_root, tmp_path_factory):
    pytest.importorskip("sam2", reason="sam2 not installed")
    out = tmp_path_factory.mktemp("vi") / "offline"
    s = _run(demo_root, out, "sam2_t", SAM2_OPTS, "dataset=davis2016", "max_frames=3", "save_masks=all",
             limit=1)
    return s, _records(out)


def test_sam2_offline_prompts_the_worst_frame_each_pass(sam2_offline):
    _, (rec,) = sam2_offline
    passes = rec["passes"]
    assert len(passes) == 3 and [p["prompted_frames"] for p in passes] == [1, 2, 3]
    first = passes[0]["prompts"][0]
    assert first["frame"] == rec["first_frame"] == 0 and 1 <= len(first["clicks"]) <= 3
    prompted = [first["frame"]]
    for prev, cur in zip(passes, passes[1:], strict=False):
        (entry,) = cur["prompts"]
        todo = [t for t in rec["annotated"] if t not in prompted]
        worst = min(todo, key=lambda t: (prev["iou"][t], t))
        assert entry["frame"] == worst
        assert entry["iou_before"] == prev["iou"][worst]  # clicks correct the mask the user saw
        assert len(entry["clicks"]) == 3 or entry["iou_after"] == 1.0
        prompted.append(worst)


def _write_palette(path: Path, labels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(labels.astype(np.uint8), mode="P")
    im.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    im.save(path)


def test_sam2_offline_jf_equals_davis2017_evaluation_on_written_masks(sam2_offline, demo_root, tmp_path):
    from pycocotools import mask as mask_utils

    from seem_bench.data.registry import load_dataset, resolve_root
    from seem_bench.metrics.davis import evaluate_davis

    summary, (rec,) = sam2_offline
    sample = load_dataset("davis2016", resolve_root("davis2016", demo_root), "val").samples[0]
    seq = sample.sample_id
    gt_root = tmp_path / "gt"
    for f in sample.frames:  # the evaluated object's GT (davis2016: objects merged), as DAVIS PNGs
        _write_palette(gt_root / "Annotations" / "480p" / seq / f"{Path(f.image_path).stem}.png",
                       f.instances[0].mask())
    for k, p in enumerate(rec["passes"], start=1):
        res = tmp_path / f"pass{k}"
        for f, rle in zip(sample.frames, p["masks"], strict=True):
            m = mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()}).astype(bool)
            _write_palette(res / seq / f"{Path(f.image_path).stem}.png", m)
        ref = evaluate_davis(gt_root, res, sequences=[seq], workers=1)
        assert summary["metrics"][f"J&F@{k}fr"] == pytest.approx(ref["J&F-Mean"], abs=1e-12)
    curve = [summary["metrics"][f"J&F@{k}fr"] for k in (1, 2, 3)]
    assert summary["metrics"]["AUC"] == pytest.approx((curve[0] + 2 * curve[1] + curve[2]) / 4, abs=1e-12)


def test_sam2_online_pauses_below_the_threshold(demo_root, tmp_path):
    pytest.importorskip("sam2", reason="sam2 not installed")
    out = tmp_path / "online"
    s = _run(demo_root, out, "sam2_t", SAM2_OPTS, "dataset=davis2016", "video_protocol=sam2-online",
             "max_frames=3", "iou_threshold=0.9", limit=1)
    (rec,) = _records(out)
    passes = rec["passes"]
    for b, p in enumerate(passes, start=1):
        frames = [e["frame"] for e in p["prompts"]]
        assert frames[0] == rec["first_frame"] and frames == sorted(set(frames))
        assert p["prompted_frames"] == len(frames) <= b
        assert all(e["iou_before"] < 0.9 for e in p["prompts"][1:])  # paused on a low-quality frame
        if len(frames) < b:
            assert p is passes[-1]  # no pause left: larger budgets would repeat this run
    if len(passes) < 3:  # stopped early: every frame of the last run ended at or above the threshold
        assert all(v is None or v >= 0.9 for t, v in enumerate(passes[-1]["iou"])
                   if t not in {e["frame"] for e in passes[-1]["prompts"]})
    # budget b's run is budget b-1's up to its b-th pause: same first prompts and clicks
    for prev, cur in zip(passes, passes[1:], strict=False):
        assert cur["prompts"][: len(prev["prompts"])] == prev["prompts"]
    assert s["metrics"]["objects"] == 1


def test_sam2_frames_equal_the_packages_jpeg_loader(demo_root):
    pytest.importorskip("sam2", reason="sam2 not installed")
    import torch
    from sam2.utils.misc import load_video_frames
    from seem_bench.baselines.sam2_video import sam2_frame_tensor

    from seem_bench.data.io import read_rgb

    folder = demo_root / "DAVIS" / "JPEGImages" / "480p" / "shapes-drift"
    ref, h, w = load_video_frames(str(folder), 128, offload_video_to_cpu=True, compute_device=torch.device("cpu"))
    for t, jpg in enumerate(sorted(folder.glob("*.jpg"))):
        mine = sam2_frame_tensor(read_rgb(jpg), 128, torch.device("cpu"))
        assert torch.equal(mine, ref[t])


def test_frame_source_holds_at_most_its_window():
    from seem_bench.adapters.video import FrameSource

    frames = FrameSource([lambda t=t: np.full((2, 2, 3), t, np.uint8) for t in range(10)], (2, 2), window=3)
    for t in [*range(10), *range(9, -1, -1)]:
        assert frames[t][0, 0, 0] == t
        assert frames.held() <= 3
    assert frames.reads == 10 + 7  # going back, the last three frames were still held


def test_sam2_session_holds_at_most_frame_window_frames_and_features(demo_root):
    pytest.importorskip("sam2", reason="sam2 not installed")
    from seem_bench.adapters.registry import build_model
    from seem_bench.adapters.video import FrameSource
    from seem_bench.data.registry import load_dataset, resolve_root
    from seem_bench.prompts.types import Click, Prompts

    sample = load_dataset("davis2017", resolve_root("davis2017", demo_root), "val").samples[0]
    model = build_model("sam2_t", checkpoint="random", device="cpu", video_image_size=128, frame_window=2)
    frames = FrameSource([f.image for f in sample.frames], (sample.height, sample.width), window=2)
    session = model.video().start(frames)
    first = session.add_prompts(0, Prompts(clicks=[Click(100, 100, True)]))
    assert first.shape == (sample.height, sample.width) and first.dtype == bool
    seen = [t for t, m in session.propagate(0) if m.shape == first.shape]
    assert seen == list(range(len(sample.frames)))
    assert session.state["images"].held() <= 2 and len(session.state["feature_lru"]) <= 2
