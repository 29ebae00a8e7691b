"""Step-size controllers: from a step's scaled error ``E`` (accept when ``E <= 1``) to the next step size.

Each controller is a small object with ``bind(k)`` (a fresh copy for one
solve, ``k`` the method's error order: ``error_order`` if it has one, else
``order``) and ``propose(h, E) -> (accepted, h_next)``. They work on plain
floats: step sizes need no extra digits. Pass one as
``solve(..., controller=PIController(...))``; the default is the PI
controller with the method's own ``beta1, beta2, safety, qmin, qmax``.

Examples
--------
>>> c = IController().bind(5)
>>> ok, h = c.propose(0.1, 0.5)
>>> ok, round(h, 6)                  # 0.1 * 0.9 * 0.5 ** (-1/5)
(True, 0.103383)
>>> c.propose(0.1, 4.0)[0]
False
"""

from __future__ import annotations

import copy

__all__ = ["IController", "PIController", "PIDController", "default_controller"]

_INF = float("inf")


class _Controller:
    """Shared clamping and rejection logic; subclasses give ``_factor(E)`` (``h_new = h * factor``)."""

    def __init__(self, safety: float = 0.9, qmin: float = 0.2, qmax: float = 10.0):
        if not (0 < qmin <= 1 <= qmax and 0 < safety <= 1):
            raise ValueError(f"controller: need 0 < qmin <= 1 <= qmax and 0 < safety <= 1, got "
                             f"qmin={qmin}, qmax={qmax}, safety={safety}")
        self.safety, self.qmin, self.qmax = safety, qmin, qmax
        self.k = None

    def bind(self, k: float) -> "_Controller":
        """A fresh copy of this controller for one solve of a method with error order *k*."""
        c = copy.copy(self)
        c.k = float(k)
        c._reset()
        return c

    def _reset(self) -> None:
        self.last_rejected = False

    def propose(self, h: float, E) -> tuple:
        """``(accepted, h_next)`` after a step of size *h* with scaled error *E*."""
        E = float(E)
        if not (E < _INF):  # nan or inf: shrink hard
            self.last_rejected = True
            return False, h * self.qmin
        if E > 1:
            self.last_rejected = True
            return False, h / self._reject_divisor(E)
        h_next = h / self._divisor(E)
        if self.last_rejected and h_next > h:
            h_next = h
        self._record(E)
        self.last_rejected = False
        return True, h_next

    def _reject_divisor(self, E: float) -> float:
        """``h / h_new`` after a rejection (at most ``1/qmin``)."""
        return min(1.0 / self.qmin, E ** (1.0 / self.k) / self.safety)

    def _divisor(self, E: float) -> float:
        """``h / h_new`` after an accepted step, within ``[1/qmax, 1/qmin]``."""
        fac = min(self.qmax, max(self.qmin, self._factor(E)))
        return 1.0 / fac

    def _factor(self, E: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _record(self, E: float) -> None:
        pass


class IController(_Controller):
    """The elementary controller ``h_new = h * safety * E**(-1/k)`` (HNW I, eq. II.4.13)."""

    def _factor(self, E: float) -> float:
        return self.safety * max(E, 1e-10) ** (-1.0 / self.k)


class PIController(_Controller):
    """Gustafsson's PI controller (HNW II §IV.2), the default; see :mod:`solvers.ode.algorithms`.

    ``q = E**beta1 / E_prev**beta2 / safety`` clamped to ``[1/qmax, 1/qmin]``,
    ``h_new = h / q``; ``beta1 = 7/(10 k)``, ``beta2 = 2/(5 k)`` unless given.
    """

    def __init__(self, beta1: float | None = None, beta2: float | None = None, safety: float = 0.9,
                 qmin: float = 0.2, qmax: float = 10.0):
        super().__init__(safety, qmin, qmax)
        self.beta1_given, self.beta2_given = beta1, beta2

    def _reset(self) -> None:
        super()._reset()
        self.beta1 = 7.0 / (10.0 * self.k) if self.beta1_given is None else self.beta1_given
        self.beta2 = 2.0 / (5.0 * self.k) if self.beta2_given is None else self.beta2_given
        self.qold = 1e-4

    def _reject_divisor(self, E: float) -> float:
        return min(1.0 / self.qmin, E**self.beta1 / self.safety)

    def _divisor(self, E: float) -> float:
        q = E**self.beta1 / self.qold**self.beta2 / self.safety
        inv_qmin, inv_qmax = 1.0 / self.qmin, 1.0 / self.qmax
        return inv_qmin if q > inv_qmin else (inv_qmax if q < inv_qmax else q)

    def _record(self, E: float) -> None:
        self.qold = E if E > 1e-4 else 1e-4


class PIDController(_Controller):
    """A three-term digital filter controller (Söderlind 2003, "Digital filters in adaptive time-stepping").

    ``h_new = h * safety * E_n**(-b1/k) * E_{n-1}**(-b2/k) * E_{n-2}**(-b3/k)``
    over the errors of the last three accepted steps; the default
    ``(b1, b2, b3) = (1/4, 1/2, 1/4)`` is Söderlind's H312 filter.
    """

    def __init__(self, beta: tuple = (0.25, 0.5, 0.25), safety: float = 0.9, qmin: float = 0.2,
                 qmax: float = 10.0):
        super().__init__(safety, qmin, qmax)
        if len(beta) != 3:
            raise ValueError(f"PIDController: beta must have three entries, got {beta!r}")
        self.beta = tuple(float(b) for b in beta)

    def _reset(self) -> None:
        super()._reset()
        self.errs = [1.0, 1.0]  # E_{n-1}, E_{n-2} (1: neutral before history exists)

    def _factor(self, E: float) -> float:
        b1, b2, b3 = self.beta
        e0, e1, e2 = max(E, 1e-10), max(self.errs[0], 1e-10), max(self.errs[1], 1e-10)
        return self.safety * e0 ** (-b1 / self.k) * e1 ** (-b2 / self.k) * e2 ** (-b3 / self.k)

    def _record(self, E: float) -> None:
        self.errs = [E, self.errs[0]]


def default_controller(alg) -> PIController:
    """The PI controller with the method's own parameters (the numbers every solve used before)."""
    c = PIController(getattr(alg, "beta1", None), getattr(alg, "beta2", None), getattr(alg, "safety", 0.9),
                     getattr(alg, "qmin", 0.2), getattr(alg, "qmax", 10.0))
    return c
