"""The numba fast paths of the stiff methods: Rosenbrock (Rodas4, Rodas5, Rodas5P), RadauIIA5 and FBDF, the whole solve compiled.

The same mechanism as the explicit kernel (:mod:`solvers.ode.compiled`): chosen by capability
(a 1-D float64 NumPy state, float times, an ``f`` that numba compiles), with the same opt-in
(``solve(..., compile=...)`` or ``Rodas5P(compile=...)``: ``None`` runs it when ``f`` already is a
numba function, ``True`` compiles ``f``, ``False`` never), the same return codes and messages, the
same :class:`~solvers.ode.solution.ODESolution` with dense output (the method's own interpolant:
:class:`~solvers.ode.stiff.rodas.RosenbrockSegment`, :class:`~solvers.ode.stiff.radau.RadauSegment`,
FBDF's interpolating polynomial) and ``saveat``. Coefficients are the generic method's, converted to
floats once (:mod:`solvers.ode.compiled_stiff_loop`, :mod:`solvers.ode.compiled_radau_loop`,
:mod:`solvers.ode.compiled_bdf_loop` document the steps).

The Jacobian is the user's ``jac(u, p, t)`` (compiled with numba whenever ``f`` is) or forward
differences in the kernel; the linear algebra is a dense LU with partial pivoting written in numba.
A constant dense mass matrix (``M u' = f``, singular for index-1 DAEs; the algebraic variables are
made consistent first, as on the generic path) runs in the kernel. The kernel specialised on ``f``
and ``jac`` is cached on disk across processes (:mod:`solvers.ode.kernel_cache`, keyed by their
code). Everything else (a sparse mass matrix, sparse or Krylov linear solves, callbacks, a custom
controller or error norm, another number type) takes the generic path, and
``sol.compile_message`` says why.

Examples
--------
>>> import numba, numpy as np
>>> from solvers import ODEProblem, Rodas5P, solve
>>> f = numba.njit(lambda u, p, t: -50.0 * (u - np.cos(t)))
>>> sol = solve(ODEProblem(f, np.array([0.0]), (0.0, 1.0)), Rodas5P(), rtol=1e-8, atol=1e-10)
>>> sol.compiled, bool(abs(sol.u[-1][0] - 2500 / 2501 * (np.cos(1) + np.sin(1) / 50 - np.exp(-50))) < 1e-7)
(True, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from solvers.ode.compiled import compile_rhs, finish_compiled, launch
from solvers.ode.solution import LazySegments

__all__ = ["rosenbrock_arrays", "try_compiled_rosenbrock", "StiffKernel"]

_JACS: dict = {}  # user jac -> kernel Jacobian (compiled once per process)
_GENERIC_ONLY = ("jac_prototype", "sparse", "linsolve", "precond", "krylov_rtol", "error_norm")


def rosenbrock_arrays(tab: Any) -> tuple:
    """``(gamma, A, C, c, d, H)`` as float64 arrays from a RosenbrockTableau (rows zero-padded)."""
    s = len(tab.c)

    def square(rows):
        out = np.zeros((s, s))
        for i, row in enumerate(rows):
            out[i, : len(row)] = [float(q) for q in row]
        return out

    H = np.array([[float(q) for q in row] for row in tab.H])
    return (float(tab.gamma), square(tab.a), square(tab.C), np.array([float(q) for q in tab.c]),
            np.array([float(q) for q in tab.d]), H)


def _refusal(s: Any) -> str | None:
    """Why the solve *s* needs the generic path (None: the kernel can run it)."""
    from solvers.ode.steppers import ScaledNorm

    opts = s.options
    M = opts.get("mass_matrix")
    if M is not None and not (isinstance(M, np.ndarray) and M.dtype.kind in "fiub" and M.shape == (s.u.size,) * 2):
        return "a mass matrix that is not a dense real NumPy array of shape (n, n) needs the generic loop"
    given = [k for k in _GENERIC_ONLY if opts.get(k) not in (None, False)]
    if given:
        return f"{', '.join(given)} need(s) the generic loop (the kernel uses a dense LU)"
    if not (isinstance(s.norm, ScaledNorm) and s.norm.spec.plain):
        return "a custom error norm needs the generic loop"
    if not s.adaptive:
        return "fixed steps (adaptive=False) take the generic loop"
    return None


def _kernel_jacobian(jac: Any, s: Any, force: bool) -> tuple:
    """``((jac, jacfn), reason)``: the user's compiled *jac* (None: finite differences) and the
    kernel's Jacobian function ``jacfn(f, u, p, t, f0)``, or ``(None, reason)``."""
    from solvers.ode.compiled_stiff_loop import fd_jacobian, user_jacobian

    if jac is None:
        return (None, fd_jacobian), "compiled"
    jj, why = compile_rhs(jac, s.u, s.p, s.t0, force, name="jac", shape=(s.u.size, s.u.size))
    if jj is None:
        return None, why
    fn = _JACS.get(jj)
    if fn is None:
        fn = _JACS[jj] = user_jacobian(jj)
    return (jj, fn), "compiled"


