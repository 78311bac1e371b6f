"""The ModelNet experiment (kernels.experiments.modelnet): records, trained-model invariance per
group, the standard arm's kernel, and errors for bad options."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from groupkit.train import PointCloudCollate, load_model_state
from kernels import knn_graph
from kernels.experiments import modelnet
from kernels.experiments._modelnet_models import (GROUPS, SteerableBasisKernel, group_elements,
                                                  make_group)
from kernels.mlp import GatedMLP
from kernels.records import read_runs

SMOKE = ["--protocol", "smoke"]


def _clouds(n=3, p=48, seed=0):
    """Random clouds (points in the unit ball, unit 'normals'), away from k-NN ties."""
    g = np.random.default_rng(seed)
    pts = g.standard_normal((n, p, 3))
    pts /= np.linalg.norm(pts, axis=2).max(axis=1)[:, None, None]
    nrm = g.standard_normal((n, p, 3))
    return pts, nrm / np.linalg.norm(nrm, axis=2, keepdims=True)


def _logits(model, pts, nrm, k=6):
    ds = modelnet._dataset(pts, nrm, np.zeros(len(pts), dtype=np.int64))
    batch = PointCloudCollate(functools.partial(knn_graph, k=k))([ds[i] for i in range(len(ds))])
    model.eval()
    with torch.no_grad():
        return model(batch)


@functools.cache
def _trained(group: str, kernel: str, tmp: str):
    """A model smoke-trained by the command line, reloaded from its best.pt checkpoint."""
    pytest.importorskip("trimesh")
    out = f"{tmp}/{group}-{kernel}"
    assert modelnet.main(SMOKE + ["--group", group, "--kernel", kernel, "--out", out,
                                  "--no-record"]) == 0
    proto = modelnet.PROTOCOLS["smoke"]
    model = modelnet.build_model(group, kernel, proto.n_classes, width=proto.width,
                                 layers=proto.layers, n_radial=proto.n_radial, seed=123)
    load_model_state(model, f"{out}/best.pt")
    return model


@pytest.fixture(scope="module")
def tmpdir_module(tmp_path_factory):
    return str(tmp_path_factory.mktemp("modelnet"))


def test_smoke_run_appends_one_valid_record(tmp_path):
    pytest.importorskip("trimesh")
    path = tmp_path / "runs.jsonl"
    assert modelnet.main(SMOKE + ["--group", "SO2", "--kernel", "standard",
                                  "--results", str(path)]) == 0
    (rec,) = read_runs(path)
    assert rec["task"] == "modelnet" and rec["target"] is None
    assert rec["model"] == "groupkit-standard" and rec["group"] == "SO2"
    assert rec["protocol"] == "smoke" and rec["metric"] == "test_acc" and rec["seed"] == 0
    assert 0 <= rec["value"] <= 100 and 0 <= rec["test_acc_so3"] <= 100
    assert rec["params"] > 0 and rec["train_seconds"] > 0


@pytest.mark.parametrize("flags", [("--epochs", "2"), ("--points", "24")])
def test_overridden_budget_is_not_recorded_as_the_protocol(tmp_path, flags):
    pytest.importorskip("trimesh")
    path = tmp_path / "runs.jsonl"
    assert modelnet.main(SMOKE + ["--group", "SO2", "--kernel", "standard", *flags,
                                  "--results", str(path)]) == 0
    (rec,) = read_runs(path)
    assert rec["protocol"] == "smoke-custom"


def _write_resampled(root, g):
    """A tiny folder in the modelnet40_normal_resampled format (2 classes, 16 points)."""
    classes = ["airplane", "night_stand"]
    (root / "modelnet40_shape_names.txt").write_text("\n".join(classes) + "\n")
    for split, n in (("train", 3), ("test", 1)):
        names = [f"{c}_{split}{i}" for c in classes for i in range(n)]
        (root / f"modelnet40_{split}.txt").write_text("\n".join(names) + "\n")
        for name in names:
            (root / name.rsplit("_", 1)[0]).mkdir(exist_ok=True)
            rows = g.standard_normal((16, 6))
            (root / name.rsplit("_", 1)[0] / f"{name}.txt").write_text(
                "\n".join(",".join(f"{v:.6f}" for v in r) for r in rows) + "\n")


def test_paper_protocol_reads_a_modelnet40_folder(tmp_path):
    root = tmp_path / "modelnet40_normal_resampled"
    root.mkdir()
    _write_resampled(root, np.random.default_rng(0))
    path = tmp_path / "runs.jsonl"
    with pytest.raises(SystemExit, match="fewer than the 1024 requested"):  # names the file
        modelnet.main(["--protocol", "paper", "--data-dir", str(root), "--no-record"])
    assert modelnet.main(["--protocol", "paper", "--data-dir", str(root), "--epochs", "1",
                          "--points", "16",
                          "--group", "M", "--kernel", "standard", "--results", str(path)]) == 0
    (rec,) = read_runs(path)
    assert rec["protocol"] == "paper-custom" and rec["n_classes"] == 2 and rec["n_train"] == 5


@pytest.mark.parametrize("kernel", ["implicit", "standard"])
@pytest.mark.parametrize("group", [g for g in GROUPS if g != "none"])
def test_trained_model_logits_are_invariant_under_its_group(group, kernel, tmpdir_module):
    model = _trained(group, kernel, tmpdir_module)
    pts, nrm = _clouds()
    ref = _logits(model, pts, nrm)
    G = make_group(group)
    for R in G.samples(4, rng=1):  # the library's own sampler, not the experiment's
        out = _logits(model, pts @ R.T, nrm @ R.T)
        assert torch.allclose(out, ref, rtol=0, atol=1e-4 * float(ref.abs().max()))


def test_trained_unconstrained_model_is_not_rotation_invariant(tmpdir_module):
    # the negative control: with no symmetry, rotating the inputs changes the logits
    model = _trained("none", "implicit", tmpdir_module)
    pts, nrm = _clouds()
    ref = _logits(model, pts, nrm)
    R = group_elements("SO3", 1, rng=2)[0]
    out = _logits(model, pts @ R.T, nrm @ R.T)
    assert float((out - ref).abs().max()) > 1e-2 * float(ref.abs().max())


@pytest.mark.parametrize("kernel", ["implicit", "standard"])
def test_so2_model_is_not_invariant_under_tilts(kernel):
    # invariance is exactly G's: a rotation about x is outside SO(2) about z
    model = modelnet.build_model("SO2", kernel, 4, width=1, layers=2, n_radial=2)
    pts, nrm = _clouds()
    ref = _logits(model, pts, nrm)
    c, s = np.cos(0.7), np.sin(0.7)
    R = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    out = _logits(model, pts @ R.T, nrm @ R.T)
    assert float((out - ref).abs().max()) > 1e-3 * float(ref.abs().max())


@pytest.mark.parametrize("group", GROUPS)
def test_group_elements_belong_to_the_group(group):
    R = group_elements(group, 64, rng=0)
    assert np.allclose(R @ R.transpose(0, 2, 1), np.eye(3), atol=1e-12)
    det = np.linalg.det(R)
    if group in ("SO2", "O2"):
        assert np.allclose(R[:, :, 2], [0, 0, 1]) and np.allclose(R[:, 2, :], [0, 0, 1])
    if group in ("SO2", "SO3"):
        assert np.allclose(det, 1)
    if group in ("O2", "O3", "M"):
        assert (det < 0).any() and (det > 0).any()
    if group == "M":
        assert all(np.allclose(r, np.eye(3)) or np.allclose(r, np.diag([-1, 1, 1])) for r in R)
    if group == "none":
        assert np.allclose(R, np.eye(3))


@pytest.mark.parametrize("group", GROUPS)
def test_standard_arm_has_no_kernel_mlp(group):
    std = modelnet.build_model(group, "standard", 4, width=1, layers=2, n_radial=2)
    imp = modelnet.build_model(group, "implicit", 4, width=1, layers=2, n_radial=2)
    assert all(isinstance(c.kernel, SteerableBasisKernel) for c in std.convs)
    assert not any(isinstance(m, GatedMLP) for m in std.modules())
    assert all(any(isinstance(m, GatedMLP) for m in c.kernel.modules()) for c in imp.convs)
    # the same last layer W: the arms differ exactly by the kernel MLP
    for a, b in zip(std.convs, imp.convs):
        assert a.kernel.weight().shape == b.kernel.weight().shape


@pytest.mark.parametrize("group", ["SO2", "O2", "O3", "M"])
def test_steerable_basis_kernel_is_equivariant(group):
    from groupkit import Scalar, V

    G = make_group(group)
    rep_in, rep_out = Scalar + V(G), V(G) + 2 * Scalar
    k = SteerableBasisKernel(G, rep_in, rep_out, n_radial=3, length_scale=1.0,
                             dtype=torch.float64)
    x = torch.randn(7, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for g in G.samples(3, rng=0):
        gt = torch.as_tensor(g)
        ro, ri = (torch.as_tensor(r.rho(g)) for r in (rep_out, rep_in))
        with torch.no_grad():
            lhs, rhs = k(x @ gt.T), ro @ k(x) @ ri.T
        assert torch.allclose(lhs, rhs, atol=1e-10 * float(rhs.abs().max()))


@pytest.mark.parametrize("argv, message", [
    (["--group", "SO(3)"], None),
    (["--kernel", "analytic"], None),
    (["--group", "SO2", "--kernel", "standard", "--standard", "e3nn"], "SO3 and O3 only"),
    (["--standard", "e3nn"], "goes with --kernel standard"),
    (["--protocol", "paper"], "needs --data-dir"),
    (["--protocol", "paper", "--data-dir", "/nonexistent/modelnet"], "not a directory"),
    (["--data-dir", "/tmp"], "only with --protocol paper"),
    (["--epochs", "0"], "must be ≥ 1"),
    (["--points", "-3"], "must be ≥ 1"),
])
def test_bad_options_exit_with_a_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        modelnet.main(argv)
    if message is None:  # argparse: usage and exit status 2
        assert e.value.code == 2 and "invalid choice" in capsys.readouterr().err
    else:
        assert message in str(e.value.code)


@pytest.mark.parametrize("kw, message", [
    (dict(group="SO4"), "unknown group"),
    (dict(group="SO2", kernel="analytic"), "unknown kernel"),
    (dict(group="M", kernel="standard", standard="e3nn"), "SO3 and O3 only"),
])
def test_build_model_rejects_bad_options(kw, message):
    with pytest.raises(ValueError, match=message):
        modelnet.build_model(**kw)
