"""Derivatives at singular and degenerate points, pinned in every mode (issue 10).

Conventions (docs/decisions.md, "Degenerate points"): a singular elementary function gives
IEEE inf/nan in every type, the scalar Measurement included (commit 0673f85); a norm or a
standard deviation at 0 has the AD types' minimum-norm subgradient 0 and a measurement's nan
components (no first-order propagation exists; 0 ± 0 would hide the spread); repeated
eigen/singular values keep finite value tangents and give nan vector tangents. The array rules
may not warn (``no_warnings``): they mask their singular divisions instead of letting
NumPy complain.
"""

import warnings

import numpy as np
import pytest

import numeric as nm

MODES = ("forward", "reverse")


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------- scalar singular points

# plain-float fallbacks warn as NumPy does (log(0.0)): that is the float's own behaviour
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("f, value, deriv", [
    (nm.sqrt, 0.0, np.inf),
    (nm.cbrt, 0.0, np.inf),
    (nm.log, -np.inf, np.inf),
    (lambda x: nm.arccos(x + 1), 0.0, -np.inf),
    (lambda x: 1 / x, np.inf, -np.inf),
    (lambda x: x ** -1, np.inf, -np.inf),
], ids=["sqrt", "cbrt", "log", "arccos(1)", "1/x", "x**-1"])
def test_scalar_singular_point_agrees_across_types(f, value, deriv):
    s = 0.1
    m = f(nm.Measurement(0.0, s))                       # was a bare ZeroDivisionError
    ma = f(nm.measurements(np.zeros(1), np.full(1, s)))
    d = f(nm.Dual(0.0, 1.0))
    assert nm.value(m) == value and nm.value(ma)[0] == value and nm.value(d) == value
    assert nm.uncertainty(m) == abs(deriv) * s == nm.uncertainty(ma)[0] == np.inf
    assert d.partials[0] == deriv
    assert nm.derivative(f, 0.0, mode="reverse") == deriv          # was ZeroDivisionError
    tape = nm.record(lambda x: f(x[0]), np.ones(1))                   # replayed at the point
    assert tape.gradient(np.zeros(1))[0] == deriv


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_zero_linear_part_at_a_singular_point_is_exact():
    x = nm.Measurement(0.0, 0.1)
    assert nm.uncertainty(nm.sqrt(x - x)) == 0.0
    assert nm.uncertainty(nm.log(x - x)) == 0.0


# ---------------------------------------------------------------- norms and std at zero

NORMS = [((3,), {}), ((3,), {"ord": 1}), ((3,), {"ord": 3}), ((3,), {"ord": 0.5}),
         ((3,), {"ord": np.inf}), ((3,), {"ord": -np.inf}), ((3, 2), {}),
         ((3, 2), {"ord": 2}), ((3, 2), {"ord": "nuc"}), ((3, 2), {"ord": 1}),
         ((3, 2), {"axis": 1})]


@pytest.mark.parametrize("shape, kw", NORMS, ids=lambda v: str(v))
@pytest.mark.parametrize("mode", MODES)
def test_norm_at_zero_is_the_minimum_norm_subgradient(shape, kw, mode, no_warnings):
    f = lambda x: np.sum(np.linalg.norm(x, **kw))  # noqa: E731
    g = nm.gradient(f, np.zeros(shape), mode=mode)
    assert np.array_equal(g, np.zeros(shape))


@pytest.mark.parametrize("shape, kw", NORMS[:3] + NORMS[6:8], ids=lambda v: str(v))
def test_norm_away_from_zero_is_unchanged(shape, kw, no_warnings):
    # the masking only acts at 0: central differences at a generic point
    x = np.linspace(0.3, 1.7, int(np.prod(shape))).reshape(shape)
    f = lambda x: np.sum(np.linalg.norm(x, **kw))  # noqa: E731
    h = 1e-6
    fd = np.array([(f(x + h * e.reshape(shape)) - f(x - h * e.reshape(shape))) / (2 * h)
                   for e in np.eye(x.size)]).reshape(shape)
    for mode in MODES:
        np.testing.assert_allclose(nm.gradient(f, x, mode=mode), fd, rtol=1e-7)


def test_norm_at_zero_second_derivative_is_finite_by_the_same_convention(no_warnings):
    assert np.array_equal(nm.hessian(lambda x: np.linalg.norm(x), np.zeros(2)), np.zeros((2, 2)))


@pytest.mark.parametrize("kw", [{}, {"ddof": 1}])
@pytest.mark.parametrize("mode", MODES)
def test_std_of_a_constant_follows_the_norm(kw, mode, no_warnings):
    c = np.full(4, 2.5)
    assert np.array_equal(nm.gradient(lambda x: np.std(x, **kw), c, mode=mode), np.zeros(4))
    # np.std(x) is a scaled 2-norm of the deviations: both give the same subgradient
    n = 4 - kw.get("ddof", 0)
    alt = nm.gradient(lambda x: np.linalg.norm(x - np.mean(x)) / np.sqrt(n), c, mode=mode)
    assert np.array_equal(alt, np.zeros(4))
    # var is smooth there: its derivative 2 (x - mean) / (n - ddof) is exactly 0
    assert np.array_equal(nm.gradient(lambda x: np.var(x, **kw), c, mode=mode), np.zeros(4))


