"""DAVIS J&F against an independent implementation written from SPEC §3, cross-checked against
vos-benchmark's J/F means; DAVIS-interactive summary against davisinteractive itself."""

from __future__ import annotations

import contextlib
import math
import sys
import types
import urllib

import numpy as np
import pytest
from scipy import ndimage

from seem_bench.data.synthetic import davis_sequences, write_davis
from seem_bench.errors import DataError
from seem_bench.metrics.davis import (
    DavisAccumulator,
    DavisInteractiveAccumulator,
    boundary_map,
    db_statistics,
    evaluate_davis,
    f_measure,
    frame_scores,
    interactive_summary,
    jaccard,
)

TOL = 1e-12


# --------------------------------------------------------------------------- independent J&F
def ref_boundary(seg: np.ndarray) -> np.ndarray:
    """SPEC §3: XOR with the E, S, SE neighbours (zero outside); the DAVIS (Martin) code only
    compares the last row with E, the last column with S, and never marks the last pixel."""
    s = seg.astype(bool)
    p = np.pad(s, ((0, 1), (0, 1)))
    b = (s != p[:-1, 1:]) | (s != p[1:, :-1]) | (s != p[1:, 1:])
    b[-1, :] = s[-1, :] != p[-2, 1:]
    b[:, -1] = s[:, -1] != p[1:, -2]
    b[-1, -1] = False
    return b


def ref_f(gt: np.ndarray, pred: np.ndarray) -> float:
    r = math.ceil(0.008 * math.hypot(*gt.shape))
    yy, xx = np.mgrid[-r: r + 1, -r: r + 1]
    disk = xx ** 2 + yy ** 2 <= r * r
    bg, bp = ref_boundary(gt), ref_boundary(pred)
    ng, npd = int(bg.sum()), int(bp.sum())
    if npd == 0 and ng == 0:
        return 1.0
    if npd == 0 or ng == 0:
        return 0.0  # (P, R) = (1, 0) or (0, 1)
    precision = (bp & ndimage.binary_dilation(bg, disk)).sum() / npd
    recall = (bg & ndimage.binary_dilation(bp, disk)).sum() / ng
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def ref_j(gt, pred) -> float:
    u = np.logical_or(gt, pred).sum()
    return 1.0 if u == 0 else np.logical_and(gt, pred).sum() / u


def ref_stats(x: list[float]) -> tuple[float, float, float]:
    n = len(x)
    b = [int(np.floor(v + 0.5 + 1e-10)) - 1 for v in np.linspace(1, n, 5)]
    first, last = x[b[0]: b[1] + 1], x[b[3]: b[4] + 1]
    return float(np.mean(x)), float(np.mean([v > 0.5 for v in x])), float(np.mean(first) - np.mean(last))


def ref_sequence(gt: np.ndarray, pred: np.ndarray) -> dict[int, tuple]:
    first = np.where(gt[0] == 255, 0, gt[0])
    n = int(first.max())
    out = {}
    for k in range(1, n + 1):
        js = [ref_j(gt[i] == k, pred[i] == k) for i in range(1, len(gt) - 1)]
        fs = [ref_f(gt[i] == k, pred[i] == k) for i in range(1, len(gt) - 1)]
        out[k] = ref_stats(js) + ref_stats(fs)
    return out


def test_random_sequences_equal_independent_implementation():
    acc = DavisAccumulator()
    expect = {}
    for seed in range(6):
        for s in davis_sequences(seed, n_sequences=3, size=(20, 140), void=seed % 2 == 1):
            acc.update(s.name, s.gt, s.pred)
            for k, v in ref_sequence(s.gt, s.pred).items():
                expect[f"{s.name}_{k}"] = v
    assert set(acc.objects) == set(expect)
    for key, v in expect.items():
        assert np.allclose(acc.objects[key], v, rtol=0, atol=TOL), key
    res = acc.compute()
    m = np.array(list(expect.values())).mean(axis=0)
    assert abs(res["J-Mean"] - m[0]) <= TOL and abs(res["F-Decay"] - m[5]) <= TOL
    assert abs(res["J&F-Mean"] - (m[0] + m[3]) / 2) <= TOL
    assert res["objects"] == len(expect)


