"""The cache of solved bases: hits are identical and fast, damage is detected, logged and
recomputed, concurrent writers are safe, it can be switched off, and the CLI inspects it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import groupkit as gk
import groupkit._numeric
import groupkit._orbits
from groupkit.cache import cache_dir
from groupkit.testing import basis_error

import oracles as orc


REPO = Path(__file__).resolve().parents[1]


def _problems():
    so3, lor, s5 = gk.SO(3), gk.Lorentz(), gk.Z(5)
    return [
        (gk.V(so3) ** 2, gk.V(so3) ** 2, 3),       # numeric (pivot)
        # several pairs: Hom(V, V⊗V) = 0 (odd degree), Hom(V⊗V, V⊗V) = 3
        (2 * gk.V(lor) + gk.V(lor) ** 2, gk.V(lor) ** 2, 3),
        (gk.V(s5) ** 2, gk.V(s5) ** 2, 125),  # orbits (S(n) goes uncached)
    ]


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty disk cache in tmp_path and empty memory caches; yields the cache directory."""
    monkeypatch.setenv("GROUPKIT_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GROUPKIT_CACHE", raising=False)
    gk.clear_caches()
    yield cache_dir()
    gk.clear_caches()


@pytest.fixture
def no_recompute(monkeypatch):
    """Make any actual solve fail, so a passing solve must have come from the cache."""
    def refuse(*args, **kwargs):
        raise AssertionError("the basis was recomputed instead of loaded from the cache")

    def arm():
        monkeypatch.setattr(groupkit._numeric, "solve", refuse)
        monkeypatch.setattr(groupkit._orbits, "orbit_basis", refuse)
        monkeypatch.setattr(groupkit._orbits, "orbit_basis_of", refuse)  # the solver's path
    return arm


def _files(d: Path) -> list[Path]:
    return sorted(d.glob("*.npz")) if d.exists() else []


def _same_span(A, B) -> bool:
    if A.shape != B.shape:
        return False
    QA, _ = np.linalg.qr(A)
    return np.allclose(QA @ (QA.conj().T @ B), B, atol=1e-9)


@pytest.mark.parametrize("idx", range(len(_problems())))
def test_second_solve_is_a_memory_hit_with_an_identical_basis(fresh_cache, no_recompute, idx):
    rin, rout, dim = _problems()[idx]
    first = gk.equivariant_basis(rin, rout)
    assert first.shape[1] == dim
    no_recompute()
    t = time.perf_counter()
    second = gk.equivariant_basis(rin, rout)
    assert time.perf_counter() - t < 0.5  # the benchmark reports the real figure (< 10 ms)
    assert np.array_equal(first, second)


@pytest.mark.parametrize("idx", range(len(_problems())))
def test_disk_hit_after_memory_is_cleared_returns_an_identical_basis(fresh_cache, no_recompute,
                                                                     idx):
    rin, rout, _ = _problems()[idx]
    first = gk.equivariant_basis(rin, rout)
    assert len(_files(fresh_cache)) >= 1
    gk.clear_caches()
    no_recompute()
    t = time.perf_counter()
    second = gk.equivariant_basis(rin, rout)
    assert time.perf_counter() - t < 0.5
    assert np.array_equal(first, second)


def test_cache_files_load_without_pickle(fresh_cache):
    for rin, rout, _ in _problems():
        gk.solve(rin, rout)
    files = _files(fresh_cache)
    assert files
    for f in files:
        with np.load(f, allow_pickle=False) as z:
            assert all(z[name].dtype != object for name in z.files)


def _truncate(path: Path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path: Path):
    path.write_bytes(np.random.default_rng(0).bytes(path.stat().st_size))


