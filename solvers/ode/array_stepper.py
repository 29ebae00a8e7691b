"""Explicit Runge–Kutta steps of a float array of any array-API namespace (CuPy, array_api_strict).

NumPy float arrays take :class:`~solvers.ode.steppers.FloatArrayStepper` (stage buffers written
in place with ``out=``, NumPy's fast path). A float array of another namespace takes
:class:`NamespaceArrayStepper`: the same arithmetic written with array-API operations of the
state's own namespace, so a CuPy state never leaves the GPU:

* the tableau matrix ``[A; b; btilde]`` is moved to the state's device once (``M``), and
  scaled by ``h`` once per step;
* the stages live in one ``(s, n)`` array of the namespace; stage ``i``'s argument is one
  matrix-vector product ``u + (h A)[i, :i] @ K[:i]`` (one kernel on a GPU);
* the error estimate ``sqrt(mean((h btilde @ K / (atol + rtol max(|u|, |u_new|)))**2))`` is
  reduced on the device and pulled to the host as one float: **one device-to-host
  synchronisation per step**, the only one (the step-size controller needs that number).

The stages are handed to the step's interpolant as views ``K[i]`` shaped like the state,
so dense output stays in the namespace too.
"""

from __future__ import annotations

from typing import Any

from numeric.backend import device_of, namespace, reshape

__all__ = ["NamespaceArrayStepper"]


def _tableau_matrix(co: Any, s: int, adaptive: bool) -> tuple:
    """The rows of A (padded to s), b and (when adaptive) btilde, as plain lists of floats."""
    tab = co.tableau
    rows = [[float(q) for q in r] + [0.0] * (s - len(r)) for r in tab.a]
    i_b = len(rows)
    rows.append([float(q) for q in tab.b])
    i_bt = len(rows)
    if adaptive:
        rows.append([float(q) for q in tab.btilde])
    return rows, i_b, i_bt


class NamespaceArrayStepper:
    """Explicit RK steps of a non-NumPy float array; see the module docstring.

    Examples
    --------
    >>> import array_api_strict as xp
    >>> from solvers import ODEProblem, Tsit5, solve
    >>> u0 = xp.asarray([1.0, 2.0], device=xp.Device("device1"))
    >>> sol = solve(ODEProblem(lambda u, p, t: -u, u0, (0.0, 1.0)), Tsit5())
    >>> type(sol.u[-1]).__module__.split(".")[0], round(float(sol.u[-1][1]), 6)
    ('array_api_strict', 0.735759)
    """

    def __init__(self, co: Any, f: Any, p: Any, u: Any, atol: Any, rtol: Any, adaptive: bool):
        self.xp = xp = namespace(u)
        self.device, self.dtype = device_of(u), u.dtype
        self.f, self.p = f, p
        self.s = s = co.tableau.stages
        self.shape, self.n = tuple(u.shape), int(u.size)
        rows, self.i_b, self.i_bt = _tableau_matrix(co, s, adaptive)
        self.M = xp.asarray(rows, dtype=self.dtype, device=self.device)
        self.c = co.c
        self.c_one = [ci == 1 for ci in co.tableau.c]
        self.fsal = co.tableau.fsal
        self.adaptive = adaptive
        self.atol, self.rtol = self._tolerance(atol), self._tolerance(rtol)

    def _tolerance(self, tol: Any) -> Any:
        """A scalar tolerance stays a Python float; a vector one becomes a flat array on the device."""
        if isinstance(tol, (int, float)) or getattr(tol, "ndim", 1) == 0:
            return float(tol)
        flat = tol.tolist() if hasattr(tol, "tolist") else tol
        return reshape(self.xp.asarray(flat, dtype=self.dtype, device=self.device), (self.n,))

    def _flat(self, x: Any) -> Any:
        return reshape(x, (self.n,))

    def step(self, t: Any, u: Any, k1: Any, h: Any, t_new: Any) -> tuple:
        xp, s, f, p = self.xp, self.s, self.f, self.p
        hM = self.M * h
        K = xp.empty((s, self.n), dtype=self.dtype, device=self.device)
        K[0, :] = self._flat(k1)
        uf = self._flat(u)
        ui = uf
        for i in range(1, s):
            ui = uf + hM[i, :i] @ K[:i, :]
            ti = t_new if self.c_one[i] else t + self.c[i] * h
            K[i, :] = self._flat(f(reshape(ui, self.shape), p, ti))
        u_new = ui if self.fsal else uf + hM[self.i_b, :] @ K
        E = self._error(uf, u_new, hM[self.i_bt, :] @ K) if self.adaptive else None
        ks = [reshape(K[i, :], self.shape) for i in range(s)]
        return reshape(u_new, self.shape), E, ks

    def _error(self, uf: Any, u_new: Any, err: Any) -> float:
        xp = self.xp
        if self.n == 0:
            return 0.0
        sc = self.atol + self.rtol * xp.maximum(xp.abs(uf), xp.abs(u_new))
        r = err / sc
        return float(xp.sqrt(xp.mean(r * r)))  # the step's one device-to-host transfer

    def last_stage(self, ks: list) -> Any:
        return ks[-1]