def try_compiled_rosenbrock(s: Any, want: Any, dtr: Any, finish: Any, integ: Any, kind: str = "rosenbrock") -> Any:
    """The solution from the compiled *kind* kernel (``"rosenbrock"``: Rodas4/5/5P; ``"radau"``:
    RadauIIA5; ``"bdf"``: FBDF), or None (``s.compiled[1]`` says why)."""
    why = _refusal(s)
    if why is None:
        fj, why = compile_rhs(s.f, s.u, s.p, s.t0, force=bool(want))
        # a numba f asks for the kernel: a Python jac beside it is compiled too (the generic path
        # could not run that f with its dual numbers anyway)
        jacs, why_j = _kernel_jacobian(s.options.get("jac"), s, True) if fj is not None else (None, why)
        why = why if fj is None else why_j
    if why != "compiled":
        if want:
            raise ValueError(f"compile=True: {why}")
        s.compiled[1] = why
        return None
    s.compiled[:] = [True, "compiled"]
    return launch(StiffKernel(kind, fj, jacs, s), s, dtr, finish, integ)


def _loop(kind: str, fj: Any, jac: Any, jacfn: Any) -> tuple:
    """``(loop, bound)``: the *kind* kernel for *fj* and the user's compiled *jac* (None: finite
    differences) cached on disk (:mod:`solvers.ode.kernel_cache`, ``bound`` empty); or, where a
    function has no stable key, the loop as written with ``bound = (fj, jacfn)``."""
    from solvers.ode import compiled_stiff_loop as k
    from solvers.ode.kernel_cache import cached_kernel

    if kind == "radau":
        from solvers.ode import compiled_radau_loop as r

        functions = {"run": r.radau_loop, "_newton": r._newton, "_residual": r._residual, "_error": r._error}
    elif kind == "bdf":
        from solvers.ode import compiled_bdf_loop as b

        functions = {"run": b.bdf_loop, "_corrector": b._corrector, "_newton": b._newton}
    else:
        functions = {"run": k.rosenbrock_loop, "_stages": k._stages}
    functions["jacfn"] = k.fd_jacobian if jac is None else k.jacobian_by_user
    bound = {"f": fj} if jac is None else {"f": fj, "jac": jac}
    run = cached_kernel(functions, bound, "run", deps=("solvers.ode.compiled_loop", "solvers.ode.compiled_stiff_loop"))
    return (functions["run"], (fj, jacfn)) if run is None else (run, ())


