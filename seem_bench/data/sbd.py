"""SBD (Semantic Boundaries Dataset) instance masks, as RITM's ``SBDEvaluationDataset`` reads them.

Layout (``root`` = the folder holding ``img/``, ``inst/`` and the split lists)::

    root/val.txt              one image name per line (RITM evaluates ``val``)
    root/img/<name>.jpg
    root/inst/<name>.mat      MATLAB v5 file, variable ``GTinst``: struct with fields
                              ``Segmentation`` (uint8 H x W, 0 = background, k = instance k),
                              ``Boundaries`` (cell of sparse edge maps), ``Categories`` (VOC class
                              of each instance, 1..20)

RITM evaluates one sample per (image, instance): instance ids are the non-zero labels of
``Segmentation`` (``np.bincount`` order, i.e. ascending), the mask is ``Segmentation == k`` and
nothing is ignored. seem-bench yields one `Sample` per image holding all its instances (the
image is encoded once); flattening samples x instances gives RITM's per-instance samples in
RITM's order (list-file order, ascending label), with identical masks.
"""

from __future__ import annotations

from functools import lru_cache, partial
from pathlib import Path

import numpy as np

from seem_bench.data.fingerprint import fingerprint_files
from seem_bench.data.io import image_size, read_lines, read_rgb
from seem_bench.data.problems import STRICT, Problems
from seem_bench.data.types import Dataset, Instance, Sample
from seem_bench.errors import DataError


@lru_cache(maxsize=8)
def _read_gtinst_cached(path: Path, mtime_ns: int) -> tuple[np.ndarray, tuple[int, ...]]:
    from scipy.io import loadmat

    try:
        mat = loadmat(str(path))
    except Exception as e:  # scipy raises ValueError/TypeError/OSError on bad files
        raise DataError(path, f"cannot read MATLAB file ({type(e).__name__}: {e})") from None
    gt = mat.get("GTinst")
    if gt is None or gt.dtype.names is None or "Segmentation" not in gt.dtype.names:
        raise DataError(path, "no GTinst struct with a Segmentation field")
    seg = np.asarray(gt["Segmentation"][0, 0])
    if seg.ndim != 2:
        raise DataError(path, f"GTinst.Segmentation has shape {seg.shape}, expected (H, W)")
    cats: tuple[int, ...] = ()
    if "Categories" in gt.dtype.names:
        cats = tuple(int(c) for c in np.asarray(gt["Categories"][0, 0]).ravel())
    seg = seg.astype(np.int32)
    seg.setflags(write=False)
    return seg, cats


def read_gtinst(path: str | Path) -> tuple[np.ndarray, tuple[int, ...]]:
    """(``Segmentation`` as ``int32`` (H, W), read-only; ``Categories`` per instance) of a GTinst ``.mat``."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime_ns
    except OSError:
        raise DataError(p, "file not found") from None
    return _read_gtinst_cached(p, mtime)


def sbd_instance_mask(path: Path, k: int) -> np.ndarray:
    """Instance ``k`` of a GTinst file, ``bool`` (H, W)."""
    return read_gtinst(path)[0] == k


def instance_ids(seg: np.ndarray) -> list[int]:
    """Non-zero labels present in ``seg``, ascending (RITM's ``get_labels_with_sizes``)."""
    counts = np.bincount(seg.ravel().astype(np.int64))
    return [int(k) for k in np.nonzero(counts)[0] if k != 0]


def build_sbd(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    """Index SBD ``split`` (default ``val``): reads every ``inst/*.mat`` once to list instances."""
    split = split or "val"
    list_file = root / f"{split}.txt"
    names = read_lines(list_file)
    if not names:
        problems.add(list_file, "lists no images")
    samples = []
    for name in names:
        img, mat = root / "img" / f"{name}.jpg", root / "inst" / f"{name}.mat"
        try:
            seg, cats = read_gtinst(mat)
            h, w = image_size(img)
        except DataError as e:
            problems.add_error(e)
            continue
        if seg.shape != (h, w):
            problems.add(mat, f"Segmentation is {seg.shape[1]}x{seg.shape[0]} but {img.name} is {w}x{h}")
            continue
        ids = instance_ids(seg)
        bad = [k for k in ids if cats and k > len(cats)]
        if bad:
            problems.add(mat, f"instance {bad[0]} has no entry in GTinst.Categories ({len(cats)} entries)")
            continue
        insts = tuple(Instance(instance_id=str(k), mask_loader=partial(sbd_instance_mask, mat, k),
                               category_id=cats[k - 1] if cats else None) for k in ids)
        samples.append(Sample(sample_id=name, dataset="sbd", image_loader=partial(read_rgb, img),
                              height=h, width=w, instances=insts, image_path=str(img),
                              meta={"inst_path": str(mat)}))
    return Dataset(name="sbd", root=root, split=split, samples=samples,
                   fingerprint={"files": fingerprint_files(root, [list_file])})


def load_sbd(root: str | Path, split: str | None = None) -> Dataset:
    """``sbd``: ``img/``, ``inst/`` GTinst ``.mat`` files, ``val.txt`` (default split ``val``)."""
    return build_sbd(Path(root), split)
