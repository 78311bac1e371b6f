"""The charged-particle N-body system of EGNN (Satorras, Hoogeboom & Welling, ICML 2021).

Physics: ``n`` particles with charges q ∈ {−1, +1} (each sign with probability ½) in free
3-d space (no box), unit masses, Coulomb-like forces with unit coupling,

    F_i = Σ_{j≠i} q_i q_j (x_i − x_j) / |x_i − x_j|³,

each Cartesian component clipped to ±``max_force`` (100 = 0.1/dt, as EGNN's generator does, so
close encounters stay finite). Positions start N(0, σ²) with σ = (n/5)^{1/3}, velocities in
uniformly random directions with speed 0.5. The integrator is the generator's: a first kick
v ← v + dt·F(x₀), then for steps i = 1, 2, …: x ← x + dt·v, record (x, v) when i is a multiple
of ``sample_every``, v ← v + dt·F(x) (semi-implicit Euler, dt = 0.001). Recorded frame k holds
step (k + 1)·``sample_every``; the generator keeps ``steps/sample_every − 1`` frames.

The task (EGNN's "nbody_small"): from positions, velocities and charges at frame 30 predict the
positions at frame 40 — 1,000 integration steps later (steps 3,100 → 4,100 in the generator's
bookkeeping; the papers call them 3,000 → 4,000). 3,000 training, 2,000 validation and 2,000
test trajectories.

* :func:`initial_conditions`, :func:`simulate_charged` — the simulator (vectorised numpy).
* :func:`charged_nbody` — the three splits, generated once and cached on disk. ``draw="egnn"``
  draws every initial condition from numpy's legacy generator in the order and with the seed
  (43) of EGNN's ``generate_dataset.py --num-train 10000 --seed 43 --sufix small``.
* :func:`load_egnn_nbody` / :func:`save_egnn_nbody` — the ``.npy`` files that generator writes
  (``loc_train_charged5_initvel1small.npy``, …), to bring the canonical set.

Arrays here are (trajectory, frame, particle, xyz); EGNN's files store (trajectory, frame,
xyz, particle).

>>> x0, v0, q = initial_conditions(2, rng=0)
>>> loc, vel = simulate_charged(x0, v0, q, steps=300, sample_every=100)
>>> loc.shape, sorted(set(q.ravel().tolist()))
((2, 2, 5, 3), [-1.0, 1.0])
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._io import DataFormatError, cache_file, load_arrays, log, params_digest, save_arrays

__all__ = ["NBodySplit", "initial_conditions", "simulate_charged", "charged_forces",
           "charged_nbody", "load_egnn_nbody", "save_egnn_nbody", "EGNN_SUFFIX", "EGNN_SEED",
           "FRAMES"]

EGNN_SUFFIX = "_charged5_initvel1small"  #: file suffix of EGNN's "nbody_small" set
EGNN_SEED = 43  #: the seed EGNN's generator used for that set
FRAMES = (30, 40)  #: input and target frame of the task
_SPLITS = ("train", "valid", "test")


@dataclass(frozen=True, eq=False)
class NBodySplit:
    """Trajectories of one split: ``loc``, ``vel`` (S, F, n, 3), ``charges`` (S, n).

    :meth:`sample` gives the task's (positions, features, target) of trajectory i:
    positions (n, 3) at ``frame_in``, features (n, 4) = [charge, v_x, v_y, v_z] at
    ``frame_in``, target (n, 3) = positions at ``frame_out``.
    """

    loc: np.ndarray
    vel: np.ndarray
    charges: np.ndarray
    frame_in: int = FRAMES[0]
    frame_out: int = FRAMES[1]

    def __post_init__(self):
        S, F, n, d = self.loc.shape
        if self.vel.shape != self.loc.shape or self.charges.shape != (S, n):
            raise ValueError(f"inconsistent shapes: loc {self.loc.shape}, vel {self.vel.shape}, "
                             f"charges {self.charges.shape}.")
        if not 0 <= self.frame_in < F or not 0 <= self.frame_out < F:
            raise ValueError(f"frames ({self.frame_in}, {self.frame_out}) out of range: the "
                             f"trajectories hold {F} frames.")

    def __len__(self) -> int:
        return self.loc.shape[0]

    def sample(self, i: int):
        q = self.charges[i][:, None]
        feats = np.concatenate([q, self.vel[i, self.frame_in]], axis=1)
        return self.loc[i, self.frame_in], feats, self.loc[i, self.frame_out]

    def arrays(self):
        """All samples at once: positions (S, n, 3), features (S, n, 4), targets (S, n, 3)."""
        q = self.charges[:, :, None]
        feats = np.concatenate([q, self.vel[:, self.frame_in]], axis=2)
        return self.loc[:, self.frame_in], feats, self.loc[:, self.frame_out]

    def head(self, k: int) -> NBodySplit:
        """The first k trajectories (EGNN trains on the first 3,000 of its 10,000)."""
        return NBodySplit(self.loc[:k], self.vel[:k], self.charges[:k], self.frame_in,
                          self.frame_out)


def _loc_std(n_particles: int, loc_std: float) -> float:
    # the generator scales the spread with the particle number, keeping the density fixed
    return loc_std * (n_particles / 5.0) ** (1.0 / 3.0)


def initial_conditions(n: int, *, rng=None, n_particles: int = 5, loc_std: float = 1.0,
                       speed: float = 0.5, box: float | None = 5.0, draw: str = "fast",
                       frames: int = 49):
    """Initial positions (n, p, 3), velocities (n, p, 3) and charges (n, p) of ``n`` systems.

    ``draw="fast"``: vectorised draws from ``np.random.default_rng(rng)``. ``draw="egnn"``:
    one system at a time from ``np.random.RandomState(rng)`` in EGNN's generator's order —
    charges, positions, velocities, then the two (zero-variance) observation-noise arrays of
    ``frames`` frames it draws and discards — so its seed gives its initial conditions.
    ``box``: positions beyond ±box are reflected once, as the generator does at the start
    (none is, in practice, for 5 particles).
    """
    p = int(n_particles)
    sd = _loc_std(p, loc_std)
    if draw == "egnn":
        rs = rng if isinstance(rng, np.random.RandomState) else np.random.RandomState(rng)
        q = np.empty((n, p))
        x = np.empty((n, 3, p))
        v = np.empty((n, 3, p))
        for s in range(n):
            q[s] = rs.choice(np.array([-1.0, 0.0, 1.0]), size=(p, 1), p=[0.5, 0.0, 0.5])[:, 0]
            x[s] = rs.randn(3, p) * sd
            v[s] = rs.randn(3, p)
            rs.randn(frames, 3, p)  # noise on positions, times zero
            rs.randn(frames, 3, p)  # noise on velocities, times zero
        x, v = x.transpose(0, 2, 1), v.transpose(0, 2, 1)
    elif draw == "fast":
        g = np.random.default_rng(rng)
        q = g.choice(np.array([-1.0, 1.0]), size=(n, p))
        x = g.standard_normal((n, p, 3)) * sd
        v = g.standard_normal((n, p, 3))
    else:
        raise ValueError(f"draw must be 'fast' or 'egnn'; got {draw!r}.")
    v = v * (speed / np.linalg.norm(v, axis=2, keepdims=True))
    if box is not None:
        x = np.where(x > box, 2 * box - x, x)
        x = np.where(x < -box, -2 * box - x, x)
    return np.ascontiguousarray(x), np.ascontiguousarray(v), q


def charged_forces(x: np.ndarray, qq: np.ndarray, max_force: float = 100.0) -> np.ndarray:
    """Clipped Coulomb-like forces (S, p, 3) at positions x (S, p, 3), ``qq`` = q qᵀ (S, p, p).

    >>> x = np.array([[[0.0, 0, 0], [2.0, 0, 0]]]); q = np.array([1.0, 1.0])
    >>> charged_forces(x, np.outer(q, q)[None])[0].tolist()   # like charges repel: 1/r² = 1/4
    [[-0.25, 0.0, 0.0], [0.25, 0.0, 0.0]]
    """
    diff = x[:, :, None, :] - x[:, None, :, :]  # x_i − x_j
    d2 = np.einsum("sijk,sijk->sij", diff, diff)
    idx = np.arange(x.shape[1])
    d2[:, idx, idx] = np.inf  # no self force
    w = qq / (d2 * np.sqrt(d2))
    F = np.einsum("sij,sijk->sik", w, diff)
    return np.clip(F, -max_force, max_force, out=F)


def simulate_charged(x0, v0, charges, *, steps: int = 5000, sample_every: int = 100,
                     dt: float = 1e-3, max_force: float = 100.0):
    """Integrate the systems; returns positions and velocities (S, F, p, 3) at the recorded
    frames (frame k = step (k+1)·sample_every; F = steps // sample_every − 1)."""
    if steps % sample_every:
        raise ValueError(f"steps ({steps}) must be a multiple of sample_every ({sample_every}).")
    x = np.array(x0, dtype=np.float64)
    v = np.array(v0, dtype=np.float64)
    q = np.asarray(charges, dtype=np.float64)
    qq = q[:, :, None] * q[:, None, :]
    n_frames = steps // sample_every - 1
    loc = np.empty((x.shape[0], n_frames) + x.shape[1:])
    vel = np.empty_like(loc)
    v += dt * charged_forces(x, qq, max_force)
    for i in range(1, steps):
        x += dt * v
        if i % sample_every == 0:
            loc[:, i // sample_every - 1] = x
            vel[:, i // sample_every - 1] = v
        v += dt * charged_forces(x, qq, max_force)
    return loc, vel


def charged_nbody(*, n_train: int = 3000, n_valid: int = 2000, n_test: int = 2000,
                  seed: int = EGNN_SEED, draw: str = "egnn", pool_train: int = 10000,
                  steps: int = 5000, sample_every: int = 100, cache: bool = True):
    """The task's splits {"train", "valid", "test"} → :class:`NBodySplit`, cached on disk.

    With ``draw="egnn"`` the initial conditions are drawn as EGNN's generator draws its
    "small" set: ``pool_train`` (10,000) training systems, then the validation and test
    systems, from one legacy RandomState(seed); training uses the first ``n_train``.
    Generating the default set takes about a minute (once; then it is read from the cache,
    see :func:`kernels.data.data_dir`).
    """
    if draw == "egnn" and n_train > pool_train:
        raise ValueError(f"n_train ({n_train}) exceeds pool_train ({pool_train}).")
    params = dict(kind="charged-nbody", v=1, n_train=n_train, n_valid=n_valid, n_test=n_test,
                  seed=seed, draw=draw, pool=pool_train if draw == "egnn" else n_train,
                  steps=steps, every=sample_every)
    path = cache_file(f"nbody-{params_digest(params)}.npz")
    arrays = load_arrays(path) if cache else None
    if arrays is None:
        t = time.perf_counter()
        frames = steps // sample_every - 1
        if draw == "egnn":
            rs = np.random.RandomState(seed)
            tr = initial_conditions(pool_train, rng=rs, draw="egnn", frames=frames)
            va = initial_conditions(n_valid, rng=rs, draw="egnn", frames=frames)
            te = initial_conditions(n_test, rng=rs, draw="egnn", frames=frames)
            tr = tuple(a[:n_train] for a in tr)
        else:
            tr, va, te = (initial_conditions(m, rng=[seed, k], draw="fast")
                          for k, m in enumerate((n_train, n_valid, n_test)))
        x0, v0, q = (np.concatenate(a) for a in zip(tr, va, te))
        loc, vel = simulate_charged(x0, v0, q, steps=steps, sample_every=sample_every)
        arrays = {"loc": loc, "vel": vel, "charges": q,
                  "sizes": np.array([n_train, n_valid, n_test])}
        log.info("simulated %d N-body trajectories in %.1f s", len(q), time.perf_counter() - t)
        if cache:
            save_arrays(path, arrays)
    bounds = np.cumsum([0] + arrays["sizes"].tolist())
    return {name: NBodySplit(arrays["loc"][a:b], arrays["vel"][a:b], arrays["charges"][a:b])
            for name, a, b in zip(_SPLITS, bounds[:-1], bounds[1:])}


def _egnn_paths(directory, split: str, suffix: str):
    d = Path(directory)
    return {k: d / f"{k}_{split}{suffix}.npy" for k in ("loc", "vel", "edges", "charges")}


def _load_npy(path: Path) -> np.ndarray:
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing (EGNN's generator writes loc_, vel_, edges_ "
                                f"and charges_ files for each split).")
    try:
        return np.load(path, allow_pickle=False)
    except Exception as e:
        raise DataFormatError(f"not a readable .npy array ({e})", path=path) from None


def _first_bad(mask: np.ndarray) -> int:
    return int(np.argmax(mask.reshape(mask.shape[0], -1).any(axis=1)))


def load_egnn_nbody(directory, *, suffix: str = EGNN_SUFFIX, max_train: int | None = 3000,
                    frames: tuple[int, int] = FRAMES) -> dict[str, NBodySplit]:
    """Read the ``.npy`` files of EGNN's generator from ``directory``.

    Files: ``{loc,vel}_{split}{suffix}.npy`` (S, F, 3, n), ``edges_…`` (S, n, n) = q qᵀ,
    ``charges_…`` (S, n, 1), for split in train/valid/test. Training keeps the first
    ``max_train`` trajectories (EGNN's ``--max_training_samples``). Wrong shapes, non-finite
    values, charges other than ±1 (or 0) and edges ≠ q qᵀ raise :class:`DataFormatError`
    naming the file and trajectory.
    """
    out = {}
    for split in _SPLITS:
        paths = _egnn_paths(directory, split, suffix)
        a = {k: _load_npy(p) for k, p in paths.items()}
        loc, vel, edges, q = a["loc"], a["vel"], a["edges"], a["charges"]
        if loc.ndim != 4 or loc.shape[2] != 3:
            raise DataFormatError(f"expected shape (trajectories, frames, 3, particles); got "
                                  f"{loc.shape}", path=paths["loc"])
        S, F, _, n = loc.shape
        for k, shape in (("vel", loc.shape), ("edges", (S, n, n)), ("charges", (S, n, 1))):
            if a[k].shape != shape:
                raise DataFormatError(f"expected shape {shape} to match {paths['loc'].name}; "
                                      f"got {a[k].shape}", path=paths[k])
        for k in ("loc", "vel", "edges", "charges"):
            bad = ~np.isfinite(a[k])
            if bad.any():
                raise DataFormatError(f"non-finite value in trajectory {_first_bad(bad)}",
                                      path=paths[k])
        bad = ~np.isin(q, (-1.0, 0.0, 1.0))
        if bad.any():
            raise DataFormatError(f"charges must be -1, 0 or +1; trajectory {_first_bad(bad)} "
                                  f"holds {q[_first_bad(bad)].ravel().tolist()}",
                                  path=paths["charges"])
        bad = edges != q * q.transpose(0, 2, 1)
        if bad.any():
            raise DataFormatError(f"edges must equal q qᵀ; trajectory {_first_bad(bad)} does "
                                  f"not", path=paths["edges"])
        if not all(0 <= f < F for f in frames):
            raise DataFormatError(f"frames {frames} out of range: the file holds {F} frames",
                                  path=paths["loc"])
        keep = S if (split != "train" or max_train is None) else min(S, max_train)
        out[split] = NBodySplit(loc[:keep].transpose(0, 1, 3, 2).astype(np.float64),
                                vel[:keep].transpose(0, 1, 3, 2).astype(np.float64),
                                q[:keep, :, 0].astype(np.float64), *frames)
    return out


def save_egnn_nbody(directory, splits: dict[str, NBodySplit], *,
                    suffix: str = EGNN_SUFFIX) -> None:
    """Write splits in EGNN's file format (readable by :func:`load_egnn_nbody` and by EGNN's
    own ``NBodyDataset``)."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    for split in _SPLITS:
        s = splits[split]
        q = s.charges[:, :, None]
        arrays = {"loc": s.loc.transpose(0, 1, 3, 2), "vel": s.vel.transpose(0, 1, 3, 2),
                  "edges": q * q.transpose(0, 2, 1), "charges": q}
        for k, p in _egnn_paths(directory, split, suffix).items():
            np.save(p, np.ascontiguousarray(arrays[k]))
