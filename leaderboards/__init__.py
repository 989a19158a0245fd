"""Published ("reported") numbers as data: ``reported.csv`` rows with ``sources.yaml`` citations.

Installed as ``seem_bench.leaderboards``; read through `seem_bench.report.leaderboard`.
"""
