"""The embedded demo data: small, seeded, in the official on-disk formats.

``seem-bench data demo --out DIR`` writes::

    DIR/GrabCut/data_GT/*.jpg, boundary_GT/*.bmp    (GrabCut layout: 0 bg, 128 ignore band, 255 object)

The data is a pure function of ``DEMO_VERSION`` and the seed, so every machine gets the same bytes.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from seem_bench.data.scenes import make_scene

DEMO_VERSION = "1"
DEMO_SEED = 20231201
N_GRABCUT = 12


def default_cache_dir() -> Path:
    """``$SEEM_BENCH_CACHE/demo-v<N>``, else ``~/.cache/seem-bench/demo-v<N>``."""
    base = os.environ.get("SEEM_BENCH_CACHE") or Path.home() / ".cache" / "seem-bench"
    return Path(base) / f"demo-v{DEMO_VERSION}"


def _write_grabcut(out: Path, rng: np.random.Generator) -> None:
    img_dir, gt_dir = out / "GrabCut" / "data_GT", out / "GrabCut" / "boundary_GT"
    img_dir.mkdir(parents=True)
    gt_dir.mkdir(parents=True)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    i = 0
    while i < N_GRABCUT:
        scene = make_scene(rng, 240, 320)
        if not scene.objects:
            continue
        # The main object is the largest visible one, as GrabCut's images have one salient object.
        obj = max(scene.objects, key=lambda o: int(o.mask.sum()))
        m = obj.mask.astype(np.uint8)
        band = cv2.dilate(m, kernel).astype(bool) & ~cv2.erode(m, kernel).astype(bool)
        gt = np.where(obj.mask, 255, 0).astype(np.uint8)
        gt[band] = 128
        name = f"demo_{i:03d}"
        cv2.imwrite(str(img_dir / f"{name}.jpg"), cv2.cvtColor(scene.image, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
        cv2.imwrite(str(gt_dir / f"{name}.bmp"), gt)
        i += 1


def generate_demo(out: str | Path, seed: int = DEMO_SEED, overwrite: bool = False) -> Path:
    """Write the demo datasets into ``out`` atomically (a temp dir renamed into place)."""
    out = Path(out)
    if out.exists():
        if not overwrite and (out / ".complete").exists():
            return out
        if overwrite or not (out / ".complete").exists():
            shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        rng = np.random.default_rng(seed)
        _write_grabcut(tmp, np.random.default_rng(rng.integers(2**63)))
        (tmp / ".complete").write_text(f"seem-bench demo v{DEMO_VERSION} seed {seed}\n")
        try:
            os.replace(tmp, out)
        except OSError:
            if not (out / ".complete").exists():  # lost a race with nobody finishing: retry once
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def ensure_demo(quiet: bool = False) -> Path:
    """The demo data root, generated into the cache directory on first use."""
    root = default_cache_dir()
    if not (root / ".complete").exists():
        if not quiet:
            print(f"seem-bench: generating demo data into {root}", file=sys.stderr)
        generate_demo(root)
    return root
