"""The teaching standard, enforced: every public name has a runnable example, and every notebook
is a lesson (≥ 800 words of prose, ≥ 2 exercises checked by the notebook, figures it made itself,
stored with its outputs)."""

import doctest
import importlib
import inspect
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PUBLIC_MODULES = ["groupkit", "groupkit.nn", "kernels", "groupkit.plot", "groupkit.testing",
                  "groupkit.datasets", "groupkit.exact", "groupkit.cache", "groupkit.finite",
                  "groupkit.decompose", "groupkit.clebsch"]

MIN_WORDS = 800
MIN_EXERCISES = 2


def _public_names():
    for modname in PUBLIC_MODULES:
        try:
            mod = importlib.import_module(modname)
        except ImportError:  # an optional extra (torch for groupkit.nn and kernels) is missing
            continue
        for name in mod.__all__:
            yield modname, name, getattr(mod, name)


def _has_example(obj) -> bool:
    doc = obj.__doc__ if not inspect.isclass(obj) else inspect.getdoc(obj)
    if doc is None and not inspect.isclass(obj) and not callable(obj):
        doc = type(obj).__doc__  # an instance such as Scalar: its class documents it
    return bool(doc) and bool(doctest.DocTestParser().get_examples(doc))


@pytest.mark.parametrize("modname,name,obj",
                         [pytest.param(*t, id=f"{t[0]}.{t[1]}") for t in _public_names()])
def test_public_name_has_a_runnable_example(modname, name, obj):
    if isinstance(obj, (str, int, float, tuple, dict)):
        pytest.skip("a constant")
    assert _has_example(obj), (f"{modname}.{name} has no doctest example (>>> …) in its "
                               "docstring; add a short one that prints integers, shapes or reprs")


def _cells(path, kind):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == kind]


def _source(cell) -> str:
    s = cell["source"]
    return s if isinstance(s, str) else "".join(s)


def prose_words(path) -> int:
    """Words of explanation: markdown outside code blocks and maths, counted as runs of letters."""
    n = 0
    for cell in _cells(path, "markdown"):
        text = re.sub(r"```.*?```", " ", _source(cell), flags=re.S)
        text = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", " ", text, flags=re.S)
        n += len(re.findall(r"[A-Za-z][A-Za-z'’-]*", text))
    return n


_EXERCISE = re.compile(r"^#+\s*Exercise\b", re.M)


def exercises(path) -> tuple[int, int]:
    """(exercise headings in markdown, code cells that check an answer with assert)."""
    n_ex = sum(len(_EXERCISE.findall(_source(c))) for c in _cells(path, "markdown"))
    n_checks = sum(bool(re.search(r"^\s*assert\b", _source(c), re.M))
                   for c in _cells(path, "code"))
    return n_ex, n_checks


def test_there_are_six_lessons():
    assert len(NOTEBOOKS) >= 6, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_enough_prose(path):
    assert prose_words(path) >= MIN_WORDS, f"{path.name}: {prose_words(path)} words of prose"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_checked_exercises(path):
    n_ex, n_checks = exercises(path)
    assert n_ex >= MIN_EXERCISES, f"{path.name}: {n_ex} exercises"
    assert n_checks >= n_ex, f"{path.name}: {n_ex} exercises but {n_checks} checking cells"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_with_outputs_and_figures(path):
    code = _cells(path, "code")
    assert code and all(c.get("execution_count") for c in code), \
        f"{path.name}: not stored executed (run `make notebooks`)"
    images = sum("image/png" in o.get("data", {}) for c in code for o in c.get("outputs", []))
    assert images >= 1, f"{path.name}: no figure among its outputs"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name}: stored with an error output"
    assert path.stat().st_size < 1_500_000, f"{path.name}: keep stored images modest"
