"""Readers for the files datasets are made of, each failing with one line naming the file.

Every reader raises `DataError(path, problem)` for a missing, truncated or malformed file, so a
loader never shows a traceback for bad input. Pixel readers return fresh arrays except
`read_label_png`, whose small LRU cache returns read-only arrays (several instances of one
image share one label map; callers derive masks with ``==``, which allocates).
"""

from __future__ import annotations

import json
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from seem_bench.errors import DataError


def _check_jpeg_complete(p: Path) -> None:
    """Refuse a truncated JPEG, which OpenCV decodes anyway (grey bottom rows, a libjpeg warning
    on stderr, exit 0). A complete JPEG ends with the EOI marker ``FF D9``; a file that does not
    (trailing padding after EOI is legal) is fully decoded by PIL, which rejects truncation."""
    with open(p, "rb") as f:
        if f.read(2) != b"\xff\xd8":
            return  # not a JPEG
        f.seek(max(0, f.seek(0, 2) - 64))
        tail = f.read().rstrip(b"\x00\r\n\t ")
    if not tail.endswith(b"\xff\xd9"):
        verify_image(p)


def read_bgr(path: str | Path) -> np.ndarray:
    """``cv2.imread(path)`` (``uint8`` (H, W, 3) BGR, palette expanded), as RITM reads images and
    masks; a missing, truncated or undecodable file is a `DataError`."""
    p = Path(path)
    if not p.is_file():
        raise DataError(p, "file not found")
    _check_jpeg_complete(p)
    m = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if m is None:
        raise DataError(p, "cannot decode image (truncated or not an image)")
    return m


def read_rgb(path: str | Path) -> np.ndarray:
    """Read an image as ``uint8`` (H, W, 3) RGB (palette and grey images are expanded)."""
    return cv2.cvtColor(read_bgr(path), cv2.COLOR_BGR2RGB)


def read_mask_channel0(path: str | Path) -> np.ndarray:
    """Read a mask as RITM does: ``cv2.imread(path)[:, :, 0]`` (the blue channel), ``uint8`` (H, W)."""
    return read_bgr(path)[:, :, 0]


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


def verify_image(path: str | Path) -> tuple[int, int]:
    """Fully decode an image with PIL (which, unlike OpenCV, rejects truncated JPEGs); (H, W)."""
    from PIL import Image

    p = Path(path)
    if not p.is_file():
        raise DataError(p, "file not found")
    try:
        with Image.open(p) as im:
            im.load()
            w, h = im.size
    except Exception as e:
        raise DataError(p, f"cannot decode image ({type(e).__name__}: {e})") from None
    return h, w


def _read_label_png_uncached(p: Path) -> np.ndarray:
    from PIL import Image

    if not p.is_file():
        raise DataError(p, "file not found")
    try:
        with Image.open(p) as im:
            mode = im.mode
            if mode not in ("P", "L", "1", "I", "I;16"):
                raise DataError(p, f"expected a palette or greyscale PNG, got mode {mode!r}")
            arr = np.array(im)
    except DataError:
        raise
    except Exception as e:
        raise DataError(p, f"cannot decode label PNG ({type(e).__name__}: {e})") from None
    if arr.ndim != 2:
        raise DataError(p, f"expected a single-channel label image, got shape {arr.shape}")
    arr.setflags(write=False)
    return arr


@lru_cache(maxsize=16)
def _read_label_png_cached(p: Path, mtime_ns: int) -> np.ndarray:
    return _read_label_png_uncached(p)


def read_label_png(path: str | Path) -> np.ndarray:
    """Pixel values of a palette or greyscale PNG (palette *indices*, not colours), (H, W), read-only.

    This is ``np.array(PIL.Image.open(path))`` as davis2017-evaluation reads DAVIS annotations.

    >>> read_label_png("Annotations/480p/bear/00000.png")  # doctest: +SKIP
    array([[0, 0, ...]], dtype=uint8)
    """
    p = Path(path)
    try:
        mtime = p.stat().st_mtime_ns
    except OSError:
        raise DataError(p, "file not found") from None
    return _read_label_png_cached(p, mtime)


def png_mode(path: str | Path) -> str:
    """The PIL mode of an image file (``"P"``, ``"L"``, ``"RGB"``...)."""
    from PIL import Image

    p = Path(path)
    try:
        with Image.open(p) as im:
            return im.mode
    except FileNotFoundError:
        raise DataError(p, "file not found") from None
    except Exception as e:
        raise DataError(p, f"cannot read image header ({type(e).__name__})") from None


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; a missing or malformed file is a one-line `DataError`."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            return json.load(f)
    except FileNotFoundError:
        raise DataError(p, "file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(p, f"not valid JSON ({e})") from None


def _py2_text(obj: Any) -> Any:
    """Turn the ``bytes`` a Python 2 ``str`` unpickles to (``encoding='bytes'``) into ``str``."""
    if isinstance(obj, bytes):
        try:
            return obj.decode("utf-8")
        except UnicodeDecodeError:
            return obj.decode("latin-1")
    if isinstance(obj, dict):
        return {_py2_text(k): _py2_text(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_py2_text(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_py2_text(v) for v in obj)
    return obj


#: The only globals a dataset pickle may name: plain data, bytes (protocol <= 2 from Python 3)
#: and numpy scalars/arrays (RITM's ``test.pickle``). Anything else is refused, so reading a
#: dataset never runs code from it.
_PICKLE_GLOBALS = {
    ("_codecs", "encode"), ("builtins", "set"), ("builtins", "frozenset"), ("__builtin__", "set"),
    ("numpy", "dtype"), ("numpy", "ndarray"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}


class _DataUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        return super().find_class(module, name)


def _unpickle(data: bytes, encoding: str) -> Any:
    import io

    return _DataUnpickler(io.BytesIO(data), encoding=encoding).load()


def read_py2_pickle(path: str | Path) -> Any:
    """Load a data-only pickle written by Python 2 (REFER's ``refs(<splitBy>).p``) or Python 3.

    Python 2 ``str`` objects are stored as byte strings; Python 3 decodes them as ASCII by
    default, which is what REFER's users get. Non-ASCII byte strings are retried as UTF-8
    (falling back to Latin-1) instead of failing. Only plain data is accepted: a pickle naming
    any other global (a class, a function) is a `DataError`.
    """
    p = Path(path)
    try:
        with open(p, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DataError(p, "file not found") from None
    try:
        return _unpickle(data, "ASCII")
    except UnicodeDecodeError:
        try:
            return _py2_text(_unpickle(data, "bytes"))
        except Exception as e:
            raise DataError(p, f"cannot unpickle ({type(e).__name__}: {e})") from None
    except Exception as e:  # truncated pickles raise EOFError / UnpicklingError / ValueError...
        raise DataError(p, f"cannot unpickle ({type(e).__name__}: {e})") from None


def read_text(path: str | Path, what: str = "file") -> str:
    """A UTF-8 text file; a missing or non-text file is a one-line `DataError` naming ``what``."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(p, f"{what} not found") from None
    except UnicodeDecodeError:
        raise DataError(p, f"{what} is not UTF-8 text") from None


def read_lines(path: str | Path) -> list[str]:
    """Non-empty stripped lines of a text list file (``val.txt``, subset files)."""
    return [s for s in (line.strip() for line in read_text(path).splitlines()) if s]
