"""Suite definitions: the four shipped suites load and validate; bad definitions fail naming the problem."""

from __future__ import annotations

import json

import pytest

from seem_bench.cli import main
from seem_bench.errors import DataError, UsageError
from seem_bench.report.leaderboard import load_reported
from seem_bench.suites.definition import SUITES, get_suite, parse_suite

SHIPPED = {"seem-paper", "ritm-noc", "sam-point", "davis-interactive", "sam3-paper",
           "sam2-video-interactive"}


def test_suites_lists_the_four_suites_with_citations(capsys):
    assert main(["suites"]) == 0
    text = capsys.readouterr().out
    for name in SHIPPED:
        assert f"\n{name}: " in f"\n{text}"
    assert 'citation: Zou et al., "Segment Everything Everywhere All at Once", NeurIPS 2023' in text
    assert 'citation: Kirillov et al., "Segment Anything", ICCV 2023, Appendix D.1' in text
    assert "citation: Sofiiuk, Petrov, Konushin" in text and "citation: Caelles et al." in text
    assert "    refcocog: referring on refcocog umd/val -> cIoU, mIoU, prec@0.5" in text
    assert main(["suites", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert set(info) == SHIPPED
    assert info["ritm-noc"]["cells"]["coco_mval"]["set"] == ["dataset=coco_mval", "protocol=ritm", "iou_target=0.9"]


def test_seem_paper_cells_are_the_readme_protocols():
    s = get_suite("seem-paper")
    assert s.ids() == ["coco", "refcocog", "voc", "sbd", "coco_interactive", "davis17", "davis16i"]
    ref = s.cell("refcocog").task
    assert (ref.kind, ref.dataset, ref.split, ref.params["sentences"]) == ("referring", "refcocog", "umd/val",
                                                                            "first-sentence")
    voc = s.cell("voc").task
    assert (voc.dataset, voc.protocol, voc.first_prompt) == ("pascalvoc", "seem", "point")
    assert s.cell("coco").task.dataset == "coco_panoptic"
    assert s.cell("davis17").task.name == "vos" and s.cell("davis17").task.dataset == "davis2017"
    d16 = s.cell("davis16i").task  # DAVIS16-Interactive: the first frame's scribble, then propagation
    assert (d16.name, d16.dataset, d16.params["reference"]) == ("vos", "davis2016", "scribble")
    coco_int = s.cell("coco_interactive").task
    assert (coco_int.kind, coco_int.dataset, coco_int.protocol) == ("interactive", "coco_interactive", "seem")
    assert any("not the paper's subset" in t.title for t in s.tables)
    ritm = get_suite("ritm-noc")
    assert {c.task.dataset for c in ritm.cells} == {"grabcut", "berkeley", "sbd", "davis345", "pascalvoc", "coco_mval"}
    assert all(c.task.protocol == "ritm" and c.task.params["iou_target"] == 0.9 for c in ritm.cells)
    sam = get_suite("sam-point")
    assert all(c.task.protocol == "sam" and c.task.params["max_rounds"] == 9 for c in sam.cells)
    assert get_suite("davis-interactive").cell("davis17").task.kind == "davis-interactive"


def test_every_reference_row_and_source_exists_in_the_reported_numbers():
    reported = load_reported()
    for name in SUITES.names():
        for table in get_suite(name).tables:
            if table.reference:
                assert table.reference in set(reported["model"]), (name, table.reference)
            for src in table.sources or ():
                assert src in set(reported["reference"])


def _suite(**changes):
    data = {"name": "t", "title": "T", "citation": "C",
            "cells": [{"id": "a", "task": "interactive", "set": {"dataset": "grabcut"}, "metrics": ["NoC@90"]}],
            "tables": [{"groups": [{"label": "G", "cell": "a", "columns": {"NoC90": "NoC@90"}}]}]}
    data.update(changes)
    return data


@pytest.mark.parametrize("change, message", [
    ({"cells": [{"id": "a", "task": "interactive", "set": {"memry": False}, "metrics": ["NoC@90"]}]},
     "cell a: task 'interactive' has no parameter 'memry'. Did you mean memory"),
    ({"cells": [{"id": "a", "task": "interactiv", "metrics": ["NoC@90"]}]}, "cell a: unknown task 'interactiv'"),
    ({"tables": [{"groups": [{"label": "G", "cell": "b", "columns": {"x": "NoC@90"}}]}]},
     "group 'G' names unknown cell 'b'"),
    ({"tables": [{"groups": [{"label": "G", "cell": "a", "columns": {"x": "PQ"}}]}]},
     "shows PQ, which cell a does not report"),
    ({"tables": [{"sources": ["nowhere"], "groups": [{"label": "G", "cell": "a", "columns": {"x": "NoC@90"}}]}]},
     "'sources' must list keys of leaderboards/sources.yaml"),
    ({"cells": [{"id": "a/b", "task": "interactive", "metrics": ["NoC@90"]}]}, "'id' must be a name"),
    ({"citation": ""}, "'citation' must be a non-empty string"),
    ({"colour": "red"}, "unknown keys colour"),
])
def test_bad_definitions_fail_naming_the_file_and_problem(change, message):
    with pytest.raises(DataError, match="^my.yaml: .*" + message.replace("(", r"\(").replace(".", r"\.")):
        parse_suite(_suite(**change), "my.yaml")


def test_unknown_suite_and_cell_names():
    with pytest.raises(UsageError, match="unknown suite 'seem-papr'. Did you mean 'seem-paper'"):
        get_suite("seem-papr")
    with pytest.raises(UsageError, match="--cells: suite 'seem-paper' has no cell 'vok'"):
        get_suite("seem-paper").select(["coco", "vok"])
    assert [c.id for c in get_suite("seem-paper").select(["davis17", "coco"])] == ["coco", "davis17"]


def test_definition_docstring_examples_hold():
    import doctest

    import seem_bench.suites.definition as mod

    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert res.attempted >= 1 and res.failed == 0


def test_suite_help_lists_its_actions(cli, tmp_path):
    for args in (["suite", "--help"], ["suite", "run", "--help"], ["suite", "check", "--help"], ["suites", "--help"]):
        res = cli(args, cwd=tmp_path)
        assert res.returncode == 0, (args, res.stderr)
    assert "--cells ID[,ID...]" in cli(["suite", "run", "--help"], cwd=tmp_path).stdout
