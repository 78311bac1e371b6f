"""State dicts know their basis: the fingerprint travels through torch.save/torch.load
(weights_only), adds no keys, and a model with a different basis refuses the state dict with an
error naming the layer; models with the same basis (float32 ↔ float64) load it."""

from __future__ import annotations

import io

import pytest
import torch

from groupkit import O, SO, Scalar, V
from groupkit.nn import EMLP, EquivariantBilinear, EquivariantLinear

pytestmark = pytest.mark.torch


def _roundtrip(sd):
    buf = io.BytesIO()
    torch.save(sd, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


@pytest.mark.parametrize("G", [SO(3), O(5)], ids=str)
def test_linear_with_another_method_refuses_the_state_dict(G):
    rep = V(G) ** 2
    saved = EquivariantLinear(rep, rep, method="dense", dtype=torch.float64)
    other = EquivariantLinear(rep, rep, method="auto", dtype=torch.float64)
    x = torch.randn(4, rep.size, dtype=torch.float64)
    with pytest.raises(RuntimeError, match=r"layer 'the model itself' \(EquivariantLinear .*"
                                           r"different basis"):
        other.load_state_dict(_roundtrip(saved.state_dict()))
    # what the check prevents: the same coefficients give another function
    other.load_state_dict({k: v for k, v in saved.state_dict().items()})  # no metadata: unchecked
    assert not torch.allclose(other(x), saved(x), atol=1e-3)


def test_emlp_error_names_the_layer():
    G = O(5)
    a = EMLP(V(G), Scalar, G, ch=30, num_layers=1, dtype=torch.float64)
    b = EMLP(V(G), Scalar, G, ch=30, num_layers=1, dtype=torch.float64)
    sd = _roundtrip(a.state_dict())
    sd._metadata["network.0.linear"]["groupkit_basis_fingerprint"]["values"][0] += 1.0
    with pytest.raises(RuntimeError, match=r"layer 'network\.0\.linear'"):
        b.load_state_dict(sd)


def test_fingerprint_adds_no_keys_and_same_basis_loads_across_dtypes():
    G = SO(3)
    m64 = EMLP(2 * V(G), V(G), G, ch=40, num_layers=1, dtype=torch.float64)
    m32 = EMLP(2 * V(G), V(G), G, ch=40, num_layers=1, dtype=torch.float32)
    sd = _roundtrip(m64.state_dict())
    assert set(sd) == {n for n, _ in m64.named_parameters()}
    assert any("groupkit_basis_fingerprint" in meta for meta in sd._metadata.values())
    m32.load_state_dict(sd)
    x = torch.randn(5, 6, dtype=torch.float64)
    assert torch.allclose(m32(x.float()).double(), m64(x), rtol=1e-4, atol=1e-5)


def _tamper(sd, prefix):
    sd._metadata[prefix]["groupkit_basis_fingerprint"]["values"][-1] *= -2.0
    return sd


def test_bilinear_layers_carry_a_checked_fingerprint():
    G = SO(3)
    rep = Scalar + V(G) + V(G) ** 2
    a = EquivariantBilinear(rep, rep, dtype=torch.float64)
    b = EquivariantBilinear(rep, rep, dtype=torch.float64)
    b.load_state_dict(_roundtrip(a.state_dict()))  # same basis: fine
    with pytest.raises(RuntimeError, match="EquivariantBilinear .*different basis"):
        b.load_state_dict(_tamper(_roundtrip(a.state_dict()), ""))


def test_kernel_bilinear_weight_carries_a_checked_fingerprint():
    from kernels import PointConv

    G = SO(3)
    a = PointConv(G, V(G), V(G), cutoff=1.0, dtype=torch.float64)
    b = PointConv(G, V(G), V(G), cutoff=1.0, dtype=torch.float64)
    b.load_state_dict(_roundtrip(a.state_dict()))
    with pytest.raises(RuntimeError, match=r"layer 'kernel\.bilinear' \(BilinearWeight"):
        b.load_state_dict(_tamper(_roundtrip(a.state_dict()), "kernel.bilinear"))


def test_structured_permutation_layer_refuses_a_state_dict_of_another_n():
    from groupkit import S

    def layer(n):
        return EquivariantLinear(V(S(n)) ** 2, V(S(n)) ** 2, dtype=torch.float64)

    saved = _roundtrip(layer(130).state_dict())  # structured path (n² ≥ 128²)
    layer(130).load_state_dict(saved)
    with pytest.raises(RuntimeError, match=r"PermutationLinear .*different basis"):
        layer(140).load_state_dict(saved)
