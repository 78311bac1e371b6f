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
    for p in parts:
        # Adding 0.0 turns -0.0 into 0.0 so that equal values hash equally.
        r = np.round(np.asarray(p, dtype=np.float64), KEY_DECIMALS) + 0.0
        h.update(np.ascontiguousarray(r).tobytes())
    return h.hexdigest()


def text_digest(*parts: str) -> str:
    """Digest of a sequence of strings (separated unambiguously)."""
    h = hashlib.sha256()
    for p in parts:
        b = p.encode()
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()
