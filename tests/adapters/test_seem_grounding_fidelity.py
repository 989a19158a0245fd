"""``seem-bench run --task referring --model seem_t`` equals SEEM's own grounding evaluator, run for real.

Needs the SEEM environment (``bash scripts/seem_env.sh``); skipped without it (a failure under
CI). `seem_grounding_worker.py` runs in that environment, in one process: SEEM's converter
``datasets/utils/refcoco2json.py`` on the REFER files written here (RefCOCOg umd layout:
``refs(umd).p`` + ``instances.json``, COCO images, ``instances_train2017.json``), SEEM's
``entry.main(["evaluate", ...])`` on ``refcocog_val_umd`` with ``GroundingEvaluator``, then
seem-bench's CLI run with ``--model-opt grounding_batch=image`` (one grounding decode per image,
as ``evaluate_grounding``), ``preprocess=seem-official`` and the same random Focal-T weights.

Compared per sentence: which sentence is evaluated (the first of each val ref, lower-cased), the
predicted mask, I and U, the IoU (SEEM's ``I / (U + 1e-6)`` in float32 vs seem-bench's ``I / U``)
and every prec@X hit; then cIoU, mIoU and prec@X of the whole set. The same adapter with the
default ``grounding_batch=1`` shows SEEM's batching coupling the refs of an image (and changing
nothing on an image with one ref). 3 val images, 6 val refs, input 64-96 px. One worker
process for the module (its tests share one xdist group), plus the same CLI run from
seem-bench's own venv (SEEM behind the remote bridge), which must write identical records:
75-150 s wall measured on the shared 2-core CPU (load average 1.5-4.4), ~90 s CPU.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from seem_bench.adapters import seem_env
from seem_bench.adapters.seem_bridge import package_dirs, worker_env
from seem_bench.data.writers import write_jpeg, write_json, write_refer
from seem_bench.io_utils import read_jsonl
from seem_bench.records import strip_timings

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("seem_grounding_worker.py")
MIN_SIZE, MAX_SIZE, SEED = 64, 96, 7
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)

#: image id -> (h, w, refs); a ref: (ref_id, split, sentences, shape)
#: shape: ("rect", y0, x0, y1, x1) or ("ellipse", cy, cx, ry, rx), in pixels.
IMAGES = {
    1001: (72, 96, [(11, "val", ["The big box covering Most of the picture", "a large square"],
                     ("rect", 2, 3, 70, 92)),
                    (12, "val", ["Round blob, middle"], ("ellipse", 36, 48, 20, 30)),
                    (13, "val", ["small THING at the top left", "tiny corner piece"], ("ellipse", 14, 16, 9, 11))]),
    1002: (80, 64, [(21, "val", ["Tall shape on the left side"], ("rect", 4, 2, 78, 40)),
                    (22, "val", ["an oval", "The Oval near the bottom"], ("ellipse", 60, 40, 14, 20)),
                    (23, "train", ["a training ref, never evaluated"], ("ellipse", 20, 44, 10, 12))]),
    1003: (60, 90, [(31, "val", ["Everything but a thin border", "the frame"], ("rect", 1, 1, 59, 88))]),
    1004: (64, 64, [(41, "train", ["an image with train refs only"], ("rect", 10, 10, 50, 50))]),
}


def _polygon(shape: tuple) -> list[float]:
    if shape[0] == "rect":
        _, y0, x0, y1, x1 = shape
        pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    else:
        _, cy, cx, ry, rx = shape
        a = np.linspace(0, 2 * np.pi, 20, endpoint=False)
        pts = list(zip(cx + rx * np.cos(a), cy + ry * np.sin(a), strict=True))
    return [round(float(v), 2) for p in pts for v in p]


def _refcocog_set(root: Path) -> None:
    """REFER files under ``root/refer`` and their COCO view under ``root/coco`` (same JPEG bytes)."""
    rng = np.random.default_rng(5)
    refer_imgs = root / "refer" / "images" / "mscoco" / "images" / "train2014"
    coco_imgs = root / "coco" / "train2017"
    coco_imgs.mkdir(parents=True)
    images, coco_images, anns, refs = [], [], [], []
    sent_id = 0
    for iid, (h, w, rs) in IMAGES.items():
        yy, xx = np.mgrid[:h, :w]
        rgb = np.stack([(yy * 3 + xx) % 256, (xx * 5) % 256, rng.integers(60, 200, (h, w))], -1).astype(np.uint8)
        for k, (_, _, _, shape) in enumerate(rs):
            if shape[0] == "rect":
                m = (yy >= shape[1]) & (yy <= shape[3]) & (xx >= shape[2]) & (xx <= shape[4])
            else:
                m = ((yy - shape[1]) / shape[3]) ** 2 + ((xx - shape[2]) / shape[4]) ** 2 <= 1
            rgb[m] = (rgb[m] // 2 + np.array([40 * k, 200 - 50 * k, 90], np.uint8)).astype(np.uint8)
        name = f"COCO_train2014_{iid:012d}.jpg"
        write_jpeg(refer_imgs / name, rgb)
        shutil.copyfile(refer_imgs / name, coco_imgs / f"{iid:012d}.jpg")
        images.append({"id": iid, "file_name": name, "height": h, "width": w})
        coco_images.append({"id": iid, "file_name": f"{iid:012d}.jpg", "height": h, "width": w})
        for ref_id, split, sentences, shape in rs:
            poly = _polygon(shape)
            xs, ys = poly[0::2], poly[1::2]
            ann_id = ref_id * 10
            anns.append({"id": ann_id, "image_id": iid, "category_id": 1 + ref_id % 2, "segmentation": [poly],
                         "area": 1.0, "bbox": [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)],
                         "iscrowd": 0})
            sents = []
            for raw in sentences:
                sents.append({"raw": raw, "sent": raw.lower(), "tokens": raw.lower().split(), "sent_id": sent_id})
                sent_id += 1
            refs.append({"ref_id": ref_id, "ann_id": ann_id, "image_id": iid, "category_id": 1 + ref_id % 2,
                         "split": split, "sentences": sents, "sent_ids": [s["sent_id"] for s in sents],
                         "file_name": f"COCO_train2014_{iid:012d}_{ann_id}.jpg"})
    cats = [{"id": 1, "name": "box", "supercategory": "shape"}, {"id": 2, "name": "blob", "supercategory": "shape"}]
    write_refer(root / "refer", "refcocog", "umd", refs, images, anns, cats)
    write_json(root / "coco" / "annotations" / "instances_train2017.json",
               {"images": coco_images, "annotations": [], "categories": cats})


def _scratch() -> Path:
    """Where the 629 MiB random checkpoint goes: RAM when /dev/shm is there."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="seem-grounding-", dir=base))


