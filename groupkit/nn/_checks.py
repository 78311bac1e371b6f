"""Construction-time checks for models that cannot do what they were built for.

Each check warns with :class:`groupkit.DegenerateModelWarning`, naming the problem and the fix:

* :func:`warn_if_no_weights` — an equivariant linear layer whose space of weights is zero
  (``EquivariantLinear(V(SO(3)), Scalar)``): its output is its bias, whatever the input.
* :func:`warn_if_no_products` — an equivariant bilinear layer that keeps no product at all
  (``EquivariantBilinear(V(SO13p()), Scalar)``: V·V → 1 needs the metric, which is not a
  contraction): its output is zero, whatever the input.
* :func:`warn_if_constant` — a model whose output does not change with its input at
  initialisation (an ``EMLP(..., bilinear=False)`` with a scalar output: no path through
  linear maps and gates turns vectors into scalars), found by evaluating it on two seeded
  random inputs (never touching torch's global generator).

Containers that build layers which may legitimately be empty (a point convolution's optional
self-interaction) build them inside :func:`expected_degenerate`.
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings

import torch

from ..warnings import DegenerateModelWarning

__all__ = ["warn_if_no_weights", "warn_if_no_products", "warn_if_constant", "expected_degenerate"]

_QUIET = contextvars.ContextVar("groupkit_expected_degenerate", default=False)


@contextlib.contextmanager
def expected_degenerate():
    """Build layers that may be empty without warnings (the caller handles the case)."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def warn_if_no_weights(layer) -> None:
    """Warn when ``layer.weight`` has no entries: no equivariant linear map rep_in → rep_out."""
    if _QUIET.get() or layer.weight.numel():
        return
    group = layer.rep_in.group or layer.rep_out.group
    warnings.warn(
        f"{type(layer).__name__}({layer.rep_in} → {layer.rep_out}) has no weights: there is no "
        f"non-zero {group}-equivariant linear map from {layer.rep_in} to {layer.rep_out}, so "
        "the output cannot depend on the input (it is the bias). Choose representations that "
        "share an irreducible summand, or add a nonlinear/bilinear layer that builds one.",
        DegenerateModelWarning, stacklevel=3)


def warn_if_no_products(layer, products: str) -> None:
    """Warn when an equivariant bilinear ``layer`` kept no triple: its output is always zero."""
    if _QUIET.get() or layer.triples:
        return
    fix = ("Use products='all' (every equivariant bilinear map, not only contractions), "
           "scalar_products=True, or representations with matching tensor factors."
           if products == "contract" else
           "Use scalar_products=True, a larger max_size, or other representations.")
    warnings.warn(
        f"{type(layer).__name__}({layer.rep_in} → {layer.rep_out}, products={products!r}) keeps "
        f"no bilinear product, so its output is zero whatever the input. {fix}",
        DegenerateModelWarning, stacklevel=3)


def warn_if_constant(model, what: str | None = None, *, fix: str = "") -> None:
    """Warn when ``model`` (rep_in → rep_out, on a real device) gives the same output for two
    random inputs at initialisation."""
    if _QUIET.get():
        return
    p = next(iter(model.parameters()), None)
    if p is None or p.is_meta or not p.is_floating_point():
        return
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, model.rep_in.size, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        y = model(x.to(dtype=p.dtype, device=p.device))
    a, b = y[0], y[1]
    scale = float(torch.maximum(a.abs().max(), b.abs().max())) if a.numel() else 0.0
    if not a.numel() or float((a - b).abs().max()) > 100 * torch.finfo(p.dtype).eps * (
            scale + 1e-30):
        return
    warnings.warn(
        f"{what or type(model).__name__} ({model.rep_in} → {model.rep_out}) computes a constant "
        f"function: its output does not depend on its input, because no chain of its "
        f"equivariant layers maps {model.rep_in} to {model.rep_out}. {fix}".rstrip(),
        DegenerateModelWarning, stacklevel=3)
