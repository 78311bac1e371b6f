"""``fit``: train any torch model on any data, on one CPU or many GPUs, with checkpoints and
resume.

The loop in one paragraph: every epoch draws a permutation from (``seed``, epoch) and cuts it
into global batches (:func:`~groupkit.train.distributed.epoch_batches`); each step computes
``loss(prediction, target)``, takes an optimiser step (and a scheduler step), and adds the loss
to the running metrics; every ``log_every`` steps a line goes to the metrics file (JSON lines)
and the progress bar; every ``eval_every`` steps the model is evaluated on ``val_data`` and the
best state on validation is kept (optionally stopping after ``early_stopping`` evaluations
without improvement); every ``checkpoint_every`` steps, and at the end, a checkpoint is written
atomically. A run resumed from a checkpoint continues with the same batches, the same optimiser
and scheduler state and the same random-number state, so it ends where the uninterrupted run
ends.
"""

from __future__ import annotations

import copy
import inspect
import json
import logging
import math
import sys
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from .checkpoint import (CheckpointError, _load_state, check_compatible, load_checkpoint,
                         model_signature, save_checkpoint)
from .collate import GraphBatch, as_dataset
from .distributed import Context, all_reduce_sum, epoch_batches, setup
from .schedule import learning_rate

__all__ = ["fit", "FitResult", "default_forward", "LOSSES"]

# groupkit's buffers are constant bases, equal on every rank: syncing them every forward only
# costs bandwidth. torch ≥ 2.13 renamed the switch (the old name warns).
_NO_BUFFER_SYNC = ("forward_sync_buffers" if "forward_sync_buffers" in inspect.signature(
    nn.parallel.DistributedDataParallel.__init__).parameters else "broadcast_buffers")

log = logging.getLogger("groupkit.train")

CHECKPOINT_NAME = "checkpoint.pt"
BEST_NAME = "best.pt"
METRICS_NAME = "metrics.jsonl"

LOSSES: dict[str, Callable] = {
    "mse": nn.functional.mse_loss,
    "l1": nn.functional.l1_loss,
    "huber": nn.functional.huber_loss,
    "cross_entropy": nn.functional.cross_entropy,
}


@dataclass
class FitResult:
    """What :func:`fit` returns. ``history``: the metrics lines (dicts) written during the run
    (all of them, also those before a resume); ``best_loss``/``best_step``: the best validation
    loss and its step (None without validation); ``model`` holds the best state when
    ``keep_best`` and a validation set were given, else the last."""

    model: nn.Module
    step: int
    epoch: int
    history: list[dict] = field(default_factory=list)
    best_loss: float | None = None
    best_step: int | None = None
    stopped_early: bool = False
    checkpoint: Path | None = None
    metrics: Path | None = None

    def losses(self, split: str = "train") -> list[float]:
        """The logged losses of ``split`` ("train" or "val"), in step order."""
        return [h["loss"] for h in self.history if h["split"] == split]


def default_forward(model: nn.Module, batch):
    """(prediction, target) of a batch: ``(x, y)`` → (model(x), y); ``(x1, …, xk, y)`` →
    (model(x1, …, xk), y); a :class:`GraphBatch` → (model(batch), batch.y)."""
    if isinstance(batch, GraphBatch):
        return model(batch), batch.y
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return model(*batch[:-1]), batch[-1]
    raise TypeError(f"the default forward takes batches (inputs..., target) or GraphBatch; got "
                    f"{type(batch).__name__}. Pass forward=lambda model, batch: (pred, target).")


def _to(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, GraphBatch):
        return batch.to(device=device)
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: _to(v, device) for k, v in batch.items()}
    return batch


def _resolve_loss(loss) -> Callable:
    if callable(loss):
        return loss
    if loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"loss must be a callable (prediction, target) → scalar or one of "
                     f"{sorted(LOSSES)}; got {loss!r}.")


