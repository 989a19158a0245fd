"""Lockstep rounds: every live object of a group of samples advances one round per batched decode.

The loops (`seem_bench.loops.interactive`) own the protocol; this module owns the schedule. A
*run* is one encoded sample's objects (`SampleRun`-like: ``live(r)``, ``prompt(o, r)`` ->
`DecodeRequest`, ``accept(o, r, prediction, seconds)``, ``end_round(r)``, ``coupled``). Each
round, the requests of every live object go to `Adapter.decode_batch` in chunks of at most
``capabilities.max_batch``; an object leaves once its protocol stops it. An object may ask for
several decodes in a round (``prompt`` returns a list: the worst-of-M candidates of sampled
clicks); they join the same batch and its ``accept`` gets the predictions as a list. Sampled
draws are runs of their own (one `SampleRun` per sample and draw), so every draw of an object is
a slot of its own in the batch.

Overlap (double buffering): the objects are split into two lanes. While the model decodes
lane A's round ``r`` on a background thread, the harness scores lane B's round ``r - 1`` and
simulates its round ``r`` clicks on the calling thread, and vice versa. A lane never waits
for the other, so a protocol that couples objects across an image (SEEM's image stop) keeps
each sample's objects in one lane; uncoupled protocols are split per object.

With ``--batch-size B`` and overlap the runner hands over 2B samples: two lanes of B samples,
so every decode still batches B samples' objects (paying the fixed cost of a decode call once
per B, as without overlap) while the other lane's harness work runs.

Harness workers (``--harness-workers N``, `default_harness_workers`): within a lane, the
per-object work of a round (``prompt``: the click simulation; ``accept``: IoU and stop rules)
runs on a pool of N threads. That work is numpy / OpenCV calls that release the GIL, each
object's touches only its own `ObjectState`, and results are collected in object order, so the
records are the same for every N; ``end_round`` (the image stop, across objects) runs after
all of a run's objects are accepted, on the calling thread.

Why records do not depend on the schedule: an object's next prompt depends only on its own
state (`ObjectState`), its first prompt is seeded by ``(seed, sample, instance)``, and only one
decode is in flight at a time (adapters need not be thread-safe, only callable from a thread
other than the one that built them). ``model_s`` of a request is its chunk's decode time
divided by the chunk's size (so SPC remains decode seconds per click).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, Protocol

from seem_bench.adapters.base import Adapter, DecodeRequest, Prediction


class Steppable(Protocol):
    coupled: bool

    def live(self, r: int) -> list[Any]: ...

    def prompt(self, o: Any, r: int) -> DecodeRequest | list[DecodeRequest]: ...

    def accept(self, o: Any, r: int, out: Prediction | list[Prediction], dt: float | list[float]) -> None: ...

    def end_round(self, r: int) -> None: ...


def decode_chunks(adapter: Adapter, requests: Sequence[DecodeRequest], max_batch: int
                  ) -> tuple[list[Prediction], list[float]]:
    """``adapter.decode_batch`` over ``requests`` in chunks of ``max_batch``; per-request seconds."""
    outs: list[Prediction] = []
    secs: list[float] = []
    for i in range(0, len(requests), max_batch):
        chunk = requests[i:i + max_batch]
        t0 = time.perf_counter()
        got = adapter.decode_batch(chunk)
        dt = time.perf_counter() - t0
        if len(got) != len(chunk):
            raise ValueError(f"decode_batch returned {len(got)} predictions for {len(chunk)} requests")
        outs.extend(got)
        secs.extend([dt / len(chunk)] * len(chunk))
    return outs, secs


def default_harness_workers() -> int:
    """Threads for the per-object harness work: the usable cores minus one (the decode's), >= 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def _map(pool: Executor | None, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """``[fn(x) for x in items]`` in order, on ``pool``'s threads when there is one (the first
    exception, in order, is raised)."""
    if pool is None or len(items) < 2:
        return [fn(x) for x in items]
    return list(pool.map(fn, items))


class _Lane:
    """Some objects of some runs; ``whole`` = runs all of whose objects are in this lane."""

    def __init__(self, members: list[tuple[Steppable, Any]], whole: list[Steppable]) -> None:
        self.members, self.whole = members, whole
        self.r = 1
        self.items: list[tuple[Steppable, Any]] = []
        self.sizes: list[int | None] = []  # per item: None = one request, n = a list of n
        self.future: Future | None = None
        self.pool: Executor | None = None  # harness workers (None: the calling thread)

    def prepare(self) -> list[DecodeRequest]:
        """Round ``r``'s requests of this lane's live objects (harness work: click simulation).

        An object may ask for several decodes in one round (a list of requests: worst-of-M
        candidates of sampled clicks); they join the same batch and come back to its ``accept``
        as lists, in order."""
        live_by_run = {id(run): {id(o) for o in run.live(self.r)} for run, _ in self.members}
        self.items = [(run, o) for run, o in self.members if id(o) in live_by_run[id(run)]]
        reqs: list[DecodeRequest] = []
        self.sizes = []
        r = self.r
        for got in _map(self.pool, lambda item: item[0].prompt(item[1], r), self.items):
            self.sizes.append(len(got) if isinstance(got, list) else None)
            reqs.extend(got if isinstance(got, list) else [got])
        return reqs

    def finish(self, outs: list[Prediction], secs: list[float]) -> None:
        """Score round ``r`` (harness work: IoU, records, stop rules) and move to ``r + 1``."""
        if len(outs) != sum(1 if n is None else n for n in self.sizes):
            raise ValueError(f"{len(outs)} predictions for {len(self.sizes)} objects' requests")
        i = 0
        calls = []
        for (run, o), n in zip(self.items, self.sizes, strict=True):
            if n is None:
                calls.append((run, o, outs[i], secs[i]))
                i += 1
            else:
                calls.append((run, o, outs[i:i + n], secs[i:i + n]))
                i += n
        r = self.r
        _map(self.pool, lambda c: c[0].accept(c[1], r, c[2], c[3]), calls)
        for run in self.whole:
            if any(id(m_run) == id(run) for m_run, _ in self.items):
                run.end_round(self.r)
        self.r += 1


def _lanes(runs: Sequence[Steppable], n: int) -> list[_Lane]:
    """Split the runs' objects into ``n`` lanes of similar size (coupled runs stay whole)."""
    if n == 1 or len(runs) == 0:
        return [_Lane([(run, o) for run in runs for o in run.live(1)], list(runs))]
    if any(run.coupled for run in runs):
        groups: list[list[Steppable]] = [[] for _ in range(n)]
        sizes = [0] * n
        for run in runs:  # greedy by object count, in order: deterministic
            k = sizes.index(min(sizes))
            groups[k].append(run)
            sizes[k] += len(run.live(1))
        return [_Lane([(run, o) for run in g for o in run.live(1)], g) for g in groups if g]
    members = [(run, o) for run in runs for o in run.live(1)]
    cut = (len(members) + 1) // 2
    halves = [members[:cut], members[cut:]]
    lanes = []
    for h in halves:
        if h:
            ids = {id(o) for _, o in h}
            whole = [run for run in runs if all(id(o) in ids for o in run.live(1))]
            lanes.append(_Lane(h, whole))
    return lanes


def lockstep(adapter: Adapter, runs: Sequence[Steppable], overlap: bool = True,
             max_batch: int | None = None, harness_workers: int = 1) -> None:
    """Advance ``runs`` round by round until every object is done (see module docstring).

    ``max_batch``: requests per `decode_batch` call (default: the adapter's
    ``capabilities.max_batch``). ``overlap``: double-buffer the harness work against the decode
    on one background thread; with fewer than two objects there is nothing to overlap.
    ``harness_workers``: threads for the per-object harness work (1: the calling thread).
    """
    mb = max(1, int(max_batch if max_batch is not None else adapter.capabilities.max_batch))
    n_objects = sum(len(run.live(1)) for run in runs)
    workers = min(max(1, int(harness_workers)), n_objects)
    harness = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seem-bench-harness") \
        if workers > 1 else None
    try:
        _lockstep(adapter, runs, overlap and n_objects >= 2, mb, harness)
    finally:
        if harness is not None:
            harness.shutdown(wait=True, cancel_futures=True)


def _lockstep(adapter: Adapter, runs: Sequence[Steppable], overlap: bool, mb: int,
              harness: Executor | None) -> None:
    if not overlap:
        (lane,) = _lanes(runs, 1)
        lane.pool = harness
        while True:
            reqs = lane.prepare()
            if not reqs:
                return
            lane.finish(*decode_chunks(adapter, reqs, mb))
    lanes = _lanes(runs, 2)
    for lane in lanes:
        lane.pool = harness
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seem-bench-decode")
    try:
        for lane in lanes:
            reqs = lane.prepare()
            if reqs:
                lane.future = pool.submit(decode_chunks, adapter, reqs, mb)
        while any(lane.future is not None for lane in lanes):
            for lane in lanes:
                if lane.future is None:
                    continue
                outs, secs = lane.future.result()
                lane.future = None
                lane.finish(outs, secs)
                reqs = lane.prepare()
                if reqs:
                    lane.future = pool.submit(decode_chunks, adapter, reqs, mb)
    finally:
        # An error leaves at most one decode in flight: let it end before the caller retries.
        pool.shutdown(wait=True, cancel_futures=True)
