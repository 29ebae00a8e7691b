"""COVID-19 SEIR: a neural ODE against a universal ODE, extrapolated, then turned back into an equation.

The model is Lin et al. (2020, Int. J. Infect. Dis. 93, 211) as coded in the
universal differential equations paper's repository (Rackauckas et al. 2020,
arXiv:2001.04385; ``SEIR_exposure/seir_exposure.jl``): seven states
``(S, E, I, R, N, D, C)``,

    S' = -beta0 S F / N - beta(t) S I / N - mu S
    E' =  beta0 S F / N + beta(t) S I / N - (sigma + mu) E
    I' =  sigma E - (gamma + mu) I
    R' =  gamma I - mu R
    N' = -mu N
    D' =  d gamma I - lambda D
    C' =  sigma E

with ``beta(t) = beta0 (1 - alpha) (1 - D / N)^kappa`` and
``p = (F, beta0, alpha, kappa, mu, sigma, gamma, d, lambda) =
(10, 0.5944, 0.4239, 1117.3, 0.02, 1/3, 1/5, 0.2, 1/11.2)``,
``u0 = (0.9 S0, 0, 0, 0, S0, 0, 0)``, ``S0 = 14e6``. The data are the
solution saved daily on ``[0, 21]`` plus ``1e-5`` Gaussian noise, as in the
script; the loss is the script's ``sum (E, I, R)_model - (E, I, R)_data)^2``.

* Neural ODE: a 7-64-64-64-5 tanh network gives ``(S, E, I, R, D)'``, the
  known ``N' = -mu N`` and ``C' = sigma E`` kept (the script's model).
* Universal ODE: only the exposure ``beta(t) S I / N`` is unknown, replaced
  by a 3-64-64-1 tanh network of ``(S / N, I, D / N)``; the rest is the model.

Both are trained as the script does: 500 Adam iterations (lr 0.01), then
BFGS until it stops (the script allows 10,000 iterations; :func:`run`'s
``bfgs_iters`` caps ours at 500, and the universal ODE's BFGS stops before
that when its line search finds no further decrease; the neural ODE's BFGS is capped
at ``neural_bfgs_iters = 100``: its iterations took 7-10 s each here, almost all of it
the dense inverse-Hessian update of its 9,157 parameters (a 670 MB matrix; one loss and
gradient of the trained network costs 0.14 s)), gradients by reverse mode
through the solver; both are extrapolated to 60 days against the truth. Two
differences from the script: the networks see their inputs divided by fixed scales (the data's
range) and their outputs multiplied by fixed scales (the script feeds the raw
``N ~ 1e7`` and ``I ~ 1e2`` to tanh, which saturates), a reparametrisation of the same
networks that changes their initialisation and conditioning, not the model (trained on
the raw inputs, the universal ODE extrapolates no better and its SINDy step keeps five
terms: benchmarks/RESULTS.md); and our
BFGS's first trial step is ``1 / max |g|`` times the gradient, not Optim.jl's
``initial_stepnorm = 0.01``.

What to expect (benchmarks/RESULTS.md has the runs). The script draws three figures of
(E, I, R) over days 0-60: the neural ODE, the trained universal ODE itself, and the
SINDy-recovered model. Here both fit the 21 days; the neural ODE does not extrapolate
(reproduced); the universal ODE's network reproduces the exposure on the training days but
is unconstrained once its inputs leave their training range (day 21: ``I = 86``; day 60:
``I = 637``, ``D / N`` 23 times its day-21 value), so the universal ODE itself does not
extrapolate (not reproduced), neither as the script's exposure network (it saturates in
``I``) nor in the two mass-action forms of :data:`UNIVERSAL_FORMS` (``I`` times a rate
network, which drifts); the equation SINDy reads from any of the three networks does
extrapolate (reproduced).

Then sparse identification (``solvers.sindy``: STLSQ) of the learned
exposure over the training days. The truth there is
``L = beta0 (1 - alpha) (S / N) I (1 - D / N)^kappa``, but over those days
``S / N`` stays 0.9000 to four digits (so ``I`` and ``(S / N) I`` are the
same column up to a constant: a library with both is singular) and
``D / N < 2e-6`` (so ``(1 - D / N)^kappa > 0.998``). The library is
therefore the monomials of ``(I, 10^6 D / N)`` of degree 1 and 2, and what
the data can identify is ``L = c I`` with
``c = beta0 (1 - alpha) S / N = 0.3082``; the identified term, put back into
the model, is extrapolated to 60 days.

Run: ``python examples/covid_seir.py [--quick] [--no-neural] [--forms script rate rate_S_D]``
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from solvers import ODEProblem, Vern7, solve
from solvers.nn import Chain, Dense
from solvers.optimize import adam, bfgs
from solvers.sindy import STLSQ, PolynomialLibrary

P = (10.0, 0.5944, 0.4239, 1117.3, 0.02, 1 / 3, 1 / 5, 0.2, 1 / 11.2)
NAMES = ("S", "E", "I", "R", "N", "D", "C")
S0 = 14e6
U0 = np.array([0.9 * S0, 0.0, 0.0, 0.0, S0, 0.0, 0.0])
T_TRAIN, T_EXTRAP = 21.0, 60.0
DAYS = np.arange(0.0, T_TRAIN + 1)
DAYS_EXTRAP = np.arange(0.0, T_EXTRAP + 1)
FITTED = [1, 2, 3]                                   # E, I, R: what the loss compares
BETA_EFF = P[1] * (1 - P[2]) * 0.9                   # beta0 (1 - alpha) S/N = 0.3082


def beta(D: Any, N: Any) -> Any:
    """``beta0 (1 - alpha) (1 - D / N)^kappa``."""
    _, beta0, alpha, kappa = P[:4]
    return beta0 * (1 - alpha) * (1 - D / N) ** kappa


def _linear_part() -> np.ndarray:
    """The model's linear terms as a matrix: ``u' = M u + e (zoonotic + exposure)``."""
    _, _, _, _, mu, sigma, gamma, d, lam = P
    M = np.zeros((7, 7))
    M[0, 0] = -mu
    M[1, 1] = -(sigma + mu)
    M[2, 1], M[2, 2] = sigma, -(gamma + mu)
    M[3, 2], M[3, 3] = gamma, -mu
    M[4, 4] = -mu
    M[5, 2], M[5, 5] = d * gamma, -lam
    M[6, 1] = sigma
    return M


M_LINEAR = _linear_part()
E_INFECT = np.array([-1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])   # S -> E


def _known(u: Any, exposure: Any) -> Any:
    """The model's right-hand side with the exposure term ``beta S I / N`` given
    (array operations, so that a reverse-mode tape stays short)."""
    F, beta0 = P[0], P[1]
    return M_LINEAR @ u + E_INFECT * (beta0 * F * u[0] / u[4] + exposure)


def true_rhs(u: Any, p: Any, t: Any) -> Any:
    S, I, N, D = u[0], u[2], u[4], u[5]
    return _known(u, beta(D, N) * S * I / N)


def simulate(rhs: Any, theta: Any = None, t_end: float = T_EXTRAP, *, rtol: float = 1e-10) -> np.ndarray:
    """Daily states on ``[0, t_end]``, shape (days, 7); raises if the solve fails."""
    days = np.arange(0.0, t_end + 1)
    sol = solve(ODEProblem(rhs, U0, (0.0, t_end), theta), Vern7(), rtol=rtol, atol=rtol,
                saveat=days, verbose=False)      # a failure is raised below, with its message
    if not sol.success:
        raise RuntimeError(f"the SEIR solve failed: {sol.retcode} ({sol.message})")
    return np.asarray(sol.u)


def seir_data(seed: int = 0) -> tuple:
    """(noisy training data on days 0..21, the noise-free truth on days 0..60)."""
    truth = simulate(true_rhs)
    noisy = truth[:len(DAYS)] + 1e-5 * np.random.default_rng(seed).normal(size=(len(DAYS), 7))
    return noisy, truth


PER_N_NEURAL = np.array([1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0])
PER_CAPITA = np.array([1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0])  # S and D enter as S / N, D / N

# The universal ODE's unknown term, three ways (data, not code paths): which states the
# network sees, and whether its output is the exposure itself or a rate multiplying I.
#   "script":    exposure = net(S/N, I, D/N), as in seir_exposure.jl
#   "rate":      exposure = I * net(S/N, I, D/N): mass action (no infected, no new
#                exposures), so the term cannot flatten in I however the network saturates
#   "rate_S_D":  exposure = I * net(S/N, D/N): the force of infection per infected depends
#                on the population's state, not on I (linear in I, as in every SEIR model)
UNIVERSAL_FORMS = {
    "script": {"inputs": [0, 2, 5], "times_I": False},
    "rate": {"inputs": [0, 2, 5], "times_I": True},
    "rate_S_D": {"inputs": [0, 5], "times_I": True},
}


class Model:
    """A network inside the SEIR right-hand side, with fixed input/output scales.

    ``form`` (universal ODE only) is a key of :data:`UNIVERSAL_FORMS`.
    """

    def __init__(self, net: Chain, kind: str, in_scale: np.ndarray, out_scale: Any,
                 form: str = "script"):
        self.net, self.kind, self.form = net, kind, form
        self.in_scale, self.out_scale = in_scale, out_scale
        self.inputs_of = UNIVERSAL_FORMS[form]["inputs"] if kind == "universal" else None
        self.times_I = kind == "universal" and UNIVERSAL_FORMS[form]["times_I"]

    def inputs(self, u: Any) -> Any:
        """The form's inputs (universal) or ``(S/N, E, I, R, N, D/N, C)`` (neural), scaled;
        array operations only, never an array built from scalars (a tape would go scalar)."""
        if self.inputs_of is None:
            return u * (PER_N_NEURAL / u[4] + (1.0 - PER_N_NEURAL)) / self.in_scale
        per_n = PER_CAPITA[self.inputs_of]
        return u[self.inputs_of] * (per_n / u[4] + (1.0 - per_n)) / self.in_scale

    def _exposure(self, u: Any, theta: Any) -> Any:
        z = self.net(self.inputs(u), theta)[0] * self.out_scale
        return z * u[2] if self.times_I else z

    def rhs(self, u: Any, theta: Any, t: Any) -> Any:
        if self.kind == "universal":
            return _known(u, self._exposure(u, theta))
        z = self.net(self.inputs(u), theta) * self.out_scale
        return z @ PLACE_NEURAL + M_KNOWN_NEURAL @ u

    def exposure(self, states: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """The universal ODE's learned ``beta S I / N`` at each row of *states*."""
        return np.array([float(self._exposure(u, theta)) for u in states])


