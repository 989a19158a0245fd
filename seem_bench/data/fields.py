"""Type checks of the fields of COCO-style index entries, before anything uses them.

A COCO / panoptic / REFER index is hand-editable JSON (or a pickle): a field of the wrong type
must become one line naming the entry, not a ``TypeError`` deep in a loop, a "model error"
record, or a crash in pycocotools' C code (a NaN or 1e30 polygon coordinate makes it allocate
gigabytes or segfault; garbage compressed RLE counts make it read past the string). Every check
returns the problem as text (``None`` = sound); the loaders add the entry's name and the file.

>>> segmentation_problem([[0, 0, 4, 0, float("nan"), 3]], 8, 8)
'polygon coordinates must be finite numbers'
>>> bbox_problem("abc")
'bbox must be a list of 4 finite numbers, got str'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np

#: Polygon coordinates further than this many image sizes outside the image are refused: they
#: are typos (pycocotools rasterises the whole polygon, so 1e30 costs unbounded memory).
POLYGON_MARGIN = 4


def is_int(v: Any) -> bool:
    """An integer (``int`` or a numpy integer from a pickle), not a ``bool``."""
    return type(v) is int or isinstance(v, np.integer)  # type(True) is bool: refused


def is_number(v: Any) -> bool:
    """A finite real number, not a ``bool``."""
    t = type(v)  # exact types first: this runs for every field of every annotation
    if t is float:
        return math.isfinite(v)
    if t is int:
        return True
    return isinstance(v, np.integer | np.floating) and math.isfinite(v)


def kind_of(v: Any) -> str:
    return "null" if v is None else type(v).__name__


def int_problem(v: Any, name: str, minimum: int | None = None) -> str | None:
    if not is_int(v):
        return f"{name} must be an integer, got {kind_of(v)} {v!r:.40}"
    if minimum is not None and v < minimum:
        return f"{name} must be >= {minimum}, got {v}"
    return None


def flag_problem(v: Any, name: str) -> str | None:
    """``iscrowd`` / ``isthing``: 0 or 1 (``true``/``false`` accepted)."""
    if v in (0, 1) and (is_int(v) or isinstance(v, bool)):
        return None
    return f"{name} must be 0 or 1, got {v!r:.40}"


def bbox_problem(v: Any) -> str | None:
    """``None`` (absent) or ``[x, y, w, h]`` of finite numbers with ``w, h >= 0``."""
    if v is None:
        return None
    if not isinstance(v, list | tuple) or len(v) != 4:
        return f"bbox must be a list of 4 finite numbers, got {kind_of(v)}"
    if not all(is_number(x) for x in v):
        return f"bbox must be a list of 4 finite numbers, got {list(v)!r:.60}"
    if v[2] < 0 or v[3] < 0:
        return f"bbox width and height must be >= 0, got {list(v)!r:.60}"
    return None


def area_problem(v: Any) -> str | None:
    if v is None or (is_number(v) and v >= 0):
        return None
    return f"area must be a finite number >= 0, got {kind_of(v)} {v!r:.40}"


def file_name_problem(v: Any) -> str | None:
    """A relative file name inside the dataset's folder (``../../x.jpg`` and absolute paths are
    refused: an index must not make a run read files outside the dataset)."""
    if not isinstance(v, str) or not v:
        return f"file_name must be a non-empty string, got {kind_of(v)}"
    if "\x00" in v:
        return "file_name holds a NUL byte"
    posix, win = PurePosixPath(v), PureWindowsPath(v)
    if posix.is_absolute() or win.is_absolute() or win.drive or ".." in posix.parts or ".." in win.parts:
        return f"file_name {v!r:.80} escapes the dataset folder (absolute or with '..')"
    return None


def image_entry(im: Any) -> tuple[dict[str, Any] | None, str | None]:
    """``({id, height, width, file_name}, None)`` for a sound COCO image entry, else ``(None, problem)``."""
    if not isinstance(im, dict):
        return None, f"image entry must be an object, got {kind_of(im)}"
    missing = [k for k in ("id", "height", "width", "file_name") if k not in im]
    if missing:
        return None, f"image entry lacks {'/'.join(missing)}: {im!r:.80}"
    why = (int_problem(im["id"], "image id") or int_problem(im["height"], "height", 1)
           or int_problem(im["width"], "width", 1) or file_name_problem(im["file_name"]))
    if why:
        return None, f"image {im['id']!r:.40}: {why}"
    return {"id": int(im["id"]), "height": int(im["height"]), "width": int(im["width"]),
            "file_name": im["file_name"]}, None


def rle_string_counts(s: str) -> list[int] | str:
    """The run lengths of a COCO compressed RLE string, or the problem with it.

    The format: each count is a little-endian sequence of 5-bit groups stored as ``chr(48 + g)``
    (bit 0x20 = more groups follow, bit 0x10 of the last group = sign); from the third count
    on, the stored value is the difference to the count two before.
    """
    counts: list[int] = []
    i, n = 0, len(s)
    while i < n:
        x = k = 0
        more = True
        while more:
            if i >= n:
                return "compressed RLE counts end in the middle of a number"
            c = ord(s[i]) - 48
            if not 0 <= c < 64:
                return f"compressed RLE counts hold {s[i]!r}, outside the alphabet '0'..'o'"
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            i += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        if x < 0:
            return f"compressed RLE count #{len(counts)} is negative ({x})"
        counts.append(x)
    return counts


def rle_strings_problem(strings: Sequence[str], areas: Sequence[int]) -> tuple[int, str] | None:
    """``(i, problem)`` for the first of many compressed RLE strings that is malformed or whose
    counts do not sum to ``areas[i]`` (its image's h*w); ``None`` when all are valid.

    The same rules as `rle_string_counts`, decoded for all strings in a few numpy passes over
    their concatenation (a results file holds hundreds of thousands; a Python loop per character
    would cost more than the evaluation).
    """
    if not strings:
        return None
    n = len(strings)
    lengths = np.fromiter((len(st) for st in strings), np.int64, n)
    bounds = np.concatenate(([0], np.cumsum(lengths)))
    try:
        c = np.frombuffer("".join(strings).encode("ascii"), np.uint8) - np.uint8(48)
    except UnicodeEncodeError:
        c = None
    # Every character in '0'..'o', and every string ends on a number's last group ('0'..'O').
    last = None if c is None else c < 32
    if c is None or (c > 63).any() or (~last[bounds[1:][lengths > 0] - 1]).any():
        for i, st in enumerate(strings):
            parsed = rle_string_counts(st)
            if isinstance(parsed, str):
                return i, parsed
        return 0, "malformed compressed RLE counts"  # not reached: the rules are the same
    pos = np.arange(c.size, dtype=np.int64)
    opens = np.ones(c.size, bool)
    opens[1:] = last[:-1]
    k = pos - np.maximum.accumulate(np.where(opens, pos, 0))  # group index within its number
    if k.max(initial=0) > 11:  # more than 60 bits
        return int(np.searchsorted(np.cumsum(lengths), int(np.argmax(k > 11)), side="right")), \
            "compressed RLE count too large"
    ends = np.flatnonzero(last)  # every string ends on a last group (the grammar)
    x = np.add.reduceat((c & 0x1F).astype(np.int64) << (5 * k), np.flatnonzero(opens))
    negative = (c[ends] & 0x10) != 0
    x[negative] -= np.left_shift(np.int64(1), 5 * (k[ends][negative] + 1))
    # Numbers per string, and each number's index m within its string.
    closed = np.concatenate(([0], np.cumsum(last, dtype=np.int64)))
    per_string = closed[bounds[1:]] - closed[bounds[:-1]]
    owner = np.repeat(np.arange(n), per_string)
    first = np.concatenate(([0], np.cumsum(per_string)[:-1]))
    m = np.arange(x.size) - first[owner]
    # count[m] = x[m] + count[m - 2] for m >= 3: running sums along m = 1, 3, 5, ... and along
    # m = 2, 4, 6, ... of each string (count[0] stands alone), as global cumulative sums minus
    # each string's total before it.
    counts = x.copy()
    for parity in (0, 1):
        on = (m % 2 == parity) & (m >= 1)
        run = np.cumsum(np.where(on, x, 0))
        before = np.concatenate(([0], run))[first]  # the running sum where each string starts
        counts[on] = (run - before[owner])[on]
    bad = np.flatnonzero(counts < 0)
    sums = np.zeros(len(strings), np.int64)
    nonempty = per_string > 0
    sums[nonempty] = np.add.reduceat(counts, first[nonempty])
    wrong = np.flatnonzero(sums != np.asarray(areas, np.int64))
    if bad.size and (not wrong.size or owner[bad[0]] <= wrong[0]):
        i = int(owner[bad[0]])
        return i, f"compressed RLE count #{int(m[bad[0]])} is negative ({int(counts[bad[0]])})"
    if wrong.size:
        i = int(wrong[0])
        return i, f"RLE counts sum to {int(sums[i])}, not h*w = {int(areas[i])}"
    return None


def segmentation_problem(seg: Any, h: int, w: int) -> str | None:
    """Why ``seg`` is not a valid COCO segmentation for an (h, w) image, or ``None``."""
    if isinstance(seg, list):
        if not seg:
            return "empty polygon list"
        lo, hi = -POLYGON_MARGIN * max(h, w), (POLYGON_MARGIN + 1) * max(h, w)
        for poly in seg:
            # pycocotools rasterises anything from 2 points up (COCO has a few degenerate polygons).
            if not isinstance(poly, list) or len(poly) < 4 or len(poly) % 2:
                return "a polygon must be a flat list of (x, y) pairs"
            # In C, once per polygon (COCO has hundreds of thousands): fsum refuses non-numbers
            # and is non-finite when a coordinate is; min/max then bound the rest.
            try:
                total = math.fsum(poly)
            except (TypeError, ValueError, OverflowError):
                return "polygon coordinates must be finite numbers"
            if not math.isfinite(total):
                return "polygon coordinates must be finite numbers"
            first, last = min(poly), max(poly)
            if first < lo or last > hi:
                return f"polygon coordinate out of range [{lo}, {hi}] for a {w}x{h} image ({first:g}..{last:g})"
        return None
    if isinstance(seg, dict):
        size, counts = seg.get("size"), seg.get("counts")
        if not (isinstance(size, list | tuple) and len(size) == 2) or counts is None:
            return "RLE needs 'size' [h, w] and 'counts'"
        if not all(is_int(v) and v >= 0 for v in size):
            return f"RLE size must be two integers >= 0, got {list(size)!r:.40}"
        if [int(size[0]), int(size[1])] != [h, w]:
            return f"RLE size {size[0]}x{size[1]} (h x w) differs from the image's {h}x{w}"
        if isinstance(counts, list):
            if not all(is_int(c) and c >= 0 for c in counts):
                return "uncompressed RLE counts must be integers >= 0"
            values = counts
        elif isinstance(counts, str):
            parsed = rle_string_counts(counts)
            if isinstance(parsed, str):
                return parsed
            values = parsed
        else:
            return f"RLE counts must be a list or a string, got {kind_of(counts)}"
        total = sum(int(c) for c in values)
        if total != h * w:
            return f"RLE counts sum to {total}, not h*w = {h * w}"
        return None
    return f"segmentation must be polygons or RLE, got {kind_of(seg)}"


def annotation_problem(ann: dict[str, Any], h: int, w: int) -> str | None:
    """The fields of a COCO instance annotation besides its ids: iscrowd, bbox, area, segmentation."""
    return (flag_problem(ann.get("iscrowd", 0), "iscrowd") or bbox_problem(ann.get("bbox"))
            or area_problem(ann.get("area")) or segmentation_problem(ann.get("segmentation"), h, w))
