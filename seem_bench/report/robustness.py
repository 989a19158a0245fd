"""Tables and figures of sampled-click runs (``--set gamma=G --set draws=K``).

- `robustness_table`: per run, deterministic vs ``sampled mean ± spread`` and the worst-of-K
  figure (from the ``robustness`` evaluator's ``<metric>/<stat>`` metrics of each summary, see
  `seem_bench.metrics.robustness`;
  the 5th/95th percentiles are there too, left out of the table to keep it readable), with one
  ranking-stability note per pair of runs that compare models on the same data under the same
  sampling.
- `noc_distribution_png`: per run, a box plot of the per-object NoC over all sampled draws, the
  deterministic run-level NoC marked beside it.
- `draw_clicks_png`: one object with the clicks of several draws (no model needed: clicks and
  IoUs are in the records).

Reports read what runs wrote: the statistics come from ``summary.json``; only the ranking
figure and the plots read the records (they need per-object values).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seem_bench.errors import UsageError
from seem_bench.metrics.robustness import nested, ranking_stability, value_table
from seem_bench.report.layouts import Table
from seem_bench.report.metric_info import decimals, to_display
from seem_bench.report.runs import load_records, run_dir_of

TABLE_METRICS = ("NoC@85", "NoC@90", "NoF@85", "NoF@90", "mIoU@5")
RANKING_METRIC = "NoC@90"


def robustness_of(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The summary's robustness statistics as one block (``None`` for a run without sampled
    draws): the ``robustness`` evaluator's flat ``<metric>/<stat>`` keys, regrouped."""
    rob = nested(summary.get("metrics") or {})
    return rob if rob is not None and rob["metrics"] else None


def _label(summary: dict[str, Any]) -> str:
    return f"{summary['model']['name']} · {summary['dataset']['name']} ({summary.get('run_id', '?')})"


def _num(key: str, v: float, summary: dict[str, Any]) -> str:
    """``key`` (``NoC@90/mean``) in display units with the decimals its `MetricSpec` declares
    (a mean of NoF counts: two)."""
    return f"{to_display(key, v, summary):.{decimals(key, summary)}f}"


def robustness_table(summaries: Sequence[dict[str, Any]], metrics: Sequence[str] = TABLE_METRICS
                     ) -> Table | None:
    """Deterministic and sampled columns side by side for every run with draws; ``None`` if none.

    Cells are strings already in display units: ``det``, ``sampled`` (mean ± spread) and
    ``worst-of-K``, with the units and decimals the ``robustness`` evaluator declares (a sampled
    NoF gets two decimals, being a mean of counts).
    """
    runs = [(s, rob) for s in summaries if (rob := robustness_of(s))]
    if not runs:
        return None
    rows, index = [], []
    for s, rob in runs:
        row = {}
        for m in metrics:
            st = rob["metrics"].get(m)
            if st is None:
                continue
            row[(m, "det")] = _num(f"{m}/deterministic", st["deterministic"], s)
            row[(m, "sampled")] = f"{_num(f'{m}/mean', st['mean'], s)} ± {_num(f'{m}/sd', st['sd'], s)}"
            row[(m, f"worst-of-{rob['draws']}")] = _num(f"{m}/worst", st["worst"], s)
        rows.append(row)
        index.append(_label(s))
    frame = pd.DataFrame(rows, index=pd.Index(index, name="run"))
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    sampling = {json_key(s) for s, _ in runs}
    notes = [f"{_label(s)}: {rob['draws']} draws, {rob['objects']} objects, "
             f"{describe_sampling(s)}" for s, rob in runs]
    notes.append("det: the deterministic protocol (draw 0); sampled: mean over draws ± per-object "
                 "SD averaged over objects; worst-of-K: each object's worst draw (summary.json "
                 "also holds the 5th/95th percentiles over draws)")
    if len(sampling) > 1:
        notes.append("runs differ in their sampling parameters: compare columns with care")
    notes.extend(stability_lines(summaries))
    return Table("Sampled clicks: deterministic vs sampled", frame,
                 {c: c[0] for c in frame.columns}, notes)


def json_key(summary: dict[str, Any]) -> str:
    """What makes two runs' draws comparable: dataset fingerprint, sampling, rounds, seed."""
    import json

    sampling = (summary.get("protocol") or {}).get("sampling")
    params = summary["task"].get("params") or {}
    return json.dumps([summary["dataset"].get("fingerprint"), sampling, params.get("max_rounds"),
                       summary.get("seed", params.get("seed")), (summary.get("protocol") or {}).get("name")],
                      sort_keys=True, default=str)


def describe_sampling(summary: dict[str, Any]) -> str:
    sp = (summary.get("protocol") or {}).get("sampling") or {}
    proto = (summary.get("protocol") or {}).get("name", "?")
    out = f"{proto} {sp.get('variant', 'sampled')}, gamma={sp.get('gamma')}, sigma={sp.get('sigma')}"
    return out


def stability_lines(summaries: Sequence[dict[str, Any]], metric: str = RANKING_METRIC,
                    n_boot: int = 1000) -> list[str]:
    """One line per pair of runs with draws on the same data and sampling (different models)."""
    runs = [s for s in summaries if robustness_of(s)]
    lines = []
    for a, b in combinations(runs, 2):
        if json_key(a) != json_key(b) or a["model"]["name"] == b["model"]["name"]:
            continue
        params = a["task"].get("params") or {}
        res = ranking_stability(load_records(run_dir_of(a), fingerprint=a.get("fingerprint")),
                                load_records(run_dir_of(b), fingerprint=b.get("fingerprint")), metric=metric,
                                max_rounds=int(params.get("max_rounds", 20)),
                                compare=params.get("compare", "ritm"), n_boot=n_boot)
        lines.append(stability_line(a["model"]["name"], b["model"]["name"], res))
    return lines


