"""Metrics: pure functions plus streaming accumulators (``update`` / ``merge`` / ``compute``)."""
