"""The fast paths that make an ODE solve of measurements cheap give the general answers.

A right-hand side written on scalars (``x, y = u[0], u[1]`` ... ``np.stack``)
and the Runge–Kutta stage sums (``nm.lincomb``) take dedicated paths in
``numeric.measurement``: dictionary-form scalars taken out of arrays, arrays
packed from scalars whose values and components share one buffer, a fused
linear combination. Each is checked here against a different code path of
the same quantity: element-by-element exact equality (``a - b == 0 ± 0``),
the plain operator sum, the generic indexing path, or, for the solve, the
gradient from ``Dual`` numbers through the same solver.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import numeric as nm
from numeric.measurement.array import MeasurementArray, dense_parts
from solvers import ODEProblem, Tsit5, solve

M = nm.Measurement


def _state():
    """A dense 2-element array on two sources, as an ODE state is, and two parameters."""
    a, b = M(1.5, 0.01), M(1.0, 0.02)
    u = nm.measurements([1.0 + 0 * a, 2.0 + 0 * b]) * 1.0
    return a, b, u


def _rhs(u, p, t):
    a, b = p
    x, y = u[0], u[1]
    return np.stack([a * x - b * x * y, -3.0 * y + x * y])


def _assert_equal_arrays(got, want, rtol=1e-15):
    """Same values and the same components on the same sources (after alignment)."""
    vg, Jg, sg = dense_parts(got)
    vw, Jw, sw = dense_parts(want)
    keys = sorted(set(sg.tolist()) | set(sw.tolist()))

    def full(J, s):
        out = np.zeros(J.shape[:-1] + (len(keys),))
        out[..., [keys.index(k) for k in s.tolist()]] = J
        return out

    np.testing.assert_allclose(vg, vw, rtol=rtol, atol=0)
    np.testing.assert_allclose(full(Jg, sg), full(Jw, sw), rtol=rtol, atol=1e-300)


def test_indexing_fast_path_agrees_with_the_general_path():
    a, b, u = _state()
    for i in range(2):
        fast, general = u[i], u[np.int64(i)]     # np.int64 takes the general path
        assert fast == general and fast.err == pytest.approx(general.err, rel=1e-15)
    x, y = u                                      # iteration
    assert x == u[np.int64(0)] and y == u[np.int64(1)]


def test_stack_of_scalars_keeps_every_element_and_correlation():
    a, b, u = _state()
    x, y = u[0], u[1]
    z = M(0.5, 0.3)                               # a source that only one element has
    items = [a * x - b * x * y, z * y, 2.0, 3, b - b]
    packed = np.stack(items)
    assert isinstance(packed, MeasurementArray)
    for i, e in enumerate(items):
        assert packed[np.int64(i)] == e           # exact: same value, same components
    # the same scalars as an object array absorbed by an operation with a state
    obj = np.array(items, dtype=object)
    _assert_equal_arrays(nm.zero(packed) + obj, packed)


@pytest.mark.parametrize("form", ["packed", "dense", "mixed sources"])
def test_lincomb_equals_the_operator_sum(form):
    a, b, u = _state()
    ks = [_rhs(u + c * u, (a, b), 0.0) for c in (0.0, 0.1, 0.2, 0.3)]
    if form == "dense":
        ks = [MeasurementArray._dense(k.val.copy(), k.J.copy(), k.src) for k in ks]
    elif form == "mixed sources":
        ks[2] = ks[2] + nm.measurements([0.0, 0.0], [0.1, 0.2])   # two more sources
    coeffs = [0.25, 0.0, -1.5, 2]
    want = ks[0] * coeffs[0]
    for c, k in zip(coeffs[1:], ks[1:]):
        if c:
            want = want + k * c
    _assert_equal_arrays(nm.lincomb(coeffs, ks), want, rtol=1e-14)


def test_linear_operations_on_a_joint_array_and_setitem():
    a, b, u = _state()
    k = _rhs(u, (a, b), 0.0)
    assert k._vj is not None                      # packed: values and components in one buffer
    ref = MeasurementArray._dense(k.val.copy(), k.J.copy(), k.src)
    for got, want in ((0.5 * k, 0.5 * ref), (k / 4, ref / 4), (k + k, ref + ref),
                      (k - 2.0 * k, ref - 2.0 * ref)):
        _assert_equal_arrays(got, want)
    k[0] = a                                      # replaces the first element's components
    assert k._vj is None
    assert k[np.int64(0)] == a and (2.0 * k)[np.int64(0)] == 2.0 * a


def test_norm_of_a_measurement_array_includes_the_components():
    # values and linear components together, as DualArray's norm includes partials
    v = np.array([3.0, -4.0])
    x = nm.measurements(v, [1e3, 1e3]) * 1.0
    assert nm.norm(x) == pytest.approx(math.sqrt((9 + 16 + 2e6) / 2), rel=1e-15)
    big = nm.measurements(v * 1e200, 1.0) * 1.0   # squares overflow: the scaled fallback
    assert nm.norm(big) == pytest.approx(nm.norm(v) * 1e200, rel=1e-14)


def _lotka_volterra(u, p, t):
    a, b, c, d = p
    x, y = u[0], u[1]
    return np.stack([a * x - b * x * y, -c * y + d * x * y])


def test_uncertain_ode_matches_the_float_solve_and_the_dual_gradient():
    T, sa, sb = 3.0, 0.01, 0.02
    opts = dict(rtol=1e-9, atol=1e-12, save_everystep=False)
    p = (M(1.5, sa), M(1.0, sb), 3.0, 1.0)
    sol = solve(ODEProblem(_lotka_volterra, np.array([1.0, 1.0]), (0.0, T), p), Tsit5(), **opts)
    flo = solve(ODEProblem(_lotka_volterra, np.array([1.0, 1.0]), (0.0, T),
                           (1.5, 1.0, 3.0, 1.0)), Tsit5(), **opts)
    # step control also controls the uncertainty components: at least the float steps
    assert sol.stats.naccept >= flo.stats.naccept
    x = sol.u[-1][0]
    assert x.val == pytest.approx(flo.u[-1][0], rel=1e-13)   # stage sums in another order

    def x_end(ab):
        q = (ab[0], ab[1], 3.0, 1.0)
        return solve(ODEProblem(_lotka_volterra, np.array([1.0, 1.0]), (0.0, T), q), Tsit5(),
                     **opts).u[-1][0]

    g = nm.gradient(x_end, np.array([1.5, 1.0]))  # forward mode through the same solver
    assert x.err == pytest.approx(float(np.hypot(g[0] * sa, g[1] * sb)), rel=1e-6)
    assert x.derivative(p[0]) == pytest.approx(g[0], rel=1e-6)
