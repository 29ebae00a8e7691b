"""A prepared solve: one problem's options validated and its compiled kernel bound once, many solves.

``prepared = prepare(prob, alg, **options)`` does everything of ``solve(prob, alg, **options)`` that
does not depend on the values of ``u0`` and ``p`` once: the checks of the method, tolerances,
``tspan``, ``saveat`` and ``tstops``, the save and stop plans, the choice of the compiled kernel
(:mod:`solvers.ode.compiled`, :mod:`solvers.ode.compiled_stiff`) and its binding to ``f``, the
tableau and tolerance arrays. ``prepared.solve(u0=..., p=...)`` then checks only the new values'
shapes and types, evaluates ``f(u0, p, t0)`` and the automatic first step, runs the kernel and returns
the same :class:`~solvers.ode.solution.ODESolution` as ``solve(prob.remake(u0=u0, p=p), alg,
**options)``, equal to the bit: it runs the same functions on the same numbers (the ordinary
``solve`` is this preparation and one run). It is DifferentialEquations.jl's ``init`` +
``reinit!`` + ``solve!`` for a whole compiled solve (:func:`solvers.init` is the step-by-step
integrator, which the compiled kernels are not).

What a solve may change: ``u0`` (same shape; a list or an integer array is converted as ``solve``
converts it) and ``p`` (same structure: a tuple of the same length, arrays of the same shapes; any
values). A wrong shape is an error that says so. Values of another type (a float32 ``u0``, a dual
in ``p``) take the ordinary ``solve`` with the new values, whose answer they need (derivative
layers are never dropped). A problem the compiled kernels cannot run (a Python ``f`` without
``compile=True``, callbacks, another number type) is prepared too: each ``solve`` is then the
ordinary ``solve`` of the remade problem (``prepared.compiled`` is False and
``prepared.compile_message`` says why).

Examples
--------
>>> import numba, numpy as np
>>> from solvers import ODEProblem, Vern9, prepare, solve
>>> f = numba.njit(lambda u, p, t: -p[0] * u)
>>> prob = ODEProblem(f, np.array([1.0, 2.0]), (0.0, 1.0), np.array([1.0]))
>>> prepared = prepare(prob, Vern9(), rtol=1e-10, atol=1e-12, saveat=[0.0, 1.0])
>>> sol = prepared.solve(u0=np.array([3.0, 4.0]), p=np.array([2.0]))
>>> prepared.compiled, bool(np.allclose(sol.u[-1], np.array([3.0, 4.0]) * np.exp(-2.0), rtol=1e-9))
(True, True)
>>> plain = solve(prob.remake(u0=np.array([3.0, 4.0]), p=np.array([2.0])), Vern9(), rtol=1e-10,
...               atol=1e-12, saveat=[0.0, 1.0])
>>> bool(np.array_equal(sol.u[-1], plain.u[-1]))
True
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from numeric.backend import is_foreign
from solvers.ode.compiled import KernelPlan, capture_plan
from solvers.ode.problem import ODEProblem
from solvers.ode.saving import start_saves
from solvers.ode.solution import ODESolution, ReturnCode, Stats

__all__ = ["prepare", "PreparedSolve", "member_solver"]

# what a solve replaces in the captured solve state (everything else is the options' plan)
_PER_SOLVE = ("u", "p", "k1", "stats", "ts", "us", "segments", "si")


def prepare(prob: ODEProblem, alg: Any = None, **options: Any) -> "PreparedSolve":
    """Validate *prob* with *alg* and the options of :func:`solvers.solve` once, for many solves.

    Parameters
    ----------
    prob : ODEProblem
        The problem; its ``u0`` and ``p`` are the defaults of :meth:`PreparedSolve.solve` and fix the
        shapes and types that later values must have.
    alg : algorithm, optional
        As for :func:`solvers.solve` (``Tsit5()`` by default).
    **options
        The options of :func:`solvers.solve`, fixed for every solve.

    Returns
    -------
    PreparedSolve
        ``prepared.solve(u0=..., p=...)`` gives ``solve(prob.remake(u0=..., p=...), alg, **options)``.

    Examples
    --------
    >>> import numba, numpy as np
    >>> from solvers import ODEProblem, Tsit5
    >>> prob = ODEProblem(numba.njit(lambda u, p, t: -u), np.array([1.0]), (0.0, 1.0))
    >>> prepared = prepare(prob, Tsit5(), rtol=1e-8)
    >>> [round(float(prepared.solve(u0=np.array([x])).u[-1][0]), 6) for x in (1.0, 2.0)]
    [0.367879, 0.735759]
    """
    if not isinstance(prob, ODEProblem):
        raise TypeError(f"prepare: takes an ODEProblem, got {type(prob).__name__}; use solve for other problems")
    from solvers.ode.integrator import solve_ode

    plan = None
    if options.get("sensealg") is None:  # a sensitivity method runs its own solves
        out = capture_plan(lambda: solve_ode(prob, alg, **dict(options, verbose=False)))
        plan = out if isinstance(out, KernelPlan) and out.kernel is not None else None
        why = out.s.compiled[1] if isinstance(out, KernelPlan) else getattr(out, "compile_message", "")
    else:
        why = "a sensitivity method (sensealg) runs its own solves"
    return PreparedSolve(prob, alg, options, plan, why)


def _signature(x: Any, shapes: bool = True) -> Any:
    """What a compiled kernel's type for *x* depends on: the container types and lengths, the
    scalar types, the arrays' dtypes and dimensions (and, with *shapes*, their shapes); None for
    values of other types."""
    t = type(x)
    if t is np.ndarray:
        return (t, x.dtype.str, x.shape if shapes else x.ndim)
    if t is tuple or t is list:
        inner = tuple(_signature(e, shapes) for e in x)
        return None if None in inner else (t, len(x) if shapes else None, inner if shapes else None)
    if t in (float, int, bool, complex, type(None)) or isinstance(x, np.generic):
        return t
    return None


def _describe(sig: Any) -> str:
    if sig is None:
        return "?"
    if isinstance(sig, tuple) and sig[0] is np.ndarray:
        return f"an array of shape {sig[2]}"
    if isinstance(sig, tuple):
        return f"a {sig[0].__name__} of length {sig[1]} ({', '.join(_describe(e) for e in sig[2])})"
    return f"a {sig.__name__}"


class PreparedSolve:
    """The result of :func:`prepare`: call :meth:`solve` for each new ``u0`` and ``p``.

    Attributes
    ----------
    prob : ODEProblem
        The prepared problem (its ``u0`` and ``p`` are the defaults).
    compiled : bool
        True when the solves run in a compiled kernel bound once; False when each is the ordinary
        ``solve`` (``compile_message`` says why).
    compile_message : str
    """

    def __init__(self, prob: ODEProblem, alg: Any, options: dict, plan: KernelPlan | None, why: str) -> None:
        self.prob, self.alg, self.options = prob, alg, options
        self.compiled, self.compile_message = plan is not None, why
        self._kernel = None if plan is None else plan.kernel
        if plan is not None:
            s = plan.s
            self._fields = {k: v for k, v in vars(s).items() if k not in _PER_SOLVE}
            self._u0, self._p = s.u, s.p
        self._ushape = np.shape(prob.u0) if isinstance(prob.u0, (np.ndarray, list, tuple)) else None
        self._psig, self._pkind = _signature(prob.p), _signature(prob.p, shapes=False)

    def __repr__(self) -> str:
        alg = self.alg if self.alg is not None else "Tsit5()"
        return f"PreparedSolve({self.prob!r}, {alg}, compiled={self.compiled})"

    def _check_shapes(self, u0: Any, p: Any) -> None:
        if u0 is not None and self._ushape is not None and isinstance(u0, (np.ndarray, list, tuple)) \
                and np.shape(u0) != self._ushape:
            raise ValueError(f"prepared solve: u0 has shape {np.shape(u0)} but the solve was prepared for "
                             f"a state of shape {self._ushape}; prepare(prob.remake(u0=...), ...) for "
                             "another shape")
        if p is not None and p is not self.prob.p and self._psig is not None:
            sig = _signature(p)
            if sig != self._psig and _signature(p, shapes=False) == self._pkind:
                raise ValueError(f"prepared solve: p is {_describe(sig)} but the solve was prepared for "
                                 f"{_describe(self._psig)}; give p of the same shapes, or "
                                 "prepare(prob.remake(p=...), ...) for others")

    def fits(self, u0: Any = None, p: Any = None) -> bool:
        """True when :meth:`solve` takes these values (their shapes are the prepared ones)."""
        try:
            self._check_shapes(u0, p)
        except ValueError:
            return False
        return True

    def _values(self, u0: Any, p: Any) -> tuple | None:
        """``(u, p)`` for the compiled kernel, or None when these values need the ordinary solve."""
        u = self._u0
        if is_foreign(u0) or is_foreign(p):
            raise TypeError("this prepared solve runs a compiled (numba) kernel, which takes host NumPy arrays only; "
                            "give NumPy u0 / p, or prepare a problem whose right-hand side is not compiled (it then "
                            "solves a device state on its device)")
        if u0 is not None:
            u = u0 if type(u0) is np.ndarray else np.asarray(u0)
            if u.dtype.kind in "iub":  # as solve promotes an integer state
                u = u.astype(float)
            if u.dtype != self._u0.dtype or u.ndim != 1:
                return None
        if p is None or p is self._p:
            return u, self._p
        sig = _signature(p)
        return (u, p) if sig is not None and sig == self._psig else None

    def solve(self, u0: Any = None, p: Any = None) -> ODESolution:
        """Solve with initial state *u0* and parameters *p* (None: the prepared problem's).

        Returns
        -------
        ODESolution
            Equal to the bit to ``solve(prob.remake(u0=u0, p=p), alg, **options)``.

        Raises
        ------
        ValueError
            When *u0* or an array of *p* has another shape than the prepared problem's.
        """
        self._check_shapes(u0, p)
        values = None if self._kernel is None else self._values(u0, p)
        if values is None:
            return self._ordinary(u0, p)
        u, p = values
        s = SimpleNamespace(**self._fields)
        s.u, s.p, s.stats = u, p, Stats()
        k1 = s.f(u, p, s.t0)
        s.stats.nf += 1
        if not (type(k1) is np.ndarray and k1.dtype == u.dtype and k1.shape == u.shape):
            return self._ordinary(u0, p)  # the ordinary solve checks f's output and says what is wrong
        s.k1 = k1
        start_saves(s)
        return self._run(s, self._remade(u0, p))

    def _run(self, s: Any, prob: ODEProblem) -> ODESolution:
        from solvers.ode.integrator import first_step, initial_failure, start_run, warn_outcome

        integ, finish = start_run(prob, s.alg, s)
        if initial_failure(s):
            sol = finish(ReturnCode.InitialFailure, "u0 or f(u0, p, t0) is not finite")
        else:
            sol = self._kernel(s, first_step(s), finish, integ)
        if self.options.get("verbose", True):
            warn_outcome(sol, self.alg, self.options.get("adaptive"), self.options.get("rtol", 1e-3))
        return sol

    def _remade(self, u0: Any, p: Any) -> ODEProblem:
        if u0 is None and p is None:
            return self.prob
        return self.prob.remake(**({} if u0 is None else {"u0": u0}), **({} if p is None else {"p": p}))

    def _ordinary(self, u0: Any, p: Any) -> ODESolution:
        from solvers.ode.integrator import solve_ode

        return solve_ode(self._remade(u0, p), self.alg, **self.options)


def _same_problem(member: Any, prob: ODEProblem) -> bool:
    """True when *member* differs from *prob* in ``u0`` and ``p`` at most (the same objects else)."""
    if member is prob:
        return True
    if type(member) is not type(prob):
        return False
    same = all(getattr(member, k) is getattr(prob, k) for k in ("f", "callback", "mass_matrix", "jac",
                                                                "jac_prototype"))
    return same and all(a is b or (type(a) is float and type(b) is float and a == b)
                        for a, b in zip(member.tspan, prob.tspan))


def member_solver(prob: ODEProblem, alg: Any, options: dict) -> Any:
    """``solve_member(member, seed)`` for the members of an ensemble of *prob*: those that differ from
    it in ``u0`` and ``p`` only (and fit its shapes) run through one :func:`prepare` of it, made at
    the first such member; the others through their own ``solve``. The answers are ``solve``'s."""
    options = {k: v for k, v in options.items() if k != "seed"}
    cache: list = []

    def solve_member(member: Any, seed: Any = None) -> Any:
        if _same_problem(member, prob):
            if not cache:
                cache.append(prepare(prob, alg, **options))
            prepared = cache[0]
            if prepared.compiled and prepared.fits(member.u0, member.p):
                return prepared.solve(u0=member.u0, p=member.p)
        return member._solve(alg, seed=seed, **options)

    return solve_member