def test_std_axis_only_the_constant_rows_are_masked(no_warnings):
    x = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])
    for mode in MODES:
        g = nm.gradient(lambda a: np.sum(np.std(a, axis=1)), x, mode=mode)
        assert np.array_equal(g[0], np.zeros(3))
        r = x[1]
        np.testing.assert_allclose(g[1], (r - r.mean()) / (r.size * np.std(r)), rtol=1e-14)


def test_measurement_norm_and_std_at_zero_refuse_a_linear_part(no_warnings):
    x = nm.measurements(np.zeros(3), np.full(3, 0.1))
    for r in (np.linalg.norm(x), np.linalg.norm(x, 1), np.std(x + 1.0)):
        assert nm.value(r) == 0.0 and np.isnan(nm.uncertainty(r))
    rows = np.linalg.norm(np.stack([x, x + 1.0]), axis=1)
    assert np.isnan(nm.uncertainty(rows)[0])
    assert nm.uncertainty(rows)[1] == pytest.approx(0.1, rel=1e-14)   # |w| = 1 per row
    # the smooth var keeps linear propagation, and a zero linear part stays exact
    assert nm.uncertainty(np.var(x)) == 0.0
    assert nm.uncertainty(np.linalg.norm(x - x)) == 0.0
    assert nm.uncertainty(np.linalg.norm(x + 1.0)) == pytest.approx(0.1, rel=1e-14)


# ---------------------------------------------------------- repeated eigen/singular values

def _sym(a):
    return (a + a.T) / 2


@pytest.mark.parametrize("mode", MODES)
def test_eigh_repeated_values_keep_exact_symmetric_functions(mode, no_warnings):
    a0 = np.diag([2.0, 2.0, 5.0])           # a repeated eigenvalue
    g = nm.gradient(lambda a: np.sum(np.linalg.eigh(_sym(a))[0]), a0, mode=mode)
    np.testing.assert_allclose(g, np.eye(3), atol=1e-15)          # d trace = I
    # one eigenvalue of the cluster: a generalized gradient, PSD with unit trace on the
    # eigenspace (lambda_min is concave there), zero on the other eigenvector
    g0 = nm.gradient(lambda a: np.linalg.eigh(_sym(a))[0][0], a0, mode=mode)
    assert np.trace(g0) == pytest.approx(1.0, abs=1e-15)
    assert np.all(np.linalg.eigvalsh(_sym(g0)) > -1e-15) and abs(g0[2, 2]) < 1e-15
    # the non-repeated eigenvalue is differentiable: e3 e3^T
    g2 = nm.gradient(lambda a: np.linalg.eigh(_sym(a))[0][2], a0, mode=mode)
    np.testing.assert_allclose(g2, np.diag([0.0, 0.0, 1.0]), atol=1e-15)


def test_eigh_repeated_values_eigenvectors_are_nan_never_finite_guesses(no_warnings):
    a0 = np.diag([2.0, 2.0, 5.0])
    v01 = lambda a: np.linalg.eigh(_sym(a))[1][0, 1]  # noqa: E731  in the repeated eigenspace
    assert np.isnan(nm.gradient(v01, a0)).any()
    assert np.isnan(nm.gradient(v01, a0, mode="reverse")).any()
    m = nm.measurements(a0, np.full((3, 3), 0.01))
    assert np.isnan(nm.uncertainty(np.linalg.eigh(_sym(m))[1][0, 1]))
    # a cotangent that does not reach the repeated pair stays exact: sum(v**2) = 3
    const = lambda a: np.sum(np.linalg.eigh(_sym(a))[1] ** 2)  # noqa: E731
    assert np.array_equal(nm.gradient(const, a0, mode="reverse"), np.zeros((3, 3)))


def test_eigh_distinct_values_unchanged(no_warnings):
    a0 = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 5.0]])
    f = lambda a: np.linalg.eigh(_sym(a))[1][0, 1] * np.linalg.eigh(_sym(a))[1][1, 1]  # noqa
    h = 1e-6
    fd = np.array([(f(a0 + h * e.reshape(3, 3)) - f(a0 - h * e.reshape(3, 3))) / (2 * h)
                   for e in np.eye(9)]).reshape(3, 3)
    for mode in MODES:
        np.testing.assert_allclose(nm.gradient(f, a0, mode=mode), fd, atol=1e-8)


@pytest.mark.parametrize("mode", MODES)
def test_svd_repeated_and_zero_singular_values(mode, no_warnings):
    a0 = np.diag([3.0, 3.0, 1.0])
    # the nuclear norm's gradient U V^T is exact with repeated values
    g = nm.gradient(lambda a: np.sum(np.linalg.svd(a, compute_uv=False)), a0, mode=mode)
    np.testing.assert_allclose(g, np.eye(3), atol=1e-15)
    # LAPACK returns U = [e2, e1, e3] here; U[0, 0] is in the repeated pair's rotation
    u00 = lambda a: np.linalg.svd(a, full_matrices=False)[0][0, 0]  # noqa: E731
    assert np.isnan(nm.gradient(u00, a0, mode=mode)).any()
    # a zero singular value: its left singular vector has no derivative
    u22 = lambda a: np.linalg.svd(a, full_matrices=False)[0][2, 2]  # noqa: E731
    assert np.isnan(nm.gradient(u22, np.diag([3.0, 2.0, 0.0]), mode=mode)).any()
