"""Image and mask readers that fail with one line naming the file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from seem_bench.errors import DataError


def read_rgb(path: str | Path) -> np.ndarray:
    """Read an image as ``uint8`` (H, W, 3) RGB."""
    p = Path(path)
    if not p.is_file():
        raise DataError(p, "file not found")
    img = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if img is None:
        raise DataError(p, "cannot decode image (truncated or not an image)")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def read_mask_channel0(path: str | Path) -> np.ndarray:
    """Read a mask as RITM does: ``cv2.imread(path)[:, :, 0]`` (the blue channel), ``uint8`` (H, W)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(p, "file not found")
    m = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if m is None:
        raise DataError(p, "cannot decode mask (truncated or not an image)")
    return m[:, :, 0]


def image_size(path: str | Path) -> tuple[int, int]:
    """(height, width) of an image file without decoding its pixels."""
    from PIL import Image

    p = Path(path)
    try:
        with Image.open(p) as im:
            w, h = im.size
    except FileNotFoundError:
        raise DataError(p, "file not found") from None
    except Exception as e:  # PIL raises many types for corrupt headers
        raise DataError(p, f"cannot read image header ({type(e).__name__})") from None
    return h, w
