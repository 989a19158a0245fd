"""DAVIS video object segmentation: J (region IoU), F (boundary F-measure) and J&F.

Semi-supervised protocol of ``davis2017-evaluation`` (SPEC §3), reproduced rule by rule:

- objects of a sequence = 1..N with N = the largest label of the *first* GT frame (255 = void is
  set to 0 first); labels above N in later frames are background for every object;
- the first and the last frame are excluded; void pixels are *not* excluded (the reference
  passes ``None`` as void mask in this protocol);
- J per frame = |g∩p| / |g∪p|, 1 when the union is empty;
- F per frame: boundaries by `boundary_map` (1-px XOR with the E, S and SE neighbours),
  tolerance ``ceil(0.008·‖(H, W)‖)`` px, matched by dilating the other boundary with a disk
  (integer offsets with dx² + dy² ≤ r²); precision/recall with the reference's conventions for
  empty boundaries (both empty → 1/1, prediction empty → 1/0, GT empty → 0/1);
  F = 2PR/(P+R), 0 when P + R = 0;
- per object: Mean, Recall = fraction of frames > 0.5, Decay = mean of the first quarter of
  frames minus mean of the last quarter (bins from ``round(linspace(1, n, 5)) - 1`` cast to
  ``uint8`` as the reference does, which wraps past 256 frames);
- dataset: J-Mean etc. = means over all objects of all sequences; J&F-Mean = (J-Mean + F-Mean)/2;
- a result with more objects than the GT is an error (the reference exits); missing objects
  are empty masks.

DAVIS-interactive (``davisinteractive`` ``EvaluationService.summarize_report``): per-frame J and F
over *all* frames (`frame_scores`), averaged per (interaction, sequence, scribble, object);
missing interactions repeat the previous one at zero time; the curve of mean J&F against
cumulative mean time, extended to the global timeout; AUC = trapezoid area / last time;
J&F@60s = linear interpolation at 60 s. See `interactive_summary`.

Example::

    >>> gt = np.zeros((3, 8, 8), np.uint8); gt[:, 2:6, 2:6] = 1
    >>> acc = DavisAccumulator()
    >>> acc.update("seq", gt, gt)
    >>> acc.compute()["J&F-Mean"]
    1.0
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from seem_bench.errors import DataError
from seem_bench.metrics.contract import Evaluator, ExactSum, MetricSpec

BOUND_TH = 0.008
VOID_LABEL = 255

__all__ = [
    "DavisAccumulator",
    "DavisEvaluator",
    "DavisInteractiveAccumulator",
    "DavisInteractiveEvaluator",
    "boundary_map",
    "db_statistics",
    "disk_kernel",
    "evaluate_davis",
    "f_measure",
    "frame_scores",
    "group_report",
    "interactive_summary",
    "jaccard",
    "summary_from_groups",
]


# --------------------------------------------------------------------------- per frame
def jaccard(gt: np.ndarray, pred: np.ndarray, void: np.ndarray | None = None) -> np.ndarray:
    """Region similarity per frame: bool (..., H, W) masks -> (...) IoU; empty union -> 1.

    >>> jaccard(np.ones((2, 2), bool), np.zeros((2, 2), bool))
    array(0.)
    """
    gt = np.asarray(gt, bool)
    pred = np.asarray(pred, bool)
    keep = True if void is None else ~np.asarray(void, bool)
    inter = np.count_nonzero(gt & pred & keep, axis=(-2, -1))
    union = np.count_nonzero((gt | pred) & keep, axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        j = np.where(union == 0, 1.0, inter / np.maximum(union, 1))
    return np.asarray(j, np.float64)


def boundary_map(seg: np.ndarray) -> np.ndarray:
    """1-px boundary of a mask (H, W), the Martin et al. ``seg2bmap`` rule of the DAVIS code.

    A pixel is a boundary pixel when it differs from its east, south or south-east neighbour
    (outside the image counts as background); in the last row only the east neighbour is
    compared, in the last column only the south one, and the bottom-right pixel never is.

    >>> boundary_map(np.array([[0, 1], [0, 0]], bool)).astype(int)
    array([[1, 1],
           [0, 0]])
    """
    s = np.asarray(seg, bool)
    h, w = s.shape
    east = np.zeros_like(s)
    south = np.zeros_like(s)
    se = np.zeros_like(s)
    east[:, :-1] = s[:, 1:]
    south[:-1, :] = s[1:, :]
    se[:-1, :-1] = s[1:, 1:]
    b = (s ^ east) | (s ^ south) | (s ^ se)
    b[-1, :] = s[-1, :] ^ east[-1, :]
    b[:, -1] = s[:, -1] ^ south[:, -1]
    b[-1, -1] = False
    return b


def disk_kernel(radius: float) -> np.ndarray:
    """Structuring element: offsets (dx, dy) from ``arange(-radius, radius + 1)`` with
    dx² + dy² ≤ radius², ``uint8`` (the same disk as ``skimage.morphology.disk``)."""
    axis = np.arange(-radius, radius + 1)
    x, y = np.meshgrid(axis, axis)
    return ((x ** 2 + y ** 2) <= radius ** 2).astype(np.uint8)


def bound_pixels(shape: tuple[int, int], bound_th: float = BOUND_TH) -> float:
    """The boundary tolerance in pixels: ``bound_th`` if ≥ 1, else ceil(bound_th·‖(H, W)‖)."""
    return bound_th if bound_th >= 1 else float(np.ceil(bound_th * np.linalg.norm(shape)))


def _f_from_boundaries(fg_b: np.ndarray, gt_b: np.ndarray, kernel: np.ndarray) -> float:
    n_fg = int(np.count_nonzero(fg_b))
    n_gt = int(np.count_nonzero(gt_b))
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1.0, 0.0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0.0, 1.0
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    else:
        # Dilation only matters at boundary pixels, and all of them lie in the union's bounding
        # box; dilating that crop gives the same values there (outside counts as empty).
        rows = np.flatnonzero((fg_b | gt_b).any(axis=1))
        cols = np.flatnonzero((fg_b | gt_b).any(axis=0))
        sl = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        fg_c = fg_b[sl].view(np.uint8)
        gt_c = gt_b[sl].view(np.uint8)
        fg_dil = cv2.dilate(fg_c, kernel)
        gt_dil = cv2.dilate(gt_c, kernel)
        precision = np.count_nonzero(fg_c & gt_dil) / n_fg
        recall = np.count_nonzero(gt_c & fg_dil) / n_gt
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def f_measure(gt: np.ndarray, pred: np.ndarray, void: np.ndarray | None = None,
              bound_th: float = BOUND_TH) -> float:
    """Boundary F-measure of one frame: bool (H, W) masks, optional void mask.

    >>> m = np.zeros((10, 10), bool); m[3:7, 3:7] = True
    >>> f_measure(m, m)
    1.0
    """
    gt = np.asarray(gt, bool)
    pred = np.asarray(pred, bool)
    if void is not None:
        keep = ~np.asarray(void, bool)
        gt, pred = gt & keep, pred & keep
    kernel = disk_kernel(bound_pixels(gt.shape, bound_th))
    return _f_from_boundaries(boundary_map(pred), boundary_map(gt), kernel)


def _frame_object_scores(g: np.ndarray, p: np.ndarray, n_objects: int, kernel: np.ndarray,
                         ) -> tuple[np.ndarray, np.ndarray]:
    """J and F of objects 1..n in one frame of label maps (H, W): two (n,) arrays.

    Each object is scored inside the bounding box of its GT and predicted pixels grown by one
    pixel: every boundary pixel of either mask lies there (a pixel outside a mask is a boundary
    pixel only next to it, up or left), and a crop edge inside the image borders a mask-free
    row or column, where the reference's last-row / last-column rules and the general rule
    agree. So the numbers equal full-frame ones.
    """
    h, w = g.shape
    j = np.ones(n_objects)
    f = np.ones(n_objects)
    for k in range(1, n_objects + 1):
        gm = g == k
        pm = p == k
        # cv2.boundingRect on an 8-bit image: the box of its non-zero pixels, (0, 0, 0, 0) if none.
        bx = [b for b in (cv2.boundingRect(gm.view(np.uint8)), cv2.boundingRect(pm.view(np.uint8)))
              if b[2] > 0]
        if not bx:
            continue  # both empty: J = 1 (empty union), F = 1 (no boundary on either side)
        x0 = max(min(b[0] for b in bx) - 1, 0)
        y0 = max(min(b[1] for b in bx) - 1, 0)
        x1 = min(max(b[0] + b[2] for b in bx) + 1, w)
        y1 = min(max(b[1] + b[3] for b in bx) + 1, h)
        gk = gm[y0:y1, x0:x1]
        pk = pm[y0:y1, x0:x1]
        inter = np.count_nonzero(gk & pk)
        j[k - 1] = inter / (np.count_nonzero(gk) + np.count_nonzero(pk) - inter)
        f[k - 1] = _f_from_boundaries(boundary_map(pk), boundary_map(gk), kernel)
    return j, f


def frame_scores(gt_labels: np.ndarray, pred_labels: np.ndarray, n_objects: int,
                 bound_th: float = BOUND_TH) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame, per-object J and F of label maps (T, H, W): two (T, n_objects) arrays.

    Object k is the pixels equal to k (k = 1..n_objects); other labels (including 255) are
    background for every object. This is ``davisinteractive``'s ``batched_jaccard`` /
    ``batched_f_measure`` with ``nb_objects`` given, and per object the ``davis2017`` J and F.
    """
    gt_labels = np.asarray(gt_labels)
    pred_labels = np.asarray(pred_labels)
    if gt_labels.shape != pred_labels.shape or gt_labels.ndim != 3:
        raise ValueError(f"label stacks must be (T, H, W) and equal: {gt_labels.shape} vs "
                         f"{pred_labels.shape}")
    t = gt_labels.shape[0]
    j = np.ones((t, n_objects))
    f = np.ones((t, n_objects))
    if t == 0 or n_objects == 0:
        return j, f
    kernel = disk_kernel(bound_pixels(gt_labels.shape[1:], bound_th))
    for i in range(t):
        j[i], f[i] = _frame_object_scores(gt_labels[i], pred_labels[i], n_objects, kernel)
    return j, f


