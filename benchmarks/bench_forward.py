"""PB-FWD forward-mode benchmarks: F1 scalar cost and F2 dense Jacobian.

Run ``python benchmarks/bench_forward.py`` for the full tables (peers
included) or ``python benchmarks/bench_forward.py --quick`` for the smoke
mode the test suite runs: tiny sizes, few repeats, no peers, and assertions
that our derivatives are right.

F1 scalar cost
    ``f(x)`` applies ``x = sin(x) * x + exp(-x) / 3`` a fixed number of
    times starting from ``x0 = 0.5``. One iteration is 6 elementary
    operations (sin, *, unary -, exp, /, +). BENCHMARKS.md asks for a
    "100-operation" function; we time both readings: 17 iterations (102
    operations) and 100 iterations (600 operations). ``d f / d x`` by
    ``nm.derivative`` (scalar ``Dual``) against autograd ``grad``,
    ``jax.grad`` (eager, float64) and torch scalar autograd (float64), with
    the plain-float evaluation (``math.sin``/``math.exp``) as baseline.
    Reference derivative: ``mpmath.diff`` at 50 digits.

F2 dense Jacobian
    The 1-D Brusselator with diffusion (Hairer & Wanner, *Solving Ordinary
    Differential Equations II*, 2nd ed., Section IV.1) on a periodic grid of
    N points ``x_i = i / N``, state ``y = (u, v)`` of length 2N::

        u_i' = A + u_i^2 v_i - (B + 1) u_i + alpha N^2 (u_{i-1} - 2 u_i + u_{i+1})
        v_i' = B u_i - u_i^2 v_i         + alpha N^2 (v_{i-1} - 2 v_i + v_{i+1})

    with A = 1, B = 3, alpha = 0.02, evaluated at ``u = 1 + sin(2 pi x)``,
    ``v = 3`` (Hairer & Wanner's initial values). The right-hand side is
    written once against an array namespace ``xp`` (numpy, which also
    serves ``DualArray`` through ``__array_function__``; ``jax.numpy``;
    ``torch``). ``nm.jacobian`` against ``jax.jacfwd`` eager,
    ``jax.jit(jax.jacfwd)`` warm and its first call (trace + compile),
    ``torch.func.jacfwd`` and forward finite differences
    (``scipy.optimize.approx_fprime``). Reference Jacobian: the complex
    step ``Im f(y + i h e_j) / h`` with ``h = 1e-20``, exact to rounding.
    Every peer's Jacobian is compared with ours before it is timed.
"""

from __future__ import annotations

import math
import statistics
import time
from typing import Any, Callable

import mpmath
import numpy as np

import numeric as nm
from _harness import (Failed, Settings, attempt, format_ratio, format_time, header, load_peer,
                      measure_interleaved, parse_args, print_table)

PACKAGES = ["metanum", "numpy", "scipy", "mpmath", "autograd", "jax", "jaxlib", "torch"]

F1_X0 = 0.5
F1_OPS_PER_ITERATION = 6
F1_ITERATIONS = (17, 100)
F1_QUICK_ITERATIONS = (17, 100)

BRUSSELATOR_A = 1.0
BRUSSELATOR_B = 3.0
BRUSSELATOR_ALPHA = 0.02
F2_SIZES = (32, 256)
F2_QUICK_SIZES = (8,)

AD_TOLERANCE = 1e-9      # relative agreement demanded of an AD peer before it is timed
FD_TOLERANCE = 1e-4      # the same for forward finite differences (truncation error ~1e-7)


# --------------------------------------------------------------------- F1 problem

def f1_generic(x: Any, iterations: int) -> Any:
    """The F1 loop written with ``nm.sin``/``nm.exp``: works on any metanum number."""
    for _ in range(iterations):
        x = nm.sin(x) * x + nm.exp(-x) / 3
    return x


def f1_with(sin: Callable, exp: Callable, x: Any, iterations: int) -> Any:
    """The F1 loop with the given ``sin`` and ``exp`` (math, mpmath, a peer's)."""
    for _ in range(iterations):
        x = sin(x) * x + exp(-x) / 3
    return x


def f1_reference(iterations: int) -> float:
    """``d f / d x`` at ``F1_X0`` by mpmath's numerical differentiation at 50 digits."""
    with mpmath.workdps(50):
        d = mpmath.diff(lambda t: f1_with(mpmath.sin, mpmath.exp, t, iterations),
                        mpmath.mpf(F1_X0))
        return float(d)


# --------------------------------------------------------------------- F2 problem

