"""The examples in the metrics docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["metrics.iou", "metrics.interactive", "metrics.panoptic", "metrics.detection",
           "metrics.semantic", "metrics.referring", "metrics.davis", "metrics.contract", "data.synthetic",
           "report.metric_info", "report.entries"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(f"seem_bench.{name}")
    failed, attempted = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0 and failed == 0