def _make_optimizer(optimizer, params, lr: float, weight_decay: float):
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        return optimizer(params)
    kinds = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}
    if optimizer not in kinds:
        raise ValueError(f"optimizer must be one of {sorted(kinds)}, a torch Optimizer, or a "
                         f"callable params → Optimizer; got {optimizer!r}.")
    kw = {}
    if params and all(p.device.type in ("cpu", "cuda") for p in params):
        # one multi-tensor update instead of a Python loop over the parameters: the same
        # arithmetic (equal to the bit on the N-body models after three steps), 0.5–1 ms less
        # per CPU step for a few dozen tensors; torch picks it by itself on CUDA only
        kw["foreach"] = True
    return kinds[optimizer](params, lr=lr, weight_decay=weight_decay, **kw)


def _make_scheduler(scheduler, opt, total: int, warmup: int):
    if scheduler is None and not warmup:
        return None
    if scheduler == "cosine":  # the EMLP-paper trainer's schedule, warm-up included
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: learning_rate(1.0, s, total, warmup))
    if scheduler is None or scheduler == "constant":
        shape = lambda s: 1.0  # noqa: E731
    elif callable(scheduler):
        return scheduler(opt, total)
    else:
        raise ValueError(f"scheduler must be None, 'constant', 'cosine' or a callable "
                         f"(optimizer, total_steps) → LRScheduler; got {scheduler!r}.")
    warm = (lambda s: min(1.0, (s + 1) / warmup)) if warmup else (lambda s: 1.0)
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: shape(s) * warm(s))


def _warn_skipped_batch(n: int, batch_size: int, world: int) -> None:
    """DDP needs every rank in every step: a last batch smaller than the world is skipped."""
    short = n % batch_size
    if 0 < short < world:
        warnings.warn(f"{n} samples in batches of {batch_size} leave a last batch of {short}, "
                      f"fewer than the {world} processes: those {short} samples (a new draw "
                      "each epoch) are skipped. Choose a batch size or a sample count that "
                      "leaves a last batch of at least one sample per process.", stacklevel=4)


def _batch_len(target, batch) -> int:
    """How many items a batch's mean loss averages over: the target's rows (graphs for a
    per-graph target, points for a per-point one), so that averages over batches, and DDP's
    gradient, weigh every item equally."""
    if isinstance(target, torch.Tensor) and target.ndim:
        return int(target.shape[0])
    if isinstance(batch, GraphBatch):
        return batch.num_graphs
    return 1


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def _snapshot(model: nn.Module) -> OrderedDict:
    """A copy of the state dict, with its per-module metadata (which carries the bases'
    fingerprints, see groupkit.nn._fingerprint)."""
    sd = model.state_dict()
    out = OrderedDict((k, v.detach().clone()) for k, v in sd.items())
    out._metadata = copy.deepcopy(getattr(sd, "_metadata", OrderedDict()))
    return out


def _metrics_lines(path: Path, upto: int | None) -> list[dict]:
    """The metrics already written (those with step ≤ ``upto``, all when None)."""
    if not path.exists():
        return []
    lines = []
    for raw in path.read_text().splitlines():
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError:  # a line cut by a crash
            continue
        if upto is None or rec.get("step", 0) <= upto:
            lines.append(rec)
    return lines


def _resume_path(resume, checkpoint_dir: Path | None) -> Path | None:
    if resume is False or resume is None:
        return None
    if resume is True:
        if checkpoint_dir is None:
            raise ValueError("resume=True needs checkpoint_dir (or give the checkpoint's path).")
        path = checkpoint_dir / CHECKPOINT_NAME
        return path if path.exists() else None
    path = Path(resume)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.exists():
        raise CheckpointError(f"no checkpoint to resume from at {path}.")
    return path