PLACE_NEURAL = np.eye(7)[[0, 1, 2, 3, 5]]                  # network outputs -> S, E, I, R, D
M_KNOWN_NEURAL = np.zeros((7, 7))
M_KNOWN_NEURAL[4, 4], M_KNOWN_NEURAL[6, 1] = -P[4], P[5]   # N' = -mu N, C' = sigma E


def make_model(kind: str, data: np.ndarray, width: int = 64, form: str = "script") -> Model:
    """The script's networks (``width`` 64) with scales from the training data.

    Inputs are divided by fixed scales: 1 for ``S / N``, the data's maximum for ``I`` and
    ``D / N``. The output is multiplied by 10 people/day for the exposure (``"script"``)
    and by 1/day for a rate (``"rate"``, ``"rate_S_D"``).
    """
    big = np.max(np.abs(data), axis=0)
    N, D = data[:, 4], data[:, 5]
    if kind == "universal":
        if form not in UNIVERSAL_FORMS:
            raise ValueError(f"form must be one of {sorted(UNIVERSAL_FORMS)}, got {form!r}")
        scales = {0: 1.0, 2: big[2], 5: np.max(D / N)}
        inputs = UNIVERSAL_FORMS[form]["inputs"]
        net = Chain(Dense(len(inputs), width, "tanh"), Dense(width, width, "tanh"),
                    Dense(width, 1))
        out = 1.0 if UNIVERSAL_FORMS[form]["times_I"] else 10.0
        return Model(net, kind, np.array([scales[k] for k in inputs]), out, form)
    if kind == "neural":
        net = Chain(Dense(7, width, "tanh"), Dense(width, width, "tanh"),
                    Dense(width, width, "tanh"), Dense(width, 5))
        scale = np.array([1.0, big[1], big[2], big[3], S0, np.max(D / N), big[6]])
        rates = np.max(np.abs(np.diff(data, axis=0)), axis=0)[[0, 1, 2, 3, 5]]
        return Model(net, kind, scale, rates)
    raise ValueError(f"kind must be 'neural' or 'universal', got {kind!r}")


