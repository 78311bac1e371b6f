"""The torch modules on a CUDA device: the same mathematics as on the CPU.

Equivariance for every group of the nn catalogue (float64 ≤ 1e-10, float32 ≤ 1e-4), CUDA
outputs equal to CPU outputs of the same weights, checkpoints that move between devices,
inputs on the wrong device refused, ``torch.compile`` with the default (inductor/Triton) backend,
a short training run, and the steerable convolutions. Skipped where torch sees no GPU, so CI
(CPU only) skips them; run them on a GPU machine with ``pytest tests/test_cuda.py``.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from test_nn_equivariance import CATALOGUE, DTYPES, TOL

import groupkit as gk
from groupkit import Scalar, V, datasets
from groupkit.nn import (
    EMLP, EquivariantBilinear, EquivariantLinear, GatedNonlinearity, gated,
)
from groupkit.nn.train import train
from groupkit.testing import equivariance_error, relative_error

from kernels import GridConv2d, PointConv, grid_action, harmonic, knn_graph

pytestmark = [
    pytest.mark.torch,
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

DEVICE = "cuda"


# One factory per module kind, on the catalogue's hidden representation, in float64; each
# returns (module, rep_in, rep_out).
MODULES = {
    "linear": lambda rep: (EquivariantLinear(rep, gated(rep), dtype=torch.float64),
                           rep, gated(rep)),
    "bilinear": lambda rep: (EquivariantBilinear(rep, rep, dtype=torch.float64), rep, rep),
    "gated": lambda rep: (torch.nn.Sequential(
        EquivariantLinear(gated(rep), gated(rep), dtype=torch.float64),
        GatedNonlinearity(rep)), gated(rep), rep),
    "emlp": lambda rep: (EMLP(V(rep.group) + Scalar, V(rep.group) + Scalar, rep.group, ch=rep,
                              num_layers=2, dtype=torch.float64),
                         V(rep.group) + Scalar, V(rep.group) + Scalar),
}


@pytest.fixture(params=list(CATALOGUE), scope="module")
def rep(request):
    make, _ = CATALOGUE[request.param]
    return make()


@pytest.mark.parametrize("kind", ["linear", "bilinear", "gated", "emlp"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_modules_are_equivariant_on_cuda(rep, kind, dtype):
    module, rep_in, rep_out = MODULES[kind](rep)
    module = module.to(device=DEVICE, dtype=dtype)
    assert next(module.parameters()).device.type == "cuda"
    err = equivariance_error(module, rep_in, rep_out, rng=1)
    assert err <= TOL[dtype], f"{kind}: equivariance error {err:.2e} > {TOL[dtype]:.0e}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_cuda_output_equals_cpu_output(rep, dtype):
    G = rep.group
    torch.manual_seed(0)
    cpu = EMLP(V(G) + Scalar, V(G) + Scalar, G, ch=rep, num_layers=2, dtype=dtype)
    gpu = EMLP(V(G) + Scalar, V(G) + Scalar, G, ch=rep, num_layers=2, dtype=dtype,
               device=DEVICE)
    gpu.load_state_dict(cpu.state_dict())
    cdtype = {torch.float64: torch.complex128, torch.float32: torch.complex64}[dtype]
    x = torch.randn(32, cpu.rep_in.size, dtype=cdtype if rep.is_complex else dtype)
    with torch.no_grad():
        a, b = cpu(x), gpu(x.to(DEVICE)).cpu()
    assert relative_error(b.numpy(), a.numpy()) <= TOL[dtype]


def test_constructor_device_builds_every_buffer_there():
    G = gk.O(5)
    model = EMLP(2 * V(G), Scalar, G, ch=100, num_layers=3, device=DEVICE)
    off = [name for name, t in [*model.named_parameters(), *model.named_buffers()]
           if t.device.type != "cuda"]
    assert not off, f"tensors left on the CPU: {off}"


def test_checkpoint_saved_on_cuda_loads_on_cpu():
    G = gk.SO(3)
    torch.manual_seed(1)
    gpu = EMLP(2 * V(G), V(G), G, ch=60, num_layers=2, dtype=torch.float64, device=DEVICE)
    buf = io.BytesIO()
    torch.save(gpu.state_dict(), buf)
    buf.seek(0)
    torch.manual_seed(2)
    cpu = EMLP(2 * V(G), V(G), G, ch=60, num_layers=2, dtype=torch.float64)
    cpu.load_state_dict(torch.load(buf, map_location="cpu", weights_only=True))
    x = torch.randn(8, 6, dtype=torch.float64)
    with torch.no_grad():
        assert relative_error(cpu(x).numpy(), gpu(x.to(DEVICE)).cpu().numpy()) <= 1e-12


def test_cpu_input_to_a_cuda_module_raises():
    G = gk.O(3)
    model = EMLP(2 * V(G), Scalar, G, ch=30, num_layers=1, device=DEVICE)
    with pytest.raises(ValueError, match="is on cpu but the module is on cuda"):
        model(torch.randn(4, 6))


def test_torch_compile_inductor_on_cuda():
    """The default backend generates Triton kernels on CUDA; outputs and gradients match eager."""
    G = gk.O(5)
    torch.manual_seed(0)
    model = EMLP(2 * V(G), Scalar, G, ch=100, num_layers=2, device=DEVICE)
    compiled = torch.compile(model, fullgraph=True)
    x = torch.randn(64, 10, device=DEVICE)
    y = compiled(x)
    assert relative_error(y.detach().cpu().numpy(), model(x).detach().cpu().numpy()) <= 1e-4
    y.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model(x).sum().backward()
    for g, p in zip(grads, model.parameters()):
        assert relative_error(g.cpu().numpy(), p.grad.cpu().numpy()) <= 1e-3


def test_training_on_cuda_beats_predicting_the_mean():
    r = train("o5", "emlp", ntrain=500, ntest=500, ch=64, layers=2, epochs=20, batch=100,
              lr=3e-3, device=DEVICE, progress=False)
    # The O(5) targets have unit-order variance; predicting their mean scores about 1.
    test = datasets.make("o5", 1000, rng=0).split(500, 0, 500)[2]
    assert r["test_mse"] < 0.3 * float(np.var(test.Y))


# -- steerable convolutions ------------------------------------------------------------------

@pytest.mark.parametrize("method", ["padded", "scatter"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_point_conv_is_equivariant_on_cuda(method, dtype):
    G = gk.SO(3)
    s = V(G)
    rep_in, rep_out = Scalar + s + harmonic(s, 2), s + Scalar
    conv = PointConv(G, rep_in, rep_out, space=s, hidden=2 * Scalar + s + harmonic(s, 2),
                     cutoff=2.5, avg_degree=6, method=method, dtype=dtype).to(DEVICE)
    gen = torch.Generator().manual_seed(0)
    pos = torch.randn(40, 3, generator=gen, dtype=torch.float64)
    f = torch.randn(40, rep_in.size, generator=gen, dtype=torch.float64)
    ei = knn_graph(pos, 6).to(DEVICE)
    pos, f = pos.to(DEVICE, dtype), f.to(DEVICE, dtype)

    def rho(rep, g):
        return torch.as_tensor(rep.rho(g), dtype=dtype, device=DEVICE)

    with torch.no_grad():
        out = conv(f, pos, ei)
        assert out.device.type == "cuda"
        for g in G.samples(4, rng=1):
            out_g = conv(f @ rho(rep_in, g).T, pos @ rho(s, g).T, ei)
            err = relative_error(out_g.cpu().numpy(), (out @ rho(rep_out, g).T).cpu().numpy())
            assert err <= TOL[dtype], f"{method}: {err:.2e}"


def test_gridconv_is_exactly_equivariant_on_cuda():
    G = gk.D(4)
    rep_in, rep_out = Scalar + V(G) + harmonic(V(G), 2), V(G) + Scalar
    conv = GridConv2d(G, rep_in, rep_out, 5, cutoff=3.0, dtype=torch.float64).to(DEVICE)
    x = torch.randn(2, rep_in.size, 9, 9, dtype=torch.float64, device=DEVICE)
    with torch.no_grad():
        y = conv(x)
        for g in [np.round(h) for h in G.discrete_generators]:
            err = relative_error(conv(grid_action(x, g, conv.rep_in)).cpu().numpy(),
                                 grid_action(y, g, conv.rep_out).cpu().numpy())
            assert err <= 1e-12
