"""Bad input gets a specific exception that names the problem, raised by groupkit's own checks
(the innermost frame is in groupkit, not deep inside numpy or scipy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import groupkit as gk
from groupkit.exact import ExactSolveError



GROUPKIT_DIR = Path(gk.__file__).resolve().parent


def raises_clearly(exc_type, match, fn, *args, **kwargs):
    """Call fn; it must raise ``exc_type`` whose message matches ``match``, from groupkit code."""
    with pytest.raises(exc_type, match=match) as info:
        fn(*args, **kwargs)
    innermost = Path(str(info.traceback[-1].path)).resolve()
    assert GROUPKIT_DIR in innermost.parents, f"raised from {innermost}, not by groupkit"
    return info.value


# -- groups ----------------------------------------------------------------------------------

def test_generator_that_is_not_square_is_rejected():
    raises_clearly(gk.GroupError, "square", gk.Group, [np.ones((2, 3))])
    raises_clearly(gk.GroupError, "square", gk.Group, (), [np.ones((3, 2))])


def test_generators_of_the_wrong_shape_are_rejected():
    raises_clearly(gk.GroupError, r"\(k, d, d\)", gk.Group, np.eye(3))
    raises_clearly(gk.GroupError, "square", gk.Group, [np.ones(3)])
    raises_clearly(gk.GroupError, "same size", gk.Group, [np.eye(2), np.eye(3)])
    raises_clearly(gk.GroupError, "same space", gk.Group, [np.eye(2)], [np.zeros((3, 3))])


def test_non_invertible_discrete_generator_is_rejected():
    raises_clearly(gk.GroupError, "not invertible", gk.Group, [np.array([[1.0, 2.0], [2.0, 4.0]])])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_generators_is_rejected(bad):
    h = np.eye(2)
    h[0, 1] = bad
    raises_clearly(gk.GroupError, "NaN or inf", gk.Group, [h])
    raises_clearly(gk.GroupError, "NaN or inf", gk.Group, (), [h])


def test_non_numeric_generators_are_rejected():
    raises_clearly(gk.GroupError, "numeric", gk.Group, [np.array([["a", "b"], ["c", "d"]])])


def test_group_without_generators_needs_its_dimension():
    raises_clearly(gk.GroupError, "dimension", gk.Group)
    assert gk.Group(d=3).d == 3


@pytest.mark.parametrize("make, arg", [(gk.SO, 0), (gk.SO, 2.5), (gk.S, -1), (gk.O, "3"),
                                       (gk.SU, 1), (gk.D, True)])
def test_library_groups_reject_bad_sizes(make, arg):
    raises_clearly(gk.GroupError, "integer", make, arg)


def test_bad_sample_count_is_rejected():
    raises_clearly(ValueError, "non-negative integer", gk.SO(3).samples, -1)
    raises_clearly(ValueError, "non-negative integer", gk.SO(3).samples, 2.5)


def test_bad_permutations_are_rejected():
    raises_clearly(gk.GroupError, "not a permutation", gk.from_permutations, [[0, 0, 1]])
    raises_clearly(gk.GroupError, "length", gk.from_permutations, [[0, 1, 2], [1, 0]])
    raises_clearly(gk.GroupError, "PermutationGroup", gk.from_sympy, [[0, 1]])


# -- representations -------------------------------------------------------------------------

@pytest.mark.parametrize("k", [-1, 1.5, 2.0, "2", True])
def test_bad_tensor_power_is_rejected(k):
    raises_clearly(gk.RepError, "non-negative integer", lambda: gk.V(gk.SO(3)) ** k)


@pytest.mark.parametrize("k", [-1, 1.5])
def test_bad_symmetric_power_is_rejected(k):
    raises_clearly(gk.RepError, "non-negative integer", gk.Sym, gk.V(gk.SO(3)), k)
    raises_clearly(gk.RepError, "non-negative integer", gk.Alt, gk.V(gk.SO(3)), k)


def test_alternating_power_beyond_the_dimension_is_rejected():
    raises_clearly(gk.RepError, "zero representation", gk.Alt, gk.V(gk.SO(3)), 4)


def test_bad_multiplicity_is_rejected():
    raises_clearly(gk.RepError, "non-negative", lambda: -2 * gk.V(gk.SO(3)))
    raises_clearly(gk.RepError, "zero representation", lambda: 0 * gk.V(gk.SO(3)))


def test_user_rho_returning_the_wrong_shape_is_rejected():
    raises_clearly(gk.RepError, r"returned shape \(2, 2\); expected \(3, 3\)",
                   gk.UserRep, gk.S(3), lambda g: np.eye(2), size=3, name="bad")


def test_user_drho_returning_the_wrong_shape_is_rejected():
    raises_clearly(gk.RepError, "drho returned shape", gk.UserRep, gk.SO(3), lambda g: g,
                   lambda A: np.zeros((2, 2)), size=3)


def test_user_rho_returning_nan_is_rejected():
    raises_clearly(gk.RepError, "NaN or inf", gk.UserRep, gk.S(3),
                   lambda g: np.full((1, 1), np.nan), size=1)


def test_user_rep_of_a_continuous_group_needs_drho():
    raises_clearly(gk.RepError, "drho", gk.UserRep, gk.SO(3), lambda g: g, size=3)


def test_user_rep_needs_a_positive_integer_size():
    raises_clearly(gk.RepError, "positive integer", gk.UserRep, gk.S(3), lambda g: g, size=0)


def test_rho_of_a_matrix_of_the_wrong_size_is_rejected():
    raises_clearly(gk.RepError, r"\(3, 3\)", gk.V(gk.SO(3)).rho, np.eye(2))
    raises_clearly(gk.RepError, r"\(3, 3\)", (gk.V(gk.SO(3)) ** 2).rho, np.eye(4))


def test_vector_rep_needs_a_group():
    raises_clearly(gk.RepError, "Group", gk.V, 3)


# -- solving ---------------------------------------------------------------------------------

def test_solve_rejects_non_representations():
    raises_clearly(gk.RepError, "representation", gk.solve, np.eye(3), gk.Scalar)
    raises_clearly(gk.RepError, "representation", gk.equivariant_basis, gk.Scalar, "V")


def test_solve_rejects_an_unknown_method():
    raises_clearly(ValueError, "method", gk.solve, gk.V(gk.SO(3)), gk.V(gk.SO(3)), method="svd")


def test_orbit_method_on_a_continuous_group_is_rejected():
    raises_clearly(gk.SolverError, "orbit", gk.solve, gk.V(gk.SO(3)), gk.V(gk.SO(3)),
                   method="orbit", cache=False)


@pytest.mark.parametrize("make", [gk.Icosahedral, lambda: gk.D(5), gk.FullIcosahedral],
                         ids=["Icosahedral", "D(5)", "FullIcosahedral"])
def test_exact_solve_of_irrational_generators_is_rejected(make):
    G = make()
    err = raises_clearly(ExactSolveError, "rational", gk.equivariant_basis,
                         gk.V(G) ** 2, gk.V(G) ** 2, exact=True)
    assert "numeric solver" in str(err)


def test_exact_solve_of_a_complex_group_is_rejected():
    G = gk.SU(2)
    raises_clearly(ExactSolveError, "complex", gk.equivariant_basis, gk.V(G) * gk.V(G).T,
                   gk.Scalar, exact=True)


def test_weight_of_the_wrong_length_is_rejected():
    basis = gk.solve(gk.V(gk.SO(3)) ** 2, gk.V(gk.SO(3)) ** 2)
    raises_clearly(ValueError, r"shape \(3,\)", basis.weight, np.zeros(4))
    raises_clearly(ValueError, r"shape \(9, 9\)", basis.coefficients, np.zeros((3, 3)))
