"""The N-body experiment (kernels.experiments.nbody): the command runs end to end and records a
valid run; trained models — the committed checkpoint and a freshly trained one — are E(3)- and
permutation-equivariant end to end; bad input is refused with a clear message."""

from pathlib import Path

import numpy as np
import pytest
import torch

from kernels.data.graphs import full_graph
from kernels.experiments import nbody
from kernels.records import FIELDS, read_runs

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS = ROOT / "bench" / "results" / "checkpoints"
COMMITTED = CHECKPOINTS / "nbody_groupkit_seed0.pt"  # the default model, default protocol
# the model of the defaults before screen6 (format-1 file: rebuilt with LEGACY_DEFAULTS)
LEGACY = CHECKPOINTS / "nbody_groupkit_legacy_seed0.pt"
PAPER = CHECKPOINTS / "nbody_groupkit_paper_seed0.pt"  # the default model, EGNN's protocol
TOL = 1e-4  # float32, relative to the largest output


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """One smoke run of the groupkit model through the command line: (record file, model file)."""
    tmp = tmp_path_factory.mktemp("nbody")
    results, saved = tmp / "runs.jsonl", tmp / "model.pt"
    assert nbody.main(["--model", "groupkit", "--protocol", "smoke", "--seed", "3",
                       "--results", str(results), "--save", str(saved),
                       "--out", str(tmp / "ckpt")]) == 0
    return results, saved


@pytest.fixture(scope="module")
def systems():
    """Ten test systems of the smoke data: positions, velocities, charges (float32)."""
    split = nbody.load_splits(nbody.PROTOCOLS["smoke"])["test"]
    pos, feats, _ = split.arrays()
    t = lambda a: torch.as_tensor(a[:10], dtype=torch.float32)  # noqa: E731
    return t(pos), t(feats[..., 1:]), t(feats[..., 0])


def _predict(model, pos, vel, q):
    """Predicted positions (S, n, 3) of S systems batched as one graph."""
    S, n, _ = pos.shape
    with torch.no_grad():
        out = model(pos.reshape(-1, 3), vel.reshape(-1, 3), q.reshape(-1), full_graph([n] * S))
    return out.reshape(S, n, 3)


def _random_o3(rng, improper: bool) -> torch.Tensor:
    Q, R = np.linalg.qr(rng.standard_normal((3, 3)))
    Q = Q * np.sign(np.diag(R))
    if (np.linalg.det(Q) < 0) != improper:
        Q = -Q  # -1 is in O(3) with det -1 in three dimensions
    return torch.as_tensor(Q, dtype=torch.float32)


def _model(smoke, which):
    return nbody.load_trained({"committed": COMMITTED, "legacy": LEGACY,
                               "paper": PAPER}.get(which, smoke[1]))


def test_smoke_run_writes_a_valid_record(smoke):
    (rec,) = read_runs(smoke[0])
    assert {k: rec[k] for k in ("task", "target", "model", "group", "protocol", "seed",
                                "metric")} == {
        "task": "nbody", "target": None, "model": "groupkit", "group": "O(3)",
        "protocol": "smoke", "seed": 3, "metric": "test_mse"}
    assert set(FIELDS) <= set(rec) and 0 < rec["value"] < 10 and rec["params"] > 0
    assert (smoke[0].parent / "ckpt" / "best.pt").exists()


def test_smoke_record_matches_the_saved_model(smoke, systems):
    # the recorded test MSE is that of the model written with --save
    (rec,) = read_runs(smoke[0])
    split = nbody.load_splits(nbody.PROTOCOLS["smoke"])["test"]
    assert nbody.evaluate(nbody.load_trained(smoke[1]), split) == pytest.approx(rec["value"],
                                                                               rel=1e-5)


@pytest.mark.parametrize("path", [COMMITTED, LEGACY, PAPER], ids=["committed", "legacy", "paper"])
def test_committed_checkpoint_is_small_and_trained(path):
    assert path.stat().st_size < 1_000_000
    blob = torch.load(path, map_location="cpu", weights_only=True)
    assert blob["model"] == "groupkit" and blob["info"]["test_mse"] < 0.05


@pytest.mark.parametrize("path", [COMMITTED, PAPER], ids=["committed", "paper"])
def test_committed_checkpoint_is_the_default_model(path):
    # the file stores its complete options; they are today's defaults
    blob = torch.load(path, map_location="cpu", weights_only=True)
    assert blob["format"] == 2 and blob["options"] == nbody.DEFAULTS["groupkit"]


def test_legacy_checkpoint_still_loads_as_the_old_model():
    # written before the defaults changed (no "format", options {}): rebuilt without the new
    # options (load_state_dict is strict, so a wrong architecture would fail to load)
    blob = torch.load(LEGACY, map_location="cpu", weights_only=True)
    assert "format" not in blob and blob["options"] == {}
    model = nbody.load_trained(LEGACY)
    assert model.moves is None and model.n_scalars == 0 and not model.node_charge


