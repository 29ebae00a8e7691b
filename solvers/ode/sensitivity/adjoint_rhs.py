"""Vector-Jacobian products of the right-hand side, ``lambda^T f_u`` and ``lambda^T f_p``, for the adjoints.

The adjoint equations need, at each evaluation, ``lambda^T df/du`` and
``lambda^T df/dp`` at a point ``(u, p, t)`` of the forward trajectory. Both
come from one reverse sweep over the tape of the scalar ``h(u, p, lambda, t)
= lambda . f(u, p, t)``: its gradient with respect to ``u`` and ``p`` is the
pair of VJPs. The tape of ``h`` is recorded once (``nm.record``) and replayed
at every later point; a replay whose guard fails (``f`` branches another
way at the new point) is answered by taping ``h`` afresh there (and that
tape becomes the recording replayed next). A recording that may not be
replayed at all (``f`` took a value out with ``nm.value``, or holds a
``custom_vjp`` primitive such as a network of :mod:`solvers.nn` evaluated as
one node) is replaced by an ordinary reverse sweep over a fresh tape at every call.

The Jacobian ``[f_u f_p]`` (forward mode, one vectorised pass per chunk) is
offered to stiff methods solving the adjoint, whose Jacobian it is up to
sign and transposition.

Everything works on flat vectors: ``u`` is reshaped to the problem's state
shape and ``p`` to the parameter shape before ``f`` sees them.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from numeric.backend import device_of, has_numba, is_foreign, namespace, reshape

__all__ = ["RhsVJP"]


class RhsVJP:
    """``lambda^T f_u`` and ``lambda^T f_p`` of ``f(u, p, t)`` at flat float vectors.

    Parameters
    ----------
    f : callable
        The user's ``f(u, p, t)``.
    u_shape : tuple
        Shape of the state.
    p : any
        The parameter value (a float or float array when *with_p*; any
        constant otherwise).
    with_p : bool
        Also differentiate with respect to ``p`` (it is a flat float vector
        of ``np.size(p)`` entries then).
    compile : bool
        Try the compiled kernel first (default); False: the tape's replay only.

    Examples
    --------
    >>> import numpy as np
    >>> v = RhsVJP(lambda u, p, t: -p * u, (2,), np.array([2.0, 3.0]), True)
    >>> v(np.array([1.0, 1.0]), 0.0, np.array([1.0, 10.0]))
    (array([ -2., -30.]), array([ -1., -10.]))
    """

    def __init__(self, f: Callable, u_shape: tuple, p: Any, with_p: bool, compile: bool = True):
        self.f, self.u_shape, self.with_p = f, tuple(u_shape), with_p
        self.p = p
        self.p_shape = tuple(np.shape(p)) if with_p else ()
        self.n = int(np.prod(self.u_shape))
        self.m = int(np.size(p)) if with_p else 0
        self._rec: Any = None
        self._unreplayable = False
        self._kernel: Any = None
        self._kernel_tried = not compile
        self.replays = 0
        self.retapes = 0
        self.kernel_calls = 0
        self.kernel_message = "not tried" if compile else "compile=False"

    # -- the scalar h and its flat argument --------------------------------------------
    def _state(self, z: Any) -> Any:
        u = z[:self.n]
        return u.reshape(self.u_shape) if self.u_shape != (self.n,) else u

    def _param(self, z: Any) -> Any:
        if not self.with_p:
            return self.p
        q = z[self.n:self.n + self.m]
        return q[0] if self.p_shape == () else q.reshape(self.p_shape)

    def _h(self, z: Any) -> Any:
        k = self.n + self.m
        fu = self.f(self._state(z), self._param(z), z[-1])
        fu = fu if len(np.shape(fu)) == 1 else np.reshape(fu, (-1,))
        lam = z[k:k + self.n]
        if isinstance(fu, np.ndarray) and fu.dtype == object:
            # f built its result with np.array([...]) of tracked scalars: pair them one by one
            total = fu[0] * lam[0]
            for i in range(1, self.n):
                total = total + fu[i] * lam[i]
            return total
        return np.sum(fu * lam)

    def _z(self, u, t, lam) -> np.ndarray:
        if is_foreign(u):           # on the state's device: (u, p, lambda, t) joined there
            xp, dev = namespace(u), device_of(u)
            tv = xp.asarray([float(t)], dtype=u.dtype, device=dev)
            pf = [reshape(self.p, (-1,))] if self.with_p else []
            return xp.concat([reshape(u, (-1,)), *pf, reshape(lam, (-1,)), tv])
        pf = np.ravel(np.asarray(self.p, dtype=float)) if self.with_p else np.zeros(0)
        return np.concatenate([np.ravel(u), pf, np.ravel(lam), [float(t)]])

    # -- the VJPs -------------------------------------------------------------------------
    def __call__(self, u: np.ndarray, t: float, lam: np.ndarray) -> tuple:
        """``(lambda^T f_u, lambda^T f_p)`` as flat arrays (the second is empty without p)."""
        g = self._kernel_gradient(u, t, lam)
        if g is not None:
            return g[:self.n], g[self.n:]
        g = self._gradient(self._z(u, t, lam))
        return g[:self.n], g[self.n:self.n + self.m]

    def kernel(self, u: np.ndarray, t: float) -> Any:
        """The compiled adjoint kernel (:mod:`numeric.reverse.compile_vjp`) and its ``pp``, or None.

        Tried once, at the first point asked; ``kernel_message`` says why there is none.
        """
        if not self._kernel_tried:
            self._kernel_tried = True
            self._kernel = self._compile(u, t)
        return self._kernel

    def _compile(self, u: np.ndarray, t: float) -> Any:
        from numeric.reverse.compile_jvp import SIGNATURE  # noqa: F401  (numba present)
        from numeric.reverse.compile_vjp import vjp_rhs

        if len(self.u_shape) > 1:
            self.kernel_message = "the state is not a scalar or a 1-D array"
            return None
        if not has_numba(namespace(u, self.p if self.with_p else None)):
            self.kernel_message = "the state is on another array library's device (numba takes NumPy arrays)"
            return None
        if self.with_p:
            pv = np.asarray(self.p)
            if pv.dtype.kind not in "fiu":
                self.kernel_message = "p is not a float array"
                return None
            pf = np.ravel(pv.astype(float))
            shape = self.p_shape

            def p_struct(leaves):
                if shape == ():
                    return leaves[0]
                out = np.empty(len(leaves), dtype=object)
                out[:] = leaves
                return out.reshape(shape)
        else:
            pf = np.zeros(0)

            def p_struct(leaves):
                return self.p
        u_rec = float(u[0]) if self.u_shape == () else np.asarray(u, dtype=float)
        try:
            k = vjp_rhs(self.f, u_rec, pf, float(t), p_struct)
        except Exception as e:  # f does not record as a scalar program: the tape's replay
            self.kernel_message = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
            return None
        from solvers.ode.compiled import POINTER_RHS

        POINTER_RHS.add(k.rhs)
        self.kernel_message = f"compiled: {k.nodes} recorded operations"
        return k, np.concatenate([pf, [0.0]])

    def _kernel_gradient(self, u: np.ndarray, t: float, lam: np.ndarray) -> Any:
        """``-(adjoint part)`` from the kernel, or None when there is none or its guard failed."""
        kp = self.kernel(u, t)
        if kp is None:
            return None
        k, pp = kp
        out = k.rhs(np.concatenate([np.ravel(u), np.ravel(lam), np.zeros(self.m)]), pp, float(t))
        if pp[-1] != 0:
            self._kernel, self.kernel_message = None, f"guard {int(pp[-1])} failed: the tape's replay"
            return None
        self.kernel_calls += 1
        return -out[self.n:]

    def _gradient(self, z: np.ndarray) -> np.ndarray:
        import numeric as nm
        from numeric.reverse import GuardError

        if self._unreplayable or not has_numba(namespace(z)):
            # (a device array: the recorded replay is a NumPy fast path; a fresh tape at every call)
            self.retapes += 1
            return nm.gradient(self._h, z, mode="reverse")
        if self._rec is not None:
            try:
                g = self._rec.gradient(z)
                self.replays += 1
                return g
            except GuardError:
                pass
        rec = nm.record(self._h, z)
        self.retapes += 1
        if rec.unguarded is not None:
            # not replayable (f took a value out, or holds a custom_vjp primitive such as a
            # network of solvers.nn): an ordinary reverse sweep at every call
            self._unreplayable, self._rec = True, None
            return nm.gradient(self._h, z, mode="reverse")
        self._rec = rec
        return rec.gradient(z)

    def rhs(self, u: np.ndarray, t: float) -> np.ndarray:
        """``f(u, p, t)`` flat, at a flat float state."""
        fu = self.f(self._state(u), self.p, t)
        return reshape(fu, (-1,)) if is_foreign(fu) else np.ravel(np.asarray(fu, dtype=float))

    def jacobian(self, u: np.ndarray, t: float) -> np.ndarray:
        """``[f_u f_p]``, shape ``(n, n + m)``, by forward mode at a flat float state."""
        import numeric as nm

        pf = np.ravel(np.asarray(self.p, dtype=float)) if self.with_p else np.zeros(0)
        z = np.concatenate([np.ravel(u), pf])

        def flat_f(w):
            return np.reshape(self.f(self._state(w), self._param(w), t), (-1,))

        return np.reshape(nm.jacobian(flat_f, z), (self.n, self.n + self.m))
