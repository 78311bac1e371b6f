"""GridConv2d/3d: exact equivariance for the grid's own symmetries (C4, D4, octahedral) in
float64, the grid action against torch's rot90/flip, the measured approximate SO(2) error, and
bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groupkit as gk
from groupkit import D, SO, C, FullOctahedral, Octahedral, Scalar, V
from groupkit.testing import relative_error

from kernels import GridConv2d, GridConv3d, grid_action, harmonic
from kernels.gridconv import stencil

pytestmark = pytest.mark.torch


def test_grid_action_matches_rot90_and_flip():
    f = torch.randn(2, 1, 6, 6, dtype=torch.float64)
    quarter = np.array([[0.0, -1.0], [1.0, 0.0]])  # (p0, p1) ↦ (−p1, p0)
    # f'(p) = f(g⁻¹ p): the value at p = (1, 0) comes from g⁻¹ p = (0, −1).
    assert torch.equal(grid_action(f, quarter, Scalar), torch.rot90(f, 1, dims=(2, 3)))
    assert torch.equal(grid_action(f, np.diag([-1.0, 1.0]), Scalar), torch.flip(f, (2,)))
    # Vector channels rotate too.
    v = torch.randn(1, 2, 5, 5, dtype=torch.float64)
    out = grid_action(v, quarter, V(C(4)))
    expect = torch.einsum("oc,bcxy->boxy", torch.as_tensor(quarter),
                          torch.rot90(v, 1, dims=(2, 3)))
    assert torch.equal(out, expect)


def _group_elements(G: gk.Group, n: int, rng) -> list[np.ndarray]:
    els = list(G.discrete_generators) + list(G.samples(n, rng=rng))
    return [np.round(g) for g in els]  # finite signed-permutation groups: exact entries


@pytest.mark.parametrize("G", [C(4), D(4)], ids=["C4", "D4"])
@pytest.mark.parametrize("size", [9, 8])
def test_gridconv2d_is_exactly_equivariant(G, size, rng):
    rep_in = Scalar + V(G) + harmonic(V(G), 2)
    rep_out = V(G) + Scalar
    conv = GridConv2d(G, rep_in, rep_out, 5, cutoff=3.0, dtype=torch.float64)
    x = torch.randn(2, rep_in.size, size, size, dtype=torch.float64)
    with torch.no_grad():
        y = conv(x)
        assert y.shape == (2, rep_out.size, size, size)
        for g in _group_elements(G, 4, rng):
            err = relative_error(conv(grid_action(x, g, conv.rep_in)).numpy(),
                                 grid_action(y, g, conv.rep_out).numpy())
            assert err <= 1e-12, (g.tolist(), err)


@pytest.mark.parametrize("G", [Octahedral(), FullOctahedral()], ids=["O", "Oh"])
def test_gridconv3d_is_exactly_equivariant(G, rng):
    rep_in = Scalar + V(G)
    rep_out = V(G) + harmonic(V(G), 2)
    conv = GridConv3d(G, rep_in, rep_out, 3, dtype=torch.float64)
    x = torch.randn(1, rep_in.size, 5, 5, 5, dtype=torch.float64)
    with torch.no_grad():
        y = conv(x)
        for g in _group_elements(G, 4, rng):
            err = relative_error(conv(grid_action(x, g, conv.rep_in)).numpy(),
                                 grid_action(y, g, conv.rep_out).numpy())
            assert err <= 1e-12, (g.tolist(), err)


def test_gridconv_weight_is_the_sampled_kernel():
    G = D(4)
    conv = GridConv2d(G, Scalar + V(G), V(G), 3, spacing=0.5, dtype=torch.float64)
    W = conv.weight()
    assert W.shape == (2, 3, 3, 3)
    x = torch.tensor([[-0.5, 0.5]], dtype=torch.float64)  # stencil index (0, 2)
    assert torch.allclose(W[:, :, 0, 2], conv.kernel(x)[0])


def _blobs(a, c, s, P):
    d2 = ((P[None] - torch.as_tensor(c)[:, None, None, :]) ** 2).sum(-1)
    return torch.einsum("mc,mxy->cxy", torch.as_tensor(a), torch.exp(-d2 / (2 * s * s)))[None]


def test_so2_rotation_error_is_small():
    """Continuous rotations are only approximately symmetries of the pixel grid. Smooth inputs
    (sums of Gaussian blobs of width s, rotated analytically) are compared at the centre pixel,
    the one point every rotation fixes. Measured medians (seed 0): ≈ 0.03 at s = 1.5 px and
    ≈ 0.004 at s = 3 px; the bounds below leave room."""
    G = SO(2)
    rep_in, rep_out = Scalar + V(G), V(G) + Scalar
    conv = GridConv2d(G, rep_in, rep_out, 5, dtype=torch.float64)
    P = stencil(11, 2)
    rng = np.random.default_rng(0)
    medians = {}
    for s in (1.5, 3.0):
        fs, fgs, gs = [], [], []
        for _ in range(20):
            a, c = rng.normal(size=(6, 3)), rng.uniform(-3, 3, size=(6, 2))
            g = G.sample(rng)
            fs.append(_blobs(a, c, s, P))
            fgs.append(_blobs(a @ rep_in.rho(g).T, c @ g.T, s, P))
            gs.append(g)
        with torch.no_grad():
            y = conv(torch.cat(fs))[:, :, 5, 5].numpy()
            yg = conv(torch.cat(fgs))[:, :, 5, 5].numpy()
        errs = [relative_error(yg[i], rep_out.rho(g) @ y[i]) for i, g in enumerate(gs)]
        medians[s] = float(np.median(errs))
    assert medians[1.5] < 0.1 and medians[3.0] < 0.02
    assert medians[3.0] < medians[1.5]  # smoother inputs, smaller error


def test_bad_input():
    G = C(4)
    with pytest.raises(ValueError, match="odd"):
        GridConv2d(G, Scalar, V(G), 4)
    with pytest.raises(gk.RepError, match="2-dimensional space"):
        GridConv2d(Octahedral(), Scalar, V(Octahedral()), 3)
    with pytest.raises(gk.RepError, match="3-dimensional space"):
        GridConv3d(G, Scalar, V(G), 3)
    conv = GridConv2d(G, Scalar, V(G), 3, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"expects \(B, 1, n, n\)"):
        conv(torch.zeros(1, 2, 5, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="signed permutation"):
        grid_action(torch.zeros(1, 1, 3, 3), SO(2).sample(0), Scalar)