# --------------------------------------------------------------------------- statistics
def db_statistics(values: np.ndarray) -> tuple[float, float, float]:
    """Mean, recall (fraction > 0.5) and decay of per-frame values, as ``davis2017`` computes.

    Decay = nanmean(first bin) − nanmean(fourth bin) over 4 bins bounded by
    ``round(linspace(1, n, 5) + 1e-10) - 1`` cast to ``uint8`` (the reference's cast, kept: it
    wraps for sequences over 256 frames). Empty input gives NaN.

    >>> db_statistics(np.array([1.0, 1.0, 0.0, 0.0]))
    (0.5, 0.5, 1.0)
    """
    x = np.asarray(values, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        mean = float(np.nanmean(x))
        recall = float(np.nanmean(x > 0.5))
        ids = (np.round(np.linspace(1, len(x), 5) + 1e-10) - 1).astype(np.uint8)
        bins = [x[ids[i]: ids[i + 1] + 1] for i in range(4)]
        decay = float(np.nanmean(bins[0]) - np.nanmean(bins[3]))
    return mean, recall, decay


# --------------------------------------------------------------------------- accumulator
@dataclass
class DavisAccumulator:
    """Streaming DAVIS J&F: ``update`` per sequence, ``merge`` across workers, ``compute``.

    Holds six numbers per object (J and F Mean/Recall/Decay); ``compute`` returns
    ``{"J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay",
    "objects", "per_object": {"<seq>_<k>": {"J-Mean", "F-Mean", "J&F-Mean"}}}`` as fractions.
    An empty accumulator gives NaN for every number.
    """

    bound_th: float = BOUND_TH
    exclude_first_last: bool = True
    objects: dict[str, tuple[float, float, float, float, float, float]] = field(default_factory=dict)

    def update(self, sequence: str, gt_labels: np.ndarray, pred_labels: np.ndarray,
               n_objects: int | None = None) -> None:
        """Add one sequence.

        Args:
            sequence: name; objects are keyed ``"<sequence>_<k>"``.
            gt_labels: GT label maps (T, H, W), all frames, 255 = void.
            pred_labels: predicted label maps (T, H, W) for the same frames (the first and
                last are ignored when ``exclude_first_last``).
            n_objects: default = the largest label of the first GT frame (void excluded).
        """
        gt = np.asarray(gt_labels)
        pred = np.asarray(pred_labels)
        if gt.shape != pred.shape:
            raise DataError(sequence, f"prediction frames {pred.shape} differ from the GT {gt.shape}")
        if n_objects is None:
            first = gt[0]
            n_objects = int(np.max(np.where(first == VOID_LABEL, 0, first))) if first.size else 0
        if self.exclude_first_last:
            gt, pred = gt[1:-1], pred[1:-1]
        if pred.size:
            top = int(np.max(pred))
            if top > n_objects:
                raise DataError(sequence, f"prediction uses object index {top} but the GT first "
                                          f"frame has {n_objects} object(s)")
        j, f = frame_scores(gt, pred, n_objects, self.bound_th)
        self.add_scores(sequence, j, f)

    def add_scores(self, sequence: str, j: np.ndarray, f: np.ndarray) -> None:
        """Add one sequence from its evaluated frames' J and F, two (T, n_objects) arrays."""
        for k in range(j.shape[1]):
            self.objects[f"{sequence}_{k + 1}"] = db_statistics(j[:, k]) + db_statistics(f[:, k])

    def merge(self, other: DavisAccumulator) -> DavisAccumulator:
        self.objects.update(other.objects)
        return self

    def compute(self) -> dict[str, Any]:
        vals = np.array(list(self.objects.values()), np.float64).reshape(-1, 6)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            m = vals.mean(axis=0) if len(vals) else np.full(6, np.nan)
        out = {"J&F-Mean": float((m[0] + m[3]) / 2),
               "J-Mean": float(m[0]), "J-Recall": float(m[1]), "J-Decay": float(m[2]),
               "F-Mean": float(m[3]), "F-Recall": float(m[4]), "F-Decay": float(m[5]),
               "objects": len(vals)}
        out["per_object"] = {k: {"J-Mean": v[0], "F-Mean": v[3], "J&F-Mean": (v[0] + v[3]) / 2}
                             for k, v in self.objects.items()}
        return out


# --------------------------------------------------------------------------- files
def _read_index_png(path: Path) -> np.ndarray:
    from seem_bench.data.io import open_image

    if not Path(path).exists():
        raise DataError(path, "mask PNG not found")
    try:
        # Header first: a PNG declaring more than --max-pixels is refused before decoding.
        with open_image(Path(path), "mask PNG", unreadable="cannot read mask PNG") as im:
            arr = np.asarray(im)
    except DataError:
        raise
    except OSError as e:
        raise DataError(path, f"cannot read mask PNG ({e})") from None
    if arr.ndim != 2:
        raise DataError(path, f"mask must be an indexed (palette) or greyscale PNG, got shape {arr.shape}")
    return arr


def _eval_sequences(args: tuple[list[str], str, str, float]) -> dict[str, tuple]:
    seqs, ann_root, res_root, bound_th = args
    acc = DavisAccumulator(bound_th=bound_th)
    for seq in seqs:
        seq_dir = Path(ann_root) / seq
        names = sorted(p.name for p in seq_dir.glob("*.png")) if seq_dir.is_dir() else []
        if not names:
            raise DataError(seq_dir, "no GT annotation PNGs for this sequence")
        first = _read_index_png(seq_dir / names[0])
        n_objects = int(np.max(np.where(first == VOID_LABEL, 0, first)))
        kernel = disk_kernel(bound_pixels(first.shape, bound_th))
        evaluated = names[1:-1]
        j = np.ones((len(evaluated), n_objects))
        f = np.ones((len(evaluated), n_objects))
        # Frame by frame: a 480p video held whole would be ~30 MB per label stack.
        for i, n in enumerate(evaluated):
            g = _read_index_png(seq_dir / n)
            res_path = Path(res_root) / seq / n
            p = _read_index_png(res_path)
            if p.shape != first.shape or g.shape != first.shape:
                raise DataError(res_path, f"size {p.shape} differs from the GT {first.shape}")
            if p.size and int(p.max()) > n_objects:
                raise DataError(res_path, f"prediction uses object index {int(p.max())} but the GT "
                                          f"first frame has {n_objects} object(s)")
            j[i], f[i] = _frame_object_scores(g, p, n_objects, kernel)
        acc.add_scores(seq, j, f)
    return acc.objects


def evaluate_davis(davis_root: str | Path, results: str | Path, subset: str = "val",
                   resolution: str = "480p", year: str = "2017",
                   sequences: Sequence[str] | None = None, workers: int | None = None,
                   bound_th: float = BOUND_TH) -> dict[str, Any]:
    """Semi-supervised J&F of a results folder, like ``davis2017-evaluation``.

    Args:
        davis_root: folder with ``Annotations/<resolution>/<seq>/*.png`` and
            ``ImageSets/<year>/<subset>.txt``.
        results: folder with ``<seq>/<frame>.png`` indexed PNGs (frames named as the GT; the
            first and last frame need not exist).
        subset: ``val``, ``train``, ... (the ImageSets list); ignored when ``sequences`` given.
        workers: processes over sequences (default ``os.cpu_count()``; 1 = in process).

    Returns: `DavisAccumulator.compute`'s dict, plus ``"sequences"``.
    """
    root = Path(davis_root)
    ann_root = root / "Annotations" / resolution
    if not ann_root.is_dir():
        raise DataError(ann_root, "DAVIS annotations folder not found")
    if not Path(results).is_dir():
        raise DataError(results, "results folder not found")
    if sequences is None:
        lst = root / "ImageSets" / year / f"{subset}.txt"
        if not lst.is_file():
            raise DataError(lst, f"sequence list for subset {subset!r} not found")
        from seem_bench.data.io import read_lines

        sequences = read_lines(lst)
    if not sequences:
        raise DataError(root, "no sequences to evaluate")
    seqs = list(sequences)
    workers = (os.cpu_count() or 1) if workers is None else max(1, int(workers))
    workers = min(workers, len(seqs))
    acc = DavisAccumulator(bound_th=bound_th)
    chunks = [seqs[i::workers] for i in range(workers)]
    args = [(c, str(ann_root), str(results), bound_th) for c in chunks]
    if workers == 1:
        parts = [_eval_sequences(args[0])]
    else:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_eval_sequences, args))
    # Keep the sequence-list order of objects (only the per-object listing shows it).
    merged: dict[str, tuple] = {}
    for part in parts:
        merged.update(part)
    order = {s: i for i, s in enumerate(seqs)}
    acc.objects = dict(sorted(merged.items(),
                              key=lambda kv: (order[kv[0].rsplit("_", 1)[0]], int(kv[0].rsplit("_", 1)[1]))))
    out = acc.compute()
    out["sequences"] = len(seqs)
    return out


