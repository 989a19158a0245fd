"""The ``robustness`` evaluator under the metric contract: mergeable, order-independent, equal
to `robustness_stats`, declared specs that `check` reads direction from; the ``interactive``
evaluator counts draw 0 only."""

from __future__ import annotations

import random

import numpy as np
import pytest

from seem_bench.metrics.contract import EVALUATORS, Evaluators
from seem_bench.metrics.robustness import STATS, nested, robustness_stats
from seem_bench.report.check import compare

MAX_ROUNDS = 5


def _header(draws: int | None = 3) -> dict:
    params = {"max_rounds": MAX_ROUNDS, "compare": "ritm", "gamma": None if draws is None else 1.0,
              "sigma": 0.0, "draws": draws or 1, "worst_of": 1}
    return {"task": {"kind": "interactive", "protocol": "ritm", "params": params}}


def _records(seed: int = 0, objects: int = 7, draws: int = 3) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for o in range(objects):
        for d in range(draws + 1):
            ious = np.sort(rng.uniform(0.3, 1.0, MAX_ROUNDS)).tolist()
            out.append({"key": f"s{o % 3}/{o}" + (f"#{d}" if d else ""), "sample_id": f"s{o % 3}",
                        "instance_id": str(o), "status": "ok", "ious": ious, "draw": d,
                        "rounds": [{"round": r + 1, "prompt": {"click": [1, 1, True]}, "iou": v,
                                    "model_s": 0.01 * (d + 1)} for r, v in enumerate(ious)]})
    return out


def _evaluate(records: list[dict], header: dict | None = None) -> dict[str, float]:
    ev = EVALUATORS.get("robustness")(header or _header())
    for r in records:
        ev.update(r)
    return ev.compute()


def test_equals_robustness_stats_and_is_order_and_split_independent():
    recs = _records()
    flat = _evaluate(recs)
    ks = EVALUATORS.get("robustness")(_header()).ks
    assert nested(flat) == robustness_stats(recs, max_rounds=MAX_ROUNDS, ks=ks)
    assert flat["draws"] == 3 and flat["sampled_objects"] == 7
    assert {k.rpartition("/")[2] for k in flat if "/" in k} == set(STATS)

    shuffled = recs[:]
    random.Random(1).shuffle(shuffled)
    assert _evaluate(shuffled) == flat  # bit-identical, any record order
    parts = [EVALUATORS.get("robustness")(_header()) for _ in range(3)]
    for i, r in enumerate(shuffled):
        parts[i % 3].update(r)
    merged = parts[2].merge(parts[0]).merge(parts[1])
    assert merged.compute() == flat  # shards / workers merged in any order


def test_an_object_missing_a_draw_is_left_out():
    recs = [r for r in _records() if r["key"] != "s1/4#2"]
    flat = _evaluate(recs)
    assert flat["sampled_objects"] == 6
    kept = [r for r in recs if r["instance_id"] != "4"]
    assert _evaluate(kept) == flat


def test_a_deterministic_run_emits_nothing_and_specs_declare_direction():
    assert _evaluate(_records(draws=0), _header(None)) == {}
    evs = Evaluators.build(["interactive", "robustness"], _header())  # no key collides
    specs = evs.specs()
    assert specs["NoC@90/worst"].higher_is_better is False and specs["NoC@90/worst"].unit == "clicks"
    assert specs["mIoU@5/mean"].higher_is_better is True and specs["mIoU@5/mean"].unit == "fraction"
    assert specs["mIoU@5/sd"].higher_is_better is False
    # `check` reads the direction from the summary's specs: a larger NoC mean is worse, a larger
    # mIoU mean better, whatever the name says
    summary = {"metric_specs": {k: s.to_json() for k, s in specs.items()}}
    res = compare({"NoC@90/mean": 3.0, "mIoU@5/mean": 0.8}, {"NoC@90/mean": 2.0, "mIoU@5/mean": 0.7},
                  summary=summary)
    assert list(res.frame["status"]) == ["worse", "better"] and not res.passed


def test_interactive_evaluator_counts_draw_zero_only():
    recs = _records()
    both = Evaluators.build(["interactive"], _header())
    zero = Evaluators.build(["interactive"], _header())
    for r in recs:
        both.update(r)
        if r["draw"] == 0:
            zero.update(r)
    assert both.compute() == zero.compute()
    assert both.timings() == zero.timings() == {"clicks": 7 * MAX_ROUNDS}


def test_merge_refuses_two_different_records_of_one_draw():
    a, b = (EVALUATORS.get("robustness")(_header()) for _ in range(2))
    a.update(_records(seed=0)[0])
    b.update(_records(seed=1)[0])
    with pytest.raises(ValueError, match="two different records"):
        a.merge(b)
