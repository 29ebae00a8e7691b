"""The identified model: equations, coefficients, and a right-hand side for ``solve``.

:func:`fit` runs the three steps of SINDy -- derivatives from the data (or
given), the library matrix Theta(X), a sparse regression -- and returns a
:class:`SINDyModel`. The model prints its equations with the variable names
(``dx/dt = -10.000 x + 10.000 y``), renders them in LaTeX in a notebook, keeps
the coefficients as an array (one row per equation, one column per library
term) and is itself a right-hand side ``f(u, p, t)`` for ``ODEProblem``: it
evaluates only the terms in the support, with generic arithmetic, so a state
of duals or measurements propagates derivatives or uncertainties through the
recovered equations. ``p`` may replace the coefficients (an array of the same
shape, of any number type), so derivatives with respect to the identified
coefficients come from the same solve.

Examples
--------
>>> import numpy as np
>>> from solvers.sindy import fit, PolynomialLibrary, STLSQ
>>> t = np.linspace(0, 2, 201)
>>> x = np.column_stack([np.exp(-t), 2 * np.exp(-t) + np.exp(-3 * t)])
>>> dx = np.column_stack([-x[:, 0], -3 * x[:, 1] + 4 * x[:, 0]])
>>> model = fit(x, t, PolynomialLibrary(2), STLSQ(0.1), x_dot=dx, variables=("u", "v"))
>>> print(model)
du/dt = -1.000 u
dv/dt = 4.000 u - 3.000 v
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

import numeric as nm
from numeric.backend import is_foreign, like, namespace, reshape
from solvers.sindy.derivatives import finite_difference
from solvers.sindy.libraries import Library, Term
from solvers.sindy.optimizers import STLSQ, SparseFit

__all__ = ["SINDyModel", "fit"]


def _default_variables(n: int) -> tuple[str, ...]:
    return ("x", "y", "z")[:n] if n <= 3 else tuple(f"x{i}" for i in range(n))


@dataclass(frozen=True)
class SINDyModel:
    """Sparse coefficients of a library: ``d(variables)/dt = coefficients @ Theta``."""

    library: Library
    variables: tuple
    coefficients: np.ndarray
    result: SparseFit | None = None

    @property
    def terms(self) -> list[Term]:
        return self.library.terms(len(self.variables))

    @property
    def feature_names(self) -> list[str]:
        return self.library.names(self.variables)

    @property
    def support(self) -> np.ndarray:
        """Boolean (n_equations, n_features): the terms each equation keeps."""
        return self.coefficients != 0

    def equations(self, precision: int = 3) -> list[str]:
        """One string per equation: ``'dx/dt = -10.000 x + 10.000 y'``."""
        return [f"d{v}/dt = {_sum_text(row, self.feature_names, precision)}"
                for v, row in zip(self.variables, self.coefficients)]

    def __str__(self) -> str:
        return "\n".join(self.equations())

    def _repr_latex_(self) -> str:
        names = [_latex_name(n) for n in self.feature_names]
        rows = [rf"\dot{{{_latex_name(v)}}} &= {_sum_text(row, names, 3)}"
                for v, row in zip(self.variables, self.coefficients)]
        return "$$\\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$$"

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The model's dx/dt at data x (n_samples, n_vars)."""
        theta = self.library.matrix(x)
        if is_foreign(theta):          # the coefficients (host) join Theta on its device
            return namespace(theta).matmul(theta, like(self.coefficients.T, theta))
        return theta @ self.coefficients.T

    def __call__(self, u: Any, p: Any = None, t: Any = None) -> Any:
        """The right-hand side ``f(u, p, t)``: p is None or a coefficient array."""
        coefficients = self.coefficients if p is None else p
        if np.shape(coefficients) != self.coefficients.shape:
            raise ValueError(f"p must be None (the identified coefficients) or an array of "
                             f"shape {self.coefficients.shape}; got shape {np.shape(coefficients)}")
        n = u.shape[0] if is_foreign(u) else len(u)
        if n != len(self.variables):
            raise ValueError(f"the model has {len(self.variables)} state variables "
                             f"{self.variables}; u has {n}")
        if isinstance(coefficients, np.ndarray) and coefficients.dtype.kind == "f":
            coefficients = coefficients.tolist()   # Python floats meet any number type cleanly
        components = [u[i] for i in range(len(self.variables))]
        terms = self.terms
        used = np.flatnonzero(self.support.any(axis=0))
        values = {j: terms[j].evaluate(components) for j in used}
        out = []
        for i in range(len(self.variables)):
            total = nm.zero(components[i])
            for j in np.flatnonzero(self.support[i]):
                total = total + coefficients[i][j] * values[j]
            out.append(total)
        return namespace(u).stack(out) if is_foreign(u) else np.stack(out)

    def simulate(self, u0: Any, tspan: tuple, alg: Any = None, **options: Any) -> Any:
        """Solve the identified equations from *u0* (``solvers.solve``; Tsit5 by default)."""
        from solvers import ODEProblem, Tsit5, solve

        return solve(ODEProblem(self, u0, tspan), alg or Tsit5(), **options)


