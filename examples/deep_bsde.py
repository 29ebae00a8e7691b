"""Deep BSDE (Han, Jentzen & E 2018) as a universal SDE solved by the library's SDE solvers.

A semilinear parabolic PDE ``u_t + (sigma^2 / 2) Laplacian u + f(t, x, u, sigma grad u) = 0``
with terminal value ``u(T, x) = g(x)`` is, along ``X_t = x0 + sigma W_t``, the backward SDE
``dY = -f(t, X, Y, Z) dt + Z . dW``, ``Y_t = u(t, X_t)``, ``Z_t = sigma grad u(t, X_t)``.
The deep BSDE method makes ``Y_0`` a parameter and ``Z = net(t, X)`` a network, solves the SDEs
forward and minimises ``E |Y_T - g(X_T)|^2``; then ``Y_0 -> u(0, x0)``. Here both are
:class:`~solvers.sde.SDEProblem` s solved by :func:`solvers.sde.integrate` on ONE
:class:`~solvers.sde.BrownianPath` of shape ``(batch, d)``: ``X`` (diagonal noise,
Euler--Maruyama, exact for ``dX = sigma dW``), then ``Y`` of shape ``(1,)`` with general noise
(``noise_dim = d``, ``g = Z[..., None, :]``) and ``Z = net(t, X_t)`` read along the path. (One
``(X, Y)`` state of ``d + 1`` components would need the dense ``(batch, d + 1, d)`` noise matrix
``[sigma I; Z]`` every step: measured 7x slower per training iteration.) The network sits inside
an SDE problem, so any SDE method of the step protocol trains it:
:class:`~solvers.sde.EulerMaruyama` (what the paper does) or :class:`DriftHeun` below.

Cases (Han, Jentzen & E, PNAS 115 (2018) 8505, arXiv:1707.02568, §"Examples"):

* **HJB** (d = 100, T = 1, x0 = 0): ``u_t + Laplacian u - lambda |grad u|^2 = 0``,
  ``g(x) = ln((1 + |x|^2) / 2)``, ``sigma = sqrt(2)``. With ``Z = sqrt(2) grad u`` the
  generator is ``f = -lambda |z|^2 / 2`` (the paper's code writes ``-lambda |z|^2``, which is
  the lambda = 2 problem: 4.57996). The Cole--Hopf transform gives
  ``u(0, x) = -(1/lambda) ln E[exp(-lambda g(x + sqrt(2) W_T))]``; at x = 0,
  ``|sqrt(2) W_T|^2 = 2 T Q`` with ``Q ~ chi^2_d``, so :func:`hjb_reference` is a
  one-dimensional quadrature (mpmath, 30 digits): 4.5901617 for lambda = 1.
  Published: relative error 0.17% (the paper, HJB example; N = 20, batch 64, 2000 iterations).
* **Allen--Cahn** (d = 100, T = 0.3, x0 = 0): ``u_t + Laplacian u + u - u^3 = 0``,
  ``g(x) = 1 / (2 + 0.4 |x|^2)``, ``f = y - y^3``; reference u(0, 0) = 0.052802 (the
  paper's, by the branching diffusion method); published relative error 0.30%.

Run: ``python examples/deep_bsde.py [--quick] [--case hjb|allen_cahn]``
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Callable

import mpmath
import numpy as np

from solvers.nn import BatchNorm, Chain, Dense
from solvers.optimize import Adam, Iterate, minimize_first_order
from solvers.sde import BrownianPath, EulerMaruyama, SDEProblem, integrate

__all__ = ["BSDECase", "HJB", "hjb_case", "ALLEN_CAHN", "CASES", "DriftHeun", "ZNetwork", "StepNetworks",
           "PiecewiseAdam",
           "hjb_reference", "forward_problem", "bsde_problem", "bsde_loss", "train", "BSDEResult",
           "compare_methods", "main"]


def hjb_reference(lam: float = 1.0, dim: int = 100, T: float = 1.0, dps: int = 30) -> float:
    """``u(0, 0)`` of the HJB case by the Cole--Hopf formula and quadrature over ``chi^2_dim``.

    ``u(0, 0) = -(1/lam) ln E[((1 + 2 T Q) / 2)^(-lam)]``, ``Q ~ chi^2_dim``.

    Examples
    --------
    >>> round(hjb_reference(1.0), 7), round(hjb_reference(2.0), 5)
    (4.5901617, 4.57996)
    """
    with mpmath.workdps(dps):
        k = mpmath.mpf(dim) / 2
        lognorm = k * mpmath.log(2) + mpmath.loggamma(k)

        def integrand(q):
            return ((1 + 2 * T * q) / 2) ** (-lam) * mpmath.exp((k - 1) * mpmath.log(q) - q / 2
                                                                - lognorm)
        mean = mpmath.quad(integrand, [0, dim / 2, dim, 1.5 * dim, 3 * dim, mpmath.inf])
        return float(-mpmath.log(mean) / lam)


@dataclass(frozen=True)
class BSDECase:
    """A terminal-value problem as data: ``X = x0 + sigma W``, ``dY = -f dt + Z . dW``."""

    name: str
    dim: int
    T: float
    sigma: float
    terminal: Callable          # g(x) -> shape x.shape[:-1]
    generator: Callable         # f(t, x, y, z) -> shape y.shape
    drift_uses_z: bool          # whether f reads z (then the drift evaluates the network)
    y0_range: tuple             # Y_0 starts uniform in this range (the paper's y_init_range)
    reference: float
    published_rel_error: float
    x0: float = 0.0


def _hjb_terminal(x):
    return np.log(0.5 + 0.5 * np.sum(x * x, axis=-1))


def _hjb_generator(t, x, y, z, lam=1.0):
    return -0.5 * lam * np.sum(z * z, axis=-1)


def _ac_terminal(x):
    return 1.0 / (2.0 + 0.4 * np.sum(x * x, axis=-1))


def _ac_generator(t, x, y, z):
    return y - y * y * y


HJB = BSDECase("HJB", 100, 1.0, float(np.sqrt(2.0)), _hjb_terminal, _hjb_generator, True,
               (0.0, 1.0), hjb_reference(1.0), 0.0017)
ALLEN_CAHN = BSDECase("Allen-Cahn", 100, 0.3, float(np.sqrt(2.0)), _ac_terminal, _ac_generator,
                      False, (0.3, 0.6), 0.052802, 0.0030)
CASES = {"hjb": HJB, "allen_cahn": ALLEN_CAHN}


def hjb_case(lam: float) -> BSDECase:
    """The HJB case with generator ``-lam |z|^2 / 2`` and its own Cole--Hopf reference.

    ``lam = 2`` is the problem the paper's code solves (its generator is ``-|z|^2``).

    Examples
    --------
    >>> round(hjb_case(2.0).reference, 5), float(hjb_case(2.0).generator(0, 0, 0, np.ones(4)))
    (4.57996, -4.0)
    """
    return replace(HJB, name=f"HJB (lambda = {lam:g})", reference=hjb_reference(lam),
                   generator=partial(_hjb_generator, lam=lam))


class ZNetwork:
    """``Z = net(t, X_t)``: one network for all times (input ``(t, x)``), counting evaluations.

    :meth:`along` fixes the forward paths ``X`` on the time grid (one loss evaluation); then
    ``znet(theta, t)`` evaluates the network at grid time ``t`` once and reuses the result (drift
    and diffusion of a step, and a predictor's end point, ask for the same ``Z``).
    ``evaluations`` counts network rows (paths times calls). The output is divided by ``dim``,
    as in the paper's code (``z = subnet(x) / dim``), so that ``Z`` starts small.

    Examples
    --------
    >>> z = ZNetwork(3, hidden=4)
    >>> z.along([np.zeros((2, 3))] * 3, 0.0, 0.5)
    >>> theta = z.net.init(0)
    >>> z(theta, 0.5).shape, z(theta, 0.5) is z(theta, 0.5), z.evaluations
    ((2, 3), True, 2)
    """

    def __init__(self, dim: int, hidden: int | None = None, depth: int = 2):
        hidden = dim + 10 if hidden is None else hidden          # the paper's d + 10
        layers = [Dense(dim + 1, hidden, "relu")] + [Dense(hidden, hidden, "relu")
                                                     for _ in range(depth - 1)]
        self.net = Chain(*layers, Dense(hidden, dim))
        self.dim, self.evaluations = dim, 0
        self.xs, self.t0, self.h, self._cache = None, 0.0, 1.0, {}

    def along(self, xs: list, t0: float, h: float) -> None:
        """Use the forward paths ``xs[k] = X(t0 + k h)`` (each of shape ``(batch, dim)``)."""
        self.xs, self.t0, self.h, self._cache = xs, float(t0), float(h), {}

    def x_at(self, t: float) -> np.ndarray:
        k = int(round((float(t) - self.t0) / self.h))
        if self.xs is None or not 0 <= k < len(self.xs) or abs(self.t0 + k * self.h - t) > 1e-9:
            raise ValueError(f"Z is asked for at t = {t}, which is not on the grid of the forward "
                             "paths; call along(xs, t0, h) with the paths on the solver's grid")
        return self.xs[k]

    def __call__(self, theta: Any, t: float) -> Any:
        k = int(round((float(t) - self.t0) / self.h))
        if k not in self._cache:
            x = self.x_at(t)
            tx = np.concatenate([np.full(x.shape[:-1] + (1,), float(t)), x], axis=-1)
            self._cache[k] = self.net(tx, theta) * (1.0 / self.dim)
            self.evaluations += int(np.prod(x.shape[:-1]))
        return self._cache[k]

    def init(self, seed: int = 0) -> np.ndarray:
        """The network's flat parameters."""
        return self.net.init(seed)


class StepNetworks(ZNetwork):
    """The paper's architecture: one subnetwork per time step, with batch normalisation.

    ``Z(t_0) = z0``, a learned vector (every path starts at ``x0``, so there is nothing to
    normalise), and ``Z(t_k) = subnet_k(X_{t_k}) / dim`` for ``k = 1 .. N - 1``, each subnet
    ``BN -> (Dense -> BN -> relu) x depth -> Dense -> BN`` with ``dim + 10`` hidden units and
    batch statistics (Han, Jentzen & E 2018, "Materials and Methods", and their DeepBSDE code:
    ``z_init`` uniform in [-0.1, 0.1], BN's gamma uniform in [0.1, 0.5], beta normal with
    standard deviation 0.1). The parameters are ``[z0, subnet_1, ..., subnet_{N-1}]``; *steps*
    must be the solver's N. (The paper's Dense layers have no bias, BN's beta taking its
    place; here they keep one, which BN cancels: it never changes the output.)

    Examples
    --------
    >>> z = StepNetworks(3, steps=2, hidden=4)
    >>> z.along([np.zeros((5, 3)), np.arange(15.0).reshape(5, 3) % 4, np.ones((5, 3))], 0.0, 0.5)
    >>> theta = z.init(0)
    >>> theta.size == 3 + z.net.nparams, z(theta, 0.0).shape, z(theta, 0.5).shape
    (True, (5, 3), (5, 3))
    """

    def __init__(self, dim: int, steps: int, hidden: int | None = None, depth: int = 2):
        hidden = dim + 10 if hidden is None else hidden
        layers = [BatchNorm(dim, gamma_init=(0.1, 0.5), beta_std=0.1)]
        n_in = dim
        for _ in range(depth):
            layers += [Dense(n_in, hidden), BatchNorm(hidden, "relu", gamma_init=(0.1, 0.5),
                                                      beta_std=0.1)]
            n_in = hidden
        layers += [Dense(hidden, dim), BatchNorm(dim, gamma_init=(0.1, 0.5), beta_std=0.1)]
        self.net = Chain(*layers)                          # one subnet's layout
        self.dim, self.steps, self.evaluations = dim, int(steps), 0
        self.xs, self.t0, self.h, self._cache = None, 0.0, 1.0, {}

    def init(self, seed: int = 0) -> np.ndarray:
        rng = np.random.default_rng(seed)
        z0 = rng.uniform(-0.1, 0.1, self.dim)
        return np.concatenate([z0] + [self.net.init(rng) for _ in range(self.steps - 1)])

    def __call__(self, theta: Any, t: float) -> Any:
        k = int(round((float(t) - self.t0) / self.h))
        if k not in self._cache:
            x = self.x_at(t)
            if k == 0:
                self._cache[k] = theta[:self.dim] + 0.0 * x     # the same z0 on every path
            elif k >= self.steps:
                raise ValueError(f"StepNetworks has subnets for steps 1..{self.steps - 1}, asked "
                                 f"for step {k}: give it the solver's number of steps")
            else:
                n, start = self.net.nparams, self.dim + (k - 1) * self.net.nparams
                self._cache[k] = self.net(x, theta[start:start + n]) * (1.0 / self.dim)
                self.evaluations += int(np.prod(x.shape[:-1]))
        return self._cache[k]


def forward_problem(case: BSDECase) -> SDEProblem:
    """``dX = sigma dW`` (diagonal noise; Euler--Maruyama is exact for it)."""
    sig = case.sigma
    return SDEProblem(lambda u, p, t: 0.0 * u, lambda u, p, t: sig + 0.0 * u,
                      np.full(case.dim, case.x0), (0.0, case.T))


def bsde_problem(case: BSDECase, znet: ZNetwork, params: Any) -> SDEProblem:
    """``dY = -f(t, X_t, Y, Z) dt + Z . dW`` for ``Y`` of shape ``(1,)``, ``d`` Wiener processes.

    ``params = [Y_0, network parameters...]``; ``X_t`` comes from ``znet.along`` (the forward
    solve on the same Brownian path), so ``Z(t, X_t)`` is a known coefficient along the path.
    """
    def drift(u, theta, t):
        z = znet(theta, t) if case.drift_uses_z else None
        return -case.generator(t, znet.x_at(t), u[..., 0], z)[..., None]

    def diffusion(u, theta, t):
        return znet(theta, t)[..., None, :]

    return SDEProblem(drift, diffusion, params[:1], (0.0, case.T), params[1:], noise_dim=case.dim)


def bsde_loss(params: Any, case: BSDECase, znet: ZNetwork, alg: Any, steps: int, batch: int,
              rng: np.random.Generator) -> Any:
    """``mean |Y_T - g(X_T)|^2`` over *batch* paths: forward and backward SDE on one path.

    Both solves read the same :class:`~solvers.sde.BrownianPath`: ``X`` by Euler--Maruyama (exact
    for ``dX = sigma dW``), then ``Y`` by *alg* with ``Z = net(t, X_t)``.

    Examples
    --------
    >>> case = replace(ALLEN_CAHN, dim=4)
    >>> znet = ZNetwork(4, hidden=8)
    >>> params = np.concatenate([[0.05], znet.net.init(0)])
    >>> loss = bsde_loss(params, case, znet, EulerMaruyama(), 3, 5, np.random.default_rng(0))
    >>> bool(loss > 0), znet.evaluations
    (True, 15)
    """
    h = case.T / steps
    path = BrownianPath((0.0, case.T), shape=(batch, case.dim), seed=rng, n=steps)
    xs = integrate(forward_problem(case), EulerMaruyama(), path=path, batch=batch).u
    znet.along(xs, 0.0, h)
    sol = integrate(bsde_problem(case, znet, params), alg, path=path, batch=batch, save="final")
    if not sol.success:
        raise RuntimeError(f"the BSDE solve failed: {sol.retcode} ({sol.stats.get('message')})")
    r = sol.u[-1][:, 0] - case.terminal(xs[-1])
    return np.mean(r * r)


@dataclass(frozen=True)
class DriftHeun:
    """Trapezoidal drift, Itô (left-point) noise: ``u + (F(u) + F(u_bar)) h / 2 + G(u) dW``.

    ``u_bar = u + F(u) h + G(u) dW`` is the Euler--Maruyama predictor. This is the ``alpha = 1/2``
    member of Kloeden & Platen's explicit weak order 1.0 predictor--corrector family (*Numerical
    Solution of SDEs*, 1992, §15.5). For a BSDE the noise coefficient ``G`` does not depend on
    ``Y`` and ``X`` is sampled exactly, so the mean of ``Y`` -- all that ``Y_0`` depends on at the
    optimum -- carries the trapezoidal rule's O(h^2) bias instead of Euler's O(h).

    Examples
    --------
    Without noise it is Heun's method: ``u' = -u`` over one step of 0.5.

    >>> prob = SDEProblem(lambda u, p, t: -u, lambda u, p, t: 0 * u[..., None], np.array([1.0]),
    ...                   (0.0, 0.5), noise_dim=1)
    >>> float(integrate(prob, DriftHeun(), dt=0.5, seed=0).u[-1][0])   # 1 - h + h^2 / 2
    0.625
    """

    strong_order = 0.5
    weak_order = 1.0
    needs_area = False

    def step(self, prob, u, t, h, dw, area, general):
        p = prob.p
        g = prob.g(u, p, t)
        noise = np.sum(g * dw[..., None, :], axis=-1) if general else g * dw
        f0 = prob.f(u, p, t)
        predictor = u + f0 * h + noise
        return u + 0.5 * (f0 + prob.f(predictor, p, t + h)) * h + noise


@dataclass(frozen=True)
class PiecewiseAdam:
    """Adam with a piecewise-constant learning rate (``lrs[k]`` until ``boundaries[k]``).

    Examples
    --------
    >>> rule = PiecewiseAdam((0.1, 0.01), (1,))
    >>> x, state = rule.step(np.array([1.0]), np.array([2.0]), rule.init(np.array([1.0])), 0)
    >>> x, rule.step(x, np.array([2.0]), state, 1)[0]      # Adam's first steps are about lr
    (array([0.9]), array([0.89]))
    """

    lrs: tuple = (1e-2,)
    boundaries: tuple = ()
    adam: Adam = field(default_factory=Adam)

    def init(self, x):
        return self.adam.init(x)

    def step(self, x, g, state, k):
        lr = self.lrs[int(np.searchsorted(self.boundaries, k, side="right"))]
        return replace(self.adam, lr=lr).step(x, g, state, k)


@dataclass
class BSDEResult:
    """A training run: the final ``Y_0``, its history, the losses, time and network evaluations."""

    case: str
    method: str
    steps: int
    y0: float
    rel_error: float
    y0_history: list
    loss_history: list
    seconds: float
    evaluations: int
    iterations: int


def train(case: BSDECase, alg: Any = None, *, steps: int = 20, iters: int = 2000,
          lrs: tuple = (1e-2,), boundaries: tuple = (), batch: int = 64, seed: int = 0,
          hidden: int | None = None, network: str = "shared",
          progress: bool = False) -> BSDEResult:
    """Train ``Y_0`` and ``Z = net(t, X)`` with Adam; a fresh batch of paths each iteration.

    The estimate ``y0`` is the mean of ``Y_0`` over the last 5% of the iterations (the iterates
    fluctuate with the batches; averaging them is Polyak--Ruppert averaging). *network* is
    ``"shared"`` (:class:`ZNetwork`, one ``(t, x)`` network) or ``"per_step"``
    (:class:`StepNetworks`, the paper's).

    Examples
    --------
    >>> r = train(ALLEN_CAHN, steps=4, iters=3, batch=8, hidden=16)
    >>> r.iterations, len(r.y0_history), r.evaluations
    (3, 3, 96)
    """
    alg = EulerMaruyama() if alg is None else alg
    if network not in ("shared", "per_step"):
        raise ValueError(f"network must be 'shared' or 'per_step', got {network!r}")
    znet = ZNetwork(case.dim, hidden) if network == "shared" else StepNetworks(case.dim, steps,
                                                                                 hidden)
    rng = np.random.default_rng(seed)
    y0 = rng.uniform(*case.y0_range)
    params0 = np.concatenate([[y0], znet.init(seed)])
    y0s: list = []

    def record(it: Iterate) -> bool:
        y0s.append(float(it.x[0]))
        return False

    def loss(params):
        return bsde_loss(params, case, znet, alg, steps, batch, rng)

    start = time.perf_counter()
    res = minimize_first_order(PiecewiseAdam(tuple(lrs), tuple(boundaries)), loss, params0,
                               mode="reverse", maxiter=iters, callback=record, progress=progress)
    seconds = time.perf_counter() - start
    final = float(np.mean(y0s[-max(1, len(y0s) // 20):]))   # the mean over the last 5% of iterates
    return BSDEResult(case.name, type(alg).__name__, steps, final,
                      abs(final - case.reference) / abs(case.reference), y0s, res.history,
                      seconds, znet.evaluations, res.nit)


# The paper's settings (Han et al. 2018, "Examples": batch 64, N = 20, Adam) and ours.
FULL_SETTINGS = {"hjb": dict(steps=20, iters=2000, lrs=(1e-2, 1e-3), boundaries=(1500,)),
                 "allen_cahn": dict(steps=20, iters=2000, lrs=(1e-2, 1e-3, 2e-4),
                                    boundaries=(300, 1000))}
QUICK_SETTINGS = dict(steps=5, iters=5, batch=16, hidden=32)
# The DeepBSDE code's own HJB configuration (configs/hjb_lq_d100.json: lr 1e-2 throughout,
# 2000 iterations, batch 64, N = 20) with its per-step batch-normalised subnets; on the command
# line: --network per_step --lrs 1e-2,1e-2 --boundaries 1000.
PAPER_HJB_SETTINGS = dict(steps=20, iters=2000, lrs=(1e-2, 1e-2), boundaries=(1000,),
                          network="per_step")


COMPARE_SETTINGS = dict(iters=600, lrs=(1e-2, 1e-3, 2e-4), boundaries=(200, 400))
COMPARE_STEPS = {"EulerMaruyama": (4, 16), "DriftHeun": (2, 4)}


def compare_methods(case: BSDECase = ALLEN_CAHN, steps: dict | None = None, *, seed: int = 0,
                    **settings: Any) -> list:
    """The same network trained with Euler--Maruyama and with :class:`DriftHeun` at several N.

    Returns one :class:`BSDEResult` per (method, N); compare ``rel_error`` against
    ``evaluations / (iterations * batch)``, the network evaluations per path per iteration.

    Examples
    --------
    >>> rows = compare_methods(steps={"EulerMaruyama": (2,), "DriftHeun": (2,)}, iters=2,
    ...                        batch=4, hidden=8)
    >>> [(r.method, r.steps) for r in rows]
    [('EulerMaruyama', 2), ('DriftHeun', 2)]
    """
    algs = {"EulerMaruyama": EulerMaruyama(), "DriftHeun": DriftHeun()}
    steps = COMPARE_STEPS if steps is None else steps
    opts = {**COMPARE_SETTINGS, **settings}
    return [train(case, algs[name], steps=n, seed=seed, **opts) for name, ns in steps.items()
            for n in ns]


def _report(r: BSDEResult, case: BSDECase, batch: int) -> str:
    per_path = r.evaluations / (r.iterations * batch)
    return (f"{r.case}: u(0,0) ~ Y0 = {r.y0:.7f} (reference {case.reference:.7f}), relative error "
            f"{100 * r.rel_error:.3f}% (published {100 * case.published_rel_error:.2f}%), "
            f"{r.method} N = {r.steps}, {r.iterations} iterations, {r.seconds:.1f} s, "
            f"{per_path:.0f} network evaluations per path and iteration")


def main(argv: list[str] | None = None) -> list:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few iterations of a small network")
    ap.add_argument("--case", default="all", choices=["all", *CASES])
    ap.add_argument("--method", default="em", choices=["em", "heun"])
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seeds", default=None,
                    help="several independent runs, e.g. 0,1,2: each one's result, then their mean")
    ap.add_argument("--lam", type=float, default=None,
                    help="HJB with generator -lam |z|^2 / 2 (2: the paper's code) against its own "
                         "reference; the error against the lambda = 1 reference is printed too")
    ap.add_argument("--network", default="shared", choices=["shared", "per_step"],
                    help="one (t, x) network, or the paper's per-step subnets with batch norm")
    ap.add_argument("--iters", type=int, default=None, help="override the iterations")
    ap.add_argument("--lrs", default=None, help="override the learning rates: 1e-2,1e-3")
    ap.add_argument("--boundaries", default=None, help="iterations where they change: 1500")
    ap.add_argument("--compare", action="store_true",
                    help="Euler-Maruyama against DriftHeun at several N (Allen-Cahn)")
    args = ap.parse_args(argv)
    if args.compare:
        quick = {k: v for k, v in QUICK_SETTINGS.items() if k != "steps"} if args.quick else {}
        steps = {"EulerMaruyama": (2,), "DriftHeun": (2,)} if args.quick else None
        rows = []
        for name, ns in (steps or COMPARE_STEPS).items():
            for n in ns:
                rows += compare_methods(ALLEN_CAHN, {name: (n,)}, seed=args.seed, **quick)
                print(_report(rows[-1], ALLEN_CAHN, quick.get("batch", 64)), flush=True)
        return rows
    alg = EulerMaruyama() if args.method == "em" else DriftHeun()
    out = []
    for key in CASES if args.case == "all" else [args.case]:
        settings = dict(QUICK_SETTINGS if args.quick else FULL_SETTINGS[key])
        overrides = {"steps": args.steps, "iters": args.iters,
                     "lrs": args.lrs and tuple(float(v) for v in args.lrs.split(",")),
                     "boundaries": args.boundaries and tuple(int(v) for v in
                                                             args.boundaries.split(","))}
        settings.update({k: v for k, v in overrides.items() if v is not None})
        seeds = [args.seed] if args.seeds is None else [int(v) for v in args.seeds.split(",")]
        case = CASES[key] if args.lam is None or key != "hjb" else hjb_case(args.lam)
        runs = []
        for seed in seeds:
            runs.append(train(case, alg, seed=seed, network=args.network,
                              progress=not args.quick and len(seeds) == 1, **settings))
            print(f"seed {seed}, {args.network} network: "
                  + _report(runs[-1], case, settings.get("batch", 64)), flush=True)
            if case is not CASES[key]:
                print(f"  against the lambda = 1 reference {HJB.reference:.7f}: relative error "
                      f"{100 * abs(runs[-1].y0 / HJB.reference - 1):.3f}%", flush=True)
        if len(runs) > 1:
            print(_spread(runs, case))
        out += runs
    return out


def _spread(runs: list, case: BSDECase) -> str:
    """Mean, its standard error, standard deviation and range of independent runs' errors."""
    errs = np.array([r.rel_error for r in runs])
    y0s = np.array([r.y0 for r in runs])
    std = errs.std(ddof=1)
    return (f"{case.name}, {len(runs)} runs: relative error mean {100 * errs.mean():.3f}% "
            f"(standard error {100 * std / np.sqrt(len(runs)):.3f}%), "
            f"std {100 * std:.3f}%, min {100 * errs.min():.3f}%, max "
            f"{100 * errs.max():.3f}% (Y0 mean {y0s.mean():.7f}; published "
            f"{100 * case.published_rel_error:.2f}%)")


if __name__ == "__main__":
    main()
