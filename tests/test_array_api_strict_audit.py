"""Guards for the array-namespace audit (docs/array_namespace_audit.md): each test here failed on
``array_api_strict`` arrays on a non-CPU device before its fix, because a NumPy call (or a NumPy-only
method) touched device data on a path a user reaches with a device state.

References are independent of the code under test: closed-form solutions of ``u' = -k u`` and
their derivatives, and the same computation on NumPy arrays (the namespace must not change the
arithmetic, so the NumPy run is the reference for step sequences).
"""

import math

import numpy as np
import pytest

xs = pytest.importorskip("array_api_strict", reason="needs array-api-strict (the test extra)")

import numeric as nm  # noqa: E402
from solvers import FBDF, ODEProblem, Rodas4, Tsit5, solve  # noqa: E402
from solvers.sde import EulerMaruyama, SDEProblem  # noqa: E402

DEV = xs.Device("device1")
CPU = xs.Device("CPU_DEVICE")
ArrayType = type(xs.asarray(0.0))

U0, K, T = np.array([1.0, 2.0, -1.0]), np.array([1.0, 2.0, 0.5]), 1.0


def dev(values):
    """A float64 array of *values* on the guard's non-CPU device."""
    return xs.asarray(np.asarray(values, dtype=float).tolist(), dtype=xs.float64, device=DEV)


def host(a):
    """*a* as a NumPy array, after checking it stayed on the device."""
    assert type(a) is ArrayType, f"expected an array_api_strict array, got {type(a).__name__}"
    assert a.device == DEV
    return np.asarray(a.to_device(CPU))


def decay(u, p, t):
    return u * (-p)          # the metanum array (a DualArray, a TrackedArray) on the left


# ------------------------------------------------------------------ reverse mode through a solve

def test_reverse_gradient_through_a_device_solve_matches_the_closed_form():
    # promoting the device state to the tape's type made a zero by v.reshape (a NumPy method)
    def loss(k):
        return solve(ODEProblem(decay, dev(U0), (0.0, T), k), Tsit5(), rtol=1e-10, atol=1e-12).u[-1].sum()

    g = nm.gradient(loss, dev(K), mode="reverse")
    np.testing.assert_allclose(host(g), -T * U0 * np.exp(-K * T), rtol=1e-7)


# ------------------------------------------------------------------ finite-difference Jacobians

@pytest.mark.parametrize("alg", [Rodas4, FBDF])
def test_finite_difference_jacobian_on_the_device_matches_numpy(alg):
    # autodiff="finite" built its Jacobian with np.asarray / np.empty of the state
    A = np.array([[-50.0, 1.0, 0.0], [1.0, -2.0, 0.5], [0.0, 0.3, -1.0]])
    Ad = xs.asarray(A.T.tolist(), dtype=xs.float64, device=DEV)
    a = solve(ODEProblem(lambda u, p, t: u @ Ad, dev(U0), (0.0, T)), alg(autodiff="finite"), rtol=1e-8, atol=1e-10)
    b = solve(ODEProblem(lambda u, p, t: A @ u, U0, (0.0, T)), alg(autodiff="finite"), rtol=1e-8, atol=1e-10)
    assert a.retcode.name == "Success" and len(a.t) == len(b.t)
    np.testing.assert_allclose(host(a.u[-1]), b.u[-1], rtol=1e-10, atol=1e-13)
    import scipy.linalg

    np.testing.assert_allclose(host(a.u[-1]), scipy.linalg.expm(A * T) @ U0, rtol=2e-5, atol=1e-8)


def test_finite_difference_jacobian_is_the_matrix_on_the_device():
    from solvers.ode.stiff.jacobian import _finite

    J = _finite(lambda u, p, t: xs.stack([u[0] * u[1], xs.sin(u[2]), u[0] ** 2]))(dev([1.5, -2.0, 0.3]), None, 0.0)
    ref = np.array([[-2.0, 1.5, 0.0], [0.0, 0.0, math.cos(0.3)], [3.0, 0.0, 0.0]])
    np.testing.assert_allclose(host(J), ref, rtol=1e-7, atol=1e-7)


# ------------------------------------------------------------------ tolerances as device arrays

def test_vector_atol_on_the_device_takes_the_numpy_steps():
    # check_tolerances read a device atol with bool() of a vector
    atol = np.array([1e-6, 1e-9, 1e-12])
    a = solve(ODEProblem(decay, dev(U0), (0.0, T), dev(K)), Tsit5(), rtol=1e-6, atol=dev(atol))
    b = solve(ODEProblem(decay, U0, (0.0, T), K), Tsit5(), rtol=1e-6, atol=atol)
    assert len(a.t) == len(b.t)
    np.testing.assert_allclose(host(a.u[-1]), b.u[-1], rtol=1e-13)


