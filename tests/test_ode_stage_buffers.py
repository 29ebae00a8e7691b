"""The float path's reused stage buffers (no dense output) give the dense path's numbers exactly."""

from __future__ import annotations

import numpy as np
import pytest

from solvers import BS3, DP5, ODEProblem, Tsit5, Vern7, Vern9, init, solve


def lotka(u, p, t):
    a, b, c, d = p
    return np.array([a * u[0] - b * u[0] * u[1], -c * u[1] + d * u[0] * u[1]])


def stiffish(u, p, t):  # rejections happen: the FSAL stage must survive a rejected try
    return np.array([-50.0 * (u[0] - np.cos(t)), u[0] - u[1]])


PROBS = [ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 10.0), (1.5, 1.0, 3.0, 1.0)),
         ODEProblem(stiffish, np.array([0.0, 1.0]), (0.0, 3.0))]


@pytest.mark.parametrize("alg", [Tsit5, DP5, BS3, Vern7, Vern9])
@pytest.mark.parametrize("prob", PROBS)
def test_reused_buffers_match_per_step_stages(alg, prob):
    kw = dict(rtol=1e-7, atol=1e-9, dt=0.5)  # a too-large first step: rejected tries happen
    dense = solve(prob, alg(), **kw)  # dense output: stages kept per step
    reuse = solve(prob, alg(), dense=False, **kw)  # every u saved, stages reused
    assert reuse.stats.nreject == dense.stats.nreject and reuse.stats.naccept == dense.stats.naccept
    np.testing.assert_array_equal(np.asarray(reuse.t), np.asarray(dense.t))
    np.testing.assert_array_equal(np.asarray(reuse.u), np.asarray(dense.u))  # no saved u overwritten
    # against an independent solution: the exact Lotka invariant / a tight reference
    ref = solve(prob, Vern9(), rtol=1e-12, atol=1e-14, save_everystep=False).u[-1]
    assert np.abs(reuse.u[-1] - ref).max() < 1e-4


def test_rejections_occur_in_the_buffer_test():
    assert solve(PROBS[1], Tsit5(), rtol=1e-7, atol=1e-9, dt=0.5).stats.nreject > 0


def test_last_step_interpolant_survives_buffer_reuse():
    prob = PROBS[0]
    dense = solve(prob, Tsit5(), rtol=1e-8, atol=1e-10)
    integ = init(prob, Tsit5(), rtol=1e-8, atol=1e-10, save_everystep=False)
    for _ in range(5):
        integ.step()
    for _ in range(3):  # the next tries write the other buffer; the last step's segment stays intact
        integ.step()
        mid = 0.5 * (integ.tprev + integ.t)
        np.testing.assert_allclose(integ(mid), dense(mid), rtol=0, atol=1e-13)
