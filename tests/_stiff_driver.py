"""A minimal private step loop for the stiff steppers (until the integrator object lands).

step / accept / I-controller, fixed steps when ``adaptive=False``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from solvers.ode.solution import Stats
from solvers.ode.steppers import ScaledNorm


def drive(alg, f, u0, tspan, p=None, *, rtol=1e-6, atol=1e-8, dt=None, adaptive=True, maxiters=100000, **options):
    t0, tf = tspan
    stats = Stats()
    f0 = f(u0, p, t0)
    ctx = SimpleNamespace(f=f, p=p, t0=t0, u0=u0, f0=f0, norm=ScaledNorm(atol, rtol), atol=atol, rtol=rtol,
                          stats=stats, adaptive=adaptive, dense=False, options=options)
    st = alg.make_stepper(ctx)
    if hasattr(st, "initialize"):
        u0 = st.initialize(t0, u0)
        f0 = f(u0, p, t0)
    t, u, h = t0, u0, (dt if dt is not None else (tf - t0) * 1e-6)
    q = alg.error_order
    for _ in range(maxiters):
        if t >= tf:
            return SimpleNamespace(t=t, u=u, stats=stats, u0=u0)
        h = min(h, tf - t)
        u1, E, f1, seg = st.step(t, u, f0, h)
        if not adaptive or E <= 1:
            t, u, f0 = t + h, u1, f1
            stats.naccept += 1
            if hasattr(st, "accept"):
                st.accept(t, u, h)
        else:
            stats.nreject += 1
        if adaptive:
            En = float(np.real(E)) if np.isfinite(float(E)) else 1e10
            h = h * min(5.0, max(0.2, 0.9 * (max(En, 1e-10)) ** (-1.0 / q)))
    raise RuntimeError("maxiters")
