"""Stochastic differential equations ``du = f(u, p, t) dt + g(u, p, t) dW`` (Itô or Stratonovich).

Noise
-----
* diagonal (``noise_dim=None``, the default): ``g`` returns an array of the
  shape of ``u``; component ``i`` is driven by its own Wiener process,
  ``du_i = f_i dt + g_i dW_i``.
* general (``noise_dim=m``): ``g`` returns shape ``u.shape + (m,)`` and
  ``u`` is driven by ``m`` Wiener processes, ``du = f dt + g @ dW``.

Interpretation
--------------
``interpretation="ito"`` (the default) or ``"stratonovich"`` (``g ∘ dW``).
Each method solves one of them (StochasticHeun: Stratonovich; the others:
Itô; SRA1, for additive noise where the two agree: both) and refuses the
other, since the solutions differ by the drift ``(1/2) g dg/du``.

Batches
-------
``solve(..., batch=B)`` integrates ``B`` independent paths as one array of
shape ``(B,) + u0.shape``: ``f`` and ``g`` then receive that batch, so write
them to broadcast over leading axes (index components as ``u[..., i]``).

Number types
------------
Nothing here names a number type: ``u0`` and ``p`` may hold any numbers of
the protocol. With a ``Dual`` parameter the solve returns pathwise
derivatives ``d u(T) / d p`` along the same Brownian path.

Examples
--------
>>> import numpy as np
>>> gbm = SDEProblem(lambda u, p, t: p[0] * u, lambda u, p, t: p[1] * u, 1.0, (0.0, 1.0),
...                  (0.5, 0.2))
>>> gbm.noise_shape(None)
()
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["SDEProblem"]


@dataclass
class SDEProblem:
    """``du = f(u, p, t) dt + g(u, p, t) dW`` on ``tspan`` from ``u0`` (Itô).

    Parameters
    ----------
    f, g : callable ``(u, p, t) -> array``
        Drift and diffusion (see the module doc for ``g``'s shape).
    u0 : scalar or array
    tspan : (t0, tf)
    p : any, optional
    noise_dim : int, optional
        Number ``m`` of Wiener processes for general (matrix) noise.
    interpretation : {"ito", "stratonovich"}
        How ``g dW`` is read (see the module doc).
    """

    f: Callable
    g: Callable
    u0: Any
    tspan: tuple
    p: Any = None
    noise_dim: int | None = None
    interpretation: str = "ito"

    def __post_init__(self) -> None:
        if self.interpretation not in ("ito", "stratonovich"):
            raise ValueError(f"interpretation must be 'ito' or 'stratonovich', got "
                             f"{self.interpretation!r}")
        if not callable(self.f) or not callable(self.g):
            raise TypeError("SDEProblem needs callables f(u, p, t) and g(u, p, t)")
        if len(self.tspan) != 2:
            raise ValueError(f"tspan must be (t0, tf), got {self.tspan!r}")
        t0, tf = self.tspan
        if not (math.isfinite(float(t0)) and math.isfinite(float(tf)) and tf > t0):
            raise ValueError(f"tspan must be finite with tf > t0, got {self.tspan!r}")
        self.tspan = (float(t0), float(tf))
        if self.noise_dim is not None and (int(self.noise_dim) != self.noise_dim
                                           or self.noise_dim < 1):
            raise ValueError(f"noise_dim must be a positive integer (number of Wiener "
                             f"processes), got {self.noise_dim!r}")

    @property
    def state_shape(self) -> tuple:
        return tuple(np.shape(self.u0))

    def noise_shape(self, batch: int | None) -> tuple:
        """Shape of one increment ``dW`` (with the batch axis when *batch* is given)."""
        lead = () if batch is None else (int(batch),)
        if self.noise_dim is None:
            return lead + self.state_shape
        return lead + (int(self.noise_dim),)

    def remake(self, **changes: Any) -> "SDEProblem":
        """A copy with some fields replaced (for ``prob_func`` of an ensemble)."""
        fields = dict(f=self.f, g=self.g, u0=self.u0, tspan=self.tspan, p=self.p,
                      noise_dim=self.noise_dim, interpretation=self.interpretation)
        fields.update(changes)
        return SDEProblem(**fields)

    def _solve(self, algorithm: Any = None, **options: Any):
        """Entry point used by ``solvers.solve`` (see :func:`solvers.sde.algorithms.integrate`)."""
        from solvers.sde.algorithms import EulerMaruyama, integrate
        return integrate(self, EulerMaruyama() if algorithm is None else algorithm, **options)
