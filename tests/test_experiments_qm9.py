"""The QM9 experiment (python -m kernels.experiments qm9): end-to-end smoke runs on a fixture in
qm9pack's CSV format (no qm9pack needed), invariance of *trained* models, clear errors."""

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from kernels.data.graphs import GraphCollate
from kernels.experiments import qm9
from kernels.records import read_runs

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "bench" / "results" / "checkpoints" / "qm9_groupkit_seed0.pt"

HEADER = ("XYZ_file,Index,SMILES,InChi,N_atoms,Stoichiometry,Elements,XYZ_Ang,Mulliken_pop,"
          "Harmonic_Freq_cmi,RotA_GHz,RotB_GHz,RotC_GHz,Dipole_debye,Polarizability_bohr3,"
          "HOMO_au,LUMO_au,HOMO_LUMO_gap_au,R2_bohr2,ZPVE_au,InternalEnergy_0K_au,"
          "InternalEnergy_298K_au,Enthalphy_298K_au,GibbsFreeEnergy_298K_au,"
          "Heatcapacity_Cv_cal_mol_K").split(",")
ELEMENTS = "HCNOF"


def _random_molecules(n, seed=0):
    """n random molecules (3–9 atoms, atoms ≥ 0.9 Å apart) with random properties."""
    rng = np.random.default_rng(seed)
    out = []
    for index in range(1, n + 1):
        k = int(rng.integers(3, 10))
        pos = [rng.normal(size=3)]
        while len(pos) < k:  # grow a blob: each atom 1–1.6 Å from a previous one
            p = pos[rng.integers(len(pos))] + rng.normal(size=3) * 0.8
            if min(np.linalg.norm(p - q) for q in pos) > 0.9:
                pos.append(p)
        elements = [ELEMENTS[i] for i in rng.choice(5, size=k, p=[0.5, 0.3, 0.1, 0.07, 0.03])]
        props = list(rng.normal(size=15))
        props[5] = -0.25 + 0.02 * rng.normal()  # HOMO, Ha
        out.append((index, elements, np.array(pos), props))
    return out


def write_fixture(path, n=40, seed=0):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for index, elements, pos, props in _random_molecules(n, seed):
            counts = [elements.count(e) for e in ELEMENTS]
            xyz = "[" + ",".join("[" + ",".join(repr(float(v)) for v in p) + "]"
                                 for p in pos) + "]"
            w.writerow([f"dsgdb9nsd_{index:06d}.xyz", str(index), "C", "InChI=1S/x",
                        str(len(elements)), "[" + ",".join(map(str, counts)) + "]",
                        "[" + ",".join(f"'{e}'" for e in elements) + "]", xyz, "[0]", "[1]"]
                       + [repr(float(v)) for v in props])
    return path


@pytest.fixture(scope="module")
def fixture_csv(tmp_path_factory):
    return write_fixture(tmp_path_factory.mktemp("qm9") / "qm9_fixture.csv")


def _smoke(fixture_csv, tmp, model, *extra):
    results = tmp / "runs.jsonl"
    qm9.main(["--model", model, "--protocol", "smoke", "--data", str(fixture_csv),
              "--results", str(results), "--save", str(tmp / f"{model}.pt"), *extra])
    return read_runs(results), tmp / f"{model}.pt"


@pytest.fixture(scope="module")
def trained(fixture_csv, tmp_path_factory):
    """groupkit's model, smoke-trained (O(3) and SO(3)), loaded back from its saved file."""
    out = {}
    for group in ("O(3)", "SO(3)"):
        tmp = tmp_path_factory.mktemp(group.replace("(", "").replace(")", ""))
        _, path = _smoke(fixture_csv, tmp, "groupkit", "--group", group)
        out[group] = qm9.load_model(path)[0]
    return out


