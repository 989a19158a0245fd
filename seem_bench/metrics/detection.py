"""COCO AP/AR (segm and bbox) with pycocotools ``COCOeval`` semantics, on hotcoco's engine.

The evaluation itself runs in hotcoco (Rust), whose ``COCOeval`` reproduces pycocotools
bit-for-bit on every case tested here (``tests/metrics/test_detection.py`` compares
``stats``, ``precision`` and ``recall`` with pycocotools on many random sets) and is one to two
orders of magnitude faster. This module adds what neither library gives directly:

- `summarize`: pycocotools' ``summarize`` as a pure function of the ``precision`` / ``recall``
  arrays, for the 12 ``stats`` and for any single category (``per_category``);
- `DetectionAccumulator`: per-image ``update``, ``merge`` across workers, ``compute``;
- one-line `DataError`s where pycocotools crashes or asserts.

Conventions pinned from pycocotools (all kept):

- iouThrs = linspace(.5, .95, 10), recThrs = linspace(0, 1, 101), maxDets = [1, 10, 100],
  areas all / small (< 32²) / medium / large (> 96²); crowd IoU = |d∩g| / |d|.
- GT area ranges use the JSON ``area``; detection areas come from ``loadRes``: the box area
  w·h when the *first* result carries a ``bbox`` (also for ``segm`` evaluation!), else the
  mask area.
- ties in score keep the results-file order (stable sort), across images in image-id order.
- a stat with no GT in its range is -1; ``per_category`` stats follow the same rule.

Deviations, only where pycocotools gives no number: an empty results list (pycocotools:
IndexError) evaluates as "no detections" (AP 0 where there is GT); GT annotations without
``iscrowd`` count as not crowd (pycocotools: KeyError); a GT polygon of exactly 4 numbers is a
polygon (pycocotools: TypeError); in a results *file*, a detection without ``score`` counts as
score 0 (hotcoco's reading; pycocotools: KeyError; in-memory lists are checked and raise).
Results naming an image absent from the GT, non-finite (NaN, ``Infinity``, ``-Infinity``)
scores, boxes and areas, and in-memory results missing a field raise `DataError`; results of
unknown categories are ignored, as in pycocotools.

Example::

    >>> gt = {"images": [{"id": 1, "height": 10, "width": 10}],
    ...       "categories": [{"id": 1, "name": "a"}],
    ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4],
    ...                        "area": 16, "iscrowd": 0}]}
    >>> r = coco_evaluate(gt, [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4],
    ...                         "score": 0.9}], "bbox")
    >>> [round(v, 12) for v in r["stats"][:2]]  # pycocotools' tp / (tp + fp + eps) < 1
    [1.0, 1.0]
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.errors import DataError, UsageError
from seem_bench.metrics.contract import Evaluator, MetricSpec

#: Names of pycocotools' ``stats[0..11]``, in order.
STATS_NAMES = ("AP", "AP50", "AP75", "APs", "APm", "APl",
               "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")
IOU_TYPES = ("segm", "bbox")
#: pycocotools' default IoU thresholds, bit for bit (index 8 is 0.8999999999999999).
IOU_THRS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)

__all__ = [
    "IOU_THRS",
    "STATS_NAMES",
    "DetectionAccumulator",
    "coco_evaluate",
    "encode_mask",
    "summarize",
    "summarize_per_category",
]


def summarize(precision: np.ndarray, recall: np.ndarray, iou_thrs: np.ndarray = IOU_THRS,
              max_dets: Sequence[int] = (1, 10, 100), category: int | None = None) -> np.ndarray:
    """pycocotools ``COCOeval.summarize`` for detection, as a function of the accumulated arrays.

    Args:
        precision: ``eval["precision"]``, shape (T, R, K, A, M) = (IoU thresholds, 101 recall
            points, categories, 4 area ranges all/small/medium/large, maxDets); -1 = no GT.
        recall: ``eval["recall"]``, shape (T, K, A, M).
        iou_thrs: the T thresholds (``AP50`` / ``AP75`` pick the entries equal to .5 / .75).
        max_dets: the M detection caps; the default stats use the last as "100".
        category: a category *index* into the K axis, or ``None`` for all categories.

    Returns:
        ``float64`` array of 12 values in `STATS_NAMES` order; -1 where nothing is defined.

    >>> p = np.full((10, 101, 1, 4, 3), -1.0); r = np.full((10, 1, 4, 3), -1.0)
    >>> float(summarize(p, r)[0])
    -1.0
    """
    precision = np.asarray(precision, np.float64)
    recall = np.asarray(recall, np.float64)
    if category is not None:
        precision = precision[:, :, category: category + 1]
        recall = recall[:, category: category + 1]
    iou_thrs = np.asarray(iou_thrs)
    m_last = len(max_dets) - 1

    def mean(s: np.ndarray) -> float:
        valid = s[s > -1]
        return -1.0 if valid.size == 0 else float(np.mean(valid))

    def ap(area: int, thr: float | None = None) -> float:
        s = precision[..., area, m_last]
        if thr is not None:
            s = s[np.where(iou_thrs == thr)[0]]
        return mean(s)

    def ar(area: int, m: int) -> float:
        return mean(recall[:, :, area, m])

    return np.array([ap(0), ap(0, 0.5), ap(0, 0.75), ap(1), ap(2), ap(3),
                     ar(0, 0), ar(0, min(1, m_last)), ar(0, m_last), ar(1, m_last), ar(2, m_last),
                     ar(3, m_last)], np.float64)


def summarize_per_category(precision: np.ndarray, recall: np.ndarray,
                           iou_thrs: np.ndarray = IOU_THRS,
                           max_dets: Sequence[int] = (1, 10, 100)) -> np.ndarray:
    """`summarize` of every category at once: a (K, 12) ``float64`` array.

    Row k equals ``summarize(..., category=k)`` up to float summation order (~1e-16).
    """
    precision = np.asarray(precision, np.float64)
    recall = np.asarray(recall, np.float64)
    iou_thrs = np.asarray(iou_thrs)
    m_last = len(max_dets) - 1

    def mean_k(s: np.ndarray) -> np.ndarray:
        # s: (..., K); the mean of the values > -1 along every other axis, -1 when none.
        s = s.reshape(-1, s.shape[-1])
        valid = s > -1
        n = valid.sum(axis=0)
        total = np.where(valid, s, 0.0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, total / np.maximum(n, 1), -1.0)

    def ap(area: int, thr: float | None = None) -> np.ndarray:
        s = precision[..., area, m_last]
        if thr is not None:
            s = s[np.where(iou_thrs == thr)[0]]
        return mean_k(s)

    def ar(area: int, m: int) -> np.ndarray:
        return mean_k(recall[:, :, area, m])

    return np.stack([ap(0), ap(0, 0.5), ap(0, 0.75), ap(1), ap(2), ap(3),
                     ar(0, 0), ar(0, min(1, m_last)), ar(0, m_last), ar(1, m_last),
                     ar(2, m_last), ar(3, m_last)], axis=1)


def encode_mask(mask: np.ndarray) -> dict[str, Any]:
    """Binary mask (H, W) -> compressed COCO RLE with ``counts`` as ``str`` (results format)."""
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(np.asarray(mask, dtype=np.uint8)))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def decode_mask(rle: Mapping[str, Any]) -> np.ndarray:
    """Compressed COCO RLE (``counts`` as ``str`` or ``bytes``) -> bool mask (H, W)."""
    from pycocotools import mask as mask_utils

    counts = rle["counts"]
    obj = {"size": list(rle["size"]), "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
    return mask_utils.decode(obj).astype(bool)


def _hotcoco() -> Any:
    try:
        import hotcoco
    except ImportError:  # pragma: no cover - hotcoco is a dependency
        from seem_bench.errors import MissingDependencyError

        raise MissingDependencyError("AP needs the hotcoco package (pip install hotcoco)") from None
    return hotcoco


def _first_char(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(4096).lstrip()
    return head[:1].decode("latin-1")


def _check_gt(gt: Any, where: str | Path) -> None:
    if not isinstance(gt, Mapping) or not all(k in gt for k in ("images", "annotations", "categories")):
        raise DataError(where, "not a COCO instances JSON (needs images, annotations, categories)")


def _check_results(dt: Any, where: str | Path, iou_type: str) -> None:
    """The checks pycocotools makes (as asserts or crashes) that hotcoco does not, as errors."""
    if not isinstance(dt, Sequence) or isinstance(dt, str | bytes):
        raise DataError(where, "results must be a JSON list of detections")
    for i, d in enumerate(dt):
        if not isinstance(d, Mapping):
            raise DataError(where, f"result #{i} is not an object")
        for k in ("image_id", "category_id", "score"):
            if k not in d:
                raise DataError(where, f"result #{i} has no '{k}'")
        if "bbox" not in d and (iou_type == "bbox" or "segmentation" not in d):
            raise DataError(where, f"result #{i} has no '{'bbox' if iou_type == 'bbox' else 'segmentation'}'")
    _check_finite(dt, where)
    if dt and "bbox" in dt[0]:
        # pycocotools takes loadRes' box branch from the first result: then all need a bbox.
        for i, d in enumerate(dt):
            if "bbox" not in d:
                raise DataError(where, f"result #0 has a 'bbox' but result #{i} has none: "
                                       "pycocotools needs all or none")


def _check_finite(dt: Sequence[Any], where: str | Path) -> None:
    """Refuse a non-finite score, box coordinate or area, naming the first result that has one.

    pycocotools ranks ``Infinity`` first and ``-Infinity`` last; hotcoco loads them as null and
    gives another AP. Neither is a score a model meant, so such results are refused (as NaN is).
    """
    for i, d in enumerate(dt):
        if not isinstance(d, Mapping):
            continue
        for key in ("score", "area", "bbox"):
            value = d.get(key)
            values = value if key == "bbox" and isinstance(value, list | tuple) else [value]
            for v in values:
                if isinstance(v, float) and not math.isfinite(v):
                    raise DataError(where, f"result #{i} has a non-finite {key} ({v}); "
                                           "refusing to rank it (see docs/metrics.md)")


#: A JSON value (after ``:``, ``,`` or ``[``) that may be non-finite: Python's ``json`` writes
#: ``NaN``/``Infinity``; a positive exponent of 3+ digits can overflow to infinity. RLE strings
#: can hold look-alikes (their alphabet is ``0``..``o``), which only cost a Python parse.
_NON_FINITE_HINT = re.compile(rb"[:,\[]\s*-?(?:NaN|Infinity|\d+(?:\.\d*)?[eE]\+?\d{3,})")


def _check_finite_file(path: Path) -> None:
    """`_check_finite` on a results file, parsing it in Python only when a byte scan finds a hint
    (hotcoco parses the file itself; a second parse would double the run time)."""
    from seem_bench.data.io import read_bytes

    data = read_bytes(path, "results JSON")
    if not _NON_FINITE_HINT.search(data):
        return
    try:
        dt = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return  # hotcoco reports the syntax error with its position
    if isinstance(dt, list):
        _check_finite(dt, path)


def coco_evaluate(gt: str | Path | Mapping[str, Any], dt: str | Path | Sequence[Mapping[str, Any]],
                  iou_type: str = "segm") -> dict[str, Any]:
    """AP/AR of a results list against a COCO instances GT, as pycocotools computes them.

    Args:
        gt: ``instances_*.json`` path or the loaded dict.
        dt: results JSON path or list of ``{image_id, category_id, score, segmentation|bbox}``.
        iou_type: ``"segm"`` or ``"bbox"``.

    Returns:
        ``{"stats": [12 floats], "stats_names": [...], "per_category": {category_id:
        {"name": str, "stats": [12 floats]}}, "precision": array (T, R, K, A, M), "recall":
        array (T, K, A, M), "category_ids": [...]}`` (fractions, -1 = undefined).

    Raises:
        DataError: unreadable files, results for images not in the GT, missing fields.
    """
    if iou_type not in IOU_TYPES:
        raise UsageError(f"iou_type must be one of {IOU_TYPES}, not {iou_type!r}")
    hotcoco = _hotcoco()
    gt_where: str | Path = gt if isinstance(gt, str | Path) else "<gt>"
    dt_where: str | Path = dt if isinstance(dt, str | Path) else "<results>"
    with contextlib.redirect_stdout(io.StringIO()), _quiet_stderr():
        # Files go to hotcoco's Rust parser (parsing them in Python would double the run time).
        if isinstance(gt, str | Path):
            if not Path(gt).is_file():
                raise DataError(gt, "GT instances JSON not found")
            try:
                coco_gt = hotcoco.COCO(str(gt))
            except (ValueError, KeyError, TypeError, RuntimeError, OSError) as e:
                raise DataError(gt, f"cannot read GT instances JSON: {_first_line(e)}") from None
            categories = coco_gt.load_cats(coco_gt.get_cat_ids())
        else:
            _check_gt(gt, gt_where)
            try:
                coco_gt = hotcoco.COCO(dict(gt))
            except (ValueError, KeyError, TypeError, RuntimeError) as e:
                raise DataError(gt_where, f"bad GT instances: {_first_line(e)}") from None
            categories = list(gt["categories"])
        if isinstance(dt, str | Path):
            if not Path(dt).is_file():
                raise DataError(dt, "results JSON not found")
            if _first_char(Path(dt)) != "[":
                raise DataError(dt, "results must be a JSON list of detections")
            _check_finite_file(Path(dt))
            if iou_type == "segm":
                # The results' RLE sizes must be their GT images' (hotcoco would decode them at
                # the wrong size and report a wrong AP): the one check that needs a Python parse.
                _check_rle_sizes(_parsed(Path(dt)), _image_sizes(coco_gt), dt_where)
            src: Any = str(dt)
        else:
            _check_results(dt, dt_where, iou_type)
            if iou_type == "segm":
                _check_rle_sizes(dt, _image_sizes(coco_gt), dt_where)
            src = list(dt)
        try:
            coco_dt = coco_gt.load_res(src)
        except (ValueError, KeyError, TypeError, RuntimeError, OSError) as e:
            raise DataError(dt_where, f"cannot read results: {_first_line(e)}") from None
        # hotcoco warns (and ignores) where pycocotools asserts; its load warnings are free to
        # read, a full healthcheck would cost ~2% of the run.
        for w in coco_dt.load_warnings:
            if "image_id" in w and "not in the GT" in w:
                raise DataError(dt_where, "results name image ids that are not in the GT "
                                          f"(pycocotools: 'Results do not correspond to current "
                                          f"coco set'): {w}")
        try:
            ev = hotcoco.COCOeval(coco_gt, coco_dt, iou_type)
            ev.evaluate()
            ev.accumulate()
        except (ValueError, KeyError, TypeError, RuntimeError) as e:
            raise DataError(dt_where, f"evaluation failed: {_first_line(e)}") from None
    e = ev.eval
    precision = np.asarray(e["precision"], np.float64)
    recall = np.asarray(e["recall"], np.float64)
    params = ev.params
    iou_thrs = np.asarray(params.iou_thrs, np.float64)
    max_dets = list(params.max_dets)
    cat_ids = list(params.cat_ids)
    names = {c["id"]: c.get("name", str(c["id"])) for c in categories}
    stats = summarize(precision, recall, iou_thrs, max_dets)
    per_k = summarize_per_category(precision, recall, iou_thrs, max_dets)
    per_cat = {c: {"name": names.get(c, str(c)), "stats": per_k[k].tolist()}
               for k, c in enumerate(cat_ids)}
    return {"stats": stats.tolist(), "stats_names": list(STATS_NAMES), "per_category": per_cat,
            "precision": precision, "recall": recall, "category_ids": cat_ids}


@contextlib.contextmanager
def _quiet_stderr() -> Any:
    """hotcoco prints its warnings to file descriptor 2 (they are read from ``load_warnings``
    instead): the user sees seem-bench's one line, not them beside it."""
    import os
    import sys

    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            with contextlib.redirect_stderr(io.StringIO()):
                yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _parsed(path: Path) -> Any:
    from seem_bench.data.io import read_json

    return read_json(path, "results JSON")


