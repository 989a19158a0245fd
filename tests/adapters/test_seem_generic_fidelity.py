"""``run --task generic --model-opt preprocess=seem-official`` equals SEEM's own COCO evaluation.

Needs the SEEM environment (``bash scripts/seem_env.sh``); skipped without it (a failure under
CI). `seem_generic_worker.py` runs, in that environment and one process, SEEM's
``entry.main(["evaluate", ...])`` on ``coco_2017_val_panoptic_with_sem_seg`` and
``seem-bench run --task generic`` on a 3-image COCO-panoptic-layout set (images written here,
ground truth derived by the worker from the model's own predictions so that PQ and AP are not
0), with the same random Focal-T weights. Compared: every image's panoptic PNG and segments,
semantic argmax and instances; PQ/SQ/RQ (All, Things, Stuff), mask AP, fwIoU, pACC and the
semantic confusion matrix; mIoU through the one rule that differs (docs/metrics.md). One
worker process: 95-140 s measured (load average 4-6; writing the 629 MiB checkpoint ~15 s).
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from seem_bench.adapters import seem_env
from seem_bench.adapters.seem_bridge import worker_env
from seem_bench.records import load_records

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("seem_generic_worker.py")
MIN_SIZE, MAX_SIZE, SEED, MASK_THRESHOLD, OVERLAP_THRESHOLD = 64, 96, 7, 0.0, 0.1
K = 133  # SEEM's COCO panoptic classes (utils/constants.py COCO_PANOPTIC_CLASSES)


def _checkpoint_dir() -> tempfile.TemporaryDirectory:
    """The 629 MiB random checkpoint lives in memory when it can (/dev/shm), else in /tmp."""
    shm = Path("/dev/shm")
    return tempfile.TemporaryDirectory(prefix="seem-generic-", dir=shm if shm.is_dir() else None)


@pytest.mark.xdist_group("seem-fidelity")
def test_generic_seem_official_equals_seem_coco_evaluation(tmp_path):
    """One test, one worker process (under pytest-xdist, separate tests could run it twice)."""
    fid = _worker(tmp_path)
    _check_model_input_and_settings(fid)
    _check_per_image_outputs(fid)
    _check_pq_and_mask_ap(fid)
    _check_semantic(fid)


def _worker(tmp: Path) -> dict:
    prefix = seem_env.find_prefix()
    if prefix is None:
        pytest.skip(seem_env.missing_reason())
    from seem_generic_set import write_images

    images = write_images(tmp / "data", seed=3)
    (tmp / "images.json").write_text(json.dumps(images))
    env = {**worker_env(prefix), "OMP_NUM_THREADS": "2", "SEEM_BENCH_CACHE": str(tmp / "cache")}
    for k in ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PYTHONPATH"):
        env.pop(k, None)  # SEEM's MPI adapter reads OMPI_*; one process here
    with _checkpoint_dir() as ckpt_dir:
        cmd = [str(seem_env.python(prefix)), str(WORKER), "--seem-root", str(seem_env.seem_src(prefix)),
               "--repo", str(REPO), "--out", str(tmp / "log.json"), "--data", str(tmp / "data"),
               "--images", str(tmp / "images.json"), "--ckpt", str(Path(ckpt_dir) / "random_focalt.pt"),
               "--seed", str(SEED), "--min-size", str(MIN_SIZE), "--max-size", str(MAX_SIZE),
               "--mask-threshold", str(MASK_THRESHOLD), "--overlap-threshold", str(OVERLAP_THRESHOLD)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        (tmp / "worker-stderr.txt").write_text(proc.stderr)
    assert proc.returncode == 0, f"see {tmp / 'worker-stderr.txt'}: {proc.stderr[-3000:]}"
    log = json.loads((tmp / "log.json").read_text())
    log["images"] = images
    return log


def _check_model_input_and_settings(fid: dict) -> None:
    assert fid["seem_bench_rc"] == 0 and fid["run_options_equal"]
    assert fid["class_names_equal"]  # the panoptic JSON's names (seem-bench) = COCO_PANOPTIC_CLASSES (SEEM)
    assert all(fid["decode_equal_pil"].values())  # detectron2 reads with PIL, seem-bench with OpenCV
    assert fid["official_thresholds"] == [MASK_THRESHOLD, OVERLAP_THRESHOLD]
    assert len(fid["zeroed"]) == 27  # 9 decoder layers x (self-attn, cross-attn, FFN) outputs
    for im in fid["images"]:
        off, ours = fid["official"][im["file_name"]], fid["seem_bench"][im["file_name"]]
        assert off["net_hw"] == ours["net_hw"]  # ResizeShortestEdge at COCO.INPUT sizes 64/96 here
        h, w = im["height"], im["width"]
        assert min(off["net_hw"]) == MIN_SIZE or max(off["net_hw"]) == MAX_SIZE, (h, w, off["net_hw"])


def _check_per_image_outputs(fid: dict) -> None:
    """Panoptic PNG (segment ids per pixel) and segments, semantic argmax, instances: identical."""
    assert set(fid["official"]) == set(fid["seem_bench"]) == {im["file_name"] for im in fid["images"]}
    for name, off in fid["official"].items():
        ours = fid["seem_bench"][name]
        assert off["png"] == ours["png"] and off["png_shape"] == ours["png_shape"], name
        assert off["segments"] == ours["segments"], name  # (id, COCO category id), in order
        assert off["semantic"] == ours["semantic"], name
        assert off["instances"] == ours["instances"], name  # classes, scores, masks
    segs = [s for v in fid["official"].values() for s in v["segments"]]
    things = {s[1] for s in segs if s[1] < 92}  # COCO ids: things 1..90, stuff 92..200
    assert len(segs) >= 6 and things and len(things) < len({s[1] for s in segs})  # things and stuff


def _check_pq_and_mask_ap(fid: dict) -> None:
    res, ours = fid["official_results"], _summary(fid)
    pan = res["panoptic_seg"]
    for key in ("PQ", "SQ", "RQ", "PQ_th", "PQ_st"):
        assert abs(100 * ours[key] - pan[key]) <= 1e-9, (key, ours[key], pan[key])
    assert 0 < pan["PQ_th"] < 100 and 0 < pan["PQ_st"] <= 100  # TPs, FPs and FNs both kinds
    assert abs(100 * ours["mAP"] - res["segm"]["AP"]) <= 1e-9, (ours["mAP"], res["segm"]["AP"])
    assert res["segm"]["AP"] > 0
    gt = [s for v in fid["gt_segments"].values() for s in v]
    assert any(s["iscrowd"] for s in gt)


def _check_semantic(fid: dict) -> None:
    """Same confusion matrix; fwIoU and pACC equal; mIoU differs only in SEEM's denominator.

    SEEM's ``SemSegEvaluator`` (``datasets/evaluation/segmentation_evaluation.py:150``) divides the
    summed IoU of classes with GT pixels by the number of classes with GT *or predicted* pixels;
    seem-bench (detectron2 2022+) by the number with GT pixels.
    """
    res, ours = fid["official_results"]["sem_seg"], _summary(fid)
    conf = np.zeros((K + 1, K + 1), np.int64)  # seem-bench records: [gt, pred, count]
    for r in load_records(Path(fid["seem_bench_dir"])):
        for g, p, n in r["semseg"]:
            conf[g, p] += n
    official = np.zeros_like(conf)  # SEEM's matrix is indexed [pred, gt]
    for p, g, n in fid["official_confusion"]:
        official[p, g] = n
    assert np.array_equal(conf.T, official)
    for key in ("fwIoU", "pACC"):
        assert abs(100 * ours[key] - res[key]) <= 1e-9, (key, ours[key], res[key])
    block = conf[:K, :K]
    pos_gt, pos_pred = block.sum(1), block.sum(0)
    n_gt, n_any = int((pos_gt > 0).sum()), int(((pos_gt + pos_pred) > 0).sum())
    assert n_any > n_gt  # random weights predict classes absent from the GT: the rules differ here
    assert math.isclose(100 * ours["mIoU"] * n_gt, res["mIoU"] * n_any, rel_tol=0, abs_tol=1e-9)


def _summary(fid: dict) -> dict:
    return json.loads((Path(fid["seem_bench_dir"]) / "summary.json").read_text())["metrics"]
