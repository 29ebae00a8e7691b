"""SINDy (solvers/sindy): libraries, derivatives, optimisers, the identified model.

Lorenz validation (Brunton, Proctor & Kutz 2016, PNAS, Fig. 1 and their code):
sigma = 10, beta = 8/3, rho = 28, x0 = (-8, 8, 27), samples t = 0, 0.001, ...
(a grid on [0, T) with dt = 0.001; the paper's code uses 0.001..100), degree-5
polynomial library (56 terms), lambda = 0.025. The default run uses T = 10
(10^4 samples), the slow one the paper's T = 100.
"""

from __future__ import annotations

import doctest
import itertools
import math
import warnings
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm
from solvers import ODEProblem, Vern9, solve
import solvers.sindy as sindy
from solvers.sindy import (SR3, STLSQ, CustomLibrary, FourierLibrary, PolynomialLibrary,
                           finite_difference, fit, savgol_difference, spectral_difference,
                           stlsq, threshold_sweep)

VARS = ("x", "y", "z")
X0 = np.array([-8.0, 8.0, 27.0])


def lorenz(u, p=None, t=None):
    s, r, b = 10.0, 28.0, 8.0 / 3.0
    return np.stack([s * (u[1] - u[0]), u[0] * (r - u[2]) - u[1], u[0] * u[1] - b * u[2]])


def lorenz_truth():
    """The 7 true coefficients in the degree-5 library's order (names checked by a test)."""
    names = PolynomialLibrary(5).names(VARS)
    xi = np.zeros((3, len(names)))
    for i, name, c in ((0, "x", -10.0), (0, "y", 10.0), (1, "x", 28.0), (1, "y", -1.0),
                       (1, "x z", -1.0), (2, "z", -8.0 / 3.0), (2, "x y", 1.0)):
        xi[i, names.index(name)] = c
    return xi


def lorenz_data(T, dt=0.001):
    t = dt * np.arange(int(round(T / dt)))
    sol = solve(ODEProblem(lorenz, X0, (0.0, t[-1])), Vern9(), rtol=1e-12, atol=1e-12, saveat=t)
    assert sol.success, sol.message
    return t, np.array(sol.u)


@pytest.fixture(scope="module")
def lorenz10():
    return lorenz_data(10.0)


def sparsify_dynamics(theta, dxdt, lam, sweeps=10):
    """Brunton et al.'s sparsifyDynamics.m, transcribed line by line (the oracle)."""
    xi = np.linalg.lstsq(theta, dxdt, rcond=None)[0]
    for _ in range(sweeps):
        small = np.abs(xi) < lam
        xi[small] = 0
        for ind in range(dxdt.shape[1]):
            big = ~small[:, ind]
            xi[big, ind] = np.linalg.lstsq(theta[:, big], dxdt[:, ind], rcond=None)[0]
    return xi.T


# -- libraries ---------------------------------------------------------------------------------
def test_polynomial_names_and_count_follow_pysindy():
    names = PolynomialLibrary(3).names(VARS)
    assert len(names) == math.comb(3 + 3, 3)
    assert names[:10] == ["1", "x", "y", "z", "x^2", "x y", "x z", "y^2", "y z", "z^2"]
    assert names[-1] == "z^3" and "x^2 y" in names and "x y z" in names
    assert PolynomialLibrary(2, include_bias=False).names(["a"]) == ["a", "a^2"]
    assert PolynomialLibrary(3, include_interaction=False).names(["a", "b"]) == [
        "1", "a", "b", "a^2", "b^2", "a^3", "b^3"]


def test_library_matrix_matches_direct_evaluation():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 3))
    theta = PolynomialLibrary(3).matrix(x)
    combos = [c for d in range(4) for c in itertools.combinations_with_replacement(range(3), d)]
    direct = np.column_stack([np.prod(x[:, list(c)], axis=1) for c in combos])
    np.testing.assert_allclose(theta, direct, rtol=1e-14)


