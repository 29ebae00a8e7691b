"""One explicit Runge–Kutta step, in the cheapest form the state allows.

Every stepper computes, for a step of size ``h`` from ``(t, u)`` with first
stage ``k1 = f(u, t)``,

    k_i = f(u + h sum_{j<i} a_ij k_j, t + c_i h),   u_new = u + h sum b_i k_i,

the scaled error norm ``E`` of ``h sum btilde_i k_i`` (None for fixed steps)
and the stage record the step's interpolant needs. The arithmetic is the
same; only the bookkeeping differs:

``FloatArrayStepper``
    NumPy float arrays (float32 stays float32). The stages live in one
    ``(s, n)`` array allocated per step (kept by the step's interpolant, so
    nothing is copied); each stage is one small matrix-vector product; the
    error norm is plain NumPy. Nothing here names a number type: the choice
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

from solvers._nm import nm
from solvers.ode.solution import lincomb

__all__ = ["FloatArrayStepper", "GenericStepper", "ScaledNorm"]


class ScaledNorm:
    """``nm.norm(e / (atol + rtol max(|u0|, |u1|)))`` on primal magnitudes."""

    def __init__(self, atol: Any, rtol: Any):
        self.atol, self.rtol = atol, rtol

    def __call__(self, e: Any, u0: Any, u1: Any) -> Any:
        v0 = nm.value(u0)
        if isinstance(v0, np.ndarray):
            v1 = nm.value(u1)
            sc = self.atol + self.rtol * np.maximum(np.abs(v0), np.abs(v1))
            if v0.dtype.kind == "f" and isinstance(e, np.ndarray) and e.dtype.kind == "f":
                r = (e / sc).ravel()
                if r.size == 0:
                    return 0.0
                val = math.sqrt(float(np.dot(r, r)) / r.size)
                return val if math.isfinite(val) else nm.norm(e / sc)
            return nm.norm(e / sc)
        n0 = nm.norm(v0)
        n1 = nm.norm(nm.value(u1)) if u1 is not None else n0
        return nm.norm(e) / (self.atol + self.rtol * (n0 if n0 >= n1 else n1))


class FloatArrayStepper:
    """Steps of a NumPy float-array state; see the module docstring."""

    def __init__(self, co: Any, f: Any, p: Any, u: np.ndarray, atol: Any, rtol: Any, adaptive: bool):
        tab = co.tableau
        self.f, self.p = f, p
        self.s = tab.stages
        self.dtype = u.dtype
        self.scalar = self.dtype.type
        self.shape = u.shape
        self.n = u.size
        self.flat = u.ndim == 1
        # One matrix holds every combination of the stages: the rows of A, then
        # b (unless FSAL: the last stage is the solution) and btilde. Rows are
        # full length; the stage array starts at zero each step, so the
        # not-yet-computed stages contribute nothing.
        rows = [np.concatenate([r, np.zeros(self.s - len(r), dtype=self.dtype)]) for r in co.a_np]
        self.i_b = len(rows)
        rows.append(co.b_np)
        self.i_bt = len(rows)
        if adaptive:
            rows.append(co.btilde_np)
        self.M = np.array(rows, dtype=self.dtype)
        self.c = co.c
        self.c_one = [ci == 1 for ci in tab.c]
        self.fsal = tab.fsal
        self.adaptive = adaptive
        self.atol = np.asarray(atol, dtype=self.dtype).reshape(-1) if np.ndim(atol) else self.scalar(atol)
        self.rtol = np.asarray(rtol, dtype=self.dtype).reshape(-1) if np.ndim(rtol) else self.scalar(rtol)

    def step(self, t: Any, u: np.ndarray, k1: Any, h: Any, t_new: Any) -> tuple:
        s, f, p, c = self.s, self.f, self.p, self.c
        hM = self.M * self.scalar(h)
        K = np.zeros((s, self.n), dtype=self.dtype)
        flat = self.flat
        if flat:
            K[0] = k1
            uf = u
        else:
            K[0] = np.ravel(k1)
            uf = u.reshape(-1)
            shape = self.shape
        ui = uf
        c_one = self.c_one
        for i in range(1, s):
            ui = uf + hM[i] @ K
            ti = t_new if c_one[i] else t + c[i] * h
            if flat:
                K[i] = f(ui, p, ti)
            else:
                K[i] = np.ravel(f(ui.reshape(shape), p, ti))
        u_new = ui if self.fsal else uf + hM[self.i_b] @ K
        E = None
        if self.adaptive:
            err = hM[self.i_bt] @ K
            sc = np.abs(uf)
            np.maximum(sc, np.abs(u_new), out=sc)
            sc *= self.rtol
            sc += self.atol
            err /= sc
            E = math.sqrt(float(err @ err) / self.n) if self.n else 0.0
        if not flat:
            u_new = u_new.reshape(shape)
        return u_new, E, K

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
