"""GPU benchmarks (issue 14): the same solvers on CPU NumPy and GPU CuPy arrays, in one run.

Run ``python benchmarks/bench_gpu.py`` on a machine with an NVIDIA GPU and ``cupy-cuda12x``
(``pip install 'metanum[gpu]'``); nothing needs editing there, and the full run is sized to
finish in well under 8 minutes. ``--quick`` (the test suite's smoke mode) runs tiny sizes on the
CPU only, without peers, and asserts that the answers are right.

G1 neural ODE, forward
    The spiral model's right-hand side ``u' = Dense(50, 2)(tanh(Dense(2, 50)(u^3)))`` (252
    parameters, as ``examples/neural_ode_spiral.py``) on a batch of 1,024 initial points as one
    ``(1024, 2)`` state; Tsit5, rtol 1e-6, t in [0, 1.5].
G2 neural ODE, gradient
    The gradient of ``mean((u(1.5) - target)^2)`` with respect to the 252 parameters: forward
    mode, one DualArray pass carrying 252 partials through the unchanged solver.
G3 SDE batch
    Geometric Brownian motion ``du = mu u dt + sigma u dW`` (mu = 0.5, sigma = 0.3) for 10^6
    paths as one state, Euler-Maruyama with 100 steps to T = 1; the mean is checked against
    the exact ``exp(mu T)``.
G4 heat equation
    ``u_i' = c (u_{i+1} - 2 u_i + u_{i-1})`` (Dirichlet ends, c = 100) with 10^6 states, Tsit5
    at rtol 1e-6 to t = 0.5, from the eigenvector ``u_i = sin(pi i / (n + 1))``, whose exact
    solution decays as ``exp(-4 c sin^2(pi / (2 (n + 1))) t)``.
G5 Jacobian
    The forward-mode Jacobian (``nm.jacobian``, dense) of the 1-D Brusselator with 10^4 states
    (5,000 grid points, two species), checked against its closed-form diagonal.

Rows: ``numpy`` (CPU), ``cupy`` (GPU; skipped with the reason when CuPy or a GPU is missing),
and, where they import and see a GPU, torch and JAX on the GPU (torchdiffeq / diffrax for the
ODE rows, as their documentation advises; plain array loops for the SDE; ``jacfwd`` for the
Jacobian). Timings are min / median / max over interleaved repeats, ratios in the same run.
``benchmarks/results_gpu.md`` is written only when a GPU row ran.
"""

from __future__ import annotations

import math
import pathlib
import sys
from typing import Any, Callable

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _harness import (Failed, attempt, format_ratio, format_time, header, measure_interleaved,  # noqa: E402
                      parse_args, print_table, run_main)

import numeric as nm  # noqa: E402
from solvers import ODEProblem, Tsit5, solve  # noqa: E402
from solvers.sde import EulerMaruyama, SDEProblem  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results_gpu.md"
MU, SIGMA, HEAT_C, T_NODE, T_HEAT = 0.5, 0.3, 100.0, 1.5, 0.5
FULL = {"node": 1024, "paths": 10**6, "sde_steps": 100, "heat": 10**6, "bruss": 10**4}
QUICK = {"node": 16, "paths": 2000, "sde_steps": 20, "heat": 200, "bruss": 40}


# ------------------------------------------------------------------ backends

def _cupy() -> Any:
    """CuPy if it imports and sees a GPU, else the reason as a string."""
    try:
        import cupy as cp

        cp.cuda.runtime.getDeviceCount()
        cp.zeros(1).sum().item()
        return cp
    except Exception as exc:
        return f"skipped: needs CuPy and a CUDA GPU ({type(exc).__name__}: {str(exc)[:80]})"


def _sync(xp: Any) -> Callable[[], None]:
    if xp is np:
        return lambda: None
    return lambda: xp.cuda.Device().synchronize()


# ------------------------------------------------------------------ the five problems

def node_params(theta: Any) -> tuple:
    """(W1, b1, W2, b2) of the 2-50-2 MLP from the flat 252-vector (u @ W1 convention)."""
    return (theta[:100].reshape((2, 50)), theta[100:150], theta[150:250].reshape((50, 2)), theta[250:252])


def node_rhs(u: Any, p: Any, t: Any) -> Any:
    W1, b1, W2, b2 = p
    return nm.tanh((u * u * u) @ W1 + b1) @ W2 + b2


