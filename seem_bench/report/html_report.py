"""One self-contained HTML report for run directories: no external file, script or network.

Sections: what was run (runs, parameters), the paper-style tables (reproduced rows, plus the
published numbers unless ``reported=False``), every metric of every run, the mIoU-vs-clicks
curves and an optional qualitative panel (PNG embedded as base64), for runs with sampled clicks
the deterministic-vs-sampled table, the NoC distribution and the clicks of several draws, the
hardest instances, and any failed records.

>>> html_text = build_report([load_summary("runs/demo")])     # doctest: +SKIP
>>> "<table" in html_text                                      # doctest: +SKIP
True
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from seem_bench import __version__
from seem_bench.errors import SeemBenchError, UsageError
from seem_bench.marks import marks_label
from seem_bench.report import entries as entries_mod
from seem_bench.report.layouts import build_table, resolve_layouts, runs_table
from seem_bench.report.leaderboard import load_reported
from seem_bench.report.plots import curves_png, samples_png
from seem_bench.report.render import render
from seem_bench.report.robustness import (
    draw_clicks_png,
    noc_distribution_png,
    robustness_of,
    robustness_table,
)
from seem_bench.report.runs import load_records, run_dir_of

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #d0d0d0; padding: 3px 8px; text-align: right; }
th { background: #f2f2f2; } tbody th { text-align: left; }
ul.notes { font-size: .8em; color: #555; } img { max-width: 100%; border: 1px solid #eee; }
.err { color: #b00020; } .wide, section.seem-bench-table { overflow-x: auto; }
"""


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _frame_html(df: pd.DataFrame, **kw: Any) -> str:
    return f'<div class="wide">{df.to_html(border=0, na_rep="–", **kw)}</div>'



def runs_overview(summaries: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """What was run: one row per run (ids, task, data, counts, provenance)."""
    rows = []
    for s in summaries:
        c = s.get("counts") or {}
        rows.append({"run": s.get("run_id", ""), "model": s["model"]["name"], "task": s["task"]["name"],
                     "kind": s["task"]["kind"], "dataset": s["dataset"]["name"],
                     "protocol": s["task"].get("protocol") or "", "first prompt": s["task"].get("first_prompt") or "",
                     "instances ok / expected": f"{c.get('ok', '?')} / {c.get('expected', '?')}",
                     "errors": c.get("errors", 0), "marks": marks_label(s), "created": s.get("created", ""),
                     "git commit": str((s.get("env") or {}).get("git_commit") or "")[:10],
                     "fingerprint": str(s.get("fingerprint", ""))[:12]})
    return pd.DataFrame(rows)


def parameters(summaries: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Task parameters side by side, one column per run."""
    cols = {f"{s['model']['name']} ({s.get('run_id', '')})": {k: str(v) for k, v in
            (s["task"].get("params") or {}).items()} for s in summaries}
    return pd.DataFrame(cols)


def hardest(summary: dict[str, Any], n: int = 10) -> pd.DataFrame:
    """The ``n`` instances with the lowest final IoU, with their NoC@85 / NoC@90."""
    from seem_bench.metrics.interactive import noc

    params = summary["task"].get("params") or {}
    max_rounds, rule = int(params.get("max_rounds", 20)), params.get("compare", "ritm")
    recs = [r for r in load_records(run_dir_of(summary), fingerprint=summary.get("fingerprint"))
            if r.get("status") == "ok" and r.get("ious")]
    rows = [{"instance": r["key"], "final IoU (%)": round(100 * r["ious"][-1], 1),
             "NoC@85": noc(r["ious"], 0.85, max_rounds, rule), "NoC@90": noc(r["ious"], 0.90, max_rounds, rule),
             "clicks": len(r["ious"])} for r in recs]
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).sort_values(["final IoU (%)", "instance"]).head(n)


def failures(summary: dict[str, Any]) -> pd.DataFrame:
    """Records whose status is not ok, with their error messages."""
    recs = load_records(run_dir_of(summary), fingerprint=summary.get("fingerprint"))
    return pd.DataFrame([{"instance": r["key"], "error": r.get("error", "")}
                         for r in recs if r.get("status") != "ok"])


def build_report(summaries: Sequence[dict[str, Any]], *, reported: bool = True,
                 samples: Sequence[str] = (), data_root: str | Path | None = None,
                 title: str = "seem-bench report") -> str:
    """The report as one HTML string (images inline)."""
    if not summaries:
        raise UsageError("report needs at least one run directory")
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p>Generated by seem-bench {html.escape(__version__)} from "
             f"{len(summaries)} run(s). IoU-like numbers are percentages.</p>",
             "<h2>Runs</h2>", _frame_html(runs_overview(summaries), index=False),
             "<h2>Parameters</h2>", _frame_html(parameters(summaries))]

    reproduced = entries_mod.summary_entries(summaries)
    layouts = resolve_layouts(["auto"], reproduced)
    if layouts:
        shown = entries_mod.concat(load_reported(), reproduced) if reported else reproduced
        parts.append("<h2>Paper tables</h2>")
        parts.extend(render(build_table(shown, lay), "html") for lay in layouts)
    parts += ["<h2>All metrics</h2>", render(runs_table(summaries), "html")]

    if any(s["task"].get("kind") == "interactive" for s in summaries):
        parts += ["<h2>mIoU vs number of clicks</h2>", _img(curves_png(summaries), "mIoU vs clicks")]
    sampled = [s for s in summaries if robustness_of(s)]
    if sampled:
        parts += ["<h2>Sampled clicks</h2>", render(robustness_table(sampled), "html"),
                  _img(noc_distribution_png(sampled), "NoC distribution over sampled clicks")]
        try:
            parts.append(_img(draw_clicks_png(sampled[0], data_root=data_root), "clicks of several draws"))
        except SeemBenchError as e:  # the dataset moved: the tables and plots above still stand
            parts.append(f'<p class="err">clicks of several draws not drawn: {html.escape(str(e))}</p>')
    if samples:
        parts.append("<h2>Qualitative examples</h2>")
        parts.append(_img(samples_png(summaries[0], samples, data_root=data_root), "qualitative panel"))
    for s in summaries:
        worst = hardest(s) if s["task"].get("kind") == "interactive" else pd.DataFrame()
        failed = failures(s)
        if len(worst) or len(failed):
            parts.append(f"<h2>Instances: {html.escape(s['model']['name'])} "
                         f"({html.escape(s.get('run_id', ''))})</h2>")
        if len(worst):
            parts += ["<h3>Lowest final IoU</h3>", _frame_html(worst, index=False)]
        if len(failed):
            parts += [f'<h3 class="err">{len(failed)} failed instance(s)</h3>', _frame_html(failed, index=False)]
    body = "\n".join(parts)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n")
