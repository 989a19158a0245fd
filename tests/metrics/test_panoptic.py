"""PQ against panopticapi (the ``panopticapi-lite`` copy of its ``evaluation.py``).

Every number of seem-bench's three PQ paths (in-memory accumulator, numpy file core, hotcoco
file backend) must equal panopticapi's on random COCO-panoptic sets that exercise its rules.
"""

from __future__ import annotations

import contextlib
import io
import json
import random

import cv2
import numpy as np
import pytest

from seem_bench.data.synthetic import id2rgb, panoptic_images, write_panoptic
from seem_bench.errors import DataError
from seem_bench.metrics.panoptic import (
    EMPTY_SPLIT_VALUE,
    PanopticAccumulator,
    pq_compute,
    pq_image,
    read_panoptic_png,
    rgb_to_id,
    segment_pairs,
)

pe = pytest.importorskip("panopticapi.evaluation", reason="reference panopticapi-lite not installed "
                         "(bash scripts/bootstrap.sh --test)")

TOL = 1e-12
CATS = [{"id": 1, "name": "t1", "isthing": 1}, {"id": 2, "name": "t2", "isthing": 1},
        {"id": 3, "name": "s1", "isthing": 0}]


def reference(paths) -> dict:
    """panopticapi's pq_compute body, in process (its Pool would cost seconds per call)."""
    with open(paths["gt_json"]) as f:
        gt = json.load(f)
    with open(paths["pred_json"]) as f:
        pred = json.load(f)
    cats = {c["id"]: c for c in gt["categories"]}
    by_img = {a["image_id"]: a for a in pred["annotations"]}
    pairs = [(a, by_img[a["image_id"]]) for a in gt["annotations"]]
    with contextlib.redirect_stdout(io.StringIO()):
        stat = pe.pq_compute_single_core(0, pairs, str(paths["gt_folder"]), str(paths["pred_folder"]), cats)
    out = {}
    for name, isthing in (("All", None), ("Things", True), ("Stuff", False)):
        out[name], per_class = stat.pq_average(cats, isthing=isthing)
        if name == "All":
            out["per_class"] = per_class
    return out


def assert_same(ours: dict, ref: dict) -> None:
    for split in ("All", "Things", "Stuff"):
        assert ours[split]["n"] == ref[split]["n"], split
        for m in ("pq", "sq", "rq"):
            assert abs(ours[split][m] - ref[split][m]) <= TOL, (split, m, ours[split][m], ref[split][m])
    assert set(map(int, ours["per_class"])) == set(map(int, ref["per_class"]))
    for c, v in ref["per_class"].items():
        for m in ("pq", "sq", "rq"):
            assert abs(ours["per_class"][int(c)][m] - v[m]) <= TOL, (c, m)


def test_random_sets_equal_panopticapi(tmp_path):
    """30 random sets: accumulator (whole and merged from shuffled shards), numpy and hotcoco."""
    seen_edge = {"crowd": 0, "unlisted": 0, "area_mismatch": 0, "void": 0, "empty_pred": 0}
    for seed in range(30):
        cats, pairs = panoptic_images(seed, n_images=8)
        paths = write_panoptic(tmp_path / str(seed), cats, pairs)
        ref = reference(paths)
        assert_same(pq_compute(paths["gt_json"], paths["pred_json"], paths["gt_folder"],
                               paths["pred_folder"], backend="numpy", workers=1), ref)
        assert_same(pq_compute(paths["gt_json"], paths["pred_json"], paths["gt_folder"],
                               paths["pred_folder"], backend="hotcoco"), ref)
        shards = [PanopticAccumulator(cats) for _ in range(3)]
        order = list(range(len(pairs)))
        random.Random(seed).shuffle(order)
        for k, i in enumerate(order):
            p = pairs[i]
            shards[k % 3].update(p.gt_ids, p.gt_segments, p.pred_ids, p.pred_segments, p.image_id)
        merged = shards[0].merge(shards[1]).merge(shards[2])
        assert merged.images == len(pairs)
        assert_same(merged.compute(), ref)
        for p in pairs:
            listed = {s["id"] for s in p.gt_segments}
            present = set(np.unique(p.gt_ids).tolist()) - {0}
            seen_edge["crowd"] += sum(s["iscrowd"] for s in p.gt_segments)
            seen_edge["unlisted"] += len(present - listed)
            seen_edge["area_mismatch"] += sum(s["area"] != np.count_nonzero(p.gt_ids == s["id"])
                                              for s in p.gt_segments)
            seen_edge["void"] += int((p.pred_ids == 0).any())
            seen_edge["empty_pred"] += int(not p.pred_segments)
    # The generator must actually exercise panopticapi's special rules.
    assert all(v > 0 for v in seen_edge.values()), seen_edge


