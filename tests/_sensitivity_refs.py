"""Independent reference sensitivities for the forward-sensitivity tests.

Lotka–Volterra ``u' = [a x - b x y, -c y + d x y]``: the forward sensitivity
equations ``S' = f_u S + f_p`` with the Jacobians written by hand (not by any
metanum code), solved by scipy's DOP853 at rtol 1e-13 — the derivative of the
exact solution to about 1e-11, against which a tolerance-1e-8 solve is checked.
Central differences of a tight float solve give a second, cruder check.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

P0 = (1.5, 1.0, 3.0, 1.0)
U0 = (1.0, 1.0)
SAVE = np.arange(0.0, 11.0)


def lotka(u, p, t):
    a, b, c, d = p
    x, y = u[0], u[1]
    return np.array([a * x - b * x * y, -c * y + d * x * y])


def _augmented(t, z, a, b, c, d):
    x, y = z[0], z[1]
    S = z[2:].reshape(2, 6)          # d(x, y)/d(a, b, c, d, x0, y0)
    fu = np.array([[a - b * y, -b * x], [d * y, -c + d * x]])
    fp = np.array([[x, -x * y, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, -y, x * y, 0.0, 0.0]])
    return np.concatenate([[a * x - b * x * y, -c * y + d * x * y], (fu @ S + fp).ravel()])


def lotka_reference(p=P0, u0=U0, t_eval=SAVE) -> tuple:
    """``(u, S)`` at *t_eval*: u (T, 2), S (T, 2, 6) with columns d/d(a, b, c, d, x0, y0)."""
    S0 = np.zeros((2, 6))
    S0[0, 4] = S0[1, 5] = 1.0
    z0 = np.concatenate([u0, S0.ravel()])
    sol = solve_ivp(_augmented, (t_eval[0], t_eval[-1]), z0, method="DOP853", rtol=1e-13, atol=1e-14,
                    t_eval=t_eval, args=tuple(p))
    return sol.y[:2].T, sol.y[2:].T.reshape(-1, 2, 6)


def loss_gradient_reference(p=P0) -> np.ndarray:
    """Gradient wrt (a, b, c, d) of L = sum over t = 0..10 of x(t) + y(t)."""
    _, S = lotka_reference(p)
    return S[:, :, :4].sum(axis=(0, 1))


# ROBER with log rate constants q = log(k1, k2, k3) (k = 0.04, 3e7, 1e4)
LOGK = tuple(float(v) for v in np.log([0.04, 3e7, 1e4]))
ROBER_U0 = (1.0, 0.0, 0.0)


def rober(u, q, t):
    import numeric as nm

    k1, k2, k3 = nm.exp(q[0]), nm.exp(q[1]), nm.exp(q[2])
    y1, y2, y3 = u[0], u[1], u[2]
    return np.array([-k1 * y1 + k3 * y2 * y3, k1 * y1 - k2 * y2 * y2 - k3 * y2 * y3, k2 * y2 * y2])


def _rober_augmented(t, z, q):
    k1, k2, k3 = np.exp(q)
    y1, y2, y3 = z[:3]
    S = z[3:].reshape(3, 3)          # d(y1, y2, y3)/d(log k1, log k2, log k3)
    fu = np.array([[-k1, k3 * y3, k3 * y2],
                   [k1, -2 * k2 * y2 - k3 * y3, -k3 * y2],
                   [0.0, 2 * k2 * y2, 0.0]])
    fq = np.array([[-k1 * y1, 0.0, k3 * y2 * y3],
                   [k1 * y1, -k2 * y2 * y2, -k3 * y2 * y3],
                   [0.0, k2 * y2 * y2, 0.0]])
    f = [-k1 * y1 + k3 * y2 * y3, k1 * y1 - k2 * y2 * y2 - k3 * y2 * y3, k2 * y2 * y2]
    return np.concatenate([f, (fu @ S + fq).ravel()])


def rober_reference(t_eval, q=LOGK) -> tuple:
    """``(u, S)`` of ROBER at *t_eval* (from 0): u (T, 3), S (T, 3, 3) = du/dlog k, by scipy Radau
    on the hand-written sensitivity equations at rtol 1e-12."""
    z0 = np.concatenate([ROBER_U0, np.zeros(9)])
    sol = solve_ivp(_rober_augmented, (0.0, t_eval[-1]), z0, method="Radau", rtol=1e-12, atol=1e-16,
                    t_eval=t_eval, args=(np.array(q),))
    return sol.y[:3].T, sol.y[3:].T.reshape(-1, 3, 3)
