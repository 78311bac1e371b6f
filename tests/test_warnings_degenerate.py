"""Models that cannot do what they were plainly built for now say so: one test per silent
failure of issue 13 (a DegenerateModelWarning, MixedGroupWarning or MetricWarning, or an error),
and the library's default models stay silent."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from groupkit import (D, O, S, SO, DegenerateModelWarning, DirectProduct, MixedGroupWarning,
                      Scalar, V)
from groupkit.nn import EMLP, EquivariantLinear

pytestmark = pytest.mark.torch


def _output_std(model, rep_in, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        return float(model(torch.randn(64, rep_in.size, generator=gen)).std(0).max())


@pytest.mark.parametrize("G", [O(5), D(6)], ids=str)
def test_emlp_without_bilinear_and_a_scalar_output_warns_it_is_constant(G):
    with pytest.warns(DegenerateModelWarning, match="constant function.*bilinear=True"):
        model = EMLP(2 * V(G), Scalar, G, ch=40, num_layers=2, bilinear=False)
    assert _output_std(model, 2 * V(G)) == 0.0  # what the warning is about


def test_linear_layer_without_weights_warns():
    with pytest.warns(DegenerateModelWarning, match=r"has no weights.*cannot depend"):
        layer = EquivariantLinear(V(SO(3)), Scalar)
    assert layer.weight.numel() == 0


def test_bilinear_layer_without_products_warns():
    # V·V → 1 of SO⁺(1,3) needs the metric, which is not a contraction: with the default
    # products the layer keeps nothing and outputs zero (it used to do so silently).
    from groupkit import SO13p
    from groupkit.nn import EquivariantBilinear

    G = SO13p()
    with pytest.warns(DegenerateModelWarning, match=r"keeps no bilinear product.*products='all'"):
        layer = EquivariantBilinear(V(G), Scalar, dtype=torch.float64)
    assert not layer.triples and _output_std(layer, V(G)) == 0.0   # what the warning is about
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert EquivariantBilinear(V(G), Scalar, products="all", dtype=torch.float64).triples


def test_sum_of_reps_of_two_groups_with_one_lie_algebra_warns():
    with pytest.warns(MixedGroupWarning, match=r"SO\(3\) × O\(3\)"):
        rep = V(SO(3)) + V(O(3))
    assert rep.group == DirectProduct(SO(3), O(3))
    with pytest.warns(MixedGroupWarning):
        V(SO(3)) * V(O(3))


def test_deliberate_products_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        V(SO(3)) * V(S(4))
        G = DirectProduct(SO(3), O(3))
        V(SO(3))(G) + V(O(3))(G)


def test_vanishing_radial_features_without_a_cutoff_warn():
    from kernels import PointConv, radius_graph

    G = SO(3)
    conv = PointConv(G, Scalar, V(G), dtype=torch.float64)  # cutoff=None, length_scale 1
    pos = torch.as_tensor(np.random.default_rng(0).normal(size=(30, 3)) * 2.0)
    ei = radius_graph(pos, 3.0)
    with pytest.warns(DegenerateModelWarning, match="radial features are .*cutoff="):
        conv(torch.ones(30, 1, dtype=torch.float64), pos, ei)
    r = (pos[ei[0]] - pos[ei[1]]).norm(dim=1).max()
    assert conv.kernel.encoder(torch.stack([r * torch.tensor([1.0, 0, 0],
                                                            dtype=torch.float64)]))[0][
        0, :8].max() < 1e-8
    with warnings.catch_warnings():  # with the graph's radius as cut-off: fine
        warnings.simplefilter("error")
        PointConv(G, Scalar, V(G), cutoff=3.0, dtype=torch.float64)(
            torch.ones(30, 1, dtype=torch.float64), pos, ei)


def test_kernel_block_that_is_zero_at_the_chosen_degree_warns():
    from kernels import ImplicitKernel, harmonic

    G = SO(2)
    out = V(G) + harmonic(V(G), 3)  # frequencies 1 and 3
    with pytest.warns(DegenerateModelWarning, match=r"1 → .* identically zero at degree=2"):
        k = ImplicitKernel(G, Scalar, out, cutoff=1.0, dtype=torch.float64)
    x = torch.as_tensor(np.random.default_rng(0).normal(size=(20, 2)) * 0.5)
    assert k(x)[:, 2:, :].abs().max() == 0  # the frequency-3 block
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        k3 = ImplicitKernel(G, Scalar, out, cutoff=1.0, degree=3, dtype=torch.float64)
    assert k3(x)[:, 2:, :].abs().max() > 1e-3


def test_state_dict_of_another_basis_is_refused():
    G = O(5)
    a = EquivariantLinear(V(G) ** 2, V(G) ** 2, method="dense")
    b = EquivariantLinear(V(G) ** 2, V(G) ** 2, method="auto")
    with pytest.raises(RuntimeError, match="different basis"):
        b.load_state_dict(a.state_dict())


def test_library_default_models_do_not_warn():
    from kernels import PointConv, SteerablePointNet, knn_graph

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for G in (O(5), SO(3), D(6)):
            EMLP(2 * V(G), Scalar, G, ch=60, num_layers=2)
            EMLP(2 * V(G), V(G), G, ch=60, num_layers=2)
        G = SO(3)
        pos = torch.randn(40, 3) * 0.4  # neighbours within the default length scale 1
        net = SteerablePointNet(G, Scalar, 4 * Scalar + V(G), V(G), cutoff=1.5)
        net(torch.ones(40, 1), pos, knn_graph(pos, 8))
        PointConv(G, Scalar, V(G))(torch.ones(40, 1), pos, knn_graph(pos, 8))
