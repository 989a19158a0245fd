"""COCO AP/AR against pycocotools on random and edge-case sets."""

from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest

from seem_bench.data.synthetic import coco_instances
from seem_bench.errors import DataError
from seem_bench.metrics.detection import (
    IOU_THRS,
    DetectionAccumulator,
    coco_evaluate,
    encode_mask,
    summarize,
)

pycoco = pytest.importorskip("pycocotools.cocoeval")
from pycocotools.coco import COCO  # noqa: E402

TOL = 1e-12


def pycocotools_eval(gt: dict, dt: list, iou_type: str, cat_ids: list[int] | None = None):
    """Reference: stats, precision, recall; an empty dt list is built as an empty result set
    (pycocotools' loadRes cannot load one)."""
    with contextlib.redirect_stdout(io.StringIO()):
        g = COCO()
        g.dataset = copy.deepcopy(gt)
        g.createIndex()
        if dt:
            d = g.loadRes(copy.deepcopy(dt))
        else:
            d = COCO()
            d.dataset = {"images": list(gt["images"]), "annotations": [],
                         "categories": copy.deepcopy(gt["categories"])}
            d.createIndex()
        ev = pycoco.COCOeval(g, d, iou_type)
        if cat_ids is not None:
            ev.params.catIds = cat_ids
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.asarray(ev.stats), ev.eval["precision"], ev.eval["recall"]


def check_against_pycocotools(gt, dt, iou_type, per_category=True):
    ours = coco_evaluate(gt, dt, iou_type)
    stats, precision, recall = pycocotools_eval(gt, dt, iou_type)
    assert np.abs(np.asarray(ours["stats"]) - stats).max() <= TOL
    assert ours["precision"].shape == precision.shape
    assert np.abs(ours["precision"] - precision).max() <= TOL
    assert np.abs(ours["recall"] - recall).max() <= TOL
    if per_category:
        # Per-category stats equal pycocotools run on that category alone.
        for k, (cid, entry) in enumerate(ours["per_category"].items()):
            ref, _, _ = pycocotools_eval(gt, dt, iou_type, cat_ids=[cid])
            assert np.abs(summarize(ours["precision"], ours["recall"], category=k) - ref).max() <= TOL
            assert np.abs(np.asarray(entry["stats"]) - ref).max() <= TOL, cid
    return ours


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_random_sets_equal_pycocotools(iou_type):
    covered = {"crowd": 0, "no_dt_image": 0, "over_100": 0, "empty_cat": 0, "valid_area_ranges": 0}
    for seed in range(40):
        gt, dt = coco_instances(seed, n_images=10, iou_type=iou_type, size=(20, 160),
                                score_levels=None if seed % 3 == 0 else 12)
        ours = check_against_pycocotools(gt, dt, iou_type, per_category=seed < 4)
        covered["crowd"] += sum(a["iscrowd"] for a in gt["annotations"])
        per_img = {im["id"]: 0 for im in gt["images"]}
        for d in dt:
            per_img[d["image_id"]] += 1
        covered["no_dt_image"] += sum(v == 0 for v in per_img.values())
        covered["over_100"] += sum(v > 100 for v in per_img.values())
        covered["empty_cat"] += sum(e["stats"][0] == -1 for e in ours["per_category"].values())
        covered["valid_area_ranges"] += sum(v > -1 for v in ours["stats"][3:6])
    assert all(v > 0 for v in covered.values()), covered


def test_file_paths_equal_in_memory(tmp_path):
    gt, dt = coco_instances(101, n_images=8, iou_type="segm", size=(30, 120))
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    a = coco_evaluate(tmp_path / "gt.json", tmp_path / "dt.json", "segm")
    b = coco_evaluate(gt, dt, "segm")
    assert a["stats"] == b["stats"]
    assert a["per_category"] == b["per_category"]
    assert list(a["per_category"]) == sorted(c["id"] for c in gt["categories"])
    assert a["per_category"][gt["categories"][0]["id"]]["name"] == gt["categories"][0]["name"]


def test_segm_results_with_bbox_use_box_area():
    """pycocotools' loadRes takes the box branch when the first result has a bbox: detection
    areas (hence APs/APm/APl) then come from the box, even for segm evaluation."""
    gt, dt = coco_instances(7, n_images=10, iou_type="segm", size=(40, 200))
    from pycocotools import mask as mask_utils

    inflated = copy.deepcopy(dt)
    for d in inflated:
        x, y, w, h = mask_utils.toBbox(d["segmentation"]).tolist()
        d["bbox"] = [x, y, w * 5, h * 5]
    plain = copy.deepcopy(dt)
    for d in plain:
        d.pop("bbox", None)
    a = check_against_pycocotools(gt, inflated, "segm", per_category=False)
    b = check_against_pycocotools(gt, plain, "segm", per_category=False)
    assert a["stats"][:3] == b["stats"][:3]  # IoUs are from masks either way
    assert a["stats"][3:6] != b["stats"][3:6]  # area ranges are not


