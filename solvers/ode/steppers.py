"""One explicit Runge–Kutta step, in the cheapest form the state allows.

Every stepper computes, for a step of size ``h`` from ``(t, u)`` with first
stage ``k1 = f(u, t)``,

    k_i = f(u + h sum_{j<i} a_ij k_j, t + c_i h),   u_new = u + h sum b_i k_i,

the scaled error norm ``E`` of ``h sum btilde_i k_i`` (None for fixed steps)
and the stage record the step's interpolant needs. The arithmetic is the
same; only the bookkeeping differs:

``FloatArrayStepper``
    NumPy float arrays (float32 stays float32). The stages live in one
    ``(s, n)`` array, per step when dense output keeps it (the step's
    interpolant holds it, nothing is copied), else in two buffers reused for
    the whole solve; each stage is one small matrix-vector product over the
    stages computed so far, written into a buffer; the error norm is plain NumPy. Nothing here names a number type: the choice
    is made on ``ndarray`` with a float dtype.
``GenericStepper``
    Any state supporting ``+`` and multiplication by its real type (scalars,
    ``mpf``, object arrays, ``DualArray``, ``Fun`` ...): stages are combined
    with ``+`` and ``*``, skipping zero coefficients, and the error norm goes
    through ``nm.norm``, so each number type decides what its derivative or
    uncertainty parts contribute.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from numeric.backend import is_array, namespace
from solvers._nm import nm
from solvers.ode.errornorm import ErrorNorm, scaled_rms
from solvers.ode.solution import lincomb

__all__ = ["FloatArrayStepper", "GenericStepper", "ScaledNorm"]


class ScaledNorm:
    """``nm.norm(e / (atol + rtol max(|u0|, |u1|)))`` on primal magnitudes.

    *spec* (:class:`~solvers.ode.errornorm.ErrorNorm`) says which parts count: without the
    partials the norm is taken of ``nm.value`` of the scaled error; with ``rows > 1`` the float
    state is an augmented one whose blocks are scaled by its primal block.
    """

    def __init__(self, atol: Any, rtol: Any, spec: ErrorNorm | None = None):
        self.atol, self.rtol = atol, rtol
        self.spec = ErrorNorm() if spec is None else spec

    def primal(self) -> "ScaledNorm":
        """This norm on the primal values only (the partials, and the blocks after the first of an
        augmented state, left out): what the starting step size is chosen from."""
        return self if self.spec.plain else ScaledNorm(self.atol, self.rtol, ErrorNorm(False, self.spec.rows))

    def __call__(self, e: Any, u0: Any, u1: Any) -> Any:
        spec = self.spec
        if not spec.plain:
            if spec.rows > 1:
                return scaled_rms(np.ravel(e), np.ravel(u0), np.ravel(u0 if u1 is None else u1), self.atol,
                                  self.rtol, spec)
            e = nm.value(e)
        v0 = nm.value(u0)
        if isinstance(v0, np.ndarray):
            v1 = nm.value(u1)
            sc = self.atol + self.rtol * np.maximum(np.abs(v0), np.abs(v1))
            return _scaled_array_norm(e, sc, v0.dtype.kind == "f")
        if is_array(v0):  # a float array of another namespace (CuPy, array API): elementwise scale there
            xp = namespace(v0)
            sc = self.atol + self.rtol * xp.maximum(xp.abs(v0), xp.abs(nm.value(u1)))
            return nm.norm(e / sc)
        n0 = nm.norm(v0)
        n1 = nm.norm(nm.value(u1)) if u1 is not None else n0
        return nm.norm(e) / (self.atol + self.rtol * (n0 if n0 >= n1 else n1))


    def at(self, u: Any) -> Any:
        """``e -> self(e, u, u)``, the norm with *u* as both scale states; for a NumPy state with the
        plain spec the scale vector is computed once (a solve's first step size takes three norms at
        ``u0``), with the same arithmetic.

        >>> n = ScaledNorm(1e-6, 1e-3)
        >>> u, e = np.array([1.0, 2.0]), np.array([1e-4, 3e-4])
        >>> n.at(u)(e) == n(e, u, u)
        True
        """
        v = nm.value(u)
        if not (self.spec.plain and isinstance(v, np.ndarray)):
            return lambda e: self(e, u, u)
        sc = self.atol + self.rtol * np.abs(v)  # = np.maximum(np.abs(v), np.abs(v)), as __call__ has it
        float_state = v.dtype.kind == "f"
        return lambda e: _scaled_array_norm(e, sc, float_state)


def _scaled_array_norm(e: Any, sc: np.ndarray, float_state: bool) -> Any:
    """The RMS of ``e / sc`` (:class:`ScaledNorm` on a NumPy state with scales *sc*)."""
    if float_state and isinstance(e, np.ndarray) and e.dtype.kind == "f":
        r = (e / sc).ravel()
        if r.size == 0:
            return 0.0
        val = math.sqrt(float(np.dot(r, r)) / r.size)
        return val if math.isfinite(val) else nm.norm(e / sc)
    return nm.norm(e / sc)


class PrimalNorm:
    """A scaled norm of the primal part of the error only (``error_norm="primal"``): the
    derivative or uncertainty parts of the state are propagated but not step-controlled."""

    def __init__(self, norm: Any):
        self.norm = norm

    def __call__(self, e: Any, u0: Any, u1: Any) -> Any:
        return self.norm(nm.value(e), u0, u1)


ERROR_NORMS = (None, "full", "primal")


def error_norm(norm: Any, kind: Any) -> Any:
    """The step-control norm for ``solve(..., error_norm=kind)``.

    ``"full"`` (default): the state's own ``nm.norm``, which includes a Dual's partials and a
    Measurement's components, so their error is controlled too (DifferentialEquations.jl's default
    for ForwardDiff duals). ``"primal"``: the values only (DiffEq's
    ``internalnorm = (u, t) -> norm(value.(u))``). Use it for a Measurement or Dual parameter with
    a Rosenbrock method that is not a W-method (Rodas4, Rodas5P): their Jacobian is taken at the
    primal, so the propagated parts are integrated at reduced order and their error estimate keeps
    the steps 8-16x smaller than the float solve's (Van der Pol mu = 10 +- 0.1, rtol 1e-6: Rodas5P
    3147 -> 400 steps, the uncertainty within 3e-4 of finite-difference propagation; Rodas4
    12464 -> 784 steps, within 1.3 %; tests/test_error_norm.py).

    >>> error_norm("N", None)
    'N'
    """
    if kind not in ERROR_NORMS:
        raise ValueError(f"error_norm must be 'full' or 'primal', got {kind!r}")
    return PrimalNorm(norm) if kind == "primal" else norm


class FloatArrayStepper:
    """Steps of a NumPy float-array state; see the module docstring.

    With ``keep_stages=False`` (nothing asks for dense output) the stages live in two buffers
    allocated once: a try writes the free one, :meth:`accepted` makes it the kept one (the last
    accepted step's segment stays valid). Stage arguments, the error estimate and its scale
    use buffers allocated once; per step only ``u_new`` is a new array (besides ``f``'s results).
    """

    def __init__(self, co: Any, f: Any, p: Any, u: np.ndarray, atol: Any, rtol: Any, adaptive: bool,
                 keep_stages: bool = True, errornorm: ErrorNorm | None = None):
        tab = co.tableau
        self.errornorm = None if errornorm is None or errornorm.plain else errornorm
        self.f, self.p = f, p
        self.s = s = tab.stages
        self.dtype = u.dtype
        self.scalar = self.dtype.type
        self.shape = u.shape
        self.n = n = u.size
        self.flat = u.ndim == 1
        # One matrix holds every combination of the stages: the rows of A, then
        # b (unless FSAL: the last stage is the solution) and btilde; row i of A uses
        # the first i stages only (rows are stored full length, zeros after).
        rows = [np.concatenate([r, np.zeros(s - len(r), dtype=self.dtype)]) for r in co.a_np]
        self.i_b = len(rows)
        rows.append(co.b_np)
        self.i_bt = len(rows)
        if adaptive:
            rows.append(co.btilde_np)
        self.M = np.array(rows, dtype=self.dtype)
        # The stages are stored after u (row 0 of a (s + 1) x n block), and each combination row
        # after a leading 1 (0 for the error row): a stage argument u + h sum_j a_ij k_j is then one
        # np.dot, with no separate "+ u" per stage (the per-step cost at small n is call count)
        self.hMx = np.zeros((len(rows), s + 1), dtype=self.dtype)
        self.hMx[: self.i_bt, 0] = 1
        self.hM = self.hMx[:, 1:]  # h * M is written here in place each step
        self.hrows = [self.hMx[i, : i + 1] for i in range(s)]  # views: valid while hM is rewritten
        self.c = co.c
        self.c_one = [ci == 1 for ci in tab.c]
        self.fsal = tab.fsal
        self.adaptive = adaptive
        self.atol = np.asarray(atol, dtype=self.dtype).reshape(-1) if np.ndim(atol) else self.scalar(atol)
        self.rtol = np.asarray(rtol, dtype=self.dtype).reshape(-1) if np.ndim(rtol) else self.scalar(rtol)
        self.keep_stages = keep_stages
        self._buf = np.empty(n, dtype=self.dtype)
        self._err, self._sc, self._sc2 = (np.empty(n, dtype=self.dtype) for _ in range(3))
        if not keep_stages:
            self._K = [np.zeros((s + 1, n), dtype=self.dtype) for _ in range(2)]
            self._Kv = [[K[: i + 1] for i in range(s)] for K in self._K]
            self._free = 0

    def accepted(self) -> None:
        """The last try was accepted: its stage buffer is kept, the other one becomes free."""
        if not self.keep_stages:
            self._free = 1 - self._free

    def _stages(self) -> tuple:
        """``(Kx, views)``: the block ``[u; k_1; ...; k_s]`` and its leading ``i + 1`` rows per stage."""
        if self.keep_stages:
            K = np.empty((self.s + 1, self.n), dtype=self.dtype)
            return K, [K[: i + 1] for i in range(self.s)]
        return self._K[self._free], self._Kv[self._free]

    def step(self, t: Any, u: np.ndarray, k1: Any, h: Any, t_new: Any) -> tuple:
        s, f, p, c, c_one = self.s, self.f, self.p, self.c, self.c_one
        np.multiply(self.M, self.scalar(h), out=self.hM)
        hrows, buf = self.hrows, self._buf
        Kx, Kv = self._stages()
        K = Kx[1:]  # the stages (a view)
        flat = self.flat
        shape = self.shape
        uf = u if flat else u.reshape(-1)
        Kx[0] = uf
        K[0] = k1 if flat else np.ravel(k1)
        ui = uf
        last = s - 1 if self.fsal else s
        for i in range(1, s):
            ui = np.dot(hrows[i], Kv[i], out=buf) if i < last else np.dot(hrows[i], Kv[i])
            ti = t_new if c_one[i] else t + c[i] * h
            K[i] = f(ui, p, ti) if flat else np.ravel(f(ui.reshape(shape), p, ti))
        u_new = ui if self.fsal else np.dot(self.hMx[self.i_b], Kx)
        E = self._error(uf, u_new, K) if self.adaptive else None
        if not flat:
            u_new = u_new.reshape(shape)
        return u_new, E, K

    def _error(self, uf: np.ndarray, u_new: np.ndarray, K: np.ndarray) -> float:
        err = np.dot(self.hM[self.i_bt], K, out=self._err)
        if self.errornorm is not None:
            return scaled_rms(err, uf, u_new, self.atol, self.rtol, self.errornorm)
        sc = np.abs(uf, out=self._sc)
        np.maximum(sc, np.abs(u_new, out=self._sc2), out=sc)
        sc *= self.rtol
        sc += self.atol
        err /= sc
        return math.sqrt(float(err @ err) / self.n) if self.n else 0.0

    def last_stage(self, K: np.ndarray) -> np.ndarray:
        return K[self.s - 1] if self.flat else K[self.s - 1].reshape(self.shape)


class GenericStepper:
    """Steps of any protocol state; see the module docstring."""

    def __init__(self, co: Any, f: Any, p: Any, norm: ScaledNorm, adaptive: bool):
        tab = co.tableau
        self.f, self.p = f, p
        self.s = tab.stages
        self.a = co.a
        self.b = co.b
        self.bt = co.btilde if adaptive else None
        self.c = co.c
        self.c_one = [ci == 1 for ci in tab.c]
        self.fsal = tab.fsal
        self.norm = norm
        self.zero = None

    def coerce_like(self, u: Any, k: Any) -> None:
        """Convert every ``f`` result to the state's type once, when they differ.

        An ``f`` written with scalar operations returns, for a DualArray state,
        an object array of duals; adding it to a zero state once per
        evaluation (instead of in every stage combination) keeps the stage
        arithmetic vectorised.
        """
        if type(k) is not type(u) and hasattr(u, "shape"):
            try:
                z = nm.zero(u)
                if type(z + k) is type(u):
                    self.zero = z
            except TypeError:
                self.zero = None

    def step(self, t: Any, u: Any, k1: Any, h: Any, t_new: Any) -> tuple:
        f, p, a, c, c_one = self.f, self.p, self.a, self.c, self.c_one
        z = self.zero
        if z is not None and type(k1) is not type(z):
            k1 = z + k1
        ks = [k1]
        ui = u
        for i in range(1, self.s):
            ui = u + h * lincomb(a[i], ks)
            k = f(ui, p, t_new if c_one[i] else t + c[i] * h)
            ks.append(k if z is None else z + k)
        u_new = ui if self.fsal else u + h * lincomb(self.b, ks)
        E = None
        if self.bt is not None:
            E = self.norm(h * lincomb(self.bt, ks), u, u_new)
        return u_new, E, ks

    def last_stage(self, ks: list) -> Any:
        return ks[-1]
