"""Panoptic quality (PQ = SQ · RQ) with panopticapi's ``pq_compute`` semantics.

Two ways in:

- in memory, streaming: `PanopticAccumulator` takes one image at a time as a segment-id map
  (``int`` (H, W), 0 = VOID) plus its ``segments_info`` list, merges across workers and computes
  the panopticapi result dict. This is what a model run uses; no library does it.
- from files (COCO panoptic format): `pq_compute`, backed by hotcoco's Rust ``pq_compute``
  (same numbers, much faster) or by this module's numpy core (``backend="numpy"``).

Rules (panopticapi ``evaluation.py``, SPEC §3), all reproduced:

- a (GT, prediction) pair is a candidate only if both are listed segments, the GT is not crowd
  and the categories are equal; IoU = |p∩g| / (|p| + |g| − |p∩g| − |p∩VOID|); TP iff IoU > 0.5.
  Every candidate pair above 0.5 counts (with consistent areas at most one per segment can).
- GT areas come from the JSON ``area`` (the PNG count when the in-memory segment has no
  ``area``), prediction areas from the PNG.
- GT ids painted in the PNG but absent from ``segments_info`` are neither a segment nor VOID.
- unmatched non-crowd GT → FN. Unmatched prediction → FP unless
  (|p∩VOID| + |p∩crowd of its category|) / |p| > 0.5; one crowd region per category per image,
  the last one listed wins.
- per-category PQ/SQ/RQ over the GT categories with TP+FP+FN > 0; All / Things / Stuff are
  plain means over those categories; ``per_class`` lists every GT category (0.0 for absent ones).

Where panopticapi crashes, seem-bench raises a one-line `DataError` (GT image without
prediction, PNG id missing from ``segments_info`` and the reverse, unknown category, category
without ``isthing``, non-RGB PNG). The empty split (no category with TP+FP+FN > 0), where
panopticapi divides by zero, gives ``{"pq": -1.0, "sq": -1.0, "rq": -1.0, "n": 0}`` (hotcoco's
and pycocotools' "absent" marker). One more guard: a candidate pair whose union is ≤ 0 (a GT
``area`` of 0 in the JSON for a segment painted in the PNG) raises instead of producing
panopticapi's ``inf``.

Example::

    >>> import numpy as np
    >>> cats = [{"id": 1, "name": "a", "isthing": 1}]
    >>> gt = np.array([[1, 1], [0, 2]]); pred = np.array([[5, 5], [0, 0]])
    >>> acc = PanopticAccumulator(cats)
    >>> acc.update(gt, [{"id": 1, "category_id": 1, "iscrowd": 0, "area": 2},
    ...                 {"id": 2, "category_id": 1, "iscrowd": 0, "area": 1}],
    ...            pred, [{"id": 5, "category_id": 1}])
    >>> r = acc.compute()
    >>> r["All"]["pq"], r["All"]["rq"]
    (0.6666666666666666, 0.6666666666666666)
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.errors import DataError, UsageError
from seem_bench.metrics.contract import Evaluator, ExactSum, MetricSpec

VOID = 0
#: The value All/Things/Stuff take when no category has TP+FP+FN > 0 (panopticapi: ZeroDivisionError).
EMPTY_SPLIT_VALUE = -1.0

__all__ = [
    "EMPTY_SPLIT_VALUE",
    "PanopticAccumulator",
    "pq_average",
    "pq_compute",
    "pq_image",
    "read_panoptic_png",
    "rgb_to_id",
    "segment_pairs",
]


# --------------------------------------------------------------------------- pixels
def rgb_to_id(rgb: np.ndarray) -> np.ndarray:
    """RGB (H, W, 3) ``uint8`` -> segment ids ``uint32`` (H, W): R + 256·G + 256²·B.

    >>> rgb_to_id(np.array([[[1, 2, 3]]], np.uint8))
    array([[197121]], dtype=uint32)
    """
    rgb = np.asarray(rgb)
    out = rgb[..., 0].astype(np.uint32)
    out |= rgb[..., 1].astype(np.uint32) << 8
    out |= rgb[..., 2].astype(np.uint32) << 16
    return out


def read_panoptic_png(path: str | Path) -> np.ndarray:
    """Read a COCO panoptic PNG as segment ids ``uint32`` (H, W).

    The file must be an 8-bit RGB or RGBA PNG (alpha ignored), as panopticapi can read it;
    grey, palette and 16-bit PNGs raise `DataError` (panopticapi crashes on them).
    """
    import cv2

    from seem_bench.data.io import check_pixels, read_bytes

    data = read_bytes(path, "panoptic PNG")
    # IHDR: bytes 24 (bit depth) and 25 (colour type: 2 = RGB, 6 = RGBA) of a PNG file.
    if len(data) < 33 or data[:8] != b"\x89PNG\r\n\x1a\n":
        raise DataError(path, "not a PNG file")
    check_pixels(path, int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))
    depth, ctype = data[24], data[25]
    if depth != 8 or ctype not in (2, 6):
        kind = {0: "greyscale", 3: "palette", 4: "greyscale+alpha"}.get(ctype, f"colour type {ctype}")
        raise DataError(path, f"panoptic PNG must be 8-bit RGB (got {depth}-bit {kind}); "
                              "ids are encoded as R + 256*G + 256^2*B")
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if bgr is None:
        raise DataError(path, "corrupt PNG")
    out = bgr[..., 2].astype(np.uint32)
    out |= bgr[..., 1].astype(np.uint32) << 8
    out |= bgr[..., 0].astype(np.uint32) << 16
    return out


def segment_pairs(gt_ids: np.ndarray, pred_ids: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (GT id, prediction id) pair that shares pixels, with its pixel count.

    Args:
        gt_ids, pred_ids: non-negative integer id maps of the same shape, ids < 2**32.

    Returns:
        ``(gt, pred, count)``: three 1-D ``int64`` arrays, sorted by (gt, pred).

    Works on run lengths of the row-major pixel order, so the sort is over runs, not pixels.

    >>> segment_pairs(np.array([[1, 1, 2]]), np.array([[7, 0, 0]]))
    (array([1, 1, 2]), array([0, 7, 0]), array([1, 1, 1]))
    """
    g = np.asarray(gt_ids)
    p = np.asarray(pred_ids)
    if g.shape != p.shape:
        raise ValueError(f"GT and prediction id maps differ in shape: {g.shape} vs {p.shape}")
    if g.size and (g.min() < 0 or p.min() < 0 or g.max() >= 1 << 32 or p.max() >= 1 << 32):
        raise ValueError("segment ids must be in [0, 2**32)")
    key = (g.astype(np.uint64, copy=False).ravel() << np.uint64(32)) | p.astype(np.uint64, copy=False).ravel()
    if key.size == 0:
        e = np.zeros(0, np.int64)
        return e, e.copy(), e.copy()
    starts = np.flatnonzero(key[1:] != key[:-1]) + 1
    starts = np.concatenate(([0], starts))
    lengths = np.diff(np.concatenate((starts, [key.size])))
    uniq, inv = np.unique(key[starts], return_inverse=True)
    counts = np.bincount(inv.ravel(), weights=lengths, minlength=uniq.size).astype(np.int64)
    return ((uniq >> np.uint64(32)).astype(np.int64), (uniq & np.uint64(0xFFFFFFFF)).astype(np.int64),
            counts)


