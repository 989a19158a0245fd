"""The bound on one image's pixel count (``--max-pixels``), readable without numpy.

The CLI sets it before any dataset is read; readers (`seem_bench.data.io`) and worker
processes read it from the environment. Kept apart so that ``seem-bench --help`` imports no
array library.
"""

from __future__ import annotations

import os

#: Default of `max_pixels`: larger images are refused from their header, before any decoding
#: (a 20000x20000 mask would cost gigabytes and seconds before any size check could run).
DEFAULT_MAX_PIXELS = 100_000_000
#: Environment variable holding the limit (``--max-pixels`` sets it, so worker processes see it).
MAX_PIXELS_ENV = "SEEM_BENCH_MAX_PIXELS"


def max_pixels() -> int:
    """The pixel limit of one image or mask (``--max-pixels``; default `DEFAULT_MAX_PIXELS`)."""
    raw = os.environ.get(MAX_PIXELS_ENV)
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        return max(1, int(float(raw)))
    except ValueError:
        return DEFAULT_MAX_PIXELS