def brusselator_rhs(y: Any, xp: Any = np) -> Any:
    """Right-hand side of the periodic 1-D Brusselator, ``y = (u, v)`` of length 2N.

    ``xp`` is the array namespace: ``numpy`` (float arrays and ``DualArray``),
    ``jax.numpy`` or ``torch``.

    Examples
    --------
    >>> import numpy as np
    >>> brusselator_rhs(np.array([1.0, 1.0, 3.0, 3.0]))   # u = 1, v = 3: steady state
    array([0., 0., 0., 0.])
    """
    n = y.shape[0] // 2
    u, v = y[:n], y[n:]
    diffusion = BRUSSELATOR_ALPHA * n * n
    lap_u = xp.roll(u, 1) - 2 * u + xp.roll(u, -1)
    lap_v = xp.roll(v, 1) - 2 * v + xp.roll(v, -1)
    uuv = u * u * v
    du = BRUSSELATOR_A + uuv - (BRUSSELATOR_B + 1) * u + diffusion * lap_u
    dv = BRUSSELATOR_B * u - uuv + diffusion * lap_v
    return xp.concatenate([du, dv])


def brusselator_state(n: int) -> np.ndarray:
    """Hairer & Wanner's initial values ``u = 1 + sin(2 pi x)``, ``v = 3`` on ``x_i = i/n``."""
    x = np.arange(n) / n
    return np.concatenate([1 + np.sin(2 * np.pi * x), np.full(n, 3.0)])


def complex_step_jacobian(f: Callable, y: np.ndarray, h: float = 1e-20) -> np.ndarray:
    """Jacobian by the complex step, column by column (exact to rounding for analytic f)."""
    columns = [f(y + 1j * h * e).imag / h for e in np.eye(y.size)]
    return np.array(columns).T


def central_difference_jacobian(f: Callable, y: np.ndarray) -> np.ndarray:
    """Jacobian by central differences with step ``eps**(1/3) * max(1, |y_j|)``."""
    cols = []
    for j in range(y.size):
        h = np.finfo(float).eps ** (1 / 3) * max(1.0, abs(y[j]))
        e = np.zeros_like(y)
        e[j] = h
        cols.append((f(y + e) - f(y - e)) / (2 * h))
    return np.array(cols).T


# --------------------------------------------------------------------- peers

def _load_autograd():
    import autograd
    import autograd.numpy  # noqa: F401

    return autograd


def _load_jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jax, jnp


def _load_torch():
    import torch
    import torch.func

    # One intra-op thread, like ours and like the plain-numpy baseline. On these
    # shared 2-core machines torch's 2-thread OpenMP pool is oversubscribed: it
    # measured 10x slower (torch.func.jacfwd, N = 256: 129 ms against 13 ms), and
    # its spinning worker slowed the rows timed after it.
    torch.set_num_threads(1)
    return torch


def _load_scipy_optimize():
    import scipy.optimize

    return scipy.optimize


def load_peers() -> dict[str, Any]:
    return {
        "autograd": load_peer("autograd", _load_autograd),
        "jax": load_peer("jax", _load_jax),
        "torch": load_peer("torch", _load_torch),
        "scipy": load_peer("scipy.optimize", _load_scipy_optimize),
    }


def f1_peer_thunks(peers: dict, iterations: int) -> dict[str, Any]:
    """Zero-argument callables returning ``d f / d x`` as a float, or a Failed reason."""
    out: dict[str, Any] = {}

    ag = peers["autograd"]
    if ag.available:
        import autograd.numpy as anp

        g = ag.module.grad(lambda x: f1_with(anp.sin, anp.exp, x, iterations))
        out["autograd grad"] = lambda: g(F1_X0)
    else:
        out["autograd grad"] = Failed(ag.error)

    jp = peers["jax"]
    if jp.available:
        jax, jnp = jp.module
        g = jax.grad(lambda x: f1_with(jnp.sin, jnp.exp, x, iterations))
        x0 = jnp.asarray(F1_X0, dtype=jnp.float64)
        out["jax.grad eager"] = lambda: g(x0).block_until_ready()
    else:
        out["jax.grad eager"] = Failed(jp.error)

    tp = peers["torch"]
    if tp.available:
        torch = tp.module

        def torch_grad():
            x = torch.tensor(F1_X0, dtype=torch.float64, requires_grad=True)
            y = f1_with(torch.sin, torch.exp, x, iterations)
            (d,) = torch.autograd.grad(y, x)
            return d

        out["torch scalar autograd"] = torch_grad
    else:
        out["torch scalar autograd"] = Failed(tp.error)
    return out


