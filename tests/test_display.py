"""Jupyter displays (_repr_html_, _repr_latex_) and plotting helpers with labelled axes."""

import matplotlib

matplotlib.use("Agg")            # tests draw off screen; notebooks use the inline backend

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import numeric as nm  # noqa: E402
from solvers import EnsembleProblem, ODEProblem, Tsit5, solve  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def _decay_with_uncertainty():
    u0 = nm.measurements([1.0, 2.0], [0.1, 0.1])
    return solve(ODEProblem(lambda u, p, t: -p * u, u0, (0.0, 1.0), nm.Measurement(1.0, 0.1)),
                 Tsit5(), rtol=1e-8)


def test_ode_solution_html_summary_and_sketch():
    sol = _decay_with_uncertainty()
    h = sol._repr_html_()
    assert "<b>ODESolution</b>" in h and "Success" in h and "<polyline" in h
    assert f"{sol.stats.naccept} accepted" in h


def test_ode_solution_plot_draws_bands_of_one_standard_deviation(ax):
    sol = _decay_with_uncertainty()
    sol.plot(ax=ax, n=50)
    assert ax.get_xlabel() == "t" and "standard deviation" in ax.get_ylabel()
    assert [ln.get_label() for ln in ax.get_lines()] == ["u[0]", "u[1]"]
    band = ax.collections[0].get_paths()[0].vertices
    # at t = 1, u = u0 e^-p with u0 and p uncertain: sigma = e^-1 sqrt(0.1^2 + (u0 0.1)^2)
    t, vals, errs = sol._trajectory(50)
    assert errs[-1, 0] == pytest.approx(np.exp(-1.0) * np.hypot(0.1, 0.1), rel=1e-6)
    assert errs[-1, 1] == pytest.approx(np.exp(-1.0) * np.hypot(0.1, 0.2), rel=1e-6)
    assert band.shape[0] > 50


def test_plain_solution_plot_has_no_band(ax):
    sol = solve(ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 1.0)), Tsit5())
    sol.plot(ax=ax, labels=["decay"])
    assert ax.get_ylabel() == "u(t)" and not ax.collections
    assert ax.get_lines()[0].get_label() == "decay"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata()[-1], np.exp(-1.0), rtol=1e-5)


def test_fun_html_and_plot(ax):
    f = nm.Fun(np.exp, nm.Chebyshev(0, 2))
    h = f._repr_html_()
    assert "<b>Fun</b>" in h and f"{len(f)}" in h and "<polyline" in h
    f.plot(ax=ax)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "f(x)")
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata()[-1], np.exp(2.0), rtol=1e-12)


def test_measurement_array_html_and_latex():
    x = nm.measurements([1.0, 2.0], [0.1, 0.25])
    assert "<td>1.00 ± 0.10</td>" in x._repr_html_()
    assert x._repr_latex_() == r"$\begin{pmatrix} 1.00 \pm 0.10 & 2.00 \pm 0.25 \end{pmatrix}$"
    big = nm.measurements(np.zeros(500), 1.0)
    assert big._repr_latex_() is None and "shape=(500,)" in big._repr_html_()


def test_errorbar_uses_the_uncertainties(ax):
    y = nm.measurements([1.0, 1.8, 3.1], [0.1, 0.2, 0.15])
    nm.errorbar(np.arange(3.0), y, ax=ax, fmt="o", label="data")
    segments = ax.collections[0].get_segments()
    lengths = [s[1, 1] - s[0, 1] for s in segments]
    np.testing.assert_allclose(lengths, [0.2, 0.4, 0.3])


def test_ensemble_solution_html():
    prob = EnsembleProblem(ODEProblem(lambda u, p, t: -p * u, np.array([1.0]), (0.0, 1.0), 1.0),
                           prob_func=lambda prob, i: ODEProblem(prob.f, prob.u0, prob.tspan,
                                                                    1.0 + i))
    sol = solve(prob, Tsit5(), trajectories=3)
    h = sol._repr_html_()
    assert "<b>EnsembleSolution</b>" in h and "trajectories" in h and ">3<" in h
