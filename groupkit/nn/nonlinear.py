"""Equivariant nonlinearities: gated, norm-based and pointwise (for permutation representations).

* :class:`GatedNonlinearity`: each non-scalar summand v is multiplied by σ(s) for its own scalar
  gate s, carried as extra scalar channels appended to the representation (``gated(rep)``);
  scalar summands go through a pointwise activation. Gates are invariant, so this works for every
  group, non-compact (Lorentz) and complex ones included.
* :class:`NormNonlinearity`: v ↦ v · σ(‖v‖_M + b), with ‖v‖_M² = vᴴ M v for an invariant positive
  definite form M found by the solver (for orthogonal groups, the Euclidean norm).
* :class:`PointwiseNonlinearity`: an elementwise activation, equivariant exactly when every group
  generator permutes the coordinates of the representation.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._elements import preserves_standard_form
from ..groups import signed_permutation
from ..reps import Rep, RepError, Scalar, direct_sum
from ..solver import solve
from .linear import check_input

__all__ = ["gated", "num_gates", "GatedNonlinearity", "NormNonlinearity",
           "PointwiseNonlinearity"]

# GatedNonlinearity's three-operation form up to this many input numbers, the runs beyond
EXPAND_MAX = 1 << 17


def _nonscalar_blocks(rep: Rep) -> tuple[list[int], list[tuple[int, int]]]:
    """Coordinates of the scalar summands and (start, size) of each non-scalar summand."""
    scalars, blocks = [], []
    i = 0
    for s in rep.summands():
        if s == Scalar:
            scalars.append(i)
        else:
            blocks.append((i, s.size))
        i += s.size
    return scalars, blocks


def num_gates(rep: Rep) -> int:
    """How many gate scalars ``gated(rep)`` appends: one per non-scalar summand.

    >>> from groupkit import SO, V, Scalar
    >>> num_gates(V(SO(3))**2 + 3*V(SO(3)) + Scalar)
    4
    """
    return len(_nonscalar_blocks(rep)[1])


def gated(rep: Rep) -> Rep:
    """rep ⊕ k·Scalar, with one gate scalar per non-scalar summand of rep (the input
    representation of a GatedNonlinearity whose output is rep).

    >>> from groupkit import SO, V, Scalar
    >>> gated(V(SO(3))**2 + 3*V(SO(3)) + Scalar)
    V⊗V+3V+5
    """
    k = num_gates(rep)
    return rep if k == 0 else direct_sum(rep, k * Scalar)


class GatedNonlinearity(nn.Module):
    """gated(rep) → rep: non-scalar summands times sigmoid of their gate; scalars through
    ``activation`` (SiLU by default). Input (..., gated(rep).size) → (..., rep.size).
    ``device``: where its index buffers live (they move with ``.to``).

    >>> import torch
    >>> from groupkit import SO, V, Scalar
    >>> rep = 2*V(SO(3)) + Scalar
    >>> act = GatedNonlinearity(rep)
    >>> act.rep_in, act.rep_out
    (2V+3, 2V+1)
    >>> act(torch.randn(4, 9)).shape
    torch.Size([4, 7])
    """

    def __init__(self, rep: Rep, activation: nn.Module | None = None, *, device=None):
        super().__init__()
        self.rep_out = rep
        self.rep_in = gated(rep)
        self._size_in, self._size_out = self.rep_in.size, rep.size
        scalars, blocks = _nonscalar_blocks(rep)
        self.activation = activation if activation is not None else nn.SiLU()
        # For each coordinate of rep: its gate's coordinate in the input, or -1 for scalars.
        gate_of = np.full(rep.size, -1, dtype=np.int64)
        for j, (start, size) in enumerate(blocks):
            gate_of[start:start + size] = rep.size + j
        self.register_buffer("gate_index", torch.as_tensor(np.where(gate_of < 0, 0, gate_of),
                                                           device=device),
                             persistent=False)
        self.register_buffer("is_scalar", torch.as_tensor(gate_of < 0, device=device),
                             persistent=False)
        # The default path (SiLU, real inputs) has two forms, both exact:
        # * small inputs (≤ EXPAND_MAX numbers): three operations. SiLU(s) = s · σ(s), so every
        #   output coordinate is its value times σ of one input coordinate (itself for a scalar,
        #   its gate otherwise): out = x[:n] · σ(x[expand_index]). Per-operation overhead
        #   dominates there: 2× faster than the runs below on a kernel MLP's 2,000 × 48 layer.
        # * large inputs: runs of summands with slices and broadcasting, σ only on the gates —
        #   ("s", start, length) a run of scalars, through SiLU; ("g", start, copies, size,
        #   gate) a run of equal-size summands times σ(their gates). Where arithmetic dominates
        #   (an EMLP's 500 × 414 layer) this computes 2–3× fewer sigmoids.
        self._fast = activation is None
        self.register_buffer("expand_index", torch.as_tensor(
            np.where(gate_of < 0, np.arange(rep.size), gate_of), device=device),
            persistent=False)
        self._runs: list[tuple] = []
        pos, gate = 0, rep.size
        for part in rep.summands():
            last = self._runs[-1] if self._runs else None
            if part == Scalar:
                if last and last[0] == "s":
                    self._runs[-1] = ("s", last[1], last[2] + 1)
                else:
                    self._runs.append(("s", pos, 1))
            else:
                if last and last[0] == "g" and last[3] == part.size:
                    self._runs[-1] = ("g", last[1], last[2] + 1, last[3], last[4])
                else:
                    self._runs.append(("g", pos, 1, part.size, gate))
                gate += 1
            pos += part.size

    def _by_runs(self, x: torch.Tensor) -> torch.Tensor:
        # One split (its backward is one cat) instead of one slice per run, whose backward
        # would zero-fill a full-size gradient for every run.
        sizes = [r[2] if r[0] == "s" else r[2] * r[3] for r in self._runs]
        sizes += [r[2] for r in self._runs if r[0] == "g"]
        parts = x.split(sizes, dim=-1)
        gates = iter(parts[len(self._runs):])
        pieces = []
        # .contiguous(): on a strided column block SiLU and sigmoid (and their backward)
        # fall off the vectorised loop, ~10× slower than the copy they need
        for run, v in zip(self._runs, parts):
            if run[0] == "s":
                pieces.append(nn.functional.silu(v.contiguous()))
            else:
                g = torch.sigmoid(next(gates).contiguous()).unsqueeze(-1)
                pieces.append((v.unflatten(-1, (run[2], run[3])) * g).flatten(-2))
        return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim < 1 or x.shape[-1] != self._size_in:
            raise ValueError(f"GatedNonlinearity: the last dimension must be {self._size_in} "
                             f"({self.rep_in}); got shape {tuple(x.shape)}.")
        if self._fast and not x.is_complex():
            if x.numel() > EXPAND_MAX:
                return self._by_runs(x)
            return x[..., :self._size_out] * torch.sigmoid(x.index_select(-1, self.expand_index))
        values = x[..., :self._size_out]
        gates = x[..., self.gate_index]
        if gates.is_complex():  # gates of complex layers: use their real part
            gates = gates.real
        act_scalar = self.activation(values.real if values.is_complex() else values)
        gated_vals = values * torch.sigmoid(gates)
        return torch.where(self.is_scalar, act_scalar.to(values.dtype), gated_vals)


class NormNonlinearity(nn.Module):
    """rep → rep: v ↦ v · σ(‖v‖_M + b) per non-scalar summand (b learnable), scalars through
    ``activation``. Needs an invariant positive-definite form on each summand. ``dtype`` and
    ``device`` are those of the bias b (the buffers follow ``device``).

    >>> import torch
    >>> from groupkit import SO, V, Scalar
    >>> act = NormNonlinearity(V(SO(3)) + Scalar)
    >>> act(torch.randn(4, 4)).shape
    torch.Size([4, 4])
    """

    def __init__(self, rep: Rep, activation: nn.Module | None = None, *,
                 dtype: torch.dtype | None = None, device=None):
        super().__init__()
        self.rep_in = self.rep_out = rep
        self._size_in = rep.size
        self.activation = activation if activation is not None else nn.SiLU()
        scalars, blocks = _nonscalar_blocks(rep)
        self.blocks = blocks
        self.register_buffer("scalar_index", torch.as_tensor(scalars, dtype=torch.long,
                                                             device=device), persistent=False)
        summands = [s for s in rep.summands() if s != Scalar]
        for j, s in enumerate(summands):
            F = _invariant_form(s)
            # a complex form is kept as two real buffers: Module.to(torch.float64) casts complex
            # buffers to real, which would drop its imaginary part
            self.register_buffer(f"form{j}", torch.as_tensor(F.real, device=device),
                                 persistent=False)
            if np.iscomplexobj(F):
                self.register_buffer(f"form{j}_imag", torch.as_tensor(F.imag, device=device),
                                     persistent=False)
        self.bias = nn.Parameter(torch.zeros(len(blocks), dtype=dtype, device=device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.rep_in, self, ref=self.bias, size=self._size_in)
        out = x.clone()
        if len(self.scalar_index):
            out[..., self.scalar_index] = self.activation(x[..., self.scalar_index])
        for j, (start, size) in enumerate(self.blocks):
            v = x[..., start:start + size]
            M = getattr(self, f"form{j}")
            M_imag = getattr(self, f"form{j}_imag", None)
            M = (M if M_imag is None else torch.complex(M, M_imag.to(M.dtype))).to(v.dtype)
            sq = torch.einsum("...i,ij,...j->...", v.conj(), M, v).real.clamp_min(0)
            # sqrt(sq + eps) keeps the gradient finite at v = 0.
            scale = torch.sigmoid(torch.sqrt(sq + 1e-12) + self.bias[j])
            out[..., start:start + size] = v * scale[..., None]
        return out


def _invariant_form(rep: Rep) -> np.ndarray:
    """A positive-definite M with ρ(g)ᴴ M ρ(g) = M, from the invariant bilinear forms."""
    if rep.group is not None and rep.group.is_orthogonal:
        # Orthogonal or unitary generators usually give a unitary ρ, and then M = I.
        R = [rep.rho(h) for h in rep.group.discrete_generators]
        R += [rep.drho(A) for A in rep.group.lie_algebra]
        n_disc = rep.group.discrete_generators.shape[0]
        if preserves_standard_form(R[:n_disc], R[n_disc:]):  # scale-free: see its docstring
            return np.eye(rep.size)
    n = rep.size
    if rep.is_complex and n * n <= _HERMITIAN_LIMIT:
        # the form must be sesquilinear: Hom(V, V*) holds the *bilinear* ones (ρᵀ F ρ = F),
        # whose Hermitian parts are not invariant, so complex groups in non-unitary
        # coordinates (Sym²(V) of SU(2), whose basis is not orthonormal) were refused
        forms = _hermitian_forms(rep)
    else:
        basis = solve(rep, rep.T)  # maps V → V*: the invariant bilinear forms
        Q = basis.dense()
        forms = [Q[:, k].reshape(n, n) for k in range(Q.shape[1])]
    forms = [(F + F.conj().T) / 2 for F in forms]
    forms = [F for F in forms if np.linalg.norm(F) > 1e-8]
    F = _positive_combination(forms)
    if F is not None:
        return F.real if not np.iscomplexobj(F) or not np.any(F.imag) else F
    if rep.is_complex and n * n > _HERMITIAN_LIMIT:
        raise RepError(
            f"{rep} ({n} dimensions) is too large for the dense solve of its invariant "
            f"Hermitian forms ({n * n} unknowns, limit {_HERMITIAN_LIMIT}), and no invariant "
            "bilinear form is positive definite, so no norm could be found (the group may "
            "still be compact); use GatedNonlinearity instead, or smaller summands.")
    raise RepError(
        f"{rep} has no invariant positive-definite form (its group is not compact), so a norm "
        "nonlinearity is not equivariant; use GatedNonlinearity instead.")


_HERMITIAN_LIMIT = 4096   # unknowns (size²) of the dense solve for invariant Hermitian forms


def _hermitian_forms(rep: Rep) -> list[np.ndarray]:
    """A spanning set of the Hermitian forms M with ρ(g)ᴴ M ρ(g) = M: the null space of the
    stacked constraints ρ(h)ᴴ M ρ(h) − M (discrete generators) and dρ(A)ᴴ M + M dρ(A) (Lie
    algebra) on vec(M), each normalised; M and Mᴴ solve together, so the Hermitian parts
    (M + Mᴴ)/2 and (M − Mᴴ)/2i of the null vectors span the Hermitian solutions."""
    n, G = rep.size, rep.group
    eye = np.eye(n)
    blocks = []
    for h in G.discrete_generators:
        R = np.asarray(rep.rho(h), dtype=complex)
        blocks.append(np.kron(R.conj().T, R.T) - np.eye(n * n))
    for A in G.lie_algebra:
        X = np.asarray(rep.drho(A), dtype=complex)
        blocks.append(np.kron(X.conj().T, eye) + np.kron(eye, X.T))
    blocks = [K / np.abs(K).max() for K in blocks if np.abs(K).max() > 0]
    if not blocks:
        return [eye]
    # thin: the stack has k·n² rows and n² columns, and the full U would be (k·n²)²
    _, sv, vh = np.linalg.svd(np.vstack(blocks), full_matrices=False)
    null = vh[int(np.sum(sv > 1e-9 * sv[0])):].conj()
    forms = []
    for v in null:
        M = v.reshape(n, n)
        forms += [(M + M.conj().T) / 2, (M - M.conj().T) / 2j]
    return forms


def _positive_combination(forms: list[np.ndarray], iters: int = 300) -> np.ndarray | None:
    """A positive-definite combination Σ c_k F_k of Hermitian forms, or None if none is found.

    Each form alone is not enough: a reducible summand (V ⊗ V* of SO(3)) has several invariant
    forms, and in coordinates that are not orthonormal no single basis form need be definite.
    The test is made after the congruence D F D, D = diag(Σ_k |F_k,ii|)^(-1/2), which is
    exact for definiteness and undoes diagonal units in the common cases (an O(3) form
    diag(10⁶, 1, 10⁻⁶) is definite, but not to a relative eigenvalue threshold); a combination
    that stays badly conditioned after it (V⊗V⊗V of SO(3) in units spanning 10⁴) is still
    missed and the representation refused. The search maximises λ_min(Σ c_k F_k) over ‖c‖ ≤ 1
    (a concave function) by projected subgradient ascent, starting from the projection of I.
    """
    if not forms:
        return None
    diag = sum(np.abs(np.diag(F)) for F in forms)
    if np.any(diag <= 0):   # a coordinate no form weighs cannot be definite
        return None
    D = 1.0 / np.sqrt(diag)
    scaled = [F * D[:, None] * D[None, :] for F in forms]
    for F, S in zip(forms, scaled):     # one form alone (the common case: irreducible)
        w = np.linalg.eigvalsh(S)
        if w.min() > 1e-8 * abs(w).max():
            return F
        if w.max() < -1e-8 * abs(w).max():
            return -F
    n = scaled[0].shape[0]
    flat = np.stack([S.ravel() for S in scaled], axis=1)
    U, sv, _ = np.linalg.svd(flat, full_matrices=False)   # an orthonormal basis of the span
    Q = U[:, sv > 1e-10 * sv[0]]
    basis = [Q[:, k].reshape(n, n) for k in range(Q.shape[1])]
    basis = [(B + B.conj().T) / 2 for B in basis]
    c = np.real(Q.conj().T @ np.eye(n).ravel())
    c = c / (np.linalg.norm(c) or 1.0)
    for it in range(iters):
        X = sum(ck * B for ck, B in zip(c, basis))
        w, U = np.linalg.eigh(X)
        if w[0] > 1e-8 * abs(w).max():
            return X / D[:, None] / D[None, :]
        u = U[:, 0]
        g = np.array([np.real(u.conj() @ B @ u) for B in basis])
        c = c + g / np.sqrt(it + 1.0)
        c = c / max(1.0, np.linalg.norm(c))
    return None


class PointwiseNonlinearity(nn.Module):
    """An elementwise activation; valid only when every generator permutes the coordinates
    of rep (permutation representations such as V⊗V of S(n)).

    >>> import torch
    >>> from groupkit import S, V
    >>> act = PointwiseNonlinearity(V(S(4))**2)   # permutations commute with x ↦ σ(x)
    >>> act(torch.randn(2, 16)).shape
    torch.Size([2, 16])
    """

    def __init__(self, rep: Rep, activation: nn.Module | None = None):
        super().__init__()
        self.rep_in = self.rep_out = rep
        self._size_in = rep.size
        self.activation = activation if activation is not None else nn.SiLU()
        G = rep.group
        if G is not None and (G.lie_algebra.shape[0] or not all(
                (sp := signed_permutation(rep.rho(h))) is not None and np.all(sp[1] == 1)
                for h in G.discrete_generators)):
            raise RepError(
                f"a pointwise nonlinearity is equivariant only for permutation representations; "
                f"{rep} of {G} is not one. Use GatedNonlinearity or NormNonlinearity.")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim < 1 or x.shape[-1] != self._size_in:
            raise ValueError(f"PointwiseNonlinearity: the last dimension must be "
                             f"{self._size_in}; got shape {tuple(x.shape)}.")
        return self.activation(x)