# --------------------------------------------------------------------------- per image
@dataclass
class _Cat:
    iou: float = 0.0
    tp: int = 0
    fp: int = 0
    fn: int = 0


def _crowd(seg: Mapping[str, Any]) -> bool:
    # panopticapi tests ``iscrowd == 1``; a missing flag means "not crowd" here (it KeyErrors there).
    return seg.get("iscrowd", 0) == 1


def pq_image(gt_ids: np.ndarray, gt_segments: Sequence[Mapping[str, Any]],
             pred_ids: np.ndarray, pred_segments: Sequence[Mapping[str, Any]],
             categories: Iterable[int], where: str = "image") -> dict[int, tuple[float, int, int, int]]:
    """PQ statistics of one image: ``{category_id: (iou_sum, tp, fp, fn)}``.

    Args:
        gt_ids, pred_ids: segment-id maps, integer (H, W); 0 is VOID.
        gt_segments: GT ``segments_info`` (``id``, ``category_id``, ``iscrowd``, optional
            ``area``: taken from here when present, from the PNG otherwise).
        pred_segments: prediction ``segments_info`` (``id``, ``category_id``).
        categories: the known category ids (predictions must use them).
        where: names the image in error messages (a path or ``"image 42"``).

    Raises:
        DataError: a prediction id in the map but not in ``pred_segments`` (or the reverse),
            an unknown predicted category, or a zero-area union (see the module docstring).
    """
    cats = categories if isinstance(categories, set | frozenset | dict) else set(categories)
    g_lab, p_lab, inter = segment_pairs(gt_ids, pred_ids)
    # Dicts built like panopticapi's: duplicate ids keep the first position and the last value.
    gt_segms = {int(s["id"]): s for s in gt_segments}
    pred_segms = {int(s["id"]): s for s in pred_segments}

    # Prediction areas from the map, and the prediction sanity checks.
    pred_area: dict[int, int] = {}
    if p_lab.size:
        plabels, pinv = np.unique(p_lab, return_inverse=True)
        pcounts = np.bincount(pinv.ravel(), weights=inter).astype(np.int64)
    else:
        plabels, pcounts = np.zeros(0, np.int64), np.zeros(0, np.int64)
    unlisted = set(pred_segms)
    for label, cnt in zip(plabels.tolist(), pcounts.tolist(), strict=True):
        if label not in pred_segms:
            if label == VOID:
                continue
            raise DataError(where, f"predicted segment id {label} is in the PNG but not in segments_info")
        pred_area[label] = cnt
        unlisted.discard(label)
        cat = pred_segms[label]["category_id"]
        if cat not in cats:
            raise DataError(where, f"predicted segment id {label} has unknown category_id {cat}")
    if unlisted:
        raise DataError(where, f"predicted segment ids {sorted(unlisted)} are in segments_info "
                               "but not in the PNG")

    gt_area: dict[int, int] = {}
    if any("area" not in s for s in gt_segms.values()):
        # In-memory GT without areas: count them from the map.
        glabels, ginv = np.unique(g_lab, return_inverse=True)
        gcounts = np.bincount(ginv.ravel(), weights=inter).astype(np.int64)
        gt_area = dict(zip(glabels.tolist(), gcounts.tolist(), strict=True))

    pairs = dict(zip(zip(g_lab.tolist(), p_lab.tolist(), strict=True), inter.tolist(), strict=True))
    void_of = {p: c for (g, p), c in pairs.items() if g == VOID}
    stats: dict[int, _Cat] = {}

    def cat_stat(c: int) -> _Cat:
        s = stats.get(c)
        if s is None:
            s = stats[c] = _Cat()
        return s

    gt_matched: set[int] = set()
    pred_matched: set[int] = set()
    for (g, p), n in pairs.items():
        gs = gt_segms.get(g)
        if gs is None:
            continue
        ps = pred_segms.get(p)
        if ps is None or _crowd(gs) or gs["category_id"] != ps["category_id"]:
            continue
        ga = gs["area"] if "area" in gs else gt_area.get(g, 0)
        union = pred_area[p] + ga - n - void_of.get(p, 0)
        if union <= 0:
            raise DataError(where, f"GT segment {g} has JSON area {ga} but shares {n} pixels with "
                                   f"prediction {p}: union <= 0")
        iou = n / union
        if iou > 0.5:
            s = cat_stat(gs["category_id"])
            s.tp += 1
            s.iou += iou
            gt_matched.add(g)
            pred_matched.add(p)

    crowd_of: dict[Any, int] = {}
    for g, gs in gt_segms.items():
        if g in gt_matched:
            continue
        if _crowd(gs):
            crowd_of[gs["category_id"]] = g  # the last crowd region of a category wins
            continue
        cat_stat(gs["category_id"]).fn += 1

    for p, ps in pred_segms.items():
        if p in pred_matched:
            continue
        ignored = void_of.get(p, 0)
        crowd = crowd_of.get(ps["category_id"])
        if crowd is not None:
            ignored += pairs.get((crowd, p), 0)
        if ignored / pred_area[p] > 0.5:
            continue
        cat_stat(ps["category_id"]).fp += 1
    return {c: (s.iou, s.tp, s.fp, s.fn) for c, s in stats.items()}


