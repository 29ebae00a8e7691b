"""Deep BSDE (examples/deep_bsde.py): the Cole--Hopf reference, the SDE formulation, its gradient,
the DriftHeun method, and (slow) the paper's accuracy in 100 dimensions."""

import doctest
import importlib.util
import math
import pathlib
import sys
from dataclasses import replace

import numpy as np
import pytest

import numeric as nm
from solvers.sde import EulerMaruyama, SDEProblem, integrate

PATH = pathlib.Path(__file__).resolve().parents[1] / "examples" / "deep_bsde.py"
spec = importlib.util.spec_from_file_location("deep_bsde", PATH)
db = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = db      # dataclasses look their module up
spec.loader.exec_module(db)


def test_hjb_reference_quadrature_matches_values_and_monte_carlo():
    # the lambda = 1 value and the lambda = 2 value the uncorrected generator solves
    assert abs(db.hjb_reference(1.0) - 4.5901617) < 5e-8
    assert abs(db.hjb_reference(2.0) - 4.57996) < 5e-6
    # an independent estimate: Monte Carlo over 100-dimensional Brownian motions (Cole--Hopf)
    rng = np.random.default_rng(3)
    vals = np.concatenate([np.exp(-db.HJB.terminal(np.sqrt(2.0) * rng.standard_normal((20_000, 100))))
                           for _ in range(5)])
    mc = -math.log(vals.mean())
    se = vals.std() / vals.mean() / math.sqrt(vals.size)
    assert abs(mc - db.hjb_reference(1.0)) < 4 * se, (mc, se)


def _small(case, dim=6):
    return replace(case, dim=dim)


def test_zero_network_hjb_loss_is_the_terminal_variance_on_the_shared_path():
    # Z = 0 (zero parameters): Y_T = Y_0, and X_T = sqrt(2) W_T of the same Brownian path
    case = _small(db.HJB)
    znet = db.ZNetwork(case.dim, hidden=5)
    params = np.concatenate([[1.3], np.zeros(znet.net.nparams)])
    loss = db.bsde_loss(params, case, znet, EulerMaruyama(), 4, 7, np.random.default_rng(0))
    path = db.BrownianPath((0.0, case.T), shape=(7, case.dim), seed=np.random.default_rng(0), n=4)
    x_t = case.sigma * path.increments(4)[0].sum(axis=0)
    assert np.isclose(loss, np.mean((1.3 - case.terminal(x_t)) ** 2), rtol=1e-13, atol=0)
    assert znet.evaluations == 4 * 7          # Z once per step and path: drift and noise share it


def test_bsde_loss_gradient_reverse_mode_against_central_differences():
    case = _small(db.ALLEN_CAHN)
    znet = db.ZNetwork(case.dim, hidden=5)
    params = np.concatenate([[0.4], znet.net.init(1)])

    def loss(p):
        return db.bsde_loss(p, case, znet, db.DriftHeun(), 5, 9, np.random.default_rng(2))

    _, g = nm.value_and_grad(loss, mode="reverse")(params)
    for i in (0, 3, params.size - 1):
        e = np.zeros_like(params)
        e[i] = 1e-6
        fd = (loss(params + e) - loss(params - e)) / 2e-6
        assert abs(g[i] - fd) <= 1e-6 * max(1.0, abs(fd)), (i, g[i], fd)


def test_per_step_networks_gradient_against_central_differences():
    # the paper's architecture: z0, then one batch-normalised subnet per step
    case = _small(db.HJB)
    znet = db.StepNetworks(case.dim, steps=4, hidden=5)
    params = np.concatenate([[0.4], znet.init(1)])

    def loss(p):
        return db.bsde_loss(p, case, znet, EulerMaruyama(), 4, 9, np.random.default_rng(2))

    _, g = nm.value_and_grad(loss, mode="reverse")(params)
    v = np.random.default_rng(5).normal(size=params.size)
    fd = (loss(params + 1e-6 * v) - loss(params - 1e-6 * v)) / 2e-6
    assert g @ v == pytest.approx(fd, rel=1e-6)
    assert g[1:1 + case.dim].any()                   # z0 is trained ...
    znet.evaluations = 0
    loss(params)
    assert znet.evaluations == 3 * 9                 # ... and the 3 subnets run once per path