# --------------------------------------------------------------------------- interactive
def interactive_summary(report: Iterable[Mapping[str, Any]],
                        sequences: Mapping[str, tuple[int, int]],
                        max_t: float | None = None, max_i: int | None = None,
                        metric: str = "J_AND_F", time_threshold: float = 60.0) -> dict[str, Any]:
    """``davisinteractive`` ``EvaluationService.summarize_report`` on a report of rows.

    Args:
        report: rows ``{sequence, scribble_idx, interaction, object_id, frame, jaccard,
            contour, timing}`` (one per frame and object of each interaction; ``timing`` = the
            interaction's seconds).
        sequences: the evaluated subset, ``{name: (num_scribbles, num_objects)}``, in order.
        max_t: per-object time budget in seconds (the global timeout = mean objects per
            sequence × max_t); without it, the timeout = interactions × the largest mean timing.
        max_i: interactions evaluated (default: the largest in the report).
        metric: ``"J"``, ``"F"`` or ``"J_AND_F"``.
        time_threshold: where the curve is read (60 s in the challenge).

    Returns:
        ``{"AUC", "<metric>@<t>s", "curve": {"time": [...], "<metric>": [...]}}``.
    """
    return summary_from_groups(group_report(report), sequences, max_t, max_i, metric, time_threshold)