def test_a_bad_device_tolerance_is_refused_with_the_reason():
    prob = ODEProblem(decay, dev(U0), (0.0, T), dev(K))
    with pytest.raises(ValueError, match="atol must be non-negative"):
        solve(prob, Tsit5(), atol=dev([1e-8, -1e-8, 1e-8]))
    with pytest.raises(ValueError, match="atol has shape"):
        solve(prob, Tsit5(), atol=dev([1e-8, 1e-8]))


# ------------------------------------------------------------------ solutions evaluated at times

def test_sde_solution_interpolates_on_the_device():
    # theta was a NumPy float64, and NumPy scalar * device array converts the array to NumPy
    prob = SDEProblem(decay, lambda u, p, t: u * 0.0, dev(U0), (0.0, T), dev(K))   # no noise: exact
    sol = solve(prob, EulerMaruyama(), dt=1 / 256, seed=1)
    ref = solve(SDEProblem(decay, lambda u, p, t: u * 0.0, U0, (0.0, T), K), EulerMaruyama(), dt=1 / 256, seed=1)
    np.testing.assert_allclose(host(sol(0.3)), ref(0.3), rtol=1e-14)
    np.testing.assert_allclose(host(sol(0.3)), U0 * np.exp(-K * 0.3), rtol=3e-3)


def test_ode_solution_at_many_times_is_one_device_array():
    sol = solve(ODEProblem(decay, dev(U0), (0.0, T), dev(K)), Tsit5(), rtol=1e-10, atol=1e-12)
    ts = [0.2, 0.5, 0.9]
    Y = sol(ts)
    assert Y.shape == (3, 3)       # stacked as on NumPy, not a list
    np.testing.assert_allclose(host(Y), U0 * np.exp(-np.outer(ts, K)), rtol=1e-8)


# ------------------------------------------------------------------ first-order optimisers

@pytest.mark.parametrize("name", ["adam", "gradient_descent"])
def test_first_order_optimisers_keep_a_device_x0_on_the_device(name):
    # minimize_first_order made x0, the gradient and the optimiser state NumPy arrays
    from solvers import optimize

    target = np.array([1.0, -2.0, 0.5])
    kw = {"lr": 0.1, "maxiter": 60} if name == "adam" else {"lr": 0.2, "maxiter": 60}
    a = getattr(optimize, name)(lambda x: ((x - dev(target)) ** 2).sum(), dev(np.zeros(3)), **kw)
    b = getattr(optimize, name)(lambda x: ((x - target) ** 2).sum(), np.zeros(3), **kw)
    assert a.nit == b.nit and a.message == b.message
    np.testing.assert_allclose(host(a.x), b.x, rtol=1e-13, atol=1e-15)
    assert abs(a.fun - b.fun) <= 1e-12 * max(1.0, b.fun)


def test_quasi_newton_refuses_a_device_x0_with_the_reason():
    from solvers.optimize import bfgs, lbfgs

    for method in (bfgs, lbfgs):
        with pytest.raises(TypeError, match="runs on the host"):
            method(lambda x: (x * x).sum(), dev([1.0, 2.0]))


# ------------------------------------------------------------------ Hessians, linear solves, sparsity

def _cubic(u):
    return (u * u * u).sum() + u[0] * u[1] + nm.sin(u[2]) * u[0]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_hessian_on_the_device_matches_the_closed_form(mode):
    # reverse over forward seeded its duals with np.eye and returned np.asarray(H)
    v = np.array([1.0, 2.0, 0.3])
    H = nm.hessian(_cubic, dev(v), mode=mode)
    ref = np.diag(6 * v)
    ref[0, 1] = ref[1, 0] = 1.0
    ref[0, 2] = ref[2, 0] = math.cos(v[2])
    ref[2, 2] += -math.sin(v[2]) * v[0]
    np.testing.assert_allclose(host(H), ref, rtol=1e-14, atol=1e-15)


def test_generic_linear_solve_takes_the_device_namespace():
    # solvers.linalg.solve sent every non-NumPy array to np.linalg.solve
    from solvers.linalg import solve as linear_solve

    A, b = np.array([[4.0, 1.0], [2.0, 3.0]]), np.array([1.0, 2.0])
    x = linear_solve(dev(A), dev(b))
    np.testing.assert_allclose(host(x), [0.1, 0.6], rtol=1e-15)     # exact: (3 - 2, 8 - 2) / 10
    np.testing.assert_allclose(host(linear_solve(dev(A), b)), [0.1, 0.6], rtol=1e-15)