def seg(i, cat, crowd=0, area=None):
    d = {"id": i, "category_id": cat, "iscrowd": crowd}
    if area is not None:
        d["area"] = area
    return d


def run_one(gt, gts, pred, preds, cats=CATS):
    acc = PanopticAccumulator(cats)
    acc.update(np.asarray(gt), gts, np.asarray(pred), preds, image_id=1)
    return acc


def test_closed_form_tp_fp_fn():
    # GT: segment 1 (cat 1) 4 px, segment 2 (cat 3, stuff) 4 px. Prediction: 7 covers 3 of
    # segment 1 (IoU 3/4 > .5 -> TP), 8 covers 1 px of segment 2 + 1 of 1 (IoU 1/5 -> FP, FN).
    gt = [[1, 1, 2, 2], [1, 1, 2, 2]]
    pred = [[7, 7, 8, 0], [7, 8, 0, 0]]
    acc = run_one(gt, [seg(1, 1), seg(2, 3)], pred, [{"id": 7, "category_id": 1},
                                                      {"id": 8, "category_id": 3}])
    assert acc.stats[1] == [0.75, 1, 0, 0]
    assert acc.stats[3] == [0.0, 0, 1, 1]
    r = acc.compute()
    assert r["per_class"][1] == {"pq": 0.75, "sq": 0.75, "rq": 1.0}
    assert r["per_class"][3] == {"pq": 0.0, "sq": 0.0, "rq": 0.0}
    assert r["per_class"][2] == {"pq": 0.0, "sq": 0.0, "rq": 0.0}  # absent category, not averaged
    assert r["All"] == {"pq": 0.375, "sq": 0.375, "rq": 0.5, "n": 2}
    assert r["Things"]["n"] == 1 and r["Stuff"]["n"] == 1


def test_void_reduces_union_and_strict_threshold():
    # |p|=4, |g|=2, |p∩g|=2, |p∩VOID|=2 -> IoU = 2 / (4 + 2 - 2 - 2) = 1.
    acc = run_one([[1, 1, 0, 0]], [seg(1, 1)], [[5, 5, 5, 5]], [{"id": 5, "category_id": 1}])
    assert acc.stats[1] == [1.0, 1, 0, 0]
    # IoU exactly 0.5 is not a match (strict >): |g|=2, |p|=1 inside -> 1/2.
    acc = run_one([[1, 1]], [seg(1, 1)], [[5, 0]], [{"id": 5, "category_id": 1}])
    assert acc.stats[1][1:] == [0, 1, 1]


def test_unlisted_gt_id_is_neither_segment_nor_void():
    # GT id 9 is painted but not listed: a prediction on it is an FP (it is not VOID).
    acc = run_one([[9, 9, 9, 1]], [seg(1, 2)], [[5, 5, 5, 6]],
                  [{"id": 5, "category_id": 1}, {"id": 6, "category_id": 2}])
    assert acc.stats[1] == [0.0, 0, 1, 0]
    assert acc.stats[2] == [1.0, 1, 0, 0]