def _image_sizes(coco_gt: Any) -> dict[int, tuple[int, int]]:
    return {int(im["id"]): (int(im["height"]), int(im["width"]))
            for im in coco_gt.load_imgs(coco_gt.get_img_ids())}


def _check_rle_sizes(dt: Any, sizes: Mapping[int, tuple[int, int]], where: str | Path) -> None:
    """Refuse a segm result whose RLE ``size`` is not its GT image's (h, w), as `eval pq` refuses
    a PNG of the wrong size, or whose ``counts`` are malformed, negative or do not cover h*w
    (hotcoco would decode them into a wrong mask and report a wrong AP, silently)."""
    from seem_bench.data.fields import rle_strings_problem, segmentation_problem

    if not isinstance(dt, list):
        return
    strings: list[str] = []
    areas: list[int] = []
    index: list[int] = []
    for i, d in enumerate(dt):
        seg = d.get("segmentation") if isinstance(d, Mapping) else None
        if not isinstance(seg, Mapping) or d.get("image_id") not in sizes:
            continue
        size = seg.get("size")
        want = sizes[d["image_id"]]
        if not (isinstance(size, list | tuple) and len(size) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) for v in size)):
            raise DataError(where, f"result #{i}: segmentation 'size' must be [height, width], got {size!r:.40}")
        if tuple(size) != want:
            raise DataError(where, f"result #{i}: RLE size {size[0]}x{size[1]} (h x w) differs from GT image "
                                   f"{d['image_id']}'s {want[0]}x{want[1]}")
        counts = seg.get("counts")
        if isinstance(counts, str):  # checked together below: one numpy pass for all
            strings.append(counts)
            areas.append(want[0] * want[1])
            index.append(i)
        elif isinstance(counts, bytes):
            try:
                strings.append(counts.decode("ascii"))
            except UnicodeDecodeError:
                raise DataError(where, f"result #{i}: compressed RLE counts are not ASCII") from None
            areas.append(want[0] * want[1])
            index.append(i)
        else:
            why = segmentation_problem(dict(seg), *want)
            if why:
                raise DataError(where, f"result #{i}: {why}")
    bad = rle_strings_problem(strings, areas)
    if bad is not None:
        raise DataError(where, f"result #{index[bad[0]]}: {bad[1]}")


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


