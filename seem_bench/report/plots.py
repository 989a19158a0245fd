"""Figures: mIoU vs number of clicks (one curve per run, one panel per dataset) and a
qualitative panel (image, ground truth, prediction with the clicks) for chosen instances.

The curve comes from the per-instance records (``ious``, the last value carried forward after an
early stop, as the metrics do); a run without records falls back to its ``mIoU@k`` summary keys.
The qualitative panel draws the predictions the run stored (``run --save-masks final|all``, COCO
RLE in the records); without stored masks it says how to get them. Reports never run a model.

>>> png = curves_png([load_summary("runs/a"), load_summary("runs/b")])   # doctest: +SKIP
>>> png[:4]                                                              # doctest: +SKIP
b'\\x89PNG'
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seem_bench.errors import UsageError
from seem_bench.report.runs import load_records, run_dir_of, run_labels

_MIOU_AT = re.compile(r"^mIoU@(\d+)$")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window, work without a display
    import matplotlib.pyplot as plt

    return plt


def miou_curve(summary: dict[str, Any]) -> pd.Series:
    """Mean IoU (fraction) after k clicks, indexed by k; empty for non-interactive runs.

    >>> s = {"task": {"kind": "interactive", "params": {"max_rounds": 3}}, "metrics": {"mIoU@1": 0.5,
    ...      "mIoU@3": 0.9}, "_path": "/nonexistent/summary.json"}
    >>> miou_curve(s).to_dict()
    {1: 0.5, 3: 0.9}
    """
    if summary["task"].get("kind") != "interactive":
        return pd.Series(dtype=float)
    max_rounds = int(summary["task"].get("params", {}).get("max_rounds", 20))
    recs = [r for r in load_records(run_dir_of(summary), fingerprint=summary.get("fingerprint"))
            if r.get("status") == "ok" and r.get("ious") and not r.get("draw")]  # draw 0: deterministic
    if recs:
        padded = np.empty((len(recs), max_rounds))
        for i, r in enumerate(recs):
            row = r["ious"][:max_rounds]
            padded[i, : len(row)] = row
            padded[i, len(row):] = row[-1]
        return pd.Series(padded.mean(axis=0), index=pd.RangeIndex(1, max_rounds + 1), name="mIoU")
    points = {int(m.group(1)): v for k, v in summary["metrics"].items() if (m := _MIOU_AT.match(k))}
    return pd.Series(dict(sorted(points.items())), dtype=float, name="mIoU")


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def curves_png(summaries: Sequence[dict[str, Any]]) -> bytes:
    """PNG of mIoU (%) vs clicks: one subplot per dataset, one curve per run."""
    curves = [(s, miou_curve(s)) for s in summaries]
    curves = [(s, c) for s, c in curves if len(c)]
    if not curves:
        raise UsageError("no interactive run among the given runs: nothing to plot against clicks")
    datasets = list(dict.fromkeys(s["dataset"]["name"] for s, _ in curves))
    labels = run_labels([s for s, _ in curves])
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, len(datasets), figsize=(5.2 * len(datasets), 4), squeeze=False)
    for ax, name in zip(axes[0], datasets, strict=True):
        for (s, c), label in zip(curves, labels, strict=True):
            if s["dataset"]["name"] == name:
                ax.plot(c.index, 100 * c.to_numpy(), marker="o", markersize=3, label=label)
        ax.set(title=name, xlabel="number of clicks", ylabel="mIoU (%)", ylim=(0, 100))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    return _png(fig)


def _resolve_keys(records: list[dict[str, Any]], wanted: Sequence[str], where: Path) -> list[dict[str, Any]]:
    """Records for sample ids or ``sample/instance`` keys, in the order asked."""
    out = []
    for w in wanted:
        hits = [r for r in records if r["key"] == w or r.get("sample_id") == w]
        if not hits:
            known = ", ".join(r["key"] for r in records[:5])
            raise UsageError(f"{where}: no record for sample {w!r} (keys look like: {known}, ...)")
        out.extend(hits)
    return out


def _stored_mask(rec: dict[str, Any], k: int, run_dir: Path) -> np.ndarray:
    """The prediction the run stored for round ``k`` of ``rec`` (see ``run --save-masks``)."""
    from seem_bench.metrics.detection import decode_mask

    rounds = rec["rounds"]
    if "mask" in rounds[k - 1]:
        return decode_mask(rounds[k - 1]["mask"])
    if "mask" in rec and k == len(rounds):
        return decode_mask(rec["mask"])
    if "mask" in rec:
        raise UsageError(f"{run_dir}: the run stored only final masks ({len(rounds)} rounds for "
                         f"{rec['key']}); for round {k} rerun with `seem-bench run ... --save-masks all`")
    raise UsageError(f"{run_dir}: the records hold no predicted masks; rerun with `seem-bench run ... "
                     "--save-masks final` (or `--save-masks all` for --rounds) to draw them")


def _clicks(rec: dict[str, Any], k: int) -> list[Any]:
    from seem_bench.prompts.types import Click

    return [Click.from_json(rd["prompt"]["click"]) for rd in rec["rounds"][:k] if "click" in rd.get("prompt", {})]


def samples_png(summary: dict[str, Any], samples: Sequence[str], *, rounds: int | None = None,
                data_root: str | Path | None = None) -> bytes:
    """PNG panel, one row per instance: image + clicks, ground truth, prediction after ``rounds``.

    ``samples`` are sample ids (every instance of the sample) or ``sample/instance`` keys.
    ``rounds`` defaults to each instance's last recorded round. The prediction is the mask the
    run stored (``run --save-masks``); nothing is recomputed. Image and ground truth are read
    from the dataset (``data_root`` if it moved since the run).
    """
    from seem_bench.data.registry import load_dataset, resolve_root

    run_dir = run_dir_of(summary)
    recs = _resolve_keys(load_records(run_dir, fingerprint=summary.get("fingerprint")), samples, run_dir)
    for rec in recs:
        if rec.get("status") != "ok":
            raise UsageError(f"{run_dir}: record {rec['key']} failed ({rec.get('error', '')}); nothing to show")
    preds = []
    for rec in recs:
        k = min(rounds or len(rec["rounds"]), len(rec["rounds"]))
        preds.append((k, _stored_mask(rec, k, run_dir)))
    ds = summary["dataset"]
    root = resolve_root(ds["name"], data_root) if data_root else Path(ds.get("root", ""))
    dataset = load_dataset(ds["name"], root, ds.get("split"))
    by_id = {s.sample_id: s for s in dataset.samples}
    plt = _pyplot()
    fig, axes = plt.subplots(len(recs), 3, figsize=(11, 3.4 * len(recs)), squeeze=False)
    for row, rec, (k, pred) in zip(axes, recs, preds, strict=True):
        sample = by_id.get(rec["sample_id"])
        if sample is None:
            raise UsageError(f"{root}: sample {rec['sample_id']!r} is not in this dataset copy")
        inst_id = rec.get("instance_id", rec.get("unit"))
        inst = next((i for i in sample.instances if i.instance_id == inst_id), None)
        if inst is None:
            raise UsageError(f"{root}: no instance {inst_id!r} of sample {rec['sample_id']!r} in this dataset copy")
        gt = inst.mask()
        if pred.shape != gt.shape:
            raise UsageError(f"{root}: {rec['key']} is {gt.shape[1]}x{gt.shape[0]} here but the stored mask is "
                             f"{pred.shape[1]}x{pred.shape[0]}: not the dataset the run read")
        _draw_row(row, sample.image(), gt, inst.ignore(), pred, _clicks(rec, k), rec["key"], k,
                  rec["rounds"][k - 1]["iou"])
    return _png(fig)


def _draw_row(row, image, gt, ignore, pred, clicks, key, k, iou) -> None:
    def overlay(mask, color):
        out = image.astype(np.float32) / 255.0
        out[mask] = 0.45 * out[mask] + 0.55 * np.asarray(color)
        if ignore is not None:
            out[ignore] = 0.5 * out[ignore] + 0.5 * 0.6
        return out

    xs = [c.x for c in clicks]
    ys = [c.y for c in clicks]
    colors = ["#00c853" if c.positive else "#ff1744" for c in clicks]
    row[0].imshow(image)
    row[0].set_title(f"{key}: image + {len(clicks)} clicks", fontsize=9)
    row[1].imshow(overlay(gt, (0.1, 0.4, 1.0)))
    row[1].set_title("ground truth (grey: ignored)", fontsize=9)
    row[2].imshow(overlay(pred, (1.0, 0.75, 0.0)))
    row[2].set_title(f"stored prediction after {k} rounds, IoU {100 * iou:.1f}", fontsize=9)
    for ax in (row[0], row[2]):
        ax.scatter(xs, ys, c=colors, s=36, edgecolors="white", linewidths=1.2)
    for ax in row:
        ax.set_axis_off()