def _sum_text(row: np.ndarray, names: Sequence[str], precision: int) -> str:
    parts = []
    for c, name in zip(row, names):
        if c == 0:
            continue
        mag = f"{abs(c):.{precision}f}" + ("" if name == "1" else f" {name}")
        parts.append(("-" if c < 0 else "") + mag if not parts else
                     ("- " if c < 0 else "+ ") + mag)
    return " ".join(parts) if parts else "0"


def _latex_name(name: str) -> str:
    name = re.sub(r"\b(sin|cos|tan|exp|log)\(", r"\\\1(", name)
    name = re.sub(r"\^(\d+)", r"^{\1}", name)
    return re.sub(r"([A-Za-z])(\d+)\b", r"\1_{\2}", name)


def fit(x: np.ndarray, t: Any, library: Library, optimizer: Any = None, *,
        derivative: Callable = finite_difference, x_dot: np.ndarray | None = None,
        variables: Sequence[str] | None = None) -> SINDyModel:
    """Identify sparse equations ``dx/dt = Xi Theta(x)`` from samples.

    Parameters
    ----------
    x : (n_samples, n_vars) array
        The state at the sample times.
    t : array or float
        Sample times or uniform spacing (for *derivative*; unused with *x_dot*).
    library : Library
        The candidate terms.
    optimizer : STLSQ, SR3 or any object with ``fit(theta, dxdt) -> SparseFit``
        Default ``STLSQ(0.1)``.
    derivative : callable
        ``(x, t) -> dx/dt``; e.g. :func:`~solvers.sindy.derivatives.savgol_difference`.
    x_dot : array, optional
        Known derivatives (skips *derivative*).
    variables : names of the state variables (default x, y, z or x0, x1, ...).

    Returns
    -------
    SINDyModel
        Warns (RuntimeWarning) when the optimiser did not converge or left an equation
        without a term while its data's derivative is not zero (a threshold too large); the
        model's ``result`` keeps the optimiser's report.
    """
    x = x if is_foreign(x) else _floats(x, "x")    # device data stays on its device
    t = t if is_foreign(t) or x_dot is not None else _floats(t, "t")
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"x must be (n_samples, n_vars), got shape {tuple(x.shape)}")
    variables = tuple(variables) if variables is not None else _default_variables(x.shape[1])
    if len(variables) != x.shape[1]:
        raise ValueError(f"{len(variables)} variable names for {x.shape[1]} state variables")
    dxdt = derivative(x, t) if x_dot is None else x_dot if is_foreign(x_dot) else _floats(x_dot, "x_dot")
    dxdt = reshape(dxdt, (x.shape[0], -1))
    if tuple(dxdt.shape) != tuple(x.shape):
        raise ValueError(f"x_dot must have the shape of x {tuple(x.shape)}, got {tuple(dxdt.shape)}")
    result = (optimizer or STLSQ()).fit(library.matrix(x), dxdt)
    if not result.converged:
        warnings.warn(result.message, RuntimeWarning, stacklevel=2)
    emptied = _emptied_equations(result.coefficients, dxdt, variables)
    if emptied:
        warnings.warn(f"the optimiser removed every term of {', '.join(emptied)} (its model is 0) though "
                      "the data's derivative is not zero: lower the threshold", RuntimeWarning, stacklevel=2)
    return SINDyModel(library, variables, result.coefficients, result)


def _floats(a: Any, name: str) -> Any:
    """*a* as a float array (a float scalar kept), or a TypeError that says why number types are refused."""
    try:
        return float(a) if np.ndim(a) == 0 and not isinstance(a, np.ndarray) else np.asarray(a, dtype=float)
    except TypeError:
        raise TypeError(
            f"sindy.fit: {name} carries derivatives or uncertainties (duals, measurements). The "
            "sparse regression (its thresholds select terms) is not differentiable and propagates no "
            f"uncertainty: pass nm.value({name}) to fit the nominal data on purpose. The fitted model "
            "propagates duals and measurements of its state and coefficients (SINDyModel as f(u, p, t))"
        ) from None


def _emptied_equations(coefficients: Any, dxdt: Any, variables: Sequence[str]) -> list:
    """The equations ``d<v>/dt`` left without a term while their data are not zero (as pysindy warns)."""
    xp = namespace(dxdt)
    nonzero = [bool(xp.any(dxdt[:, i] != 0)) for i in range(len(variables))]
    return [f"d{v}/dt" for i, v in enumerate(variables) if nonzero[i] and not np.any(coefficients[i])]
