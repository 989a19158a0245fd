"""A suite directory's ``suite.json``: the configuration it ran with and each cell's status.

``suite table`` and ``suite check`` read a suite directory only through `load_suite_dir`: the
suite definition as it was when the cells ran (stored in the manifest, so editing a YAML file
later cannot relabel old numbers), and the summary of every finished cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seem_bench.errors import DataError
from seem_bench.report.runs import load_summary
from seem_bench.suites.definition import Suite, parse_suite

MANIFEST = "suite.json"


def read_manifest(out: str | Path) -> dict[str, Any]:
    """The manifest of suite directory ``out`` (``DataError`` naming the file when unusable)."""
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise DataError(path, "not found: not a suite directory written by `seem-bench suite run`")
    from seem_bench.data.io import read_json

    data = read_json(path, "suite manifest")
    if not isinstance(data, dict) or not all(k in data for k in ("suite", "definition", "model", "cells")):
        raise DataError(path, "a suite manifest needs suite, definition, model and cells")
    return data


@dataclass
class SuiteDir:
    """A suite directory read back: definition, manifest, and the finished cells' summaries."""

    path: Path
    suite: Suite
    manifest: dict[str, Any]
    summaries: dict[str, dict[str, Any]]

    @property
    def model(self) -> str:
        return str(self.manifest["model"])

    def partial(self) -> bool:
        return self.manifest.get("limit") is not None

    def status(self, cell_id: str) -> tuple[str, str]:
        """``(status, reason)``: done, skipped (with reason), unfinished or not run."""
        if cell_id in self.summaries:
            return "done", ""
        entry = (self.manifest.get("cells") or {}).get(cell_id)
        if entry is None:
            return "not run", "not selected (--cells)"
        if entry.get("status") == "skipped":
            return "skipped", str(entry.get("reason", ""))
        return "unfinished", "interrupted: rerun `seem-bench suite run` with the same arguments to resume it"


def load_suite_dir(path: str | Path) -> SuiteDir:
    """Read a suite directory; only cells whose run covers every expected instance count as done."""
    path = Path(path)
    manifest = read_manifest(path)
    suite = parse_suite(manifest["definition"], str(path / MANIFEST))
    summaries = {}
    for cell in suite.cells:
        cell_dir = path / cell.id
        if not (cell_dir / "summary.json").is_file():
            continue
        s = load_summary(cell_dir)
        counts = s.get("counts") or {}
        if s["model"]["name"] != manifest["model"] or s["task"] != cell.task.to_json():
            raise DataError(cell_dir, f"holds a different run than cell {cell.id} of suite {suite.name} "
                                      f"with model {manifest['model']}")
        if counts.get("evaluated") == counts.get("expected"):
            summaries[cell.id] = s
    return SuiteDir(path, suite, manifest, summaries)