def test_fourier_custom_sum_and_tensor_libraries():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    four = FourierLibrary(2)
    assert four.names(["u", "v"]) == ["sin(u)", "cos(u)", "sin(v)", "cos(v)",
                                      "sin(2 u)", "cos(2 u)", "sin(2 v)", "cos(2 v)"]
    np.testing.assert_allclose(four.matrix(x)[:, 4], np.sin(2 * x[:, 0]))
    assert FourierLibrary(1, include_cos=False).names(["u"]) == ["sin(u)"]
    custom = CustomLibrary([("exp({})", nm.exp), ("{}/{}", lambda a, b: a / b)])
    assert custom.names(["u", "v"]) == ["exp(u)", "exp(v)", "u/v"]
    np.testing.assert_allclose(custom.matrix(x)[:, 2], x[:, 0] / x[:, 1])
    both = PolynomialLibrary(1) + FourierLibrary(1)
    assert both.names(["u", "v"]) == ["1", "u", "v", "sin(u)", "cos(u)", "sin(v)", "cos(v)"]
    tensor = PolynomialLibrary(1) * FourierLibrary(1, include_cos=False)
    assert tensor.names(["u", "v"]) == ["sin(u)", "sin(v)", "u sin(u)", "u sin(v)",
                                        "v sin(u)", "v sin(v)"]
    np.testing.assert_allclose(tensor.matrix(x)[:, 3], x[:, 0] * np.sin(x[:, 1]))


def test_library_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match="degree must be an integer >= 1"):
        PolynomialLibrary(0)
    with pytest.raises(ValueError, match="both False"):
        FourierLibrary(1, include_sin=False, include_cos=False)
    with pytest.raises(TypeError, match=r"\(pattern, function\) pair"):
        CustomLibrary([nm.exp])
    with pytest.raises(ValueError, match="must be 2-D"):
        PolynomialLibrary(2).matrix(np.ones(3))


# -- derivatives -------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.01, 1.0), min_size=2, max_size=12),
       st.tuples(*[st.floats(-3, 3)] * 3))
def test_finite_difference_is_exact_for_quadratics_on_any_grid(steps, c):
    t = np.concatenate([[0.0], np.cumsum(steps)])
    x = c[0] + c[1] * t + c[2] * t**2
    np.testing.assert_allclose(finite_difference(x, t), c[1] + 2 * c[2] * t,
                               atol=1e-8 * (1 + np.max(np.abs(x)) / min(steps) ** 2))


def test_finite_difference_matches_numpy_gradient_and_is_second_order():
    rng = np.random.default_rng(2)
    t = np.sort(rng.uniform(0, 3, 40))
    x = np.column_stack([np.sin(t), np.exp(t)])
    np.testing.assert_allclose(finite_difference(x, t), np.gradient(x, t, axis=0, edge_order=2),
                               rtol=1e-12, atol=1e-12)
    errs = [np.max(np.abs(finite_difference(np.sin(tt), tt) - np.cos(tt)))
            for tt in (np.linspace(0, 2, 101), np.linspace(0, 2, 201))]
    assert 3.6 < errs[0] / errs[1] < 4.4          # halving h quarters the error


def test_finite_difference_is_generic_over_duals():
    # d/da of the finite-difference derivative of a*t^2 is the derivative of t^2: 2t
    t = np.linspace(0, 1, 6)
    d = nm.derivative(lambda a: finite_difference(a * t**2, t), 1.5)
    np.testing.assert_allclose(np.asarray(d, dtype=float), 2 * t, atol=1e-13)


def test_savgol_difference_smooths_noise():
    rng = np.random.default_rng(3)
    t = np.linspace(0, 2 * np.pi, 2001)
    x = np.sin(t) + 1e-3 * rng.standard_normal(t.size)
    err_fd = np.max(np.abs(finite_difference(x, t) - np.cos(t)))
    err_sg = np.max(np.abs(savgol_difference(x, t, window=51)[25:-25] - np.cos(t[25:-25])))
    assert err_sg < 0.05 < err_fd          # FD amplifies the noise by 1/dt; SG does not
    with pytest.raises(ValueError, match="uniform samples"):
        savgol_difference(x[:5], np.array([0, 1, 2, 4, 5.0]), window=3, polyorder=1)


def test_spectral_difference_is_exact_for_trigonometric_data():
    n = 63
    t = 1.0 + 4.0 * np.arange(n) / n           # period 4 starting at t0 = 1
    w = 2 * np.pi / 4
    x = np.column_stack([np.sin(3 * w * t), np.cos(w * t) + 0.5 * np.sin(7 * w * t)])
    dx = np.column_stack([3 * w * np.cos(3 * w * t),
                          -w * np.sin(w * t) + 3.5 * w * np.cos(7 * w * t)])
    np.testing.assert_allclose(spectral_difference(x, t), dx, atol=1e-12)
    with pytest.raises(ValueError, match="odd number of samples"):
        spectral_difference(x[:-1], t[:-1])