def f2_peer_thunks(peers: dict, n: int) -> dict[str, Any]:
    """Zero-argument callables returning the Jacobian (converted by ``np.asarray``)."""
    y0 = brusselator_state(n)
    out: dict[str, Any] = {}

    jp = peers["jax"]
    if jp.available:
        jax, jnp = jp.module
        yj = jnp.asarray(y0)

        def rhs_jax(y):
            return brusselator_rhs(y, jnp)

        jac_eager = jax.jacfwd(rhs_jax)
        out["jax.jacfwd eager"] = lambda: jac_eager(yj).block_until_ready()
        jac_jit = jax.jit(jax.jacfwd(rhs_jax))
        out["jax.jit(jax.jacfwd) warm"] = lambda: jac_jit(yj).block_until_ready()
    else:
        out["jax.jacfwd eager"] = Failed(jp.error)
        out["jax.jit(jax.jacfwd) warm"] = Failed(jp.error)

    tp = peers["torch"]
    if tp.available:
        torch = tp.module
        yt = torch.tensor(y0, dtype=torch.float64)
        jac_torch = torch.func.jacfwd(lambda y: brusselator_rhs(y, torch))
        out["torch.func.jacfwd"] = lambda: jac_torch(yt)
    else:
        out["torch.func.jacfwd"] = Failed(tp.error)

    sp = peers["scipy"]
    if sp.available:
        approx_fprime = sp.module.approx_fprime
        out["finite differences (scipy approx_fprime)"] = lambda: approx_fprime(
            y0, brusselator_rhs)
    else:
        out["finite differences (scipy approx_fprime)"] = Failed(sp.error)
    return out


def jax_first_call_time(peers: dict, n: int, samples: int = 3) -> Any:
    """Median seconds of the first call of fresh ``jax.jit(jax.jacfwd(rhs))`` objects."""
    jp = peers["jax"]
    if not jp.available:
        return Failed(jp.error)
    jax, jnp = jp.module
    yj = jnp.asarray(brusselator_state(n))
    times = []
    for _ in range(samples):
        fresh = jax.jit(jax.jacfwd(lambda y: brusselator_rhs(y, jnp)))   # new object: no cache
        start = time.perf_counter()
        fresh(yj).block_until_ready()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --------------------------------------------------------------------- runs

def _rel_err(a: float, ref: float) -> float:
    return abs(a - ref) / abs(ref)


def _settings_kw(settings: Settings) -> dict:
    return dict(min_time=settings.min_time, repeat=settings.repeat, budget=settings.budget)


def _time_cells(t) -> list[str]:
    return [format_time(t.best), format_time(t.median)]


def run_f1(settings: Settings, peers: dict | None) -> None:
    """F1 tables: check every derivative against mpmath, then time all rows interleaved."""
    for iterations in (F1_QUICK_ITERATIONS if settings.quick else F1_ITERATIONS):
        ops = iterations * F1_OPS_PER_ITERATION
        ref = f1_reference(iterations)
        ours_value = nm.derivative(lambda x: f1_generic(x, iterations), F1_X0)
        err = _rel_err(ours_value, ref)
        assert err < 1e-12, (
            f"F1: nm.derivative = {ours_value!r} differs from mpmath's {ref!r} (rel. {err:.2e})")

        timed = {
            "plain float (math.sin/exp), baseline":
                lambda: f1_with(math.sin, math.exp, F1_X0, iterations),
            "same f with nm.sin/exp on float": lambda: f1_generic(F1_X0, iterations),
            "metanum nm.derivative (ours)":
                lambda: nm.derivative(lambda x: f1_generic(x, iterations), F1_X0),
        }
        values = {"metanum nm.derivative (ours)": ours_value}
        untimed = []                      # peers that failed or disagree, with the reason
        for label, thunk in (f1_peer_thunks(peers, iterations) if peers else {}).items():
            value = thunk if isinstance(thunk, Failed) else attempt(lambda: float(thunk()))
            if isinstance(value, Failed):
                untimed.append([label, str(value), "", "", "", "", ""])
            elif _rel_err(value, ref) > AD_TOLERANCE:
                untimed.append([label, "not timed: derivative disagrees", "", f"{value:.6e}",
                                f"{_rel_err(value, ref):.1e}", "", ""])
            else:
                timed[label], values[label] = thunk, value
        t = measure_interleaved(timed, **_settings_kw(settings))
        plain = t["plain float (math.sin/exp), baseline"].best
        ours = t["metanum nm.derivative (ours)"].best
        rows = []
        for label, timing in t.items():
            is_peer = label not in ("plain float (math.sin/exp), baseline",
                                    "same f with nm.sin/exp on float")
            value = values.get(label)
            rows.append([label, *_time_cells(timing),
                         "-" if value is None else f"{value:.6e}",
                         "-" if value is None else f"{_rel_err(value, ref):.1e}",
                         format_ratio(timing.best / plain),
                         format_ratio(timing.best / ours) if is_peer else "-"])
        print_table(f"F1 scalar cost: {iterations} iterations = {ops} operations, "
                    f"d f/dx at x = {F1_X0} (mpmath reference {ref:.6e})",
                    ["method", "best", "median", "d f/dx", "rel. err vs mpmath",
                     "time / plain float", "peer / ours"], rows + untimed)