def loss(model: Model, theta: Any, data: np.ndarray, *, rtol: float = 1e-6) -> Any:
    """``sum ((E, I, R)_model - (E, I, R)_data)^2`` over the 22 training days."""
    sol = solve(ODEProblem(model.rhs, U0, (0.0, T_TRAIN), theta), Vern7(), rtol=rtol, atol=rtol,
                saveat=DAYS)
    if not sol.success:
        raise RuntimeError(f"the {model.kind} ODE solve failed: {sol.retcode} ({sol.message})")
    total = 0.0
    for u, d in zip(sol.u, data):
        r = u[FITTED] - d[FITTED]
        total = total + np.sum(r * r)
    return total


def train(kind: str, data: np.ndarray, adam_iters: int = 300, bfgs_iters: int = 200, *,
          width: int = 64, seed: int = 0, form: str = "script", progress: bool = False) -> dict:
    """Adam (lr 0.01) then BFGS; returns the model, parameters, losses and time."""
    model = make_model(kind, data, width, form)

    def f(theta):
        return loss(model, theta, data)

    t0 = time.perf_counter()
    stage1 = adam(f, model.net.init(seed), lr=0.01, maxiter=adam_iters, mode="reverse",
                  progress=progress)
    stage2 = bfgs(f, stage1.x, maxiter=bfgs_iters, mode="reverse", gtol=1e-10,
                  progress=progress) if bfgs_iters else stage1
    return {"model": model, "theta": stage2.x, "loss": stage2.fun, "adam": stage1,
            "bfgs": stage2, "seconds": time.perf_counter() - t0}


