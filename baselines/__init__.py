"""Baseline model adapters shipped with seem-bench (installed as ``seem_bench.baselines``)."""
