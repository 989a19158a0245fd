"""A suite's tables: the published rows (marked reported), the model's row, and the difference.

Each suite table becomes a `Layout` (one group per cell: the cell's task kind and dataset, the
headers it shows) and goes through the one table path, `seem_bench.report.layouts.build_table`,
with the reported numbers of ``leaderboards/reported.csv``. Below the model's row comes a
``Δ vs <row>`` row: reproduced minus reported, in display units (percentage points, clicks),
against ``--versus`` if given, else the reported row of the same model (``model_id``), else the
table's ``reference`` row.

Rows from the demo data or from a ``--limit`` run are labelled so by the runs' marks
(`seem_bench.marks`, as in every table: ``reproduced, demo data``, ``reproduced, demo data,
partial, --limit 2``): such numbers are not comparable with published ones.
"""

from __future__ import annotations

import pandas as pd

from seem_bench.errors import UsageError
from seem_bench.report import entries
from seem_bench.report.layouts import Group, Layout, Table, build_table
from seem_bench.report.leaderboard import load_reported
from seem_bench.suites.definition import SuiteTable
from seem_bench.suites.manifest import SuiteDir


def _layout(sd: SuiteDir, table: SuiteTable) -> Layout:
    groups = []
    for g in table.groups:
        task = sd.suite.cell(g.cell).task
        # Reported rows carry the task's kind or name (`vos` for the ref-image kind's vos task).
        groups.append(Group(g.label, tuple(dict.fromkeys((task.kind, task.name))), (task.dataset,), g.columns))
    return Layout(sd.suite.name, table.title, tuple(groups))


def _reference(frame: pd.DataFrame, reported: pd.DataFrame, model: str, wanted: list[str | None]
               ) -> tuple[str, str] | None:
    """The index of the reported row the deltas use (first of ``wanted`` present), else ``None``."""
    rows = [r for r in frame.index if str(r[1]).startswith("reported")]
    own = reported.loc[reported["model_id"] == model, "model"]
    for name in [*wanted[:1], *dict.fromkeys(own), *wanted[1:]]:
        for r in rows:
            if name and r[0] == name:
                return r
    return None


def check_versus(versus: str | None, published: pd.DataFrame | None = None) -> None:
    """``UsageError`` (with suggestions) unless ``versus`` is ``None`` or a reported model."""
    if not versus:
        return
    models = sorted(set((published if published is not None else load_reported())["model"]))
    if versus not in models:
        import difflib

        close = difflib.get_close_matches(versus, models, n=2)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise UsageError(f"--versus {versus!r} is not a model of the reported numbers "
                         f"(leaderboards/reported.csv).{hint}")


def suite_tables(sd: SuiteDir, versus: str | None = None, reported: bool = True) -> list[Table]:
    """Every table of the suite directory ``sd`` (see the module docstring)."""
    published = load_reported() if reported else entries.frame([])
    if reported:
        check_versus(versus, published)
    tables = []
    for st in sd.suite.tables:
        cell_ids = [g.cell for g in st.groups]
        runs = [sd.summaries[c] for c in cell_ids if c in sd.summaries]
        shown = published if st.sources is None else published[published["reference"].isin(st.sources)]
        t = build_table(entries.concat(shown, entries.summary_entries(runs)), _layout(sd, st))
        frame = t.frame  # reproduced rows carry their runs' marks (seem_bench.marks: demo data, partial, ...)
        ref = _reference(frame, shown, sd.model, [versus, st.reference])
        mine = [r for r in frame.index if not str(r[1]).startswith("reported")]
        if ref is not None and mine:
            delta = frame.loc[mine[0]] - frame.loc[ref]
            pos = list(frame.index).index(mine[0]) + 1
            label = (mine[0][0], f"Δ vs {ref[0]}")
            frame = pd.concat([frame.iloc[:pos], pd.DataFrame([delta.to_numpy()], index=pd.MultiIndex.from_tuples(
                [label], names=frame.index.names), columns=frame.columns), frame.iloc[pos:]])
        notes = [f"suite {sd.suite.name}: {sd.suite.citation}" + (f" <{sd.suite.url}>" if sd.suite.url else "")]
        notes += t.notes
        for cid in cell_ids:
            status, reason = sd.status(cid)
            if status != "done":
                notes.append(f"cell {cid} ({sd.suite.cell(cid).describe()}) {status}: {reason}")
        if ref is None and mine and reported:
            notes.append("no Δ row: no reported row of this model or of the table's reference "
                         "(choose one with --versus)")
        if sd.manifest.get("demo"):
            notes.append("demo data: the reproduced numbers are a smoke test, not comparable with the reported ones")
        if sd.partial():
            notes.append(f"partial: every cell evaluated only its first {sd.manifest['limit']} samples (--limit)")
        if sd.suite.notes:
            notes.append(sd.suite.notes)
        title = f"{st.title} ({sd.suite.name}, model {sd.model})"
        tables.append(Table(title, frame, t.metrics, notes))
    return tables