def sindy_features(states: np.ndarray) -> np.ndarray:
    """``(I, 10^6 D / N)`` per row (D / N in units of order one)."""
    I, N, D = states[:, 2], states[:, 4], states[:, 5]
    return np.column_stack([I, 1e6 * D / N])


class Exposure:
    """An identified exposure ``L = xi . Theta(s, I, d6)``: printable and callable on states."""

    def __init__(self, library: PolynomialLibrary, coefficients: np.ndarray):
        self.library, self.coefficients = library, np.asarray(coefficients, dtype=float)
        self.names = library.names(("I", "(1e6 D/N)"))

    def __str__(self) -> str:
        kept = [f"{c:+.4f} {n}" for c, n in zip(self.coefficients, self.names) if c != 0]
        return "beta S I / N = " + (" ".join(kept) if kept else "0")

    def __call__(self, states: np.ndarray) -> np.ndarray:
        return self.library.matrix(sindy_features(np.atleast_2d(states))) @ self.coefficients


def identify(states: np.ndarray, exposure: np.ndarray, threshold: float = 0.05) -> Exposure:
    """STLSQ (the paper's algorithm, threshold 0.05) of the exposure on the monomials of
    ``(I, 10^6 D / N)`` of degree 1 and 2."""
    library = PolynomialLibrary(2, include_bias=False)
    theta = library.matrix(sindy_features(states))
    result = STLSQ(threshold).fit(theta, np.asarray(exposure, dtype=float)[:, None])
    return Exposure(library, result.coefficients[0])


def sindy_rhs(exposure: Exposure) -> Any:
    """The SEIR right-hand side (floats) with the identified exposure put back."""
    def rhs(u, p, t):
        return _known(u, float(exposure(np.asarray(u, dtype=float))[0]))
    return rhs


