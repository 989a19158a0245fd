"""Work splitting across processes: torchrun ranks or ``--shard i/n`` job-array shards.

Samples are split contiguously, without padding or duplicates: shard ``i`` of ``n`` over ``N``
samples is ``[i*N//n, (i+1)*N//n)``. Each worker writes its own ``records-rank<i>.jsonl``; the
summary is recomputed from all records, so the metrics do not depend on ``n``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from seem_bench.errors import UsageError


@dataclass(frozen=True)
class Worker:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    torchrun: bool = False  # ranks synchronise through torch.distributed (rank 0 summarises)

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def shard_bounds(n_items: int, rank: int, world: int) -> tuple[int, int]:
    """Contiguous ``[start, stop)`` of shard ``rank`` of ``world``; sizes differ by at most one.

    >>> [shard_bounds(5, r, 2) for r in range(2)]
    [(0, 2), (2, 5)]
    """
    return rank * n_items // world, (rank + 1) * n_items // world


def parse_shard(text: str) -> Worker:
    """``"i/n"`` -> `Worker` for a job-array shard (0-based ``i``)."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard expects i/n (e.g. 0/4), got {text!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise UsageError(f"--shard {text}: need 0 <= i < n")
    return Worker(rank=i, world=n)


def from_env() -> Worker:
    """The torchrun worker described by ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``, else a single worker."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Worker()
    return Worker(rank=int(os.environ["RANK"]), world=world,
                  local_rank=int(os.environ.get("LOCAL_RANK", "0")), torchrun=True)


def init_process_group(worker: Worker) -> None:
    """Join the torchrun group (gloo: the harness only needs barriers; models pick their device)."""
    if not worker.torchrun:
        return
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")


def barrier(worker: Worker) -> None:
    if worker.torchrun:
        import torch.distributed as dist

        dist.barrier()


def broadcast(worker: Worker, obj: object) -> object:
    """Rank 0's ``obj`` on every rank (identity outside torchrun)."""
    if not worker.torchrun:
        return obj
    import torch.distributed as dist

    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def destroy(worker: Worker) -> None:
    if worker.torchrun:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