# ------------------------------------------------------------------------------ smoke runs
@pytest.mark.parametrize("model", ["groupkit", "e3nn", "egnn", "gnn"])
def test_smoke_run_writes_one_valid_record(fixture_csv, tmp_path, model):
    if model == "e3nn":
        pytest.importorskip("e3nn")
    runs, saved = _smoke(fixture_csv, tmp_path, model)
    assert len(runs) == 1
    r = runs[0]
    assert (r["task"], r["target"], r["model"], r["protocol"], r["metric"]) == \
        ("qm9", "homo", model, "smoke", "test_mae_mev")
    assert r["group"] == qm9.model_group(model)
    assert math.isfinite(r["value"]) and r["value"] > 0
    assert (r["n_train"], r["n_valid"], r["n_test"]) == (24, 4, 4)  # of 32 / 4 / 4
    loaded, info = qm9.load_model(saved)
    assert sum(p.numel() for p in loaded.parameters()) == r["params"]
    assert info["record"]["value"] == r["value"]


def test_overridden_budget_is_not_recorded_as_the_protocol(fixture_csv, tmp_path):
    runs, _ = _smoke(fixture_csv, tmp_path, "gnn", "--n-train", "16")
    assert runs[0]["protocol"] == "smoke-custom" and runs[0]["n_train"] == 16


@pytest.mark.parametrize("flags", [("--edge", "bond"), ("--cutoff", "4.0")])
def test_changed_kernel_settings_are_not_recorded_as_the_protocol(fixture_csv, tmp_path,
                                                                   flags):
    runs, _ = _smoke(fixture_csv, tmp_path, "groupkit", *flags)
    assert runs[0]["protocol"] == "smoke-custom"


def test_normalisation_uses_training_targets_only(fixture_csv, tmp_path):
    from kernels.data.qm9 import read_qm9_csv

    _, saved = _smoke(fixture_csv, tmp_path, "gnn")
    model, info = qm9.load_model(saved)
    mols = qm9._splits(read_qm9_csv([fixture_csv], cache=False))["train"]
    y = mols.target("homo")[:info["record"]["n_train"]]
    assert float(model.y_mean) == pytest.approx(y.mean(), rel=1e-6)
    assert float(model.y_std) == pytest.approx(y.std(), rel=1e-6)


# ------------------------------------------------------------------------------ invariance
def _orthogonal(rng, reflect):
    Q, R = np.linalg.qr(rng.normal(size=(3, 3)))
    Q = Q * np.sign(np.diag(R))
    if (np.linalg.det(Q) < 0) != reflect:
        Q[:, 0] = -Q[:, 0]
    return Q


def _batch(samples, cutoff=5.0):
    return GraphCollate(("radius", cutoff))(
        [(torch.tensor(p, dtype=torch.float32), torch.tensor(x, dtype=torch.float32),
          torch.zeros(1)) for p, x in samples])


def _molecules(seed=1, n=6):
    eye = np.eye(5)
    return [(pos, eye[[ELEMENTS.index(e) for e in els]])
            for _, els, pos, _ in _random_molecules(n, seed)]


def _transformed(samples, rng, *, reflect):
    Q, t = _orthogonal(rng, reflect), rng.normal(size=3) * 3
    out = []
    for pos, x in samples:
        perm = rng.permutation(len(pos))
        out.append(((pos @ Q.T + t)[perm], x[perm]))
    return out


def _check_invariant(model, *, reflect, seed=0):
    rng = np.random.default_rng(seed)
    samples = _molecules()
    with torch.no_grad():
        ref = model.normalised(_batch(samples))
        for _ in range(3):
            out = model.normalised(_batch(_transformed(samples, rng, reflect=reflect)))
            torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4 * float(ref.abs().max()))
            meV = model(_batch(_transformed(samples, rng, reflect=reflect)))
            torch.testing.assert_close(meV, model(_batch(samples)), rtol=1e-4, atol=0.0)


@pytest.mark.parametrize("reflect", [False, True])
def test_trained_O3_model_is_invariant_under_E3_and_atom_permutations(trained, reflect):
    _check_invariant(trained["O(3)"], reflect=reflect)


def test_trained_SO3_model_is_invariant_under_rotations_and_permutations(trained):
    _check_invariant(trained["SO(3)"], reflect=False)


