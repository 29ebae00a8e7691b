"""Builds notebooks/16_pinn.ipynb from the cells below (run: python notebooks/make_16_pinn.py)."""

import pathlib

from _write_notebook import write_notebook

cells = [
    ("md", """# 16 · A physics-informed neural network: derivatives inside the loss

Solve $u'' = -\\pi^2 \\sin(\\pi x)$ on $[0, 1]$ with $u(0) = u(1) = 0$ (exact solution $\\sin \\pi x$) by a
network $u(x; \\theta)$ trained on

$$L(\\theta) = \\frac1m \\sum_i \\big(u_{xx}(x_i; \\theta) + \\pi^2 \\sin \\pi x_i\\big)^2 + u(0;\\theta)^2 + u(1;\\theta)^2 .$$

The loss contains a **second derivative of the network in its input**, and training needs the
**gradient of the loss in the parameters**: a derivative of a derivative. Here $u_{xx}$ is two nested
forward-mode derivatives (a dual number whose parts are dual numbers, over the whole batch of
collocation points at once), and $\\nabla_\\theta L$ is reverse mode over that, so the tape records
dual arithmetic. Nothing in the network code (`solvers/nn.py`) knows about either.
The code is `examples/pinn.py`; set `METANUM_QUICK=1` for the short setting."""),
    ("code", """import os
import pathlib
import sys
import numpy as np
%matplotlib inline
import matplotlib.pyplot as plt
import numeric as nm
sys.path.insert(0, str(pathlib.Path(nm.__file__).resolve().parents[1] / "examples"))  # the repository's examples/
from pinn import collocation_points, exact, make_net, pinn_loss, train, u, u_xx
QUICK = os.environ.get("METANUM_QUICK") == "1"  # the test suite's short setting
iters = dict(adam_iters=100, bfgs_iters=20) if QUICK else dict(adam_iters=2000, bfgs_iters=1000)
print("quick setting" if QUICK else "full setting", iters)"""),
    ("md", """## The nested derivatives, checked

Before training: the network's $u_{xx}$ against a central second difference, and the loss gradient
by reverse mode against the same gradient by forward mode (three nested dual levels) and a central
difference in one parameter."""),
    ("code", """net, x = make_net(16), collocation_points(32)
theta = net.init(0)
h = 1e-4
fd2 = (u(net, x + h, theta) - 2 * u(net, x, theta) + u(net, x - h, theta)) / h ** 2
print("max |u_xx (AD) - second difference| =", float(np.max(np.abs(u_xx(net, x, theta) - fd2))), "(difference error ~ h^2)")
loss = lambda th: pinn_loss(th, net, x)
v_rev, g_rev = nm.value_and_grad(loss, mode="reverse")(theta)
v_fwd, g_fwd = nm.value_and_grad(loss, mode="forward")(theta)
e = np.zeros_like(theta); e[5] = 1e-6
print("reverse vs forward gradient: max difference", float(np.max(np.abs(g_rev - g_fwd))), "of max", float(np.max(np.abs(g_rev))))
print("d L / d theta_5: reverse", g_rev[5], " central difference", (loss(theta + e) - loss(theta - e)) / 2e-6)"""),
    ("md", """## Training: Adam, then BFGS"""),
    ("code", """r = train(**iters)
print(f"loss {r['loss']:.3e}; max |u - sin(pi x)| = {r['max_error']:.2e}; relative L2 error {r['rel_l2_error']:.2e};",
      f"{len(r['history'])} iterations in {r['seconds']:.1f} s ({r['message']})")
fig, ax = plt.subplots(1, 3, figsize=(14, 3.8))
ax[0].semilogy(r["history"]); ax[0].axvline(iters["adam_iters"], color="k", lw=0.5)
ax[0].set(xlabel="iteration (Adam, then BFGS)", ylabel="loss", title="training")
g = r["grid"]
ax[1].plot(g, exact(g), "k-", lw=3, alpha=0.4, label="sin(pi x)")
ax[1].plot(g, np.asarray(u(r["net"], g[:, None], r["theta"])), "C1--", label="network")
ax[1].plot(collocation_points(32)[:, 0], 0 * collocation_points(32)[:, 0], "k|", label="collocation points")
ax[1].set(xlabel="x", title="solution"); ax[1].legend(fontsize=8)
ax[2].plot(g, r["error"]); ax[2].set(xlabel="x", ylabel="u - sin(pi x)", title="error")
fig.tight_layout()"""),
    ("md", """The error is set by the optimiser and the network's size, not by a mesh: the residual is enforced at 32
points only, yet the error between them is as small as at them, because the network is smooth and
its second derivative is exact (no finite differences anywhere)."""),
]

write_notebook(cells, pathlib.Path(__file__).with_name("16_pinn.ipynb"))