def node_data(batch: int) -> tuple:
    rng = np.random.default_rng(0)
    return rng.standard_normal(252) * 0.1, rng.standard_normal((batch, 2)) * 0.5, rng.standard_normal((batch, 2))


def node_forward(xp: Any, batch: int) -> Callable[[], Any]:
    theta, u0, _ = node_data(batch)
    prob = ODEProblem(node_rhs, xp.asarray(u0), (0.0, T_NODE), node_params(xp.asarray(theta)))
    return lambda: solve(prob, Tsit5(), rtol=1e-6, save_everystep=False).u[-1]


def node_loss(xp: Any, batch: int) -> tuple:
    theta, u0, target = node_data(batch)
    u0d, target_d = xp.asarray(u0), xp.asarray(target)

    def loss(th):
        sol = solve(ODEProblem(node_rhs, u0d, (0.0, T_NODE), node_params(th)), Tsit5(), rtol=1e-6,
                    save_everystep=False)
        e = sol.u[-1] - target_d
        return (e * e).mean()

    return loss, xp.asarray(theta)


def node_gradient(xp: Any, batch: int) -> Callable[[], Any]:
    loss, theta = node_loss(xp, batch)
    return lambda: nm.gradient(loss, theta)


def gbm(xp: Any, paths: int, steps: int) -> Callable[[], Any]:
    prob = SDEProblem(lambda u, p, t: MU * u, lambda u, p, t: SIGMA * u, xp.asarray([1.0]), (0.0, 1.0))
    return lambda: solve(prob, EulerMaruyama(), dt=1.0 / steps, batch=paths, seed=1, save="final").u[-1]


def heat_rhs(u: Any, p: Any, t: Any) -> Any:
    xp = p
    z = xp.zeros(1, dtype=u.dtype)
    return HEAT_C * (xp.concatenate([u[1:], z]) - 2 * u + xp.concatenate([z, u[:-1]]))


def heat_exact(n: int) -> tuple:
    x = np.arange(1, n + 1) / (n + 1)
    u0 = np.sin(np.pi * x)
    return u0, u0 * math.exp(-4 * HEAT_C * math.sin(math.pi / (2 * (n + 1))) ** 2 * T_HEAT)


def heat(xp: Any, n: int) -> Callable[[], Any]:
    u0, _ = heat_exact(n)
    prob = ODEProblem(heat_rhs, xp.asarray(u0), (0.0, T_HEAT), xp)
    return lambda: solve(prob, Tsit5(), rtol=1e-6, save_everystep=False).u[-1]


def brusselator(u: Any, n: int) -> Any:
    """1-D Brusselator (A = 1, B = 3, alpha = 0.02 on a unit grid of n points), written with
    elementwise operations and slice assignment only, so it runs on every array type."""
    x, y = u[:n], u[n:]
    c = 0.02 * (n + 1) ** 2
    lx, ly = x * (-2.0), y * (-2.0)
    lx[1:] = lx[1:] + x[:-1]
    lx[:-1] = lx[:-1] + x[1:]
    ly[1:] = ly[1:] + y[:-1]
    ly[:-1] = ly[:-1] + y[1:]
    out = u * 0.0
    out[:n] = 1.0 + x * x * y - 4.0 * x + lx * c
    out[n:] = 3.0 * x - x * x * y + ly * c
    return out


def bruss_point(states: int) -> np.ndarray:
    n = states // 2
    s = np.linspace(0, 1, n)
    return np.concatenate([1 + np.sin(2 * np.pi * s), np.full(n, 3.0)])


