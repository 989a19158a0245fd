"""``--max-pixels``: the bound on one image's size, shared by the verbs that read datasets."""

from __future__ import annotations

import argparse
import os

from seem_bench.errors import UsageError
from seem_bench.pixel_limits import DEFAULT_MAX_PIXELS, MAX_PIXELS_ENV


def add_max_pixels(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-pixels", type=float, metavar="N",
                   help=f"refuse an image or mask whose header declares more than N pixels, before "
                        f"decoding it (default {DEFAULT_MAX_PIXELS:.0e}; raise it for huge images)")


def apply_max_pixels(args: argparse.Namespace) -> None:
    """Set the limit for this process and the workers it starts (they read the environment)."""
    n = getattr(args, "max_pixels", None)
    if n is None:
        return
    if not (n == n and n >= 1 and n != float("inf")):
        raise UsageError(f"--max-pixels must be a positive number of pixels, got {n:g}")
    os.environ[MAX_PIXELS_ENV] = str(int(n))
