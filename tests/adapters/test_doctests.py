"""The examples in the adapter modules' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["seem_bench.adapters.base", "seem_bench.adapters.cache",
                                    "seem_bench.adapters.registry", "seem_bench.adapters.remote",
                                    "seem_bench.baselines.sam", "seem_bench.baselines.seem"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
