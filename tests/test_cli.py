"""The command line: every command, and one clear line with exit code 2 for malformed input."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from groupkit.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_groups_lists_the_library(capsys):
    code, out, _ = run(capsys, "groups")
    assert code == 0
    for name in ("SO(n)", "Lorentz", "RubiksCube", "PSL(n, q)", "Q8"):
        assert name in out


def test_solve_numeric(capsys):
    code, out, _ = run(capsys, "solve", "S(4)", "V**2", "V**2")
    assert code == 0 and "dimension 15" in out and "residual" in out


def test_solve_exact_prints_the_cross_product(capsys):
    code, out, _ = run(capsys, "solve", "SO(3)", "V**2", "V", "--exact")
    assert code == 0 and "dimension 1 (exact" in out and "W_1 =" in out and "-1" in out


def test_solve_exact_latex(capsys):
    code, out, _ = run(capsys, "solve", "SO(3)", "V", "V", "--exact", "--latex")
    assert code == 0
    assert out.strip() == (r"$W_{1} = \begin{bmatrix}1 & 0 & 0\\0 & 1 & 0\\0 & 0 & 1"
                           r"\end{bmatrix}$")


@pytest.mark.parametrize("exact", [["--exact"], []])
def test_solve_latex_prints_at_most_limit_maps(capsys, exact):
    code, out, _ = run(capsys, "solve", "SO(3)", "V**2", "V**2", *exact, "--latex",
                       "--limit", "1")
    assert code == 0 and "W_{1}" in out and "W_{2}" not in out and "(\\text{3 maps})" in out


def test_solve_numeric_latex(capsys):
    code, out, _ = run(capsys, "solve", "O(1,3)", "V", "V", "--latex")
    assert code == 0 and r"\mathrm{Hom}_G" in out and "= 1$" in out


def test_decompose(capsys):
    code, out, _ = run(capsys, "decompose", "SO(3)", "V**2")
    assert code == 0 and "V⊗V ≅ 1 ⊕ 3 ⊕ 5" in out and "multiplicity 1, real" in out


def test_decompose_latex(capsys):
    code, out, _ = run(capsys, "decompose", "SO(3)", "Sym(V, 3)", "--latex")
    assert code == 0 and out.startswith("$") and r"\mathbf{7}" in out


def test_characters(capsys):
    code, out, _ = run(capsys, "characters", "PSL(2, 7)")
    assert code == 0 and "order 168" in out and "sqrt(7)*I" in out


def test_characters_latex(capsys):
    code, out, _ = run(capsys, "characters", "D(4)", "--latex")
    assert code == 0 and r"\begin{array}" in out


def test_cache_info(capsys):
    code, out, _ = run(capsys, "cache", "info")
    assert code == 0 and '"entries"' in out


def test_bench(capsys):
    code, out, _ = run(capsys, "bench", "--repeats", "1")
    assert code == 0 and "S(6)" in out and "ms" in out


def test_demo(capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "Bell number" in out


@pytest.mark.parametrize("argv,message", [
    (("solve", "SO(-1)", "V", "V"), "n must be an integer ≥ 1"),
    (("solve", "SO(3)", "V**x", "V"), "unknown name 'x'"),
    (("solve", "SO(3)", "V**2.5", "V"), "only integers"),
    (("solve", "SO(3)", "V**-1", "V"), "negative"),
    (("solve", "Foo(3)", "V", "V"), "unknown group 'Foo'"),
    (("solve", "SO(3)", "W", "V"), "unknown name 'W'"),
    (("solve", "SO(3, 4)", "V", "V"), "SO takes (n); got 2"),
    (("solve", "SO(n)", "V", "V"), "arguments must be integers"),
    (("solve", "SO(3)", "V+", "V"), "cannot parse"),
    (("solve", "SO(3)", "", "V"), "empty REP"),
    (("solve", "SO(3)", '__import__("os")', "V"), "unknown function '__import__'"),
    (("solve", "SO(3)", "V.__class__", "V"), "not a representation expression"),
    (("solve", "SO(3)", "V - V", "V"), "not one of"),
    (("solve", "SO(3)", "2 + 3", "V"), "is a number"),
    (("solve", "SO(3)", "Sym(V)", "V"), "Sym takes (R, k)"),
    (("solve", "SO(3)", "Alt(V, 4)", "V"), "zero representation"),
    (("solve", "SO(3)", "V >> 2", "V"), "two representations"),
    (("solve", "SO(3)", "lambda: 0", "V"), "not a representation expression"),
    (("solve", "S(4)", "V", "V", "--exact"), None),  # fine: exact orbit basis
    (("solve", "Icosahedral", "V", "V", "--exact"), "not a rational number"),
    (("decompose", "SO(3)", "0"), "not a representation"),
    (("decompose", "SO(3)*", "V"), "cannot parse the GROUP"),
    (("characters", "SO(3)"), "infinite"),
    (("characters", "PSL(2, 6)"), "needs a prime q"),
    (("characters", "S(4) + S(3)"), "not a group expression"),
])
def test_malformed_input_gets_one_clear_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    if message is None:
        assert code == 0 and err == ""
        return
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert lines[0].startswith(f"groupkit {argv[0]}: error:")


def test_unknown_command_exits_non_zero(capsys):
    with pytest.raises(SystemExit) as info:
        main(["explode"])
    assert info.value.code == 2


def test_python_dash_m_runs_the_cli():
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    p = subprocess.run([sys.executable, "-m", "groupkit", "decompose", "S(4)", "V"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0 and "V ≅ 1 ⊕ 3" in p.stdout
    p = subprocess.run([sys.executable, "-m", "groupkit", "solve", "SO(-1)", "V", "V"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