def test_boundary_and_f_closed_form():
    seg = np.zeros((5, 6), bool)
    seg[1:3, 1:4] = True
    assert (boundary_map(seg) == ref_boundary(seg)).all()
    full = np.ones((4, 4), bool)
    # A full mask: no interior change, last row/column compare with outside only partly.
    assert (boundary_map(full) == ref_boundary(full)).all()
    assert f_measure(seg, seg) == 1.0
    assert f_measure(seg, np.zeros_like(seg)) == 0.0
    assert f_measure(np.zeros_like(seg), np.zeros_like(seg)) == 1.0
    assert jaccard(np.zeros((2, 2), bool), np.zeros((2, 2), bool)) == 1.0


def test_db_statistics_closed_form_and_uint8_quirk():
    assert db_statistics(np.array([1.0, 1.0, 0.0, 0.0])) == (0.5, 0.5, 1.0)
    x = np.linspace(1, 0, 9)  # bins [0:3], [2:5], [4:7], [6:9] -> decay = mean(x[0:3]) - mean(x[6:9])
    assert abs(db_statistics(x)[2] - (x[0:3].mean() - x[6:9].mean())) <= TOL
    # 300 frames: the reference's uint8 cast wraps the last bin start (299 -> 43).
    y = np.r_[np.ones(150), np.zeros(150)]
    ids = (np.round(np.linspace(1, 300, 5) + 1e-10) - 1).astype(np.uint8)
    assert ids[-1] == 43
    with np.errstate(all="ignore"):
        expect = np.nanmean(y[ids[0]: ids[1] + 1]) - np.nanmean(y[ids[3]: ids[4] + 1])
    assert db_statistics(y)[2] == expect or (math.isnan(expect) and math.isnan(db_statistics(y)[2]))
    assert all(math.isnan(v) for v in db_statistics(np.array([])))


def test_objects_from_first_frame_and_too_many_objects():
    gt = np.zeros((4, 10, 10), np.uint8)
    gt[:, 1:4, 1:4] = 1
    gt[2:, 6:9, 6:9] = 2  # object 2 appears after the first frame: not an object
    acc = DavisAccumulator()
    acc.update("s", gt, np.where(gt == 2, 0, gt))
    assert list(acc.objects) == ["s_1"]
    assert acc.objects["s_1"][0] == 1.0
    pred = np.where(gt == 2, 0, gt)
    pred[1, 0, 0] = 3
    with pytest.raises(DataError, match="object index 3"):
        DavisAccumulator().update("s", gt, pred)
    # Void (255) in the first frame is not an object; void pixels are not excluded later.
    gt2 = gt.copy()
    gt2[0, 9, 9] = 255
    acc2 = DavisAccumulator()
    acc2.update("v", gt2, np.where(gt2 == 1, 1, 0))
    assert list(acc2.objects) == ["v_1"]


def test_empty_accumulator_is_nan():
    r = DavisAccumulator().compute()
    assert r["objects"] == 0 and math.isnan(r["J&F-Mean"])