def test_crowd_last_listed_wins_and_ignores_fp():
    # Two crowd regions of category 1 (ids 3 then 4): only the last listed (4) can absorb an FP.
    gt = [[3, 3, 4, 4]]
    on_first = run_one(gt, [seg(3, 1, crowd=1), seg(4, 1, crowd=1)], [[5, 5, 0, 0]],
                       [{"id": 5, "category_id": 1}])
    assert on_first.stats[1] == [0.0, 0, 1, 0]
    on_last = run_one(gt, [seg(3, 1, crowd=1), seg(4, 1, crowd=1)], [[0, 0, 5, 5]],
                      [{"id": 5, "category_id": 1}])
    assert 1 not in on_last.stats  # ignored, and crowd GT is never an FN
    # A crowd region of another category does not absorb it.
    other = run_one(gt, [seg(3, 2, crowd=1), seg(4, 2, crowd=1)], [[0, 0, 5, 5]],
                    [{"id": 5, "category_id": 1}])
    assert other.stats[1] == [0.0, 0, 1, 0]


def test_json_area_is_used_for_gt():
    # PNG has 2 px of segment 1, JSON says 6: IoU = 2 / (2 + 6 - 2) = 1/3 -> no match.
    acc = run_one([[1, 1]], [seg(1, 1, area=6)], [[5, 5]], [{"id": 5, "category_id": 1}])
    assert acc.stats[1] == [0.0, 0, 1, 1]
    # Without an area the PNG count is used: a perfect match.
    acc = run_one([[1, 1]], [seg(1, 1)], [[5, 5]], [{"id": 5, "category_id": 1}])
    assert acc.stats[1] == [1.0, 1, 0, 0]


def test_empty_split_is_documented_value():
    acc = PanopticAccumulator(CATS)
    r = acc.compute()
    for split in ("All", "Things", "Stuff"):
        assert r[split] == {"pq": EMPTY_SPLIT_VALUE, "sq": EMPTY_SPLIT_VALUE,
                            "rq": EMPTY_SPLIT_VALUE, "n": 0}
    # Stuff only empty: Things still computed.
    acc = run_one([[1]], [seg(1, 1)], [[5]], [{"id": 5, "category_id": 1}])
    r = acc.compute()
    assert r["Stuff"]["n"] == 0 and r["Stuff"]["pq"] == EMPTY_SPLIT_VALUE
    assert r["Things"] == {"pq": 1.0, "sq": 1.0, "rq": 1.0, "n": 1}


@pytest.mark.parametrize("preds, message", [
    ([], "in the PNG but not in segments_info"),
    ([{"id": 5, "category_id": 99}], "unknown category_id 99"),
    ([{"id": 5, "category_id": 1}, {"id": 6, "category_id": 1}], "in segments_info but not in the PNG"),
])
def test_prediction_failure_modes(preds, message):
    with pytest.raises(DataError, match=message):
        run_one([[1, 1]], [seg(1, 1)], [[5, 5]], preds)


def test_zero_union_raises_instead_of_inf():
    with pytest.raises(DataError, match="union <= 0"):
        run_one([[1, 1]], [seg(1, 1, area=0)], [[5, 5]], [{"id": 5, "category_id": 1}])


@pytest.mark.parametrize("backend", ["numpy", "hotcoco"])
def test_file_failure_modes_are_one_line_errors(tmp_path, backend):
    cats, pairs = panoptic_images(3, n_images=3)
    paths = write_panoptic(tmp_path, cats, pairs)
    pred = json.loads(paths["pred_json"].read_text())
    run = lambda: pq_compute(paths["gt_json"], paths["pred_json"], paths["gt_folder"],  # noqa: E731
                             paths["pred_folder"], backend=backend, workers=1)
    missing = dict(pred, annotations=pred["annotations"][1:])
    paths["pred_json"].write_text(json.dumps(missing))
    with pytest.raises(DataError, match="no prediction for the (GT )?image with id"):
        run()
    broken = json.loads(json.dumps(pred))
    ann = next(a for a in broken["annotations"] if a["segments_info"])
    ann["segments_info"] = ann["segments_info"][1:]
    paths["pred_json"].write_text(json.dumps(broken))
    with pytest.raises(DataError, match="in the PNG but not in segments_info"):
        run()
    gt = json.loads(paths["gt_json"].read_text())
    for c in gt["categories"]:
        c.pop("isthing")
    paths["pred_json"].write_text(json.dumps(pred))
    paths["gt_json"].write_text(json.dumps(gt))
    with pytest.raises(DataError, match="isthing"):
        run()
    with pytest.raises(DataError, match="not found"):
        pq_compute(tmp_path / "nope.json", paths["pred_json"], backend=backend)