@pytest.fixture(scope="session")
def fid(once_per_session) -> dict:
    prefix = seem_env.find_prefix()
    if prefix is None:
        pytest.skip(seem_env.missing_reason())
    return once_per_session("seem-grounding", lambda work: _run_both(prefix, work))


def _run_both(prefix: Path, work: Path) -> dict:
    """SEEM's evaluator and seem-bench in the worker, then seem-bench through the bridge."""
    _refcocog_set(work / "data")
    scratch = _scratch()
    env = {**worker_env(prefix), "OMP_NUM_THREADS": "2", "SEEM_BENCH_CACHE": str(work / "cache")}
    for k in ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PYTHONPATH"):
        env.pop(k, None)  # SEEM's MPI adapter reads OMPI_*; one process here
    out = work / "log.json"
    cmd = [str(seem_env.python(prefix)), str(WORKER), "--seem-root", str(seem_env.seem_src(prefix)),
           "--repo", str(REPO), "--out", str(out), "--data", str(work / "data"),
           "--ckpt", str(scratch / "random_focalt.pt"), "--seed", str(SEED), "--min-size", str(MIN_SIZE),
           "--max-size", str(MAX_SIZE), "--launcher", str(Path(seem_env.__file__).with_name("bridge_launch.py")),
           "--packages", json.dumps(package_dirs())]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
        if proc.returncode != 0:
            (work / "worker-stderr.txt").write_text(proc.stderr)
        assert proc.returncode == 0, f"see {work / 'worker-stderr.txt'}: {proc.stderr[-3000:]}"
        log = json.loads(out.read_text())
        # The user's command: seem-bench's own venv, SEEM served through the remote bridge.
        argv = list(log["seem_bench_argv"])
        argv[argv.index("--out") + 1] = str(work / "bridge_run")
        bridge = subprocess.run([sys.executable, "-m", "seem_bench", *argv], capture_output=True, text=True,
                                timeout=900, env={**os.environ, "OMP_NUM_THREADS": "2",
                                                  "SEEM_BENCH_CACHE": str(work / "cache"),
                                                  "SEEM_BENCH_SEEM_ENV": str(prefix)})
        assert bridge.returncode == 0, bridge.stderr[-3000:]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log["bridge_records"] = [r for p in sorted((work / "bridge_run").glob("records-*.jsonl")) for r in read_jsonl(p)]
    log["bridge_header"] = json.loads((work / "bridge_run" / "header.json").read_text())
    log["wall_s"] = time.perf_counter() - t0
    return log


def _official_by_unit(fid: dict) -> dict:
    """``(image_id, ref_id) -> (image entry, sentence entry, position in the image's pass)``."""
    out = {}
    for e in fid["official"]:
        for j, ref in enumerate(e["ref_ids"]):
            out[(str(e["image_id"]), str(ref))] = (e, e["sentences"][j], j)
    return out


def _ours(records: list[dict]) -> dict:
    return {(r["sample_id"], r["instance_id"]): r for r in records}


def _val_refs() -> dict:
    return {(str(iid), str(ref)): sents for iid, (_, _, rs) in IMAGES.items()
            for ref, split, sents, _ in rs if split == "val"}


