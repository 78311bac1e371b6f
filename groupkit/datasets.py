"""The EMLP paper's synthetic regression tasks, generated with numpy (no torch needed).

* :func:`o5_synthetic` — O(5)-invariant regression, 2V → 1:
  f(x₁, x₂) = sin‖x₁‖ − ½‖x₂‖³ + ⟨x₁, x₂⟩ / (‖x₁‖‖x₂‖), with x₁, x₂ ~ N(0, I₅).
* :func:`inertia` — O(3)-equivariant moment of inertia, 5·1 + 5V → T(2):
  I = Σᵢ mᵢ (‖rᵢ‖² I₃ − rᵢ rᵢᵀ), masses mᵢ = softplus(N(0, 1)), positions rᵢ ~ N(0, I₃). The input
  lists the five masses first, then the five positions; the output is I flattened row-major.
* :func:`particle_scattering` — Lorentz-invariant e⁻μ⁻ → e⁻μ⁻ scattering, 4V → 1: with four
  four-momenta pᵢ ~ N(0, I₄)/4 in (t, x, y, z) and the metric η = diag(1, −1, −1, −1),
  L_e = p₁p₃ᵀ − (p₁·p₃ − p₁·p₁) η, L_μ = (ηp₂)(ηp₄)ᵀ − (p₂·p₄ − p₂·p₂) η and
  |M|² = 4 Σ_{μν} (L_e)_{μν} (L_μ)_{μν} (a·b = aᵀηb).

Each returns a :class:`Dataset` (X (N, rep_in.size), Y (N, rep_out.size), float64, with its
representations and group). :meth:`Dataset.standardization` computes input/output scalings that
commute with the group (one positive scale per vector; for outputs, the mean's invariant part as
shift and one scale per summand), from the split it is called on, as the paper does.

Every generator takes ``rng``: a seed, a :class:`numpy.random.Generator`, or a legacy
:class:`numpy.random.RandomState`, which :func:`paper_split` uses to regenerate the EMLP authors'
train/validation/test arrays (their numpy seed and split procedure; see its docstring for the
one caveat).

>>> ds = o5_synthetic(8, rng=0)
>>> ds.X.shape, ds.Y.shape, ds.rep_in, ds.group
((8, 10), (8, 1), 2V, O(5))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .catalogue import O, Lorentz
from .groups import Group
from .reps import Rep, Scalar, T, V

__all__ = ["Dataset", "Standardization", "output_scaling", "o5_synthetic", "inertia",
           "particle_scattering", "o5_target", "inertia_target", "scattering_target",
           "minkowski_dot", "TASKS", "make", "paper_split", "PAPER_SEED", "PAPER_NDATA"]

ETA = np.diag([1.0, -1.0, -1.0, -1.0])


@dataclass(frozen=True)
class Standardization:
    """x ↦ (x − x_shift) / x_scale for inputs, y = y_scale · ŷ + y_shift for outputs (arrays
    broadcast over the last axis). Equivariant by construction, see
    :meth:`Dataset.standardization`.

    >>> s = o5_synthetic(100, rng=0).standardization()
    >>> s.x_scale.shape, s.y_shift.shape       # one scale per coordinate, equal within a vector
    ((10,), (1,))
    """

    x_shift: np.ndarray
    x_scale: np.ndarray
    y_shift: np.ndarray
    y_scale: np.ndarray


@dataclass(frozen=True, eq=False)
class Dataset:
    """A regression dataset: inputs X (N, rep_in.size), targets Y (N, rep_out.size).

    >>> ds = inertia(100, rng=0)
    >>> ds.X.shape, ds.Y.shape, ds.rep_in, ds.rep_out, len(ds)
    ((100, 20), (100, 9), 5+5V, V⊗V, 100)
    >>> [len(part) for part in ds.split(60, 40)]
    [60, 40]
    """

    name: str
    X: np.ndarray
    Y: np.ndarray
    rep_in: Rep
    rep_out: Rep
    group: Group
    # how to scale inputs: "vectors" (one RMS scale per vector), "minkowski" (per four-vector,
    # by the mean |Minkowski square|) or "none"; and whether to shift/scale the outputs by
    # default (the paper does for invariant outputs and not for the inertia tensor)
    x_scaling: str = "none"
    y_scaling: bool = False

    def __len__(self) -> int:
        return self.X.shape[0]

    def subset(self, index) -> "Dataset":
        return Dataset(self.name, self.X[index], self.Y[index], self.rep_in, self.rep_out,
                       self.group, self.x_scaling, self.y_scaling)

    def split(self, *sizes: int) -> list["Dataset"]:
        """Consecutive splits of the given sizes (the data are i.i.d., so no shuffling)."""
        if sum(sizes) > len(self):
            raise ValueError(f"the splits {sizes} need {sum(sizes)} samples; the dataset has "
                             f"{len(self)}. Generate more with a larger n.")
        out, start = [], 0
        for s in sizes:
            out.append(self.subset(slice(start, start + s)))
            start += s
        return out

    def standardization(self, input_scale: float = 1.0, *,
                        y_scaling: bool | None = None) -> Standardization:
        """Scalings estimated on this dataset that commute with the group action; the
        standardised inputs are further multiplied by ``input_scale`` (> 0). ``y_scaling``
        (default: the dataset's own choice) shifts the outputs by the invariant part of their
        mean and divides each summand of rep_out by its RMS about that shift (for scalar
        outputs: the mean and standard deviation of each coordinate)."""
        if not (isinstance(input_scale, (int, float)) and math.isfinite(input_scale)
                and input_scale > 0):
            raise ValueError(f"input_scale must be a positive finite number; got "
                             f"{input_scale!r}.")
        n_in, n_out = self.X.shape[1], self.Y.shape[1]
        x_shift, x_scale = np.zeros(n_in), np.ones(n_in)
        if self.x_scaling == "vectors":
            d = self.group.d
            blocks = self.X.reshape(len(self), -1, d)
            x_scale = np.repeat(np.sqrt((blocks ** 2).mean(axis=(0, 2))), d)
        elif self.x_scaling == "minkowski":
            blocks = self.X.reshape(len(self), -1, 4)
            sq = np.abs((blocks @ ETA) * blocks).mean(axis=2)  # (N, particles)
            x_scale = np.repeat(np.sqrt(sq.mean(axis=0)), 4)
        x_scale = x_scale / input_scale
        y_shift, y_scale = np.zeros(n_out), np.ones(n_out)
        scale_outputs = self.y_scaling if y_scaling is None else y_scaling
        if scale_outputs:
            y_shift, y_scale = output_scaling(self.Y, self.rep_out)
        return Standardization(x_shift, x_scale, y_shift, y_scale)


def output_scaling(Y: np.ndarray, rep: Rep) -> tuple[np.ndarray, np.ndarray]:
    """(shift, scale), each (rep.size,), for targets Y (N, rep.size) of ``rep``: shift is the
    orthogonal projection of the mean onto the invariant vectors of rep (the only shifts that
    commute with the group), scale the RMS of Y − shift over each summand of rep (a constant on
    every summand commutes with the group); a summand that is constant gets scale 1.

    >>> from groupkit import O, V, Scalar
    >>> Y = np.random.default_rng(0).normal(size=(50, 4))
    >>> shift, scale = output_scaling(Y, V(O(3)) + Scalar)
    >>> bool(np.all(shift[:3] == 0)), shift.shape     # a vector of O(3) has no invariant shift
    (True, (4,))
    """
    if rep.is_complex:
        raise ValueError(f"output scaling is defined for real representations; {rep} is complex.")
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[1] != rep.size or len(Y) == 0:
        raise ValueError(f"output_scaling needs targets of shape (N ≥ 1, {rep.size}) for {rep}; "
                         f"got {Y.shape}.")
    from .solver import equivariant_basis

    Q = np.real(equivariant_basis(Scalar, rep))  # (rep.size, r), orthonormal columns
    shift = Q @ (Q.T @ Y.mean(axis=0))
    centred = Y - shift
    scale = np.ones(rep.size)
    start = 0
    for part in rep.summands():
        block = slice(start, start + part.size)
        rms = math.sqrt(float((centred[:, block] ** 2).mean()))
        # a constant summand leaves only rounding in Y − shift; dividing by it would blow up
        level = max(1.0, float(np.abs(Y[:, block]).max()))
        if rms > 1e-12 * level:
            scale[block] = rms
        start += part.size
    return shift, scale


class _TorchNormal:
    """Standard normal draws from torch's CPU generator seeded ``seed`` (float32, as
    ``torch.manual_seed(seed); torch.randn(...)``), returned as float64 numpy arrays."""

    def __init__(self, seed: int):
        import torch  # only for the torch-era paper arrays; the module itself stays torch-free

        self._torch, self._gen = torch, torch.Generator().manual_seed(seed)

    def normal(self, size):
        return self._torch.randn(*size, generator=self._gen).double().numpy()


def _rng(rng) -> np.random.Generator | np.random.RandomState | _TorchNormal:
    # a legacy RandomState passes through, so numpy.random.seed-era data can be regenerated
    if isinstance(rng, (np.random.Generator, np.random.RandomState, _TorchNormal)):
        return rng
    return np.random.default_rng(rng)


def _count(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int ≥ ``minimum``, or a ValueError that names ``name``."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) \
            or value < minimum:
        kind = " (a positive integer)" if minimum == 1 else ""
        raise ValueError(f"{name} must be an integer ≥ {minimum}{kind}; got {value!r}.")
    return int(value)


def o5_target(X: np.ndarray) -> np.ndarray:
    """sin‖x₁‖ − ½‖x₂‖³ + ⟨x₁, x₂⟩ / (‖x₁‖‖x₂‖) for X (N, 10) = [x₁, x₂]; returns (N, 1).

    >>> X = np.zeros((1, 10)); X[0, 0] = X[0, 5] = 1.0   # x₁ = x₂ = e₁
    >>> round(float(o5_target(X)[0, 0]), 6)            # sin 1 − 1/2 + 1
    1.341471
    """
    x1, x2 = X[:, :5], X[:, 5:]
    r1, r2 = np.linalg.norm(x1, axis=1), np.linalg.norm(x2, axis=1)
    Y = np.sin(r1) - 0.5 * r2 ** 3 + np.einsum("ni,ni->n", x1, x2) / (r1 * r2)
    return Y[:, None]


def o5_synthetic(n: int, *, rng=None) -> Dataset:
    """n samples of the O(5)-invariant task 2V → 1 (see the module docstring).

    >>> ds = o5_synthetic(5, rng=0)
    >>> ds.X.shape, ds.Y.shape, ds.group
    ((5, 10), (5, 1), O(5))
    """
    X = _rng(rng).normal(size=(_count("n", n), 10))
    G = O(5)
    return Dataset("o5", X, o5_target(X), 2 * V(G), Scalar, G, x_scaling="vectors",
                   y_scaling=True)


def inertia_target(X: np.ndarray, k: int = 5) -> np.ndarray:
    """Σᵢ mᵢ (‖rᵢ‖² I₃ − rᵢ rᵢᵀ) flattened row-major, (N, 9), for X (N, 4k) = [m, r₁ … r_k].

    >>> X = np.array([[2.0, 0, 0, 0, 0,  1.0, 0, 0] + [0.0] * 12])   # mass 2 at (1, 0, 0)
    >>> inertia_target(X).reshape(3, 3).diagonal()
    array([0., 2., 2.])
    """
    n = X.shape[0]
    m, r = X[:, :k], X[:, k:].reshape(n, k, 3)
    r2 = (r ** 2).sum(axis=2)
    I = np.einsum("nk,nk->n", m, r2)[:, None, None] * np.eye(3) - np.einsum(
        "nk,nki,nkj->nij", m, r, r)
    return I.reshape(n, 9)


def inertia(n: int, *, rng=None, k: int = 5) -> Dataset:
    """n samples of the O(3) moment-of-inertia task k·1 + k·V → T(2).

    >>> ds = inertia(5, rng=0)
    >>> ds.rep_in, ds.rep_out, ds.group
    (5+5V, V⊗V, O(3))
    """
    X = _rng(rng).normal(size=(_count("n", n), 4 * k))
    X[:, :k] = np.logaddexp(0.0, X[:, :k])  # softplus: positive masses
    G = O(3)
    return Dataset("inertia", X, inertia_target(X, k), k * Scalar + k * V(G), T(2, 0, G), G)


def minkowski_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a·b = aᵀ η b over the last axis, η = diag(1, −1, −1, −1).

    >>> minkowski_dot(np.array([2.0, 1.0, 0.0, 0.0]), np.array([2.0, 1.0, 0.0, 0.0]))
    np.float64(3.0)
    """
    return ((a @ ETA) * b).sum(axis=-1)