def test_files_equal_accumulator_and_vos_benchmark(tmp_path):
    vb = pytest.importorskip("vos_benchmark.benchmark", reason="vos-benchmark not installed")
    seqs = davis_sequences(42, n_sequences=4, size=(40, 150))
    write_davis(tmp_path / "DAVIS", tmp_path / "res", seqs)
    res1 = evaluate_davis(tmp_path / "DAVIS", tmp_path / "res", workers=1)
    res2 = evaluate_davis(tmp_path / "DAVIS", tmp_path / "res", workers=2)
    acc = DavisAccumulator()
    for s in seqs:
        acc.update(s.name, s.gt, s.pred)
    mem = acc.compute()
    for k in ("J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"):
        assert abs(res1[k] - mem[k]) <= TOL and abs(res2[k] - mem[k]) <= TOL, k
    assert res1["sequences"] == 4 and list(res1["per_object"]) == list(res2["per_object"])
    # vos-benchmark (its own J and F code, x100) on the same files, in process.
    for s in seqs:
        # vos-benchmark reads GT and results frame by frame, first/last skipped: give it both.
        write_davis(tmp_path / "vos", tmp_path / "vos_res", [s], skip_first_last=False)
        name, iou, bf = vb.VideoEvaluator(str(tmp_path / "vos" / "Annotations" / "480p"),
                                          str(tmp_path / "vos_res"))(s.name)
        for k in iou:
            ours = res1["per_object"][f"{s.name}_{k}"]
            assert abs(ours["J-Mean"] * 100 - iou[k]) <= 1e-9, (s.name, k)
            assert abs(ours["F-Mean"] * 100 - bf[k]) <= 1e-9, (s.name, k)
        assert len(iou) == int(s.gt[0].max())


def test_file_errors(tmp_path):
    seqs = davis_sequences(1, n_sequences=2)
    write_davis(tmp_path / "DAVIS", tmp_path / "res", seqs)
    with pytest.raises(DataError, match="subset 'test'"):
        evaluate_davis(tmp_path / "DAVIS", tmp_path / "res", subset="test")
    victim = sorted((tmp_path / "res" / seqs[0].name).glob("*.png"))[0]
    victim.unlink()
    with pytest.raises(DataError, match="not found"):
        evaluate_davis(tmp_path / "DAVIS", tmp_path / "res", workers=1)
    with pytest.raises(DataError, match="annotations folder"):
        evaluate_davis(tmp_path / "nowhere", tmp_path / "res")


# --------------------------------------------------------------------------- interactive
@contextlib.contextmanager
def davisinteractive_patched():
    """davisinteractive 1.0.4 on numpy 2: the removed ``np.int`` / ``np.float`` aliases, and
    ``six`` (imported only for its download helper) stubbed when absent."""
    pytest.importorskip("davisinteractive", reason="davisinteractive not installed")
    saved = {n: getattr(np, n, None) for n in ("int", "float")}
    stub = "six" not in sys.modules and __import__("importlib").util.find_spec("six") is None
    if stub:
        six = types.ModuleType("six")
        six.moves = types.SimpleNamespace(urllib=urllib)
        sys.modules["six"] = six
        sys.modules["six.moves"] = six.moves
    np.int, np.float = int, float
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                if n in np.__dict__:
                    delattr(np, n)
            else:
                setattr(np, n, v)
        if stub:
            sys.modules.pop("six", None)
            sys.modules.pop("six.moves", None)


def test_frame_scores_equal_davisinteractive():
    for s in davis_sequences(3, n_sequences=3, size=(30, 120), void=True):
        n = int(s.gt[0][s.gt[0] != 255].max())
        j, f = frame_scores(s.gt, s.pred, n)
        with davisinteractive_patched():
            from davisinteractive.metrics.jaccard import batched_f_measure, batched_jaccard

            rj = batched_jaccard(s.gt, s.pred, average_over_objects=False, nb_objects=n)
            rf = batched_f_measure(s.gt, s.pred, average_over_objects=False, nb_objects=n)
        assert np.abs(j - rj).max() <= TOL and np.abs(f - rf).max() <= TOL


def _report(rng, sequences, n_inter, drop=0.0):
    rows = []
    for seq, (n_scr, n_obj) in sequences.items():
        for scr in range(1, n_scr + 1):
            for it in range(1, n_inter + 1):
                if rng.random() < drop:
                    break  # a timed-out session: later interactions missing
                timing = float(rng.uniform(0.5, 40))
                for frame in range(3):
                    for obj in range(1, n_obj + 1):
                        rows.append({"sequence": seq, "scribble_idx": scr, "interaction": it,
                                     "object_id": obj, "frame": frame,
                                     "jaccard": float(rng.random()), "contour": float(rng.random()),
                                     "timing": timing})
    return rows


