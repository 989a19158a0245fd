"""Parameters owned once (issue 14 item 4, issue 13 item 4): typed per-kind declarations,
validated before any data is read, the schema printed by ``tasks --json``, no drift between
what the clicker and the model see."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import numpy as np
import pytest
from seem_bench.baselines.sanity import DisksModel

from seem_bench.data.types import Instance, Sample
from seem_bench.errors import UsageError
from seem_bench.loops.interactive import run_sample
from seem_bench.params import KIND_PARAMS, InteractiveParams, validate_task
from seem_bench.prompts.protocols import PROTOCOLS
from seem_bench.tasks import TASKS, get_task


def test_protocols_hold_only_their_own_options():
    loop = set(InteractiveParams.declared())
    for name, proto in PROTOCOLS.items():
        assert not loop & set(proto.params), (name, loop & set(proto.params))
    assert PROTOCOLS.get("ritm").params == {"pred_thr": 0.49}


def test_every_task_is_validated_with_its_kinds_defaults():
    for name, spec in TASKS.items():
        declared = KIND_PARAMS[spec.kind].declared()
        assert {k: spec.params[k] for k in declared} == {
            k: spec.params.get(k, p.default) for k, p in declared.items()}, name
        assert validate_task(spec).params == spec.params  # idempotent
    assert get_task("composed").params["text"] == "class"  # the one value a task file overrides
    assert get_task("interactive").params["max_rounds"] == 20


def test_values_are_typed_and_coerced():
    t = get_task("interactive").with_overrides(["iou_target=1", "memory=off", "max_rounds=7"])
    assert t.params["iou_target"] == 1.0 and isinstance(t.params["iou_target"], float)
    assert t.params["memory"] is False and t.params["max_rounds"] == 7
    with pytest.raises(UsageError, match="max_rounds must be an integer, got True"):
        get_task("interactive").with_overrides(["max_rounds=on"])
    with pytest.raises(UsageError, match="sentences must be one of all-sentences, first-sentence.*Did you mean first-sentence"):
        get_task("referring").with_overrides(["sentences=first-sentense"])
    with pytest.raises(UsageError, match="clock must be one of measured, interactions"):
        get_task("davis-interactive").with_overrides(["clock=wall"])


def test_tasks_json_prints_the_schema(capsys):
    from seem_bench.cli import main

    assert main(["tasks", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    neg = info["interactive"]["parameters"]["negatives"]
    assert neg["type"] == "bool" and neg["default"] is True and neg["doc"]
    text = info["composed"]["parameters"]["text"]
    assert text["choices"] == ["none", "class", "sentence"] and text["value"] == "class"
    thr = info["interactive"]["parameters"]["pred_thr"]  # a protocol option: ritm's own default
    assert thr["value"] == 0.49 and thr["minimum"] == 0.0 and thr["maximum"] == 1.0
    assert info["davis-interactive"]["parameters"]["clock"]["choices"] == ["measured", "interactions"]


class _Recording(DisksModel):
    """Disks that keep the ``click_radius`` of every decode's prompts."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.radii: list[int] = []

    def decode(self, state, prompts, memory=None):
        self.radii.append(prompts.click_radius)
        return super().decode(state, prompts, memory)


@pytest.mark.parametrize(("overrides", "radius"), [([], 1), (["blob_radius=0"], 0), (["blob_radius=3"], 3)])
def test_blob_radius_the_model_sees_is_the_clickers(overrides, radius):
    """Before: the loop built ``Prompts(click_radius=protocol.blob_radius)`` from the protocol's
    default (1) while the clicker used the overridden value."""
    h, w = 40, 50
    gt = np.zeros((h, w), bool)
    gt[5:30, 8:40] = True
    inst = Instance("1", partial(np.copy, gt))
    sample = Sample("img", "test", partial(np.zeros, (h, w, 3), np.uint8), h, w, (inst,))
    task = get_task("interactive").with_overrides(["protocol=seem", "max_rounds=4", *overrides])
    model = _Recording()
    run_sample(model, (h, w), sample, [inst], PROTOCOLS.get("seem"), {**task.params, "first_prompt": "point"}, 0)
    assert model.radii == [radius] * 4