def _initial_state(fj: Any, jacfn: Any, s: Any, M: np.ndarray) -> None:
    """With a singular mass matrix, make ``s.u`` consistent (the algebraic variables by Newton, as
    the generic path's :meth:`~solvers.ode.stiff.method.StiffStepper.initialize`) and ``s.k1``."""
    from solvers.ode.stiff.dae import consistent_initial_state

    u0 = consistent_initial_state(fj, lambda u, p, t: jacfn(fj, u, p, t, fj(u, p, t))[0], s.u, s.p, s.t0, M)
    if u0 is not s.u:
        for i, x in enumerate(s.us):  # the saved initial point is the consistent state
            if x is s.u:
                s.us[i] = u0
        s.u, s.k1 = u0, fj(u0, s.p, s.t0)
        s.stats.nf += 1


def _tolerance(x: Any, n: int) -> np.ndarray:
    if not np.ndim(x):
        return np.full(n, float(x))
    return np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype=np.float64).reshape(-1), (n,)))


_COEFFS: dict = {}  # (kind, id of the tableau) -> (tableau, float coefficients): converted once per process


def _once(kind: str, key: Any, make: Any) -> Any:
    """The float coefficients ``make()`` of *key* (a tableau, or None), converted once per process
    (the conversion, Radau's eigen-decomposition included, cost 0.1-0.25 ms per solve)."""
    hit = _COEFFS.get((kind, id(key)))
    if hit is None or hit[0] is not key:
        hit = _COEFFS[(kind, id(key))] = (key, make())
    return hit[1]


def _rosenbrock(s: Any) -> tuple:
    """The Rosenbrock kernel's ``(coefficients, controls, segment, unpack)``."""
    from solvers.ode.stiff.rodas import RosenbrockSegment

    c = s.controller
    controls = (float(c.beta1), float(c.beta2), float(c.safety), float(c.qmin), float(c.qmax))

    def unpack(out: tuple) -> tuple:  # (nf, njac, nfactor, nsolve, nnewton, naccept, nreject, code)
        nf, njac, nfac, nacc, nrej, code = out[3:9]
        return nf, njac, nfac, nfac * len(s.alg.tableau.c), 0, nacc, nrej, code

    return (_once("rosenbrock", s.alg.tableau, lambda: rosenbrock_arrays(s.alg.tableau)), controls,
            lambda t, h, u, u_new, K: RosenbrockSegment(t, h, u, u_new, *K), unpack)


def _newton_tol(s: Any) -> float:
    """The generic Radau/FBDF steppers' Newton tolerance ``max(10 eps / rtol, min(0.03, sqrt(rtol)))``
    (``rtol``: its largest entry)."""
    rt = float(s.rtol) if not np.ndim(s.rtol) else float(np.max(np.asarray(s.rtol, dtype=np.float64)))
    return max(10 * float(np.finfo(float).eps) / rt, min(0.03, rt ** 0.5))


def _radau_coefficients() -> tuple:
    """RadauIIA5's ``(c, A, dd, gamma, lambda, T, LTi)`` in floats, from the generic method's."""
    from solvers.ode.stiff.radau import radau_coefficients, radau_eigen

    co = radau_coefficients(1.0)
    A = np.array(co["A"], dtype=np.float64)
    (gam, lam), T, LTi = radau_eigen(A)
    return (np.array([float(x) for x in co["c"]]), A, np.array(co["dd"], dtype=np.float64), float(co["gamma"]),
            complex(lam), np.ascontiguousarray(T), np.ascontiguousarray(LTi))


def _radau(s: Any) -> tuple:
    """The RadauIIA5 kernel's ``(coefficients, controls, segment, unpack)``: the generic
    stepper's coefficients (:func:`~solvers.ode.stiff.radau.radau_coefficients`, in floats) and
    Newton tolerance."""
    from solvers.ode.stiff.radau import RadauSegment

    coeffs = _once("radau", None, _radau_coefficients)
    c = coeffs[0].tolist()
    newton_tol = _newton_tol(s)

    def unpack(out: tuple) -> tuple:
        nf, njac, nfac, nnewt, nacc, nrej, code = out[3:10]
        return nf, njac, nfac, 2 * nnewt, nnewt, nacc, nrej, code

    return (coeffs, (newton_tol,), lambda t, h, u, u_new, K: RadauSegment.from_stages(t, h, u_new, list(K), c),
            unpack)


