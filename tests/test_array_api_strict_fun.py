"""The CPU guard (as tests/test_array_api_strict.py) for Fun, correlated values, measurement
printing, SINDy and the qr/svd/eigh/matrix-norm derivative rules on a simulated non-CPU device.

``array_api_strict`` arrays on ``Device("device1")`` refuse ``np.asarray`` and refuse to meet
CPU arrays, so a hidden NumPy call or host round trip in these paths fails here. References
are independent of the code under test: closed forms (integrals, roots and their implicit
derivatives), NumPy on the host for the same computation, and the other AD mode.
"""

import math

import numpy as np
import pytest

xs = pytest.importorskip("array_api_strict", reason="needs array-api-strict (the test extra)")

import numeric as nm  # noqa: E402
from numeric.fun import FunConstructionError  # noqa: E402

DEV = xs.Device("device1")
CPU = xs.Device("CPU_DEVICE")
ArrayType = type(xs.asarray(0.0))
LIKE = xs.asarray([0.0], dtype=xs.float64, device=DEV)


def dev(values):
    """A float64 array of *values* on the guard's non-CPU device."""
    return xs.asarray(np.asarray(values, dtype=float), dtype=xs.float64, device=DEV)


def host(a):
    """*a* as a NumPy array, by the deliberate route (``to_device`` the CPU first)."""
    assert type(a) is ArrayType, f"expected an array_api_strict array, got {type(a).__name__}"
    assert a.device == DEV
    return np.asarray(a.to_device(CPU))


# ------------------------------------------------------------------ Fun beyond from_values

SPACE = nm.Chebyshev(-1.0, 2.0)


def _pair():
    f = nm.Fun(lambda x: xs.exp(xs.sin(3 * x)) + x, SPACE, like=LIKE)
    g = nm.Fun(lambda x: np.exp(np.sin(3 * x)) + x, SPACE)
    return f, g


def test_adaptive_construction_on_the_device_matches_numpy():
    f, g = _pair()
    assert len(f) == len(g) > 17
    np.testing.assert_allclose(host(f.coeffs), g.coeffs, rtol=0, atol=1e-15)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "cube", "diff", "cumsum", "exp", "div", "shift",
                                "restrict"])
def test_fun_arithmetic_and_calculus_on_the_device_match_numpy(op):
    ops = {"add": lambda f: f + f, "sub": lambda f: f - 2 * f, "mul": lambda f: f * f,
           "cube": lambda f: f * f * f, "diff": lambda f: f.diff(2), "cumsum": lambda f: f.cumsum(),
           "exp": nm.exp, "div": lambda f: f / (f + 3.0), "shift": lambda f: f + 2.0,
           "restrict": lambda f: f.restrict(0.0, 1.0)}
    f, g = _pair()
    F, G = ops[op](f), ops[op](g)
    assert len(F) == len(G)
    scale = np.max(np.abs(G.coeffs))
    np.testing.assert_allclose(host(F.coeffs), G.coeffs, rtol=0, atol=1e-14 * scale)


def test_fun_integral_evaluation_and_norm_on_the_device():
    # int_0^1 e^x dx = e - 1; the RMS of e^x on [0, 1] is sqrt((e^2 - 1) / 2)
    f = nm.Fun(xs.exp, nm.Chebyshev(0.0, 1.0), like=LIKE)
    total = f.sum()
    assert float(host(total)) == pytest.approx(math.e - 1, rel=1e-15)
    assert nm.norm(f) == pytest.approx(math.sqrt((math.e**2 - 1) / 2), rel=1e-14)
    x = dev([0.1, 0.5, 0.9])
    np.testing.assert_allclose(host(f(x)), np.exp([0.1, 0.5, 0.9]), rtol=1e-15)
    np.testing.assert_allclose(host(f(np.array([0.25]))), [math.exp(0.25)], rtol=1e-15)  # host points
    with pytest.raises(ValueError, match="outside the Fun's interval"):
        f(dev([1.5]))