@pytest.mark.parametrize("max_t, max_i, drop", [(None, None, 0.0), (30, 5, 0.3), (None, 8, 0.2)])
def test_interactive_summary_equals_davisinteractive(max_t, max_i, drop):
    pd = pytest.importorskip("pandas")
    with davisinteractive_patched():
        from davisinteractive.dataset import Davis
        from davisinteractive.evaluation.service import EvaluationService

        names = Davis.sets["val"][:3]
        sequences = {s: (Davis.dataset[s]["num_scribbles"], Davis.dataset[s]["num_objects"])
                     for s in names}
        rows = _report(np.random.default_rng(7), sequences, n_inter=max_i or 4, drop=drop)
        svc = EvaluationService.__new__(EvaluationService)
        svc.sequences = names
        svc.max_t, svc.max_i = max_t, max_i
        svc.metric_to_optimize = "J_AND_F"
        svc.time_threshold = 60
        svc.avg_nb_objects = sum(Davis.dataset[s]["num_objects"] for s in names) / len(names)
        df = pd.DataFrame(rows)
        df["j_and_f"] = 0.5 * df["jaccard"] + 0.5 * df["contour"]
        df = df[["sequence", "scribble_idx", "interaction", "object_id", "frame", "jaccard",
                 "contour", "j_and_f", "timing"]]
        np.trapz = lambda y, x: float((np.diff(x) * (y[1:] + y[:-1]) / 2.0).sum())
        try:
            ref = svc.summarize_report(df)
        finally:
            del np.trapz
    ours = interactive_summary(rows, sequences, max_t=max_t, max_i=max_i)
    assert abs(ours["AUC"] - ref["auc"]) <= 1e-9
    assert abs(ours["J&F@60s"] - ref["metric_at_threshold"]["J_AND_F"]) <= 1e-9
    assert np.allclose(ours["curve"]["time"], ref["curve"]["time"], rtol=0, atol=1e-9)
    assert np.allclose(ours["curve"]["J&F"], ref["curve"]["J_AND_F"], rtol=0, atol=1e-9)


def test_interactive_accumulator_merge():
    seqs = davis_sequences(9, n_sequences=2, size=(20, 40))
    a, b = DavisInteractiveAccumulator(), DavisInteractiveAccumulator()
    meta = {}
    for n, s in enumerate(seqs):
        k = int(s.gt[0].max())
        meta[s.name] = (1, k)
        (a if n == 0 else b).update(s.name, 1, 1, 2.5, s.gt, s.pred, k)
    r = a.merge(b).compute(meta, max_t=10)
    j_f = [frame_scores(s.gt, s.pred, int(s.gt[0].max())) for s in seqs]
    expect = np.mean(np.concatenate([((j + f) / 2).mean(axis=0) for j, f in j_f]))
    assert abs(r["curve"]["J&F"][1] - expect) <= TOL
    assert r["curve"]["time"][:2] == [0.0, 2.5]


def test_frame_scores_crops_equal_full_frames_at_image_edges():
    rng = np.random.default_rng(11)
    h, w = 37, 53
    gt = np.zeros((6, h, w), np.uint8)
    pred = np.zeros((6, h, w), np.uint8)
    gt[0, :5, :7] = 1          # top-left corner
    gt[1, -4:, -6:] = 2        # bottom-right corner (the last pixel is never a boundary)
    gt[2, 10:20, -1:] = 1      # last column only
    gt[3, -1:, 5:30] = 3       # last row only
    gt[4] = rng.integers(0, 4, (h, w))
    gt[5, 3:9, 3:9] = 2
    pred[:5] = np.roll(gt[:5], 1, axis=2)
    pred[5, -2:, :] = 2
    j, f = frame_scores(gt, pred, 3)
    for i in range(6):
        for k in range(1, 4):
            assert j[i, k - 1] == jaccard(gt[i] == k, pred[i] == k)
            assert f[i, k - 1] == ref_f(gt[i] == k, pred[i] == k) == f_measure(gt[i] == k, pred[i] == k)