def _bdf(s: Any) -> tuple:
    """The FBDF kernel's ``(coefficients, controls, segment, unpack)``: the generic stepper's
    ``gamma_k``, error constants and Newton tolerance (:class:`~solvers.ode.stiff.bdf.FBDFStepper`),
    in floats."""
    from solvers.ode.stiff.bdf import MAX_ORDER, _Segment, bdf_coefficients

    gamma, err_const = _once("bdf", None, lambda: tuple(np.array(x, dtype=np.float64) for x in bdf_coefficients(1.0)))
    newton_tol = _newton_tol(s)

    def unpack(out: tuple) -> tuple:
        nf, njac, nfac, nnewt, nacc, nrej, code = out[3:10]
        return nf, njac, nfac, nnewt, nnewt, nacc, nrej, code

    return ((gamma, err_const, int(s.alg.max_order)), (newton_tol,),
            lambda t, h, u, u_new, K: _Segment(t, h, list(K), MAX_ORDER), unpack)


_KINDS = {"rosenbrock": _rosenbrock, "radau": _radau, "bdf": _bdf}


class StiffKernel:
    """The *kind* kernel bound to the options of the solve *s* (coefficients, tolerances, stops,
    controls, mass matrix): converted once; calling it runs the solve state *s* (its ``u``, ``p``,
    ``k1``) from first step *dtr*. A prepared solve (:mod:`solvers.ode.prepared`) calls one many
    times."""

    def __init__(self, kind: str, fj: Any, jacs: tuple, s: Any) -> None:
        jac, jacfn = jacs
        n = s.u.size
        M = s.options.get("mass_matrix")
        self.M = np.zeros((0, 0)) if M is None else np.ascontiguousarray(M, dtype=np.float64)
        self.fj, self.jacfn = fj, jacfn
        self.keep = 2 if s.dense or s.save_times else 1 if s.save_everystep else 0
        self.loop, self.bound = _loop(kind, fj, jac, jacfn)
        coeffs, controls, self.segment, self.unpack = _KINDS[kind](s)
        self.t0 = float(s.t0)
        self.stops = np.array([float(x) for x in s.stops])
        self.middle = (float(s.tdir), *coeffs, self.M, _tolerance(s.rtol, n), _tolerance(s.atol, n),
                       float(s.dtmin), float(s.dtmax), int(s.maxiters), *controls, float(s.eps_t), self.keep, 1.0001)

    def __call__(self, s: Any, dtr: Any, finish: Any, integ: Any) -> Any:
        dt0 = dtr(None) if callable(dtr) else dtr  # from the given state, as the generic path does
        if self.M.size:
            _initial_state(self.fj, self.jacfn, s, self.M)
        out = self.loop(*self.bound, s.p, np.ascontiguousarray(s.u, dtype=np.float64),
                        np.asarray(s.k1, dtype=np.float64), self.t0, self.stops, float(dt0), *self.middle)
        tt, uu, KK = out[:3]
        nf, njac, nfac, nsolve, nnewt, nacc, nrej, code = self.unpack(out)
        st = s.stats
        st.nf, st.njac, st.nfactor, st.nsolve = st.nf + nf, st.njac + njac, st.nfactor + nfac, st.nsolve + nsolve
        if nnewt:
            st.nnewton = getattr(st, "nnewton", 0) + nnewt
        st.naccept, st.nreject = st.naccept + nacc, st.nreject + nrej
        steps = LazySegments(tt, uu, KK, self.segment)
        return finish_compiled(s, tt, uu, KK, steps, code, finish, integ)
