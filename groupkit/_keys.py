"""Stable digests: the same value gives the same key in every process and on every machine.

Python's ``hash()`` of strings is salted per process, so keys are sha256 digests of a canonical
encoding instead.
"""

from __future__ import annotations

import hashlib

import numpy as np

KEY_DECIMALS = 12


def array_digest(a: np.ndarray) -> str:
    """Digest of an array's shape, kind and values rounded to ``KEY_DECIMALS`` decimals."""
    a = np.asarray(a)
    h = hashlib.sha256()
    h.update(repr(a.shape).encode())
    if np.iscomplexobj(a):
        h.update(b"c")
        parts = (a.real, a.imag)
    else:
        h.update(b"r")
        parts = (a,)
    parts = [np.asarray(p, dtype=np.float64) for p in parts]
    # Rounding to absolute decimals alone would make every matrix smaller than 1e-12 (a Lie
    # algebra written in small units) hash like zero, so two different groups would share a key
    # (and a cached basis). A matrix (the last two axes) whose largest entry is below 2^-10 is
    # scaled up by a power of two first (exact), and the exponent is hashed with it; keys of
    # matrices whose largest entry is 2^-10 or more are unchanged.
    exps = _small_scale_exponents(parts)
    if exps is not None:
        h.update(b"s" + np.ascontiguousarray(exps).tobytes())
        parts = [np.ldexp(p, -exps.reshape(exps.shape + (1,) * min(p.ndim, 2))) for p in parts]
    for p in parts:
        # Adding 0.0 turns -0.0 into 0.0 so that equal values hash equally.
        r = np.round(p, KEY_DECIMALS) + 0.0
        h.update(np.ascontiguousarray(r).tobytes())
    return h.hexdigest()


def _small_scale_exponents(parts: list[np.ndarray]) -> np.ndarray | None:
    """Per matrix (the last two axes; the whole array below two dimensions), the binary
    exponent e of its largest entry (2^e ≤ max |entry| < 2^(e+1)) when that entry is below
    2^-10, else 0; None when no matrix is that small. Real and imaginary parts share a scale."""
    if parts[0].size == 0:
        return None
    axes = tuple(range(max(parts[0].ndim - 2, 0), parts[0].ndim))
    mag = np.max([np.abs(p).max(axis=axes) for p in parts], axis=0)
    small = (mag > 0) & (mag < 2.0 ** -10)
    if not np.any(small):
        return None
    exps = np.zeros(np.shape(mag), dtype=np.int64)
    # the exponent of mag·(1 + 2⁻²⁰), not of mag: a matrix written at a power of two (2⁻¹¹·R)
    # and the same one an ulp below must not land on two sides of an exponent boundary (their
    # keys would differ entirely); the boundary moves to values no one types
    exps[small] = np.frexp(mag[small] * (1 + 2.0 ** -20))[1] - 1
    return exps


def text_digest(*parts: str) -> str:
    """Digest of a sequence of strings (separated unambiguously)."""
    h = hashlib.sha256()
    for p in parts:
        b = p.encode()
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()
