"""Named warnings for models, layers and inputs that cannot do what was plainly meant.

groupkit warns (rather than failing later in silence) when a construction is legal but almost
certainly not what the user wanted. Each class names one kind of problem, so that it can be
filtered precisely (``warnings.filterwarnings("ignore", category=DegenerateModelWarning)``) or
turned into an error (``"error"``), as groupkit's own test suite does.

* :class:`DegenerateModelWarning` — a model or layer that cannot learn what it was built for:
  its output cannot depend on its input, a layer has no parameters, a kernel block is
  identically zero at the chosen degree, radial features vanish inside the neighbourhood.
* :class:`MixedGroupWarning` — representations of two different groups acting on spaces of the
  same dimension were combined into an implicit product group (``V(SO(3)) + V(O(3))``).
* :class:`MetricWarning` — a neighbour graph built with the Euclidean metric on a space whose
  invariant form is not the identity.

>>> issubclass(DegenerateModelWarning, GroupkitWarning), issubclass(GroupkitWarning, UserWarning)
(True, True)
"""

from __future__ import annotations

__all__ = ["GroupkitWarning", "DegenerateModelWarning", "MixedGroupWarning", "MetricWarning"]


class GroupkitWarning(UserWarning):
    """Base class of groupkit's warnings: filter them all at once.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", GroupkitWarning)   # silences every subclass
    ...     warnings.warn("a constant model", DegenerateModelWarning)
    """


class DegenerateModelWarning(GroupkitWarning):
    """A model, layer or kernel that is legal but cannot learn what it was built for.

    >>> import warnings
    >>> from groupkit import SO, V, Scalar
    >>> from groupkit.nn import EquivariantLinear
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     _ = EquivariantLinear(V(SO(3)), Scalar, bias=False)   # no invariant linear map
    >>> [w.category.__name__ for w in seen]
    ['DegenerateModelWarning']
    """


class MixedGroupWarning(GroupkitWarning):
    """Representations of different groups of the same dimension combined implicitly.

    >>> import warnings
    >>> from groupkit import O, SO, V
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     _ = V(SO(3)) + V(O(3))          # a rep of SO(3) × O(3): rarely what was meant
    >>> [w.category.__name__ for w in seen]
    ['MixedGroupWarning']
    """


class MetricWarning(GroupkitWarning):
    """A Euclidean neighbour graph on a space whose invariant form is not the identity.

    >>> issubclass(MetricWarning, GroupkitWarning)
    True
    """
