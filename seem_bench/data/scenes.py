"""Procedural scenes for the demo data: textured objects on textured backgrounds.

The scenes are built to be hard for classical methods (GrabCut, random walker): object and
background textures share colours, objects occlude each other, some have holes (rings) and thin
parts (stick shapes), and several instances share an image. Everything is a pure function of the
seed, so the demo data is byte-identical on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Demo categories in COCO panoptic style (``isthing`` 1 = countable object, 0 = stuff).
CATEGORIES: tuple[dict, ...] = (
    {"id": 1, "name": "disc", "supercategory": "shape", "isthing": 1, "color": [220, 20, 60]},
    {"id": 2, "name": "ring", "supercategory": "shape", "isthing": 1, "color": [119, 11, 32]},
    {"id": 3, "name": "star", "supercategory": "shape", "isthing": 1, "color": [0, 0, 142]},
    {"id": 4, "name": "stick", "supercategory": "shape", "isthing": 1, "color": [0, 0, 230]},
    {"id": 5, "name": "blob", "supercategory": "shape", "isthing": 1, "color": [106, 0, 228]},
    {"id": 6, "name": "sky", "supercategory": "stuff", "isthing": 0, "color": [70, 130, 180]},
    {"id": 7, "name": "ground", "supercategory": "stuff", "isthing": 0, "color": [152, 251, 152]},
)
THING_IDS = (1, 2, 3, 4, 5)
STUFF_SKY, STUFF_GROUND = 6, 7

_PALETTE = np.array(
    [[196, 140, 90], [120, 160, 80], [90, 110, 170], [180, 180, 160], [150, 90, 120],
     [200, 170, 60], [100, 140, 140], [170, 120, 100]], dtype=np.float32)
_COLOR_WORDS = ("brown", "green", "blue", "grey", "purple", "yellow", "teal", "tan")


@dataclass
class SceneObject:
    category_id: int
    mask: np.ndarray  # visible mask after occlusion, bool (H, W)
    color_index: int  # index into the palette; ``color_word`` names it
    full_mask: np.ndarray  # the whole shape before occlusion

    @property
    def color_word(self) -> str:
        return _COLOR_WORDS[self.color_index]


@dataclass
class Scene:
    image: np.ndarray  # uint8 (H, W, 3) RGB
    objects: list[SceneObject]  # in depth order, last is in front
    stuff: dict[int, np.ndarray]  # stuff category id -> visible mask


def texture(rng: np.random.Generator, h: int, w: int, base: np.ndarray) -> np.ndarray:
    """A float (H, W, 3) texture: oriented stripes + blotches + grain around ``base`` colour."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, np.pi)
    freq = rng.uniform(0.08, 0.35)
    stripes = np.sin((xx * np.cos(theta) + yy * np.sin(theta)) * freq + rng.uniform(0, 6.28))
    blot = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), rng.uniform(3, 8))
    blot /= max(float(np.abs(blot).max()), 1e-6)
    grain = rng.standard_normal((h, w)).astype(np.float32)
    amp = rng.uniform(25, 45)
    lum = amp * stripes + 40 * blot + 10 * grain
    tint = rng.uniform(-25, 25, size=3).astype(np.float32)
    return base[None, None, :] + tint + lum[..., None]


