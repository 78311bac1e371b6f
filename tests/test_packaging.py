"""Packaging basics: one version string, a license, typed, a console script, no bench imports."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

import groupkit

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = None


@pytest.fixture(scope="module")
def pyproject():
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.mark.parametrize("package", ["groupkit", "kernels"])
def test_installed_code_never_imports_bench(package):
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n == "bench" or n.startswith("bench.")]
    assert offenders == []


def test_one_version_string(pyproject):
    from groupkit._version import __version__

    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "groupkit._version.__version__"}
    assert groupkit.__version__ == __version__


def test_license_and_type_marker_ship(pyproject):
    assert pyproject["project"]["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert (ROOT / "groupkit" / "py.typed").exists()
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["groupkit"]


def test_console_script_points_at_the_cli(pyproject):
    target = pyproject["project"]["scripts"]["groupkit"]
    module, func = target.split(":")
    assert callable(getattr(importlib.import_module(module), func))
