"""The CPU guard for the DAE and DDE solvers: ``array_api_strict`` arrays on a non-CPU device.

As in ``tests/test_array_api_strict.py`` (whose helpers and host-transfer counter this file
reuses): a hidden NumPy call, a host round trip or an array made without the input's device
fails here. Covered: the consistent initialisation of ``F(du, u, p, t) = 0`` and the fully
implicit solvers (DFBDF, DRadauIIA5), the mass-matrix DAE path (FBDF, RadauIIA5, Rodas4,
Rosenbrock23, KenCarp4 with a singular mass matrix on the device, its consistent start included),
and the method of steps for constant-lag DDEs.

References independent of the code under test: the NumPy run of the same solver (the same steps
and, to rounding, the same values), ROBER's published value at t = 40 (the IVP Test Set, as in
``solvers/ode/stiff/testset.py``), the pendulum ODE (index-1 pendulum), closed-form solutions
(the linear DAE, the constant-lag DDE by the method of steps by hand) and central differences.
"""

import math

import numpy as np
import pytest

xs = pytest.importorskip("array_api_strict", reason="needs array-api-strict (the test extra)")

import numeric as nm  # noqa: E402
import solvers  # noqa: E402
from numeric.arrayrules_structural import join_any  # noqa: E402
from solvers import DAEProblem, DDEProblem, DFBDF, MethodOfSteps, ODEProblem, solve  # noqa: E402
from solvers.dae import DRadauIIA5  # noqa: E402
from solvers.ode.stiff.testset import ROBER40  # noqa: E402
from tests.test_array_api_strict import assert_on_device, dev, host, host_syncs  # noqa: E402,F401


@pytest.fixture
def syncs(host_syncs):  # noqa: F811 (the guard's fixture, imported above)
    """The guard's counter of device-to-host transfers (``tests/test_array_api_strict.py``)."""
    return host_syncs


def cat(parts):
    """Join a residual's pieces in their own namespace (``xs.concat`` of device arrays,
    ``np.concatenate`` of NumPy arrays and of DualArrays on any device)."""
    return join_any(np.concatenate, parts)


def put_np(values):
    return np.asarray(values, dtype=float)


# ------------------------------------------------------------------ fully implicit DAEs

def rober_F(du, u, p, t):
    y1, y2, y3 = u[0:1], u[1:2], u[2:3]
    return cat([du[0:1] + 0.04 * y1 - 1e4 * y2 * y3,
                du[1:2] - 0.04 * y1 + 1e4 * y2 * y3 + 3e7 * y2 * y2,
                y1 + y2 + y3 - 1.0])


DAE_METHODS = {"DFBDF": DFBDF, "DRadauIIA5": DRadauIIA5}


@pytest.mark.parametrize("name", sorted(DAE_METHODS))
def test_rober_dae_on_the_device_takes_the_numpy_steps(name):
    # y3(0) = 0.2 is inconsistent: the Brown-Hindmarsh-Petzold start on the device makes it 0
    def run(put):
        prob = DAEProblem(rober_F, put([0.0, 0.0, 0.0]), put([1.0, 0.0, 0.2]), (0.0, 1.0))
        return solve(prob, DAE_METHODS[name](), rtol=1e-6, atol=1e-8)

    a, b = run(dev), run(put_np)
    assert a.retcode.name == "Success"
    assert_on_device(a.u[-1])
    assert_on_device(a(0.37))
    assert (a.stats.naccept, a.stats.nreject, a.stats.nf) == (b.stats.naccept, b.stats.nreject, b.stats.nf)
    np.testing.assert_allclose(host(a.u[0]), b.u[0], rtol=0, atol=1e-16)
    assert abs(host(a.u[0])[2]) < 1e-15                     # consistent: y3 = 1 - y1 - y2
    np.testing.assert_allclose(host(a.du0), b.du0, rtol=1e-14, atol=1e-18)
    np.testing.assert_allclose(host(a.u[-1]), b.u[-1], rtol=1e-12)
    np.testing.assert_allclose(host(a(0.37)), b(0.37), rtol=1e-12)
    assert abs(float(host(a.u[-1]).sum()) - 1) < 1e-13