def _flip_one_byte(path: Path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _empty(path: Path):
    path.write_bytes(b"")


@pytest.mark.parametrize("damage", [_truncate, _garbage, _flip_one_byte, _empty],
                         ids=["truncated", "garbage", "one-byte-flipped", "empty"])
def test_damaged_cache_file_is_detected_logged_and_recomputed(fresh_cache, caplog, damage):
    G = gk.SO(3)
    rin, rout = gk.V(G) ** 2, gk.V(G) ** 2
    gk.equivariant_basis(rin, rout)
    files = _files(fresh_cache)
    assert len(files) == 1
    damage(files[0])
    gk.clear_caches()
    with caplog.at_level(logging.WARNING, logger="groupkit.cache"):
        Q = gk.equivariant_basis(rin, rout)
    assert any("corrupt" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)
    # recomputed correctly, not loaded wrong
    assert Q.shape == (81, 3)
    assert basis_error(Q, rin, rout) <= 1e-8
    assert _same_span(Q, gk.equivariant_basis(rin, rout, cache=False))
    # and the file was rewritten whole: the next process-fresh solve loads it silently
    caplog.clear()
    gk.clear_caches()
    with caplog.at_level(logging.WARNING, logger="groupkit.cache"):
        again = gk.equivariant_basis(rin, rout)
    assert not caplog.records
    assert np.array_equal(again, Q)


def test_cache_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUPKIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("GROUPKIT_CACHE", "0")
    gk.clear_caches()
    for rin, rout, dim in _problems():
        assert gk.solve(rin, rout).dim == dim
    assert list(tmp_path.rglob("*")) == []
    assert gk.cache_info()["enabled"] is False
    gk.clear_caches()


def test_solve_without_cache_writes_nothing(fresh_cache):
    rin, rout, dim = _problems()[0]
    assert gk.solve(rin, rout, cache=False).dim == dim
    assert _files(fresh_cache) == []


_WORKER = """
import sys, time
from pathlib import Path
import groupkit as gk
from groupkit.testing import basis_error
ready, me, other = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
(ready / me).touch()
t = time.time()
while not (ready / other).exists() and time.time() - t < 60:  # start together
    time.sleep(0.005)
G, L, P = gk.SO(3), gk.Lorentz(), gk.S(6)
cases = [(gk.V(G) ** 2, gk.V(G) ** 2), (gk.V(G) ** 4, gk.Scalar),
         (gk.V(L) ** 2, gk.V(L) ** 2), (gk.V(P) ** 2, gk.V(P) ** 2)]
for rin, rout in cases:
    Q = gk.equivariant_basis(rin, rout)
    print(Q.shape[1], basis_error(Q, rin, rout) <= 1e-8)
"""


def test_two_processes_solving_the_same_problem_at_once(fresh_cache, tmp_path, no_recompute):
    ready = tmp_path / "ready"
    ready.mkdir()
    env = dict(os.environ, GROUPKIT_CACHE_DIR=str(fresh_cache.parent))
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(ready), me, other],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, cwd=REPO)
             for me, other in (("a", "b"), ("b", "a"))]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert out.split("\n")[:4] == ["3 True", "3 True", "3 True", "15 True"]
    # every file is whole, with no temporaries left behind, and loads as the right basis
    assert not list(fresh_cache.glob("*.tmp")) and not list(fresh_cache.glob(".*"))
    expected = {}
    G, L, P = gk.SO(3), gk.Lorentz(), gk.S(6)
    cases = [(gk.V(G) ** 2, gk.V(G) ** 2), (gk.V(G) ** 4, gk.Scalar),
             (gk.V(L) ** 2, gk.V(L) ** 2), (gk.V(P) ** 2, gk.V(P) ** 2)]
    for i, (rin, rout) in enumerate(cases):
        expected[i] = gk.equivariant_basis(rin, rout, cache=False)
    gk.clear_caches()
    no_recompute()
    for i, (rin, rout) in enumerate(cases):
        Q = gk.equivariant_basis(rin, rout)
        assert _same_span(Q, expected[i])


def test_cache_written_by_one_process_is_hit_by_another(fresh_cache):
    # Stable keys: a fresh process (another hash salt) finds this process's files.
    G = gk.SO(3)
    gk.equivariant_basis(gk.V(G) ** 3, gk.V(G) ** 2)
    n_files = len(_files(fresh_cache))
    code = ("import groupkit as gk, groupkit._numeric as n\n"
            "def refuse(*a, **k): raise SystemExit('recomputed')\n"
            "n.solve = refuse\n"
            "G = gk.SO(3)\n"
            "print(gk.solve(gk.V(G) ** 3, gk.V(G) ** 2).dim)\n")
    env = dict(os.environ, GROUPKIT_CACHE_DIR=str(fresh_cache.parent), PYTHONHASHSEED="999")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(orc.riordan(5))  # Hom(V⊗³, V⊗²) ≅ (V⊗⁵)^SO(3)
    assert len(_files(fresh_cache)) == n_files


def _cli(*args, env):
    return subprocess.run([sys.executable, "-m", "groupkit", "cache", *args],
                          capture_output=True, text=True, env=env, cwd=REPO)


def test_cli_reports_and_clears_the_cache(fresh_cache):
    for rin, rout, _ in _problems():
        gk.solve(rin, rout)
    n = len(_files(fresh_cache))
    assert n >= 3
    env = dict(os.environ, GROUPKIT_CACHE_DIR=str(fresh_cache.parent))
    info = _cli("info", env=env)
    assert info.returncode == 0, info.stderr
    data = json.loads(info.stdout)
    assert data["entries"] == n
    assert Path(data["directory"]) == fresh_cache
    assert data["bytes"] == sum(f.stat().st_size for f in _files(fresh_cache))
    cleared = _cli("clear", env=env)
    assert cleared.returncode == 0, cleared.stderr
    assert str(n) in cleared.stdout
    assert _files(fresh_cache) == []
    assert json.loads(_cli("info", env=env).stdout)["entries"] == 0


def test_cli_rejects_an_unknown_action(capsys):
    from groupkit.__main__ import main

    with pytest.raises(SystemExit) as info:
        main(["cache", "explode"])
    assert info.value.code != 0
    assert "invalid choice" in capsys.readouterr().err


def test_valid_file_of_another_entry_is_not_loaded(fresh_cache, caplog):
    # SO(3) and O(3) on V⊗V⊗V → 1 have Hom spaces of the same size (27) but different bases
    # (ε is SO(3)-invariant only). A whole file copied over another entry must not be trusted.
    a, b = gk.V(gk.SO(3)) ** 3, gk.V(gk.O(3)) ** 3
    gk.solve(a, gk.Scalar)
    (file_a,) = _files(fresh_cache)
    gk.solve(b, gk.Scalar)
    (file_b,) = set(_files(fresh_cache)) - {file_a}
    file_b.write_bytes(file_a.read_bytes())
    gk.clear_caches()
    with caplog.at_level(logging.WARNING, logger="groupkit.cache"):
        assert gk.solve(b, gk.Scalar).dim == 0
    assert any("another entry" in r.getMessage() for r in caplog.records)
