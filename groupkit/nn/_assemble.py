"""Weight assembly in one operation: W = Σ_k θ_k Q_k as a single sparse (or dense) product.

Each layer's basis is flattened once, at construction, to the list of its non-zero entries
(row p of vec(W) in the representation's own order, coefficient k, value Q[p, k]) — the same
COO triplets as :meth:`groupkit.EquivariantBasis.sparse`. Assembly is then one gather of θ, one
product with the values and one scatter-add into vec(W), and its backward the mirror image: a
handful of kernels per layer whatever the number of summand types, instead of a few per pair of
types. Few, large operations are what keep a layer fast when the CPU is shared (every
operation may wait on a descheduled thread) and on a GPU (every operation is a kernel launch
from the host).

Tiny bases (rows × dim ≤ :data:`DENSE_ELEMENTS`) use a dense (rows, dim) matrix and one matmul.
:class:`CooOperator` keeps the values as float64 masters, so a cast to float64 rebuilds them
exactly.

A second helper, :class:`AssemblyCache`, keeps an assembled tensor while autograd is off (eval
under ``torch.no_grad`` / ``torch.inference_mode``) and rebuilds it when the parameter changes
(in-place updates bump its version counter; ``.to`` or ``.data =`` change its storage).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._layout import real_view

__all__ = ["MasteredBuffers", "DENSE_ELEMENTS", "sparse_assemble", "coo_plan", "AssemblyCache",
           "CooOperator"]

# Below this many entries of the dense (rows, dim) matrix, one dense matmul is cheapest.
DENSE_ELEMENTS = 1 << 16


def sparse_assemble(theta: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor,
                    vals: torch.Tensor, n: int) -> torch.Tensor:
    """S θ (n,) for S given by its non-zero entries (rows, cols, vals), rows sorted: one gather
    of θ and one scatter-add. Autograd's backward is the mirror image (one gather of the
    gradient, one scatter-add into θ); plain operations, so torch.compile traces them."""
    return theta.new_zeros(n).index_add(0, rows, theta.index_select(0, cols) * vals)


def coo_plan(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int, dim: int, *,
             dense_limit: int = DENSE_ELEMENTS) -> dict:
    """How to assemble S θ for S of shape (n, dim) with the given non-zero entries.

    Returns {"kind": "dense", "matrix": (n, dim)} for small S, else {"kind": "sparse", "rows",
    "cols", "vals"} sorted by row, then column.
    """
    rows, cols, vals = np.asarray(rows, np.int64), np.asarray(cols, np.int64), np.asarray(vals)
    if n * dim <= dense_limit:
        M = np.zeros((n, dim), dtype=vals.dtype)
        np.add.at(M, (rows, cols), vals)
        return {"kind": "dense", "matrix": M}
    order = np.lexsort((cols, rows))
    return {"kind": "sparse", "rows": rows[order], "cols": cols[order], "vals": vals[order]}


class MasteredBuffers(nn.Module):
    """A module whose floating-point buffers are rebuilt from float64 masters on every cast.

    A basis built in float32 and cast up with ``.double()`` / ``.to(...)`` would otherwise keep
    its float32 rounding (equivariance error ~1e-9 instead of ~1e-16). Register such buffers
    with :meth:`_register_master` (non-persistent; complex values as real pairs).

    >>> import numpy as np, torch
    >>> m = MasteredBuffers()
    >>> m._register_master("B", np.array([1 / 3]), torch.float32, None)
    >>> m.double().B.item() == 1 / 3
    True
    """

    def __init__(self):
        super().__init__()
        self._masters: dict[str, np.ndarray] = {}

    def _register_master(self, name: str, values: np.ndarray, dtype, device) -> None:
        self._masters[name] = real_view(values, torch.float64).numpy()
        self.register_buffer(name, real_view(values, dtype, device), persistent=False)

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        for name, master in self._masters.items():
            t = self._buffers[name]
            if t.is_floating_point():
                self._buffers[name] = torch.as_tensor(master, dtype=t.dtype, device=t.device)
        return self


class CooOperator(MasteredBuffers):
    """θ (dim,) ↦ S θ (n,) for a fixed matrix S (n, dim) given by its non-zero entries, in one
    operation (see :func:`coo_plan`). Values live in non-persistent buffers of the module's
    dtype (complex ones as real pairs), rebuilt from float64 masters on every cast, so a float32
    operator cast to float64 is exact.

    ``force``: "dense" or "sparse" to override the size rule (tests, benchmarks)."""

    def __init__(self, rows, cols, vals, n: int, dim: int, *, dtype=None, device=None,
                 force: str | None = None):
        super().__init__()
        dtype = dtype or torch.get_default_dtype()
        vals = np.asarray(vals)
        self.n, self.dim = int(n), int(dim)
        self.is_complex = bool(np.iscomplexobj(vals))
        limit = {"dense": n * dim, "sparse": -1}.get(force, DENSE_ELEMENTS)
        plan = coo_plan(rows, cols, vals, n, dim, dense_limit=limit)
        self.kind = plan["kind"]
        if self.kind == "dense":
            self._register_master("matrix", plan["matrix"], dtype, device)
        else:
            for name in ("rows", "cols"):
                self.register_buffer(name, torch.as_tensor(plan[name], device=device),
                                     persistent=False)
            self._register_master("vals", plan["vals"], dtype, device)

    def _get(self, name: str, dtype: torch.dtype) -> torch.Tensor:
        t = self._buffers[name]
        if self.is_complex and t.is_floating_point():
            t = torch.view_as_complex(t)
        return t if t.dtype == dtype else t.to(dtype)

    def forward(self, theta: torch.Tensor) -> torch.Tensor:
        if self.dim == 0:
            return theta.new_zeros(self.n)
        if self.kind == "dense":
            return self._get("matrix", theta.dtype) @ theta
        return sparse_assemble(theta, self.rows, self.cols, self._get("vals", theta.dtype),
                               self.n)

    def extra_repr(self) -> str:
        return f"({self.n}, {self.dim}), {self.kind}"


def _compiling() -> bool:
    try:
        return bool(torch.compiler.is_compiling())
    except AttributeError:  # pragma: no cover - older torch
        return False


class AssemblyCache:
    """Remembers ``build()`` for a parameter while autograd is off, until the parameter changes.

    ``get(name, param, build)`` returns ``build()`` directly when gradients are being recorded
    (the result must carry a graph to θ) or under torch.compile; otherwise the cached value when
    ``param`` still has the storage, version, dtype and device it had when it was built. The
    entry holds a detached view of the parameter, which keeps the old storage alive, so a new
    tensor can never reuse its address and be mistaken for it.
    """

    def __init__(self):
        self._entries: dict[str, tuple] = {}

    def clear(self) -> None:
        self._entries.clear()

    def get(self, name: str, param: torch.Tensor, build):
        if torch.is_grad_enabled() or _compiling():
            return build()
        try:
            version = param._version
        except RuntimeError:  # inference tensors keep no version counter
            return build()
        hit = self._entries.get(name)
        if hit is not None:
            ref, ver, value = hit
            if ref.data_ptr() == param.data_ptr() and ver == version and \
                    ref.dtype == param.dtype and ref.device == param.device and \
                    ref.shape == param.shape:
                return value
        value = build()
        self._entries[name] = (param.detach(), version, value)
        return value

    def __getstate__(self):  # copies and pickles start empty
        return {"_entries": {}}

    def __deepcopy__(self, memo):
        return AssemblyCache()