def _floor_rhs(u: Any, p: Any, t: Any) -> Any:
    """The model with the data-identifiable exposure ``BETA_EFF * I``."""
    return _known(u, BETA_EFF * u[2])


def extrapolation_error(pred: np.ndarray, truth: np.ndarray) -> float:
    """Max over days 22..60 of the relative error of (E, I, R), relative to each's max."""
    tail = slice(len(DAYS), None)
    scale = np.max(np.abs(truth[:, FITTED]), axis=0)
    return float(np.max(np.abs(pred[tail][:, FITTED] - truth[tail][:, FITTED]) / scale))


def _fit_error(pred: np.ndarray, truth: np.ndarray) -> float:
    """Max over days 0..21 of the relative error of (E, I, R), relative to each's max there."""
    train_days = slice(0, len(DAYS))
    scale = np.max(np.abs(truth[train_days][:, FITTED]), axis=0)
    return float(np.max(np.abs(pred[train_days][:, FITTED] - truth[train_days][:, FITTED]) / scale))


def _trained_and_extrapolated(kind: str, noisy: np.ndarray, truth: np.ndarray, adam_iters: int,
                              bfgs_iters: int, **options: Any) -> dict:
    """:func:`train`, then the trained model solved to day 60 and its errors; a solve that
    fails is reported (``error`` inf and ``failure``), never hidden."""
    r = train(kind, noisy, adam_iters, bfgs_iters, **options)
    try:
        r["extrapolation"] = simulate(r["model"].rhs, r["theta"], rtol=1e-8)
    except RuntimeError as exc:
        r.update(extrapolation=None, error=float("inf"), fit_error=float("inf"), failure=str(exc))
        return r
    r["error"] = extrapolation_error(r["extrapolation"], truth)
    r["fit_error"] = _fit_error(r["extrapolation"], truth)
    return r


def _sindy_of(r: dict, noisy: np.ndarray, truth: np.ndarray) -> dict:
    """STLSQ of a trained universal ODE's learned exposure on days 1..21, the identified
    term put back into the model and extrapolated; the results as keys of a new dict."""
    learned = r["model"].exposure(noisy[1:], r["theta"])
    out = {"learned_exposure": learned, "exposure": identify(noisy[1:], learned)}
    try:
        out["sindy"] = simulate(sindy_rhs(out["exposure"]))
        out["sindy_error"] = extrapolation_error(out["sindy"], truth)
    except RuntimeError as exc:          # an identified term that blows up: say so, no numbers
        out["sindy"], out["sindy_error"], out["sindy_failure"] = None, float("inf"), str(exc)
    kept = out["exposure"].coefficients
    out["c"] = float(kept[0]) if np.count_nonzero(kept) == 1 and kept[0] != 0 else None
    return out


def run(adam_iters: int = 500, bfgs_iters: int = 500, *, neural_bfgs_iters: int = 100,
        width: int = 64, forms: tuple = ("script",), neural: bool = True,
        progress: bool = False) -> dict:
    """The whole case study: data, both trainings, extrapolation, SINDy of the learned term.

    ``forms`` are the universal ODE's forms to train (keys of :data:`UNIVERSAL_FORMS`);
    ``out["universal_forms"][form]`` holds each one's training, extrapolation and SINDy,
    and ``out["universal"]`` (with the SINDy keys at the top level of ``out``) is the first.
    ``neural=False`` skips the neural ODE (``out["neural"]`` is then None).
    ``out["floor_error"]`` is the extrapolation error of the best the training days can
    identify, the exposure ``0.3082 I`` exactly (the ``(1 - D / N)^kappa`` it misses
    reaches 0.95 by day 60).
    """
    noisy, truth = seir_data()
    out = {"truth": truth, "data": noisy, "neural": None, "universal_forms": {},
           "floor_error": extrapolation_error(simulate(_floor_rhs), truth)}
    if neural:
        out["neural"] = _trained_and_extrapolated(
            "neural", noisy, truth, adam_iters, min(neural_bfgs_iters, bfgs_iters),
            width=width, progress=progress)
    for form in forms:
        r = _trained_and_extrapolated("universal", noisy, truth, adam_iters, bfgs_iters,
                                      width=width, form=form, progress=progress)
        r.update(_sindy_of(r, noisy, truth))
        out["universal_forms"][form] = r
    first = out["universal_forms"][forms[0]]
    out["universal"] = first
    out.update({k: first[k] for k in ("learned_exposure", "exposure", "sindy", "sindy_error", "c")})
    if "sindy_failure" in first:
        out["sindy_failure"] = first["sindy_failure"]
    return out