@pytest.mark.parametrize("which", ["committed", "legacy", "paper", "fresh"])
@pytest.mark.parametrize("improper", [False, True], ids=["rotation", "rotoreflection"])
def test_trained_model_is_e3_equivariant(smoke, systems, which, improper):
    model = _model(smoke, which)
    pos, vel, q = systems
    rng = np.random.default_rng(7 + improper)
    R = _random_o3(rng, improper)
    t = torch.as_tensor(rng.standard_normal(3), dtype=torch.float32)
    out = _predict(model, pos, vel, q)
    moved = _predict(model, pos @ R.T + t, vel @ R.T, q)
    err = (moved - (out @ R.T + t)).abs().max() / out.abs().max()
    assert err < TOL
    assert (out - pos).abs().max() > 1e-2  # it predicts motion: not trivially equivariant


@pytest.mark.parametrize("which", ["committed", "legacy", "paper", "fresh"])
def test_trained_model_is_permutation_equivariant(smoke, systems, which):
    model = _model(smoke, which)
    pos, vel, q = systems
    perm = torch.as_tensor(np.random.default_rng(1).permutation(pos.shape[1]))
    out = _predict(model, pos, vel, q)
    moved = _predict(model, pos[:, perm], vel[:, perm], q[:, perm])
    assert (moved - out[:, perm]).abs().max() / out.abs().max() < TOL


def test_the_equivariance_check_detects_a_non_equivariant_model(systems):
    # negative control: the plain GNN (positions as ordinary numbers) fails the same check
    torch.manual_seed(0)
    model = nbody.build_model("gnn", hidden=16, layers=2).eval()
    pos, vel, q = systems
    R = _random_o3(np.random.default_rng(7), False)
    out = _predict(model, pos, vel, q)
    assert (_predict(model, pos @ R.T, vel @ R.T, q) - out @ R.T).abs().max() / \
        out.abs().max() > 1e-2


@pytest.mark.parametrize("argv, message", [
    (["--model", "transformer"], "unknown model 'transformer'"),
    (["--model", "egnn", "--protocol", "huge"], "unknown protocol 'huge'"),
    (["--model", "egnn", "--epochs", "0"], "--epochs must be positive"),
    (["--model", "groupkit", "--options", "{width: 3"], "--options is not valid JSON"),
])
def test_bad_command_line_is_refused_clearly(argv, message):
    with pytest.raises(SystemExit, match=message):
        nbody.main(argv)


def test_build_model_rejects_unknown_names_and_groups():
    with pytest.raises(ValueError, match="unknown model 'mlp'"):
        nbody.build_model("mlp")
    with pytest.raises(ValueError, match="group must be one of"):
        nbody.build_model("groupkit", group="SU(2)")


@pytest.mark.parametrize("options", [
    {"node_charge": True, "centroid": True},
    {"position_updates": True},
    {"norm": True},
    {"node_scalars": True, "bound_node_scalars": True},
    {"node_charge": True, "centroid": True, "position_updates": True, "norm": True,
     "node_scalars": True, "bound_node_scalars": True, "group": "SO(3)"},
], ids=["node-inputs", "position-updates", "norm", "bounded-node-scalars", "all"])
def test_model_options_keep_e3_equivariance(systems, options):
    # every option of ImplicitDynamics, on a fresh (seeded) model: E(3)-equivariant end to end
    torch.manual_seed(0)
    model = nbody.build_model("groupkit", width=2, kernel_width=2, layers=3, **options).eval()
    pos, vel, q = systems
    improper = options.get("group") != "SO(3)"
    rng = np.random.default_rng(11)
    R = _random_o3(rng, improper)
    t = torch.as_tensor(rng.standard_normal(3), dtype=torch.float32)
    out = _predict(model, pos, vel, q)
    moved = _predict(model, pos @ R.T + t, vel @ R.T, q)
    assert (moved - (out @ R.T + t)).abs().max() / out.abs().max() < TOL
    perm = torch.as_tensor(rng.permutation(pos.shape[1]))
    permuted = _predict(model, pos[:, perm], vel[:, perm], q[:, perm])
    assert (permuted - out[:, perm]).abs().max() / out.abs().max() < TOL
    assert (out - pos).abs().max() > 1e-3  # the options change the output: not a no-op


def test_centroid_input_is_the_position_about_the_systems_centre():
    # on fully connected graphs the centroid of a node's neighbourhood is its system's centre
    model = nbody.ImplicitDynamics(width=2, kernel_width=2, layers=1, centroid=True)
    pos = torch.randn(8, 3)
    edge_index = full_graph([5, 3])
    got = model._node_input(pos, torch.zeros(8, 3), torch.ones(8), edge_index[0],
                            edge_index[1])[:, -3:]
    centre = torch.cat([pos[:5].mean(0).expand(5, 3), pos[5:].mean(0).expand(3, 3)])
    assert torch.allclose(got, pos - centre, atol=1e-6)
