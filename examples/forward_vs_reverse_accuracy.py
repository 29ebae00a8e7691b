"""How accurate are forward- and reverse-mode gradients through an adaptive solve?

A dual state's error norm includes its partials, so the adaptive steps control the derivative's
error; the reverse tape's state takes the float solve's steps. This script measures both against
finite differences of a tight Vern9 solve, on a 12-state heat equation with a mean-field term:
``u' = D A u - mean(u) u``, ``u(0) = sin(pi x)``, the derivative of ``sum(u(0.1))`` in ``D``.

Run: ``PYTHONPATH=$PWD python examples/forward_vs_reverse_accuracy.py`` (about 10 s).
"""

import numpy as np

import numeric as nm
from solvers import FBDF, KenCarp4, ODEProblem, Rodas5P, Rosenbrock23, Vern9, solve

N = 12
X = np.linspace(0.0, 1.0, N + 2)[1:-1]
A = (np.diag(-2 * np.ones(N)) + np.diag(np.ones(N - 1), 1) + np.diag(np.ones(N - 1), -1)) / (X[1] - X[0]) ** 2
D0 = 0.05


def rhs(u, D, t):
    return D * (A @ u) - np.mean(u) * u


def loss(D, alg, rtol):
    prob = ODEProblem(rhs, np.sin(np.pi * X), (0.0, 0.1), D)
    return np.sum(solve(prob, alg, rtol=rtol, atol=rtol * 1e-2).u[-1])


def main() -> None:
    e = 1e-5
    truth = (loss(D0 + e, Vern9(), 1e-13) - loss(D0 - e, Vern9(), 1e-13)) / (2 * e)
    print("| method, rtol | forward mode | reverse mode |\n|---|---|---|")
    for alg in (Rosenbrock23(), FBDF(), KenCarp4(), Rodas5P()):
        for rtol in (1e-7, 1e-9):
            f = lambda D: loss(D[0], alg, rtol)                       # noqa: E731
            fwd = nm.gradient(f, np.array([D0]))[0]
            rev = nm.gradient(f, np.array([D0]), mode="reverse")[0]
            print(f"| {type(alg).__name__}, {rtol:g} | {abs(fwd - truth) / abs(truth):.1e} | "
                  f"{abs(rev - truth) / abs(truth):.1e} |")


if __name__ == "__main__":
    main()