def test_segm_eval_of_box_only_results_uses_box_polygons():
    gt, _ = coco_instances(8, n_images=6, iou_type="segm", size=(40, 120))
    _, dt = coco_instances(8, n_images=6, iou_type="bbox", size=(40, 120))
    check_against_pycocotools(gt, dt, "segm", per_category=False)


def test_bbox_eval_on_segm_gt_and_shuffled_inputs():
    gt, dt = coco_instances(9, n_images=10, iou_type="segm", size=(40, 160))
    from pycocotools import mask as mask_utils

    boxes = [dict(d, bbox=mask_utils.toBbox(d["segmentation"]).tolist()) for d in dt]
    check_against_pycocotools(gt, boxes, "bbox", per_category=False)
    rev = dict(gt, images=gt["images"][::-1], annotations=gt["annotations"][::-1])
    check_against_pycocotools(rev, dt[::-1], "segm", per_category=False)
    ties = [dict(d, score=0.5) for d in dt]
    check_against_pycocotools(gt, ties, "segm", per_category=False)


def test_zero_detections_is_documented_value():
    gt, _ = coco_instances(4, n_images=5, iou_type="bbox")
    ours = check_against_pycocotools(gt, [], "bbox", per_category=False)
    assert all(v in (0.0, -1.0) for v in ours["stats"])
    assert ours["stats"][0] == 0.0


def test_empty_gt_gives_minus_one():
    gt, dt = coco_instances(4, n_images=5, iou_type="bbox")
    gt = dict(gt, annotations=[])
    ours = check_against_pycocotools(gt, dt, "bbox", per_category=False)
    assert ours["stats"] == [-1.0] * 12


def test_accumulator_merge_equals_one_shot():
    gt, dt = coco_instances(21, n_images=12, iou_type="segm", size=(30, 100))
    cats = gt["categories"]
    by_img_gt = {im["id"]: [] for im in gt["images"]}
    by_img_dt = {im["id"]: [] for im in gt["images"]}
    for a in gt["annotations"]:
        by_img_gt[a["image_id"]].append({k: v for k, v in a.items() if k not in ("id", "image_id")})
    for d in dt:
        by_img_dt[d["image_id"]].append(d)
    shards = [DetectionAccumulator(cats, "segm") for _ in range(3)]
    for k, im in enumerate(gt["images"]):
        shards[k % 3].update(im, by_img_gt[im["id"]], by_img_dt[im["id"]])
    merged = shards[0].merge(shards[1]).merge(shards[2]).compute()
    # The one-shot reference on the same (image-grouped) order of annotations and results.
    order = [im["id"] for k in range(3) for i, im in enumerate(gt["images"]) if i % 3 == k]
    anns = [dict(a, id=n + 1, image_id=i) for n, (i, a) in
            enumerate((i, a) for i in order for a in by_img_gt[i])]
    dts = [d for i in order for d in by_img_dt[i]]
    stats, _, _ = pycocotools_eval(dict(gt, annotations=anns), dts, "segm")
    assert np.abs(np.asarray(merged["stats"]) - stats).max() <= TOL


def test_accumulator_encodes_bool_masks():
    m = np.zeros((20, 20), bool)
    m[2:12, 3:9] = True
    acc = DetectionAccumulator([{"id": 1, "name": "a"}], "segm")
    acc.update({"id": 1, "height": 20, "width": 20},
               [{"category_id": 1, "segmentation": m, "area": 60, "iscrowd": 0, "bbox": [3, 2, 6, 10]}],
               [{"category_id": 1, "segmentation": m, "score": 0.9}])
    assert round(acc.compute()["stats"][0], 12) == 1.0
    rle = encode_mask(m)
    assert isinstance(rle["counts"], str) and rle["size"] == [20, 20]


def test_summarize_closed_form():
    # One category, precision 0.5 everywhere at maxDets=100, recall 0.25: AP = .5, AR = .25.
    p = np.full((10, 101, 1, 4, 3), 0.5)
    r = np.full((10, 1, 4, 3), 0.25)
    s = summarize(p, r)
    assert s.tolist() == [0.5] * 6 + [0.25] * 6
    p[:, :, :, 1] = -1  # no small GT
    r[:, :, 1] = -1
    s = summarize(p, r)
    assert s[3] == -1 and s[9] == -1
    assert IOU_THRS[8] == np.linspace(0.5, 0.95, 10)[8]


def _add_boxes_to_first(dt):
    dt[0]["bbox"] = [0.0, 0.0, 5.0, 5.0]
    for d in dt[1:]:
        d.pop("bbox", None)


