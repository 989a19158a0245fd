"""Interactive metrics: NoC / NoF / legacy NoF / mIoU@k / SPC in closed form."""

from __future__ import annotations

import numpy as np

from seem_bench.metrics.interactive import InteractiveAccumulator, noc, reached


def test_noc_nof_and_legacy_count():
    acc = InteractiveAccumulator(max_rounds=3, thresholds=(0.85, 0.9))
    acc.update([0.5, 0.86, 0.95], model_seconds=0.3)  # NoC@85 = 2, NoC@90 = 3 (hit on last round)
    acc.update([0.2, 0.3, 0.4], model_seconds=0.3)    # never
    acc.update([0.9], model_seconds=0.1)               # stopped early after 1 click
    r = acc.compute(ks=(1, 3))
    assert r["NoC@85"] == (2 + 3 + 1) / 3
    assert r["NoC@90"] == (3 + 3 + 1) / 3
    assert r["NoF@90"] == 1            # only the instance that never reached 0.9
    assert r["NoF-legacy@90"] == 2     # RITM counts the last-round hit as a failure too
    assert r["1-IoU"] == (0.5 + 0.2 + 0.9) / 3
    assert r["mIoU@3"] == (0.95 + 0.4 + 0.9) / 3  # early stop carries the last IoU forward
    assert abs(r["SPC"] - 0.7 / 7) <= 1e-15


def test_ritm_float32_comparison():
    # float32(0.85) >= float32(0.8500000000000001): RITM counts it; exact float64 does not.
    assert reached(np.array([0.85]), 0.8500000000000001, "ritm")[0]
    assert not reached(np.array([0.85]), 0.8500000000000001, "exact")[0]
    assert noc([0.5, 0.6], 0.85, max_rounds=20) == 20


def test_merge_is_order_free():
    a, b, c = (InteractiveAccumulator(max_rounds=5) for _ in range(3))
    rows = [[0.1, 0.95], [0.8, 0.86, 0.91], [0.3]]
    a.update(rows[0])
    b.update(rows[1])
    b.update(rows[2])
    for r in rows[::-1]:
        c.update(r)
    assert a.merge(b).compute() == c.compute()
    assert InteractiveAccumulator().compute() == {"instances": 0}


def test_streaming_counts_equal_noc_and_reached():
    # The accumulator compares in plain Python once per record; it must agree with `noc` and
    # `reached` on the float32 edge cases (0.85 vs 0.8500000000000001) under both rules.
    rng = np.random.default_rng(5)
    edge = [0.85, 0.8500000000000001, 0.9, 0.9000000000000001, 0.8999999, 0.5, 0.8]
    for compare in ("ritm", "exact"):
        for _ in range(500):
            row = [float(rng.choice(edge)) if rng.random() < 0.7 else float(rng.random())
                   for _ in range(int(rng.integers(0, 7)))]
            acc = InteractiveAccumulator(max_rounds=5, compare=compare)
            acc.update(row)
            for thr in acc.thresholds:
                assert acc.noc_sum[thr] == noc(row, thr, 5, compare)
                assert acc.never[thr] == int(not reached(np.asarray(row[:5]), thr, compare).any())
