"""Pictures for teaching and debugging: bases, steerable kernels, point clouds, learning curves.

matplotlib is imported inside each function (``pip install groupkit[plot]``), so ``import groupkit``
never pays for it. Every function draws into a new figure (or the ``ax`` given) and returns the
figure; nothing is shown or saved — call ``fig.savefig(...)`` or let Jupyter display it.

* :func:`plot_basis` — the equivariant maps W_k of a basis, one matrix image each.
* :func:`plot_kernel` — a 2-D steerable kernel K(x) as a field, and the same field after a group
  element acts on the input, ``K(g⁻¹x)``, and on input and output,
  ``ρ_out(g) K(g⁻¹x) ρ_in(g)⁻¹`` (equal to K for a steerable kernel). The kernel is any callable
  x (N, 2) → K (N, out, in), a ``kernels.ImplicitKernel`` included (groupkit does not import
  ``kernels``; torch modules are evaluated under ``no_grad``).
* :func:`plot_point_cloud` — points in 2-D or 3-D with vector features as arrows.
* :func:`plot_learning_curves` — loss against steps, one line per model, seeds as a band.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_basis", "plot_kernel", "plot_point_cloud", "plot_learning_curves",
           "evaluate_kernel"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("groupkit.plot needs matplotlib: pip install 'groupkit[plot]'.") from e
    return plt


def _new_axes(ax, figsize):
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _basis_matrices(basis, shape) -> np.ndarray:
    """(r, out, in) float matrices from an EquivariantBasis, an ndarray Q or a sympy Matrix."""
    from .basis import EquivariantBasis

    if isinstance(basis, EquivariantBasis):
        Q = basis.dense()
        shape = (basis.rep_out.size, basis.rep_in.size)
    else:
        try:
            Q = np.array(basis.tolist(), dtype=complex) if hasattr(basis, "tolist") and \
                not isinstance(basis, np.ndarray) else np.asarray(basis)
        except TypeError as e:
            raise TypeError("plot_basis takes an EquivariantBasis, an ndarray Q (N, r) or a "
                            f"sympy Matrix; got {type(basis).__name__}.") from e
        if Q.ndim == 1:
            Q = Q[:, None]
        if Q.ndim != 2:
            raise ValueError(f"a basis Q must be 2-D (out·in, r); got shape {Q.shape}.")
        if shape is None:
            raise ValueError("plot_basis(Q) needs shape=(rep_out.size, rep_in.size) for an array "
                             "basis (an EquivariantBasis knows its shape).")
    n_out, n_in = (int(s) for s in shape)
    if Q.shape[0] != n_out * n_in:
        raise ValueError(f"basis has {Q.shape[0]} rows but shape {shape} needs {n_out * n_in}.")
    if np.iscomplexobj(Q):
        if np.abs(Q.imag).max(initial=0) > 1e-12 * max(np.abs(Q).max(initial=0), 1):
            raise ValueError("plot_basis draws real matrices; this basis is complex. Plot "
                             "basis.real and basis.imag separately.")
        Q = Q.real
    return Q.T.reshape(-1, n_out, n_in).astype(float)


def plot_basis(basis, *, shape=None, ncols: int = 6, titles=None, cmap: str = "RdBu_r",
               size: float = 1.6, annotate: bool | None = None):
    """Draw each basis map W_k (rep_out.size × rep_in.size) as a matrix image, on a grid.

    ``basis``: an :class:`~groupkit.EquivariantBasis`, an array Q (out·in, r) with ``shape`` =
    (out, in), or an exact sympy Matrix (with ``shape``). Colours are symmetric about zero (red
    positive, blue negative); ``annotate`` writes the entries into the cells (default: when the
    matrices have at most 36 entries). Returns the figure.

    >>> from groupkit import D, V, solve
    >>> from groupkit.plot import plot_basis
    >>> fig = plot_basis(solve(V(D(4))**2, V(D(4))**2))
    >>> len([ax for ax in fig.axes if ax.images])   # one image per basis map
    4
    """
    plt = _pyplot()
    W = _basis_matrices(basis, shape)
    r = W.shape[0]
    if r == 0:
        fig, ax = plt.subplots(figsize=(3, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no equivariant maps (dim 0)", ha="center", va="center")
        return fig
    ncols = max(1, min(int(ncols), r))
    nrows = -(-r // ncols)
    n_out, n_in = W.shape[1:]
    aspect = n_out / max(n_in, 1)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(size * ncols, size * nrows * min(max(aspect, 0.3), 3)))
    if annotate is None:
        annotate = n_out * n_in <= 36
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= r:
            ax.axis("off")
            continue
        m = W[k]
        lim = np.abs(m).max() or 1.0
        ax.imshow(m, cmap=cmap, vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(titles[k] if titles is not None else f"W{k + 1}", fontsize=9)
        if annotate:
            for (i, j), v in np.ndenumerate(m):
                if abs(v) > 1e-12 * lim:
                    ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=7)
    fig.tight_layout()
    return fig


def evaluate_kernel(kernel, x: np.ndarray) -> np.ndarray:
    """K(x) as a float64 ndarray (N, out, in) for a callable kernel on points x (N, d).

    A torch module (e.g. ``kernels.ImplicitKernel``) is called on a tensor of its parameters'
    dtype, without gradients; any other callable gets the ndarray. A result of shape (N, out)
    is read as (N, out, 1). A complex result is accepted only if it is real to 1e-8.

    >>> import numpy as np
    >>> from groupkit.plot import evaluate_kernel
    >>> evaluate_kernel(lambda x: x, np.ones((5, 2))).shape   # K(x) = x: a vector field
    (5, 2, 1)
    """
    x = np.asarray(x, dtype=float)
    if hasattr(kernel, "parameters") and callable(kernel.parameters):
        import torch  # only reached for torch modules, so torch is already installed

        p = next(iter(kernel.parameters()), None)
        dtype = p.dtype if p is not None else torch.get_default_dtype()
        with torch.no_grad():
            out = kernel(torch.as_tensor(x, dtype=dtype))
    else:
        out = kernel(x)
    if hasattr(out, "detach"):
        out = out.detach().cpu().numpy()
    out = np.asarray(out)
    if np.iscomplexobj(out):
        # a picture of the real part of a complex kernel would be a silent half-answer
        if np.abs(out.imag).max(initial=0.0) > 1e-8 * max(1.0, np.abs(out).max(initial=0.0)):
            raise ValueError("evaluate_kernel: the kernel is complex-valued (largest imaginary "
                             f"part {np.abs(out.imag).max():.2e}); plot lambda x: K(x).real and "
                             "lambda x: K(x).imag separately.")
        out = out.real
    out = out.astype(float)
    if out.ndim == 2:
        out = out[:, :, None]
    if out.ndim != 3 or out.shape[0] != x.shape[0]:
        raise ValueError(f"a kernel must map x ({x.shape[0]}, d) to K ({x.shape[0]}, out, in); "
                         f"got shape {out.shape}.")
    return out


def _rho(rep, g, n):
    if rep is None:
        return np.eye(n)
    return np.asarray(rep.rho(g), dtype=float)


def _default_element(kernel, g):
    if g is not None:
        return np.asarray(g, dtype=float)
    G = getattr(kernel, "group", None)
    if G is None:
        raise ValueError("plot_kernel needs g (a (2, 2) group element) unless the kernel has a "
                         "`group` attribute, as kernels.ImplicitKernel does.")
    if len(G.discrete_generators):
        return np.asarray(G.discrete_generators[0], dtype=float)
    from scipy.linalg import expm

    return expm(1.0 * np.asarray(G.lie_algebra[0], dtype=float))


def plot_kernel(kernel, g=None, *, rep_in=None, rep_out=None, space=None, radius: float = 1.0,
                n: int = 15, size: float = 2.6):
    """A 2-D steerable kernel drawn as a field, and what a group element does to it.

    Three panels on an n × n grid of points x with |x_i| ≤ ``radius``:

    1. K(x);
    2. K(g⁻¹x) — the input rotated (the pattern moves, the arrows keep their direction);
    3. ρ_out(g) K(g⁻¹x) ρ_in(g)⁻¹ — input and output transformed: for a steerable kernel this
       is K(x) again, and the title reports the relative difference from panel 1.

    A kernel with K (2 × 1) (scalar in, vector out) is drawn as arrows; any other shape as a
    mosaic of images, block (i, j) the entry K_ij(x). ``rep_in``, ``rep_out``, ``space`` and the
    default ``g`` (the group's first discrete generator, else exp of its first Lie-algebra
    element) are read from the kernel (a ``kernels.ImplicitKernel``) when not given; for a plain
    callable, reps left out act trivially and positions transform by g itself. Returns the
    figure; ``fig.equivariance_error`` holds the relative difference.

    >>> import numpy as np
    >>> from groupkit.plot import plot_kernel
    >>> from groupkit import C, V, Scalar
    >>> g = C(4).discrete_generators[0]
    >>> fig = plot_kernel(lambda x: x, g, rep_in=Scalar, rep_out=V(C(4)))   # K(x) = x
    >>> len(fig.axes), fig.equivariance_error < 1e-12
    (3, True)
    """
    plt = _pyplot()
    g = _default_element(kernel, g)
    rep_in = rep_in if rep_in is not None else getattr(kernel, "rep_in", None)
    rep_out = rep_out if rep_out is not None else getattr(kernel, "rep_out", None)
    space = space if space is not None else getattr(kernel, "space", None)
    S = _rho(space, g, 2) if space is not None else g
    if S.shape != (2, 2):
        raise ValueError(f"plot_kernel draws kernels on the plane; positions transform by a "
                         f"{S.shape} matrix.")
    t = np.linspace(-radius, radius, n)
    X = np.stack(np.meshgrid(t, t, indexing="xy"), -1).reshape(-1, 2)
    K = evaluate_kernel(kernel, X)
    K_moved = evaluate_kernel(kernel, X @ np.linalg.inv(S).T)        # K(g⁻¹x)
    n_out, n_in = K.shape[1:]
    R_out, R_in = _rho(rep_out, g, n_out), _rho(rep_in, g, n_in)
    K_steered = R_out @ K_moved @ np.linalg.inv(R_in)                 # ρ_out K(g⁻¹x) ρ_in⁻¹
    err = float(np.linalg.norm(K_steered - K) / max(np.linalg.norm(K), 1e-300))
    fig, axes = plt.subplots(1, 3, figsize=(3 * size, size + 0.4))
    titles = ["K(x)", "K(g⁻¹x): input moved",
              f"ρ_out(g) K(g⁻¹x) ρ_in(g)⁻¹\n(differs from K by {err:.1e})"]
    lim = np.abs(K).max() or 1.0
    for ax, F, title in zip(axes, (K, K_moved, K_steered), titles):
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        if (n_out, n_in) == (2, 1):
            ax.quiver(X[:, 0], X[:, 1], F[:, 0, 0], F[:, 1, 0], np.hypot(F[:, 0, 0], F[:, 1, 0]),
                      cmap="viridis", angles="xy", pivot="mid")
            ax.set_aspect("equal")
        else:
            # block (i, j) is the image of K_ij over the grid; row 0 of an image is y = −radius
            img = F.reshape(n, n, n_out, n_in).transpose(2, 0, 3, 1).reshape(n_out * n, n_in * n)
            ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim, origin="lower",
                      interpolation="nearest")
            for k in range(1, n_out):
                ax.axhline(k * n - 0.5, color="k", lw=0.5)
            for k in range(1, n_in):
                ax.axvline(k * n - 0.5, color="k", lw=0.5)
    fig.tight_layout()
    fig.equivariance_error = err
    return fig


def plot_point_cloud(pos, vectors=None, *, ax=None, color=None, scale: float | None = None,
                     title: str | None = None, size: float = 3.5):
    """Points (N, 2) or (N, 3) with optional vector features (N, 2|3) drawn as arrows.

    ``color``: one colour or per-point values (N,); ``scale``: arrow length multiplier (default:
    the longest arrow is a fifth of the cloud's extent). Returns the figure.

    >>> import numpy as np
    >>> from groupkit.plot import plot_point_cloud
    >>> pos = np.random.default_rng(0).normal(size=(10, 3))
    >>> fig = plot_point_cloud(pos, vectors=np.cross(pos, [0.0, 0.0, 1.0]))   # a swirl
    >>> fig.axes[0].name
    '3d'
    """
    plt = _pyplot()
    pos = np.asarray(pos, dtype=float)
    if pos.ndim != 2 or pos.shape[1] not in (2, 3):
        raise ValueError(f"pos must have shape (N, 2) or (N, 3); got {pos.shape}.")
    d = pos.shape[1]
    if ax is None:
        fig = plt.figure(figsize=(size, size))
        ax = fig.add_subplot(projection="3d" if d == 3 else None)
    fig = ax.figure
    c = "C0" if color is None else color
    if d == 2:
        ax.scatter(pos[:, 0], pos[:, 1], c=c, s=12)
        ax.set_aspect("equal")
    else:
        ax.scatter(pos[:, 0], pos[:, 1], pos[:, 2], c=c, s=12)
    if vectors is not None:
        v = np.asarray(vectors, dtype=float)
        if v.shape != pos.shape:
            raise ValueError(f"vectors must match pos {pos.shape}; got {v.shape}.")
        if scale is None:
            extent = np.ptp(pos, axis=0).max() or 1.0
            scale = 0.2 * extent / (np.linalg.norm(v, axis=1).max() or 1.0)
        if d == 2:
            ax.quiver(pos[:, 0], pos[:, 1], scale * v[:, 0], scale * v[:, 1], angles="xy",
                      scale_units="xy", scale=1, color="C3", width=0.006)
        else:
            ax.quiver(pos[:, 0], pos[:, 1], pos[:, 2], scale * v[:, 0], scale * v[:, 1],
                      scale * v[:, 2], color="C3")
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def plot_learning_curves(curves, *, ax=None, logy: bool = True, xlabel: str = "step",
                         ylabel: str = "loss", title: str | None = None, size=(5, 3.2)):
    """Loss curves: ``curves`` maps a label to values (T,), to (steps, values), or to an array
    (seeds, T) drawn as its median with a min–max band. Returns the figure.

    >>> from groupkit.plot import plot_learning_curves
    >>> fig = plot_learning_curves({"EMLP": [1.0, 0.3, 0.1], "MLP": [[1.0, 0.6, 0.5],
    ...                                                         [1.2, 0.7, 0.4]]})
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['EMLP', 'MLP']
    """
    fig, ax = _new_axes(ax, size)
    if not curves:
        raise ValueError("plot_learning_curves needs at least one curve.")
    for label, data in curves.items():
        steps = None
        if isinstance(data, tuple) and len(data) == 2:
            steps, data = np.asarray(data[0], dtype=float), data[1]
        y = np.asarray(data, dtype=float)
        if y.ndim not in (1, 2):
            raise ValueError(f"curve {label!r}: values must be (T,) or (seeds, T); got {y.shape}.")
        T = y.shape[-1]
        if steps is None:
            steps = np.arange(1, T + 1)
        if steps.shape != (T,):
            raise ValueError(f"curve {label!r}: {steps.shape[0]} steps for {T} values.")
        if y.ndim == 2:
            line, = ax.plot(steps, np.median(y, axis=0), label=label)
            ax.fill_between(steps, y.min(axis=0), y.max(axis=0), color=line.get_color(),
                            alpha=0.2, lw=0)
        else:
            ax.plot(steps, y, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