def group_report(report: Iterable[Mapping[str, Any]]) -> dict[tuple, np.ndarray]:
    """Mean over frames per (interaction, sequence, scribble, object): ``[J, F, J&F, timing]``.

    Rows of one key are summed in report order, as ``summarize_report``'s groupby-mean does.
    """
    sums: dict[tuple, np.ndarray] = {}
    counts: dict[tuple, int] = {}
    for r in report:
        key = (int(r["interaction"]), r["sequence"], int(r["scribble_idx"]), int(r["object_id"]))
        j, fv = float(r["jaccard"]), float(r["contour"])
        row = np.array([j, fv, 0.5 * j + 0.5 * fv, float(r["timing"])])
        if key in sums:
            sums[key] += row
            counts[key] += 1
        else:
            sums[key] = row
            counts[key] = 1
    return {k: v / counts[k] for k, v in sums.items()}


def summary_from_groups(grouped: Mapping[tuple, np.ndarray], sequences: Mapping[str, tuple[int, int]],
                        max_t: float | None = None, max_i: int | None = None,
                        metric: str = "J_AND_F", time_threshold: float = 60.0) -> dict[str, Any]:
    """`interactive_summary` from `group_report`'s per-object means (see there)."""
    col = {"J": 0, "F": 1, "J_AND_F": 2}.get(metric)
    if col is None:
        raise ValueError(f"metric must be J, F or J_AND_F, not {metric!r}")
    n_i = max_i or (max(k[0] for k in grouped) if grouped else 1)
    # Rebuild every (interaction, sequence, scribble, object): a missing interaction of a
    # (sequence, scribble) repeats the previous results with zero time.
    full: dict[tuple, np.ndarray] = {}
    for seq, (n_scr, n_obj) in sequences.items():
        for s in range(1, n_scr + 1):
            prev = np.zeros((n_obj, 4))
            for it in range(1, n_i + 1):
                block = [grouped.get((it, seq, s, o + 1)) for o in range(n_obj)]
                if any(b is None or np.isnan(b).any() for b in block):
                    prev = prev.copy()
                    prev[:, 3] = 0.0
                    block_arr = prev
                else:
                    block_arr = np.array(block).reshape(n_obj, 4)
                    prev = block_arr
                for o in range(n_obj):
                    full[(it, seq, s, o + 1)] = block_arr[o]
    n_rows = [(it, np.array([v for k, v in full.items() if k[0] == it])) for it in range(1, n_i + 1)]
    metric_curve = [0.0]
    mean_timing = []
    for _, rows in n_rows:
        metric_curve.append(float(rows[:, col].mean()) if len(rows) else float("nan"))
    # Time axis: timing averaged per (sequence, scribble) first, then over them.
    for it in range(1, n_i + 1):
        per_sample = []
        for seq, (n_scr, n_obj) in sequences.items():
            for s in range(1, n_scr + 1):
                per_sample.append(np.mean([full[(it, seq, s, o + 1)][3] for o in range(n_obj)]))
        mean_timing.append(float(np.mean(per_sample)) if per_sample else float("nan"))
    time = np.concatenate(([0.0], np.cumsum(mean_timing)))
    if max_t:
        n_obj_total = sum(n_obj for _, n_obj in sequences.values())
        timeout = n_obj_total / len(sequences) * max_t
    else:
        top = max((v[3] for v in grouped.values()), default=float("nan"))
        timeout = n_i * top
    time = np.concatenate((time, [timeout]))
    curve = np.array(metric_curve + metric_curve[-1:])
    at = float(np.interp(time_threshold, time, curve))
    # Trapezoid rule written out (np.trapz is gone from numpy 2.4, np.trapezoid absent before 2.0).
    area = float((np.diff(time) * (curve[1:] + curve[:-1]) / 2.0).sum())
    auc = 0.0 if time.max() == 0 else area / float(time.max())
    label = {"J": "J", "F": "F", "J_AND_F": "J&F"}[metric]
    t_label = f"{time_threshold:g}"
    return {"AUC": auc, f"{label}@{t_label}s": at,
            "curve": {"time": time.tolist(), label: curve.tolist()}}


