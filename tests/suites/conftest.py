"""Fixtures of the suite tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def demo_cache_env(demo_cache):
    """In-process suite runs find the session's demo data (the CLI runs get it through env)."""
    old = os.environ.get("SEEM_BENCH_CACHE")
    os.environ["SEEM_BENCH_CACHE"] = str(demo_cache)
    yield
    if old is None:
        os.environ.pop("SEEM_BENCH_CACHE")
    else:
        os.environ["SEEM_BENCH_CACHE"] = old