# -- optimisers --------------------------------------------------------------------------------
def _sparse_problem(seed, n=60, m=8, d=2, noise=1e-2):
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal((n, m))
    xi = rng.uniform(0.5, 2.0, (d, m)) * rng.choice([-1, 1], (d, m)) * (rng.random((d, m)) < 0.4)
    return theta, theta @ xi.T + noise * rng.standard_normal((n, d)), xi


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([0.05, 0.3, 0.8]))
def test_stlsq_equals_sparsify_dynamics(seed, lam):
    theta, y, _ = _sparse_problem(seed)
    ours = stlsq(theta, y, lam)
    np.testing.assert_allclose(ours.coefficients, sparsify_dynamics(theta, y, lam),
                               rtol=1e-10, atol=1e-12)


def test_stlsq_recovers_support_and_reports_sweeps():
    theta, y, xi = _sparse_problem(7, n=400, noise=1e-3)
    for opt in (STLSQ(0.2), STLSQ.pysindy_defaults(0.2), SR3(0.2), SR3(0.2, unbias=True)):
        fit_ = opt.fit(theta, y)
        assert fit_.converged and fit_.message == ""
        np.testing.assert_array_equal(fit_.coefficients != 0, xi != 0)
        np.testing.assert_allclose(fit_.coefficients, xi, atol=0.02)


def test_stlsq_not_converging_is_reported():
    theta, y, _ = _sparse_problem(11, noise=0.3)
    one = stlsq(theta, y, 0.8, max_iter=1)
    assert not one.converged and "still changed after 1 sweeps" in one.message
    with pytest.warns(RuntimeWarning, match="still changed"):
        fit(theta[:, :2], 0.1, PolynomialLibrary(3), STLSQ(0.8, max_iter=1), x_dot=y)


def test_optimiser_input_errors():
    theta, y, _ = _sparse_problem(0)
    bad = theta.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="non-finite entries"):
        stlsq(bad, y, 0.1)
    with pytest.raises(ValueError, match="same n_samples"):
        stlsq(theta, y[:-1], 0.1)
    with pytest.raises(ValueError, match="threshold must be a finite number >= 0"):
        stlsq(theta, y, -1.0)
    with pytest.raises(ValueError, match="'l0' or 'l1'"):
        SR3(0.1, regularizer="l2").fit(theta, y)


def test_threshold_sweep_picks_the_sparse_model_by_aic_and_bic():
    theta, y, xi = _sparse_problem(5, n=300, noise=0.05)
    thresholds = np.logspace(-4, 0.5, 12)
    best = threshold_sweep(theta, y, thresholds, criterion="bic")
    np.testing.assert_array_equal(best.coefficients != 0, xi != 0)
    assert len(best.sweep) == 12 and best.threshold in thresholds
    assert all(isinstance(s[1], float) for s in best.sweep)
    for criterion in ("aic", "aicc"):     # the milder penalty keeps up to two spurious terms here
        best = threshold_sweep(theta, y, thresholds, criterion=criterion)
        assert np.all(best.coefficients[xi != 0] != 0)
        assert np.count_nonzero(best.coefficients) <= np.count_nonzero(xi) + 2
    with pytest.raises(ValueError, match="'aic', 'aicc' or 'bic'"):
        threshold_sweep(theta, y, [0.1], criterion="mdl")


# -- Lorenz validation -------------------------------------------------------------------------
def _check_lorenz(coefficients, rel):
    truth = lorenz_truth()
    np.testing.assert_array_equal(coefficients != 0, truth != 0)   # exactly the 7 true terms
    np.testing.assert_allclose(coefficients[truth != 0], truth[truth != 0], rtol=rel)


def test_lorenz_exact_derivatives_recovers_the_seven_terms(lorenz10):
    t, x = lorenz10
    model = fit(x, t, PolynomialLibrary(5), STLSQ(0.025), x_dot=lorenz(x.T).T)
    _check_lorenz(model.coefficients, 1e-6)        # far inside the 1% asked for
    assert model.equations() == ["dx/dt = -10.000 x + 10.000 y",
                                 "dy/dt = 28.000 x - 1.000 y - 1.000 x z",
                                 "dz/dt = -2.667 z + 1.000 x y"]


def test_lorenz_noisy_data_with_smoothed_differences(lorenz10):
    # noise: N(0, 0.05^2) on every state sample (states range over about +-20 and 5..45);
    # derivatives by Savitzky-Golay (21 samples, cubic) + finite differences
    t, x = lorenz10
    noisy = x + 0.05 * np.random.default_rng(20161).standard_normal(x.shape)
    derivative = partial(savgol_difference, window=21)
    model = fit(noisy, t, PolynomialLibrary(5), STLSQ(0.1), derivative=derivative)
    _check_lorenz(model.coefficients, 0.02)
    swept = threshold_sweep(PolynomialLibrary(5).matrix(noisy), derivative(noisy, t),
                            [0.01, 0.03, 0.1, 0.3, 1.0, 3.0], criterion="bic")
    _check_lorenz(swept.coefficients, 0.02)


