"""Render a `Table` as Markdown, LaTeX, CSV or HTML (pandas does the formatting).

Markdown and CSV flatten grouped headers to ``"GrabCut NoC@85"``; LaTeX and HTML keep them as
spanning headers. CSV holds the raw display-unit numbers (no rounding), the others the numbers
with the decimals papers print (1 for percentages, 2 for NoC).

>>> import pandas as pd
>>> from seem_bench.report.layouts import Table
>>> t = Table("demo", pd.DataFrame({"NoC@90": [1.875]}, index=pd.Index(["disks"], name="model")),
...           {"NoC@90": "NoC@90"})
>>> print(render(t, "md"))
### demo
<BLANKLINE>
| model   | NoC@90   |
|:--------|:---------|
| disks   | 1.88     |
"""

from __future__ import annotations

import html

import pandas as pd

from seem_bench.errors import UsageError
from seem_bench.report.layouts import Table
from seem_bench.report.metric_info import format_value

FORMATS = ("md", "latex", "csv", "html")


def text_frame(table: Table) -> pd.DataFrame:
    """The table's cells as strings with each column's decimals; ``–`` where missing."""
    out = table.frame.astype(object).copy()
    for col in table.frame.columns:
        metric = table.metrics[col]
        out[col] = [format_value(metric, v) for v in table.frame[col]]
    return out


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    if isinstance(df.columns, pd.MultiIndex):
        df.columns = [" ".join(str(p) for p in c if p) for c in df.columns]
    return df.reset_index()


def render(table: Table, fmt: str = "md") -> str:
    """The table in ``fmt`` (one of `FORMATS`), caption and footnotes included where the format has them."""
    if fmt == "md":
        body = _flat(text_frame(table)).to_markdown(index=False, disable_numparse=True)
        notes = "".join(f"\n- {n}" for n in table.notes)
        return f"### {table.title}\n\n{body}" + (f"\n{notes}" if notes else "")
    if fmt == "csv":
        return _flat(table.frame).to_csv(index=False, lineterminator="\n")
    if fmt == "html":
        body = text_frame(table).to_html(border=0, classes="seem-bench-table", na_rep="–")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in table.notes)
        return (f"<section class=\"seem-bench-table\"><h3>{html.escape(table.title)}</h3>\n{body}"
                + (f"\n<ul class=\"notes\">{notes}</ul>" if notes else "") + "</section>")
    if fmt == "latex":
        cells = text_frame(table).replace("–", "--")
        styler = cells.style.format(escape="latex").format_index(escape="latex", axis=0)
        styler = styler.format_index(escape="latex", axis=1)
        return styler.to_latex(hrules=True, multicol_align="c", multirow_align="t",
                               caption=table.title.replace("&", r"\&"), position_float="centering")
    raise UsageError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def render_all(tables: list[Table], fmt: str = "md") -> str:
    """Several tables one after another (CSV: separated by a blank line)."""
    sep = "\n" if fmt == "csv" else "\n\n"
    return sep.join(render(t, fmt).rstrip("\n") for t in tables) + "\n"
