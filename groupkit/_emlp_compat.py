"""Compatibility shims for running emlp 1.0.3 against a modern software stack.

emlp 1.0.3 is unmaintained.  The only runtime incompatibility we hit with the
``emlp`` extra pinned in ``pyproject.toml`` is in its Krylov constraint solver
(``emlp.reps.representation.krylov_constraint_solve_upto_r``, used for groups
where emlp does not take the dense-SVD path, e.g. ``S(10)``)::

    progress = max(100*np.log(lossval/lstart)/..., 0)   # -> numpy.float32
    pbar.update(progress)

Recent tqdm releases compute an ETA with ``datetime.timedelta(seconds=...)``
while formatting the bar, and ``timedelta`` rejects ``numpy.float32``::

    TypeError: unsupported type for timedelta seconds component: numpy.float32

``patch_emlp()`` replaces the module-global name ``tqdm`` inside
``emlp.reps.representation`` (emlp imports it there via
``from tqdm.auto import tqdm``) with a thin subclass whose ``update()`` casts
its increment to a Python ``float``.  Because emlp accumulates float progress
up to ``total=100``, round-off can push the counter a hair past the total and
tqdm then emits ``TqdmWarning: clamping frac to range [0, 1]`` -- an error
under pytest's ``filterwarnings = error``.  The subclass therefore also clamps
the increment so the counter never exceeds ``total`` and silences that one
warning inside ``update()``/``close()``.  Nothing else in emlp or tqdm is
touched, so other users of tqdm are unaffected.

Usage::

    from groupkit._emlp_compat import patch_emlp
    emlp = patch_emlp()          # idempotent; returns the emlp package
    from emlp.groups import S
    from emlp.reps import V
    (V(S(10)) ** 2 >> V(S(10)) ** 2).equivariant_basis()

A second shim concerns objax 1.8.0 (emlp's layer library) on jax >= 0.10, which removed
``jax.sharding.PmapSharding``. objax only uses that name in an ``isinstance`` check when a
variable is assigned (``objax.util.check.split_shape_and_device``), to recognise arrays
replicated by ``pmap``. ``patch_emlp()`` gives jax a placeholder class of that name when it
lacks one: no array is an instance of it, which is the truth on a jax without pmap sharding.
This lets the emlp reference run on GPU machines whose jax is newer than the pinned extra.

Importing this module does not import emlp (it is an optional extra); call
``patch_emlp()`` before the first Krylov solve.
"""

from __future__ import annotations

import numbers
import warnings

__all__ = ["patch_emlp"]

_MARKER = "_groupkit_float_update_patch"


def _make_float_tqdm(base):
    """Return a subclass of ``base`` whose ``update`` coerces numpy scalars to float."""

    class _FloatUpdateTqdm(base):  # type: ignore[misc, valid-type]
        def update(self, n=1):
            if n is not None and not isinstance(n, int) and isinstance(n, numbers.Real):
                n = float(n)
            elif hasattr(n, "item"):  # 0-d numpy / jax arrays
                n = n.item()
            if n is not None and self.total is not None:
                n = min(n, max(self.total - self.n, 0))
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="clamping frac to range")
                return super().update(n)

        def close(self):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="clamping frac to range")
                return super().close()

    _FloatUpdateTqdm.__name__ = base.__name__
    _FloatUpdateTqdm.__qualname__ = base.__qualname__
    setattr(_FloatUpdateTqdm, _MARKER, True)
    return _FloatUpdateTqdm


def patch_emlp():
    """Apply the emlp/tqdm compatibility patch (idempotent) and return the ``emlp`` module.

    Raises ``ImportError`` if emlp (``pip install -e '.[emlp]'``) is not installed.
    """
    import jax.sharding

    with warnings.catch_warnings():  # jax 0.9 still has it, behind a DeprecationWarning
        warnings.simplefilter("ignore", DeprecationWarning)
        missing = not hasattr(jax.sharding, "PmapSharding")
    if missing:
        jax.sharding.PmapSharding = type("PmapSharding", (), {"__module__": __name__})
    import emlp
    import emlp.reps.representation as rep_mod

    current = getattr(rep_mod, "tqdm", None)
    if current is not None and not getattr(current, _MARKER, False):
        rep_mod.tqdm = _make_float_tqdm(current)
    return emlp
