"""``seem-bench data check``: validate every file of a dataset split, one line per problem.

Checks, in order: the index files parse and agree with each other (ids consistent, categories
known, splits non-empty — reported by the loader through a collecting `Problems` sink); then for
every sample: the image exists and fully decodes (PIL, so truncated JPEGs are caught) at the size
the index says; every instance mask and ignore mask decodes at that size; dataset-level targets
decode at that size; for COCO panoptic the PNG's segment ids equal the JSON's ``segments_info``
ids (VOID = 0 aside) in both directions.

>>> problems = check_dataset("grabcut", "/data/GrabCut")   # doctest: +SKIP
>>> problems                                               # doctest: +SKIP
['/data/GrabCut/boundary_GT/x.bmp: cannot decode image (truncated or not an image)']
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from seem_bench.data.catalog import CATALOG
from seem_bench.data.davis import read_scribbles
from seem_bench.data.guard import EMPTY_MASKS_ALLOWED, mask_source, size_problem
from seem_bench.data.io import verify_image
from seem_bench.data.problems import Problems
from seem_bench.data.types import Dataset, Sample
from seem_bench.errors import DataError, UsageError
from seem_bench.registry import import_string


def build_collecting(name: str, root: str | Path, split: str | None, problems: Problems) -> Dataset | None:
    """Run the dataset's loader with a collecting sink; ``None`` if it could not build an index."""
    root = Path(root)
    info = CATALOG.get(name)
    try:
        if info is not None:
            return import_string(info.builder)(root, split, problems)
        from seem_bench.data.registry import DATASETS

        return DATASETS.get(name)(root, split)  # a plugin: strict, first problem only
    except DataError as e:
        problems.add_error(e)
        return None


def _check_shape(arr: np.ndarray | None, sample: Sample, where: str, what: str, problems: Problems) -> None:
    problem = None if arr is None else size_problem(arr, sample, what)
    if problem is not None:
        problems.add(where, problem)


def _check_panoptic(target: tuple[np.ndarray, list[dict]], sample: Sample, problems: Problems) -> None:
    ids, segments = target
    png = str(sample.meta.get("panoptic_png", sample.sample_id))
    in_png = {int(v) for v in np.unique(ids)} - {0}
    in_json = {int(s["id"]) for s in segments}
    extra, absent = sorted(in_png - in_json), sorted(in_json - in_png)
    if extra:
        problems.add(png, f"PNG holds segment id(s) {', '.join(map(str, extra[:5]))} absent from the JSON "
                          "segments_info")
    if absent:
        problems.add(png, f"segments_info id(s) {', '.join(map(str, absent[:5]))} do not occur in the PNG")


def _check_image(sample: Sample, problems: Problems) -> None:
    path = sample.image_path
    try:
        if path and "#row=" not in path:
            h, w = verify_image(path)
        else:
            h, w = sample.image().shape[:2]
    except DataError as e:
        problems.add_error(e)
        return
    if (h, w) != (sample.height, sample.width):
        problems.add(path or sample.sample_id, f"image is {w}x{h} but the index says {sample.width}x{sample.height}")


def check_sample(sample: Sample, problems: Problems, empty_is_problem: bool = True) -> None:
    """Decode everything one sample (or every frame of a video sample) points at."""
    if sample.frames:
        for path in sample.meta.get("scribbles", ()):
            try:
                read_scribbles(path, len(sample.frames), int(sample.meta.get("n_objects", 0)))
            except DataError as e:
                problems.add_error(e)
        for f in sample.frames:
            if (f.height, f.width) != (sample.height, sample.width):
                problems.add(f.image_path or f.sample_id, f"frame size {f.width}x{f.height} differs from the "
                                                         f"sequence's {sample.width}x{sample.height}")
            check_sample(f, problems, empty_is_problem=False)
        return
    _check_image(sample, problems)
    for inst in sample.instances:
        where = mask_source(sample, inst.meta)
        try:
            m = inst.mask()
            _check_shape(m, sample, where, f"mask of instance {inst.instance_id}", problems)
            if empty_is_problem and m.shape[:2] == (sample.height, sample.width) and not m.any():
                problems.add(where, f"instance {inst.instance_id} has an empty mask")
            _check_shape(inst.ignore(), sample, where, f"ignore mask of instance {inst.instance_id}", problems)
        except DataError as e:
            problems.add_error(e)
    for key, load in sample.targets.items():
        try:
            target = load()
        except DataError as e:
            problems.add_error(e)
            continue
        arr = target[0] if isinstance(target, tuple) else target
        _check_shape(arr, sample, mask_source(sample, {}), f"{key} target", problems)
        if key == "panoptic":
            _check_panoptic(target, sample, problems)


def check_dataset(name: str, root: str | Path, split: str | None = None, subset: str | Path | None = None,
                  progress: Callable[[int], None] | None = None) -> list[str]:
    """Every problem found in dataset ``name`` at ``root`` (empty list = the split is sound)."""
    from seem_bench.data.registry import DATASETS

    if name not in DATASETS:
        raise UsageError(DATASETS.unknown_message(name))
    problems = Problems(collect=True)
    ds = build_collecting(name, root, split, problems)
    if ds is None:
        return problems.lines()
    if subset is not None:
        from seem_bench.data.subset import apply_subset

        try:
            ds = apply_subset(ds, subset)
        except DataError as e:
            problems.add_error(e)
            return problems.lines()
    empty_is_problem = name not in EMPTY_MASKS_ALLOWED
    for sample in ds.samples:
        check_sample(sample, problems, empty_is_problem)
        if progress is not None:
            progress(1)
    return problems.lines()