@dataclass
class DavisInteractiveAccumulator:
    """Rows of a DAVIS-interactive report; ``update`` per interaction, ``merge``, ``compute``.

    ``compute(sequences, ...)`` is `interactive_summary` over the rows.
    """

    bound_th: float = BOUND_TH
    rows: list[dict[str, Any]] = field(default_factory=list)

    def update(self, sequence: str, scribble_idx: int, interaction: int, timing: float,
               gt_labels: np.ndarray, pred_labels: np.ndarray, n_objects: int) -> None:
        """Score one interaction's predicted masks (T, H, W) on every frame."""
        j, f = frame_scores(gt_labels, pred_labels, n_objects, self.bound_th)
        for t in range(j.shape[0]):
            for k in range(n_objects):
                self.rows.append({"sequence": sequence, "scribble_idx": scribble_idx,
                                  "interaction": interaction, "object_id": k + 1, "frame": t,
                                  "jaccard": float(j[t, k]), "contour": float(f[t, k]),
                                  "timing": float(timing)})

    def merge(self, other: DavisInteractiveAccumulator) -> DavisInteractiveAccumulator:
        self.rows.extend(other.rows)
        return self

    def compute(self, sequences: Mapping[str, tuple[int, int]], max_t: float | None = None,
                max_i: int | None = None, metric: str = "J_AND_F",
                time_threshold: float = 60.0) -> dict[str, Any]:
        return interactive_summary(self.rows, sequences, max_t, max_i, metric, time_threshold)



