"""Single group elements: their orders, the closure of a generating set, signed-permutation
matrices, and the snapping of rounded entries to the exact values they approximate.

>>> import numpy as np
>>> _finite_order(np.array([[0.0, -1.0], [1.0, 0.0]]))   # a quarter turn
4
>>> signed_permutation(np.array([[0, -1], [1, 0]]))
(array([1, 0]), array([ 1, -1], dtype=int8))
"""

from __future__ import annotations

import hashlib

import numpy as np

from ._keys import text_digest

# Structure within NEAR of exact (relative) but not within EXACT is almost certainly a typo or
# rounding of something exact: the group the user typed is then not the group they meant.
EXACT_TOL = 1e-12
NEAR_TOL = 1e-4


FINITE_LIMIT = 20_000   # is_finite enumerates at most this many elements
MAX_ORDER = 120         # generator orders found by taking powers
MAX_SPECTRAL_ORDER = 10_000  # … and beyond, from the eigenvalues' angles (C(150))


def _finite_order(g: np.ndarray, tol: float = EXACT_TOL, kmax: int = MAX_ORDER,
                  per_step: bool = True) -> int | None:
    """The order k ≤ kmax with g^k = I (within tol, relative; tol·k when ``per_step``, as
    rounding accumulates over the k products), or None.

    Computed in balanced units (:func:`unit_scales`; exact, and g^k = I is unchanged by it): a
    rotation of order 6 written in units spanning 10⁵ has g⁶ − I of 3·10⁻¹¹ by rounding, which
    a tolerance relative to max |g⁶| = 1 took for "no finite order"."""
    # balanced units first whenever they differ from the units as written: as written, a
    # multiple of the order can pass the test first (C(5) in units spanning 10⁵ gave 10)
    return _order_by_powers(_in_units(g, unit_scales(np.asarray(g)[None])), tol, kmax,
                            per_step)


def _order_by_powers(g: np.ndarray, tol: float, kmax: int, per_step: bool) -> int | None:
    eye = np.eye(len(g))
    p = g
    for k in range(1, kmax + 1):
        if np.abs(p - eye).max() <= tol * max(1.0, np.abs(p).max()) * (k if per_step else 1):
            return k
        p = p @ g
        if not np.all(np.isfinite(p)) or np.abs(p).max() > 1e6:
            return None
    return _order_from_spectrum(g, tol) if per_step and kmax == MAX_ORDER else None


def _order_from_spectrum(g: np.ndarray, tol: float,
                         max_order: int = MAX_SPECTRAL_ORDER) -> int | None:
    """The order of g beyond MAX_ORDER (a rotation by 2π/150): g has finite order k exactly
    when it is diagonalisable with eigenvalues e^{2πi p/q}, and then k = lcm(q). The angles
    are rationalised (denominators ≤ ``max_order``; a generic angle comes within 1e-12 of such
    a p/q with probability ~1e-4) and the candidate confirmed by computing g^k (repeated
    squaring), which a generic rotation misses by 2πk·|angle − p/q|."""
    import math
    from fractions import Fraction

    lam = np.linalg.eigvals(g)
    if np.abs(np.abs(lam) - 1).max() > 1e-9:
        return None
    k = 1
    for t in np.angle(lam) / (2 * np.pi):
        f = Fraction(float(t)).limit_denominator(max_order)
        if abs(float(f) - t) > 1e-12:  # no p/q close enough: infinite order
            return None
        k = k * f.denominator // math.gcd(k, f.denominator)
        if k > max_order:
            return None
    pk = np.linalg.matrix_power(g, k)
    if np.abs(pk - np.eye(len(g))).max() <= tol * max(1.0, np.abs(pk).max()) * k:
        return k
    return None


def _in_units(m: np.ndarray, scales: np.ndarray | None) -> np.ndarray:
    """D⁻¹ m D, D = diag(``scales``) (exact: powers of two; see :func:`unit_scales`)."""
    return m if scales is None else m / scales[:, None] * scales[None, :]


def element_key(m: np.ndarray, scales: np.ndarray | None = None) -> bytes:
    """A hashable key of a group element: its entries rounded to 9 places (−0 folded into 0),
    after the exact change of units D⁻¹ m D, D = diag(``scales``) (see :func:`unit_scales`)."""
    r = np.round(_in_units(m, scales), 9) + 0.0
    if np.iscomplexobj(r):
        r = np.concatenate([r.real.ravel(), r.imag.ravel()]) + 0.0
    return np.ascontiguousarray(r).tobytes()


