"""The base of the library's groups: a name that is part of how they print, and checks of
their size arguments.

>>> from groupkit import SO
>>> isinstance(SO(3), _Named), str(SO(3))
(True, 'SO(3)')
"""

from __future__ import annotations

import numpy as np

from .groups import Group, GroupError

__all__: list[str] = []


def _stats():
    # scipy.stats takes half a second to import; only sampling needs it.
    import scipy.stats

    return scipy.stats


def _check_n(n, least: int = 1, what: str = "n") -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < least:
        raise GroupError(f"{what} must be an integer ≥ {least}; got {n!r}.")
    return int(n)



class _Named(Group):
    """A library group: its name is part of how it prints, and it may know its Haar measure."""

    def __init__(self, name, discrete_generators=(), lie_algebra=(), *, d=None):
        super().__init__(discrete_generators, lie_algebra, d=d, name=name)
