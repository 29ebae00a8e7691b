"""PB-LEARN: training steps of a neural ODE and gradients through a universal ODE, ours against torchdiffeq and diffrax.

Run ``python benchmarks/bench_learning.py`` for the full tables (peers included) or
``--quick`` for the smoke mode the test suite runs (tiny sizes, no peers, each
sensitivity algorithm's gradient checked against the taped solver's).

L1 neural ODE training (issue 12): the spiral of torchdiffeq's ``ode_demo`` and
DiffEqFlux's tutorial (``examples/neural_ode_spiral.py``: ``u' = net(u)``, the MLP
``u -> u^3 -> Dense(2, 50, tanh) -> Dense(50, 2)``, 252 parameters, 30 save points on
[0, 1.5], loss ``sum((u - data)^2)``), one epoch = 20 Adam steps (lr 0.05) at batch 1
(the whole trajectory), rtol = atol = 1e-6, all from the same initial parameters. Ours:
Tsit5 with each sensitivity algorithm that applies (the adjoints under reverse mode,
``ReverseDiffAdjoint`` the taped solver, ``ForwardDiffSensitivity`` a DualArray of 252
partials). torchdiffeq: ``odeint`` (backpropagation through the solver) and
``odeint_adjoint``, ``dopri5`` (torchdiffeq has no Tsit5; the same order 5(4)), float64,
``torch.set_num_threads`` pinned to ours (1), ``torch.optim.Adam``. diffrax: Tsit5 with
``PIDController(rtol, atol)``, the whole step (loss, ``jax.value_and_grad``, the Adam
update) under ``jax.jit`` as its docs advise, ``RecursiveCheckpointAdjoint`` (its
default) and ``BacksolveAdjoint``, float64, XLA pinned to one thread; its compile time
is reported and counted in the "first 100 steps" column. Every row is timed in
interleaved rounds (min / median / max over the samples).

L2 gradient through a ~1,000-parameter universal ODE: Lotka–Volterra ((1.5, 1, 3, 1),
u0 = (1, 1)) plus a network correction ``0.1 * NN(u)``, NN = Dense(2, 30, tanh) ->
Dense(30, 30, tanh) -> Dense(30, 2) (1,082 parameters), Tsit5 at 1e-6, loss
``sum(u(T)^2)``, for T = 2.5, 10, 25 (more steps): time and peak memory (``tracemalloc``,
Python and NumPy allocations, measured in a separate call) of the gradient by the
continuous adjoints, by forward mode (1,082 partials; at the first span only, where it
already takes seconds) and by discretise-then-optimise (the taped solver).

A adjoint speed: the O2 problem of ``bench_sensitivity.py`` (Lotka–Volterra gradient
of the sum of the states at t = 0..10 wrt 4 parameters, Tsit5 at 1e-8/1e-10) by each
adjoint, against our float solve, our compiled forward mode, and diffrax ``jax.grad``
(RecursiveCheckpointAdjoint, BacksolveAdjoint; warm and compile).

Options: ``--sections L1,L2,A`` runs some of the tables; ``--lean`` leaves the slowest L1
rows out (checkpointed interpolating, Gauss, forward sensitivity equations) for a loaded machine.

Environment: ``OMP_NUM_THREADS=1`` (set here unless given) so NumPy's BLAS, torch and
XLA all run on one thread.
"""

from __future__ import annotations

import os
import pathlib
import sys
import time
import tracemalloc
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

from _harness import (Failed, attempt, format_ratio, format_time, header, load_peer,  # noqa: E402
                      measure_interleaved, parse_args, print_table, run_main)
import numeric as nm  # noqa: E402
import neural_ode_spiral as spiral  # noqa: E402
from solvers import ODEProblem, Tsit5, solve  # noqa: E402
from solvers.nn import Chain, Dense  # noqa: E402
from solvers.ode.sensitivity import (BacksolveAdjoint, ForwardDiffSensitivity,  # noqa: E402
                                     ForwardSensitivity, GaussAdjoint, InterpolatingAdjoint,
                                     QuadratureAdjoint, ReverseDiffAdjoint)
