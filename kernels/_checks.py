"""First-use checks of implicit kernels (:class:`groupkit.DegenerateModelWarning`).

* :func:`warn_zero_blocks` — a block of K(x) (one summand type of rep_out against one of
  rep_in) that no equivariant bilinear map of the hidden features reaches: it is identically
  zero for every x and every parameter value (SO(2) frequency 3 from scalars at degree 2).
* :func:`warn_vanishing_radial` — without a cut-off, the Gaussian radial basis covers
  r ≲ length_scale only; neighbours much farther away see radial features of ~1e-11.
"""

from __future__ import annotations

import functools
import math
import warnings

import torch

from groupkit import solve, tensor
from groupkit.solver import _summand_table
from groupkit.warnings import DegenerateModelWarning

__all__ = ["warn_zero_blocks", "warn_vanishing_radial", "unchecked_radial", "RADIAL_FLOOR"]

RADIAL_FLOOR = 1e-8  # every radial feature below this at the farthest neighbour: warn


def warn_zero_blocks(kernel) -> None:
    """Warn when some (rep_out summand, rep_in summand) block of the kernel is identically
    zero."""
    hidden = [P for P, _ in _summand_table(kernel.rep_hidden)]
    zero = []
    for S, _ in _summand_table(kernel.rep_out):
        for R, _ in _summand_table(kernel.rep_in):
            if not any(solve(tensor(P, R), S).dim for P in hidden):
                zero.append(f"{R} → {S}")
    if zero:
        warnings.warn(
            f"{type(kernel).__name__}({kernel.rep_in} → {kernel.rep_out}) over "
            f"{kernel.space}: the kernel blocks {', '.join(zero)} are identically zero at "
            f"degree={kernel.encoder.degree} (no polynomial feature of the position up to that "
            "degree couples them). Raise degree= or pass hidden= representations that reach "
            "them; if they are meant to be zero, build the layer without those summands.",
            DegenerateModelWarning, stacklevel=3)


def unchecked_radial(method):
    """Decorator: no radial check while ``method`` runs (the kernel's own calibration samples,
    which for non-compact groups reach far beyond the length scale by design)."""
    @functools.wraps(method)
    def wrapper(kernel, *args, **kwargs):
        kernel._radial_unchecked = True
        try:
            return method(kernel, *args, **kwargs)
        finally:
            kernel._radial_unchecked = False
    return wrapper


def warn_vanishing_radial(kernel, r: torch.Tensor | None) -> None:
    """Warn (once per kernel) when, without a cut-off, the farthest relative position makes
    every radial feature smaller than :data:`RADIAL_FLOOR`. Checked on every CPU call and on
    the first call on another device (the maximum costs a synchronisation there)."""
    enc = kernel.encoder
    if kernel.cutoff is not None or r is None or not enc.n_radial or r.numel() == 0 \
            or getattr(kernel, "_radial_warned", False) \
            or getattr(kernel, "_radial_unchecked", False):
        return
    if r.device.type != "cpu":
        if getattr(kernel, "_radial_checked", False):
            return
        kernel._radial_checked = True
    width = 1.0 / max(enc.n_radial - 1, 1)
    t_max = 1.0 + width * math.sqrt(2 * math.log(1 / RADIAL_FLOOR))
    r_max = float(r.detach().max())
    if r_max <= t_max * enc.radial_scale:
        return
    kernel._radial_warned = True
    worst = math.exp(-0.5 * ((r_max / enc.radial_scale - 1) / width) ** 2)
    warnings.warn(
        f"{type(kernel).__name__}: relative positions reach r = {r_max:.3g}, but without a "
        f"cut-off the radial basis covers r ≲ {enc.radial_scale:.3g} (length_scale): at "
        f"r = {r_max:.3g} the radial features are {worst:.1e}. Pass cutoff= (the graph's "
        "radius) or length_scale= of the order of the neighbour distances.",
        DegenerateModelWarning, stacklevel=4)
