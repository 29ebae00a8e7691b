"""A physics-informed neural network for ``u'' = -pi^2 sin(pi x)`` on [0, 1], ``u(0) = u(1) = 0``.

The exact solution is ``u = sin(pi x)``. The model is ``u(x) = net(x; theta)`` with
``Chain(Dense(1, w, tanh), Dense(w, w, tanh), Dense(w, 1))``; the loss (Raissi, Perdikaris &
Karniadakis, J. Comput. Phys. 378 (2019) 686, eq. (4) in this form) is

    mean over collocation points of (u''(x_i) + pi^2 sin(pi x_i))^2 + u(0)^2 + u(1)^2.

``u''`` is taken by nested automatic differentiation *inside* the loss: two nested forward-mode
derivatives in x (a dual number of dual numbers, :func:`numeric.derivative` twice, over the
whole batch of points at once), and the loss's gradient in ``theta`` by reverse mode
(``mode="reverse"``), so the tape records dual arithmetic: reverse over forward over forward.
Training: Adam (lr 0.01), then BFGS.

Run: ``python examples/pinn.py [--quick]``
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

import numeric as nm
from solvers.nn import Chain, Dense
from solvers.optimize import adam, bfgs

__all__ = ["make_net", "collocation_points", "u", "u_xx", "pinn_loss", "train", "exact", "main"]


def make_net(width: int = 16) -> Chain:
    """``Chain(Dense(1, width, tanh), Dense(width, width, tanh), Dense(width, 1))``."""
    return Chain(Dense(1, width, "tanh"), Dense(width, width, "tanh"), Dense(width, 1))


def collocation_points(m: int = 32) -> np.ndarray:
    """``m`` interior points of [0, 1] (Chebyshev points of the first kind), shape ``(m, 1)``."""
    return ((1 - np.cos(np.pi * (np.arange(m) + 0.5) / m)) / 2)[:, None]


def exact(x: Any) -> Any:
    """The solution ``sin(pi x)``."""
    return np.sin(np.pi * np.asarray(x))


def u(net: Chain, x: Any, theta: Any) -> Any:
    """The network's ``u`` at points ``x`` of shape ``(m, 1)``: shape ``(m,)``."""
    return net(x, theta)[..., 0]


def u_xx(net: Chain, x: Any, theta: Any) -> Any:
    """``d^2 u / dx^2`` at every point by two nested forward-mode derivatives (one batch).

    The points are independent, so ``d/ds u(x + s)`` with one scalar ``s`` gives every point's
    derivative at once; nesting it gives the second derivative.

    Examples
    --------
    >>> net = make_net(4); th = net.init(0); x = collocation_points(3)
    >>> h = 1e-4
    >>> fd = (u(net, x + h, th) - 2 * u(net, x, th) + u(net, x - h, th)) / h ** 2
    >>> bool(np.allclose(u_xx(net, x, th), fd, atol=1e-5))
    True
    """
    def du(s):
        return nm.derivative(lambda r: u(net, x + s + r, theta), 0.0)
    return nm.derivative(du, 0.0)


def pinn_loss(theta: Any, net: Chain, x: np.ndarray) -> Any:
    """``mean (u'' + pi^2 sin(pi x))^2 + u(0)^2 + u(1)^2``."""
    residual = u_xx(net, x, theta) + np.pi ** 2 * np.sin(np.pi * x[:, 0])
    boundary = u(net, np.array([[0.0], [1.0]]), theta)
    return np.mean(residual * residual) + np.sum(boundary * boundary)


def train(*, width: int = 16, points: int = 32, adam_iters: int = 2000, bfgs_iters: int = 1000,
          seed: int = 0, mode: str = "reverse") -> dict:
    """Adam then BFGS from ``make_net(width).init(seed)``; errors against ``sin(pi x)``.

    Examples
    --------
    >>> r = train(width=4, points=8, adam_iters=3, bfgs_iters=0)
    >>> len(r["history"]), r["theta"].shape
    (3, (33,))
    """
    net, x = make_net(width), collocation_points(points)

    def loss(theta):
        return pinn_loss(theta, net, x)

    start = time.perf_counter()
    stage1 = adam(loss, net.init(seed), lr=1e-2, maxiter=adam_iters, mode=mode)
    stage2 = bfgs(loss, stage1.x, maxiter=bfgs_iters, gtol=1e-10, mode=mode) \
        if bfgs_iters else stage1
    seconds = time.perf_counter() - start
    grid = np.linspace(0.0, 1.0, 1001)[:, None]
    err = np.asarray(u(net, grid, stage2.x)) - exact(grid[:, 0])
    history = stage1.history + (stage2.history if stage2 is not stage1 else [])
    return {"theta": stage2.x, "net": net, "loss": stage2.fun, "history": history,
            "max_error": float(np.max(np.abs(err))),
            "rel_l2_error": float(np.linalg.norm(err) / np.linalg.norm(exact(grid[:, 0]))),
            "seconds": seconds, "message": stage2.message, "grid": grid[:, 0], "error": err}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100 Adam + 20 BFGS iterations")
    args = ap.parse_args(argv)
    iters = dict(adam_iters=100, bfgs_iters=20) if args.quick else {}
    r = train(**iters)
    print(f"PINN: loss {r['loss']:.3e}, max |u - sin(pi x)| = {r['max_error']:.2e}, "
          f"relative L2 error {r['rel_l2_error']:.2e}, {len(r['history'])} iterations, "
          f"{r['seconds']:.1f} s ({r['message']})")
    return r


if __name__ == "__main__":
    main()