def test_lorenz_sr3(lorenz10):
    t, x = lorenz10
    model = fit(x, t, PolynomialLibrary(5), SR3(0.025), x_dot=lorenz(x.T).T)
    _check_lorenz(model.coefficients, 1e-3)


@pytest.mark.slow
def test_lorenz_paper_length_series():
    t, x = lorenz_data(100.0)                    # 10^5 samples, as the paper
    model = fit(x, t, PolynomialLibrary(5), STLSQ(0.025), x_dot=lorenz(x.T).T)
    _check_lorenz(model.coefficients, 1e-6)
    model = fit(x, t, PolynomialLibrary(5), STLSQ(0.025))    # finite differences, dt = 0.001
    _check_lorenz(model.coefficients, 1e-3)


# -- the identified model as a right-hand side -------------------------------------------------
@pytest.fixture(scope="module")
def lorenz_model(lorenz10):
    t, x = lorenz10
    return fit(x, t, PolynomialLibrary(5), STLSQ(0.025), x_dot=lorenz(x.T).T)


def test_model_is_a_right_hand_side_that_reproduces_the_truth(lorenz_model):
    u = np.array([1.0, -2.0, 20.0])
    np.testing.assert_allclose(lorenz_model(u, None, 0.0), lorenz(u), rtol=1e-9)
    batch = np.random.default_rng(0).standard_normal((3, 5))         # vectorised states
    np.testing.assert_allclose(lorenz_model(batch), lorenz(batch), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(lorenz_model.predict(batch.T), lorenz(batch).T, rtol=1e-8,
                               atol=1e-8)
    sim = lorenz_model.simulate(X0, (0.0, 2.0), Vern9(), rtol=1e-11, atol=1e-11,
                                saveat=[2.0])
    ref = solve(ODEProblem(lorenz, X0, (0.0, 2.0)), Vern9(), rtol=1e-11, atol=1e-11,
                saveat=[2.0])
    np.testing.assert_allclose(sim.u[-1], ref.u[-1], rtol=1e-6)


def test_model_carries_duals_through_the_solver(lorenz_model):
    def xT(x0):
        u0 = np.array([x0, 8.0, 27.0], dtype=object)
        return lorenz_model.simulate(u0, (0.0, 0.5), rtol=1e-10, atol=1e-10,
                                     save_everystep=False).u[-1][0]

    d = nm.derivative(xT, -8.0)
    h = 1e-5
    fd = (nm.value(xT(-8.0 + h)) - nm.value(xT(-8.0 - h))) / (2 * h)
    assert d == pytest.approx(fd, rel=1e-5)


def test_model_carries_measurements_and_coefficient_duals(lorenz_model):
    u0 = nm.measurements(X0, [0.01, 0.01, 0.01])
    xT = lorenz_model.simulate(u0, (0.0, 0.3), rtol=1e-10, atol=1e-10,
                               save_everystep=False).u[-1][0]

    def flow(v):
        return lorenz_model.simulate(v, (0.0, 0.3), rtol=1e-11, atol=1e-11,
                                     save_everystep=False).u[-1][0]

    h = 1e-5
    grad = [(flow(X0 + h * e) - flow(X0 - h * e)) / (2 * h) for e in np.eye(3)]
    assert nm.value(xT) == pytest.approx(flow(X0), rel=1e-8)
    assert nm.uncertainty(xT) == pytest.approx(0.01 * np.linalg.norm(grad), rel=1e-5)
    # p replaces the coefficients: d x(T) / d(coefficient of x in dx/dt) vs finite differences
    j = lorenz_model.feature_names.index("x")

    def with_coef(c):
        p = lorenz_model.coefficients.astype(object)
        p[0, j] = c
        sol = solve(ODEProblem(lorenz_model, X0, (0.0, 0.3), p), Vern9(), rtol=1e-11,
                    atol=1e-11, save_everystep=False)
        return sol.u[-1][0]

    d = nm.derivative(with_coef, -10.0)
    fd = (nm.value(with_coef(-10.0 + h)) - nm.value(with_coef(-10.0 - h))) / (2 * h)
    assert d == pytest.approx(fd, rel=1e-5)


def test_model_printing_and_latex():
    model = sindy.SINDyModel(PolynomialLibrary(2) + FourierLibrary(1), ("x", "y"),
                             np.array([[0.5, 0, 0, 0, -0.9, 0, 0, 0, 0, 0],
                                       [0, 0, 0, 0, 0, 0, 2.0, 0, 0, 0]]))
    assert str(model) == "dx/dt = 0.500 - 0.900 x y\ndy/dt = 2.000 sin(x)"
    assert model._repr_latex_() == (r"$$\begin{aligned}\dot{x} &= 0.500 - 0.900 x y \\ "
                                    r"\dot{y} &= 2.000 \sin(x)\end{aligned}$$")
    empty = sindy.SINDyModel(PolynomialLibrary(1), ("x",), np.zeros((1, 2)))
    assert empty.equations() == ["dx/dt = 0"]
    assert np.all(empty(np.array([3.0])) == 0)
    with pytest.raises(ValueError, match="u has 2"):
        empty(np.ones(2))
    with pytest.raises(ValueError, match="p must be None"):
        model(np.ones(2), np.ones(3))


def test_fit_input_errors():
    x = np.ones((10, 2))
    with pytest.raises(ValueError, match="variable names for 2 state variables"):
        fit(x, 0.1, PolynomialLibrary(1), variables=("a",))
    with pytest.raises(ValueError, match="x_dot must have the shape of x"):
        fit(x, 0.1, PolynomialLibrary(1), x_dot=np.ones((10, 3)))
    with pytest.raises(ValueError, match="dt must be a positive number"):
        fit(x, -0.1, PolynomialLibrary(1))


@pytest.mark.parametrize("module", ["solvers.sindy", "solvers.sindy.libraries",
                                    "solvers.sindy.derivatives", "solvers.sindy.optimizers",
                                    "solvers.sindy.model"])
def test_doctests(module):
    import importlib

    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_a_threshold_that_removes_every_term_warns():
    # STLSQ(100) on x'' = -4 x returned dx/dt = 0, dy/dt = 0 without a word (pysindy warns)
    t = np.linspace(0, 5, 501)
    x = np.column_stack([np.cos(2 * t), -2 * np.sin(2 * t)])
    with pytest.warns(RuntimeWarning, match=r"removed every term of dx/dt, dy/dt .* lower the threshold"):
        model = fit(x, t, PolynomialLibrary(2), STLSQ(100))
    assert not np.any(model.coefficients)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(x, t, PolynomialLibrary(2), STLSQ(0.2))                              # terms kept: silent
        const = fit(np.column_stack([x, np.ones_like(t)]), t, PolynomialLibrary(1), STLSQ(0.2),
                    x_dot=np.column_stack([x[:, 1], -4 * x[:, 0], np.zeros_like(t)]))  # dz/dt = 0: true
    assert not np.any(const.coefficients[2]) and np.any(const.coefficients[0]) and np.any(const.coefficients[1])


def test_data_carrying_derivatives_or_uncertainties_is_refused_with_a_sindy_message():
    # the thresholded regression cannot carry a dual or a measurement through its term selection:
    # refused, and the message says what to pass instead (the nominal data, on purpose)
    t = np.linspace(0, 5, 501)
    x = np.column_stack([np.cos(2 * t), -2 * np.sin(2 * t)])
    meas = np.array([[nm.Measurement(v, 0.01) for v in row] for row in x], dtype=object)
    duals = np.array([[nm.Dual(v, 1.0) for v in row] for row in x], dtype=object)
    for kw in (dict(x=meas), dict(x=duals), dict(x=x, t=nm.Dual(t[1], 1.0)),
               dict(x=x, x_dot=np.array([[nm.Measurement(v, 0.01) for v in row] for row in x], dtype=object))):
        kw = {"t": t, **kw}
        name = "x_dot" if "x_dot" in kw else "t" if np.ndim(kw["t"]) == 0 else "x"
        with pytest.raises(TypeError, match=rf"sindy.fit: {name} carries derivatives .* nm.value\({name}\)"):
            sindy.fit(library=PolynomialLibrary(2), optimizer=STLSQ(0.2), **kw)
    with pytest.raises(TypeError, match="sindy.fit: x carries"):
        nm.derivative(lambda s: sindy.fit(x * s, t, PolynomialLibrary(2), STLSQ(0.2)).coefficients, 1.0)
    # the nominal data fit as before
    model = sindy.fit(nm.value(meas), t, PolynomialLibrary(2), STLSQ(0.2))
    assert str(model) == "dx/dt = 1.000 y\ndy/dt = -4.000 x"