def test_sparsity_tracing_refuses_a_device_input_with_the_reason():
    with pytest.raises(TypeError, match="traces on the host"):
        nm.jacobian_sparsity(lambda u: u * u, dev([1.0, 2.0]))


# ------------------------------------------------------------------ mass matrices, prepared solves

def test_an_identity_mass_matrix_on_the_device_is_recognised_by_explicit_methods():
    # np.asarray of the device matrix raised inside a try, so the identity read as "not identity"
    eye = xs.eye(3, dtype=xs.float64, device=DEV)
    sol = solve(ODEProblem(decay, dev(U0), (0.0, T), dev(K), mass_matrix=eye), Tsit5(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(sol.u[-1]), U0 * np.exp(-K * T), rtol=1e-8)
    with pytest.raises(ValueError, match="non-identity mass_matrix"):
        solve(ODEProblem(decay, dev(U0), (0.0, T), dev(K), mass_matrix=eye * 2.0), Tsit5())


def test_a_compiled_prepared_solve_refuses_a_device_state_with_the_reason():
    numba = pytest.importorskip("numba", reason="needs numba (a compiled right-hand side)")
    from solvers import prepare

    prepared = prepare(ODEProblem(numba.njit(lambda u, p, t: -u), U0, (0.0, T)), Tsit5())
    with pytest.raises(TypeError, match="compiled \\(numba\\) kernel"):
        prepared.solve(u0=dev(U0))
    plain = prepare(ODEProblem(decay, U0, (0.0, T), K), Tsit5(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(plain.solve(u0=dev(U0), p=dev(K)).u[-1]), U0 * np.exp(-K * T), rtol=1e-8)


@pytest.mark.parametrize("on_device", [True, False], ids=["device-v", "host-v"])
def test_hessian_vector_product_on_the_device_matches_the_closed_form(on_device):
    # hvp made the direction v a NumPy array (np.asarray) and sliced v[..., None]
    v = np.array([1.0, 2.0, 0.3])
    w = np.array([1.0, -1.0, 0.5])
    Hv = nm.hvp(_cubic, dev(v), dev(w) if on_device else w)
    H = np.diag(6 * v)
    H[0, 1] = H[1, 0] = 1.0
    H[0, 2] = H[2, 0] = math.cos(v[2])
    H[2, 2] += -math.sin(v[2]) * v[0]
    np.testing.assert_allclose(host(Hv), H @ w, rtol=1e-14, atol=1e-15)


# ------------------------------------------------------------------ LambaEM with general noise

def test_lamba_em_with_general_noise_on_the_device_takes_the_numpy_steps():
    # the general-noise error estimate summed with np.sum and np.sqrt of the device state
    from solvers.sde import LambaEM

    def g_dev(u, p, t):
        return xs.stack([u * 0.1, u * 0.2], axis=-1)

    def g_np(u, p, t):
        return np.stack([u * 0.1, u * 0.2], axis=-1)

    def f(u, p, t):
        return u * (-1.0)

    a = solve(SDEProblem(f, g_dev, dev([1.0, 2.0]), (0.0, T), noise_dim=2), LambaEM(), seed=1)
    b = solve(SDEProblem(f, g_np, np.array([1.0, 2.0]), (0.0, T), noise_dim=2), LambaEM(), seed=1)
    assert len(a.t) == len(b.t) and a.retcode == b.retcode
    np.testing.assert_allclose(host(a.u[-1]), b.u[-1], rtol=1e-13)


# ------------------------------------------------------------------ solvers.nn networks

def test_network_with_device_parameters_matches_numpy_and_the_other_ad_mode():
    # unflatten reshaped theta with np.reshape, BatchNorm summed with np.sum, Dense wrote x @ W
    from solvers import nn

    net = nn.Chain(nn.Dense(2, 8, "tanh"), nn.BatchNorm(8), nn.Dense(8, 2))
    th, x = net.init(0), np.random.default_rng(1).standard_normal((5, 2))
    np.testing.assert_allclose(host(net(dev(x), dev(th))), net(x, th), rtol=1e-14, atol=1e-15)

    def loss(put):
        return lambda t: (net(put(x), t) ** 2).sum()

    ref = nm.gradient(loss(np.asarray), th, mode="reverse")    # NumPy: the hand-written VJP (solvers.nn_vjp)
    for mode in ("reverse", "forward"):                        # device: the tape, and forward mode
        g = nm.gradient(loss(dev), dev(th), mode=mode)
        np.testing.assert_allclose(host(g), ref, rtol=1e-11, atol=1e-12 * np.abs(ref).max())


# ------------------------------------------------------------------ derivative rules with masks

V = np.array([0.5, 1.5, 2.0])
MASK = V > 1.0
RULE_CASES = {   # f(u) elementwise on the device, and its derivative in closed form
    "2 ** u": (lambda u: 2.0 ** u, lambda v: np.log(2.0) * 2.0 ** v),
    "u ** u": (lambda u: u ** u, lambda v: v ** v * (np.log(v) + 1)),
    "maximum(u, 1)": (lambda u: nm.maximum(u, 1.0), lambda v: (v > 1.0) * 1.0),
    "minimum(u, 1)": (lambda u: nm.minimum(u, 1.0), lambda v: (v < 1.0) * 1.0),
    "clip": (lambda u: np.clip(u, 0.6, 1.8), lambda v: ((v > 0.6) & (v < 1.8)) * 1.0),
    "nm.where": (lambda u: nm.where(dev(V) > 1.0, u, u * 2.0), lambda v: np.where(MASK, 1.0, 2.0)),
    "np.where": (lambda u: np.where(dev(V) > 1.0, u * u, 3.0), lambda v: np.where(MASK, 2 * v, 0.0)),
}


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("name", sorted(RULE_CASES))
def test_rules_with_masks_and_powers_on_the_device_match_the_closed_form(name, mode):
    # the indicator of maximum/minimum/clip read the dtype with np.issubdtype, nm.where and the
    # where rule called np.where / np.asarray on the device mask, 2 ** u reached nm.where
    f, df = RULE_CASES[name]
    J = nm.jacobian(f, dev(V), mode=mode)
    np.testing.assert_allclose(host(J), np.diag(df(V)), rtol=1e-14, atol=1e-15)


# ------------------------------------------------------------------ mask and step ufuncs

@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_mask_and_step_ufuncs_of_a_device_array_stay_on_the_device(mode):
    # np.isfinite / np.floor of a DualArray or TrackedArray applied NumPy's ufunc to the device primal
    v = np.array([1.0, np.inf, 2.6])
    masks = []

    def f(u):
        masks.append(np.isfinite(u))
        return nm.where(masks[-1], u * 2.0, u * 3.0) + np.floor(u)

    J = nm.jacobian(f, dev(v), mode=mode)
    assert host(masks[-1]).tolist() == [True, False, True]
    np.testing.assert_array_equal(host(J), np.diag([2.0, 3.0, 2.0]))   # where's branches; floor is flat


# ------------------------------------------------------------------ SDEs with a Dual parameter

def _sde_dual(put, alg, batch, noise=0.1):
    k = nm.Dual(2.0, 1.0)
    g = (lambda u, p, t: u * noise) if alg != "SRA1" else (lambda u, p, t: 0.1 + 0 * u)
    from solvers import sde

    prob = SDEProblem(lambda u, p, t: (-p) * u, g, put([1.0, 2.0]), (0.0, T), k)
    return solve(prob, getattr(sde, alg)(), dt=1 / 100, seed=1, batch=batch, save="final").u[-1]


@pytest.mark.parametrize("batch", [None, 4], ids=["path", "batch"])
@pytest.mark.parametrize("alg", ["EulerMaruyama", "SRA1", "ImplicitEM"])
def test_sde_with_a_dual_parameter_on_the_device_matches_numpy(alg, batch):
    # the device state was not lifted by the Dual parameter (u + DualArray is refused by array-API
    # operators), and ImplicitEM's Newton norm and batched blocks read the DualArray with NumPy
    a, b = _sde_dual(dev, alg, batch), _sde_dual(lambda v: np.asarray(v, dtype=float), alg, batch)
    assert isinstance(a, nm.DualArray)
    np.testing.assert_allclose(host(a.value), b.value, rtol=1e-12)
    np.testing.assert_allclose(host(a.partials), b.partials, rtol=1e-12, atol=1e-15)


def test_sde_dual_parameter_gives_the_exact_derivative_of_the_euler_recursion():
    # no noise: Euler-Maruyama is u_N = u0 (1 - k h)^N, so du_N/dk = -N h u0 (1 - k h)^(N - 1)
    a = _sde_dual(dev, "EulerMaruyama", None, noise=0.0)
    N, h, k, u0 = 100, 1 / 100, 2.0, np.array([1.0, 2.0])
    np.testing.assert_allclose(host(a.value), u0 * (1 - k * h) ** N, rtol=1e-13)
    np.testing.assert_allclose(host(a.partials)[:, 0], -N * h * u0 * (1 - k * h) ** (N - 1), rtol=1e-12)