def test_per_step_networks_refuse_a_step_they_have_no_subnet_for():
    znet = db.StepNetworks(3, steps=2, hidden=4)
    znet.along([np.ones((4, 3)) * k for k in range(4)], 0.0, 0.5)
    with pytest.raises(ValueError, match="solver's number of steps"):
        znet(znet.init(0), 1.0)
    with pytest.raises(ValueError, match="'shared' or 'per_step'"):
        db.train(db.ALLEN_CAHN, iters=1, network="perstep")


def test_drift_heun_is_heun_without_noise_and_second_order():
    prob = SDEProblem(lambda u, p, t: -u, lambda u, p, t: 0.0 * u[..., None], np.array([1.0]),
                      (0.0, 1.0), noise_dim=1)
    errs = []
    for n in (8, 16, 32):
        h = 1.0 / n
        y = integrate(prob, db.DriftHeun(), dt=h, seed=0, save="final").u[-1][0]
        assert abs(y - (1 - h + h * h / 2) ** n) < 1e-14         # exactly Heun's recurrence
        errs.append(abs(y - math.exp(-1.0)))
    assert 3.6 < errs[0] / errs[1] < 4.4 and 3.6 < errs[1] / errs[2] < 4.4, errs


def test_drift_heun_reuses_the_network_at_the_predictor():
    # HJB's drift reads Z: the predictor's Z(t + h, X_{t+h}) is the next step's Z, evaluated once
    case = _small(db.HJB)
    znet = db.ZNetwork(case.dim, hidden=5)
    params = np.concatenate([[0.5], znet.net.init(0)])
    db.bsde_loss(params, case, znet, db.DriftHeun(), 4, 3, np.random.default_rng(0))
    assert znet.evaluations == (4 + 1) * 3


def test_z_off_the_grid_is_refused():
    znet = db.ZNetwork(3, hidden=4)
    znet.along([np.zeros((2, 3))] * 3, 0.0, 0.5)
    with pytest.raises(ValueError, match="not on the grid"):
        znet(znet.net.init(0), 0.25)


def test_short_training_moves_y0_towards_the_reference():
    r = db.train(db.ALLEN_CAHN, steps=4, iters=40, batch=16, hidden=16, lrs=(2e-2,))
    assert r.y0_history[-1] < r.y0_history[0] - 0.3          # from about 0.45 towards 0.0528
    assert np.mean(r.loss_history[-5:]) < r.loss_history[0]


@pytest.mark.slow
def test_full_setting_reaches_published_accuracy_allen_cahn():
    r = db.train(db.ALLEN_CAHN, EulerMaruyama(), seed=0, **db.FULL_SETTINGS["allen_cahn"])
    assert r.rel_error < 0.0030, (r.y0, r.rel_error)        # published 0.30%; here 0.237%


@pytest.mark.slow
def test_paper_setup_hjb_mean_error_over_independent_runs():
    # The published 0.17% is a mean over independent runs, so the claim tested is a mean, not one
    # seed. The DeepBSDE code's HJB configuration, 10 seeds here: mean 0.189% (standard error
    # 0.005%), each seed 0.163-0.216%, Y0 above the reference in all; seeds 0-2: 0.192, 0.195,
    # 0.216% (benchmarks/RESULTS.md, "Deep BSDE HJB (d = 100) against the published 0.17%").
    runs = [db.train(db.HJB, EulerMaruyama(), seed=s, **db.PAPER_HJB_SETTINGS) for s in (0, 1, 2)]
    errs = np.array([r.rel_error for r in runs])
    assert errs.mean() < 0.0025 and errs.max() < 0.0030, [(r.y0, r.rel_error) for r in runs]


@pytest.mark.slow
def test_drift_heun_needs_fewer_network_evaluations_than_euler():
    rows = db.compare_methods(db.ALLEN_CAHN, {"EulerMaruyama": (16,), "DriftHeun": (2,)})
    em, heun = rows
    assert heun.evaluations * 4 < em.evaluations
    assert heun.rel_error < em.rel_error, (heun.rel_error, em.rel_error)


def test_docstring_examples():
    result = doctest.testmod(db, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0, result
