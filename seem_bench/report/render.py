"""Render a `Table` as Markdown, LaTeX, CSV or HTML (pandas does the formatting).

Markdown flattens grouped headers to ``"GrabCut NoC@85"``; LaTeX and HTML keep them as spanning
headers, and keep the notes (citations of reported rows, run ids and marks of reproduced rows)
under the table. CSV is one long-format file for all tables (`long_frame`: one line per cell,
``pandas.read_csv`` loads it) with the raw display-unit numbers (no rounding); the others hold
the numbers with the decimals papers print (1 for percentages, 2 for NoC).

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
from seem_bench.report.constants import FORMATS  # noqa: F401 - re-exported
from seem_bench.report.layouts import Table
from seem_bench.report.metric_info import format_value


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
        return long_frame([table]).to_csv(index=False, lineterminator="\n")
    if fmt == "html":
        body = text_frame(table).to_html(border=0, classes="seem-bench-table", na_rep="–")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in table.notes)
        return (f"<section class=\"seem-bench-table\"><h3>{html.escape(table.title)}</h3>\n{body}"
                + (f"\n<ul class=\"notes\">{notes}</ul>" if notes else "") + "</section>")
    if fmt == "latex":
        cells = text_frame(table).replace("–", "--")
        styler = cells.style.format(escape="latex").format_index(escape="latex", axis=0)
        styler = styler.format_index(escape="latex", axis=1)
        tex = styler.to_latex(hrules=True, multicol_align="c", multirow_align="t",
                              caption=latex_escape(table.title), position_float="centering")
        if table.notes:  # citations of reported rows and run ids / marks of reproduced rows
            notes = "\\par\\smallskip{\\footnotesize " + " \\\\\n".join(latex_escape(n) for n in table.notes) + "}\n"
            tex = tex.replace("\\end{table}", notes + "\\end{table}")
        return tex
    raise UsageError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped (notes hold URLs and JSON parameters)."""
    out = []
    for ch in str(text):
        out.append({"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                    "<": r"\textless{}", ">": r"\textgreater{}"}.get(ch, ch))
    return "".join(out)


LONG_COLUMNS = ["table", "model", "source", "group", "column", "metric", "value"]


def long_frame(tables: list[Table]) -> pd.DataFrame:
    """Every cell of ``tables`` as one row (`LONG_COLUMNS`); missing cells are left out.

    ``source`` is the rest of the row label after the model (``reported (key)``, ``reproduced
    [marks]``, or dataset / task / run for the runs table); ``group`` is the benchmark of a
    grouped header (``""`` otherwise).
    """
    rows = []
    for t in tables:
        for idx, values in t.frame.iterrows():
            labels = list(idx) if isinstance(idx, tuple) else [idx]
            for col, value in values.items():
                if pd.isna(value):
                    continue
                group, header = (col[0], col[-1]) if isinstance(col, tuple) else ("", col)
                rows.append({"table": t.title, "model": labels[0], "source": " / ".join(map(str, labels[1:])),
                             "group": group, "column": header, "metric": t.metrics[col], "value": float(value)})
    return pd.DataFrame(rows, columns=LONG_COLUMNS)


def render_all(tables: list[Table], fmt: str = "md") -> str:
    """Several tables one after another (CSV: one long-format file, see `long_frame`)."""
    if fmt == "csv":
        return long_frame(tables).to_csv(index=False, lineterminator="\n")
    return "\n\n".join(render(t, fmt).rstrip("\n") for t in tables) + "\n"