def test_fun_roots_and_extrema_on_the_device():
    # sin(7 x) on [-1, 2]: roots k pi / 7 for k = -2 .. 4
    f = nm.Fun(lambda x: xs.sin(7 * x), SPACE, like=LIKE)
    r = f.roots()
    np.testing.assert_allclose(host(r), np.arange(-2, 5) * math.pi / 7, atol=1e-14)
    f2, g = _pair()
    assert float(f2.max()) == pytest.approx(float(g.max()), rel=1e-15)
    assert float(f2.argmin()) == pytest.approx(float(g.argmin()), rel=1e-13)


def test_derivatives_through_a_device_fun_match_the_closed_form():
    # d/da int_0^1 e^(a x) dx at a = 1 is int_0^1 x e^x dx = 1; the roots pi / a, 2 pi / a of
    # sin(a x) on [0.5, 4] move as -x / a (implicit function theorem)
    def integral(a):
        return nm.Fun(lambda x: nm.exp(a * x), nm.Chebyshev(0.0, 1.0), like=LIKE).sum()

    assert float(host(nm.derivative(integral, 1.0))) == pytest.approx(1.0, rel=1e-14)

    def roots(a):
        return nm.Fun(lambda x: nm.sin(a * x), nm.Chebyshev(0.5, 4.0), like=LIKE).roots()

    np.testing.assert_allclose(host(nm.derivative(roots, 2.0)), [-math.pi / 4, -math.pi / 2], rtol=1e-12)


def test_an_unresolved_fun_on_the_device_is_refused_with_the_reason():
    with pytest.raises(FunConstructionError, match="not resolved.*1/k"):
        nm.Fun(xs.abs, nm.Chebyshev(-1.0, 1.0), like=LIKE, maxlength=257)


def test_fourier_funs_on_the_device_match_numpy_and_the_closed_forms():
    # e^(sin x) + cos 3x on [0, 2 pi): its integral is 2 pi I_0(1) (A&S 9.6.16), its roots of
    # sin 2x are k pi / 2; arithmetic, calculus, evaluation and restriction as on NumPy
    import mpmath

    space = nm.Fourier(0.0, 2 * math.pi)
    f = nm.Fun(lambda x: xs.exp(xs.sin(x)) + xs.cos(3 * x), space, like=LIKE)
    g = nm.Fun(lambda x: np.exp(np.sin(x)) + np.cos(3 * x), space)
    assert len(f) == len(g)
    np.testing.assert_allclose(host(f.coeffs), g.coeffs, atol=1e-15)
    pairs = ((f * f, g * g), (f.diff(2), g.diff(2)), ((f - f.mean()).cumsum(), (g - g.mean()).cumsum()),
             (nm.exp(f), nm.exp(g)), (f.restrict(0.0, 1.0), g.restrict(0.0, 1.0)))
    for F, G in pairs:
        assert len(F) == len(G)
        np.testing.assert_allclose(host(F.coeffs), G.coeffs, atol=1e-14 * np.max(np.abs(G.coeffs)))
    assert float(host(f.sum())) == pytest.approx(2 * math.pi * float(mpmath.besseli(0, 1)), rel=1e-14)
    assert nm.norm(f) == pytest.approx(nm.norm(g), rel=1e-14)
    np.testing.assert_allclose(host(f(dev([0.3, 1.0]))), g(np.array([0.3, 1.0])), rtol=1e-14)
    r = nm.Fun(lambda x: xs.sin(2 * x), space, like=LIKE).roots()
    np.testing.assert_allclose(host(r), np.arange(4) * math.pi / 2, atol=1e-14)


def test_chop_reads_device_magnitudes_once():
    from numeric.fun.chop import standard_chop

    c = 10.0 ** -np.arange(40.0)
    assert standard_chop(dev(c), 2.0**-52) == standard_chop(c, 2.0**-52) == 18


# ------------------------------------------------------------------ correlated values, printing

from tests.test_array_api_strict import host_syncs  # noqa: E402,F401 (the guard's fixture)


@pytest.fixture
def syncs(host_syncs):  # noqa: F811 (the guard's fixture, imported above)
    return host_syncs


COV = np.array([[0.04, 0.01, 0.0, 0.0], [0.01, 0.09, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, 1e-60]])


