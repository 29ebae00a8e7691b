"""Fixed-step SDE methods (Itô) and the integration loop.

Methods (coefficients are data on the class):

* :class:`EulerMaruyama` -- ``u + f h + g dW``; strong order 1/2, weak 1;
  diagonal and general noise.
* :class:`Milstein` -- adds ``(1/2) g g' (dW^2 - h)``; strong order 1 for
  diagonal noise in which ``g_i`` depends on ``u_i`` only (Kloeden & Platen,
  *Numerical Solution of SDEs*, 1992, §10.3). ``g'`` is taken by forward-mode
  differentiation (``nm.derivative``), so it stays exact for any number type.
* :class:`SRA1` -- Rößler's stochastic Runge–Kutta method for additive noise
  (``g`` independent of ``u``), strong order 3/2 (A. Rößler, SIAM J. Numer.
  Anal. 48 (2010) 922, table SRA1). It uses ``I_(1,0) = int (W - W_n) ds``,
  drawn jointly with ``dW`` or read from a :class:`BrownianPath`.

The loop draws, per step, ``dW ~ N(0, h)`` (and, for SRA1, the space-time
Lévy area ``H ~ N(0, h/12)``) from a NumPy ``Generator``, or reads both from a
given :class:`~solvers.sde.brownian.BrownianPath` -- then refining the path
and halving ``dt`` solves again on the same Brownian motion.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction as Fr
from typing import Any

import numpy as np

from numeric.backend import add, device_of, dtype_kind, is_array, is_foreign, is_numpy, namespace
from solvers._nm import nm
from solvers.sde.brownian import BrownianPath
from solvers.sde.solution import SDESolution
from solvers.ssa.streams import as_generator
from solvers.unstable import check_unstable_check, unstable_at

__all__ = ["EulerMaruyama", "Milstein", "SRA1", "integrate", "StepFailure", "check_method"]


class StepFailure(ArithmeticError):
    """A step could not be taken (an implicit method's Newton iteration failed)."""


def _noise(gval: Any, dw: Any, general: bool) -> Any:
    """``g dW``: elementwise for diagonal noise, ``g @ dW`` for general noise."""
    if not general:
        return gval * dw
    return namespace(gval, dw).sum(gval * dw[..., None, :], axis=-1)


@dataclass(frozen=True)
class EulerMaruyama:
    """Euler–Maruyama: strong order 1/2, weak order 1."""

    strong_order = 0.5
    weak_order = 1.0
    needs_area = False
    interpretation = "ito"
    adaptive = False

    def step(self, prob, u, t, h, dw, area, general):
        p = prob.p
        return u + prob.f(u, p, t) * h + _noise(prob.g(u, p, t), dw, general)


@dataclass(frozen=True)
class Milstein:
    """Milstein (Itô): strong order 1 for diagonal noise and for commuting matrix noise.

    Diagonal noise (``g_i`` a function of ``u_i``) adds ``(1/2) g g' (dW^2 - h)``.
    General noise ``g = [g_1 ... g_m]`` adds ``(1/2) sum_jk (L^j g_k) (dW_j dW_k -
    delta_jk h)`` with ``L^j = sum_i g_ij d/du_i``; this replaces the iterated
    integrals ``I_(j,k)`` by ``(dW_j dW_k - delta_jk h) / 2``, exact when the noise
    is *commutative*, ``L^j g_k = L^k g_j`` (Kloeden & Platen 1992, §10.3, eq.
    (3.16)). ``L^j g`` is one forward-mode directional derivative of ``g`` along
    ``g_j``; the solve checks the commutativity at the initial state and refuses
    non-commuting noise (it needs Lévy areas; use EulerMaruyama()).
    """

    strong_order = 1.0
    weak_order = 1.0
    needs_area = False
    interpretation = "ito"
    adaptive = False

    def step(self, prob, u, t, h, dw, area, general):
        p = prob.p
        gval = prob.g(u, p, t)
        drift = u + prob.f(u, p, t) * h + _noise(gval, dw, general)
        if general:
            m = int(prob.noise_dim)
            xp = namespace(dw)
            eye = np.eye(m) if is_numpy(xp) else xp.eye(m, dtype=dw.dtype, device=device_of(dw))
            for j, dj in enumerate(_directional(prob, u, t, gval)):
                drift = drift + _noise(dj, dw[..., j:j + 1] * dw - h * eye[j, ...], True) * 0.5
            return drift
        # (the dual on the left: a device array's operators refuse it on their right)
        dg = nm.derivative(lambda s: prob.g(s + u, p, t), 0.0)
        return drift + 0.5 * gval * dg * (dw * dw - h)

    def check(self, prob, u, t, general):
        """Refuse general noise that does not commute (``L^j g_k != L^k g_j`` at *u*)."""
        if not general:
            return
        ds = [nm.value(d) for d in _directional(prob, u, t, prob.g(u, prob.p, t))]
        xp = namespace(*ds)
        if is_numpy(xp):
            ds = [np.asarray(d, dtype=float) for d in ds]
        m = len(ds)
        for j in range(m):
            for k in range(j + 1, m):
                a, b = ds[j][..., :, k], ds[k][..., :, j]
                gap = xp.abs(a - b)     # np.allclose's test, in the namespace of the state (device)
                if not bool(xp.all(gap <= 1e-10 * (1 + xp.max(xp.abs(a))) + 1e-8 * xp.abs(b))):
                    raise ValueError(f"Milstein() needs commutative noise, L^j g_k = L^k g_j, but "
                                     f"for j={j}, k={k} they differ at the initial state by "
                                     f"{float(xp.max(gap)):.3g}; non-commuting noise needs "
                                     "Lévy areas: use EulerMaruyama()")


def _directional(prob, u, t, gval):
    """``[L^j g for j]``: derivatives of ``g`` along its columns ``g_j`` (forward mode)."""
    p = prob.p
    return [nm.derivative(lambda s, j=j: prob.g(s * gval[..., :, j] + u, p, t), 0.0)
            for j in range(np.shape(gval)[-1])]


class SRA:
    """Stochastic Runge–Kutta for additive noise (Rößler 2010's SRA class), from its tableau.

    A subclass gives the tableau as data: ``c0``, ``c1`` (drift and noise
    nodes), ``a0``, ``b0`` (stage matrices), ``alpha``, ``beta1``, ``beta2``
    (weights of ``h f``, ``dW`` and ``I_(1,0)/h``). Strong order 3/2 and weak
    order 2 when the tableau satisfies Rößler's conditions (tested in
    tests/test_sde_sra_tableaus.py).
    """

    strong_order = 1.5
    weak_order = 2.0
    needs_area = True
    interpretation = "both"      # additive noise: the Itô and Stratonovich solutions agree
    adaptive = True
    delta = 1 / 6

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __repr__(self):
        return f"{type(self).__name__}()"

    def step(self, prob, u, t, h, dw, area, general):
        return self.step_error(prob, u, t, h, dw, area, general)[0]

    def step_error(self, prob, u, t, h, dw, area, general):
        """One step and the error estimate ``delta h (f(H_s) - f(H_1)) + I_(1,0)/h (g(t+c1_s h) -
        g(t+c1_1 h))`` (the embedded estimate of Rackauckas & Nie 2017 for SRA methods, drift
        part as a stage difference)."""
        p, f, g = prob.p, prob.f, prob.g
        i10_h = area + 0.5 * dw                   # I_(1,0) / h = H + dW / 2
        s = len(self.alpha)
        c0 = [float(c) for c in self.c0]
        gs = [g(u, p, t + float(c) * h) for c in self.c1]   # additive noise: g does not depend on u
        fs = []
        for i in range(s):
            hi = u
            for j in range(i):
                if self.a0[i][j]:
                    hi = hi + float(self.a0[i][j]) * h * fs[j]
                if self.b0[i][j]:
                    hi = hi + float(self.b0[i][j]) * _noise(gs[j], i10_h, general)
            fs.append(f(hi, p, t + c0[i] * h))
        out = u
        for i in range(s):
            out = out + float(self.alpha[i]) * h * fs[i]
            if self.beta1[i] or self.beta2[i]:
                weight = float(self.beta1[i]) * dw + float(self.beta2[i]) * i10_h
                out = out + _noise(gs[i], weight, general)
        err = (fs[-1] - fs[0]) * (h * self.delta) + _noise(gs[-1] - gs[0], i10_h, general)
        return out, err


class SRA1(SRA):
    """Rößler's SRA1 for additive noise: strong order 3/2, weak order 2.

    Tableau (Rößler 2010, SRA1): ``c0 = (0, 3/4)``, ``c1 = (1, 0)``,
    ``A0[1,0] = 3/4``, ``B0[1,0] = 3/2``, ``alpha = (1/3, 2/3)``,
    ``beta1 = (1, 0)``, ``beta2 = (-1, 1)``.
    """

    c0 = (Fr(0), Fr(3, 4))
    c1 = (Fr(1), Fr(0))
    a0 = ((Fr(0), Fr(0)), (Fr(3, 4), Fr(0)))
    b0 = ((Fr(0), Fr(0)), (Fr(3, 2), Fr(0)))
    alpha = (Fr(1, 3), Fr(2, 3))
    beta1 = (Fr(1), Fr(0))
    beta2 = (Fr(-1), Fr(1))


def _initial_state(u0: Any, batch: int | None) -> Any:
    if isinstance(u0, (list, tuple)):
        u0 = np.asarray(u0)
    if batch is None:
        return u0 * 1 if np.ndim(u0) else u0
    if int(batch) != batch or batch < 1:
        raise ValueError(f"batch must be a positive integer number of paths, got {batch!r}")
    inner = nm.value(u0)
    if is_array(inner) and not is_numpy(namespace(inner)):  # CuPy, array API: the batch on its device
        xp = namespace(inner)
        return add(xp.zeros((int(batch),) + tuple(inner.shape), dtype=inner.dtype, device=device_of(inner)), u0)
    primal = np.asarray(inner)
    dtype = primal.dtype if primal.dtype.kind == "f" else (float if primal.dtype.kind in "iub"
                                                           else object)
    zeros = np.zeros((int(batch),) + tuple(np.shape(u0)), dtype=dtype)
    if dtype == object:
        zeros[...] = 0.0 * nm.value(u0 if np.ndim(u0) == 0 else primal.flat[0])
    return zeros + u0


def _check_shapes(prob, alg, u, general: bool) -> None:
    shape = tuple(np.shape(u))
    fshape = tuple(np.shape(prob.f(u, prob.p, prob.tspan[0])))
    if fshape != shape:
        raise ValueError(f"f(u, p, t) returned shape {fshape}, but the state has shape {shape}")
    gshape = tuple(np.shape(prob.g(u, prob.p, prob.tspan[0])))
    want = shape + (int(prob.noise_dim),) if general else shape
    if gshape != want:
        kind = (f"general noise with noise_dim={prob.noise_dim}: g must return shape "
                f"u.shape + (noise_dim,) = {want}") if general else (
            f"diagonal noise: g must return the shape of u, {want} (for matrix noise give "
            f"SDEProblem(..., noise_dim=m) and return shape u.shape + (m,))")
        raise ValueError(f"g(u, p, t) returned shape {gshape}; {kind}")


def _save_indices(save: str, saveat: Any, t0: float, h: float, n: int) -> np.ndarray:
    if saveat is not None:
        times = np.atleast_1d(np.asarray(saveat, dtype=float))
        k = (times - t0) / h
        idx = np.rint(k).astype(int)
        if np.any(np.abs(k - idx) > 1e-7) or np.any(idx < 0) or np.any(idx > n):
            raise ValueError(f"saveat times must lie on the step grid t0 + k h (h = {h}) inside "
                             "tspan; choose dt so that they do")
        return idx
    if save == "steps":
        return np.arange(n + 1)
    if save == "final":
        return np.array([n])
    raise ValueError(f"save must be 'steps' or 'final', got {save!r}")


def check_method(prob, alg: Any) -> None:
    """Refuse a method that does not fit the problem's interpretation (Itô or Stratonovich)."""
    if not hasattr(alg, "step"):
        raise TypeError(f"an SDEProblem is solved with an SDE method (EulerMaruyama(), Milstein(), "
                        f"SRA1(), SRIW1(), StochasticHeun(), ImplicitEM()), got {alg!r}")
    want, has = prob.interpretation, getattr(alg, "interpretation", "ito")
    if has not in ("both", want):
        other = ("StochasticHeun()" if want == "stratonovich" else
                 "EulerMaruyama(), Milstein(), SRIW1() or ImplicitEM()")
        raise ValueError(f"{type(alg).__name__ if not hasattr(alg, 'name') else alg.name} solves "
                         f"{has} SDEs but the problem is {want}: use {other}, or give the problem "
                         f"as SDEProblem(..., interpretation={has!r}) if that is what you mean "
                         "(the two differ by the drift correction (1/2) g dg/du)")


def integrate(prob, alg: Any = None, *, dt: float | None = None, seed: Any = None,
              batch: int | None = None, path: BrownianPath | None = None, save: str = "steps",
              saveat: Any = None, adaptive: bool | None = None, unstable_check: Any = None,
              verbose: bool = True, **adaptive_options: Any) -> SDESolution:
    """Integrate ``prob`` with a fixed step, or adaptively (``adaptive=True``).

    Parameters
    ----------
    prob : SDEProblem
    alg : an SDE method (EulerMaruyama, Milstein, SRA1, SRIW1, StochasticHeun, ImplicitEM)
    dt : float
        Step; the number of steps is ``ceil((tf - t0) / dt)`` with the step
        shortened uniformly to fit ``tspan`` exactly. With a ``path``, ``dt``
        may be omitted (the path's current grid is used). With
        ``adaptive=True``, the first step.
    seed : int, SeedSequence, Generator or None
    batch : int, optional
        Integrate this many independent paths as one array (leading axis).
    path : BrownianPath, optional
        Noise to use (its shape must be the noise shape, with the batch axis).
    save : {"steps", "final"}; saveat : times on the step grid
    adaptive : bool, optional
        Adaptive steps with rejection sampling with memory (methods with an
        error estimate: SRIW1, SRA1, LambaEM, LambaEulerHeun); default: adaptive when such a method is
        given no ``dt``. Options ``rtol``, ``atol``, ``dtmin``, ``dtmax``,
        ``maxiters`` (see :func:`solvers.sde.adaptive.integrate_adaptive`).
    unstable_check : callable, optional
        ``(dt, u, p, t) -> bool`` after every step; True ends the solve with
        ``Unstable`` (:mod:`solvers.unstable`). Without it only a non-finite
        state is ``Unstable``: fixed steps too large for a stiff drift can grow
        the state to huge finite values and end ``Success``
        (``unstable_check=solvers.norm_exceeds(limit)`` catches that).
    verbose : bool
        Warn (``SolverWarning``) when the solve ends without success or an adaptive ``rtol`` is
        below the state's precision, as ODE solves do; False silences it.

    Examples
    --------
    >>> from solvers.sde import SDEProblem
    >>> prob = SDEProblem(lambda u, p, t: -u, lambda u, p, t: 0.1 + 0 * u, 1.0, (0.0, 1.0))
    >>> sol = integrate(prob, EulerMaruyama(), dt=0.01, seed=1)
    >>> len(sol.t), float(sol.t[-1])
    (101, 1.0)
    """
    alg = EulerMaruyama() if alg is None else alg
    check_method(prob, alg)
    if adaptive is None:
        adaptive = bool(getattr(alg, "adaptive", False)) and dt is None and path is None
    if adaptive:
        from solvers.sde.adaptive import integrate_adaptive
        if path is not None:
            raise ValueError("adaptive steps draw their own Brownian path (with memory of rejected "
                             "steps); a BrownianPath fixes a grid: pass adaptive=False with it")
        sol = integrate_adaptive(prob, alg, dt=dt, seed=seed, batch=batch, save=save,
                                 saveat=saveat, unstable_check=unstable_check, **adaptive_options)
        return _reported(sol, verbose, adaptive_options.get("rtol", 1e-2))
    if adaptive_options:
        raise TypeError(f"options {sorted(adaptive_options)} apply to adaptive solves only "
                        "(adaptive=True with SRIW1(), SRA1(), LambaEM() or LambaEulerHeun())")
    t0, tf = prob.tspan
    general = prob.noise_dim is not None
    if path is not None:
        n = path.steps if dt is None else int(round((tf - t0) / dt))
    elif dt is None or not float(dt) > 0:
        raise ValueError(f"give a step dt > 0 (or a BrownianPath), got dt={dt!r}")
    else:
        n = max(1, math.ceil((tf - t0) / float(dt) - 1e-9))
    h = (tf - t0) / n
    save_idx = _save_indices(save, saveat, t0, h, n)
    u = start_state(prob, alg, batch, general)
    noise = _noise_source(prob, alg, path, n, h, batch, seed, noise_dtype_of(u))
    noise = on_device_of(u, noise)
    sol = _fixed_steps(prob, alg, u, n, h, noise, save_idx, general, check_unstable_check(unstable_check))
    return _reported(sol, verbose)


def _reported(sol: SDESolution, verbose: bool, rtol: Any = None) -> SDESolution:
    """*sol*, after the warnings of a verbose solve (those of ODE solves:
    :func:`solvers.ode.integrator.warn_outcome`)."""
    if not verbose:
        return sol
    from solvers.ode.solution import SolverWarning
    from solvers.ode.validate import tolerance_below_precision
    if not sol.success:
        why = sol.stats.get("message", "")
        warnings.warn(f"SDE solve ended with retcode {sol.retcode} at t = {sol.t[-1]}"
                      f"{': ' + why if why else ''} (pass verbose=False to silence this warning)",
                      SolverWarning, stacklevel=5)
    elif rtol is not None and len(sol.u):
        below = tolerance_below_precision(rtol, sol.u[0])
        if below:
            warnings.warn(below + " (pass verbose=False to silence this warning)", SolverWarning, stacklevel=5)
    return sol


def _noise_source(prob, alg, path, n: int, h: float, batch, seed, dtype):
    """``k -> (dW_k, H_k)``: read from a BrownianPath, or drawn from a Generator."""
    if path is not None:
        dws, areas = _path_increments(prob, path, n, batch)
        if dtype is not None:
            dws, areas = dws.astype(dtype), areas.astype(dtype)
        return lambda k: (dws[k], areas[k])
    rng, shape = as_generator(seed), prob.noise_shape(batch)
    sqrt_h, sqrt_area = math.sqrt(h), math.sqrt(h / 12)

    def draw(k):
        dw = rng.standard_normal(shape) * sqrt_h
        area = rng.standard_normal(shape) * sqrt_area if alg.needs_area else None
        if dtype is not None:
            dw = dw.astype(dtype)
            area = None if area is None else area.astype(dtype)
        return dw, area

    return draw


def _fixed_steps(prob, alg, u, n: int, h: float, noise, save_idx, general: bool,
                 unstable_check: Any = None) -> SDESolution:
    """The fixed-step loop: ``n`` steps of ``h``, saving at the step indices *save_idx*."""
    t0 = prob.tspan[0]
    ts, us = [], []
    want = np.zeros(n + 1, dtype=bool)
    want[save_idx] = True
    if want[0]:
        ts.append(t0)
        us.append(u)
    for k in range(n):
        dw, area = noise(k)
        try:
            u = alg.step(prob, u, t0 + k * h, h, dw, area, general)
        except StepFailure as exc:
            return SDESolution(np.asarray(ts), us, "ConvergenceFailure",
                               {"steps": k, "dt": h, "message": str(exc)}, alg)
        t = t0 + (k + 1) * h
        why = (unstable_at(unstable_check, h, u, prob.p, t) if _is_finite_state(u)
               else f"the state became non-finite at t = {t}")
        if want[k + 1] or why:
            ts.append(t)
            us.append(u)
        if why:
            return SDESolution(np.asarray(ts), us, "Unstable", {"steps": k + 1, "dt": h, "message": why}, alg)
    return SDESolution(np.asarray(ts), us, "Success", {"steps": n, "dt": h}, alg)


def _path_increments(prob, path: BrownianPath, n: int, batch: int | None) -> tuple:
    t0, tf = prob.tspan
    if (path.t0, path.t1) != (t0, tf):
        raise ValueError(f"the BrownianPath covers [{path.t0}, {path.t1}] but tspan is "
                         f"{prob.tspan}")
    if tuple(path.shape) != prob.noise_shape(batch):
        raise ValueError(f"the BrownianPath has shape {path.shape}, the noise needs "
                         f"{prob.noise_shape(batch)}")
    return path.increments(n)


def start_state(prob, alg, batch: int | None, general: bool) -> Any:
    """The initial state (batched), its shapes checked, the method's own check run."""
    u0 = prob.u0
    if is_foreign(u0):      # a device state meets a Dual parameter: lift it first, as an ODE solve does
        from solvers.ode.state import promote_state      # (array-API operators refuse u + DualArray)

        u0 = promote_state(u0, prob.tspan[0], prob.tspan[1], prob.p)
    u = _initial_state(u0, batch)
    _check_shapes(prob, alg, u, general)
    check = getattr(alg, "check", None)
    if check is not None:
        check(prob, u, prob.tspan[0], general)
    return u


def noise_dtype_of(u: Any) -> Any:
    """float32 for a float32 state (its noise stays float32), else None (float64)."""
    primal = nm.value(u)
    if is_array(primal) and not isinstance(primal, np.ndarray):
        return np.float32 if str(primal.dtype).endswith("float32") else None
    primal = np.asarray(primal)
    return primal.dtype if primal.dtype == np.float32 else None


def on_device_of(u: Any, noise: Any) -> Any:
    """The noise source *noise* moved to the namespace and device of the state *u*.

    NumPy states take the host draws as they are. For a state of another array library the
    increments are drawn on the host (the same ``Generator`` stream, so a seed gives the same
    paths on every backend) and sent to the state's device once per step: one host-to-device
    transfer of the step's noise, no transfer back.
    """
    move = device_mover(u)
    if move is None:
        return noise

    def draw(k):
        dw, area = noise(k)
        return move(dw), move(area)

    return draw


def device_mover(u: Any) -> Any:
    """``a -> a`` on the namespace and device of the state *u* (``None`` passes), or ``None``
    for a NumPy (or non-array) state: the one host-to-device transfer of a step's noise."""
    primal = nm.value(u)
    if not is_array(primal) or is_numpy(namespace(primal)):
        return None
    xp, dev, dtype = namespace(primal), device_of(primal), primal.dtype
    return lambda a: None if a is None else xp.asarray(a, dtype=dtype, device=dev)


def _is_finite_state(u) -> bool:
    """Every component of the state's primal value is finite."""
    v = nm.value(u)
    if isinstance(v, (np.ndarray, float, np.floating)) and np.asarray(v).dtype.kind in "fc":
        return bool(np.isfinite(v).all())
    if is_array(v) and dtype_kind(v.dtype) in "fc":  # another namespace: one reduction, one sync
        xp = namespace(v)
        return bool(xp.all(xp.isfinite(v)))
    n = nm.norm(v)
    return bool(-math.inf < n < math.inf)