def test_rober_dae_on_the_device_matches_the_published_value():
    prob = DAEProblem(rober_F, dev([0.0, 0.0, 0.0]), dev([1.0, 0.0, 0.0]), (0.0, 40.0))
    sol = solve(prob, DFBDF(), rtol=1e-8, atol=1e-12)
    assert sol.retcode.name == "Success"
    np.testing.assert_allclose(host(sol.u[-1]), ROBER40.ref, rtol=1e-6)


G = 9.81


def pendulum_F(du, u, p, t):
    """The pendulum (length 1) in index-1 form (the constraint differentiated twice)."""
    x, y, vx, vy, lam = (u[i:i + 1] for i in range(5))
    return cat([du[0:1] - vx, du[1:2] - vy, du[2:3] + lam * x, du[3:4] + lam * y + G,
                vx * vx + vy * vy - lam * (x * x + y * y) - G * y])


@pytest.mark.parametrize("name", sorted(DAE_METHODS))
def test_pendulum_index1_on_the_device_against_the_pendulum_ode(name):
    th0 = 0.5
    u0 = [math.sin(th0), -math.cos(th0), 0.0, 0.0, 0.0]      # lambda(0) = 0 inconsistent

    def run(put):
        prob = DAEProblem(pendulum_F, put([0.0] * 5), put(u0), (0.0, 1.0),
                          differential_vars=[True] * 4 + [False])
        return solve(prob, DAE_METHODS[name](), rtol=1e-8, atol=1e-10)

    a, b = run(dev), run(put_np)
    assert a.retcode.name == "Success" and len(a.t) == len(b.t)
    assert abs(host(a.u[0])[4] - G * math.cos(th0)) < 1e-12   # lambda = v^2 - g y at rest
    ode = solve(ODEProblem(lambda z, p, t: np.array([z[1], -G * np.sin(z[0])]), np.array([th0, 0.0]), (0.0, 1.0)),
                solvers.Vern9(), rtol=1e-12, atol=1e-14)
    for t in (0.3, 0.7, 1.0):
        th = ode(t)[0]
        np.testing.assert_allclose(host(a(t))[:2], [math.sin(th), -math.cos(th)], atol=2e-5)
        np.testing.assert_allclose(host(a(t)), b(t), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("name", sorted(DAE_METHODS))
def test_dual_parameter_through_a_device_dae_has_the_exact_derivative(name):
    # du0 = -k u0, u1 = 2 u0: d/dk u(1) = -(1, 2) exp(-k); the state becomes a DualArray on the device
    def F(du, u, p, t):
        return cat([du[0:1] + u[0:1] * p, u[1:2] - u[0:1] * 2.0])

    def final(k):
        return solve(DAEProblem(F, dev([0.0, 0.0]), dev([1.0, 0.0]), (0.0, 1.0), k), DAE_METHODS[name](),
                     rtol=1e-8, atol=1e-10).u[-1]

    d = nm.derivative(final, 0.5)
    assert_on_device(d)
    np.testing.assert_allclose(host(d), -np.array([1.0, 2.0]) * math.exp(-0.5), rtol=1e-5)


def test_index2_dae_on_the_device_is_refused_with_the_reason():
    # the algebraic variable does not enter the constraint: the initialisation matrix is singular
    def F2(du, u, p, t):
        return cat([du[0:1] - u[1:2], u[0:1] - 0.5])

    with pytest.raises(ValueError, match="index"):
        solve(DAEProblem(F2, dev([0.0, 0.0]), dev([0.0, 0.0]), (0.0, 1.0)), DFBDF())


@pytest.mark.parametrize("name", sorted(DAE_METHODS))
def test_device_dae_pulls_scalars_only_once_per_newton_iteration(name, syncs):
    # DFBDF: FBDF's count (one norm per Newton iteration, the error norm, two order-choice norms every
    # k + 1 steps); DRadauIIA5: one norm per stage per Newton iteration (3 per f evaluation of
    # the 3 stages) and the error norm. Setup: the initialisation's two norms per Newton iteration,
    # the first step. Measured: DFBDF 246 for 61 steps and 148 iterations, DRadauIIA5 221 for 32
    # steps and nf = 181
    prob = DAEProblem(rober_F, dev([0.0, 0.0, 0.0]), dev([1.0, 0.0, 0.2]), (0.0, 1.0))
    sol = solve(prob, DAE_METHODS[name](), rtol=1e-6, atol=1e-8)
    st = sol.stats
    steps = st.naccept + st.nreject
    assert set(syncs) == {"__float__"}, syncs            # no array copied back
    per_step = st.nnewton + 2 * steps if name == "DFBDF" else st.nf + steps
    assert sum(syncs.values()) <= per_step + 24, (syncs, steps, st.nnewton, st.nf)


# ------------------------------------------------------------------ M u' = f with a singular M

def rober_mass(u, p, t):
    k = 0.04 if p is None else p
    y1, y2, y3 = u[0:1], u[1:2], u[2:3]
    return cat([-k * y1 + 1e4 * y2 * y3, k * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2, y1 + y2 + y3 - 1.0])


MASS = np.diag([1.0, 1.0, 0.0])
MASS_METHODS = ["FBDF", "RadauIIA5", "Rodas4", "Rosenbrock23", "KenCarp4"]


def _mass_solve(put, name, p=None, **kw):
    prob = ODEProblem(rober_mass, put([1.0, 0.0, 0.3]), (0.0, 1.0), p)       # y3(0) inconsistent
    opts = {} if put is dev else {"compile": False}
    return solve(prob, getattr(solvers, name)(**opts), rtol=1e-6, atol=1e-8, mass_matrix=put(MASS), **kw)


@pytest.mark.parametrize("name", MASS_METHODS)
def test_singular_mass_matrix_on_the_device_takes_the_numpy_steps(name):
    a, b = _mass_solve(dev, name), _mass_solve(put_np, name)
    assert a.retcode.name == "Success"
    assert_on_device(a.u[-1])
    np.testing.assert_array_equal(host(a.u[0]), b.u[0])     # the same consistent start, to the bit
    assert abs(host(a.u[0])[2]) < 1e-15
    assert (a.stats.naccept, a.stats.nreject) == (b.stats.naccept, b.stats.nreject)
    np.testing.assert_allclose(host(a.u[-1]), b.u[-1], rtol=1e-9)
    assert abs(float(host(a.u[-1]).sum()) - 1) < 1e-12       # the algebraic equation holds
    dae = solve(DAEProblem(rober_F, np.zeros(3), np.array([1.0, 0.0, 0.0]), (0.0, 1.0)), DFBDF(),
                rtol=1e-10, atol=1e-14)                        # the other DAE form, tightly
    np.testing.assert_allclose(host(a.u[-1]), dae.u[-1], rtol=1e-4)


@pytest.mark.parametrize("name", ["FBDF", "Rodas4", "KenCarp4"])
def test_dual_parameter_with_a_singular_mass_matrix_on_the_device(name):
    # the Jacobian carries dJ/dk (a DualArray) next to a device M: W = a M - b J, the consistent
    # start and KenCarp4's initial slope keep the partials. Against the NumPy run (forward mode,
    # the same steps) and central differences of the float solve
    a = nm.derivative(lambda k: _mass_solve(dev, name, k).u[-1], 0.04)
    b = nm.derivative(lambda k: _mass_solve(put_np, name, k).u[-1], 0.04)
    assert_on_device(a)
    np.testing.assert_allclose(host(a), b, rtol=1e-9, atol=1e-14)
    if name != "FBDF":          # (one independent check is enough: the derivatives agree above)
        return
    h = 1e-6
    fd = (_mass_solve(put_np, name, 0.04 + h).u[-1] - _mass_solve(put_np, name, 0.04 - h).u[-1]) / (2 * h)
    np.testing.assert_allclose(host(a), fd, rtol=1e-3, atol=1e-7)


def test_mass_matrix_that_is_not_semi_explicit_is_refused_on_the_device():
    with pytest.raises(ValueError, match="zero rows but 0 zero columns"):
        solve(ODEProblem(lambda u, p, t: u * -1.0, dev([1.0, 1.0]), (0.0, 1.0)), solvers.FBDF(),
              mass_matrix=dev([[1.0, 1.0], [0.0, 0.0]]))


def test_singular_mass_matrix_solve_syncs_scalars_only(syncs):
    # measured: 260 for 69 steps and 157 Newton iterations (FBDF's count, plus the start)
    sol = _mass_solve(dev, "FBDF")
    st = sol.stats
    steps = st.naccept + st.nreject
    assert set(syncs) == {"__float__"}, syncs
    assert sum(syncs.values()) <= st.nnewton + 2 * steps + 24, (syncs, steps, st.nnewton)


def test_rosenbrock_time_derivative_with_the_state_on_the_left_on_the_device():
    # u' = -u + sin(t) c: in df/dt the time's dual meets u * -1.0, a plain device array on the left
    c = np.array([1.0, 2.0])

    def run(put):
        cc = put(c)
        return solve(ODEProblem(lambda u, p, t: u * -1.0 + nm.sin(t) * cc, put([1.0, 0.0]), (0.0, 2.0)),
                     solvers.Rodas4(), rtol=1e-8, atol=1e-10)

    a, b = run(dev), run(put_np)
    assert len(a.t) == len(b.t)
    np.testing.assert_allclose(host(a.u[-1]), b.u[-1], rtol=1e-10)
    # exact: u = e^-t u0 + c (sin t - cos t + e^-t) / 2
    t = 2.0
    exact = math.exp(-t) * np.array([1.0, 0.0]) + c * (math.sin(t) - math.cos(t) + math.exp(-t)) / 2
    np.testing.assert_allclose(host(a.u[-1]), exact, rtol=1e-6)


# ------------------------------------------------------------------ delay differential equations

C = np.array([1.0, 2.0])


def _dde(put, lag=1.0, k=None, tf=2.0):
    h0 = put(C)
    if k is None:
        f = lambda u, h, p, t: h(p, t - lag) * -1.0   # noqa: E731
    else:
        f = lambda u, h, p, t: p * h(p, t - lag) * -1.0   # noqa: E731
    return DDEProblem(f, put(C), lambda p, t: h0, (0.0, tf), k, constant_lags=[lag])


def _exact_dde(t, k=1.0):
    # u' = -k u(t - 1), u = c on t <= 0: u = c (1 - k t) on [0, 1], c (1 - k t + k^2 (t - 1)^2 / 2) on [1, 2]
    return C * ((1 - k * t) + (k * k * (t - 1) ** 2 / 2 if t > 1 else 0.0))


@pytest.mark.parametrize("name", ["Tsit5", "Vern7", "Rodas5P", "FBDF", "KenCarp4"])
def test_constant_lag_dde_on_the_device_takes_the_numpy_steps(name):
    a = solve(_dde(dev), MethodOfSteps(getattr(solvers, name)()), rtol=1e-8, atol=1e-10)
    b = solve(_dde(put_np), MethodOfSteps(getattr(solvers, name)()), rtol=1e-8, atol=1e-10)
    assert a.retcode.name == "Success"
    assert len(a.t) == len(b.t) and a.stats.nf == b.stats.nf   # (before dense output builds lazy stages)
    assert_on_device(a.u[-1])
    assert_on_device(a(1.5))
    assert [(float(t), lv) for t, lv in a.discontinuities] == [(float(t), lv) for t, lv in b.discontinuities]
    np.testing.assert_allclose(host(a.u[-1]), b.u[-1], rtol=1e-12)
    np.testing.assert_allclose(host(a(1.5)), b(1.5), rtol=1e-12)
    for t in (0.5, 1.5, 2.0):
        np.testing.assert_allclose(host(a(t)), _exact_dde(t), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["Tsit5", "Rodas5P"])
def test_short_lag_dde_on_the_device_iterates_as_numpy(name):
    # a lag shorter than the steps: the fixed-point iteration reads the attempt's own interpolant
    a = solve(_dde(dev, lag=0.05, tf=0.5), MethodOfSteps(getattr(solvers, name)()), rtol=1e-6, atol=1e-8)
    b = solve(_dde(put_np, lag=0.05, tf=0.5), MethodOfSteps(getattr(solvers, name)()), rtol=1e-6, atol=1e-8)
    assert a.retcode.name == "Success"
    assert len(a.t) == len(b.t) and a.stats.nf == b.stats.nf
    np.testing.assert_allclose(host(a.u[-1]), b.u[-1], rtol=1e-12)


@pytest.mark.parametrize("name", ["Tsit5", "Rodas5P"])
def test_dual_parameter_through_a_device_dde_has_the_exact_derivative(name):
    # d/dk u(2) = c (-2 + k) (from the exact solution above); Rodas5P's df/dt reads the history at
    # a dual time (the chain rule u(s) + u'(s) ds on the device)
    def final(put):
        return lambda k: solve(_dde(put, k=k), MethodOfSteps(getattr(solvers, name)()), rtol=1e-9,
                               atol=1e-11).u[-1]

    a = nm.derivative(final(dev), 0.8)
    assert_on_device(a)
    np.testing.assert_allclose(host(a), nm.derivative(final(put_np), 0.8), rtol=1e-9)
    np.testing.assert_allclose(host(a), C * (-2 + 0.8), rtol=1e-6)


def test_dde_on_the_device_syncs_once_per_step(syncs):
    # the error norm per step; the lag is longer than every step (no fixed-point iteration); the
    # discontinuity times are host numbers. Measured: 22 for 17 steps
    sol = solve(_dde(dev), MethodOfSteps(solvers.Tsit5()), rtol=1e-8, atol=1e-10)
    steps = sol.stats.naccept + sol.stats.nreject
    assert set(syncs) == {"__float__"}, syncs
    assert sum(syncs.values()) <= steps + 8, (syncs, steps)


# ------------------------------------------------------------------ the LU kept across solves, by capability

def test_linear_solver_keeps_an_lu_where_the_namespace_has_one(monkeypatch):
    # NumPy (scipy.linalg) factorises once and solves many times; array_api_strict has no LU in the
    # standard: xp.linalg.solve per call. CuPy takes the NumPy branch's code with cupyx.scipy.linalg
    # (tests/test_cupy.py, not run on hardware here)
    import scipy.linalg

    from numeric.backend import linear_solver, lu_module
    from solvers.ode.stiff.linsolve import iteration_matrix

    A = np.array([[4.0, 1.0, 0.5], [0.3, 3.0, 0.2], [0.1, 0.4, 2.0]])
    B = np.random.default_rng(2).standard_normal((3, 4))
    calls = []
    real = scipy.linalg.lu_factor
    monkeypatch.setattr(scipy.linalg, "lu_factor", lambda *a, **k: calls.append(1) or real(*a, **k))
    s = linear_solver(A)
    assert s.factored and lu_module(np) is scipy.linalg
    for b in (B[:, 0], B):
        np.testing.assert_allclose(s(b), np.linalg.solve(A, b), rtol=1e-14)
    assert len(calls) == 1
    assert lu_module(xs) is None
    sd = linear_solver(dev(A))
    assert not sd.factored
    x = sd(dev(B[:, 0]))
    assert_on_device(x)
    np.testing.assert_allclose(host(x), np.linalg.solve(A, B[:, 0]), rtol=1e-14)
    W = iteration_matrix(None, dev(A), 1.0, 0.5)                  # the stiff methods' helper on a device
    assert W.kind == "namespace" and not W._solve.factored
    np.testing.assert_allclose(host(W.solve(dev(B[:, 1]))), np.linalg.solve(np.eye(3) - 0.5 * A, B[:, 1]), rtol=1e-14)


def test_neutral_lookup_at_a_dual_time_on_the_device_is_refused_with_the_reason():
    # Rodas5P's df/dt asks h(p, t - 1, deriv=1) at a dual time: that needs the interpolant's second
    # derivative, which the segments do not give; an explicit inner method runs the same problem
    def neutral(put):
        h0 = put(C)

        def history(p, t, deriv=0):
            return h0 if deriv == 0 else h0 * 0.0

        return DDEProblem(lambda u, h, p, t: u * -1.0 + h(p, t - 1.0, deriv=1) * 0.5, put(C), history, (0.0, 2.0),
                          constant_lags=[1.0], neutral=True)

    prob = neutral(dev)
    a = solve(prob, MethodOfSteps(solvers.Tsit5()), rtol=1e-6)
    b = solve(neutral(put_np), MethodOfSteps(solvers.Tsit5()), rtol=1e-6)
    assert a.retcode.name == "Success" and len(a.t) == len(b.t)
    np.testing.assert_allclose(host(a.u[-1]), b.u[-1], rtol=1e-12)
    with pytest.raises(TypeError, match="deriv=1"):
        solve(prob, MethodOfSteps(solvers.Rodas5P()), rtol=1e-6)
