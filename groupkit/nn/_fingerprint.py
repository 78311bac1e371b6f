"""State dicts that know their basis: a fingerprint of a layer's solved bases travels with its
``state_dict`` and is checked when one is loaded.

A layer's coefficients θ only mean something together with the basis they multiply: two bases
of the same space (another ``method=``, another solver version) turn the same θ into different
weights. :func:`attach_fingerprint` records, once at construction, a fingerprint of the layer's
bases (its non-persistent buffers: names, shapes and the projection of each onto a fixed
pseudo-random vector, in float64) and registers two hooks:

* ``state_dict`` stores it in the state dict's per-module metadata (``state_dict._metadata``,
  where torch keeps module versions): no extra keys, so a state dict still holds parameters
  only, and ``torch.save`` / ``torch.load(weights_only=True)`` carry it.
* ``load_state_dict`` compares it with the model's own and refuses a mismatch with an error
  naming the layer and what differs. State dicts without a fingerprint (written before it
  existed, or rebuilt key by key) load unchecked.

Values are compared to a relative 10⁻⁵, so a model built in float32 loads a float64 model's
state dict and vice versa.

Because the names and shapes of the non-persistent buffers are part of the fingerprint, a layer
must keep registering a basis buffer even after its forward stops reading it (as
``EquivariantBilinear`` does with ``in_index<k>`` and ``inv_out``): dropping or renaming one
would make every state dict saved before refuse to load.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["attach_fingerprint", "basis_fingerprint", "FINGERPRINT_KEY"]

FINGERPRINT_KEY = "groupkit_basis_fingerprint"
_RTOL = 1e-5


def _probe(n: int) -> np.ndarray:
    # A fixed vector per length (PCG64 is the same on every platform and numpy version).
    return np.random.default_rng([0x6B, n]).standard_normal(n)


def basis_fingerprint(module: nn.Module) -> dict | None:
    """The fingerprint of ``module``'s bases: its non-persistent buffers (and its submodules'),
    as {"names": [...], "shapes": [[...], ...], "values": [float, ...]}; None when they hold no
    values (built on the ``meta`` device)."""
    names, shapes, values, digests = [], [], [], []
    for mod_name, mod in module.named_modules():
        # Layers whose basis is symbolic (no buffers, e.g. structured permutation layers) name it
        # by a digest instead.
        digest = getattr(mod, "basis_digest", None)
        if digest is not None:
            digests.append(f"{mod_name or '.'}:{digest}")
        for name, buf in mod._buffers.items():
            if buf is None or name not in mod._non_persistent_buffers_set:
                continue
            if buf.is_meta:
                return None
            a = buf.detach().to("cpu")
            a = torch.view_as_real(a) if a.is_complex() else a
            flat = a.to(torch.float64).reshape(-1).numpy()
            names.append(f"{mod_name}.{name}" if mod_name else name)
            shapes.append(list(buf.shape))
            values.append(float(flat @ _probe(flat.size)) if flat.size else 0.0)
    out = {"names": names, "shapes": shapes, "values": values}
    if digests:
        out["digests"] = digests
    return out


def _describe(module: nn.Module) -> str:
    rep_in, rep_out = getattr(module, "rep_in", None), getattr(module, "rep_out", None)
    reps = f" {rep_in} → {rep_out}" if rep_in is not None else ""
    return f"{type(module).__name__}{reps}"


def _difference(saved: dict, own: dict) -> str | None:
    if saved.get("digests", []) != own.get("digests", []):
        return (f"its symbolic bases are {own.get('digests', [])} but the saved ones were "
                f"{saved.get('digests', [])}")
    if saved.get("names") != own["names"] or saved.get("shapes") != own["shapes"]:
        return (f"its bases have the buffers {list(zip(own['names'], own['shapes']))} but the "
                f"saved ones had {list(zip(saved.get('names', []), saved.get('shapes', [])))}")
    a, b = np.asarray(saved.get("values", []), float), np.asarray(own["values"], float)
    bad = np.abs(a - b) > _RTOL * np.maximum(np.abs(a), np.abs(b)) + 1e-12
    if bad.any():
        which = [n for n, x in zip(own["names"], bad) if x]
        return f"the basis entries differ (in {', '.join(which)})"
    return None


def _save_hook(module, state_dict, prefix, local_metadata):
    if module._groupkit_fingerprint is not None:
        local_metadata[FINGERPRINT_KEY] = module._groupkit_fingerprint


def _load_hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
               unexpected_keys, error_msgs):
    saved = local_metadata.get(FINGERPRINT_KEY)
    if saved is None or module._groupkit_fingerprint is None:
        return
    diff = _difference(saved, module._groupkit_fingerprint)
    if diff is not None:
        where = prefix[:-1] or "the model itself"
        error_msgs.append(
            f"layer '{where}' ({_describe(module)}): the state dict was saved with a different "
            f"basis — {diff}; its coefficients would give other weights. Build the model as it "
            f"was saved (same representations, the same method= for the solver).")


def attach_fingerprint(module: nn.Module) -> nn.Module:
    """Record ``module``'s basis fingerprint (call at the end of ``__init__``, once the bases
    are registered as non-persistent buffers) and register the save/load hooks. Returns the
    module."""
    module._groupkit_fingerprint = basis_fingerprint(module)
    module.register_state_dict_post_hook(_save_hook)
    module.register_load_state_dict_pre_hook(_load_hook)
    return module
