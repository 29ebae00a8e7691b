"""Makes brusselator_ref.npz: the 2-D Brusselator (N = 32) at t = 1.5 by scipy Radau,
rtol 1e-10, atol 1e-12, with jac_sparsity traced by nm.jacobian_sparsity.
Run: PYTHONPATH=. python tests/data/make_brusselator_ref.py (about 10 s)."""
from pathlib import Path

import numpy as np
import scipy
import scipy.integrate as si

import numeric as nm
from solvers.ode.stiff.problems import brusselator_2d

f, u0, _, p = brusselator_2d(32)
P = nm.jacobian_sparsity(lambda y: f(y, p, 0.0), u0, mode="global")
r = si.solve_ivp(lambda t, y: f(y, p, t), (0.0, 1.5), u0, method="Radau", rtol=1e-10, atol=1e-12,
                 jac_sparsity=P)
np.savez_compressed(Path(__file__).with_name("brusselator_ref.npz"), t=1.5, u=r.y[:, -1],
                    how=f"scipy {scipy.__version__} Radau rtol 1e-10 atol 1e-12 jac_sparsity, N=32, t=1.5")
