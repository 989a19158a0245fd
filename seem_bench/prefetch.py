"""Read and decode the pixels of the next samples in the background (bounded read-ahead).

`prefetch` yields the samples in their order; each comes back as a copy whose image and masks
are already in memory (`preload`), read by a small thread pool while the model works on the
samples before it. At most ``depth`` samples are loaded ahead, so memory stays bounded. JPEG/PNG
decoding in OpenCV and PIL releases the GIL, so the reads overlap the loop's Python work.

A sample whose pixels cannot be read is yielded unchanged: the loop then reads it itself and
meets the same error at the same place as without read-ahead (the run's error records do not
depend on prefetching). Videos (``frames``) are passed through unchanged.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

from seem_bench.data.types import Sample


def _const(value: Any) -> Any:
    return value


def preload(sample: Sample, masks: bool = True) -> Sample:
    """``sample`` with its image (and, with ``masks``, its instances' masks and ignore maps) read
    now: the loaders return the arrays. Task kinds that never look at instance masks (generic)
    read ahead the image only."""
    if sample.image_loader is None:
        return sample
    try:
        image = sample.image()
        insts = []
        for inst in sample.instances if masks else ():
            mask = inst.mask_loader()
            ignore = None if inst.ignore_loader is None else inst.ignore_loader()
            insts.append(dataclasses.replace(
                inst, mask_loader=partial(_const, mask),
                ignore_loader=None if inst.ignore_loader is None else partial(_const, ignore)))
    except Exception:  # noqa: BLE001 - the loop meets (and records) the same error itself
        return sample
    if not masks:
        return dataclasses.replace(sample, image_loader=partial(_const, image))
    return dataclasses.replace(sample, image_loader=partial(_const, image), instances=tuple(insts))


def prefetch(samples: Iterable[Sample], depth: int, workers: int = 2, masks: bool = True) -> Iterator[Sample]:
    """``samples`` in order, each `preload`-ed up to ``depth`` samples ahead (``depth`` 0: no read-ahead)."""
    if depth <= 0:
        yield from samples
        return
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="seem-bench-prefetch")
    ahead: deque[Future[Sample]] = deque()
    it = iter(samples)
    try:
        for s in it:
            ahead.append(pool.submit(preload, s, masks))
            if len(ahead) >= depth:
                break
        while ahead:
            done = ahead.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                ahead.append(pool.submit(preload, nxt, masks))
            yield done
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