def fit(model: nn.Module, train_data, val_data=None, *, loss="mse", epochs: int | None = None,
        steps: int | None = None, batch_size: int = 32, val_batch_size: int | None = None,
        optimizer="adam", lr: float = 1e-3, weight_decay: float = 0.0, scheduler=None,
        warmup: int = 0, clip: float | None = None, collate_fn: Callable | None = None,
        forward: Callable = default_forward, shuffle: bool = True, drop_last: bool = False,
        seed: int = 0, log_every: int = 1, eval_every: int | None = None,
        checkpoint_dir=None, checkpoint_every: int | None = None, resume=False,
        metrics=None, early_stopping: int | None = None, keep_best: bool = True,
        progress: bool = True, plot=None, device=None, num_workers: int = 0,
        ddp_options: dict | None = None) -> FitResult:
    """Train ``model`` on ``train_data``; return a :class:`FitResult`.

    Data: ``train_data``/``val_data`` are torch Datasets, DataLoaders (their dataset and
    collate_fn are used, with groupkit's batch order) or tuples of arrays (X, Y). A batch is
    passed to ``forward(model, batch) → (prediction, target)`` (default: (x, y) → model(x), a
    :class:`~groupkit.train.GraphBatch` → model(batch)); ``collate_fn`` batches samples (for
    point clouds: :class:`~groupkit.train.PointCloudCollate`).

    Budget: ``epochs`` or ``steps`` (optimiser steps); ``batch_size`` is the global batch.
    Optimisation: ``loss`` ("mse", "l1", "huber", "cross_entropy" or a callable returning the
    batch's mean loss), ``optimizer`` ("adam", "adamw", "sgd", an Optimizer or a callable
    params → Optimizer; the named ones take torch's multi-tensor ``foreach`` update on CPU
    and CUDA) with ``lr`` and ``weight_decay``, ``scheduler`` (None, "cosine" or a
    callable (optimizer, total_steps) → scheduler, stepped every step), ``warmup`` steps of
    linear warm-up (built-in schedules only), ``clip`` (gradient-norm clipping).

    Validation: every ``eval_every`` steps (default: every epoch) and at the end; the state
    with the lowest validation loss is kept and, with ``keep_best``, loaded into ``model`` at
    the end; ``early_stopping=p`` stops after p evaluations without improvement.

    Records: ``metrics`` (a path; default ``checkpoint_dir/metrics.jsonl``) receives one JSON
    line per ``log_every`` steps ({"step", "epoch", "split": "train", "loss", "lr",
    "samples_per_s", "elapsed_s"}) and per evaluation ({"split": "val", "loss", "best_loss",
    "best_step"}); ``progress`` shows a tqdm bar with loss and throughput; ``plot`` (a path)
    saves the learning curve (matplotlib). ``checkpoint_dir`` receives ``checkpoint.pt`` every
    ``checkpoint_every`` steps (default: with each evaluation) and at the end, and ``best.pt``
    at each new best; ``resume`` (True: the checkpoint in ``checkpoint_dir`` if there is one;
    or a path) continues a run — the same model class, parameters, bases, batch size, seed and
    budget are required, and a mismatch is refused naming what differs.

    Determinism: the batch order depends only on (``seed``, epoch); torch's generator is seeded
    from ``seed`` at the start (seed the model's initialisation yourself, before building it).
    Under torchrun (see :mod:`groupkit.train.distributed`) the model is wrapped in
    DistributedDataParallel without buffer synchronisation per forward (``forward_sync_buffers=
    False``, ``broadcast_buffers=False`` before torch 2.13: groupkit's buffers are constant
    bases), metrics are reduced over the ranks, and only rank 0 writes files.

    >>> import torch
    >>> from groupkit import SO, V, Scalar
    >>> from groupkit.nn import EMLP
    >>> X = torch.randn(64, 6); Y = (X[:, :3] * X[:, 3:]).sum(1, keepdim=True)
    >>> model = EMLP(2 * V(SO(3)), Scalar, ch=32, num_layers=1)
    >>> result = fit(model, (X, Y), epochs=2, batch_size=16, progress=False)
    >>> result.step, len(result.losses())
    (8, 8)
    """
    if (epochs is None) == (steps is None):
        raise ValueError("give exactly one of epochs= or steps=.")
    for name, v, least in (("batch_size", batch_size, 1), ("log_every", log_every, 1),
                           ("epochs", epochs, 0), ("steps", steps, 0),
                           ("eval_every", eval_every, 1), ("checkpoint_every", checkpoint_every, 1),
                           ("early_stopping", early_stopping, 1), ("warmup", warmup, 0)):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < least):
            raise ValueError(f"{name} must be an integer ≥ {least}; got {v!r}.")
    if callable(scheduler) and warmup:
        # a user's scheduler owns the whole learning-rate curve; stacking a warm-up on it
        # behind its back would change the curve they wrote
        raise ValueError(f"warmup={warmup} applies to the built-in schedules only; put the "
                         f"warm-up in your scheduler callable (e.g. with torch.optim."
                         f"lr_scheduler.SequentialLR) or pass warmup=0.")
    loss_fn = _resolve_loss(loss)
    ctx = setup(device)
    ok = False
    try:
        result = _fit(ctx, model, train_data, val_data, loss_fn=loss_fn, epochs=epochs,
                    steps=steps, batch_size=batch_size, val_batch_size=val_batch_size,
                    optimizer=optimizer, lr=lr, weight_decay=weight_decay, scheduler=scheduler,
                    warmup=warmup, clip=clip, collate_fn=collate_fn, forward=forward,
                    shuffle=shuffle, drop_last=drop_last, seed=seed, log_every=log_every,
                    eval_every=eval_every, checkpoint_dir=checkpoint_dir,
                    checkpoint_every=checkpoint_every, resume=resume, metrics=metrics,
                    early_stopping=early_stopping, keep_best=keep_best, progress=progress,
                    plot=plot, num_workers=num_workers, ddp_options=ddp_options or {})
        ok = True
        return result
    finally:
        # after a failure the other ranks may never reach a barrier: do not wait for them
        ctx.close(wait=ok)