def run_f2(settings: Settings, peers: dict | None) -> None:
    """F2 tables: check every Jacobian against ours and the complex step, then time."""
    for n in (F2_QUICK_SIZES if settings.quick else F2_SIZES):
        y0 = brusselator_state(n)
        J_ref = complex_step_jacobian(brusselator_rhs, y0)
        scale = np.max(np.abs(J_ref))
        J_ours = nm.jacobian(brusselator_rhs, y0)
        assert J_ours.shape == (2 * n, 2 * n) and J_ours.dtype == np.float64, (
            f"F2: nm.jacobian returned shape {J_ours.shape}, dtype {J_ours.dtype}")
        err_ours = np.max(np.abs(J_ours - J_ref))
        assert err_ours <= 1e-13 * scale, (
            f"F2 N={n}: nm.jacobian differs from the complex-step Jacobian by {err_ours:.2e}")
        err_cd = np.max(np.abs(J_ours - central_difference_jacobian(brusselator_rhs, y0)))
        assert err_cd <= 1e-7 * scale, (
            f"F2 N={n}: nm.jacobian differs from central differences by {err_cd:.2e}")

        timed = {
            "RHS on float arrays, baseline": lambda: brusselator_rhs(y0),
            "metanum nm.jacobian (ours)": lambda: nm.jacobian(brusselator_rhs, y0),
        }
        errors = {"metanum nm.jacobian (ours)": (0.0, err_ours)}
        untimed = []
        for label, thunk in (f2_peer_thunks(peers, n) if peers else {}).items():
            tol = FD_TOLERANCE if label.startswith("finite") else AD_TOLERANCE
            J = thunk if isinstance(thunk, Failed) else attempt(
                lambda: np.asarray(thunk(), dtype=float))
            if isinstance(J, Failed):
                untimed.append([label, str(J), "", "", "", "", ""])
            elif J.shape != J_ours.shape:
                untimed.append([label, f"not timed: Jacobian shape {J.shape}", "", "", "", "", ""])
            elif np.max(np.abs(J - J_ours)) > tol * scale:
                untimed.append([label, "not timed: Jacobian disagrees", "",
                                f"{np.max(np.abs(J - J_ours)):.1e}",
                                f"{np.max(np.abs(J - J_ref)):.1e}", "", ""])
            else:
                timed[label] = thunk
                errors[label] = (np.max(np.abs(J - J_ours)), np.max(np.abs(J - J_ref)))
        t = measure_interleaved(timed, **_settings_kw(settings))
        base = t["RHS on float arrays, baseline"].best
        ours = t["metanum nm.jacobian (ours)"].best
        rows = []
        for label, timing in t.items():
            err = errors.get(label)
            rows.append([label, *_time_cells(timing),
                         "-" if err is None else f"{err[0]:.1e}",
                         "-" if err is None else f"{err[1]:.1e}",
                         format_ratio(timing.best / base),
                         "-" if err is None else format_ratio(timing.best / ours)])
        if peers:
            first = jax_first_call_time(peers, n)
            label = "jax.jit(jax.jacfwd) first call (trace + compile + run)"
            if isinstance(first, Failed):
                untimed.append([label, str(first), "", "", "", "", ""])
            else:
                rows.append([label, format_time(first), "-", "-", "-",
                             format_ratio(first / base), format_ratio(first / ours)])
        print_table(f"F2 dense Jacobian: Brusselator N = {n} ({2 * n} states), "
                    f"max |J| = {scale:.3g}",
                    ["method", "best", "median", "max abs diff vs ours",
                     "max abs err vs complex step", "time / RHS", "peer / ours"], rows + untimed)


def main(argv=None) -> int:
    settings = parse_args(__doc__.splitlines()[0], argv)
    print("# PB-FWD forward mode" + (" (--quick: tiny sizes, no peers)" if settings.quick else ""))
    print()
    print(header(PACKAGES))
    peers = None
    if not settings.quick:
        peers = load_peers()
        notes = []
        if peers["torch"].available:
            notes.append(f"torch intra-op threads: {peers['torch'].module.get_num_threads()}")
        if peers["jax"].available:
            notes.append(f"jax backend: {peers['jax'].module[0].default_backend()}, float64")
        print("peers: " + ", ".join(f"{k}: {'ok' if p.available else p.error}"
                                    for k, p in peers.items()))
        if notes:
            print("; ".join(notes))
    print(f"timing: best and median of up to {settings.repeat} samples, each >= "
          f"{settings.min_time} s of repeated calls (time.perf_counter); the rows of a "
          "table are sampled in alternating rounds")
    print("ratios use the best times; 'peer / ours' above 1x means ours is faster")
    print()
    run_f1(settings, peers)
    run_f2(settings, peers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