def _model_line(name: str, r: dict) -> str:
    tail = (f"on days 22-60 {100 * r['error']:.1f}%" if r.get("extrapolation") is not None
            else f"its solve to day 60 failed ({r['failure']})")
    return (f"{name}: loss {r['loss']:.3g} after {r['adam'].nit} Adam + {r['bfgs'].nit} BFGS "
            f"({r['bfgs'].nfev} loss evaluations: {r['bfgs'].message}; {r['seconds']:.0f} s); "
            f"max relative error of (E, I, R) on days 0-21 {100 * r['fit_error']:.2f}%, {tail}")


def _sindy_line(r: dict) -> str:
    tail = (f"max relative error on days 22-60 {100 * r['sindy_error']:.1f}%"
            if r["sindy"] is not None else f"the solve failed ({r['sindy_failure']})")
    return (f"  SINDy of its learned exposure: {r['exposure']}  (data-identifiable truth "
            f"{BETA_EFF:.4f} I); extrapolated, {tail}")


def summary(out: dict) -> str:
    """One line per trained model and per SINDy identification, with the errors."""
    lines = [] if out["neural"] is None else [_model_line("neural ODE", out["neural"])]
    for form, r in out["universal_forms"].items():
        lines += [_model_line(f"universal ODE ({form})", r), _sindy_line(r)]
    lines.append(f"the exposure {BETA_EFF:.4f} I exactly, extrapolated: "
                 f"{100 * out['floor_error']:.1f}%")
    return "\n".join(lines)


def fidelity_row(out: dict, command: str) -> str:
    """The benchmarks/RESULTS.md fidelity-table row of this run (one universal ODE form each)."""
    neural = out["neural"]
    seconds = (0.0 if neural is None else neural["seconds"]) + sum(
        r["seconds"] for r in out["universal_forms"].values())
    cells = [] if neural is None else [
        f"neural ODE {100 * neural['fit_error']:.2f}% / {100 * neural['error']:.1f}%"]
    for form, r in out["universal_forms"].items():
        c = "not a single term" if r["c"] is None else f"{r['c']:.4f} I"
        cells.append(f"universal ODE ({form}) {100 * r['fit_error']:.2f}% / "
                     f"{100 * r['error']:.1f}%, its SINDy model - / {100 * r['sindy_error']:.1f}% "
                     f"(exposure identified as {c})")
    return (f"| COVID-19 SEIR (Lin et al. 2020) | the neural ODE fits 21 days but does not "
            f"extrapolate to day 60; the universal ODE and the SINDy-recovered model do "
            f"(the UDE repository's three figures, qualitative) | max relative error of (E, I, R), "
            f"days 0-21 / 22-60: {'; '.join(cells)}; the exposure 0.3082 I exactly: - / "
            f"{100 * out['floor_error']:.1f}% | {seconds:.0f} s | `{command}` |")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="width 8, 3 Adam + 2 BFGS iterations")
    ap.add_argument("--forms", nargs="+", default=["script"], choices=sorted(UNIVERSAL_FORMS),
                    help="the universal ODE's forms to train (default: the script's)")
    ap.add_argument("--no-neural", action="store_true", help="skip the neural ODE")
    ap.add_argument("--progress", action="store_true", help="progress bars for the trainings")
    args = ap.parse_args(argv)
    common = dict(forms=tuple(args.forms), neural=not args.no_neural, progress=args.progress)
    out = run(3, 2, neural_bfgs_iters=2, width=8, **common) if args.quick else run(**common)
    print(summary(out))
    print(fidelity_row(out, "python examples/covid_seir.py " + " ".join(argv or [])))
    return out


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
