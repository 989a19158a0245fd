"""Paper-style table layouts pivoted from an entries frame (see `seem_bench.report.entries`).

A `Layout` is a list of column groups (one benchmark each: which task kinds and datasets feed
it, which metric keys it shows under which headers). Rows are models; a row's ``source`` says
whether its numbers were reported by a publication or reproduced by a run here.

Built-in layouts:

- ``seem``: the SEEM README table — COCO PQ / mAP / mIoU | RefCOCOg cIoU / mIoU / AP50 | VOC
  NoC85 / NoC90.
- ``interactive``: the RITM / SimpleClick table — click datasets × NoC@85 / NoC@90 (groups with
  no number at all are dropped, as those papers only print the datasets they evaluate).
- ``davis``: DAVIS17 and DAVIS16-Interactive J&F / J / F (the SEEM video table).

>>> from seem_bench.report.leaderboard import load_reported
>>> t = build_table(load_reported(), LAYOUTS["seem"])
>>> float(t.frame.loc[("SEEM v1 Focal-T", "reported (seem-readme)"), ("COCO", "PQ")])
50.8
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from seem_bench.errors import UsageError
from seem_bench.report.entries import distinct_labels
from seem_bench.report.metric_info import to_display


@dataclass(frozen=True)
class Group:
    """One benchmark's columns: entries of ``kinds`` × ``datasets`` give ``columns``.

    ``columns`` pairs a header with a summary metric key, e.g. ``("AP50", "prec@0.5")``.
    """

    label: str
    kinds: tuple[str, ...]
    datasets: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    groups: tuple[Group, ...]
    drop_empty_groups: bool = False


_NOC = (("NoC@85", "NoC@85"), ("NoC@90", "NoC@90"))
_JF = (("J&F", "J&F-Mean"), ("J", "J-Mean"), ("F", "F-Mean"))
_VIDEO_KINDS = ("vos", "ref-image", "davis-interactive")

LAYOUTS: dict[str, Layout] = {
    "seem": Layout("seem", "SEEM README: generic, referring and interactive segmentation", (
        Group("COCO", ("generic",), ("coco_panoptic", "coco_instances", "coco_semantic", "coco"),
              (("PQ", "PQ"), ("mAP", "mAP"), ("mIoU", "mIoU"))),
        Group("RefCOCOg", ("referring",), ("refcocog",),
              (("cIoU", "cIoU"), ("mIoU", "mIoU"), ("AP50", "prec@0.5"))),
        Group("VOC", ("interactive",), ("pascalvoc",), (("NoC85", "NoC@85"), ("NoC90", "NoC@90"))),
    )),
    "interactive": Layout("interactive", "Interactive segmentation: NoC@85 / NoC@90", (
        Group("GrabCut", ("interactive",), ("grabcut",), _NOC),
        Group("Berkeley", ("interactive",), ("berkeley",), _NOC),
        Group("SBD", ("interactive",), ("sbd",), _NOC),
        Group("DAVIS", ("interactive",), ("davis345",), _NOC),
        Group("PascalVOC", ("interactive",), ("pascalvoc",), _NOC),
        Group("COCO-MVal", ("interactive",), ("coco_mval",), _NOC),
    ), drop_empty_groups=True),
    "davis": Layout("davis", "Video object segmentation from the first frame (J&F)", (
        Group("DAVIS17", _VIDEO_KINDS, ("davis2017",), _JF),
        Group("DAVIS16-Interactive", _VIDEO_KINDS, ("davis2016",), _JF),
    )),
}


@dataclass
class Table:
    """A table ready to render.

    Attributes:
        title: caption.
        frame: numbers in display units (fractions ×100), NaN where missing; index and columns
            may be MultiIndexes.
        metrics: the summary metric key of each column (decides decimals).
        notes: footnotes (sources of reported rows, run ids of reproduced rows).
    """

    title: str
    frame: pd.DataFrame
    metrics: dict[Any, str]
    notes: list[str] = field(default_factory=list)


def source_label(source: str, reference: str, marks: str = "") -> str:
    """``reported (key)`` for reported rows, ``reproduced`` otherwise, followed by the run's
    marks (``reproduced, demo data, partial, --limit 4``; `seem_bench.marks.row_label`)."""
    if source == "reported":
        return f"reported ({reference})"
    return f"reproduced, {marks}" if marks else "reproduced"


def _match(entries: pd.DataFrame, layout: Layout) -> pd.DataFrame:
    """Entries that fall into one of the layout's cells, with ``group`` and ``column`` set."""
    parts = []
    for g in layout.groups:
        for header, metric in g.columns:
            sel = entries[entries["kind"].isin(g.kinds) & entries["dataset"].isin(g.datasets)
                          & (entries["metric"] == metric)]
            if len(sel):
                parts.append(sel.assign(group=g.label, column=header, pos=sel.index))
    if not parts:
        return entries.iloc[0:0].assign(group=[], column=[], pos=[])
    # Back in entries order, so rows come out in the order of the data file and of the runs given.
    return pd.concat(parts).sort_values("pos", kind="stable").reset_index(drop=True)


def _row_labels(sel: pd.DataFrame) -> pd.Series:
    """Row label per entry: the model, plus what differs between its runs (``disks
    (protocol=seem)``, the run id only where nothing does) when two runs fill the same cell."""
    rows = sel["model"].copy()
    clash = sel.duplicated(["source", "model", "group", "column"], keep=False) & (sel["source"] != "reported")
    clashing = set(sel.loc[clash, "model"])
    relabel = sel["model"].isin(clashing) & (sel["source"] != "reported")
    runs = sel.loc[relabel].drop_duplicates("run_id")
    idents = [{"protocol": r.protocol, "split": r.split, **json.loads(r.params or "{}")}
              for r in runs.itertuples()]
    labels = dict(zip(runs["run_id"], distinct_labels(list(runs["model"]), idents, list(runs["run_id"])),
                      strict=True))
    rows[relabel] = [labels[r] for r in sel.loc[relabel, "run_id"]]
    return rows


