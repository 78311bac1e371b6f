"""Shared pytest fixtures: deterministic seeding and optional-dependency skips."""

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
