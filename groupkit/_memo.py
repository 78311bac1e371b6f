"""Bounded in-memory caches of pure functions, all cleared by :func:`groupkit.clear_caches`.

A dependency-free module so that any module (even those :mod:`groupkit.cache` imports) can use it.
"""

from __future__ import annotations

import functools

_registry: list = []


def memoized(maxsize: int):
    """``functools.lru_cache(maxsize)`` that :func:`groupkit.clear_caches` also clears.

    For pure functions of immutable values (groups, reps, integers) whose results are worth
    keeping: the bound keeps memory in check, the registry keeps every cache reachable.

    >>> @memoized(4)
    ... def square(n):
    ...     return n * n
    >>> square(3), square.cache_info().currsize
    (9, 1)
    >>> clear_all(); square.cache_info().currsize
    0
    """
    def wrap(fn):
        cached = functools.lru_cache(maxsize=maxsize)(fn)
        _registry.append(cached)
        return cached
    return wrap


def clear_all() -> None:
    """Empty every cache made by :func:`memoized`."""
    for fn in _registry:
        fn.cache_clear()
