"""Subset id-list files: evaluate a fixed, versioned, hashed selection of a dataset's samples.

A subset file is UTF-8 text with one ``sample_id`` per line (the ids `seem-bench data stats
--ids` prints: COCO image ids, ``<seq>`` for DAVIS, image stems for click sets); blank lines and
lines starting with ``#`` are ignored. Example, the first lines of a 600-image COCO-mini list::

    # coco-mini v1: 600 val2017 image ids, seed 0
    139
    285

The subset keeps the dataset's own sample order, and its sha256 goes into the dataset
fingerprint (hence into the run record), so two runs on different lists never compare equal.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from seem_bench.data.io import read_text
from seem_bench.data.types import Dataset
from seem_bench.errors import DataError
from seem_bench.io_utils import sha256_file


def read_subset(path: str | Path) -> list[str]:
    """The ids listed in a subset file, in file order; duplicates are an error."""
    p = Path(path)
    text = read_text(p, "subset file")
    ids: list[str] = []
    seen: set[str] = set()
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s in seen:
            raise DataError(p, f"line {n}: id {s!r} listed twice")
        seen.add(s)
        ids.append(s)
    if not ids:
        raise DataError(p, "subset file lists no ids")
    return ids


def apply_subset(dataset: Dataset, path: str | Path) -> Dataset:
    """A copy of ``dataset`` holding only the samples listed in ``path``; unknown ids are an error."""
    p = Path(path)
    ids = read_subset(p)
    wanted = set(ids)
    samples = [s for s in dataset.samples if s.sample_id in wanted]
    missing = wanted - {s.sample_id for s in samples}
    if missing:
        first = sorted(missing)[:3]
        raise DataError(p, f"{len(missing)} id(s) not in {dataset.name} split {dataset.split}: "
                           f"{', '.join(first)}{' ...' if len(missing) > 3 else ''}")
    digest = sha256_file(p)
    fp = {**dataset.fingerprint, "subset": {"file": p.name, "sha256": digest, "ids": len(ids)}}
    return replace(dataset, samples=samples, fingerprint=fp)
