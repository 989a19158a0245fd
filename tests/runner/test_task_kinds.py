"""Every task kind end to end on the demo data, checked against the reference evaluators.

Sanity models give closed-form answers (oracle -> 100 %); the noisy oracle (GT eroded by 2 px)
and the static first-frame VOS baseline give non-trivial predictions that the tests rebuild
independently from the GT files and score with panopticapi, pycocotools and the DAVIS
evaluation on disk; the run summaries must agree.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from seem_bench.runner import RunConfig, run
from seem_bench.tasks import get_task


def _run(task: str, model: str, root: Path, out: Path, *overrides: str) -> dict:
    return run(RunConfig(task=get_task(task).with_overrides(list(overrides)), model=model, data_root=root,
                         out_dir=out, progress=False))


def _erode(m: np.ndarray, px: int = 2) -> np.ndarray:
    return cv2.erode(m.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=px).astype(bool)


@pytest.mark.parametrize("task", ["generic", "referring", "ref-image", "vos"])
def test_oracle_scores_100_on_every_task(task, demo_root, tmp_path):
    m = _run(task, "oracle", demo_root, tmp_path / task)["metrics"]
    keys = {"generic": ["PQ", "SQ", "RQ", "PQ_th", "PQ_st", "mAP", "mIoU"],
            "referring": ["cIoU", "mIoU", "prec@0.5", "prec@0.9"],
            "ref-image": ["cIoU", "mIoU", "prec@0.9"],
            "vos": ["J&F-Mean", "J-Mean", "F-Mean", "J-Recall", "F-Recall"]}[task]
    for k in keys:
        assert m[k] == pytest.approx(1.0, abs=1e-12), k


def _rgb(ids: np.ndarray) -> np.ndarray:
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536], -1).astype(np.uint8)


def test_generic_noisy_oracle_equals_panopticapi_and_pycocotools(demo_root, tmp_path):
    from panopticapi.evaluation import pq_compute
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    s = _run("generic", "noisy-oracle", demo_root, tmp_path / "run")
    coco = demo_root / "coco"
    gt_json = coco / "annotations" / "panoptic_val2017.json"
    gt = json.loads(gt_json.read_text())
    pred_dir = tmp_path / "pred"
    pred_dir.mkdir()
    anns = []
    for a in gt["annotations"]:
        rgb = np.asarray(Image.open(coco / "panoptic_val2017" / a["file_name"]).convert("RGB")).astype(np.int64)
        ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
        noisy = np.zeros_like(ids)
        for seg in a["segments_info"]:
            noisy[_erode(ids == seg["id"])] = seg["id"]
        Image.fromarray(_rgb(noisy)).save(pred_dir / a["file_name"])
        anns.append({"image_id": a["image_id"], "file_name": a["file_name"],
                     "segments_info": [{"id": g["id"], "category_id": g["category_id"]} for g in a["segments_info"]]})
    pred_json = tmp_path / "pred.json"
    pred_json.write_text(json.dumps({"annotations": anns}))
    with contextlib.redirect_stdout(io.StringIO()):
        ref = pq_compute(str(gt_json), str(pred_json), str(coco / "panoptic_val2017"), str(pred_dir))
    m = s["metrics"]
    assert 0.3 < m["PQ"] < 0.999
    assert abs(m["PQ"] - ref["All"]["pq"]) < 1e-12 and abs(m["SQ"] - ref["All"]["sq"]) < 1e-12
    assert abs(m["PQ_th"] - ref["Things"]["pq"]) < 1e-12 and abs(m["PQ_st"] - ref["Stuff"]["pq"]) < 1e-12

    # Mask AP: eroded instance GT, scores 1/(1+k) in GT order per image.
    inst_json = coco / "annotations" / "instances_val2017.json"
    inst = json.loads(inst_json.read_text())
    dets = []
    by_img: dict[int, list[dict]] = {}
    for a in inst["annotations"]:
        by_img.setdefault(a["image_id"], []).append(a)
    images = {im["id"]: im for im in inst["images"]}
    for iid, group in by_img.items():
        h, w = images[iid]["height"], images[iid]["width"]
        k = 0
        for a in group:
            if a.get("iscrowd"):
                continue
            seg = a["segmentation"]
            rle = mask_utils.frPyObjects(seg, h, w) if isinstance(seg, list) or isinstance(seg.get("counts"), list) else seg
            m_ = mask_utils.decode(mask_utils.merge(rle) if isinstance(rle, list) else rle).astype(bool)
            enc = mask_utils.encode(np.asfortranarray(_erode(m_).astype(np.uint8)))
            enc["counts"] = enc["counts"].decode()
            dets.append({"image_id": iid, "category_id": a["category_id"], "segmentation": enc, "score": 1.0 / (1 + k)})
            k += 1
    with contextlib.redirect_stdout(io.StringIO()):
        cg = COCO(str(inst_json))
        ev = COCOeval(cg, cg.loadRes(dets), "segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert 0.05 < m["mAP"] < 0.999
    assert abs(m["mAP"] - ev.stats[0]) < 1e-12


def test_referring_noisy_oracle_ciou_from_independent_masks(demo_root, tmp_path):
    from seem_bench.data import load_dataset

    s = _run("referring", "noisy-oracle", demo_root, tmp_path / "run")
    ds = load_dataset("refcoco", demo_root / "refer", "val")
    inter = union = 0
    ious = []
    for sample in ds.samples:
        for inst in sample.instances:
            gt = inst.mask()
            pred = _erode(gt)
            for _ in inst.sentences:  # all-sentences: one unit per sentence
                i, u = int((gt & pred).sum()), int((gt | pred).sum())
                inter += i
                union += u
                ious.append(i / u)
    m = s["metrics"]
    assert s["counts"]["expected"] == len(ious)
    assert abs(m["cIoU"] - inter / union) < 1e-12
    assert abs(m["mIoU"] - float(np.mean(ious))) < 1e-12
    assert abs(m["prec@0.5"] - float(np.mean(np.array(ious) >= 0.5))) < 1e-12


def test_vos_static_first_frame_equals_davis_evaluation_on_disk(demo_root, tmp_path):
    from seem_bench.metrics.davis import evaluate_davis

    s = _run("vos", "ref-copy", demo_root, tmp_path / "run")
    davis = demo_root / "DAVIS"
    res = tmp_path / "results"
    for seq in (davis / "ImageSets" / "2017" / "val.txt").read_text().split():
        frames = sorted((davis / "Annotations" / "480p" / seq).glob("*.png"))
        first = np.asarray(Image.open(frames[0]))
        static = np.where(first == 255, 0, first).astype(np.uint8)
        (res / seq).mkdir(parents=True)
        for f in frames:
            Image.fromarray(static).save(res / seq / f.name)
    ref = evaluate_davis(davis, res, workers=1)
    m = s["metrics"]
    assert 0.1 < m["J&F-Mean"] < 0.99
    for k in ("J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"):
        assert abs(m[k] - ref[k]) < 1e-12, k


def test_davis_interactive_oracle_and_noisy_oracle(demo_root, tmp_path):
    from seem_bench.data import load_dataset
    from seem_bench.metrics.davis import f_measure, jaccard

    s = _run("davis-interactive", "oracle", demo_root, tmp_path / "o", "clock=interactions", "max_interactions=3")
    m = s["metrics"]
    # davisinteractive's curve starts at J&F 0 at t = 0 and reaches 1 after the first round (1 s
    # with clock=interactions); it ends at the timeout = mean objects per sequence x 30 s.
    ds = load_dataset("davis2017", demo_root / "DAVIS", "val")
    timeout = np.mean([v.meta["n_objects"] for v in ds.samples]) * 30
    assert m["AUC"] == pytest.approx((timeout - 0.5) / timeout, abs=1e-12)
    assert m["J&F@60s"] == pytest.approx(1.0) and m["J&F@1int"] == m["J&F@3int"] == pytest.approx(1.0)

    s = _run("davis-interactive", "noisy-oracle", demo_root, tmp_path / "n", "clock=interactions",
             "max_interactions=2")
    # The noisy oracle ignores prompts: every round scores the eroded GT; objects never overlap.
    per_object = []
    for video in ds.samples:
        for k in range(1, video.meta["n_objects"] + 1):
            vals = []
            for frame in video.frames:
                gt = {i.instance_id: i for i in frame.instances}[str(k)].mask()
                pred = _erode(gt)
                vals.append((float(jaccard(gt, pred)) + f_measure(gt, pred)) / 2)
            per_object.append(np.mean(vals))
    expected = float(np.mean(per_object))
    assert 0.3 < expected < 0.99
    assert s["metrics"]["J&F@1int"] == pytest.approx(expected, abs=1e-9)
    assert s["metrics"]["J&F@2int"] == pytest.approx(expected, abs=1e-9)


def test_every_registered_task_runs_on_the_demo_data(demo_root, tmp_path):
    from seem_bench.tasks import TASKS

    names = TASKS.names()
    assert {"interactive", "generic", "referring", "ref-image", "vos", "davis-interactive", "composed"} <= set(names)
    for name in names:
        overrides = {"interactive": ["max_rounds=2"], "composed": ["max_rounds=2"],
                     "davis-interactive": ["max_interactions=1", "clock=interactions"]}.get(name, [])
        s = run(RunConfig(task=get_task(name).with_overrides(overrides), model="oracle", data_root=demo_root,
                          out_dir=tmp_path / name, progress=False, limit=2))
        assert s["counts"]["errors"] == 0 and s["counts"]["ok"] == s["counts"]["expected"] > 0, name
        assert s["metrics"], name