def stability_line(name_a: str, name_b: str, res: dict[str, Any]) -> str:
    """``ranking stability (NoC@90, ...): A beats B in x % of draws [95 % bootstrap CI ...]``."""
    head = f"ranking stability ({res['metric']}, {res['draws']} draws, {res['objects']} objects)"
    if res["win_rate"] is None:
        return f"{head}: {name_a} vs {name_b}: no common objects or draws"
    det = {1.0: f"{name_a} better", 0.0: f"{name_b} better", 0.5: "tie"}[res["deterministic"]]
    lo, hi = res["ci"]
    return (f"{head}: {name_a} beats {name_b} in {100 * res['win_rate']:.0f}% of draws "
            f"[95% bootstrap CI {100 * lo:.0f}–{100 * hi:.0f}%]; deterministic: {det}")


def _pyplot():
    from seem_bench.report.plots import _pyplot as plt

    return plt()


def noc_distribution_png(summaries: Sequence[dict[str, Any]], metric: str = RANKING_METRIC) -> bytes:
    """PNG box plot of per-object ``metric`` (NoC@t) over all sampled draws, one box per run,
    the deterministic run-level number as a red diamond."""
    from seem_bench.report.plots import _png

    data, labels, det = [], [], []
    for s in summaries:
        if not robustness_of(s):
            continue
        params = s["task"].get("params") or {}
        _, table = value_table(load_records(run_dir_of(s), fingerprint=s.get("fingerprint")),
                               int(params.get("max_rounds", 20)), params.get("compare", "ritm"))
        vals = table[metric]
        if not len(vals):
            continue
        data.append(vals[:, 1:].ravel())
        det.append(float(vals[:, 0].mean()))
        labels.append(f"{s['model']['name']}\n{s['dataset']['name']}")
    if not data:
        raise UsageError("no run with sampled draws (--set gamma=G --set draws=K) among the given runs")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(data), 4))
    ax.boxplot(data, whis=(5, 95), showmeans=True)
    ax.scatter(range(1, len(data) + 1), det, marker="D", color="#d50000", zorder=3,
               label="deterministic (mean)")
    ax.set_xticks(range(1, len(data) + 1), labels, fontsize=8)
    ax.set_ylabel(f"{metric} per object, all draws")
    ax.set_title(f"{metric} distribution over sampled clicks (whiskers 5–95 %, ▲ mean)", fontsize=9)
    ax.legend(fontsize=8, loc="upper right")
    return _png(fig)


def draw_clicks_png(summary: dict[str, Any], key: str | None = None, draws: int = 4,
                    data_root: str | Path | None = None) -> bytes:
    """PNG of one object (``sample/instance``; default: the first) with the clicks of draw 0 and
    up to ``draws`` sampled draws, one panel each; green positive, red negative, numbered."""
    from seem_bench.data.registry import load_dataset, resolve_root
    from seem_bench.report.plots import _png

    recs = [r for r in load_records(run_dir_of(summary), fingerprint=summary.get("fingerprint")) if r.get("status") == "ok"]
    base = key or next((r["key"] for r in recs if not r.get("draw")), None)
    if base is None:
        raise UsageError(f"{run_dir_of(summary)}: no finished record to draw")
    chosen = sorted((r for r in recs if r["key"].split("#")[0] == base), key=lambda r: r.get("draw") or 0)
    if not chosen:
        raise UsageError(f"{run_dir_of(summary)}: no record {base!r} (keys look like "
                         f"{', '.join(r['key'] for r in recs[:3])})")
    chosen = chosen[: draws + 1]
    ds = summary["dataset"]
    root = resolve_root(ds["name"], data_root) if data_root else Path(ds.get("root", ""))
    dataset = load_dataset(ds["name"], root, ds.get("split"))
    sample = next((s for s in dataset.samples if s.sample_id == chosen[0]["sample_id"]), None)
    if sample is None:
        raise UsageError(f"{root}: sample {chosen[0]['sample_id']!r} is not in this dataset copy")
    inst = next(i for i in sample.instances if i.instance_id == chosen[0]["instance_id"])
    image, gt = sample.image().astype(np.float32) / 255.0, inst.mask()
    shown = image.copy()
    shown[gt] = 0.55 * shown[gt] + 0.45 * np.array([0.1, 0.4, 1.0])
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(chosen), figsize=(3.3 * len(chosen), 3.4), squeeze=False)
    for ax, rec in zip(axes[0], chosen, strict=True):
        clicks = [rd["prompt"]["click"] for rd in rec["rounds"] if "click" in rd["prompt"]]
        ax.imshow(shown)
        for n, (x, y, pos) in enumerate(clicks, 1):
            ax.scatter([x], [y], c="#00c853" if pos else "#ff1744", s=40, edgecolors="white", linewidths=1)
            ax.annotate(str(n), (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7, color="white")
        d = rec.get("draw") or 0
        ax.set_title(f"{'deterministic' if d == 0 else f'draw {d}'}: final IoU {100 * rec['ious'][-1]:.1f}",
                     fontsize=9)
        ax.set_axis_off()
    fig.suptitle(f"{base}: clicks of {len(chosen)} draws", fontsize=10)
    return _png(fig)