def scattering_target(X: np.ndarray) -> np.ndarray:
    """4 Σ_{μν} (L_e)_{μν} (L_μ)_{μν} for X (N, 16) = [p₁, p₂, p₃, p₄]; returns (N, 1).

    >>> scattering_target(particle_scattering(3, rng=0).X).shape
    (3, 1)
    """
    n = X.shape[0]
    p1, p2, p3, p4 = X.reshape(n, 4, 4).transpose(1, 0, 2)
    a = minkowski_dot(p1, p3) - minkowski_dot(p1, p1)
    b = minkowski_dot(p2, p4) - minkowski_dot(p2, p2)
    Le = p1[:, :, None] * p3[:, None, :] - a[:, None, None] * ETA
    Lmu = (p2 @ ETA)[:, :, None] * (p4 @ ETA)[:, None, :] - b[:, None, None] * ETA
    return 4 * (Le * Lmu).sum(axis=(1, 2))[:, None]


def particle_scattering(n: int, *, rng=None) -> Dataset:
    """n samples of the Lorentz-invariant scattering task 4V → 1 (see the module docstring).

    >>> ds = particle_scattering(5, rng=0)
    >>> ds.X.shape, ds.rep_in, ds.group
    ((5, 16), 4V, O(1,3))
    """
    X = _rng(rng).normal(size=(_count("n", n), 16)) / 4
    G = Lorentz()
    return Dataset("lorentz", X, scattering_target(X), 4 * V(G), Scalar, G,
                   x_scaling="minkowski", y_scaling=True)