from solvers.optimize import adam  # noqa: E402
from tests._sensitivity_refs import P0, SAVE, U0, lotka, loss_gradient_reference  # noqa: E402

PACKAGES = ["numpy", "scipy", "numba", "torch", "torchdiffeq", "jax", "diffrax"]
L1_RTOL, L1_STEPS, L1_LR = 1e-6, 20, 0.05
L1_ROUNDS = 3              # interleaved rounds of one epoch each (min / median / max over them)
# rows left out of L1, with the reason printed in their row
L1_NOT_TIMED = {
    "QuadratureAdjoint": "adaptive Gauss-Kronrod (scipy quad_vec) per save interval: far slower than "
                         "GaussAdjoint here",
    "ForwardSensitivity (sensitivity equations)": "252 x 2 sensitivity equations by dual evaluation: a "
                                                  "single gradient was still running after 25 s",
}
# rows left out of the full L1 run with --lean (a machine too loaded for minutes-long epochs)
L1_LEAN_SKIP = ("InterpolatingAdjoint(checkpointing=True)", "GaussAdjoint")
L2_SPANS = (2.5, 10.0, 25.0)

# sensealg rows: name -> (sensealg factory, differentiation mode, in --quick)
SENSEALGS = {
    "InterpolatingAdjoint": (InterpolatingAdjoint, "reverse", True),
    "InterpolatingAdjoint, VJP replayed (before)":
        (lambda: InterpolatingAdjoint(compile_vjp=False), "reverse", True),
    "InterpolatingAdjoint(checkpointing=True)":
        (lambda: InterpolatingAdjoint(checkpointing=True), "reverse", False),
    "BacksolveAdjoint": (BacksolveAdjoint, "reverse", False),
    "BacksolveAdjoint, VJP replayed (before)": (lambda: BacksolveAdjoint(compile_vjp=False), "reverse", False),
    "QuadratureAdjoint": (QuadratureAdjoint, "reverse", False),
    "GaussAdjoint": (GaussAdjoint, "reverse", False),
    "ReverseDiffAdjoint (taped solver)": (ReverseDiffAdjoint, "reverse", True),
    "ForwardDiffSensitivity (forward mode)": (ForwardDiffSensitivity, "forward", False),
    "ForwardSensitivity (sensitivity equations)": (ForwardSensitivity, "forward", False),
}


def _rows_for(settings: Any, skip: tuple = ()) -> dict:
    return {k: v for k, v in SENSEALGS.items() if (v[2] or not settings.quick) and k not in skip}


# -- L1: neural ODE training epoch ----------------------------------------------------------


def l1_ours(name: str, theta0: np.ndarray, data: np.ndarray, steps: int) -> Any:
    """A function running one epoch (``steps`` Adam steps) with sensealg row *name*."""
    make, mode, _ = SENSEALGS[name]
    sensealg = make()

    def f(theta):
        return spiral.loss(theta, data, rtol=L1_RTOL, sensealg=sensealg)

    def epoch():
        return adam(f, theta0, lr=L1_LR, maxiter=steps, mode=mode)

    return epoch, nm.value_and_grad(f, mode=mode)


