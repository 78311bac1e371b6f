"""Charged N-body data: the physics of the simulator, EGNN's file format, the disk cache."""

import numpy as np
import pytest

from kernels.data import DataFormatError
from kernels.data.nbody import (EGNN_SUFFIX, charged_forces, charged_nbody, initial_conditions,
                                load_egnn_nbody, save_egnn_nbody, simulate_charged)


def _energy(x, v, q):
    """½Σ|v|² + Σ_{i<j} q_i q_j / r_ij for one system."""
    kin = 0.5 * (v * v).sum()
    iu = np.triu_indices(len(q), 1)
    r = np.linalg.norm(x[:, None] - x[None], axis=-1)[iu]
    return kin + (np.outer(q, q)[iu] / r).sum()


def test_two_body_force_is_coulomb_like():
    x = np.array([[[0.0, 0.0, 0.0], [0.0, 3.0, 0.0]]])
    q = np.array([1.0, -1.0])
    F = charged_forces(x, np.outer(q, q)[None])[0]
    np.testing.assert_allclose(F, [[0, 1 / 9, 0], [0, -1 / 9, 0]], rtol=1e-14)


def test_forces_are_clipped_per_component():
    x = np.array([[[0.0, 0.0, 0.0], [0.01, 0.0, 0.0]]])
    F = charged_forces(x, np.ones((1, 2, 2)), max_force=100.0)[0]
    assert F[0, 0] == -100.0 and F[1, 0] == 100.0


def test_momentum_is_conserved_without_clipping():
    x0, v0, q = initial_conditions(4, rng=1)
    x0 = 4.0 * x0  # spread out: forces stay far below the clip
    loc, vel = simulate_charged(x0, v0, q, steps=1000, sample_every=100)
    expected = np.broadcast_to(v0.sum(1)[:, None, :], (4, 9, 3))
    np.testing.assert_allclose(vel.sum(axis=2), expected, atol=1e-12)


def test_energy_is_nearly_conserved_away_from_close_encounters():
    # (at close encounters the force clip, as in EGNN's generator, breaks conservation)
    x0, v0, q = initial_conditions(6, rng=2)
    x0 = 4.0 * x0
    loc, vel = simulate_charged(x0, v0, q, steps=2000, sample_every=100)
    for s in range(6):
        e0 = _energy(x0[s], v0[s], q[s])
        e1 = _energy(loc[s, -1], vel[s, -1], q[s])
        assert abs(e1 - e0) < 1e-4 * max(1.0, abs(e0))


def test_frame_k_holds_step_k_plus_one_times_sample_every():
    x0, v0, q = initial_conditions(2, rng=3)
    a, _ = simulate_charged(x0, v0, q, steps=200, sample_every=100)   # frame 0: step 100
    b, _ = simulate_charged(x0, v0, q, steps=300, sample_every=50)    # frame 1: step 100
    np.testing.assert_array_equal(a[:, 0], b[:, 1])


@pytest.mark.parametrize("draw", ["fast", "egnn"])
def test_initial_conditions_follow_the_protocol(draw):
    x, v, q = initial_conditions(50, rng=4, draw=draw)
    assert x.shape == v.shape == (50, 5, 3) and q.shape == (50, 5)
    np.testing.assert_allclose(np.linalg.norm(v, axis=2), 0.5, rtol=1e-12)
    assert set(np.unique(q)) == {-1.0, 1.0}
    assert 0.8 < x.std() < 1.2


def test_egnn_draws_are_one_stream_system_by_system():
    a = initial_conditions(5, rng=43, draw="egnn")
    b = initial_conditions(2, rng=43, draw="egnn")
    for u, w in zip(a, b):
        np.testing.assert_array_equal(u[:2], w)


def test_charged_nbody_splits_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUPKIT_DATA_DIR", str(tmp_path))
    kw = dict(n_train=3, n_valid=2, n_test=2, pool_train=4, steps=4200)
    s = charged_nbody(**kw)
    assert [len(s[k]) for k in ("train", "valid", "test")] == [3, 2, 2]
    pos, feats, target = s["train"].sample(0)
    assert pos.shape == target.shape == (5, 3) and feats.shape == (5, 4)
    files = list(tmp_path.glob("nbody-*.npz"))
    assert len(files) == 1
    files[0].write_bytes(b"truncated")  # a corrupt cache file is regenerated, not used
    again = charged_nbody(**kw)
    np.testing.assert_array_equal(again["test"].loc, s["test"].loc)


def test_charged_nbody_writes_nothing_when_the_cache_is_off(tmp_path, monkeypatch):
    monkeypatch.delenv("GROUPKIT_DATA_DIR", raising=False)
    monkeypatch.setenv("GROUPKIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("GROUPKIT_CACHE", "0")
    s = charged_nbody(n_train=2, n_valid=1, n_test=1, pool_train=2, steps=4200)
    assert len(s["train"]) == 2 and not list(tmp_path.rglob("*"))


def test_charged_nbody_survives_an_unwritable_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("GROUPKIT_DATA_DIR", str(blocker / "data"))  # mkdir must fail
    s = charged_nbody(n_train=2, n_valid=1, n_test=1, pool_train=2, steps=4200)
    assert len(s["test"]) == 1 and blocker.read_text() == "not a directory"


def _splits():
    x0, v0, q = initial_conditions(3, rng=5)
    loc, vel = simulate_charged(x0, v0, q, steps=4200, sample_every=100)
    from kernels.data import NBodySplit
    return {k: NBodySplit(loc, vel, q) for k in ("train", "valid", "test")}


def test_egnn_files_round_trip_with_their_names(tmp_path):
    s = _splits()
    save_egnn_nbody(tmp_path, s)
    assert (tmp_path / f"loc_train{EGNN_SUFFIX}.npy").exists()
    assert np.load(tmp_path / f"loc_valid{EGNN_SUFFIX}.npy").shape == (3, 41, 3, 5)
    back = load_egnn_nbody(tmp_path, max_train=2)
    assert len(back["train"]) == 2 and len(back["test"]) == 3
    np.testing.assert_array_equal(back["test"].arrays()[2], s["test"].arrays()[2])


@pytest.mark.parametrize("damage, name", [
    (lambda a: a["loc"][:, :, :2], "loc"),
    (lambda a: np.where(np.arange(a["vel"].size).reshape(a["vel"].shape) == 7, np.nan,
                        a["vel"]), "vel"),
    (lambda a: a["charges"] * 2, "charges"),
    (lambda a: -a["edges"], "edges"),
])
def test_egnn_loader_rejects_malformed_files_naming_them(tmp_path, damage, name):
    save_egnn_nbody(tmp_path, _splits())
    path = tmp_path / f"{name}_valid{EGNN_SUFFIX}.npy"
    arrays = {k: np.load(tmp_path / f"{k}_valid{EGNN_SUFFIX}.npy")
              for k in ("loc", "vel", "charges", "edges")}
    np.save(path, damage(arrays))
    with pytest.raises(DataFormatError, match=path.name):
        load_egnn_nbody(tmp_path)


def test_egnn_loader_names_a_missing_file(tmp_path):
    save_egnn_nbody(tmp_path, _splits())
    (tmp_path / f"vel_test{EGNN_SUFFIX}.npy").unlink()
    with pytest.raises(FileNotFoundError, match="vel_test"):
        load_egnn_nbody(tmp_path)