_TIE = 1e-3      # an entry this close (in units of the 9th place) to a rounding boundary is a tie
_MAX_TIES = 4    # … and at most 2^4 alternative keys are tried for one element


def element_keys(m: np.ndarray, scales: np.ndarray | None = None) -> list[bytes]:
    """:func:`element_key` of m first, then the keys of the other roundings of its entries
    that lie within rounding noise of a rounding boundary (x.xxxxxxxxx5): two products that are
    the same element can round such an entry differently, and one element then counted twice
    (S(8) in skew rational coordinates had 40,325 elements)."""
    m = _in_units(m, scales)
    key = element_key(m)
    parts = (m.real, m.imag) if np.iscomplexobj(m) else (m,)
    flat = np.concatenate([np.asarray(p, dtype=float).ravel() for p in parts]) * 1e9
    ties = np.flatnonzero(np.abs(flat - np.floor(flat) - 0.5) < _TIE)
    if not ties.size:
        return [key]
    r = np.round(flat)
    out = [key]
    for mask in range(1, 2 ** min(ties.size, _MAX_TIES)):
        alt = r.copy()
        for bit, i in enumerate(ties[:_MAX_TIES]):
            if mask >> bit & 1:  # the other side of the boundary
                alt[i] = np.floor(flat[i]) if alt[i] > flat[i] else np.ceil(flat[i])
        # the bytes element_key gives: entries in C order, real parts then imaginary parts
        out.append(np.ascontiguousarray(alt / 1e9 + 0.0).tobytes())
    return out


def unit_scales(gens: np.ndarray) -> np.ndarray | None:
    """Powers of two s with D⁻¹ g D (D = diag(s)) balanced for every generator g (LAPACK's
    gebal on Σ|g|/max|g|, off the diagonal), or None when the generators are balanced already.

    Elements are keyed by entries rounded to 9 places; a finite group written in other units
    (D(6) in millimetres and kilometres) has entries of size 10⁵ whose rounding errors reach
    the 9th place, so equal elements got different keys, the closure never ended, and the group
    reported ``is_finite`` False. Keys are taken in these balanced units instead.
    """
    import scipy.linalg

    if len(gens) == 0 or gens.shape[1] < 2:
        return None
    acc = np.zeros(gens.shape[1:])
    for g in gens:
        m = np.abs(g).astype(float)
        np.fill_diagonal(m, 0.0)
        top = m.max()
        if top > 0:
            # rounding noise (S h S⁻¹ has 1e-17 where h has 0) is not a unit: balancing it
            # would scale a coordinate by 10⁸ and blow the noise up
            acc += np.where(m > 1e-13 * top, m / top, 0.0)
    if not np.any(acc):
        return None
    _, (s, _) = scipy.linalg.matrix_balance(acc, permute=False, separate=True)
    return None if np.all(s == 1.0) else np.asarray(s, dtype=float)


def closure(gens: np.ndarray, d: int, limit: int, scales: np.ndarray | None = None
            ) -> tuple[list, dict] | None:
    """The group generated by ``gens`` (k, d, d), by breadth-first products: (elements, the
    identity first; {element_key(·, scales): index}), or None once it has more than ``limit``
    elements."""
    dtype = np.result_type(gens.dtype, np.float64)
    eye = np.eye(d, dtype=dtype)
    elems, index = [eye], {element_key(eye, scales): 0}
    frontier = [eye]
    while frontier:
        new = []
        for x in frontier:
            for h in gens:
                y = h @ x
                keys = element_keys(y, scales)
                if not any(k in index for k in keys):
                    # every rounding of a tie is registered, so a later copy rounding the
                    # other way is recognised
                    for k in keys:
                        index[k] = len(elems)
                    elems.append(y)
                    new.append(y)
                    if len(elems) > limit:
                        return None
        frontier = new
    return elems, index


def _closes(gens: np.ndarray, limit: int) -> bool:
    """True when the group generated by ``gens`` has at most ``limit`` elements."""
    if len(gens) == 0:
        return True
    # in balanced units when they differ from the units as written (see finite._scales)
    return closure(gens, gens.shape[1], limit, unit_scales(gens)) is not None