@dataclass
class DetectionAccumulator:
    """Streaming COCO AP: ``update`` per image, ``merge`` across workers, ``compute`` at the end.

    Holds the GT and detections of the images seen (RLE strings, a few hundred bytes each) and
    evaluates them in one exact pass at ``compute``; AP is not decomposable per image, so this is
    the only exact way (detectron2's COCOEvaluator gathers predictions the same way). Images
    keep their update order; GT annotation ids are assigned in that order.

    >>> acc = DetectionAccumulator([{"id": 1, "name": "a"}], iou_type="bbox")
    >>> acc.update({"id": 7, "height": 8, "width": 8},
    ...            [{"category_id": 1, "bbox": [0, 0, 4, 4], "area": 16, "iscrowd": 0}],
    ...            [{"category_id": 1, "bbox": [0, 0, 4, 4], "score": 0.5}])
    >>> round(acc.compute()["stats"][0], 12)
    1.0
    """

    categories: Sequence[Mapping[str, Any]]
    iou_type: str = "segm"
    images: list[dict[str, Any]] = field(default_factory=list)
    gt: list[dict[str, Any]] = field(default_factory=list)
    dt: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.iou_type not in IOU_TYPES:
            raise UsageError(f"iou_type must be one of {IOU_TYPES}, not {self.iou_type!r}")
        self.categories = [dict(c) for c in self.categories]

    def update(self, image: Mapping[str, Any], gt_anns: Sequence[Mapping[str, Any]],
               dt_anns: Sequence[Mapping[str, Any]]) -> None:
        """Add one image.

        Args:
            image: ``{"id", "height", "width"}``.
            gt_anns: COCO annotations (``category_id``, ``bbox``, ``area``, ``iscrowd``,
                ``segmentation`` as polygons / RLE / a bool (H, W) array).
            dt_anns: detections (``category_id``, ``score``, ``bbox`` and/or ``segmentation``
                as compressed RLE or a bool (H, W) array).
        """
        img = {k: image[k] for k in ("id", "height", "width")}
        self.images.append(img)
        for a in gt_anns:
            a = dict(a, image_id=img["id"])
            if isinstance(a.get("segmentation"), np.ndarray):
                a["segmentation"] = encode_mask(a["segmentation"])
            self.gt.append(a)
        for d in dt_anns:
            d = dict(d, image_id=img["id"])
            if isinstance(d.get("segmentation"), np.ndarray):
                d["segmentation"] = encode_mask(d["segmentation"])
            self.dt.append(d)

    def merge(self, other: DetectionAccumulator) -> DetectionAccumulator:
        """Append another accumulator's images; returns ``self``."""
        self.images.extend(other.images)
        self.gt.extend(other.gt)
        self.dt.extend(other.dt)
        return self

    def compute(self) -> dict[str, Any]:
        """`coco_evaluate` over everything seen (``precision``/``recall`` arrays dropped)."""
        anns = [dict(a, id=i + 1) for i, a in enumerate(self.gt)]
        res = coco_evaluate({"images": self.images, "annotations": anns,
                             "categories": list(self.categories)}, self.dt, self.iou_type)
        for k in ("precision", "recall"):
            res.pop(k)
        return res