@pytest.mark.xdist_group("seem-grounding")
def test_sentence_selection_is_seems(fid):
    """SEEM evaluates the val refs only, one sample per ref: its first sentence, lower-cased."""
    off = _official_by_unit(fid)
    val = _val_refs()
    assert off.keys() == val.keys() == _ours(fid["seem_bench_records"]).keys()
    for key, sents in val.items():
        e, _, j = off[key]
        assert e["all_texts"][j] == [s.lower() for s in sents]  # the mapper keeps them all ...
        assert e["texts"][j] == sents[0].lower()  # ... evaluate_grounding embeds x[0]
        rec = _ours(fid["seem_bench_records"])[key]
        assert rec["unit"] == f"{key[1]}/0" and rec["sentence"] == sents[0].lower()
    # every ref of an image in one pass, in ref order on both sides
    for e in fid["official"]:
        assert e["ref_ids"] == sorted(e["ref_ids"])
        assert e["texts"] in [d["texts"] for d in fid["seem_bench_decodes"]]
    assert len(fid["seem_bench_decodes"]) == len(fid["official"]) == 3


@pytest.mark.xdist_group("seem-grounding")
def test_masks_intersections_unions_and_hits_equal_per_sentence(fid):
    off = _official_by_unit(fid)
    ours = _ours(fid["seem_bench_records"])
    masks = {t: m for d in fid["seem_bench_decodes"] for t, m in zip(d["texts"], d["masks"], strict=True)}
    assert len(masks) == len(ours)  # distinct sentences: the digests are keyed unambiguously
    for key, (e, s, j) in off.items():
        r = ours[key]
        assert masks[e["texts"][j]] == s["mask"], key
        assert (r["intersection"], r["union"]) == (s["I"], s["U"]), key
        # SEEM's per-sample IoU is float32 I / (U + 1e-6); seem-bench's I / U (float64)
        assert np.float32(s["I"]) / (np.float32(s["U"]) + np.float32(1e-6)) == np.float32(s["IoU"])
        ours_iou = r["intersection"] / r["union"]
        assert abs(ours_iou - s["IoU"]) <= 1e-6, key
        assert [int(ours_iou >= t) for t in THRESHOLDS] == s["hits"], key
    assert fid["official_thresholds"] == list(THRESHOLDS)
    # not a degenerate set: predictions are neither empty nor all equal, IoUs spread out
    ious = [s["IoU"] for _, s, _ in off.values()]
    assert len({s["mask"] for _, s, _ in off.values()}) > 1 and all(s["pred_area"] > 0 for _, s, _ in off.values())
    assert max(ious) - min(ious) > 0.2


@pytest.mark.xdist_group("seem-grounding")
def test_ciou_miou_and_precision_equal_seems_evaluator(fid):
    got = fid["seem_bench_summary"]["metrics"]
    want = fid["official_results"]
    # SEEM sums in float32 tensors (cum_I * 100. / cum_U; mIoU += IoU.sum()); seem-bench exactly
    assert got["cIoU"] * 100 == pytest.approx(want["cIoU"], rel=1e-6)
    assert got["mIoU"] * 100 == pytest.approx(want["mIoU"], rel=1e-5)
    for t in THRESHOLDS:
        assert got[f"prec@{t}"] * 100 == pytest.approx(want[f"precision@{t}"], abs=1e-4), t
    assert fid["seem_bench_summary"]["counts"]["ok"] == len(_val_refs())
    print(f"\nseem-bench {got}\nSEEM {want}\nwall {fid['wall_s']:.0f} s, phases {fid['seconds']}")


@pytest.mark.xdist_group("seem-grounding")
def test_one_pass_per_image_couples_the_refs_of_an_image(fid):
    """Why ``grounding_batch=image`` exists: one sentence per decode gives other masks on images
    with several refs, and exactly the same record on the image with one ref."""
    batched = _ours(fid["seem_bench_records"])
    single = _ours(fid["single_records"])
    assert batched.keys() == single.keys()
    assert all(len(d["texts"]) == 1 for d in fid["single_decodes"]) and len(fid["single_decodes"]) == len(single)
    one_ref = [k for k in batched if k[0] == "1003"]
    assert one_ref and all((batched[k]["intersection"], batched[k]["union"])
                           == (single[k]["intersection"], single[k]["union"]) for k in one_ref)
    multi = [k for k in batched if k[0] != "1003"]
    assert any((batched[k]["intersection"], batched[k]["union"]) != (single[k]["intersection"], single[k]["union"])
               for k in multi)
    # the option is part of the model's identity (another run, not a resume), shown in the header
    assert fid["header_model"]["fingerprint"]["grounding_batch"] == "image"


@pytest.mark.xdist_group("seem-grounding")
def test_the_bridged_run_from_seem_benchs_venv_gives_the_same_records(fid):
    """``seem-bench run`` as a user types it (no SEEM in seem-bench's venv): the remote bridge
    carries the image's batch in one ``decode_batch`` request, so the records are the same."""
    def clean(recs):
        return sorted(({k: v for k, v in strip_timings(r).items() if k not in ("run_id", "fingerprint")}
                       for r in recs), key=lambda r: r["key"])

    assert clean(fid["bridge_records"]) == clean(fid["seem_bench_records"])
    assert fid["bridge_header"]["model"]["fingerprint"] == fid["header_model"]["fingerprint"]
