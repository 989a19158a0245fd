"""The metric contract: records -> evaluators -> summary, each metric carrying its metadata.

One path for every number (detectron2's ``DatasetEvaluator`` + ``DatasetEvaluators``,
torchmetrics' ``higher_is_better`` declared with the metric):

- an `Evaluator` per metric family turns run records into metrics: ``update(record)`` for each
  ``status: ok`` record, ``merge(other)`` to combine partial evaluators, ``compute() -> dict``;
- each metric key it can emit is described by a `MetricSpec` (unit, direction, display
  precision, the reference it equals); ``summary.json`` carries the specs under
  ``metric_specs`` and the report layer (tables, check, leaderboard, plots) reads them from
  there instead of guessing from names;
- task definitions list their evaluators by name (``evaluators:`` in ``tasks/*.yaml``);
  `Evaluators` combines them and refuses two evaluators emitting the same key.

Units, one convention for the whole package: IoU-like values are ``fraction`` in [0, 1] in
summaries and shown ×100 (``percent`` on screen); ``clicks`` (NoC), ``count`` (NoF), ``seconds``
(SPC; hardware-dependent, ``timing=True``) and ``value`` are shown as they are.

Order independence: evaluators reduce with `ExactSum` (Shewchuk's exactly rounded partials,
what ``math.fsum`` uses) and integer counts, so the summary is bit-identical whatever the order
of records, the number of workers or shards, and without holding the records in memory.

>>> s = ExactSum([0.1] * 10); s.value() == 1.0
True
>>> SPEC = MetricSpec("mIoU@5", "fraction", True, 2, "RITM")
>>> SPEC.format(0.5996)
'59.96'
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from seem_bench.errors import DataError, UsageError
from seem_bench.registry import Registry

UNITS = ("fraction", "clicks", "count", "seconds", "value")


@dataclass(frozen=True)
class MetricSpec:
    """What one summary metric key means: how to show it and which way is better."""

    name: str
    unit: str  # one of `UNITS`; "fraction" is shown ×100
    higher_is_better: bool
    precision: int  # decimals shown in tables, in display units
    reference: str  # the implementation / paper whose number this equals
    timing: bool = False  # hardware-dependent: `check` compares it only when given a tolerance

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"metric {self.name!r}: unit must be one of {', '.join(UNITS)}, not {self.unit!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], where: str = "summary") -> MetricSpec:
        try:
            return cls(name=str(obj["name"]), unit=str(obj["unit"]),
                       higher_is_better=bool(obj["higher_is_better"]), precision=int(obj["precision"]),
                       reference=str(obj.get("reference", "")), timing=bool(obj.get("timing", False)))
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(where, f"malformed metric_specs entry {obj!r} ({e})") from None

    @property
    def display_unit(self) -> str:
        """The unit of a shown value: ``percent`` for fractions, else the stored unit."""
        return "percent" if self.unit == "fraction" else self.unit

    def display(self, value: float | None) -> float | None:
        """Summary units -> display units (fractions ×100, rounding noise of the ×100 removed)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return round(100.0 * value, 10) if self.unit == "fraction" else float(value)

    def format_display(self, shown: Any) -> str:
        """A table cell for a value already in display units; ``–`` when missing."""
        if shown is None or (isinstance(shown, float) and math.isnan(shown)):
            return "–"
        return f"{float(shown):.{self.precision}f}"

    def format(self, value: float | None) -> str:
        """A table cell for a value in summary units."""
        return self.format_display(self.display(value))


class ExactSum:
    """An exactly rounded running sum that merges exactly (Shewchuk partials, as ``math.fsum``).

    ``value()`` is the correctly rounded sum of every value added, in any order and across any
    merges. Non-finite values (NaN, ±inf) are summed apart: they dominate the result.

    >>> a, b = ExactSum([1e16, 1.0]), ExactSum([-1e16])
    >>> a.merge(b).value()
    1.0
    """

    __slots__ = ("_partials", "_special")

    def __init__(self, values: Iterable[float] = ()) -> None:
        self._partials: list[float] = []
        self._special = 0.0
        for v in values:
            self.add(v)

    def add(self, x: float) -> None:
        x = float(x)
        if not math.isfinite(x):
            self._special += x
            return
        partials = self._partials
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x]

    def merge(self, other: ExactSum) -> ExactSum:
        for p in other._partials:
            self.add(p)
        self._special += other._special
        return self

    def value(self) -> float:
        if self._special != 0.0 or math.isnan(self._special):
            return self._special
        return math.fsum(self._partials)