# --------------------------------------------------------------------------- averaging
def _isthing(cat: Mapping[str, Any]) -> bool:
    if "isthing" not in cat:
        raise DataError("categories", f"category {cat.get('id')} has no 'isthing' (needed for "
                                      "the Things/Stuff split)")
    return cat["isthing"] == 1


def pq_average(stats: Mapping[int, Sequence[float]], categories: Sequence[Mapping[str, Any]],
               isthing: bool | None) -> tuple[dict[str, float], dict[int, dict[str, float]]]:
    """panopticapi's ``PQStat.pq_average``.

    Args:
        stats: ``{category_id: (iou_sum, tp, fp, fn)}`` summed over the split.
        categories: GT categories (order kept in ``per_class``), each with ``id`` and, for
            ``isthing`` not ``None``, ``isthing``.
        isthing: ``None`` = all categories, ``True`` = things, ``False`` = stuff.

    Returns:
        ``({"pq", "sq", "rq", "n"}, per_class)``; the empty split gives `EMPTY_SPLIT_VALUE`.
    """
    pq = sq = rq = 0.0
    n = 0
    per_class: dict[int, dict[str, float]] = {}
    for cat in categories:
        if isthing is not None and _isthing(cat) != isthing:
            continue
        cid = cat["id"]
        iou, tp, fp, fn = stats.get(cid, (0.0, 0, 0, 0))
        if tp + fp + fn == 0:
            per_class[cid] = {"pq": 0.0, "sq": 0.0, "rq": 0.0}
            continue
        n += 1
        denom = tp + 0.5 * fp + 0.5 * fn
        pq_c = iou / denom
        sq_c = iou / tp if tp != 0 else 0.0
        rq_c = tp / denom
        per_class[cid] = {"pq": pq_c, "sq": sq_c, "rq": rq_c}
        pq += pq_c
        sq += sq_c
        rq += rq_c
    if n == 0:
        e = EMPTY_SPLIT_VALUE
        return {"pq": e, "sq": e, "rq": e, "n": 0}, per_class
    return {"pq": pq / n, "sq": sq / n, "rq": rq / n, "n": n}, per_class


