"""``solve``: the one entry point for every problem type.

A problem type takes part by defining ``_solve(algorithm, **options)``;
:func:`solve` forwards to it. ODE problems (:class:`solvers.ode.ODEProblem`)
are the first; SDE, jump and ensemble problems plug in the same way.
"""

from __future__ import annotations

from typing import Any

__all__ = ["solve"]


def solve(problem: Any, algorithm: Any = None, **options: Any) -> Any:
    """Solve *problem* with *algorithm*.

    Parameters
    ----------
    problem : ODEProblem (or another problem type)
    algorithm : algorithm object, optional
        For ODEs an explicit Runge–Kutta method (``Tsit5()`` by default):
        ``Euler(), Midpoint(), RK4()`` (fixed step, need ``dt``),
        ``BS3(), DP5(), Tsit5(), Vern7(), Vern9()`` (adaptive), ``GBS()``
        (Gragg–Bulirsch–Stoer extrapolation, adaptive order and step; order
        chosen from the precision, for tight tolerances and ``mpf``).
    **options
        For ODEs:

        ``rtol=1e-3, atol=1e-6``
            Relative and absolute tolerances (scalars or arrays like ``u0``).
        ``dt``
            Fixed step (fixed-step methods) or the first step (adaptive).
        ``adaptive``
            False forces fixed steps of size ``dt`` with an adaptive method.
        ``dtmin, dtmax``
            Bounds on the step size; below ``dtmin`` the solve stops with
            ``DtLessThanMin``.
        ``maxiters=100_000``
            Maximum number of steps (accepted + rejected); then ``MaxIters``.
        ``tstops``
            Times the integrator must step on exactly.
        ``saveat``
            Save only at these times (a sequence), or every ``saveat`` time
            units (a number, endpoints included).
        ``save_everystep``
            Save every step (default when ``saveat`` is not given).
        ``save_start=True, save_end=True``
            Without ``saveat``, save the first and the last point (also when
            ``save_everystep=False``).
        ``dense``
            Keep the interpolant of every step for ``sol(t)`` (default when
            saving every step and no ``saveat``).
        ``callback``
            A callback, a :class:`CallbackSet` or a list of callbacks.
        ``compile``
            The numba fast path for float64 states (:mod:`solvers.ode.compiled` for the
            explicit Runge–Kutta methods, :mod:`solvers.ode.compiled_stiff` for Rodas4,
            Rodas5, Rodas5P, RadauIIA5 and FBDF, where ``jac=`` is compiled alongside ``f``):
            True compiles ``f`` with ``numba.njit``, None (default) uses it when
            ``f`` already is a numba function, False never. ``sol.compiled``
            says which path ran and ``sol.compile_message`` why. For many solves of one
            problem with new ``u0``/``p``, :func:`solvers.prepare` validates and binds the kernel once.
        ``controller``
            A step-size controller (:mod:`solvers.ode.controllers`):
            ``IController()``, ``PIController()`` (the default, with the
            method's parameters) or ``PIDController()``.
        ``verbose=True``
            Warn (:class:`~solvers.ode.solution.SolverWarning`) when the
            solve ends without success; False silences it.
        ``sensealg``
            How derivatives carried by ``u0``/``p`` flow through the solve
            (:mod:`solvers.ode.sensitivity`); by default the number types pass
            through the solver's arithmetic.
        ``errornorm``
            What the step-size controller's error norm measures
            (:class:`solvers.ode.ErrorNorm`: derivative partials in or out,
            augmented sensitivity states); by default every part counts.
        ``unstable_check``
            A function ``(dt, u, p, t) -> bool`` called after every accepted
            step; True ends the solve with ``Unstable`` (:mod:`solvers.unstable`;
            ``norm_exceeds(limit)`` bounds the state's size). Without it only a
            non-finite state is ``Unstable``: a fixed-step solve whose step is
            outside the method's stability region can grow to huge finite
            values and end ``Success``.
        ``jac, jac_prototype, sparse, linsolve, autodiff``
            Method options, passed to the method (``ctx.options`` of
            :mod:`solvers.ode.stepper`) together with the problem's
            ``mass_matrix``, ``jac`` and ``jac_prototype``; explicit methods
            ignore them (and refuse a non-identity mass matrix).

    Returns
    -------
    solution
        For ODEs an :class:`~solvers.ode.solution.ODESolution`. Failures are
        reported in ``solution.retcode`` and ``solution.message``, never raised.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, solve, Tsit5
    >>> def lotka(u, p, t):
    ...     a, b, c, d = p
    ...     return np.array([a * u[0] - b * u[0] * u[1], -c * u[1] + d * u[0] * u[1]])
    >>> sol = solve(ODEProblem(lotka, np.array([1.0, 1.0]), (0.0, 10.0), (1.5, 1.0, 3.0, 1.0)),
    ...             Tsit5(), rtol=1e-8, atol=1e-10)
    >>> sol.retcode.value, np.round(sol.u[-1], 6)
    ('Success', array([1.026345, 0.909691]))
    """
    hook = getattr(problem, "_solve", None)
    if hook is None:
        raise TypeError(f"solve() does not know how to solve a {type(problem).__name__}")
    return hook(algorithm, **options)