def _row_order(sel: pd.DataFrame) -> list[tuple[str, str]]:
    """Reported rows in data order; each reproduced row right after the reported row of its model."""
    order: dict[tuple[str, str], float] = {}
    anchor: dict[str, float] = {}
    for i, r in enumerate(sel.itertuples()):
        key = (r.row, r.src)
        if key in order:
            continue
        if r.source == "reported":
            order[key] = float(i)
            if r.model_id:
                anchor.setdefault(r.model_id, float(i))
    reproduced = [k for k in dict.fromkeys(zip(sel["row"], sel["src"], strict=True)) if k not in order]
    ids = dict(zip(zip(sel["row"], sel["src"], strict=True), sel["model_id"], strict=True))
    for j, key in enumerate(reproduced):
        # Right after the matching reported row; otherwise after everything, in input order.
        order[key] = anchor.get(ids[key], 1e9) + 0.5 + j * 1e-6
    return sorted(order, key=order.__getitem__)


def build_table(entries: pd.DataFrame, layout: Layout) -> Table:
    """Pivot ``entries`` into ``layout``: rows (model, source), columns (group, header)."""
    sel = _match(entries, layout)
    columns = [(g.label, h) for g in layout.groups for h, _ in g.columns]
    metric_of = {(g.label, h): m for g in layout.groups for h, m in g.columns}
    if len(sel):
        sel = sel.assign(row=_row_labels(sel),
                         src=[source_label(s, r, m) for s, r, m in
                              zip(sel["source"], sel["reference"], sel["marks"], strict=True)],
                         shown=[to_display(m, v) for m, v in zip(sel["metric"], sel["value"], strict=True)])
        sel = sel.drop_duplicates(["row", "src", "group", "column"], keep="last")
        wide = sel.pivot(index=["row", "src"], columns=["group", "column"], values="shown")
        wide = wide.reindex(index=pd.MultiIndex.from_tuples(_row_order(sel)),
                            columns=pd.MultiIndex.from_tuples(columns))
    else:
        wide = pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=["model", "source"]),
                            columns=pd.MultiIndex.from_tuples(columns), dtype=float)
    wide = wide.astype(float)
    wide.index.names = ["model", "source"]
    if layout.drop_empty_groups and len(wide.columns):
        keep = [g.label for g in layout.groups if wide[g.label].notna().to_numpy().any()]
        wide = wide.loc[:, [c for c in wide.columns if c[0] in keep]]
    return Table(layout.title, wide, {c: metric_of[c] for c in wide.columns}, _notes(sel))


def _notes(sel: pd.DataFrame) -> list[str]:
    from seem_bench.report.leaderboard import load_sources

    notes: list[str] = []
    if not len(sel):
        return notes
    sources = load_sources()
    for key in dict.fromkeys(sel.loc[sel["source"] == "reported", "reference"]):
        src = sources.get(key, {"title": key})
        url = f" <{src['url']}>" if src.get("url") else ""
        notes.append(f"reported ({key}): {src['title']}{url}. Published numbers, not run here.")
    rep = sel[sel["source"] != "reported"].drop_duplicates(["row", "run_id"])
    for r in rep.itertuples():
        ident = f"run {r.run_id}" + ("" if r.fingerprint.startswith(r.run_id)
                                     else f", fingerprint {r.fingerprint[:12]}")
        notes.append(f"reproduced {r.row}: task {r.task}, dataset {r.dataset}, "
                     f"protocol {r.protocol or '-'}, params {r.params}, {ident}")
    return notes


def has_cells(entries: pd.DataFrame, layout: Layout) -> bool:
    """Whether any entry falls into ``layout``."""
    return bool(len(_match(entries, layout)))


def resolve_layouts(names: Sequence[str], entries: pd.DataFrame) -> list[Layout]:
    """Layouts for ``--layout`` values: ``auto`` = every paper layout ``entries`` has a cell in."""
    out: list[Layout] = []
    for name in names:
        if name == "auto":
            out.extend(lay for lay in LAYOUTS.values() if has_cells(entries, lay))
        elif name in LAYOUTS:
            out.append(LAYOUTS[name])
        else:
            raise UsageError(f"unknown layout {name!r}; choose from auto, {', '.join(LAYOUTS)}")
    return list(dict.fromkeys(out))


def runs_table(summaries: Sequence[dict[str, Any]], metrics: Sequence[str] | None = None) -> Table:
    """One row per run, one column per metric (the task's ``metrics`` list unless given)."""
    cols: list[str] = list(metrics or [])
    if not cols:
        for s in summaries:
            cols.extend(m for m in (s["task"].get("metrics") or s["metrics"]) if m not in cols)
    from seem_bench.marks import row_label

    index, rows = [], []
    for s in summaries:
        marks = row_label(s)
        index.append((s["model"]["name"], s["dataset"]["name"], s["task"]["name"],
                      s.get("run_id", "") + (f" [{marks}]" if marks else "")))
        rows.append([to_display(c, s["metrics"].get(c), s) for c in cols])
    frame = pd.DataFrame(np.array(rows, dtype=float).reshape(len(rows), len(cols)),
                         index=pd.MultiIndex.from_tuples(index, names=["model", "dataset", "task", "run"]),
                         columns=cols)
    return Table("Runs", frame, {c: c for c in cols})
