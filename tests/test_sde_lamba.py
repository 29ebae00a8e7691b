"""Adaptive Euler–Maruyama (LambaEM, Itô) and Euler–Heun (LambaEulerHeun, Stratonovich).

Geometric Brownian motion has the exact solutions X = exp((mu - s^2/2) t + s W) (Itô) and
X = exp(mu t + s W) (Stratonovich) on the path W the adaptive solve reports in stats["W"]
(the sum of its accepted increments).
"""

import numpy as np
import pytest

from solvers.sde import SDEProblem, EulerMaruyama, LambaEM, LambaEulerHeun, solve

MU, S = 1.0, 0.5


def _gbm(interpretation="ito"):
    return SDEProblem(lambda u, p, t: MU * u, lambda u, p, t: S * u, 1.0, (0.0, 1.0),
                      interpretation=interpretation)


def _exact(W, interpretation):
    return np.exp(MU - (S * S / 2 if interpretation == "ito" else 0.0) + S * W)


def _errors(alg, interpretation, tol, seeds=30):
    out = []
    for seed in range(seeds):
        sol = solve(_gbm(interpretation), alg, rtol=tol, atol=tol, seed=seed)
        assert sol.success
        out.append(sol.u[-1] - _exact(sol.stats["W"], interpretation))
    return np.array(out)


@pytest.mark.parametrize("alg, interpretation, rate, fine_tol, bound", [
    (LambaEM(), "ito", 0.5, 1e-4, 0.03), (LambaEulerHeun(), "stratonovich", 1.0, 1e-3, 3e-3)])
def test_error_falls_with_the_tolerance_at_the_method_order(alg, interpretation, rate, fine_tol,
                                                            bound):
    coarse, fine = (np.mean(np.abs(_errors(alg, interpretation, tol))) for tol in (1e-2, fine_tol))
    # strong order 1/2 (EM) or 1 (Heun, scalar noise) in the step, steps ~ 1/tol: error ~ tol^rate
    assert fine < coarse * (1e-2 / fine_tol) ** -rate * 3
    assert fine < bound


def test_lamba_em_has_no_bias_from_its_step_selection():
    # the mean error over paths is the scheme's weak error, far below its strong error; an
    # estimate reading dW (rejecting large dW^2) left +0.08 here (see solvers.sde.lamba)
    err = _errors(LambaEM(), "ito", 1e-3, seeds=40)
    assert abs(err.mean()) < 4 * err.std() / np.sqrt(len(err))


def test_general_noise_and_batches():
    two = SDEProblem(lambda u, p, t: MU * u, lambda u, p, t: np.stack([0.3 * u, 0.4 * u], axis=-1),
                     np.array([1.0]), (0.0, 1.0), noise_dim=2)
    errs = []
    for seed in range(10):
        sol = solve(two, LambaEM(), rtol=1e-3, atol=1e-3, seed=seed)
        W = sol.stats["W"]
        errs.append(abs(sol.u[-1][0] - np.exp(MU - 0.125 + 0.3 * W[0] + 0.4 * W[1])))
    assert np.mean(errs) < 0.05
    batch = solve(_gbm(), LambaEM(), rtol=1e-3, atol=1e-3, seed=1, batch=40)
    rel = np.abs(batch.u[-1] / _exact(batch.stats["W"], "ito") - 1)
    assert batch.success and batch.u[-1].shape == (40,) and np.mean(rel) < 0.03


def test_the_fixed_step_methods_stay_fixed_step():
    with pytest.raises(ValueError, match="no error estimate for adaptive steps"):
        solve(_gbm(), EulerMaruyama(), adaptive=True, seed=1)
    sol = solve(_gbm(), LambaEM(), dt=0.01, adaptive=False, seed=1)   # the EM step, fixed
    assert len(sol.t) == 101
