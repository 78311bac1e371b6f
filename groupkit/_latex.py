"""LaTeX forms of decompositions, exact bases and character tables (for notebooks and the CLI)."""

from __future__ import annotations

import re

__all__ = ["rep_latex", "decomposition_latex", "matrix_latex", "basis_latex"]


def rep_latex(rep) -> str:
    """A representation's expression in LaTeX, without the surrounding dollars."""
    return rep._repr_latex_().strip("$")


def _irrep_latex(label: str) -> str:
    m = re.fullmatch(r"(\[?)(\d+)('*)(\]?)", label)
    if not m:
        return label
    primes = "'" * len(m[3])
    core = rf"\mathbf{{{m[2]}}}{primes}"
    return rf"[{core}]" if m[1] else core


def decomposition_latex(dec) -> str:
    """``$V \\otimes V \\cong \\mathbf{1} \\oplus \\mathbf{3} \\oplus \\mathbf{5}$``, with the
    exact change of basis below it when there is one."""
    parts = []
    for r, m in dec:
        s = _irrep_latex(r.label)
        parts.append(f"{m}\\,{s}" if m > 1 else s)
    oplus = r" \oplus "
    head = rf"{rep_latex(dec.rep)} \cong {oplus.join(parts)}"
    if dec.exact_Q is not None:
        head += r",\quad Q = " + matrix_latex(dec.exact_Q)
    return f"${head}$"


def matrix_latex(M) -> str:
    """A sympy (or numpy) matrix as a LaTeX bmatrix."""
    import sympy

    return sympy.latex(sympy.Matrix(M), mat_delim="", mat_str="bmatrix")


def basis_latex(E, n_out: int, n_in: int, limit: int = 12) -> str:
    """The columns of an exact basis (n_out·n_in, r), each as its (n_out, n_in) map W_k."""
    import sympy

    E = sympy.Matrix(E)
    items = []
    for k in range(min(E.shape[1], limit)):
        W = E[:, k].reshape(n_out, n_in)
        items.append(rf"W_{{{k + 1}}} = " + matrix_latex(W))
    more = rf",\ \ldots\ (\text{{{E.shape[1]} maps}})" if E.shape[1] > limit else ""
    return "$" + r",\quad ".join(items) + more + "$"
