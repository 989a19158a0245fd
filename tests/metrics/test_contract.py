"""The metric contract: exact order-free sums, evaluator composition, and a new metric end to end.

Adding a metric = one `Evaluator` class + one name in a task's ``evaluators``: the test below
adds a toy lower-is-better metric and sees it in ``summary.json``, ``table`` and ``check`` with
the direction and precision it declares, without touching loops or reports.
"""

from __future__ import annotations

import json
import math
import random

import pytest
import yaml

from seem_bench.cli import main
from seem_bench.errors import UsageError
from seem_bench.metrics.contract import EVALUATORS, Evaluator, Evaluators, ExactSum, MetricSpec
from seem_bench.runner import RunConfig, run
from seem_bench.tasks import get_task


def test_exact_sum_is_correctly_rounded_in_any_order_and_merge():
    rng = random.Random(3)
    values = [rng.uniform(-1, 1) * 10 ** rng.randint(-12, 12) for _ in range(500)]
    want = math.fsum(values)
    for _ in range(5):
        rng.shuffle(values)
        cut = rng.randint(0, len(values))
        a, b = ExactSum(values[:cut]), ExactSum(values[cut:])
        assert b.merge(a).value() == want
    assert ExactSum([1e100, 1.0, -1e100]).value() == 1.0  # plain sum() gives 0.0
    assert math.isnan(ExactSum([1.0, float("nan")]).value())
    assert ExactSum([float("inf"), 2.0]).value() == float("inf")


class _Twice(Evaluator):
    name = "twice"

    @classmethod
    def metric_specs(cls, params):
        return [MetricSpec("NoC@90", "clicks", False, 2, "test")]

    def update(self, record):
        pass

    def merge(self, other):
        return self

    def compute(self):
        return {}


def test_two_evaluators_may_not_define_one_key():
    header = {"task": {"params": {"max_rounds": 3}}}
    with pytest.raises(UsageError, match="'interactive' and 'twice' both define the metric 'NoC@90'"):
        Evaluators([EVALUATORS.get("interactive")(header), _Twice(header)])


def test_undeclared_metric_is_refused():
    class Sloppy(_Twice):
        def compute(self):
            return {"NoC@90": 1.0, "extra": 2.0}

    ev = Evaluators([Sloppy({"task": {"params": {}}})])
    with pytest.raises(UsageError, match="undeclared metrics extra"):
        ev.compute()


class FinalError(Evaluator):
    """Toy metric: mean of 1 - final IoU (lower is better), three decimals."""

    name = "final-error"

    @classmethod
    def metric_specs(cls, params):
        return [MetricSpec("final-error", "fraction", False, 3, "test: mean of 1 - final IoU")]

    def __init__(self, header):
        super().__init__(header)
        self.total, self.n = ExactSum(), 0

    def update(self, record):
        self.total.add(1.0 - record["final_iou"])
        self.n += 1

    def merge(self, other):
        self.total.merge(other.total)
        self.n += other.n
        return self

    def compute(self):
        return {"final-error": self.total.value() / self.n}


@pytest.fixture
def toy_registered():
    EVALUATORS.register("final-error", FinalError)
    yield
    EVALUATORS._entries.pop("final-error")


def test_a_new_metric_is_one_class_and_one_line(toy_registered, demo_root, tmp_path, capsys):
    task = get_task("interactive").with_overrides(["max_rounds=3"])
    task.evaluators.append("final-error")  # the one line of a task definition
    out = tmp_path / "run"
    s = run(RunConfig(task=task, model="disks", data_root=demo_root, out_dir=out, limit=2, progress=False))
    finals = [json.loads(line)["final_iou"] for line in (out / "records-rank0.jsonl").read_text().splitlines()]
    want = math.fsum(1 - f for f in finals) / len(finals)
    assert s["metrics"]["final-error"] == want
    saved = json.loads((out / "summary.json").read_text())["metric_specs"]["final-error"]
    assert saved["higher_is_better"] is False and saved["precision"] == 3 and saved["unit"] == "fraction"
    capsys.readouterr()

    # The table shows it x100 with its three decimals.
    assert main(["table", str(out), "--layout", "runs", "--metrics", "final-error"]) == 0
    assert f"| {100 * want:.3f} " in capsys.readouterr().out

    # check: a baseline with a smaller error means this run is worse (lower is better) ...
    worse = tmp_path / "worse.yaml"
    worse.write_text(yaml.safe_dump({"metrics": {"final-error": want - 0.01}}))
    assert main(["check", str(out), "--baseline", str(worse)]) == 1
    assert "| final-error | lower " in capsys.readouterr().out
    # ... and a larger one means it is better.
    better = tmp_path / "better.yaml"
    better.write_text(yaml.safe_dump({"metrics": {"final-error": want + 0.01}}))
    assert main(["check", str(out), "--baseline", str(better)]) == 0


def test_check_refuses_to_guess_a_direction(tmp_path):
    from seem_bench.report.check import compare

    with pytest.raises(UsageError, match="metric 'mystery' has no metadata"):
        compare({"mystery": 1.0}, {"mystery": 1.0})