def bruss_jacobian(xp: Any, states: int) -> Callable[[], Any]:
    u = xp.asarray(bruss_point(states))
    return lambda: nm.jacobian(lambda v: brusselator(v, states // 2), u)


# ------------------------------------------------------------------ checks (independent references)

def _host(a: Any) -> np.ndarray:
    return a.get() if hasattr(a, "get") else np.asarray(a)


def check_gbm(X: Any, paths: int, steps: int) -> str:
    x = _host(X)[:, 0]
    var = math.exp(2 * MU) * (math.exp(SIGMA**2) - 1)
    bias = abs((1 + MU / steps) ** steps - math.exp(MU))   # Euler-Maruyama's weak error of the mean
    err = abs(x.mean() - math.exp(MU))
    assert err < 4 * math.sqrt(var / paths) + bias, (x.mean(), math.exp(MU))
    return f"|mean - e^mu| = {err:.1e}"


def check_heat(U: Any, n: int) -> str:
    err = float(np.max(np.abs(_host(U) - heat_exact(n)[1])))
    assert err < 1e-5, err
    return f"max error {err:.1e}"


def check_bruss(J: Any, states: int) -> str:
    n = states // 2
    u, Jh, c = bruss_point(states), _host(J), 0.02 * (n + 1) ** 2
    x, y = u[:n], u[n:]
    ref = np.concatenate([2 * x * y - 4 - 2 * c, -x * x - 2 * c])   # the closed-form diagonal
    err = float(np.max(np.abs(np.diag(Jh) - ref)))
    assert err < 1e-9 * np.max(np.abs(ref)), err
    return f"diagonal error {err:.1e}"


def check_node_gradient(g: Any, batch: int) -> str:
    loss, theta = node_loss(np, batch)
    gh, h = _host(g), 1e-5
    errs = []
    for k in (0, 120, 251):                       # central differences (at rtol 1e-6: loose)
        e = np.zeros(252)
        e[k] = h
        fd = (loss(theta + e) - loss(theta - e)) / (2 * h)
        errs.append(abs(gh[k] - fd) / max(abs(fd), 1e-3))
    assert max(errs) < 1e-3, errs
    return f"vs central differences {max(errs):.1e}"


# ------------------------------------------------------------------ peers on the GPU

def _torch_gpu() -> Any:
    try:
        import torch

        if not torch.cuda.is_available():
            return "skipped: torch sees no CUDA GPU"
        return torch
    except Exception as exc:
        return f"not installed: {type(exc).__name__}: {exc}"


def _jax_gpu() -> Any:
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        if not [d for d in jax.devices() if d.platform == "gpu"]:
            return "skipped: JAX sees no GPU"
        return jax
    except Exception as exc:
        return f"not installed: {type(exc).__name__}: {exc}"


def torch_rows(torch: Any, size: dict) -> dict:  # pragma: no cover - needs a GPU
    dev, f64 = "cuda", torch.float64
    rows = {}

    def gbm_torch():
        x = torch.ones(size["paths"], 1, dtype=f64, device=dev)
        h = 1.0 / size["sde_steps"]
        for _ in range(size["sde_steps"]):
            x = x + MU * x * h + SIGMA * x * torch.randn_like(x) * math.sqrt(h)
        torch.cuda.synchronize()
        return x

    rows["G3"] = gbm_torch

    def bruss_torch():
        u = torch.as_tensor(bruss_point(size["bruss"]), device=dev)
        J = torch.func.jacfwd(lambda v: brusselator(v.clone(), size["bruss"] // 2))(u)
        torch.cuda.synchronize()
        return J

    rows["G5"] = bruss_torch
    try:
        import torchdiffeq
    except Exception as exc:
        rows["G1"] = rows["G2"] = rows["G4"] = f"torchdiffeq not installed: {type(exc).__name__}"
        return rows
    theta, u0, target = node_data(size["node"])
    th = torch.tensor(theta, device=dev, requires_grad=True)
    y0, tgt = torch.tensor(u0, device=dev), torch.tensor(target, device=dev)
    ts = torch.tensor([0.0, T_NODE], dtype=f64, device=dev)

    def node_torch(grad):
        W1, b1, W2, b2 = node_params(th)
        out = torchdiffeq.odeint(lambda t, u: torch.tanh((u**3) @ W1 + b1) @ W2 + b2, y0, ts,
                                 rtol=1e-6, atol=1e-6, method="dopri5")[-1]
        if grad:
            ((out - tgt) ** 2).mean().backward()
        torch.cuda.synchronize()
        return out

    rows["G1"], rows["G2"] = (lambda: node_torch(False)), (lambda: node_torch(True))
    n = size["heat"]
    uh = torch.tensor(heat_exact(n)[0], device=dev)

    def heat_torch():
        def rhs(t, u):
            z = torch.zeros(1, dtype=f64, device=dev)
            return HEAT_C * (torch.cat([u[1:], z]) - 2 * u + torch.cat([z, u[:-1]]))
        out = torchdiffeq.odeint(rhs, uh, torch.tensor([0.0, T_HEAT], dtype=f64, device=dev), rtol=1e-6,
                                 atol=1e-6, method="dopri5")[-1]
        torch.cuda.synchronize()
        return out

    rows["G4"] = heat_torch
    return rows


def jax_rows(jax: Any, size: dict) -> dict:  # pragma: no cover - needs a GPU
    import jax.numpy as jnp

    rows = {}
    steps, h = size["sde_steps"], 1.0 / size["sde_steps"]

    @jax.jit
    def gbm_jax(key):
        def body(x, k):
            return x + MU * x * h + SIGMA * x * jax.random.normal(k, x.shape) * math.sqrt(h), None
        return jax.lax.scan(body, jnp.ones((size["paths"], 1)), jax.random.split(key, steps))[0]

    rows["G3"] = lambda: gbm_jax(jax.random.PRNGKey(1)).block_until_ready()
    nb = size["bruss"] // 2

    def bruss_jnp(v):
        x, y = v[:nb], v[nb:]
        c = 0.02 * (nb + 1) ** 2
        z = jnp.zeros(1)
        lap = lambda w: jnp.concatenate([w[1:], z]) - 2 * w + jnp.concatenate([z, w[:-1]])  # noqa: E731
        return jnp.concatenate([1 + x * x * y - 4 * x + c * lap(x), 3 * x - x * x * y + c * lap(y)])

    jac = jax.jit(jax.jacfwd(bruss_jnp))
    ub = jnp.asarray(bruss_point(size["bruss"]))
    rows["G5"] = lambda: jac(ub).block_until_ready()
    try:
        import diffrax
    except Exception as exc:
        rows["G1"] = rows["G2"] = rows["G4"] = f"diffrax not installed: {type(exc).__name__}"
        return rows
    theta, u0, target = node_data(size["node"])

    def node_solve(th, y0):
        W1, b1, W2, b2 = node_params(th)
        term = diffrax.ODETerm(lambda t, u, a: jnp.tanh((u**3) @ W1 + b1) @ W2 + b2)
        return diffrax.diffeqsolve(term, diffrax.Tsit5(), 0.0, T_NODE, 0.01, y0,
                                   stepsize_controller=diffrax.PIDController(rtol=1e-6, atol=1e-6)).ys[-1]

    fwd = jax.jit(node_solve)
    grad = jax.jit(jax.grad(lambda th, y0, tg: jnp.mean((node_solve(th, y0) - tg) ** 2)))
    th, y0, tg = jnp.asarray(theta), jnp.asarray(u0), jnp.asarray(target)
    rows["G1"] = lambda: fwd(th, y0).block_until_ready()
    rows["G2"] = lambda: grad(th, y0, tg).block_until_ready()
    uh = jnp.asarray(heat_exact(size["heat"])[0])

    def heat_vf(t, u, a):
        z = jnp.zeros(1)
        return HEAT_C * (jnp.concatenate([u[1:], z]) - 2 * u + jnp.concatenate([z, u[:-1]]))

    heat_solve = jax.jit(lambda u: diffrax.diffeqsolve(
        diffrax.ODETerm(heat_vf), diffrax.Tsit5(), 0.0, T_HEAT, 1e-3, u,
        stepsize_controller=diffrax.PIDController(rtol=1e-6, atol=1e-6), max_steps=100000).ys[-1])
    rows["G4"] = lambda: heat_solve(uh).block_until_ready()
    return rows


# ------------------------------------------------------------------ the run

CASES = {
    "G1": ("neural ODE forward, batch {node}", lambda xp, s: node_forward(xp, s["node"]), None),
    "G2": ("neural ODE gradient (252 params), batch {node}", lambda xp, s: node_gradient(xp, s["node"]),
           lambda r, s: check_node_gradient(r, s["node"])),
    "G3": ("GBM, {paths} paths, EM {sde_steps} steps", lambda xp, s: gbm(xp, s["paths"], s["sde_steps"]),
           lambda r, s: check_gbm(r, s["paths"], s["sde_steps"])),
    "G4": ("heat equation, {heat} states, Tsit5", lambda xp, s: heat(xp, s["heat"]),
           lambda r, s: check_heat(r, s["heat"])),
    "G5": ("DualArray Jacobian, Brusselator {bruss} states", lambda xp, s: bruss_jacobian(xp, s["bruss"]),
           lambda r, s: check_bruss(r, s["bruss"])),
}


def _timed(fn: Callable[[], Any], sync: Callable[[], None]) -> Callable[[], Any]:
    def run():
        out = fn()
        sync()
        return out
    return run


def run_case(key: str, size: dict, backends: dict, peers: dict, settings: Any) -> tuple:
    """Time case *key* on every backend and peer, interleaved; returns (rows, notes)."""
    title, make, check = CASES[key]
    fns, notes, results = {}, [], {}
    for name, xp in backends.items():
        if isinstance(xp, str):
            notes.append((name, xp))
            continue
        fn = attempt(lambda: _timed(make(xp, size), _sync(xp)))
        first = fn if isinstance(fn, Failed) else attempt(fn)   # the first call (CuPy compiles kernels)
        if isinstance(first, Failed):
            notes.append((name, str(first)))
            continue
        results[name] = first
        verdict = attempt(lambda: check(first, size)) if check is not None else "not checked (see G2)"
        notes.append((name, str(verdict)))
        if isinstance(verdict, Failed):
            continue
        fns[name] = fn
    for name, rows in peers.items():
        peer = rows if isinstance(rows, str) else rows.get(key, "no row")
        if isinstance(peer, str):
            notes.append((name, peer))
            continue
        warm = attempt(peer)
        if isinstance(warm, Failed):
            notes.append((name, str(warm)))
            continue
        fns[name] = peer
        notes.append((name, "ran"))
    if "numpy" in results and "cupy" in results:
        diff = float(np.max(np.abs(_host(results["numpy"]) - _host(results["cupy"]))))
        notes.append(("cupy vs numpy", f"max |difference| {diff:.1e}"))
    times = measure_interleaved(fns, min_time=settings.min_time, repeat=settings.repeat,
                                budget=settings.budget) if fns else {}
    base = times.get("numpy")
    rows = [[title.format(**size), name, format_time(t.best), format_time(t.median), format_time(t.worst),
             format_ratio(base.best / t.best) if base is not None else "-"] for name, t in times.items()]
    return rows, notes


def main() -> int:
    settings = parse_args(__doc__.splitlines()[0])
    print(header(["numpy", "cupy-cuda12x", "array-api-compat", "torch", "jax", "diffrax", "torchdiffeq"]))
    size = QUICK if settings.quick else FULL
    cp = _cupy()
    backends = {"numpy": np, "cupy": "skipped: --quick runs on the CPU only" if settings.quick else cp}
    peers = {}
    if not settings.quick:
        torch, jax = _torch_gpu(), _jax_gpu()
        peers["torch-gpu"] = torch if isinstance(torch, str) else attempt(lambda: torch_rows(torch, size))
        peers["jax-gpu"] = jax if isinstance(jax, str) else attempt(lambda: jax_rows(jax, size))
        peers = {k: (str(v) if isinstance(v, Failed) else v) for k, v in peers.items()}
    rows, notes = [], []
    for key in CASES:
        r, n = run_case(key, size, backends, peers, settings)
        rows += r
        notes += [[key, who, what] for who, what in n]
    columns = ["case", "backend", "best", "median", "worst", "speed-up vs numpy"]
    print_table("GPU benchmarks (machine shared and loaded: see the load average above)", columns, rows)
    print_table("checks and skipped rows", ["case", "backend", "note"], notes)
    failed = [n for n in notes if n[1] in ("numpy", "cupy") and n[2].startswith("failed")]
    gpu_ran = any(r[1] in ("cupy", "torch-gpu", "jax-gpu") for r in rows)
    if gpu_ran and not settings.quick:
        with open(RESULTS, "w") as out:
            out.write("# GPU benchmark results (benchmarks/bench_gpu.py)\n\n```\n" + header(
                ["numpy", "cupy-cuda12x", "torch", "jax", "diffrax"]) + "\n```\n\n")
            print_table("GPU benchmarks", columns, rows, file=out)
            print_table("checks and skipped rows", ["case", "backend", "note"], notes, file=out)
        print(f"wrote {RESULTS}")
    else:
        print(f"no GPU row ran: {RESULTS} not written (a run with CuPy on a GPU writes it)")
    return 1 if failed else 0


if __name__ == "__main__":
    run_main(main)