@pytest.mark.parametrize("host_cov", [False, True], ids=["device-cov", "numpy-cov"])
def test_correlated_values_on_the_device_have_the_covariance(host_cov):
    mean = dev([1.0, 2.0, 3.0, 4.0])
    x = nm.correlated_values(mean, COV if host_cov else dev(COV))
    assert type(x.val) is ArrayType and type(x.J) is ArrayType
    assert x.J.shape == (4, 3)                         # the rank: variance 0 adds no source
    got = host(nm.cov(x))
    np.testing.assert_allclose(got[:3, :3], COV[:3, :3], rtol=1e-14, atol=1e-17)
    assert got[3, 3] == pytest.approx(1e-60, rel=1e-14)  # scaled first: the tiny variance is exact
    assert got[2, 2] == 0.0 and not np.any(got[2])
    ref = nm.correlated_values(np.array([1.0, 2.0, 3.0, 4.0]), COV)
    s = x[0] + x[1]
    assert float(host(nm.uncertainty(s))) == pytest.approx(nm.uncertainty(ref[0] + ref[1]), rel=1e-14)
    np.testing.assert_array_equal(host(x.val), [1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize("C, match", [
    ([[1.0, 0.0], [0.0, -1.0]], "negative variance"),
    ([[1.0, 2.0], [2.0, 1.0]], "not positive semi-definite"),
    ([[1.0, 0.5], [0.0, 1.0]], "symmetric"),
    ([[0.0, 0.5], [0.5, 1.0]], "variance 0 has non-zero covariances"),
])
def test_correlated_values_on_the_device_refuse_a_bad_covariance(C, match):
    with pytest.raises(ValueError, match=match):
        nm.correlated_values(dev([0.0, 0.0]), dev(C))


def test_measurement_array_printing_on_the_device_is_one_transfer(syncs):
    x = nm.correlated_values(dev([1.0, 2.0]), dev([[0.04, 0.0], [0.0, 0.09]]))
    ref = nm.correlated_values(np.array([1.0, 2.0]), np.array([[0.04, 0.0], [0.0, 0.09]]))
    syncs.clear()
    text = repr(x)
    # values and errors stacked: one copy (to_device the CPU, then NumPy reads that CPU array)
    assert syncs == {"to_device": 1, "__array__": 1}, syncs
    assert text == repr(ref) == "MeasurementArray([1.00 ± 0.20, 2.00 ± 0.30])"
    assert str(x) == text and x._repr_html_() == ref._repr_html_()
    assert x._repr_latex_() == ref._repr_latex_()
    assert repr(x[1]) == "MeasurementArray(2.00 ± 0.30)"


# ------------------------------------------------------------------ SINDy

@pytest.fixture(scope="module")
def lorenz_samples():
    from solvers import ODEProblem, Vern9, solve

    def lorenz(u, p=None, t=None):
        s, r, b = 10.0, 28.0, 8.0 / 3.0
        return np.stack([s * (u[1] - u[0]), u[0] * (r - u[2]) - u[1], u[0] * u[1] - b * u[2]])

    t = 0.002 * np.arange(2500)
    sol = solve(ODEProblem(lorenz, np.array([-8.0, 8.0, 27.0]), (0.0, t[-1])), Vern9(), rtol=1e-12,
                atol=1e-12, saveat=t)
    x = np.array(sol.u)
    return t, x, lorenz(x.T).T


def _lorenz_truth(names):
    xi = np.zeros((3, len(names)))
    for i, name, c in ((0, "x", -10.0), (0, "y", 10.0), (1, "x", 28.0), (1, "y", -1.0),
                       (1, "x z", -1.0), (2, "z", -8.0 / 3.0), (2, "x y", 1.0)):
        xi[i, names.index(name)] = c
    return xi


def test_sindy_library_matrix_on_the_device_is_numpy_s():
    from solvers.sindy import FourierLibrary, PolynomialLibrary

    x = np.random.default_rng(1).standard_normal((30, 3))
    for lib in (PolynomialLibrary(3), PolynomialLibrary(2, include_bias=False) + FourierLibrary(2)):
        np.testing.assert_array_equal(host(lib.matrix(dev(x))), lib.matrix(x))


@pytest.mark.parametrize("derivatives, optimizer", [("exact", "paper"), ("finite differences", "paper"),
                                                     ("finite differences", "pysindy")])
def test_sindy_lorenz_on_the_device_matches_numpy(lorenz_samples, derivatives, optimizer):
    # Brunton, Proctor & Kutz (2016): the degree-5 library, threshold 0.025; the device path solves
    # the least squares by QR (xp.linalg.qr), NumPy's by SciPy's gelsd: same support, same numbers
    # to rounding (the degree-5 library's condition number times eps)
    from solvers.sindy import PolynomialLibrary, STLSQ, fit

    t, x, dx = lorenz_samples
    opt = STLSQ(0.025) if optimizer == "paper" else STLSQ.pysindy_defaults(0.025)
    kw = {"x_dot": dx} if derivatives == "exact" else {}
    ref = fit(x, t, PolynomialLibrary(5), opt, **kw)
    got = fit(dev(x), t, PolynomialLibrary(5), opt, **{k: dev(v) for k, v in kw.items()})
    assert isinstance(got.coefficients, np.ndarray)             # the model lives on the host
    np.testing.assert_array_equal(got.support, ref.support)
    np.testing.assert_allclose(got.coefficients, ref.coefficients, rtol=0, atol=1e-9)
    truth = _lorenz_truth(got.feature_names)
    np.testing.assert_array_equal(got.support, truth != 0)
    tol = 1e-8 if derivatives == "exact" else 0.02             # second-order differences, dt = 0.002
    np.testing.assert_allclose(got.coefficients, truth, rtol=tol, atol=tol)
    assert str(got) == str(ref)
    u = dev(x[7])
    assert host(got(u)) == pytest.approx(ref(x[7]), rel=1e-12)
    assert host(got.predict(dev(x[:4]))) == pytest.approx(ref.predict(x[:4]), rel=1e-10)


def test_sindy_threshold_sweep_on_the_device_picks_numpy_s_threshold():
    from solvers.sindy.optimizers import threshold_sweep

    rng = np.random.default_rng(0)
    z = np.linspace(-1, 1, 200)
    theta = np.column_stack([z**k for k in range(6)])
    y = 1.5 * z - 2.0 * z**3 + 1e-3 * rng.standard_normal(200)
    ref = threshold_sweep(theta, y, [1e-6, 1e-3, 0.1, 1.0, 1.8])
    got = threshold_sweep(dev(theta), dev(y), [1e-6, 1e-3, 0.1, 1.0, 1.8])
    assert got.threshold == ref.threshold == 0.1
    np.testing.assert_allclose(got.coefficients, ref.coefficients, atol=1e-12)
    np.testing.assert_allclose([s for _, s, _ in got.sweep], [s for _, s, _ in ref.sweep], rtol=1e-9)


def test_sindy_on_the_device_refuses_what_it_cannot_do_with_the_reason():
    from solvers.sindy.optimizers import sr3, stlsq

    z = np.linspace(0, 1, 20)
    theta = np.column_stack([np.ones_like(z), z, z])               # two equal columns
    with pytest.raises(ValueError, match="rank-deficient"):
        stlsq(dev(theta), dev(3 * z), threshold=0.5)
    with pytest.raises(TypeError, match="SR3 on arrays of another namespace"):
        sr3(dev(theta), dev(3 * z), threshold=0.5)
    with pytest.raises(ValueError, match="non-finite"):
        stlsq(dev(theta), dev(np.where(z > 0.5, np.nan, z)), threshold=0.5)


# ------------------------------------------------------------------ qr, svd, eigh(UPLO="U"), matrix norms

A43 = np.random.default_rng(3).standard_normal((4, 3))


def _sym_upper_read(a):
    # a non-symmetric matrix depending on a: eigh(UPLO=...) reads only one triangle of it
    m = a[:3, :]
    return m @ np.transpose(m) + 0.3 * m


LINALG = {
    "qr_q": lambda a: np.linalg.qr(a)[0], "qr_r": lambda a: np.linalg.qr(a)[1],
    "svd_u": lambda a: np.linalg.svd(a, full_matrices=False)[0],
    "svd_s": lambda a: np.linalg.svd(a, full_matrices=False)[1],
    "svd_vh": lambda a: np.linalg.svd(a, full_matrices=False)[2],
    "svdvals": lambda a: np.linalg.svd(a, compute_uv=False),
    "svd_wide": lambda a: np.linalg.svd(np.transpose(a), full_matrices=False)[2],
    "eigh_U_values": lambda a: np.linalg.eigh(_sym_upper_read(a), UPLO="U")[0],
    "norm_axes_keepdims": lambda a: np.linalg.norm(np.reshape(a, (2, 2, 3)), ord=1, axis=(2, 1), keepdims=True),
    "vector_norms_axis0": lambda a: np.stack([np.linalg.norm(a, ord=o, axis=0) for o in (1, np.inf, -np.inf, 3, 0.5)]),
    "vector_norms_flat": lambda a: sum(np.linalg.norm(np.reshape(a, (-1,)), ord=o) * c
                                       for o, c in ((1, 1.0), (np.inf, 2.0), (3, 3.0), (-np.inf, 5.0))),
}
for _o in (1, -1, 2, -2, "nuc", np.inf, -np.inf):
    LINALG[f"matrix_norm_{_o}"] = (lambda o: lambda a: np.linalg.norm(a, ord=o))(_o)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("name", sorted(LINALG))
def test_qr_svd_eigh_and_norm_rules_on_the_device_match_numpy(name, mode):
    # the table's rules in the value's namespace (xp.linalg.qr / svd / svdvals / eigh / matrix_norm),
    # forward and reverse on the device against forward mode on NumPy (the other mode for reverse)
    f = LINALG[name]
    J = nm.jacobian(f, dev(A43), mode=mode)
    np.testing.assert_allclose(host(J), nm.jacobian(f, A43), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", ["qr_q", "qr_r", "svd_u", "svd_s", "matrix_norm_nuc", "matrix_norm_1"])
def test_qr_svd_and_norm_derivatives_on_the_device_match_finite_differences(name):
    # central differences of the primal on the host (NumPy), h = 1e-6: an independent check
    f, h = LINALG[name], 1e-6
    J = host(nm.jacobian(f, dev(A43)))
    fd = np.stack([(f(A43 + h * e) - f(A43 - h * e)) / (2 * h)
                   for e in np.eye(A43.size).reshape((A43.size,) + A43.shape)], axis=-1)
    np.testing.assert_allclose(J, fd.reshape(J.shape), rtol=1e-6, atol=1e-7)


def test_nuclear_and_spectral_norm_gradients_on_the_device_are_the_singular_vectors():
    # d||A||_* / dA = U V^T and d||A||_2 / dA = u_1 v_1^T (distinct, nonzero singular values)
    u, s, vh = np.linalg.svd(A43, full_matrices=False)
    for ordv, want in (("nuc", u @ vh), (2, np.outer(u[:, 0], vh[0]))):
        for mode in ("forward", "reverse"):
            g = nm.gradient(lambda a, o=ordv: np.linalg.norm(a, ord=o), dev(A43), mode=mode)
            np.testing.assert_allclose(host(g), want, rtol=1e-12, atol=1e-14)


def test_eigh_upper_on_the_device_reads_the_upper_triangle():
    # the array API's eigh has no UPLO: the device path writes out the symmetric matrix of the upper
    # triangle and solves that. Its eigenvectors are those of the same matrix (up to the sign LAPACK's
    # lower-triangle reduction picks), so the derivative is that of eigh of the written-out matrix
    def written_out(a):
        m = _sym_upper_read(a)
        up = np.triu(np.ones((3, 3)))
        return np.linalg.eigh(m * up + np.transpose(m * (up - np.eye(3))))[1]

    f = lambda a: np.linalg.eigh(_sym_upper_read(a), UPLO="U")[1]  # noqa: E731
    from numeric.arrayrules_nonlinear import namespace_call   # the primal a device DualArray's rule calls

    v_dev = host(namespace_call(np.linalg.eigh, (dev(_sym_upper_read(A43)),), {"UPLO": "U"})[1])
    v_np = f(A43)
    np.testing.assert_allclose(np.abs(v_dev), np.abs(v_np), rtol=1e-12)  # same eigenvectors up to sign
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(host(nm.jacobian(f, dev(A43), mode=mode)), nm.jacobian(written_out, A43),
                                   rtol=1e-12, atol=1e-13)


def test_device_measurements_through_svd_qr_and_the_nuclear_norm_match_numpy():
    # MeasurementArray reads the same table: its components go through the device linearisations
    cov = np.diag(np.linspace(1e-4, 4e-4, 12))
    x = nm.correlated_values(dev(A43.ravel()), dev(cov))
    ref = nm.correlated_values(A43.ravel(), cov)
    for g in (lambda a: np.linalg.svd(np.reshape(a, (4, 3)), compute_uv=False),
              lambda a: np.linalg.norm(np.reshape(a, (4, 3)), ord="nuc"),
              lambda a: np.linalg.qr(np.reshape(a, (4, 3)))[1]):
        got, want = g(x), g(ref)
        np.testing.assert_allclose(host(nm.value(got)), nm.value(want), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(host(nm.cov(np.reshape(got, (-1,)))), nm.cov(np.reshape(want, (-1,))),
                                   rtol=1e-11, atol=1e-18)


def test_more_of_fun_on_the_device_float32_abs_points_measurements_and_an_ode_state():
    from solvers import ODEProblem, Tsit5, solve

    space = nm.Chebyshev(0.0, 1.0)
    f32 = nm.Fun(xs.exp, space, like=xs.asarray([0.0], dtype=xs.float32, device=DEV))
    g32 = nm.Fun(np.exp, space, dtype=np.float32)
    assert f32.coeffs.dtype == xs.float32 and len(f32) == len(g32)
    np.testing.assert_allclose(np.asarray(f32.coeffs.to_device(CPU)), g32.coeffs, atol=1e-7)
    f = nm.Fun(lambda x: xs.cos(x) + 0.5, space, like=LIKE)
    host(f.points)
    assert host(nm.abs(-f).coeffs) == pytest.approx(host(f.coeffs), abs=0)  # no sign change on [0, 1]
    with pytest.raises(FunConstructionError, match="changes sign"):
        nm.abs(nm.Fun(lambda x: x - 0.5, space, like=LIKE))
    m = nm.Measurement(2.0, 0.1)                      # int_0^1 m x dx = m / 2: 1.0 +- 0.05
    s = nm.Fun(lambda x: m * x, space, like=LIKE).sum()
    assert float(host(nm.value(s))) == pytest.approx(1.0, rel=1e-15)
    assert float(host(nm.uncertainty(s))) == pytest.approx(0.05, rel=1e-14)
    sol = solve(ODEProblem(lambda u, p, t: -u, nm.Fun(xs.exp, space, like=LIKE), (0.0, 1.0)), Tsit5(),
                rtol=1e-10, atol=1e-12)                # u(t, x) = e^(x - t)
    assert float(host(sol.u[-1](0.5))) == pytest.approx(math.exp(-0.5), rel=1e-8)
    assert "<svg" in f._repr_html_()


def test_fun_construction_on_the_device_syncs_a_few_scalars_per_grid(syncs):
    # per grid: the finiteness check (one bool) and the magnitudes (one vector: to_device, then NumPy
    # reads the CPU copy); on the grid that resolves: the sample test (two scalars). Nothing else
    for fn, grids in ((xs.exp, 2), (lambda x: xs.sin(40 * x), 4)):     # grids of 17, 33 (, 65, 129)
        syncs.clear()
        nm.Fun(fn, nm.Chebyshev(-1.0, 1.0), like=LIKE)
        assert syncs == {"__bool__": grids, "to_device": grids, "__array__": grids, "__float__": 2}


def test_sindy_spectral_derivatives_on_the_device_and_savgol_refused():
    # d/dt of sin 3t, cos t sampled on one period (15 points): exact for the trigonometric interpolant
    from solvers.sindy.derivatives import savgol_difference, spectral_difference

    t = 2 * np.pi * np.arange(15) / 15
    x = np.column_stack([np.sin(3 * t), np.cos(t)])
    got = host(spectral_difference(dev(x), t))
    np.testing.assert_allclose(got, spectral_difference(x, t), rtol=0, atol=1e-15)
    np.testing.assert_allclose(got, np.column_stack([3 * np.cos(3 * t), -np.sin(t)]), atol=1e-13)
    assert spectral_difference(dev(x[:, 0]), t).shape == (15,)
    with pytest.raises(TypeError, match="savgol_filter, a host function"):
        savgol_difference(dev(x), t)
