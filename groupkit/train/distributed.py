"""Data parallelism with torch.distributed: the process group, the global batch order, and
reductions of metrics across ranks.

Launch any script that calls :func:`groupkit.train.fit` with torchrun and it trains with
DistributedDataParallel — gloo on CPU, NCCL on GPUs, one process per device::

    torchrun --nproc_per_node=4 train.py              # 4 GPUs (or 4 CPU processes)
    torchrun --nnodes=2 --nproc_per_node=8 --rdzv-backend=c10d --rdzv-endpoint=HOST:29500 train.py

The global batch (``batch_size`` of ``fit``) is the same as in one process and is split across
the ranks, so a K-process run follows the same loss curve as a single process (up to floating-
point rounding): every epoch draws one permutation from (seed, epoch), cuts it into global
batches, and rank r takes the r-th of K near-equal slices of each batch. Each rank's loss is
weighted by its share of the batch, so DDP's gradient average is the gradient of the global
mean loss even when the batch does not divide evenly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

__all__ = ["Context", "setup", "epoch_batches", "all_reduce_sum"]


@dataclass
class Context:
    """The process's place in a (possibly single-process) run."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    owns_group: bool = False  # this process created the process group (and destroys it)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    def close(self, *, wait: bool = True) -> None:
        """Destroy the process group this process created. With ``wait`` every rank first
        reaches a barrier: a rank that tears gloo down while another still works (rank 0
        writing the last checkpoint) can abort the whole run at exit."""
        if self.owns_group and dist.is_initialized():
            if wait:
                dist.barrier()
            dist.destroy_process_group()


def setup(device=None) -> Context:
    """The run's context: under torchrun (WORLD_SIZE > 1) the process group is initialised —
    NCCL when the device is CUDA, else gloo — and CUDA ranks use device cuda:LOCAL_RANK."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 and not dist.is_initialized():
        return Context(device=torch.device(device) if device is not None else None)
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device is None:
        device = f"cuda:{local}" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    owns = False
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        owns = True
    return Context(rank=dist.get_rank(), world=dist.get_world_size(), local_rank=local,
                   device=device, owns_group=owns)


def epoch_batches(n: int, batch_size: int, *, seed: int, epoch: int, shuffle: bool = True,
                  drop_last: bool = False, rank: int = 0, world: int = 1):
    """The (local indices, global batch size) of every step of one epoch: the same global
    batches in every process and for every world size (see the module docstring).

    >>> [(b.tolist(), n) for b, n in epoch_batches(5, 2, seed=0, epoch=0, shuffle=False)]
    [([0, 1], 2), ([2, 3], 2), ([4], 1)]
    """
    order = np.random.default_rng([seed, epoch]).permutation(n) if shuffle else np.arange(n)
    out = []
    for start in range(0, n, batch_size):
        b = order[start:start + batch_size]
        if len(b) < batch_size and drop_last:
            break
        if len(b) < world:  # a rank would get no sample: DDP needs every rank in every step
            break
        out.append((np.array_split(b, world)[rank], len(b)))
    return out


def all_reduce_sum(values, ctx: Context, device) -> list[float]:
    """Sum a few floats over the ranks (identity in one process)."""
    if not ctx.distributed:
        return [float(v) for v in values]
    t = torch.tensor([float(v) for v in values], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()