class CocoApEvaluator(Evaluator):
    """Mask AP (fraction, ``COCOeval`` segm ``stats[0]``) of generic records' ``detections``.

    The GT is the dataset's COCO instances JSON recorded in the header (``instances_json``),
    re-read and checked against its recorded sha256, restricted to the evaluated images.
    Detections are kept until ``compute`` (AP ranks them all) and ordered by record key, so the
    result does not depend on the order of records. No detections or no instances file: no mAP.
    """

    name = "coco-ap"

    def __init__(self, header: Mapping[str, Any]) -> None:
        super().__init__(header)
        self.image_ids: set[int] = set()
        self.detections: list[tuple[str, int, list[dict]]] = []

    @classmethod
    def metric_specs(cls, params: Mapping[str, Any]) -> list[MetricSpec]:
        return [MetricSpec("mAP", "fraction", True, 1, "pycocotools COCOeval segm stats[0] (AP@[.5:.95])")]

    def update(self, record: Mapping[str, Any]) -> None:
        image_id = int(record["image_id"])
        self.image_ids.add(image_id)
        if record["detections"]:
            self.detections.append((record["key"], image_id, list(record["detections"])))

    def merge(self, other: Evaluator) -> CocoApEvaluator:
        assert isinstance(other, CocoApEvaluator)
        self.image_ids |= other.image_ids
        self.detections += other.detections
        return self

    def compute(self) -> dict[str, float]:

        from seem_bench.data.coco import instances_json
        from seem_bench.data.fingerprint import sha256_file

        ds = self.header["dataset"]
        gt_path = instances_json(Path(ds["root"]), ds.get("split"))
        if not gt_path.is_file() or not self.detections:
            return {}
        recorded = ds.get("instances_sha256")
        if recorded and sha256_file(gt_path) != recorded:
            raise DataError(gt_path, "changed since the run (sha256 differs from the run header)")
        from seem_bench.data.io import read_json

        gt = read_json(gt_path, "GT instances JSON")
        ids = self.image_ids
        gt = {"images": [im for im in gt["images"] if im["id"] in ids],
              "annotations": [a for a in gt["annotations"] if a["image_id"] in ids],
              "categories": gt["categories"]}
        dets = [{**d, "image_id": image_id} for _, image_id, ds_ in sorted(self.detections, key=lambda t: t[0])
                for d in ds_]
        return {"mAP": float(coco_evaluate(gt, dets, "segm")["stats"][0])}