@pytest.mark.parametrize("iou_type, mutate, message", [
    ("bbox", lambda dt: dt[0].update(image_id=987654), "not in the GT"),
    ("bbox", lambda dt: dt[1].pop("score"), "no 'score'"),
    ("bbox", lambda dt: dt[2].pop("bbox"), "no 'bbox'"),
    ("segm", _add_boxes_to_first, "all or none"),
    ("segm", lambda dt: dt.append("x"), "not an object"),
])
def test_errors_where_pycocotools_fails(iou_type, mutate, message):
    gt, dt = coco_instances(5, n_images=6, iou_type=iou_type)
    mutate(dt)
    with pytest.raises(DataError, match=message):
        coco_evaluate(gt, dt, iou_type)


def test_file_errors(tmp_path):
    gt, dt = coco_instances(5, n_images=4, iou_type="bbox")
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "obj.json").write_text(json.dumps({"annotations": dt}))
    (tmp_path / "bad.json").write_text("[{")
    bad_img = [dict(dt[0], image_id=424242)] + dt[1:]
    (tmp_path / "orphan.json").write_text(json.dumps(bad_img))
    with pytest.raises(DataError, match="JSON list"):
        coco_evaluate(tmp_path / "gt.json", tmp_path / "obj.json", "bbox")
    with pytest.raises(DataError, match="cannot read results"):
        coco_evaluate(tmp_path / "gt.json", tmp_path / "bad.json", "bbox")
    with pytest.raises(DataError, match="not in the GT"):
        coco_evaluate(tmp_path / "gt.json", tmp_path / "orphan.json", "bbox")
    with pytest.raises(DataError, match="not found"):
        coco_evaluate(tmp_path / "missing.json", tmp_path / "bad.json", "bbox")


def test_fields_pycocotools_overwrites_or_ignores():
    """Result ``area``/``id`` are recomputed by loadRes; a GT ``ignore`` key is overwritten by
    ``iscrowd``; polygon masks in results (with boxes) are rasterised like GT polygons."""
    from pycocotools import mask as mask_utils

    gt, dt = coco_instances(13, n_images=10, iou_type="segm", size=(40, 200))
    bogus = [dict(d, area=5.0 + i, id=1000 - i) for i, d in enumerate(dt)]
    check_against_pycocotools(gt, bogus, "segm", per_category=False)
    flagged = dict(gt, annotations=[dict(a, ignore=1) if i % 3 == 0 else a
                                    for i, a in enumerate(gt["annotations"])])
    check_against_pycocotools(flagged, dt, "segm", per_category=False)
    polys = []
    for d in copy.deepcopy(dt):
        x, y, w, h = mask_utils.toBbox(d["segmentation"]).tolist()
        d["bbox"] = [x, y, w, h]
        d["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
        polys.append(d)
    check_against_pycocotools(gt, polys, "segm", per_category=False)


@pytest.mark.parametrize("value", [float("inf"), float("-inf")])
def test_infinite_score_is_refused_where_pycocotools_would_rank_it(value, tmp_path):
    """pycocotools ranks +inf first and -inf last and gives an AP; hotcoco would load null and
    give another. seem-bench refuses the file (and the in-memory list), naming the result."""
    gt, dt = coco_instances(3, n_images=5, iou_type="bbox")
    i = 3
    bad = [dict(d) for d in dt]
    bad[i]["score"] = value
    ref_stats, _, _ = pycocotools_eval(gt, bad, "bbox")  # pycocotools accepts it ...
    moved = [dict(d) for d in dt]
    moved[i]["score"] = 2.0 if value > 0 else -1.0  # ... as a finite extreme score: same ranking
    assert np.array_equal(ref_stats, pycocotools_eval(gt, moved, "bbox")[0])
    path = tmp_path / "dt.json"
    path.write_text(json.dumps(bad))
    for src, where in ((path, str(path)), (bad, "<results>")):
        with pytest.raises(DataError) as e:
            coco_evaluate(gt, src, "bbox")
        assert str(e.value) == f"{where}: result #{i} has a non-finite score ({value}); refusing to rank it " \
                               "(see docs/metrics.md)"


def test_clean_results_are_not_parsed_twice():
    """The non-finite scan costs a byte search only: a clean file is never parsed in Python."""
    from seem_bench.metrics.detection import _NON_FINITE_HINT

    gt, dt = coco_instances(3, n_images=20, iou_type="segm")
    assert _NON_FINITE_HINT.search(json.dumps(dt).encode()) is None
    for text in (b'{"score": NaN}', b'{"score":Infinity}', b'"bbox": [1, -Infinity]', b'"area": 1e999',
                 b'"bbox": [2.5E+308, 1]'):
        assert _NON_FINITE_HINT.search(text), text