def l1_torchdiffeq(torch: Any, tdq: Any, theta0: np.ndarray, data: np.ndarray, steps: int,
                   adjoint: bool) -> Any:  # pragma: no cover - peer not installed in the test venv
    """One epoch of torchdiffeq training from the parameters *theta0* (our layout)."""
    nn = torch.nn
    blocks = spiral.NET.unflatten(theta0)

    class Func(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 50), nn.Tanh(), nn.Linear(50, 2))

        def forward(self, t, y):
            return self.net(y ** 3)

    y0 = torch.tensor(spiral.U0, dtype=torch.float64)
    ts = torch.tensor(spiral.T_SAVE, dtype=torch.float64)
    target = torch.tensor(data, dtype=torch.float64)
    integrate = tdq.odeint_adjoint if adjoint else tdq.odeint
    state = {k: torch.tensor(v, dtype=torch.float64) for k, v in
             (("net.0.weight", blocks["1.W"].T), ("net.0.bias", blocks["1.b"]),
              ("net.2.weight", blocks["2.W"].T), ("net.2.bias", blocks["2.b"]))}
    func = Func().double()

    def epoch():
        func.load_state_dict(state)
        opt = torch.optim.Adam(func.parameters(), lr=L1_LR)
        for _ in range(steps):
            opt.zero_grad()
            pred = integrate(func, y0, ts, rtol=L1_RTOL, atol=L1_RTOL, method="dopri5")
            loss = torch.sum((pred - target) ** 2)
            loss.backward()
            opt.step()
        return float(loss)

    return epoch


