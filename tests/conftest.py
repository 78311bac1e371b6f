"""Shared pytest fixtures: deterministic seeding, an isolated cache, optional-dependency skips."""

import contextlib
import random

import numpy as np
import pytest

try:  # torch is an optional extra
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

SEED = 0


@pytest.fixture(autouse=True)
def _seed_everything():
    """Seed python `random`, numpy's legacy global RNG and torch before every test."""
    random.seed(SEED)
    np.random.seed(SEED)
    if torch is not None:
        torch.manual_seed(SEED)
    yield


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Point the disk cache at one fresh directory for the whole session, so tests neither read
    stale bases from the user's cache nor write into it. Memory caches are kept across tests
    (they only hold what this process solved); tests of the cache itself clear them."""
    mp = pytest.MonkeyPatch()
    mp.setenv("GROUPKIT_CACHE_DIR", str(tmp_path_factory.mktemp("groupkit-cache")))
    mp.delenv("GROUPKIT_CACHE", raising=False)
    with _one_blas_thread():
        yield
    mp.undo()


def _one_blas_thread():
    """One BLAS thread while the many small solves run: on a shared 2-core machine, threaded
    BLAS on tiny matrices is 10-100× slower under load (oversubscription)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: only a speed-up
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


@pytest.fixture
def rng():
    """A fresh, seeded numpy Generator."""
    return np.random.default_rng(SEED)


def pytest_runtest_setup(item):
    """Skip tests marked `emlp` / `torch` when the optional dependency is missing."""
    if item.get_closest_marker("emlp") is not None:
        try:  # like pytest.importorskip, but any ImportError (not only missing module)
            import emlp  # noqa: F401
        except ImportError as exc:
            pytest.skip(f"emlp extra not importable: {exc}")
    if item.get_closest_marker("torch") is not None and torch is None:
        pytest.skip("torch is not installed")