def _unpack(data, collate_fn):
    if isinstance(data, DataLoader):
        return data.dataset, collate_fn or data.collate_fn
    return data, collate_fn


def _fit(ctx: Context, model, train_data, val_data, *, loss_fn, epochs, steps, batch_size,
         val_batch_size, optimizer, lr, weight_decay, scheduler, warmup, clip, collate_fn,
         forward, shuffle, drop_last, seed, log_every, eval_every, checkpoint_dir,
         checkpoint_every, resume, metrics, early_stopping, keep_best, progress, plot,
         num_workers, ddp_options) -> FitResult:
    param = next(iter(model.parameters()), None)
    if param is None:
        raise ValueError(f"{type(model).__name__} has no parameters to train.")
    device = ctx.device if ctx.device is not None else param.device
    model.to(device)
    train_data, collate_train = _unpack(train_data, collate_fn)
    val_data, collate_val = _unpack(val_data, collate_fn)
    dtype = param.dtype if param.is_floating_point() else None
    train_set: Dataset = as_dataset(train_data, dtype=dtype)
    val_set = as_dataset(val_data, dtype=dtype) if val_data is not None else None
    n = len(train_set)
    if n == 0:
        raise ValueError("the training set is empty.")
    per_epoch = len(epoch_batches(n, batch_size, seed=seed, epoch=0, shuffle=False,
                                  drop_last=drop_last, world=ctx.world))
    if per_epoch == 0:
        raise ValueError(f"no full batch: {n} samples, batch_size {batch_size}, drop_last.")
    if ctx.is_main and not drop_last:
        _warn_skipped_batch(n, batch_size, ctx.world)
    total = epochs * per_epoch if epochs is not None else steps
    eval_every = eval_every or per_epoch
    ckdir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    checkpoint_every = checkpoint_every or eval_every
    metrics_path = Path(metrics) if metrics is not None else (
        ckdir / METRICS_NAME if ckdir is not None else None)
    config = {"batch_size": batch_size, "seed": seed, "total_steps": total, "n_train": n,
              "shuffle": shuffle, "drop_last": drop_last}

    torch.manual_seed(seed)
    net = model
    if ctx.distributed:
        opts = {_NO_BUFFER_SYNC: False, **ddp_options}
        if device.type == "cuda":
            opts.setdefault("device_ids", [device.index])
        net = nn.parallel.DistributedDataParallel(model, **opts)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = _make_optimizer(optimizer, params, lr, weight_decay)
    sched = _make_scheduler(scheduler, opt, total, warmup)

    step, best_loss, best_step, best_state, stale, stopped = 0, math.inf, None, None, 0, False
    acc = [0.0, 0.0, 0.0, 0.0]  # Σ loss·k, Σ k (items), seconds, samples — since the last line
    history: list[dict] = []
    start = _resume_path(resume, ckdir)
    if start is not None:
        ck = load_checkpoint(start, map_location=device)
        check_compatible(model, ck.get("model_signature", {}), start)
        diff = {k: (ck["config"].get(k), v) for k, v in config.items()
                if ck["config"].get(k) != v}
        if diff:
            raise CheckpointError(f"checkpoint {start} belongs to another run: "
                                  + ", ".join(f"{k} was {a}, now {b}"
                                              for k, (a, b) in diff.items()) + ".")
        _load_state(model, ck["model"], start)
        opt.load_state_dict(ck["optimizer"])
        if sched is not None and ck.get("scheduler") is not None:
            sched.load_state_dict(ck["scheduler"])
        _set_rng_state(ck["rng"])
        step, stale, acc = ck["step"], ck["stale"], list(ck["acc"])
        acc += [acc[1]] * (4 - len(acc))  # checkpoints before items ≠ samples: they were equal
        stopped = bool(ck.get("stopped", False))  # an early-stopped run stays stopped
        best = ck.get("best") or {}
        if best.get("state_dict") is not None:
            best_loss, best_step = best["loss"], best["step"]
            best_state = best["state_dict"]
        log.info("resumed from %s at step %d", start, step)
    if metrics_path is not None:
        history = _metrics_lines(metrics_path, step if start is not None else 0)
        if ctx.is_main:  # rewrite without lines past the checkpoint (or of an older run)
            metrics_path.parent.mkdir(parents=True, exist_ok=True)
            metrics_path.write_text("".join(json.dumps(h) + "\n" for h in history))

    def write(rec: dict) -> None:
        history.append(rec)
        if metrics_path is not None and ctx.is_main:
            with open(metrics_path, "a") as fh:
                fh.write(json.dumps(rec) + "\n")

    def evaluate() -> float:
        model.eval()
        idx = list(range(ctx.rank, len(val_set), ctx.world))
        loader = DataLoader(torch.utils.data.Subset(val_set, idx),
                            batch_size=val_batch_size or batch_size, shuffle=False,
                            collate_fn=collate_val, num_workers=num_workers)
        total_loss, count = 0.0, 0
        with torch.no_grad():
            for batch in loader:
                batch = _to(batch, device)
                pred, target = forward(model, batch)
                k = _batch_len(target, batch)
                total_loss += float(loss_fn(pred, target)) * k
                count += k
        model.train()
        s, c = all_reduce_sum([total_loss, count], ctx, device)
        return s / max(c, 1)

    def checkpoint() -> None:
        if ckdir is None or not ctx.is_main:
            return
        save_checkpoint(ckdir / CHECKPOINT_NAME, {
            "format": 1, "model_signature": model_signature(model), "config": config,
            "model": _snapshot(model), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict() if sched is not None else None,
            "rng": _rng_state(), "step": step, "stale": stale, "acc": list(acc),
            "stopped": stopped,
            "best": {"loss": best_loss, "step": best_step, "state_dict": best_state}})

    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=step, disable=not (progress and ctx.is_main),
               file=sys.stderr, desc="fit", dynamic_ncols=True)
    model.train()
    t_start = time.perf_counter()
    try:
        while step < total and not stopped:
            epoch, offset = divmod(step, per_epoch)
            batches = epoch_batches(n, batch_size, seed=seed, epoch=epoch, shuffle=shuffle,
                                    drop_last=drop_last, rank=ctx.rank, world=ctx.world)
            batches = batches[offset:offset + total - step]
            loader = DataLoader(train_set, batch_sampler=[b.tolist() for b, _ in batches],
                                collate_fn=collate_train, num_workers=num_workers)
            t0 = time.perf_counter()
            for (local, _n_global), batch in zip(batches, loader):
                batch = _to(batch, device)
                pred, target = forward(net, batch)
                value = loss_fn(pred, target)
                k = _batch_len(target, batch)  # items (graphs or points) in this rank's share
                # weight by this rank's share, so DDP's mean is the global batch's gradient;
                # with per-point targets the shares differ from the samples', so count them
                k_global = all_reduce_sum([k], ctx, device)[0] if ctx.distributed else k
                (value * (k * ctx.world / k_global)).backward()
                if clip:
                    nn.utils.clip_grad_norm_(params, clip)
                lr_now = opt.param_groups[0]["lr"]
                opt.step()
                opt.zero_grad(set_to_none=True)
                if sched is not None:
                    sched.step()
                step += 1
                t1 = time.perf_counter()
                acc[0] += float(value.detach()) * k
                acc[1] += k
                acc[2] += t1 - t0
                acc[3] += len(local)
                t0 = t1
                bar.update(1)
                if step % log_every == 0 or step == total:
                    s, c, secs, samples = all_reduce_sum(acc, ctx, device)
                    rec = {"step": step, "epoch": (step - 1) // per_epoch, "split": "train",
                           "loss": s / c, "lr": lr_now,
                           "samples_per_s": samples / max(secs / ctx.world, 1e-12),
                           "elapsed_s": time.perf_counter() - t_start}
                    write(rec)
                    bar.set_postfix(loss=f"{rec['loss']:.4g}",
                                    samples_per_s=f"{rec['samples_per_s']:.0f}")
                    acc = [0.0, 0.0, 0.0, 0.0]
                if val_set is not None and (step % eval_every == 0 or step == total):
                    v = evaluate()
                    if v < best_loss:
                        best_loss, best_step, stale = v, step, 0
                        best_state = _snapshot(model)
                        if ckdir is not None and ctx.is_main:
                            save_checkpoint(ckdir / BEST_NAME, {
                                "format": 1, "model_signature": model_signature(model),
                                "model": best_state, "step": step, "loss": v})
                    else:
                        stale += 1
                    write({"step": step, "epoch": (step - 1) // per_epoch, "split": "val",
                           "loss": v, "best_loss": best_loss, "best_step": best_step})
                    if early_stopping is not None and stale >= early_stopping:
                        stopped = True
                if step % checkpoint_every == 0 or step == total or stopped:
                    checkpoint()
                if stopped:
                    break
    finally:
        bar.close()
    if keep_best and best_state is not None:
        _load_state(model, best_state, "(the best state kept in memory)")
    if plot is not None and ctx.is_main:
        from .plot import plot_learning_curve

        plot_learning_curve(history, path=plot)
    return FitResult(model=model, step=step, epoch=(step - 1) // per_epoch if step else 0,
                     history=history, best_loss=best_loss if best_step is not None else None,
                     best_step=best_step, stopped_early=stopped,
                     checkpoint=ckdir / CHECKPOINT_NAME if ckdir is not None else None,
                     metrics=metrics_path)
