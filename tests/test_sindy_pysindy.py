"""solvers.sindy against pysindy at equal settings (same data, library, optimiser settings).

Runs only where pysindy imports (the ``bench`` extra; e.g. ``PYTHONPATH=$PWD
/work/benchvenv/bin/python -m pytest tests/test_sindy_pysindy.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from solvers.sindy import (SR3, STLSQ, FourierLibrary, PolynomialLibrary, finite_difference, fit,
                           savgol_difference)

ps = pytest.importorskip("pysindy", reason="pysindy is not installed (it is in the bench extra)")

from test_sindy import VARS, lorenz, lorenz_data  # noqa: E402


@pytest.fixture(scope="module")
def data():
    t, x = lorenz_data(10.0)
    return t, x, lorenz(x.T).T


def _pysindy(x, t, x_dot, optimizer, library=None, **kw):
    model = ps.SINDy(optimizer=optimizer, feature_library=library or ps.PolynomialLibrary(degree=5),
                     **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, t=t, x_dot=x_dot)
    return model


def test_feature_names_match(data):
    t, x, dx = data
    peer = _pysindy(x, t, dx, ps.STLSQ(threshold=0.025))
    ours = [n.replace("x", "x0").replace("y", "x1").replace("z", "x2")
            for n in PolynomialLibrary(5).names(VARS)]
    assert ours == peer.get_feature_names()


@pytest.mark.parametrize("settings", [
    dict(threshold=0.025),                                      # pysindy's defaults otherwise
    dict(threshold=0.5, alpha=0.05, max_iter=20),
    dict(threshold=0.025, alpha=1e-3, max_iter=5, unbias=False),
])
def test_stlsq_equals_pysindy(data, settings):
    t, x, dx = data
    peer = _pysindy(x, t, dx, ps.STLSQ(**settings))
    ours = fit(x, t, PolynomialLibrary(5),
               STLSQ(**{"alpha": 0.05, "max_iter": 20, "unbias": True} | settings), x_dot=dx)
    np.testing.assert_array_equal(ours.coefficients != 0, peer.coefficients() != 0)
    np.testing.assert_allclose(ours.coefficients, peer.coefficients(), rtol=1e-10, atol=1e-10)


def test_sr3_equals_pysindy(data):
    t, x, dx = data
    thr = 0.025
    peer = _pysindy(x, t, dx, ps.SR3(reg_weight_lam=thr**2 / 2, relax_coeff_nu=1.0,
                                     regularizer="L0"))
    ours = fit(x, t, PolynomialLibrary(5), SR3(thr), x_dot=dx)
    np.testing.assert_array_equal(ours.coefficients != 0, peer.coefficients() != 0)
    np.testing.assert_allclose(ours.coefficients, peer.coefficients(), rtol=1e-10, atol=1e-10)


def test_derivatives_equal_pysindy(data):
    t, x, _ = data
    np.testing.assert_allclose(finite_difference(x, t), ps.FiniteDifference()._differentiate(x, t),
                               rtol=1e-12, atol=1e-10)
    peer = ps.SmoothedFiniteDifference()._differentiate(x, t)      # savgol window 11, cubic
    np.testing.assert_allclose(savgol_difference(x, t), peer, rtol=1e-12, atol=1e-10)


def test_fourier_library_values_match(data):
    _, x, _ = data
    peer = ps.FourierLibrary(n_frequencies=2).fit(x[:50])
    np.testing.assert_allclose(FourierLibrary(2).matrix(x[:50]), peer.transform(x[:50]),
                               rtol=1e-14)
