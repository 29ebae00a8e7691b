"""The universal ODE Lotka–Volterra of Rackauckas et al. (2020): learn the missing terms, then read them back.

The case study of "Universal Differential Equations for Scientific Machine
Learning" (Rackauckas, Ma, Martensen, Warner, Zubov, Supekar, Skinner,
Ramadhan & Edelman, arXiv:2001.04385, section 2.1 and Fig. 1): the predator-prey
system

    x' = alpha x - beta x y,      y' = gamma x y - delta y,

with ``(alpha, beta, gamma, delta) = (1.3, 0.9, 0.8, 1.8)``, ``u0 = (0.44249296,
4.6280594)``, observed on ``t in [0, 3]`` every 0.1 with 5% noise (Gaussian, standard
deviation 5% of each state's mean, as the SciML tutorial's ``noise_magnitude * x̄``).
The known linear parts stay; the interaction terms are replaced by a network
``NN: R^2 -> R^2`` with the paper's architecture (2-5-5-5-2, the radial basis activation
``exp(-x^2)`` on the hidden layers, 87 parameters):

    x' = alpha x + NN_1(x, y),    y' = -delta y + NN_2(x, y).

Training fits the sum of squared errors of the Vern7 solution (rtol = atol = 1e-6)
to the noisy data: Adam, then BFGS (as the paper), with the gradients through the
solver from metanum (``sensealg=`` forwarded; by default reverse mode through the
solver's arithmetic). Then sparse regression (STLSQ, :mod:`solvers.sindy`) on the network's
output along the fitted trajectory, over the monomials of x and y up to degree 2,
should keep exactly the two interaction terms, ``-beta x y = -0.9 x y`` and
``gamma x y = 0.8 x y``. The recovered model (known parts + identified terms) is
extrapolated to t = 50 against the truth, beside a pure neural ODE (a network for
the whole right-hand side) that fits the same data but cannot extrapolate.

Run: ``python examples/ude_lotka_volterra.py [--quick] [--recovery-rate]`` (the recovery rate:
:func:`recovery_rate`, best of three network seeds on each of three noise draws)
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import numeric as nm
from solvers import ODEProblem, Vern7, solve
from solvers.nn import Chain, Dense
from solvers.optimize import adam, bfgs
from solvers.sindy import (STLSQ, PolynomialLibrary, SINDyModel, candidate_supports, fit,
                           select_by_criterion)

P_TRUE = (1.3, 0.9, 0.8, 1.8)                 # alpha, beta, gamma, delta
U0 = np.array([0.44249296, 4.6280594])
TSPAN = (0.0, 3.0)
T_SAVE = np.round(np.arange(0.0, 3.0 + 1e-12, 0.1), 10)
NOISE = 0.05
KNOWN = np.array([P_TRUE[0], -P_TRUE[3]])     # the linear parts alpha x, -delta y
RTOL = 1e-6
NET = Chain(Dense(2, 5, "rbf"), Dense(5, 5, "rbf"), Dense(5, 5, "rbf"), Dense(5, 2))
LIBRARY = PolynomialLibrary(2)                # 1, x, y, x^2, x y, y^2
T_SINDY = np.round(np.arange(0.0, 3.0 + 1e-12, 0.05), 10)   # the paper's ts: half the data step
THRESHOLDS = np.round(10.0 ** np.arange(-3.0, 0.01, 0.1), 10)   # the sweep's thresholds
MAX_TERMS = 6                                 # candidates refit to the data: at most this many terms
NEURAL_NET = Chain(Dense(2, 32, "tanh"), Dense(32, 32, "tanh"), Dense(32, 2))


def lotka_volterra(u: Any, p: Any, t: Any) -> Any:
    """The true right-hand side."""
    a, b, c, d = p
    x, y = u[0], u[1]
    return np.stack([a * x - b * x * y, c * x * y - d * y])


def ude_rhs(u: Any, theta: Any, t: Any) -> Any:
    """Known linear parts plus the network for the interaction terms."""
    return KNOWN * u + NET(u, theta)


def neural_rhs(u: Any, theta: Any, t: Any) -> Any:
    """A pure neural ODE: the network is the whole right-hand side."""
    return NEURAL_NET(u, theta)


def truth(t_save: np.ndarray = T_SAVE, t_end: float = TSPAN[1]) -> np.ndarray:
    """The true trajectory at *t_save* (Vern7 at 1e-12, as the paper's data), shape (len, 2)."""
    sol = solve(ODEProblem(lotka_volterra, U0, (0.0, t_end), P_TRUE), Vern7(), rtol=1e-12,
                atol=1e-12, saveat=t_save)
    if not sol.success:
        raise RuntimeError(f"the Lotka–Volterra reference solve failed: {sol.message}")
    return np.asarray(sol.u, dtype=float)


def noisy_data(seed: int = 1234, noise: float = NOISE) -> np.ndarray:
    """The truth at the save points plus Gaussian noise of *noise* times each state's mean."""
    x = truth()
    rng = np.random.default_rng(seed)
    return x + noise * x.mean(axis=0) * rng.standard_normal(x.shape)


def predict(rhs: Any, theta: Any, *, u0: Any = U0, t_save: np.ndarray = T_SAVE,
            t_end: float = TSPAN[1], sensealg: Any = None, rtol: float = RTOL) -> Any:
    """The model's states at *t_save* from *u0* (a list; any number type), or raise on a failed solve."""
    sol = solve(ODEProblem(rhs, u0, (0.0, t_end), theta), Vern7(), rtol=rtol, atol=rtol,
                saveat=t_save, sensealg=sensealg, maxiters=20_000)
    if not sol.success:
        raise RuntimeError(f"the model solve failed: {sol.retcode} ({sol.message})")
    return sol.u


def loss(theta: Any, data: np.ndarray, rhs: Any = ude_rhs, *, sensealg: Any = None) -> Any:
    """Sum of squared errors of the model at the save points against *data*.

    The model starts from the first (noisy) sample ``data[0]``, as the paper's script
    (``prob_nn = ODEProblem(nn_dynamics!, Xₙ[:, 1], tspan, p)``): the exact initial state
    is not known to the modeller.
    """
    total = 0.0
    for u, d in zip(predict(rhs, theta, u0=data[0], sensealg=sensealg), data):
        r = u - d
        total = total + np.sum(r * r)
    return total


@dataclass
class Training:
    """Parameters, final loss, the two stages' results and the wall time of a training run."""

    theta: np.ndarray
    loss: float
    stages: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def history(self) -> list:
        return [f for s in self.stages for f in s.history]


def train(rhs: Any, net: Any, data: np.ndarray, *, adam_iters: int, bfgs_iters: int,
          lr: float = 0.01, seed: int = 0, sensealg: Any = None, mode: str = "reverse",
          progress: bool = False) -> Training:
    """Adam (*adam_iters* at *lr*) then BFGS (*bfgs_iters*) from ``net.init(seed)``.

    Gradients: *mode* ``"reverse"`` with ``sensealg=None`` tapes the solver (the fastest
    here for 87 parameters, see benchmarks/bench_learning.py); ``InterpolatingAdjoint()``
    and the other adjoints give the same gradient; ``mode="forward"`` carries 87 partials.
    """

    def f(theta):
        return loss(theta, data, rhs, sensealg=sensealg)

    start = time.perf_counter()
    x, stages = net.init(seed), []
    if adam_iters:
        stages.append(adam(f, x, lr=lr, maxiter=adam_iters, mode=mode, progress=progress))
        x = stages[-1].x
    if bfgs_iters:
        stages.append(bfgs(f, x, maxiter=bfgs_iters, mode=mode, gtol=1e-6, progress=progress))
        x = stages[-1].x
    final = stages[-1].fun if stages else float(f(x))
    return Training(x, float(final), stages, time.perf_counter() - start)


def network_output(theta: np.ndarray, u0: Any = U0, t: np.ndarray = T_SINDY) -> tuple:
    """``(u, NN(u))`` along the UDE's trajectory from *u0* at times *t*, as float arrays."""
    u = np.asarray(nm.value(np.array(predict(ude_rhs, theta, u0=u0, t_save=t))), dtype=float)
    return u, np.asarray(NET(u, theta), dtype=float)


def identify(theta: np.ndarray, *, threshold: float = 0.1, u0: Any = U0,
             t: np.ndarray = T_SINDY) -> SINDyModel:
    """STLSQ on the network's output ``NN(u)`` along the fitted trajectory (monomials <= 2)."""
    u, y = network_output(theta, u0, t)
    return fit(u, t, LIBRARY, STLSQ(threshold), x_dot=y)


def _least_squares_start(theta_matrix: np.ndarray, y: np.ndarray):
    """``support -> coefficients``: least squares of the network output on each equation's support."""
    def start(support):
        c = np.zeros(support.shape)
        for i, row in enumerate(support):
            if row.any():
                c[i, row] = np.linalg.lstsq(theta_matrix[:, row], y[:, i], rcond=None)[0]
        return c
    return start


def data_loss(data: np.ndarray, library: Any = LIBRARY):
    """``(C, support, u0) -> SSE``: the known parts plus the terms *C* of *library*, solved
    from the initial state *u0* and compared with *data* (the loss the structure selection
    refits; *u0* is refit with the coefficients, starting from the noisy ``data[0]``)."""
    def rss(c, support, u0):
        model = SINDyModel(library, ("x", "y"), support.astype(float))
        total = 0.0
        for u, d in zip(predict(lambda u, p, t: KNOWN * u + model(u, p), c, u0=u0), data):
            r = u - d
            total = total + np.sum(r * r)
        return total
    return rss


def select_structure(theta: np.ndarray, data: np.ndarray, *, u0: Any = None,
                     thresholds: Any = THRESHOLDS, library: Any = LIBRARY,
                     criterion: str = "aicc", max_terms: int = MAX_TERMS) -> tuple:
    """SINDy's candidates from the network, each refit to the data through the ODE solve.

    The threshold sweep of STLSQ on ``NN(u)`` (along the UDE trajectory from *u0*, default
    ``data[0]``) proposes the supports; those with at most *max_terms* terms are refit by BFGS
    (forward-mode gradients through ``solve``) to the data, from the network's least-squares
    coefficients, and scored by *criterion* (:func:`solvers.sindy.select_by_criterion`).
    Returns ``(model, selection)``: the chosen model with its refit coefficients.
    """
    u0 = data[0] if u0 is None else np.asarray(u0, dtype=float)
    u, y = network_output(theta, u0)
    theta_matrix = library.matrix(u)
    supports = [s for s in candidate_supports(theta_matrix, y, thresholds) if s.sum() <= max_terms]
    if not supports:
        raise ValueError(f"no candidate structure with at most {max_terms} terms; raise max_terms")
    selection = select_by_criterion(data_loss(data, library), supports,
                                    _least_squares_start(theta_matrix, y), n=data.size,
                                    extra0=u0, criterion=criterion)
    model = SINDyModel(library, ("x", "y"), selection.best.coefficients)
    return model, selection


def recovered_rhs(model: SINDyModel):
    """Known linear parts plus the identified terms: a right-hand side for ``ODEProblem``."""
    def rhs(u, p, t):
        return KNOWN * u + model(u)
    return rhs


def interaction_error(model: SINDyModel) -> dict:
    """Which terms were kept, and the relative errors of the x y coefficients against -0.9, 0.8."""
    names = model.feature_names
    j = names.index("x y")
    kept = [[names[k] for k in np.flatnonzero(row)] for row in model.coefficients]
    exact = kept == [["x y"], ["x y"]]
    c = model.coefficients[:, j]
    rel = np.abs(c - np.array([-P_TRUE[1], P_TRUE[2]])) / np.array([P_TRUE[1], P_TRUE[2]])
    return {"kept": kept, "exact_terms": exact, "coefficients": c, "relative_error": rel}


def extrapolate(rhs: Any, theta: Any, t_end: float = 50.0, n: int = 1001) -> tuple:
    """``(t, u)`` of a model solved to *t_end*.

    A model that blows up stops early, without a warning: the returned ``t`` then ends before
    *t_end*, which the callers report (the notebook prints where the solve stopped).
    """
    t = np.linspace(0.0, t_end, n)
    sol = solve(ODEProblem(rhs, U0, (0.0, t_end), theta), Vern7(), rtol=RTOL, atol=RTOL,
                saveat=t, maxiters=200_000, verbose=False)
    return np.asarray(sol.t, dtype=float), np.asarray(nm.value(np.array(sol.u)), dtype=float)


# full: Adam at the paper's lr 0.1 for its 200 iterations, then BFGS (the paper allows 10,000;
# 500 here for the time of one run on a shared 2-core machine)
# select: refit SINDy's candidate structures to the data and choose by AICc (select_structure);
# the quick setting keeps plain STLSQ on the network (its untrained network proposes many terms)
SETTINGS = {"full": dict(adam_iters=200, bfgs_iters=500, neural_adam=300, neural_bfgs=200, lr=0.1,
                         select=True),
            "quick": dict(adam_iters=3, bfgs_iters=2, neural_adam=2, neural_bfgs=1, lr=0.1,
                          select=False)}


def run(setting: str = "full", *, progress: bool = False, seed: int = 0) -> dict:
    """The whole case study: data, UDE and neural ODE training, SINDy, extrapolation."""
    s = SETTINGS[setting]
    data = noisy_data()
    ude = train(ude_rhs, NET, data, adam_iters=s["adam_iters"], bfgs_iters=s["bfgs_iters"],
                lr=s["lr"], seed=seed, progress=progress)
    sindy = identify(ude.theta, u0=data[0])
    model, selection = (select_structure(ude.theta, data) if s["select"] else (sindy, None))
    neural = train(neural_rhs, NEURAL_NET, data, adam_iters=s["neural_adam"],
                   bfgs_iters=s["neural_bfgs"], lr=0.01, seed=seed, progress=progress)
    return {"data": data, "ude": ude, "sindy": sindy, "selection": selection, "model": model,
            "terms": interaction_error(model), "neural": neural}


def recovered(terms: dict, tolerance: float = 0.05) -> bool:
    """The issue's outcome: exactly the two x y terms, each coefficient within *tolerance*."""
    return bool(terms["exact_terms"] and np.all(terms["relative_error"] < tolerance))


def recovery_trial(noise_seed: int, restarts: Any = (0, 1, 2), setting: str = "full") -> dict:
    """One noise draw, as a user would treat it: train the UDE from each network seed in
    *restarts*, keep the lowest training loss, select the structure from that network
    (:func:`select_structure`) and check the outcome (:func:`recovered`).

    Returns the chosen restart, every restart's loss, the chosen model's terms and whether
    they are recovered.
    """
    s = SETTINGS[setting]
    data = noisy_data(seed=noise_seed)
    runs = [train(ude_rhs, NET, data, adam_iters=s["adam_iters"], bfgs_iters=s["bfgs_iters"],
                  lr=s["lr"], seed=int(k)) for k in restarts]
    best = int(np.argmin([r.loss for r in runs]))
    model, selection = select_structure(runs[best].theta, data)
    terms = interaction_error(model)
    return {"noise_seed": noise_seed, "restarts": list(restarts), "losses": [r.loss for r in runs],
            "seconds": [r.seconds for r in runs], "chosen": list(restarts)[best], "model": model,
            "selection": selection, "terms": terms, "recovered": recovered(terms)}


def recovery_rate(noise_seeds: Any = (1234, 1, 2), restarts: Any = (0, 1, 2),
                  setting: str = "full", *, echo: Any = None) -> tuple:
    """``(rate, trials)``: the fraction of noise draws whose best-of-*restarts* network gives
    exactly the two interaction terms within 5%, and each :func:`recovery_trial`
    (*echo*, e.g. ``print``, is given each trial's :func:`trial_line` as it ends)."""
    trials = []
    for k in noise_seeds:
        trials.append(recovery_trial(k, restarts, setting))
        if echo is not None:
            echo(trial_line(trials[-1]))
    return float(np.mean([t["recovered"] for t in trials])), trials


def trial_line(trial: dict) -> str:
    """One line of a recovery measurement: noise seed, losses, chosen terms, outcome."""
    terms = trial["terms"]
    losses = ", ".join(f"{v:.4g}" for v in trial["losses"])
    return (f"noise seed {trial['noise_seed']}: losses [{losses}] (restart {trial['chosen']} "
            f"chosen); kept {terms['kept']}; x y {np.round(terms['coefficients'], 4).tolist()} "
            f"(errors {np.round(100 * terms['relative_error'], 1).tolist()} %); recovered: "
            f"{trial['recovered']}")


def report(result: dict) -> str:
    terms = result["terms"]
    ude, neural = result["ude"], result["neural"]
    return "\n".join([
        f"UDE: loss {ude.loss:.4g} after {len(ude.history)} iterations ({ude.seconds:.1f} s)",
        f"neural ODE: loss {neural.loss:.4g} after {len(neural.history)} iterations "
        f"({neural.seconds:.1f} s)",
        "SINDy (STLSQ 0.1) on the network's output:", str(result["sindy"]),
        *([] if result.get("selection") is None else
          ["candidates refit to the data (AICc):", result["selection"].table(LIBRARY.names(("x", "y"))),
           "chosen:", str(result["model"])]),
        f"kept exactly the interaction terms: {terms['exact_terms']}; x y coefficients "
        f"{np.round(terms['coefficients'], 4).tolist()} (true -0.9, 0.8), relative errors "
        f"{np.round(terms['relative_error'] * 100, 2).tolist()} %"])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few iterations: checks the pipeline")
    ap.add_argument("--recovery-rate", action="store_true",
                    help="the recovery rate over noise seeds 1234, 1, 2, best of network seeds 0-2")
    args = ap.parse_args(argv)
    if args.recovery_rate:
        rate, trials = recovery_rate(setting="quick" if args.quick else "full",
                                     echo=lambda line: print(line, flush=True))
        print(f"recovery rate: {rate:.2f} of {len(trials)} noise draws")
        return {"rate": rate, "trials": trials}
    result = run("quick" if args.quick else "full", progress=not args.quick)
    print(report(result))
    return result


if __name__ == "__main__":
    main()
