"""Plain transcriptions of the SPEC §2 click rules, written for the tests only.

Independent of seem-bench's helpers on purpose: scipy's exact EDT instead of OpenCV, explicit
loops for the blobs, ``np.flatnonzero(m == m.max())[0]`` instead of ``argmax``.

SPEC §2 ``ritm``: fn = gt & ~pred & not_ignore, fp = ~gt & pred & not_ignore; zero-pad by 1 px;
exact L2 DT; times a not-yet-clicked map; positive iff max(fn_dt) > max(fp_dt) (tie negative);
location = first maximum in row-major order.

SPEC §2 ``seem``: positive iff |fn| > |fp| by area (tie negative); fn/fp exclude pixels already
prompted (the 3x3 blob of every earlier click); click at the DT argmax with 1-px padding.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import distance_transform_edt


def padded_edt(region: np.ndarray) -> np.ndarray:
    h, w = region.shape
    big = np.zeros((h + 2, w + 2), bool)
    big[1:h + 1, 1:w + 1] = region
    return distance_transform_edt(big)[1:h + 1, 1:w + 1]


def first_max(a: np.ndarray) -> tuple[int, int]:
    flat = int(np.flatnonzero(a == a.max())[0])
    return flat % a.shape[1], flat // a.shape[1]


def ritm_reference(gt, pred, ignore=None, clicks=()):
    """-> (x, y, positive)"""
    not_ignore = np.ones_like(gt) if ignore is None else ~ignore
    fn = gt & ~pred & not_ignore
    fp = ~gt & pred & not_ignore
    fn_d = padded_edt(fn)
    fp_d = padded_edt(fp)
    not_clicked = np.ones(gt.shape)
    for x, y, _ in clicks:
        not_clicked[y, x] = 0
    fn_d = fn_d * not_clicked
    fp_d = fp_d * not_clicked
    positive = fn_d.max() > fp_d.max()
    x, y = first_max(fn_d if positive else fp_d)
    return x, y, bool(positive)


def seem_reference(gt, pred, clicks=(), prompted=None):
    """-> (x, y, positive)"""
    h, w = gt.shape
    done = np.zeros((h, w), bool) if prompted is None else prompted.copy()
    for x, y, _ in clicks:
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if 0 <= y + dy < h and 0 <= x + dx < w:
                    done[y + dy, x + dx] = True
    fn = gt & ~pred & ~done
    fp = ~gt & pred & ~done
    positive = int(fn.sum()) > int(fp.sum())
    x, y = first_max(padded_edt(fn if positive else fp))
    return x, y, bool(positive)