# --------------------------------------------------------------------------- evaluators
_DAVIS17 = "davis2017-evaluation (semi-supervised)"


class DavisEvaluator(Evaluator):
    """J&F / J / F Mean, Recall, Decay of video records (``J``, ``F``: per frame 1..T-1).

    The last frame is dropped here (records hold frames 1..T-1, the first being the prompt), as
    davis2017-evaluation drops the first and last. State: six exact sums over objects.
    """

    name = "davis"
    KEYS = ("J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay")

    def __init__(self, header: Mapping[str, Any]) -> None:
        super().__init__(header)
        self.sums = [ExactSum() for _ in self.KEYS]
        self.objects = 0

    @classmethod
    def metric_specs(cls, params: Mapping[str, Any]) -> list[MetricSpec]:
        return [MetricSpec("J&F-Mean", "fraction", True, 1, f"{_DAVIS17}: mean over objects of (J+F)/2"),
                *(MetricSpec(k, "fraction", not k.endswith("Decay"), 1, _DAVIS17) for k in cls.KEYS),
                MetricSpec("objects", "count", True, 0, "objects evaluated")]

    def update(self, record: Mapping[str, Any]) -> None:
        stats = db_statistics(np.asarray(record["J"][:-1])) + db_statistics(np.asarray(record["F"][:-1]))
        for total, v in zip(self.sums, stats, strict=True):
            total.add(v)
        self.objects += 1

    def merge(self, other: Evaluator) -> DavisEvaluator:
        assert isinstance(other, DavisEvaluator)
        for mine, theirs in zip(self.sums, other.sums, strict=True):
            mine.merge(theirs)
        self.objects += other.objects
        return self

    def compute(self) -> dict[str, float]:
        n = self.objects
        m = [t.value() / n if n else float("nan") for t in self.sums]
        return {"J&F-Mean": (m[0] + m[3]) / 2, **dict(zip(self.KEYS, m, strict=True)), "objects": n}