def test_invariance_check_fails_for_a_non_equivariant_model(fixture_csv, tmp_path):
    """The oracle can fail: the plain GNN sees raw coordinates, so rotations change it."""
    _, saved = _smoke(fixture_csv, tmp_path, "gnn")
    model = qm9.load_model(saved)[0]
    samples = _molecules()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        a = model.normalised(GraphCollate("full")(
            [(torch.tensor(p, dtype=torch.float32), torch.tensor(x, dtype=torch.float32),
              torch.zeros(1)) for p, x in samples]))
        b = model.normalised(GraphCollate("full")(
            [(torch.tensor(p, dtype=torch.float32), torch.tensor(x, dtype=torch.float32),
              torch.zeros(1)) for p, x in _transformed(samples, rng, reflect=False)]))
    assert (a - b).abs().max() > 1e-3


@pytest.mark.parametrize("reflect", [False, True])
def test_committed_checkpoint_is_invariant(reflect):
    if not COMMITTED.exists():
        pytest.skip(f"no committed checkpoint at {COMMITTED}")
    model, info = qm9.load_model(COMMITTED)
    assert info["record"]["model"] == "groupkit"
    _check_invariant(model, reflect=reflect and info["record"]["group"] == "O(3)")


def test_committed_checkpoint_is_small():
    if not COMMITTED.exists():
        pytest.skip(f"no committed checkpoint at {COMMITTED}")
    assert COMMITTED.stat().st_size < 2 * 2 ** 20


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("argv, match", [
    (["--model", "schnet"], "invalid choice: 'schnet'"),
    (["--protocol", "week"], "invalid choice: 'week'"),
    (["--target", "HOMO"], "invalid choice: 'HOMO'"),
    (["--n-train", "0"], "--n-train must be a positive integer"),
    (["--lr", "-1"], "--lr must be positive"),
    (["--resume"], "--resume needs --out"),
    (["--model", "egnn", "--group", "SO(3)"], "--group applies to the groupkit model only"),
])
def test_bad_options_exit_with_a_clear_message(argv, match, capsys):
    with pytest.raises(SystemExit) as e:
        qm9.main(argv)
    assert e.value.code == 2
    assert match in capsys.readouterr().err


def test_more_training_molecules_than_the_split_holds_is_refused(fixture_csv, tmp_path):
    with pytest.raises(ValueError, match="--n-train 1000 exceeds the 32 molecules"):
        qm9.main(["--protocol", "smoke", "--data", str(fixture_csv), "--n-train", "1000",
                  "--results", str(tmp_path / "r.jsonl")])
    assert not (tmp_path / "r.jsonl").exists()


def test_missing_data_path_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        qm9.main(["--protocol", "smoke", "--data", str(tmp_path / "nope.csv")])


def test_build_model_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown model 'schnet'"):
        qm9.build_model("schnet")
    with pytest.raises(ValueError, match="unknown size 'huge'"):
        qm9.build_model("egnn", size="huge")


def test_load_model_rejects_other_files(tmp_path):
    torch.save({"weights": 1}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a QM9 model file"):
        qm9.load_model(tmp_path / "x.pt")


@pytest.mark.parametrize("model", ["groupkit", "egnn"])
def test_calibration_gives_unit_scale_outputs_at_the_start(model):
    torch.manual_seed(0)
    m = qm9.build_model(model, size="tiny")
    batch = _batch(_molecules(seed=2, n=12))
    m.calibrate(batch)
    with torch.no_grad():
        out = m.normalised(batch)
    assert abs(float(out.mean())) < 1e-4 and float(out.std()) == pytest.approx(1.0, rel=1e-4)


@pytest.mark.parametrize("model", ["groupkit", "egnn"])
def test_reported_validation_mae_is_what_training_selected_on(fixture_csv, tmp_path, model):
    """The reported figure (model(batch) in meV) agrees with the trainer's own validation loss
    (L1 on the normalised scale) times the target's std: prediction and training use one map."""
    runs, saved = _smoke(fixture_csv, tmp_path, model)
    m = qm9.load_model(saved)[0]
    assert runs[0]["val_mae"] == pytest.approx(runs[0]["best_val_l1"] * float(m.y_std),
                                               rel=1e-4)


def test_prediction_is_the_denormalised_network_output():
    torch.manual_seed(0)
    m = qm9.build_model("gnn", size="tiny", y_mean=-6500.0, y_std=600.0)
    batch = _batch(_molecules(seed=3, n=5))
    m.calibrate(batch)
    with torch.no_grad():
        torch.testing.assert_close(m(batch), -6500.0 + 600.0 * m.normalised(batch))