TASKS: dict[str, Callable[..., Dataset]] = {
    "o5": o5_synthetic, "inertia": inertia, "lorentz": particle_scattering,
}


def make(task: str, n: int, *, rng=None) -> Dataset:
    """The dataset of ``task`` ('o5', 'inertia' or 'lorentz') with n samples.

    >>> make("o5", 4, rng=0).X.shape
    (4, 10)
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(TASKS)}.")
    return TASKS[task](n, rng=rng)


# The EMLP authors' data-efficiency script (experiments/data_efficiency.py with emlp's dataset
# classes, the script whose 900-epoch schedule --full follows) draws each task's data inside
# FixedNumpySeed(2021) as one pool of 36 000 samples, and splits it with their oil library into
# {'train': N, 'test': 5000, 'val': 1000}. An earlier version of their dataset classes (emlp_jax)
# drew the pool with torch.randn under torch's seed 2021 instead (draw="torch"); which of the two
# produced the published figures is not recorded.
PAPER_SEED, PAPER_NDATA = 2021, 36_000


def paper_split(task: str, ntrain: int = 1000, nval: int = 1000, ntest: int = 5000, *,
                ndata: int = PAPER_NDATA, seed: int = PAPER_SEED,
                draw: str = "numpy") -> list[Dataset]:
    """[train, validation, test] drawn as the EMLP authors' data-efficiency script draws them:
    ``ndata`` samples of ``task`` from numpy's legacy generator seeded ``seed`` (their
    ``numpy.random.seed(2021)`` around emlp's dataset classes), split as their
    ``oil.datasetup.datasets.split_dataset`` splits ``{'train', 'test', 'val'}``: in order of
    decreasing size (ties in that order), each split the first ``count`` entries of a fresh
    permutation of the indices left (scikit-learn's ``train_test_split`` on the global
    generator), or all the indices left, in order and without a draw, when it needs them all.
    Within a split the samples keep that order. The authors used nval = 1000 and ntest = 5000
    at every N; other sizes (nval = 0 draws no validation split) give other arrays.
    ``draw="torch"`` draws the pool as their earlier torch-based classes did (``torch.randn``
    after ``torch.manual_seed(seed)``, float32; targets computed here in float64), and the
    splits from a fresh ``numpy.random.seed(seed)``; it needs torch.

    >>> train, val, test = paper_split("o5", 10, 10, 10, ndata=100)
    >>> len(train), len(val), len(test)
    (10, 10, 10)
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(TASKS)}.")
    ndata = _count("ndata", ndata, 1)
    sizes = {"train": _count("ntrain", ntrain, 1), "test": _count("ntest", ntest, 1),
             "val": _count("nval", nval, 0)}
    if sum(sizes.values()) > ndata:
        raise ValueError(f"the splits (ntrain {ntrain} + nval {nval} + ntest {ntest}) must fit "
                         f"in the ndata = {ndata} samples drawn.")
    if draw not in ("numpy", "torch"):
        raise ValueError(f"draw must be 'numpy' or 'torch'; got {draw!r}.")
    rs = np.random.RandomState(seed)
    pool = make(task, ndata, rng=rs if draw == "numpy" else _TorchNormal(seed))
    left = np.arange(ndata)
    chosen = {}
    for name, count in sorted(sizes.items(), key=lambda kv: kv[1], reverse=True):
        if count == len(left):  # oil takes what is left as it is
            chosen[name], left = left, left[:0]
        elif count == 0:
            chosen[name] = left[:0]
        else:
            perm = rs.permutation(len(left))
            chosen[name], left = left[perm[:count]], left[perm[count:]]
    return [pool.subset(chosen[name]) for name in ("train", "val", "test")]