class DavisInteractiveEvaluator(Evaluator):
    """AUC, J&F@<t>s and J&F@<k>int of davis-interactive session records (``rounds`` with per-frame
    ``J``/``F`` per object and the round's ``timing``), as davisinteractive's ``summarize_report``.

    State: the per-(interaction, sequence, scribble, object) means, a few numbers per session.
    Parameters: ``max_t``, ``time_threshold``, ``max_interactions``, ``clock`` (``interactions``
    counts each round as 1 s, so the time axis is reproducible).
    """

    name = "davis-interactive"

    def __init__(self, header: Mapping[str, Any]) -> None:
        super().__init__(header)
        self.grouped: dict[tuple, np.ndarray] = {}
        self.sequences: dict[str, tuple[int, int]] = {}

    @classmethod
    def metric_specs(cls, params: Mapping[str, Any]) -> list[MetricSpec]:
        p = params
        ref = "davisinteractive EvaluationService.summarize_report"
        t = f"{float(p.get('time_threshold', 60)):g}"
        return [MetricSpec("AUC", "fraction", True, 1, f"{ref}: area under J&F vs time"),
                MetricSpec(f"J&F@{t}s", "fraction", True, 1, f"{ref}: J&F at {t} s"),
                *(MetricSpec(f"J&F@{i}int", "fraction", True, 1, f"{ref}: J&F after {i} interactions")
                  for i in range(1, int(p.get("max_interactions", 8)) + 1))]

    def update(self, record: Mapping[str, Any]) -> None:
        seq, idx, n_obj = record["sample_id"], int(record["scribble_idx"]), int(record["n_objects"])
        n_scr, _ = self.sequences.get(seq, (0, n_obj))
        self.sequences[seq] = (max(n_scr, idx), n_obj)
        fixed = self.params.get("clock", "measured") == "interactions"
        rows = ({"sequence": seq, "scribble_idx": idx, "interaction": rd["interaction"], "object_id": k + 1,
                 "frame": t, "jaccard": jr[k], "contour": fr[k], "timing": 1.0 if fixed else rd["timing"]}
                for rd in record["rounds"]
                for t, (jr, fr) in enumerate(zip(rd["J"], rd["F"], strict=True))
                for k in range(n_obj))
        self.grouped.update(group_report(rows))

    def merge(self, other: Evaluator) -> DavisInteractiveEvaluator:
        assert isinstance(other, DavisInteractiveEvaluator)
        self.grouped.update(other.grouped)
        for seq, (n_scr, n_obj) in other.sequences.items():
            mine, _ = self.sequences.get(seq, (0, n_obj))
            self.sequences[seq] = (max(mine, n_scr), n_obj)
        return self

    def compute(self) -> dict[str, float]:
        if not self.grouped:
            return {}
        p = self.params
        res = summary_from_groups(self.grouped, dict(sorted(self.sequences.items())),
                                  max_t=float(p.get("max_t", 30)),
                                  time_threshold=float(p.get("time_threshold", 60)))
        curve = res.pop("curve")
        metrics = {k: float(v) for k, v in res.items()}
        for i, v in enumerate(curve["J&F"][1:-1], start=1):
            metrics[f"J&F@{i}int"] = float(v)
        return metrics