def l1_diffrax(diffrax: Any, theta0: np.ndarray, data: np.ndarray, steps: int,
               adjoint: Any) -> tuple:  # pragma: no cover - peer not installed in the test venv
    """(epoch function, seconds of the first jitted step: its compile) for diffrax."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    b = spiral.NET.unflatten(theta0)
    params0 = tuple(jnp.array(b[k]) for k in ("1.W", "1.b", "2.W", "2.b"))
    ts, target, y0 = jnp.array(spiral.T_SAVE), jnp.array(data), jnp.array(spiral.U0)

    def vf(t, y, p):
        W1, b1, W2, b2 = p
        return jnp.tanh((y ** 3) @ W1 + b1) @ W2 + b2

    def loss(p):
        sol = diffrax.diffeqsolve(diffrax.ODETerm(vf), diffrax.Tsit5(), ts[0], ts[-1], None, y0, p,
                                  saveat=diffrax.SaveAt(ts=ts), adjoint=adjoint,
                                  stepsize_controller=diffrax.PIDController(rtol=L1_RTOL, atol=L1_RTOL),
                                  max_steps=100_000)
        return jnp.sum((sol.ys - target) ** 2)

    @jax.jit
    def step(p, m, v, k):          # Adam (Kingma & Ba 2015, Algorithm 1), as ours
        val, g = jax.value_and_grad(loss)(p)
        m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, g)
        v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, g)
        c1, c2 = 1 - 0.9 ** (k + 1), 1 - 0.999 ** (k + 1)
        p = jax.tree_util.tree_map(lambda p, m, v: p - L1_LR * (m / c1) / (jnp.sqrt(v / c2) + 1e-8),
                                   p, m, v)
        return p, m, v, val

    def epoch():
        p = params0
        m = jax.tree_util.tree_map(jnp.zeros_like, p)
        v = jax.tree_util.tree_map(jnp.zeros_like, p)
        for k in range(steps):
            p, m, v, val = step(p, m, v, k)
        return float(val.block_until_ready())

    start = time.perf_counter()
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params0)
    step(params0, zeros, zeros, 0)[3].block_until_ready()
    return epoch, time.perf_counter() - start


def bench_l1(settings: Any, skip: tuple = ()) -> tuple[list, dict]:
    steps = 1 if settings.quick else L1_STEPS
    data = spiral.spiral_data()
    theta0 = spiral.NET.init(0)
    fns, notes, grads = {}, {}, {}
    for name in _rows_for(settings, tuple(L1_NOT_TIMED) + skip):
        fns[f"ours Tsit5, {name}"], vg = l1_ours(name, theta0, data, steps)
        grads[name] = np.asarray(vg(theta0)[1])
    ref = grads["ReverseDiffAdjoint (taped solver)"]
    for name, g in grads.items():        # every sensealg gives the same gradient (to the tolerance)
        err = float(np.abs(g - ref).max() / np.abs(ref).max())
        notes[f"ours Tsit5, {name}"] = f"gradient vs taped: {err:.1e}"
        assert err < 1e-3, (name, err)
    compile_s = {}
    if not settings.quick:
        torch = load_peer("torch")
        tdq = load_peer("torchdiffeq")
        if torch.available and tdq.available:
            torch.module.set_num_threads(1)
            for adj in (False, True):
                fns[f"torchdiffeq dopri5, {'odeint_adjoint' if adj else 'odeint'}"] = \
                    l1_torchdiffeq(torch.module, tdq.module, theta0, data, steps, adj)
        else:
            notes["torchdiffeq"] = torch.error or tdq.error
        dfx = load_peer("diffrax")
        if dfx.available:
            for label in ("RecursiveCheckpointAdjoint", "BacksolveAdjoint"):
                name = f"diffrax Tsit5 jit, {label}"
                out = attempt(lambda label=label: l1_diffrax(dfx.module, theta0, data, steps,
                                                             getattr(dfx.module, label)()))
                if isinstance(out, Failed):
                    notes[name] = str(out)
                else:
                    fns[name], compile_s[name] = out
                    notes[name] = f"compile {compile_s[name]:.2f} s"
        else:
            notes["diffrax"] = dfx.error
    kw = dict(min_time=0.0, repeat=L1_ROUNDS, budget=1.0 if settings.quick else 60.0)
    timings = measure_interleaved(fns, **kw)
    base = timings["ours Tsit5, InterpolatingAdjoint"].best
    rows = []
    for name, t in timings.items():
        first100 = (compile_s.get(name, 0.0) + 100 * t.best / steps)
        rows.append([name, format_time(t.best), format_time(t.median), format_time(t.worst),
                     format_time(t.best / steps), format_time(first100), format_ratio(t.best / base),
                     notes.get(name, "")])
    rows += [[name, note, "-", "-", "-", "-", "-", ""] for name, note in notes.items()
             if name not in timings]
    if not settings.quick:
        rows += [[f"ours Tsit5, {name}", f"not timed: {why}", "-", "-", "-", "-", "-", ""]
                 for name, why in L1_NOT_TIMED.items()]
        rows += [[f"ours Tsit5, {name}", "not timed in this run (--lean)", "-", "-", "-", "-", "-", ""]
                 for name in skip]
    return rows, {"steps": steps}


# -- L2: ~1,000-parameter universal ODE --------------------------------------------------------

L2_NET = Chain(Dense(2, 30, "tanh"), Dense(30, 30, "tanh"), Dense(30, 2))
L2_RTOL = 1e-6


def l2_rhs(u: Any, theta: Any, t: Any) -> Any:
    a, b, c, d = P0
    x, y = u[0], u[1]
    known = np.stack([a * x - b * x * y, -c * y + d * x * y])
    return known + 0.1 * L2_NET(u, theta)


def l2_loss(theta: Any, t_end: float, sensealg: Any) -> Any:
    sol = solve(ODEProblem(l2_rhs, np.array(U0), (0.0, t_end), theta), Tsit5(), rtol=L2_RTOL,
                atol=L2_RTOL, saveat=[t_end], sensealg=sensealg)
    if not sol.success:
        raise RuntimeError(sol.message)
    u = sol.u[-1]
    return np.sum(u * u)


def l2_steps(theta: np.ndarray, t_end: float) -> int:
    sol = solve(ODEProblem(l2_rhs, np.array(U0), (0.0, t_end), theta), Tsit5(), rtol=L2_RTOL,
                atol=L2_RTOL, saveat=[t_end])
    return int(sol.stats.naccept)


def _peak_memory(fn: Any) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_l2(settings: Any) -> list:
    theta = L2_NET.init(0)
    spans = (0.5,) if settings.quick else L2_SPANS
    # the VJP of this network (3,201 recorded operations, more than MAX_NODES) is compiled as the
    # tape interpreter kernel (numeric.reverse.vjp_loop); the "replayed (before)" rows are the tape
    # replayed per call, as before that kernel existed
    skip = ("QuadratureAdjoint",) + \
        (() if settings.quick else ("ForwardSensitivity (sensitivity equations)",))
    rows = []
    for t_end in spans:
        fns, grads = {}, {}
        for name, (make, mode, _) in _rows_for(settings, skip).items():
            if mode == "forward" and t_end != spans[0]:
                continue          # 1,082 partials: its time grows with the steps as at the first span
            fns[name] = (lambda make=make, mode=mode:
                         nm.grad(lambda th: l2_loss(th, t_end, make()), mode=mode)(theta))
            grads[name] = np.asarray(fns[name]())
        ref = grads["ReverseDiffAdjoint (taped solver)"]
        errs = {k: float(np.abs(g - ref).max() / np.abs(ref).max()) for k, g in grads.items()}
        assert max(errs.values()) < 1e-3, errs
        timings = measure_interleaved(fns, min_time=0.0, repeat=settings.repeat,
                                      budget=settings.budget * 3)
        mem = {k: _peak_memory(fn) for k, fn in fns.items()}
        nsteps = l2_steps(theta, t_end)
        for name, t in timings.items():
            rows.append([f"T = {t_end:g} ({nsteps} steps)", name, format_time(t.best),
                         format_time(t.median), format_time(t.worst), f"{mem[name] / 2**20:.1f} MiB",
                         f"{errs[name]:.1e}"])
    return rows


# -- A: adjoint speed on the O2 problem --------------------------------------------------------


def o2_loss(p: Any, sensealg: Any) -> Any:
    sol = solve(ODEProblem(lotka, np.array(U0), (0.0, 10.0), p), Tsit5(), rtol=1e-8, atol=1e-10,
                saveat=SAVE, sensealg=sensealg)
    total = sol.u[0].sum()
    for u in sol.u[1:]:
        total = total + u.sum()
    return total


def o2_diffrax(diffrax: Any) -> dict:  # pragma: no cover - peer not installed in the test venv
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def vf(t, y, args):
        a, b, c, d = args
        return jnp.stack([a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]])

    def loss(args, adjoint):
        sol = diffrax.diffeqsolve(diffrax.ODETerm(vf), diffrax.Tsit5(), 0.0, 10.0, None, jnp.array(U0),
                                  args, saveat=diffrax.SaveAt(ts=jnp.array(SAVE)), adjoint=adjoint,
                                  stepsize_controller=diffrax.PIDController(rtol=1e-8, atol=1e-10),
                                  max_steps=100_000)
        return jnp.sum(sol.ys)

    return {f"diffrax Tsit5 jit(grad), {label}":
            jax.jit(jax.grad(lambda a, label=label: loss(a, getattr(diffrax, label)())))
            for label in ("RecursiveCheckpointAdjoint", "BacksolveAdjoint")}


def bench_adjoint(settings: Any) -> list:
    import numba

    ref = loss_gradient_reference()
    p = np.array(P0)
    # the compiled rows compile numba code (tens of seconds on a loaded machine): full runs only
    base = "ours float solve, generic f (L only)"
    fns = {base: lambda: solve(ODEProblem(lotka, np.array(U0), (0.0, 10.0), P0), Tsit5(), rtol=1e-8,
                               atol=1e-10, saveat=SAVE)}
    if not settings.quick:
        fast = numba.njit(lotka)
        fns["ours float solve, compiled f (L only)"] = \
            lambda: solve(ODEProblem(fast, np.array(U0), (0.0, 10.0), P0), Tsit5(), rtol=1e-8, atol=1e-10,
                          saveat=SAVE)
        fns["ours ForwardDiffSensitivity compiled"] = \
            lambda: o2_loss(nm.DualArray(p, np.eye(4)), ForwardDiffSensitivity()).partials
    for name, (make, mode, _) in _rows_for(settings, ("ForwardDiffSensitivity (forward mode)",)).items():
        if mode == "reverse":
            fns[f"ours {name}"] = lambda make=make: nm.grad(lambda q: o2_loss(q, make()),
                                                            mode="reverse")(p)
    errors, first = {}, {}
    for name, fn in fns.items():
        first[name], out = _first_call(fn)
        if "L only" not in name:
            errors[name] = float(np.abs(np.asarray(out) - ref).max() / np.abs(ref).max())
            assert errors[name] < 1e-5, (name, errors[name])
    if not settings.quick:
        dfx = load_peer("diffrax")
        if dfx.available:
            import jax.numpy as jnp

            args = jnp.array(P0)
            for name, g in o2_diffrax(dfx.module).items():
                first[name], out = _first_call(lambda g=g: np.asarray(g(args).block_until_ready()))
                errors[name] = float(np.abs(out - ref).max() / np.abs(ref).max())
                fns[name] = lambda g=g: g(args).block_until_ready()
    timings = measure_interleaved(fns, min_time=settings.min_time, repeat=settings.repeat,
                                  budget=settings.budget)
    base = timings[base].best
    return [[name, format_time(t.best), format_time(t.median), format_time(t.worst),
             f"{errors[name]:.1e}" if name in errors else "-", format_ratio(t.best / base),
             f"{first[name]:.2f} s"] for name, t in timings.items()]


def _first_call(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _sections(argv) -> tuple[set, list]:
    """``--sections L1,L2,A`` (default all) and the remaining arguments for the harness."""
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = {"L1", "L2", "A"}
    if "--sections" in argv:
        i = argv.index("--sections")
        chosen = set(argv[i + 1].split(","))
        del argv[i:i + 2]
        if not chosen <= {"L1", "L2", "A"}:
            raise SystemExit(f"--sections takes a comma-separated subset of L1,L2,A, got {chosen}")
    return chosen, argv


def main(argv=None) -> int:
    chosen, argv = _sections(argv)
    lean = "--lean" in argv
    argv = [a for a in argv if a != "--lean"]
    settings = parse_args(__doc__.splitlines()[0], argv)
    print(header(PACKAGES))
    print(f"threads: OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, torch.set_num_threads(1), "
          f"XLA_FLAGS={os.environ['XLA_FLAGS']!r}")
    print()
    start = time.perf_counter()
    if "L1" in chosen:
        _print_l1(settings, L1_LEAN_SKIP if lean else ())
        print(f"(L1 took {time.perf_counter() - start:.0f} s)\n")
    if "L2" in chosen:
        print_table("L2 gradient through a 1,082-parameter universal ODE (Tsit5 1e-6, loss sum u(T)^2): "
                    "time and peak traced memory vs steps",
                    ["span", "method", "min", "median", "max", "peak memory", "gradient vs taped"],
                    bench_l2(settings))
        print(f"(L1 + L2 took {time.perf_counter() - start:.0f} s)\n")
    if "A" in chosen:
        print_table("A adjoint speed: O2 Lotka-Volterra gradient wrt 4 parameters (Tsit5 1e-8/1e-10)",
                    ["method", "min", "median", "max", "rel. error vs reference", "vs our float solve",
                     "first call"], bench_adjoint(settings))
    print(f"(all sections took {time.perf_counter() - start:.0f} s)")
    return 0


def _print_l1(settings: Any, skip: tuple) -> None:
    rows, info = bench_l1(settings, skip)
    print_table(f"L1 spiral neural ODE: one epoch of {info['steps']} Adam steps (batch 1, rtol 1e-6), "
                f"252 parameters; {L1_ROUNDS} interleaved rounds of one epoch per row",
                ["method", "epoch min", "median", "max", "per step", "first 100 steps (+compile)",
                 "vs InterpolatingAdjoint", "note"], rows)


if __name__ == "__main__":
    run_main(main)
