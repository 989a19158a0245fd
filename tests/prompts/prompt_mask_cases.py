"""Random mask pairs for the click-rule tests: varied shapes, errors, ignore bands and clicks."""

from __future__ import annotations

import cv2
import numpy as np


def random_shape(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    kind = rng.integers(4)
    cx, cy = int(rng.integers(-w // 4, w + w // 4)), int(rng.integers(-h // 4, h + h // 4))
    if kind == 0:  # axis-aligned rectangle: many distance-transform ties
        x0, y0 = int(rng.integers(-2, w)), int(rng.integers(-2, h))
        cv2.rectangle(m, (x0, y0), (x0 + int(rng.integers(1, w)), y0 + int(rng.integers(1, h))), 1, -1)
    elif kind == 1:
        axes = (int(rng.integers(1, w // 2 + 2)), int(rng.integers(1, h // 2 + 2)))
        cv2.ellipse(m, (cx, cy), axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    elif kind == 2:
        pts = rng.integers([-2, -2], [w + 2, h + 2], size=(int(rng.integers(3, 7)), 2)).astype(np.int32)
        cv2.fillPoly(m, [pts], 1)
    else:  # smoothed noise: ragged shapes with holes
        noise = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), float(rng.uniform(1, 4)))
        m = (noise > np.quantile(noise, rng.uniform(0.3, 0.9))).astype(np.uint8)
    return m.astype(bool)


def random_gt(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    if rng.random() < 0.03:
        return np.zeros((h, w), bool)
    gt = random_shape(rng, h, w)
    for _ in range(int(rng.integers(0, 3))):
        gt = gt | random_shape(rng, h, w) if rng.random() < 0.7 else gt & ~random_shape(rng, h, w)
    return gt


def random_pred(rng: np.random.Generator, gt: np.ndarray) -> np.ndarray:
    h, w = gt.shape
    kind = rng.integers(8)
    k = np.ones((3, 3), np.uint8)
    g8 = gt.astype(np.uint8)
    if kind == 0:
        return np.zeros_like(gt)
    if kind == 1:
        return gt.copy()  # perfect
    if kind == 2:
        return np.roll(gt, (int(rng.integers(-5, 6)), int(rng.integers(-5, 6))), axis=(0, 1))
    if kind == 3:
        return cv2.dilate(g8, k, iterations=int(rng.integers(1, 4))).astype(bool)
    if kind == 4:
        return cv2.erode(g8, k, iterations=int(rng.integers(1, 4))).astype(bool)
    if kind == 5:
        return gt ^ random_shape(rng, h, w)
    if kind == 6:
        return random_shape(rng, h, w)
    return (gt | random_shape(rng, h, w)) & ~random_shape(rng, h, w)


def random_ignore(rng: np.random.Generator, gt: np.ndarray) -> np.ndarray | None:
    r = rng.random()
    if r < 0.55:
        return None
    if r < 0.8:  # GrabCut-like band around the object boundary
        g8 = gt.astype(np.uint8)
        k = np.ones((3, 3), np.uint8)
        it = int(rng.integers(1, 3))
        return cv2.dilate(g8, k, iterations=it).astype(bool) & ~cv2.erode(g8, k, iterations=it).astype(bool)
    return random_shape(rng, *gt.shape)


def random_clicks(rng: np.random.Generator, gt: np.ndarray, pred: np.ndarray
                  ) -> list[tuple[int, int, bool]]:
    """Earlier clicks: in the error regions, on the object or anywhere (duplicates allowed)."""
    h, w = gt.shape
    out = []
    err = np.flatnonzero(gt ^ pred)
    for _ in range(int(rng.integers(0, 6))):
        if err.size and rng.random() < 0.6:
            y, x = divmod(int(err[rng.integers(err.size)]), w)
        else:
            x, y = int(rng.integers(w)), int(rng.integers(h))
        out.append((x, y, bool(gt[y, x])))
    return out


def random_case(rng: np.random.Generator, sizes=((24, 32), (64, 64))):
    h = int(rng.integers(sizes[0][0], sizes[1][0] + 1))
    w = int(rng.integers(sizes[0][1], sizes[1][1] + 1))
    gt = random_gt(rng, h, w)
    pred = random_pred(rng, gt)
    return gt, pred, random_ignore(rng, gt), random_clicks(rng, gt, pred)
