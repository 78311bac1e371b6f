"""``groupkit demo``: solve and print a few equivariant bases (used by ``make demo``)."""

from __future__ import annotations

import time


def demo() -> None:
    """Solve and print a few bases: exact SO(3) maps V⊗V → V, S(4) maps V⊗V → V⊗V, and more."""
    import sympy

    from . import S, SO, Lorentz, RubiksCube, Scalar, V, equivariant_basis, solve
    from .testing import basis_error

    G = SO(3)
    print("groupkit demo: equivariant linear maps for a few groups\n")
    t = time.perf_counter()
    Q = equivariant_basis(V(G) ** 2, V(G), exact=True)
    print(f"SO(3): V⊗V → V   dim {Q.shape[1]}  (exact, {time.perf_counter() - t:.3f}s)")
    W = Q[:, 0].reshape(3, 9)
    print("  the map W (3 × 9), W[i, 3j+k] = ε_ijk up to sign — the cross product:")
    sympy.pprint(W, use_unicode=True)

    t = time.perf_counter()
    Q = equivariant_basis(V(G) ** 4, Scalar, exact=True)
    print(f"\nSO(3): V⊗⁴ → 1   dim {Q.shape[1]}  (exact, {time.perf_counter() - t:.3f}s): "
          "δ_ij δ_kl, δ_ik δ_jl, δ_il δ_jk")

    H = S(4)
    t = time.perf_counter()
    Q = equivariant_basis(V(H) ** 2, V(H) ** 2)
    print(f"\nS(4): V⊗V → V⊗V   dim {Q.shape[1]} (Bell number B(4) = 15; "
          f"{time.perf_counter() - t:.3f}s, residual {basis_error(Q, V(H) ** 2, V(H) ** 2):.1e})")

    rows = [
        ("SO(3)", 32 * V(G) + 32 * V(G) ** 2 + 32 * Scalar, None),
        ("O(1,3)", V(Lorentz()) ** 2, V(Lorentz()) ** 2),
        ("S(12)", V(S(12)) ** 2, V(S(12)) ** 2),
        ("Rubik's cube", V(RubiksCube()), V(RubiksCube())),
    ]
    print("\nlarger problems (compact bases):")
    for name, rin, rout in rows:
        rout = rin if rout is None else rout
        t = time.perf_counter()
        b = solve(rin, rout)
        print(f"  {name:>13}: {str(rin):>18} → {str(rout):<18} dim {b.dim:>5}  "
              f"unknowns {b.shape[0]:>7}  {time.perf_counter() - t:.3f}s  ({', '.join(b.methods)})")
