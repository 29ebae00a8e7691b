"""``unstable_check=``: a user test that ends ODE and SDE solves as ``Unstable`` (solvers/unstable.py).

Without it, a fixed step outside a method's stability region grows the state to huge finite
values and the solve ends ``Success``; these tests show that and that the check catches it at
the first step where it holds, in every loop (explicit, stiff, fixed and adaptive SDE).
"""

import math

import numpy as np
import pytest

import numeric as nm
from solvers import (EulerMaruyama, ODEProblem, Rodas4, SDEProblem, SRIW1, Euler, Tsit5, norm_exceeds,
                     solve)

STIFF = ODEProblem(lambda u, p, t: -50.0 * u, np.array([1.0]), (0.0, 5.0))


def test_fixed_step_blow_up_is_success_without_the_check():
    sol = solve(STIFF, Euler(), dt=0.05)
    assert sol.retcode.name == "Success"
    assert abs(sol.u[-1][0]) == pytest.approx(1.5 ** 100, rel=1e-9)  # |1 - 50 * 0.05|^100: not e^-250


def test_norm_exceeds_stops_at_the_first_step_over_the_limit():
    sol = solve(STIFF, Euler(), dt=0.05, unstable_check=norm_exceeds(1e3), verbose=False)
    assert sol.retcode.name == "Unstable"
    k = math.ceil(math.log(1e3) / math.log(1.5))  # 1.5^17 = 985 < 1e3 < 1.5^18
    assert sol.t[-1] == pytest.approx(k * 0.05)
    assert abs(sol.u[-1][0]) == pytest.approx(1.5 ** k)
    assert "unstable_check returned True at t = 0.9" in sol.message


def test_adaptive_and_stiff_loops_call_it_with_dt_u_p_t():
    seen = []

    def below_half(dt, u, p, t):
        seen.append((dt, p))
        return u[0] < 0.5

    decay = ODEProblem(lambda u, p, t: -p * u, np.array([1.0]), (0.0, 3.0), 1.0)
    for alg in (Tsit5(), Rodas4()):
        seen.clear()
        sol = solve(decay, alg, rtol=1e-8, atol=1e-10, unstable_check=below_half, verbose=False)
        assert sol.retcode.name == "Unstable", alg
        assert sol.u[-1][0] < 0.5 <= sol.u[-2][0]
        assert sol.t[-2] <= math.log(2) < sol.t[-1]
        assert all(dt > 0 and p == 1.0 for dt, p in seen)


def test_the_check_sees_the_value_of_a_dual_state():
    x = nm.Dual(1.0, [1.0])
    prob = ODEProblem(lambda u, p, t: -50.0 * u, np.array([x]), (0.0, 5.0))
    sol = solve(prob, Euler(), dt=0.05, unstable_check=norm_exceeds(1e3), verbose=False)
    assert sol.retcode.name == "Unstable"
    assert nm.value(sol.u[-1][0]) == pytest.approx(1.5 ** 18)
    assert sol.u[-1][0].partials[0] == pytest.approx(1.5 ** 18)  # d/dx0 of (1 - 2.5)^18 x0


def test_compile_true_refuses_and_compile_none_runs_the_generic_loop():
    with pytest.raises(ValueError, match="unstable_check needs the generic loop"):
        solve(STIFF, Tsit5(), compile=True, unstable_check=norm_exceeds(1e3))
    with pytest.raises(ValueError, match="unstable_check or a custom controller need the generic loop"):
        solve(STIFF, Rodas4(), compile=True, unstable_check=norm_exceeds(1e3))
    sol = solve(STIFF, Tsit5(), unstable_check=norm_exceeds(1e3))
    assert sol.retcode.name == "Success" and not sol.compiled


def test_bad_checks_are_refused_clearly():
    with pytest.raises(TypeError, match="must be a function"):
        solve(STIFF, Euler(), dt=0.05, unstable_check=1e3)
    with pytest.raises(TypeError, match="return one bool"):
        solve(ODEProblem(lambda u, p, t: -u, np.ones(2), (0.0, 1.0)), Euler(), dt=0.1,
              unstable_check=lambda dt, u, p, t: u > 0)
    with pytest.raises(ValueError, match="limit must be positive"):
        norm_exceeds(0.0)


OU = SDEProblem(lambda u, p, t: -50.0 * u, lambda u, p, t: 0.1 + 0 * u, 1.0, (0.0, 5.0))


def test_fixed_step_sde_blow_up_is_caught():
    plain = solve(OU, EulerMaruyama(), dt=0.05, seed=3)
    assert plain.retcode == "Success" and abs(plain.u[-1]) > 1e15  # the drift's factor is -1.5 per step
    sol = solve(OU, EulerMaruyama(), dt=0.05, seed=3, unstable_check=norm_exceeds(1e3), verbose=False)
    assert sol.retcode == "Unstable"
    assert abs(sol.u[-1]) > 1e3 and abs(sol.u[-2]) <= 1e3
    assert sol.stats["message"].startswith("unstable_check returned True")
    batch = solve(OU, EulerMaruyama(), dt=0.05, seed=3, batch=8, unstable_check=norm_exceeds(1e3),
                  verbose=False)
    assert batch.retcode == "Unstable"


def test_adaptive_sde_stops_at_the_first_accepted_step_where_it_holds():
    gbm = SDEProblem(lambda u, p, t: u, lambda u, p, t: 0.5 * u, 1.0, (0.0, 10.0))
    sol = solve(gbm, SRIW1(), rtol=1e-3, atol=1e-3, seed=4, unstable_check=lambda dt, u, p, t: u > 3.0,
                verbose=False)
    assert sol.retcode == "Unstable"
    assert sol.u[-1] > 3.0 and all(u <= 3.0 for u in sol.u[:-1])
    assert sol.t[-1] < 10.0