def _results(stats: Mapping[int, Sequence[float]], categories: Sequence[Mapping[str, Any]],
             ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, isthing in (("All", None), ("Things", True), ("Stuff", False)):
        out[name], per_class = pq_average(stats, categories, isthing)
        if name == "All":
            out["per_class"] = per_class
    return out


# --------------------------------------------------------------------------- accumulator
@dataclass
class PanopticAccumulator:
    """Streaming PQ: ``update`` per image, ``merge`` across workers, ``compute`` at the end.

    State is four numbers per category, so it is tiny to ship between processes; sums are
    order-independent up to float rounding of the IoU sums (~1e-16 relative).

    ``compute()`` returns panopticapi's shape: ``{"All": {"pq", "sq", "rq", "n"}, "Things":
    ..., "Stuff": ..., "per_class": {category_id: {"pq", "sq", "rq"}}}``, as fractions.
    """

    categories: Sequence[Mapping[str, Any]]
    stats: dict[int, list[float]] = field(default_factory=dict)
    images: int = 0

    def __post_init__(self) -> None:
        self.categories = [dict(c) for c in self.categories]
        self._cat_ids = {c["id"] for c in self.categories}

    def add_stats(self, image_stats: Mapping[int, Sequence[float]]) -> None:
        """Add one image's `pq_image` output."""
        for c, (iou, tp, fp, fn) in image_stats.items():
            s = self.stats.setdefault(c, [0.0, 0, 0, 0])
            s[0] += iou
            s[1] += tp
            s[2] += fp
            s[3] += fn
        self.images += 1

    def update(self, gt_ids: np.ndarray, gt_segments: Sequence[Mapping[str, Any]],
               pred_ids: np.ndarray, pred_segments: Sequence[Mapping[str, Any]],
               image_id: Any = None) -> None:
        """Add one image (see `pq_image` for the arguments)."""
        where = f"image {image_id}" if image_id is not None else f"image #{self.images}"
        self.add_stats(pq_image(gt_ids, gt_segments, pred_ids, pred_segments, self._cat_ids, where))

    def merge(self, other: PanopticAccumulator) -> PanopticAccumulator:
        """Add another accumulator's images into this one; returns ``self``."""
        for c, (iou, tp, fp, fn) in other.stats.items():
            s = self.stats.setdefault(c, [0.0, 0, 0, 0])
            s[0] += iou
            s[1] += tp
            s[2] += fp
            s[3] += fn
        self.images += other.images
        return self

    def compute(self) -> dict[str, Any]:
        return _results(self.stats, self.categories)


class PanopticEvaluator(Evaluator):
    """PQ / SQ / RQ (All) and PQ Things / Stuff (fractions, panopticapi ``pq_compute``) of generic
    records' per-category ``pq`` statistics ``{category: [iou_sum, tp, fp, fn]}``.

    IoU sums are exact (`ExactSum`), so the result does not depend on the order of images.
    """

    name = "panoptic"

    def __init__(self, header: Mapping[str, Any]) -> None:
        from seem_bench.metrics.semantic import header_categories

        super().__init__(header)
        self.categories = header_categories(header)
        self.iou: dict[int, ExactSum] = {}
        self.counts: dict[int, list[int]] = {}

    @classmethod
    def metric_specs(cls, params: Mapping[str, Any]) -> list[MetricSpec]:
        ref = "panopticapi pq_compute"
        return [MetricSpec(k, "fraction", True, 1, ref) for k in ("PQ", "SQ", "RQ", "PQ_th", "PQ_st")]

    def update(self, record: Mapping[str, Any]) -> None:
        for c, (iou, tp, fp, fn) in record["pq"].items():
            self.iou.setdefault(int(c), ExactSum()).add(iou)
            n = self.counts.setdefault(int(c), [0, 0, 0])
            n[0] += int(tp)
            n[1] += int(fp)
            n[2] += int(fn)

    def merge(self, other: Evaluator) -> PanopticEvaluator:
        assert isinstance(other, PanopticEvaluator)
        for c, total in other.iou.items():
            self.iou.setdefault(c, ExactSum()).merge(total)
        for c, (tp, fp, fn) in other.counts.items():
            n = self.counts.setdefault(c, [0, 0, 0])
            n[0] += tp
            n[1] += fp
            n[2] += fn
        return self

    def compute(self) -> dict[str, float]:
        stats = {c: [self.iou[c].value(), *self.counts[c]] for c in sorted(self.counts)}
        res = _results(stats, self.categories)
        return {"PQ": res["All"]["pq"], "SQ": res["All"]["sq"], "RQ": res["All"]["rq"],
                "PQ_th": res["Things"]["pq"], "PQ_st": res["Stuff"]["pq"]}


# --------------------------------------------------------------------------- files
def _load_json(path: str | Path, what: str) -> Any:
    from seem_bench.data.io import read_json

    return read_json(path, what)


def _match(gt_json: Mapping[str, Any], pred_json: Mapping[str, Any], gt_path: Path,
           pred_path: Path) -> list[tuple[dict, dict]]:
    for key, obj, path in (("annotations", gt_json, gt_path), ("categories", gt_json, gt_path),
                           ("annotations", pred_json, pred_path)):
        if not isinstance(obj, dict) or key not in obj:
            raise DataError(path, f"no '{key}' list: not a COCO panoptic JSON")
    preds = {a["image_id"]: a for a in pred_json["annotations"]}
    matched = []
    for g in gt_json["annotations"]:
        p = preds.get(g["image_id"])
        if p is None:
            raise DataError(pred_path, f"no prediction for the GT image with id {g['image_id']}")
        matched.append((g, p))
    return matched


def _eval_chunk(args: tuple[list[tuple[dict, dict]], str, str, list[int]]) -> dict[int, list[float]]:
    pairs, gt_folder, pred_folder, cat_ids = args
    acc = PanopticAccumulator([{"id": c} for c in cat_ids])
    for g, p in pairs:
        gt_path = os.path.join(gt_folder, g["file_name"])
        pred_path = os.path.join(pred_folder, p["file_name"])
        gt_ids = read_panoptic_png(gt_path)
        pred_ids = read_panoptic_png(pred_path)
        if gt_ids.shape != pred_ids.shape:
            raise DataError(pred_path, f"size {pred_ids.shape[::-1]} differs from the GT "
                                       f"{gt_ids.shape[::-1]} (W, H)")
        acc.add_stats(pq_image(gt_ids, g["segments_info"], pred_ids, p["segments_info"],
                               acc._cat_ids, f"{pred_path} (image {g['image_id']})"))
    return acc.stats


def pq_compute(gt_json_file: str | Path, pred_json_file: str | Path,
               gt_folder: str | Path | None = None, pred_folder: str | Path | None = None,
               backend: str = "hotcoco", workers: int | None = None) -> dict[str, Any]:
    """PQ from COCO panoptic files, the result dict of panopticapi's ``pq_compute``.

    Args:
        gt_json_file, pred_json_file: ``panoptic_*.json`` files (prediction JSON needs only
            ``annotations``).
        gt_folder, pred_folder: PNG folders; default = the JSON path without ``.json``.
        backend: ``"hotcoco"`` (Rust, parallel; the default) or ``"numpy"`` (this module's core,
            ``workers`` processes).
        workers: processes for ``backend="numpy"``; default ``os.cpu_count()``, 1 = in process.

    Returns:
        ``{"All": {"pq","sq","rq","n"}, "Things": ..., "Stuff": ..., "per_class": {id: ...}}``.

    Raises:
        DataError: missing files, a GT image without prediction, PNG/JSON id mismatches, unknown
            categories, categories without ``isthing``.
    """
    gt_json_file, pred_json_file = Path(gt_json_file), Path(pred_json_file)
    gt_folder = Path(gt_folder) if gt_folder is not None else gt_json_file.with_suffix("")
    pred_folder = Path(pred_folder) if pred_folder is not None else pred_json_file.with_suffix("")
    for f in (gt_json_file, pred_json_file):
        if not f.is_file():
            raise DataError(f, "JSON file not found")
    for d in (gt_folder, pred_folder):
        if not d.is_dir():
            raise DataError(d, "PNG folder not found")
    if backend == "hotcoco":
        return _pq_compute_hotcoco(gt_json_file, pred_json_file, gt_folder, pred_folder)
    if backend != "numpy":
        raise UsageError(f"unknown PQ backend {backend!r}: use 'hotcoco' or 'numpy'")
    gt_json = _load_json(gt_json_file, "GT panoptic JSON")
    pred_json = _load_json(pred_json_file, "prediction panoptic JSON")
    matched = _match(gt_json, pred_json, gt_json_file, pred_json_file)
    categories = gt_json["categories"]
    for c in categories:
        _isthing(c)
    cat_ids = [c["id"] for c in categories]
    acc = PanopticAccumulator(categories)
    workers = (os.cpu_count() or 1) if workers is None else max(1, int(workers))
    if workers == 1 or len(matched) < 2 * workers:
        acc.stats = _eval_chunk((matched, str(gt_folder), str(pred_folder), cat_ids))
    else:
        chunks = [matched[i::workers * 4] for i in range(workers * 4)]
        with ProcessPoolExecutor(workers) as pool:
            for stats in pool.map(_eval_chunk, [(c, str(gt_folder), str(pred_folder), cat_ids)
                                                for c in chunks if c]):
                other = PanopticAccumulator([])
                other.stats = stats
                acc.merge(other)
    acc.images = len(matched)
    return acc.compute()


def _pq_compute_hotcoco(gt_json: Path, pred_json: Path, gt_folder: Path, pred_folder: Path,
                        ) -> dict[str, Any]:
    try:
        import hotcoco.panoptic as hp
    except ImportError:  # pragma: no cover - hotcoco is a dependency
        from seem_bench.errors import MissingDependencyError

        raise MissingDependencyError("PQ backend 'hotcoco' needs the hotcoco package "
                                     "(pip install hotcoco), or use backend='numpy'") from None
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("always")
        try:
            res = hp.pq_compute(str(gt_json), str(pred_json), str(gt_folder), str(pred_folder))
        except FileNotFoundError as e:
            raise DataError(pred_folder, str(e)) from None
        except (ValueError, KeyError, RuntimeError, OSError) as e:
            # hotcoco's messages name the image and segment: "image 37: predicted segment ..."
            raise DataError(pred_json, str(e).strip().splitlines()[0] if str(e).strip() else repr(e)) from None
    for w in caught:
        if "isthing" in str(w.message):
            raise DataError(gt_json, "a category has no 'isthing' (needed for the Things/Stuff "
                                     "split; panopticapi fails on it too)")
    out: dict[str, Any] = {}
    for name in ("All", "Things", "Stuff"):
        r = res[name]
        out[name] = {"pq": float(r["pq"]), "sq": float(r["sq"]), "rq": float(r["rq"]), "n": int(r["n"])}
    # hotcoco marks a category without TP, FP or FN with -1; panopticapi lists it as 0.0.
    out["per_class"] = {int(k): {m: max(float(v[m]), 0.0) for m in ("pq", "sq", "rq")}
                        for k, v in res["per_class"].items()}
    return out
