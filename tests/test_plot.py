"""groupkit.plot: the figures show what they claim (one image per basis map, the steered kernel
equals K exactly when K is steerable and visibly not otherwise) and bad input gets a clear error."""

import numpy as np
import pytest

from groupkit import C, D, SO, Scalar, V, equivariant_basis, solve

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
plot = pytest.importorskip("groupkit.plot")


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _images(fig):
    return [ax for ax in fig.axes if ax.images]


@pytest.mark.parametrize("rep_in,rep_out,dim", [
    (V(D(4))**2, V(D(4))**2, 4), (V(SO(3))**2, V(SO(3)), 1), (2 * V(C(4)), V(C(4)), 4),
])
def test_plot_basis_draws_one_image_per_map(rep_in, rep_out, dim):
    fig = plot.plot_basis(solve(rep_in, rep_out))
    assert len(_images(fig)) == dim
    assert _images(fig)[0].images[0].get_array().shape == (rep_out.size, rep_in.size)


def test_plot_basis_draws_an_exact_basis_with_its_entries():
    Q = equivariant_basis(V(SO(3))**2, V(SO(3)), exact=True)
    fig = plot.plot_basis(Q, shape=(3, 9))
    m = _images(fig)[0].images[0].get_array()
    # the cross product: six entries ±1, the rest zero
    assert sorted(np.abs(np.asarray(m)).ravel().tolist()).count(1.0) == 6


def test_plot_basis_of_an_empty_space_says_so():
    fig = plot.plot_basis(solve(V(SO(3)), Scalar))
    assert "dim 0" in fig.axes[0].texts[0].get_text()


@pytest.mark.parametrize("shape", [None, (4, 4)])
def test_plot_basis_rejects_an_array_without_the_right_shape(shape):
    Q = np.zeros((9, 2))
    with pytest.raises(ValueError, match="shape"):
        plot.plot_basis(Q, shape=shape)


def _rotation(theta):
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def test_plot_kernel_of_a_steerable_kernel_reports_zero_difference():
    # K(x) = a(|x|) x + b(|x|) J x is SO(2)-steerable from scalars to vectors
    J = np.array([[0.0, -1.0], [1.0, 0.0]])

    def k(x):
        r = np.linalg.norm(x, axis=1, keepdims=True)
        return np.exp(-r**2) * x + np.sin(3 * r) * (x @ J.T)

    fig = plot.plot_kernel(k, _rotation(0.7), rep_in=Scalar, rep_out=V(SO(2)))
    assert fig.equivariance_error < 1e-12
    assert len(fig.axes) == 3


def test_plot_kernel_of_a_non_steerable_kernel_shows_the_difference():
    def k(x):  # a constant field is not rotation-steerable
        return np.tile([[1.0], [0.0]], (x.shape[0], 1, 1))

    fig = plot.plot_kernel(k, _rotation(0.7), rep_in=Scalar, rep_out=V(SO(2)))
    assert fig.equivariance_error > 0.1


def test_plot_kernel_draws_an_implicit_kernel_for_a_finite_group():
    torch = pytest.importorskip("torch")
    kernels = pytest.importorskip("kernels")
    torch.manual_seed(0)
    G = D(4)
    K = kernels.ImplicitKernel(G, V(G), V(G) + Scalar, cutoff=1.0, dtype=torch.float64)
    fig = plot.plot_kernel(K)           # g: D(4)'s first generator, read from the kernel
    assert fig.equivariance_error < 1e-10
    assert _images(fig)[0].images[0].get_array().shape == (3 * 15, 2 * 15)


def test_plot_kernel_without_g_or_group_raises():
    with pytest.raises(ValueError, match="needs g"):
        plot.plot_kernel(lambda x: x)


def test_evaluate_kernel_rejects_a_wrong_shape():
    with pytest.raises(ValueError, match="must map"):
        plot.evaluate_kernel(lambda x: x[:2], np.ones((5, 2)))


@pytest.mark.parametrize("d", [2, 3])
def test_plot_point_cloud_draws_points_and_arrows(d):
    rng = np.random.default_rng(0)
    pos = rng.normal(size=(12, d))
    fig = plot.plot_point_cloud(pos, vectors=rng.normal(size=(12, d)))
    assert fig.axes[0].name == ("3d" if d == 3 else "rectilinear")
    with pytest.raises(ValueError, match="vectors must match"):
        plot.plot_point_cloud(pos, vectors=np.ones((3, d)))


def test_plot_point_cloud_rejects_4d_points():
    with pytest.raises(ValueError, match="shape"):
        plot.plot_point_cloud(np.ones((3, 4)))


def test_learning_curves_draw_median_and_band_over_seeds():
    runs = np.array([[1.0, 0.5, 0.2], [2.0, 0.4, 0.1], [1.5, 0.6, 0.3]])
    fig = plot.plot_learning_curves({"a": runs, "b": ([10, 20, 30], [1.0, 0.9, 0.8])})
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    np.testing.assert_allclose(lines["a"].get_ydata(), [1.5, 0.5, 0.2])
    np.testing.assert_allclose(lines["b"].get_xdata(), [10, 20, 30])
    assert len(fig.axes[0].collections) == 1      # one band, for the multi-seed curve


def test_learning_curves_reject_mismatched_steps():
    with pytest.raises(ValueError, match="steps"):
        plot.plot_learning_curves({"a": ([1, 2], [1.0, 0.5, 0.2])})


def test_import_groupkit_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, groupkit, groupkit.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_evaluate_kernel_refuses_to_drop_an_imaginary_part():
    with pytest.raises(ValueError, match="complex-valued"):
        plot.evaluate_kernel(lambda x: x * 1j, np.ones((5, 2)))
    real = plot.evaluate_kernel(lambda x: x + 0j, np.ones((5, 2)))
    assert real.dtype == np.float64 and real.shape == (5, 2, 1)