class Evaluator(ABC):
    """One metric family: ``update(record)`` per ok record, ``merge``, ``compute() -> metrics``.

    An evaluator is built from the run header (task parameters, dataset facts) and must hold
    fixed-size state (sums and counts), so a summary streams the records; ``compute`` returns
    only keys it declares in `specs`, in table order. ``timings`` returns hardware-dependent
    totals for the summary's ``timings`` block (default: none).
    """

    name: ClassVar[str] = ""

    def __init__(self, header: Mapping[str, Any]) -> None:
        self.header = header

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.header.get("task", {}).get("params") or {})

    @classmethod
    @abstractmethod
    def metric_specs(cls, params: Mapping[str, Any]) -> list[MetricSpec]:
        """Every metric key ``compute`` may return for task parameters ``params``, in table order."""

    def specs(self) -> list[MetricSpec]:
        return self.metric_specs(self.params)

    @abstractmethod
    def update(self, record: Mapping[str, Any]) -> None:
        """Add one ``status: ok`` record."""

    @abstractmethod
    def merge(self, other: Evaluator) -> Evaluator:
        """Add another evaluator's state (same class and header); returns ``self``."""

    @abstractmethod
    def compute(self) -> dict[str, float]:
        """The metrics of every record added so far."""

    def timings(self) -> dict[str, float]:
        return {}


EVALUATORS: Registry[type[Evaluator]] = Registry("evaluator", entry_point_group="seem_bench.evaluators")
EVALUATORS.register("interactive", "seem_bench.metrics.interactive:InteractiveEvaluator")
EVALUATORS.register("robustness", "seem_bench.metrics.robustness:RobustnessEvaluator")
EVALUATORS.register("referring", "seem_bench.metrics.referring:ReferringEvaluator")
EVALUATORS.register("gres", "seem_bench.metrics.referring:GresEvaluator")
EVALUATORS.register("davis", "seem_bench.metrics.davis:DavisEvaluator")
EVALUATORS.register("davis-interactive", "seem_bench.metrics.davis:DavisInteractiveEvaluator")
EVALUATORS.register("video-interactive", "seem_bench.metrics.video_interactive:VideoInteractiveEvaluator")
EVALUATORS.register("panoptic", "seem_bench.metrics.panoptic:PanopticEvaluator")
EVALUATORS.register("semantic", "seem_bench.metrics.semantic:SemanticEvaluator")
EVALUATORS.register("coco-ap", "seem_bench.metrics.detection:CocoApEvaluator")
EVALUATORS.register("concept", "seem_bench.metrics.concept:ConceptEvaluator")


class Evaluators:
    """Several evaluators as one (detectron2's ``DatasetEvaluators``); metric keys must not collide."""

    def __init__(self, evaluators: list[Evaluator]) -> None:
        self.evaluators = evaluators
        self._specs: dict[str, MetricSpec] = {}
        for ev in evaluators:
            for spec in ev.specs():
                if spec.name in self._specs:
                    raise UsageError(f"evaluators {self._owner(spec.name)!r} and {ev.name!r} both "
                                     f"define the metric {spec.name!r}")
                self._specs[spec.name] = spec

    def _owner(self, key: str) -> str:
        return next(ev.name for ev in self.evaluators if any(s.name == key for s in ev.specs()))

    @classmethod
    def build(cls, names: Iterable[str], header: Mapping[str, Any]) -> Evaluators:
        """The evaluators ``names`` (registry names) for a run with ``header``."""
        return cls([EVALUATORS.get(n)(header) for n in names])

    def specs(self) -> dict[str, MetricSpec]:
        return dict(self._specs)

    def update(self, record: Mapping[str, Any]) -> None:
        for ev in self.evaluators:
            ev.update(record)

    def merge(self, other: Evaluators) -> Evaluators:
        for mine, theirs in zip(self.evaluators, other.evaluators, strict=True):
            mine.merge(theirs)
        return self

    def compute(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for ev in self.evaluators:
            res = ev.compute()
            undeclared = sorted(set(res) - set(self._specs))
            if undeclared:
                raise UsageError(f"evaluator {ev.name!r} returned undeclared metrics {', '.join(undeclared)}")
            out.update(res)
        return out

    def timings(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for ev in self.evaluators:
            out.update(ev.timings())
        return out


def catalog() -> dict[str, MetricSpec]:
    """Specs of every metric the registered evaluators declare with default parameters (for
    numbers that come without a summary: reported rows, leaderboard files, old summaries)."""
    out: dict[str, MetricSpec] = {}
    for _, cls in EVALUATORS.items():
        for spec in cls.metric_specs({}):
            out.setdefault(spec.name, spec)
    return out


def specs_of(summary: Mapping[str, Any]) -> dict[str, MetricSpec]:
    """The metric specs a summary carries (``metric_specs``), by metric key."""
    raw = summary.get("metric_specs") or {}
    where = str(summary.get("_path", "summary"))
    if not isinstance(raw, Mapping):
        raise DataError(where, "metric_specs must be an object")
    return {k: MetricSpec.from_json(v, where) for k, v in raw.items()}