def test_multiprocess_numpy_backend_equals_single(tmp_path):
    cats, pairs = panoptic_images(11, n_images=12)
    paths = write_panoptic(tmp_path, cats, pairs)
    args = (paths["gt_json"], paths["pred_json"], paths["gt_folder"], paths["pred_folder"])
    one = pq_compute(*args, backend="numpy", workers=1)
    two = pq_compute(*args, backend="numpy", workers=2)
    assert_same(two, {**one, "per_class": one["per_class"]})


def test_png_reading(tmp_path):
    ids = np.array([[0, 1, 256], [65536, 16777215, 197121]], np.uint32)
    cv2.imwrite(str(tmp_path / "a.png"), id2rgb(ids)[:, :, ::-1])
    assert (read_panoptic_png(tmp_path / "a.png") == ids).all()
    assert rgb_to_id(np.array([[[1, 2, 3]]], np.uint8))[0, 0] == 1 + 2 * 256 + 3 * 65536
    cv2.imwrite(str(tmp_path / "grey.png"), np.zeros((2, 2), np.uint8))
    with pytest.raises(DataError, match="8-bit RGB"):
        read_panoptic_png(tmp_path / "grey.png")
    (tmp_path / "bad.png").write_bytes(b"not a png at all, but long enough to have a header")
    with pytest.raises(DataError, match="not a PNG"):
        read_panoptic_png(tmp_path / "bad.png")


def test_segment_pairs_matches_bruteforce():
    rng = np.random.default_rng(0)
    g = rng.integers(0, 4, (13, 17)) * 1000003
    p = rng.integers(0, 5, (13, 17))
    gl, pl, cnt = segment_pairs(g, p)
    expect = {}
    for a, b in zip(g.ravel().tolist(), p.ravel().tolist(), strict=True):
        expect[(a, b)] = expect.get((a, b), 0) + 1
    assert dict(zip(zip(gl.tolist(), pl.tolist(), strict=True), cnt.tolist(), strict=True)) == expect
    assert list(zip(gl.tolist(), pl.tolist(), strict=True)) == sorted(expect)


def test_pq_image_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        pq_image(np.zeros((2, 2)), [], np.zeros((2, 3)), [], {1})


@pytest.mark.parametrize("case", ["no_predictions", "no_gt_segments", "large_images"])
def test_degenerate_sets_equal_panopticapi(tmp_path, case):
    if case == "large_images":
        cats, pairs = panoptic_images(77, n_images=6, size=(96, 160), segments=(8, 20))
    else:
        cats, pairs = panoptic_images(5, n_images=6)
    for p in pairs:
        if case == "no_predictions":
            p.pred_ids[:] = 0
            p.pred_segments = []
        elif case == "no_gt_segments":
            p.gt_segments = []
    paths = write_panoptic(tmp_path, cats, pairs)
    ref = reference(paths)
    for backend in ("numpy", "hotcoco"):
        assert_same(pq_compute(paths["gt_json"], paths["pred_json"], paths["gt_folder"],
                               paths["pred_folder"], backend=backend, workers=1), ref)


def test_prediction_area_and_crowd_fields_are_ignored(tmp_path):
    """panopticapi overwrites a prediction's ``area`` with its PNG count and never reads a
    prediction ``iscrowd``."""
    cats, pairs = panoptic_images(21, n_images=6)
    for p in pairs:
        for k, s in enumerate(p.pred_segments):
            s["area"] = 1 + 7 * k
            s["iscrowd"] = k % 2
    paths = write_panoptic(tmp_path, cats, pairs)
    ref = reference(paths)
    for backend in ("numpy", "hotcoco"):
        assert_same(pq_compute(paths["gt_json"], paths["pred_json"], paths["gt_folder"],
                               paths["pred_folder"], backend=backend, workers=1), ref)
    acc = PanopticAccumulator(cats)
    for p in pairs:
        acc.update(p.gt_ids, p.gt_segments, p.pred_ids, p.pred_segments, p.image_id)
    assert_same(acc.compute(), ref)
