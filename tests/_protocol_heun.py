"""A small method written against the stepper protocol (solvers/ode/stepper.py), for tests of the
loop and the integrator object: Heun (order 2) with the Euler step as embedded estimate, cubic
Hermite dense output, every optional hook recorded (accept, reinit, propose_dt, the options)."""

from __future__ import annotations


class HermiteSegment:
    """Cubic Hermite interpolant over [t, t + h]."""

    def __init__(self, t, h, u0, u1, f0, f1):
        self.t, self.h, self.u0, self.u1, self.f0, self.f1 = t, h, u0, u1, f0, f1

    def theta(self, t_abs):
        return (t_abs - self.t) / self.h

    def __call__(self, th):
        h00, h10 = (1 + 2 * th) * (1 - th) ** 2, th * (1 - th) ** 2
        h01, h11 = th * th * (3 - 2 * th), th * th * (th - 1)
        return h00 * self.u0 + h10 * self.h * self.f0 + h01 * self.u1 + h11 * self.h * self.f1


class HeunEuler:
    """Heun's method (order 2) with the Euler step as embedded estimate; ``own=True`` makes it
    choose its own step sizes (a plain I controller in ``propose_dt``)."""

    name, order, adaptive, needs_jacobian, own_controller = "HeunEuler", 2, True, False, False

    def __init__(self, own=False):
        self.own_controller = own
        self.seen_options = None

    def make_stepper(self, ctx):
        self.seen_options = ctx.options
        return HeunStepper(ctx, self.own_controller)


class HeunStepper:
    fsal = True

    def __init__(self, ctx, own):
        self.f, self.p, self.norm, self.own = ctx.f, ctx.p, ctx.norm, own
        self.accepted = 0
        self.reinits = []

    def step(self, t, u, f0, h):
        k1 = self.f(u, self.p, t) if f0 is None else f0
        k2 = self.f(u + h * k1, self.p, t + h)
        u_new = u + h / 2 * (k1 + k2)
        E = self.norm(h / 2 * (k2 - k1), u, u_new)
        f_new = self.f(u_new, self.p, t + h)
        return u_new, E, f_new, HermiteSegment(t, h, u, u_new, k1, f_new)

    def accept(self, t_new, u_new, h):
        self.accepted += 1

    def reinit(self, t, u):
        self.reinits.append((t, u))

    def propose_dt(self, h, E, accepted):   # used only when own_controller
        return h * min(5.0, max(0.2, 0.9 * max(float(E), 1e-10) ** -0.5))