def _snap_element(g: np.ndarray, tol: float) -> np.ndarray:
    scale = max(1.0, np.abs(g).max())
    sp = signed_permutation(g, atol=tol * scale)
    if sp is not None:
        out = np.zeros(g.shape)
        out[sp[0], np.arange(len(g))] = sp[1]
        return out
    g = _snap_fractions(g, tol)
    if np.abs(g.conj().T @ g - np.eye(len(g))).max() <= tol:
        u, _, vh = np.linalg.svd(g)
        g = _snap_fractions(u @ vh, 1e-14) if np.iscomplexobj(g) else u @ vh
    return g


def _snap_algebra(A: np.ndarray, tol: float) -> np.ndarray:
    A = _snap_fractions(A, tol)
    scale = max(np.abs(A).max(), 1e-300)
    if np.abs(A + A.conj().T).max() <= tol * scale:
        A = (A - A.conj().T) / 2
    return A


def _snap_fractions(m: np.ndarray, tol: float) -> np.ndarray:
    """Entries within tol of p/q or p·√k/q (q ≤ 12, k = 2, 3, 5, 6) become that number (as
    a float): the rotations by multiples of 30° and 45° and the golden ratio's relatives."""
    if np.iscomplexobj(m):
        return _snap_fractions(m.real, tol) + 1j * _snap_fractions(m.imag, tol)
    out = m.astype(float).copy()
    done = np.zeros(m.shape, bool)
    for root in (1.0, 2 ** 0.5, 3 ** 0.5, 5 ** 0.5, 6 ** 0.5):
        for q in range(1, 13):
            near = np.round(m * q / root) * root / q
            hit = ~done & (np.abs(m - near) <= tol)
            out[hit] = near[hit]
            done |= hit
    return out


def signed_permutation(m: np.ndarray, atol: float = 0.0
                       ) -> tuple[np.ndarray, np.ndarray] | None:
    """(π, s) with m e_j = s_j e_{π(j)}, or None when m is not a ±1 monomial matrix.

    ``atol`` tolerates rounding (entries within atol of 0 or ±1); the default is exact.
    """
    m = np.asarray(m)
    if np.iscomplexobj(m):
        if np.any(np.abs(m.imag) > atol):
            return None
        m = m.real
    nz = np.abs(m) > atol
    if not (np.all(nz.sum(0) == 1) and np.all(nz.sum(1) == 1)):
        return None
    pi = np.argmax(nz, axis=0)
    s = m[pi, np.arange(m.shape[1])]
    if not np.all(np.abs(np.abs(s) - 1) <= atol):
        return None
    return pi, np.sign(s).astype(np.int8)


def permutation_key(d: int, perms) -> str:
    """The key of a group generated by permutations of {0, …, d−1} (each an int array p with
    p[j] the image of j), computed without forming the d × d matrices."""
    a = np.asarray(perms, dtype=np.int64).reshape(-1, d) if len(perms) else np.zeros((0, d))
    return text_digest("PermutationGroup", str(d),
                       hashlib.sha256(np.ascontiguousarray(a, dtype="<i8").tobytes()).hexdigest())


def _is_signed_permutation(m: np.ndarray, signs: bool = True) -> bool:
    sp = signed_permutation(m)
    return sp is not None and (signs or bool(np.all(sp[1] == 1)))


def preserves_standard_form(group_mats, algebra_mats, tol: float = 1e-10) -> bool:
    """Whether matrices g are orthogonal/unitary (gᴴg = I to ``tol``) and algebra elements A
    antisymmetric/antihermitian (Aᴴ = −A to ``tol`` relative to max |A|).

    The test is scale-free and has no relative slack on gᴴg: ``np.allclose``'s default
    rtol = 1e-5 accepted a generator that is orthogonal only to 1e-5, and its absolute atol
    accepted *every* algebra element smaller than 1e-10 (sl(2) in small units), after which
    V* = V was assumed and the solver returned maps that are not equivariant.

    >>> preserves_standard_form([], [1e-12 * np.array([[1.0, 0.0], [0.0, -1.0]])])
    False
    >>> preserves_standard_form([np.diag([1.0 + 1e-6, 1.0])], [])
    False
    >>> preserves_standard_form([np.eye(2)[::-1]], [np.array([[0.0, 1e-12], [-1e-12, 0.0]])])
    True
    """
    for g in group_mats:
        g = np.asarray(g)
        if np.abs(g.conj().T @ g - np.eye(g.shape[0])).max() > tol:
            return False
    for A in algebra_mats:
        A = np.asarray(A)
        if np.abs(A.conj().T + A).max() > tol * np.abs(A).max():
            return False
    return True
