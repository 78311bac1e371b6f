"""Train emlp's own (objax/JAX) EMLP on groupkit-generated data, for side-by-side comparisons.

Imported only by ``python -m groupkit.nn.train --model emlp-ref`` when emlp is installed. The
model, standardisation, optimiser (Adam), cosine schedule, batches and step count match
:func:`groupkit.nn.train.train`; only the library differs.
"""

from __future__ import annotations

import time

import numpy as np

from .. import datasets
from .emlp import _per_layer
from .train import _BestOnValidation, _steps, total_steps

__all__ = ["train_emlp_reference"]


def _emlp_problem(data: datasets.Dataset):
    from emlp.groups import O, Lorentz
    from emlp.reps import T, Scalar, V

    if data.name == "o5":
        return 2 * V, Scalar, O(5)
    if data.name == "inertia":
        k = data.X.shape[1] // 4
        return k * Scalar + k * V, T(2), O(3)
    if data.name == "lorentz":
        return 4 * V, Scalar, Lorentz()
    raise ValueError(f"no emlp counterpart for task {data.name!r}.")


def clip_by_global_norm(grads: list, clip: float) -> list:
    """The JAX arrays ``grads`` scaled by min(1, clip / (‖grads‖ + 1e-6)), their joint norm,
    as torch's ``clip_grad_norm_`` scales gradients."""
    import jax.numpy as jnp

    norm = jnp.sqrt(sum((g ** 2).sum() for g in grads))
    return [g * jnp.minimum(1.0, clip / (norm + 1e-6)) for g in grads]


def decay(variables, rate) -> None:
    """Multiply every objax variable by 1 − rate (rate = lr·weight_decay): AdamW's decoupled
    decay, applied before the Adam step as torch's AdamW does."""
    for var in variables:
        var.assign(var.value * (1 - rate))


def train_emlp_reference(train_set: datasets.Dataset, val_set: datasets.Dataset,
                         test_set: datasets.Dataset, stats: datasets.Standardization, *,
                         ch: int, layers: int, epochs: int, batch: int, lr: float,
                         seed: int = 0, eval_every: int = 1, warmup: int = 0,
                         clip: float | None = None, weight_decay: float = 0.0,
                         bilinear=True, pool_set: datasets.Dataset | None = None,
                         progress: bool = True) -> dict:
    """Train emlp's EMLP as :func:`groupkit.nn.train.train` trains ours; with a non-empty
    ``val_set``, report the checkpoint with the lowest validation MSE. ``clip`` and
    ``weight_decay`` act as torch's ``clip_grad_norm_`` and AdamW do (the decay multiplies each
    trainable variable by 1 − lr·weight_decay before the Adam step). ``bilinear`` (one bool, or
    one per hidden layer) drops the bilinear term of the blocks marked False."""
    try:
        from .._emlp_compat import patch_emlp  # the tqdm shim for emlp's Krylov solver

        patch_emlp()
    except ImportError:
        pass
    import jax.numpy as jnp
    import objax
    from emlp.nn import EMLP

    np.random.seed(seed)  # emlp's bilinear layers draw from numpy's global generator
    objax.random.DEFAULT_GENERATOR.seed(seed)
    rep_in, rep_out, G = _emlp_problem(train_set)
    keep = _per_layer(bilinear, layers)  # checked before the slow build
    t0 = time.perf_counter()
    model = EMLP(rep_in, rep_out, G, ch=ch, num_layers=layers)
    for block, on in zip(list(model.network)[:layers], keep):
        if not on:  # emlp's block adds bilinear(lin) to lin; a zero term removes it
            block.bilinear = lambda lin: 0.0
    build = time.perf_counter() - t0
    xs, xm, ys, ym = (jnp.asarray(a, dtype=jnp.float32) for a in
                      (stats.x_scale, stats.x_shift, stats.y_scale, stats.y_shift))

    def predict(x):
        return model((x - xm) / xs) * ys + ym

    def loss(x, y):
        return ((predict(x) - y) ** 2).mean()

    opt = objax.optimizer.Adam(model.vars())
    grad_values = objax.GradValues(loss, model.vars())
    trainable = model.vars().subset(objax.TrainVar)

    def step(x, y, lr_now):
        g, v = grad_values(x, y)
        if clip:
            g = clip_by_global_norm(g, clip)
        if weight_decay:
            decay(trainable, lr_now * weight_decay)
        opt(lr_now, g)
        return v

    step = objax.Jit(step, model.vars() + opt.vars())
    predict_jit = objax.Jit(predict, model.vars())
    X = np.asarray(train_set.X, dtype=np.float32)
    Y = np.asarray(train_set.Y, dtype=np.float32)

    def mse(data):
        total, count = 0.0, 0
        for i in range(0, len(data), 1000):
            x = np.asarray(data.X[i:i + 1000], dtype=np.float32)
            y = np.asarray(data.Y[i:i + 1000], dtype=np.float32)
            total += float(((np.asarray(predict_jit(x)) - y) ** 2).sum())
            count += y.size
        return total / count

    # JAX arrays are immutable, so holding the current values is a snapshot
    keeper = _BestOnValidation(lambda: mse(val_set), eval_every) if len(val_set) else None
    snapshot = lambda: [v.value for v in model.vars().values()]  # noqa: E731
    steps = total_steps(len(X), batch, epochs)
    for k, idx, lr_now, bar in _steps(len(X), batch, epochs, lr, seed, warmup=warmup,
                                      desc=f"{train_set.name}/emlp-ref", progress=progress):
        v = step(X[idx], Y[idx], lr_now)
        if k % 10 == 0:
            bar.set_postfix(loss=f"{float(v[0]):.3g}")
        if keeper is not None:
            keeper(k, steps, snapshot)
    train_seconds = time.perf_counter() - t0 - build
    out = {}
    if keeper is not None and keeper.state is not None:
        for var, value in zip(model.vars().values(), keeper.state):
            var.assign(value)
        out = {"val_mse": keeper.best, "best_step": keeper.step}
    if pool_set is not None:
        out["pool_mse"] = mse(pool_set)
    return {**out, "test_mse": mse(test_set), "train_mse": mse(train_set), "build_seconds": build,
            "train_seconds": train_seconds,
            "parameters": int(sum(np.size(v.value) for v in model.vars().values()))}