def _shape_mask(rng: np.random.Generator, cat: int, h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    s = min(h, w)
    cx, cy = int(rng.uniform(0.15, 0.85) * w), int(rng.uniform(0.2, 0.85) * h)
    r = int(rng.uniform(0.09, 0.2) * s)
    if cat == 1:  # disc (ellipse)
        cv2.ellipse(m, (cx, cy), (r, int(r * rng.uniform(0.6, 1.0))), rng.uniform(0, 180), 0, 360, 1, -1)
    elif cat == 2:  # ring: ellipse with a hole
        cv2.ellipse(m, (cx, cy), (r, r), 0, 0, 360, 1, -1)
        cv2.ellipse(m, (cx, cy), (max(r // 2, 2), max(r // 2, 2)), 0, 0, 360, 0, -1)
    elif cat == 3:  # star: concave polygon
        k = int(rng.integers(5, 8))
        ang = np.linspace(0, 2 * np.pi, 2 * k, endpoint=False) + rng.uniform(0, np.pi)
        rad = np.where(np.arange(2 * k) % 2 == 0, r, r * 0.45)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1).astype(np.int32)
        cv2.fillPoly(m, [pts], 1)
    elif cat == 4:  # stick figure: thin limbs from a small body
        cv2.circle(m, (cx, cy), max(r // 3, 3), 1, -1)
        for _ in range(int(rng.integers(3, 6))):
            a = rng.uniform(0, 2 * np.pi)
            ln = r * rng.uniform(1.0, 1.8)
            end = (int(cx + ln * np.cos(a)), int(cy + ln * np.sin(a)))
            cv2.line(m, (cx, cy), end, 1, int(rng.integers(2, 5)))
    else:  # blob: smoothed random polygon
        k = 9
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = r * rng.uniform(0.5, 1.3, k)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1).astype(np.int32)
        cv2.fillPoly(m, [pts], 1)
        m = (cv2.GaussianBlur(m.astype(np.float32), (0, 0), 3) > 0.5).astype(np.uint8)
    return m.astype(bool)


def make_scene(rng: np.random.Generator, h: int = 240, w: int = 320, n_objects: int | None = None,
               min_area: int = 150) -> Scene:
    """Draw one scene. Objects later in the list occlude earlier ones; tiny remnants are dropped."""
    yy, xx = np.mgrid[0:h, 0:w]
    horizon = h * rng.uniform(0.3, 0.6) + 10 * np.sin(xx / w * rng.uniform(3, 9) + rng.uniform(0, 6))
    sky = yy < horizon
    sky_col, ground_col = rng.choice(len(_PALETTE), 2, replace=False)
    img = np.where(sky[..., None], texture(rng, h, w, _PALETTE[sky_col]),
                   texture(rng, h, w, _PALETTE[ground_col]))
    n = int(rng.integers(3, 6)) if n_objects is None else n_objects
    shapes = []
    for _ in range(n):
        cat = int(rng.choice(THING_IDS))
        full = _shape_mask(rng, cat, h, w)
        if full.sum() < min_area:
            continue
        # Objects borrow the background palette half of the time: colour alone must not separate them.
        ci = int(rng.choice([sky_col, ground_col])) if rng.random() < 0.5 else int(rng.integers(len(_PALETTE)))
        tex = texture(rng, h, w, _PALETTE[ci])
        img = np.where(full[..., None], tex, img)
        shapes.append((cat, full, ci))
    covered = np.zeros((h, w), bool)
    objects: list[SceneObject] = []
    for cat, full, ci in reversed(shapes):
        vis = full & ~covered
        covered |= full
        if vis.sum() >= min_area:
            objects.append(SceneObject(cat, vis, ci, full))
    objects.reverse()
    stuff = {STUFF_SKY: sky & ~covered, STUFF_GROUND: ~sky & ~covered}
    img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 0.8)
    img = np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    return Scene(img, objects, stuff)


def _shift(arr: np.ndarray, dx: float, dy: float, nearest: bool) -> np.ndarray:
    h, w = arr.shape[:2]
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.warpAffine(arr, m, (w, h), flags=flags, borderMode=cv2.BORDER_REFLECT)


def make_video(rng: np.random.Generator, n_frames: int = 8, h: int = 240, w: int = 320,
               n_objects: int | None = None, min_area: int = 300) -> list[Scene]:
    """A short clip: textured objects translating over a static textured background.

    Every frame's ``objects`` list has the same objects in the same (depth) order, so index k in
    one frame is object k in every frame; a visible mask may shrink to nothing under occlusion
    or at the border in later frames, but every object is visible (>= ``min_area``) in frame 0.
    """
    yy, xx = np.mgrid[0:h, 0:w]
    horizon = h * rng.uniform(0.3, 0.6) + 10 * np.sin(xx / w * rng.uniform(3, 9) + rng.uniform(0, 6))
    sky = yy < horizon
    sky_col, ground_col = rng.choice(len(_PALETTE), 2, replace=False)
    bg = np.where(sky[..., None], texture(rng, h, w, _PALETTE[sky_col]), texture(rng, h, w, _PALETTE[ground_col]))
    n = int(rng.integers(2, 4)) if n_objects is None else n_objects
    movers = []
    for _ in range(n):
        cat = int(rng.choice(THING_IDS))
        full = _shape_mask(rng, cat, h, w).astype(np.uint8)
        ci = int(rng.choice([sky_col, ground_col])) if rng.random() < 0.5 else int(rng.integers(len(_PALETTE)))
        tex = texture(rng, h, w, _PALETTE[ci]).astype(np.float32)
        vel = rng.uniform(-7, 7, size=2)
        movers.append((cat, full, ci, tex, vel))
    frames: list[Scene] = []
    keep: list[int] | None = None
    for t in range(n_frames):
        img = bg.copy()
        fulls = []
        for _cat, full, _ci, tex, (vx, vy) in movers:
            m = _shift(full, vx * t, vy * t, nearest=True).astype(bool)
            img = np.where(m[..., None], _shift(tex, vx * t, vy * t, nearest=False), img)
            fulls.append(m)
        covered = np.zeros((h, w), bool)
        vis = [np.zeros((h, w), bool)] * len(fulls)
        for k in reversed(range(len(fulls))):
            vis[k] = fulls[k] & ~covered
            covered |= fulls[k]
        if keep is None:  # objects hidden in frame 0 are not part of the clip (DAVIS numbers frame-0 objects)
            keep = [k for k in range(len(fulls)) if vis[k].sum() >= min_area]
        objects = [SceneObject(movers[k][0], vis[k], movers[k][2], fulls[k]) for k in keep]
        stuff = {STUFF_SKY: sky & ~covered, STUFF_GROUND: ~sky & ~covered}
        img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 0.8)
        img = np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
        frames.append(Scene(img, objects, stuff))
    return frames
