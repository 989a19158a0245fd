"""Readers for the files datasets are made of, each failing with one line naming the file.

Every reader raises `DataError(path, problem)` for a missing, truncated or malformed file, so a
loader never shows a traceback for bad input. Pixel readers return fresh arrays except
`read_label_png`, whose small LRU cache returns read-only arrays (several instances of one
image share one label map; callers derive masks with ``==``, which allocates).
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.errors import DataError
from seem_bench.pixel_limits import DEFAULT_MAX_PIXELS, MAX_PIXELS_ENV, max_pixels  # noqa: F401 (re-exported)


def os_problem(e: OSError, what: str = "file") -> str:
    """The one-line problem of an `OSError` met reading ``what`` (a directory, a too-long name...)."""
    if isinstance(e, FileNotFoundError):
        return f"{what} not found"
    if isinstance(e, IsADirectoryError):
        return f"is a directory, expected a {what}"
    if isinstance(e, NotADirectoryError):
        return f"{what} not found (a parent of it is not a directory)"
    if isinstance(e, PermissionError):
        return f"{what} not readable (permission denied)"
    if e.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return f"cannot read {what} ({e.strerror or type(e).__name__})"


def regular_file(path: str | Path, what: str = "file") -> Path:
    """``path`` if it is a regular file; else a `DataError` naming it (missing, a directory, a
    device or FIFO that would block or never end, a name the OS refuses)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as e:
        raise DataError(p, os_problem(e, what)) from None
    except ValueError:  # an embedded NUL byte
        raise DataError(p, f"invalid file name for a {what}") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(p, f"is a directory, expected a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise DataError(p, f"not a regular file, expected a {what}")
    return p


def read_bytes(path: str | Path, what: str = "file") -> bytes:
    """The bytes of a regular file: the one place files are opened for reading, so every
    `OSError` (a directory, ENAMETOOLONG, EFBIG, EIO under /proc...) is one line naming it."""
    p = regular_file(path, what)
    try:
        with open(p, "rb") as f:
            return f.read()
    except OSError as e:
        raise DataError(p, os_problem(e, what)) from None
    except MemoryError:
        raise DataError(p, f"{what} too large to read into memory") from None


def check_pixels(path: str | Path, width: int, height: int) -> None:
    """Refuse an image whose header declares more pixels than `max_pixels` (before decoding)."""
    limit = max_pixels()
    if width * height > limit:
        raise DataError(path, f"image is {width}x{height} = {width * height:,} pixels, over the limit of "
                              f"{limit:,} (raise it with --max-pixels N if this is intended)")


def open_image(p: Path, what: str = "image", unreadable: str | None = None) -> Any:
    """``PIL.Image.open`` of a regular file, header only, checked against `max_pixels`.

    A header PIL cannot read is a `DataError` starting with ``unreadable`` (default "cannot read
    <what> header"), or ``None`` when ``unreadable`` is ``""`` (the caller decodes otherwise)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # our own limit (above) applies, with a message naming the file
    regular_file(p)
    try:
        im = Image.open(p)
    except Exception as e:  # PIL raises many types for corrupt headers
        if isinstance(e, OSError) and e.errno is not None:
            raise DataError(p, os_problem(e)) from None
        if unreadable == "":
            return None
        raise DataError(p, f"{unreadable or f'cannot read {what} header'} ({type(e).__name__}: {e})") from None
    try:
        check_pixels(p, *im.size)
    except DataError:
        im.close()
        raise
    return im


def _cv2_path_ok(p: Path) -> bool:
    """OpenCV takes a UTF-8 ``std::string``: a path with undecodable bytes crashes it."""
    try:
        str(p).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    import cv2

    p = Path(path)
    im = open_image(p, unreadable="")  # a regular file whose declared size is within the limit
    if im is not None:
        im.close()
    try:
        _check_jpeg_complete(p)
    except OSError as e:
        raise DataError(p, os_problem(e)) from None
    if _cv2_path_ok(p):
        m = cv2.imread(str(p), cv2.IMREAD_COLOR)
    else:
        m = cv2.imdecode(np.frombuffer(read_bytes(p), np.uint8), cv2.IMREAD_COLOR)
    if m is None:
        raise DataError(p, "cannot decode image (truncated or not an image)")
    return m


def read_rgb(path: str | Path) -> np.ndarray:
    """Read an image as ``uint8`` (H, W, 3) RGB (palette and grey images are expanded)."""
    import cv2

    return cv2.cvtColor(read_bgr(path), cv2.COLOR_BGR2RGB)


def read_mask_channel0(path: str | Path) -> np.ndarray:
    """Read a mask as RITM does: ``cv2.imread(path)[:, :, 0]`` (the blue channel), ``uint8`` (H, W)."""
    return read_bgr(path)[:, :, 0]


def image_size(path: str | Path) -> tuple[int, int]:
    """(height, width) of an image file without decoding its pixels."""
    with open_image(Path(path)) as im:
        w, h = im.size
    return h, w


def verify_image(path: str | Path) -> tuple[int, int]:
    """Fully decode an image with PIL (which, unlike OpenCV, rejects truncated JPEGs); (H, W)."""
    p = Path(path)
    try:
        with open_image(p, unreadable="cannot decode image") as im:
            im.load()
            w, h = im.size
    except DataError:
        raise
    except Exception as e:
        raise DataError(p, f"cannot decode image ({type(e).__name__}: {e})") from None
    return h, w


def _read_label_png_uncached(p: Path) -> np.ndarray:
    try:
        with open_image(p, "label PNG", unreadable="cannot decode label PNG") as im:
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
    p = regular_file(path)
    try:
        mtime = p.stat().st_mtime_ns
    except OSError as e:
        raise DataError(p, os_problem(e)) from None
    return _read_label_png_cached(p, mtime)


def png_mode(path: str | Path) -> str:
    """The PIL mode of an image file (``"P"``, ``"L"``, ``"RGB"``...)."""
    with open_image(Path(path)) as im:
        return im.mode


def read_json(path: str | Path, what: str = "file") -> Any:
    """Parse a JSON file (UTF-8, optional BOM): the one JSON reader of the package; a missing,
    unreadable or malformed file is a one-line `DataError` naming it."""
    p = Path(path)
    text = _decode(p, read_bytes(p, what), what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(p, f"not valid JSON ({e})") from None
    except RecursionError:
        raise DataError(p, "not valid JSON (nested too deeply)") from None


def _decode(p: Path, data: bytes, what: str) -> str:
    """UTF-8 text, a leading byte-order mark dropped (editors on Windows write one): every
    reader of JSON and text lists sees the same characters."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(p, f"{what} is not UTF-8 text ({e.reason} at byte {e.start})") from None


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
    data = read_bytes(p)
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
    """A UTF-8 text file (optional BOM dropped); a missing, unreadable or non-text file is a
    one-line `DataError` naming it and ``what``."""
    p = Path(path)
    return _decode(p, read_bytes(p, what), what)


def read_lines(path: str | Path) -> list[str]:
    """Non-empty stripped lines of a text list file (``val.txt``, subset files)."""
    return [s for s in (line.strip() for line in read_text(path).splitlines()) if s]
