"""Port of chebpy's Chebtech calculus and roots cases to numeric.fun.Fun.

Sources (chebpy/chebpy):
* tests/chebtech/test_calculus.py: def_integrals (sum), indef_integrals (cumsum),
  derivatives (diff), each with chebpy's fixed length n and tolerance.
* tests/generic/roots.py: rootstestfuns (roots of adaptively constructed funs, tol = eps).
chebpy works on [-1, 1]; so does every case here (nm.Chebyshev(-1, 1)). chebpy builds the
fixed-length cases with Chebtech.initfun_fixedlen(f, n): here Fun(f, space, n).
"""

import numpy as np
import pytest

import numeric as nm

eps = np.finfo(float).eps
pi = np.pi
sin, cos, exp = np.sin, np.cos, np.exp
SPACE = nm.Chebyshev(-1, 1)

# (function, number of points, integral, tolerance): test_calculus.py def_integrals
DEF_INTEGRALS = [
    (lambda x: sin(x), 14, 0.0, eps),
    (lambda x: sin(4 * pi * x), 40, 0.0, 1e1 * eps),
    (lambda x: cos(x), 15, 1.682941969615793, 2 * eps),
    (lambda x: cos(4 * pi * x), 39, 0.0, 2 * eps),
    (lambda x: exp(cos(4 * pi * x)), 182, 2.532131755504016, 4 * eps),
    (lambda x: cos(3244 * x), 3389, 5.879599674161602e-04, 5e2 * eps),
    (lambda x: exp(x), 15, exp(1) - exp(-1), 2 * eps),
    (lambda x: 1e10 * exp(x), 15, 1e10 * (exp(1) - exp(-1)), 4e10 * eps),
    (lambda x: 0 * x + 1.0, 1, 2, eps),
]

# (function, antiderivative, n, tolerance): indef_integrals (chebpy asserts <= 100 * tol)
INDEF_INTEGRALS = [
    (lambda x: sin(x), lambda x: -cos(x), 15, 2 * eps),
    (lambda x: cos(x), lambda x: sin(x), 15, 2 * eps),
    (lambda x: exp(x), lambda x: exp(x), 15, 5 * eps),
    (lambda x: x**3, lambda x: 0.25 * x**4, 16, 10 * eps),
    (lambda x: 0 * x + 1, lambda x: x, 1, 3.0),
    (lambda x: 0 * x, lambda x: 0 * x, 1, eps),
]

# (function, derivative, n, tolerance): derivatives (chebpy asserts <= 10 * tol)
DERIVATIVES = [
    (lambda x: sin(x), lambda x: cos(x), 15, 30 * eps),
    (lambda x: cos(x), lambda x: -sin(x), 15, 30 * eps),
    (lambda x: exp(x), lambda x: exp(x), 15, 200 * eps),
    (lambda x: x**3, lambda x: 3 * x**2, 16, 30 * eps),
    (lambda x: 0 * x + 1, lambda x: 0 * x, 1, eps),
    (lambda x: 0 * x, lambda x: 0 * x, 1, eps),
]

# (function, roots): generic/roots.py rootstestfuns
ROOTS = [
    (lambda x: 3 * x + 2.0, np.array([-2 / 3])),
    (lambda x: x**2, np.array([0.0, 0.0])),
    (lambda x: x**2 + 0.2 * x - 0.08, np.array([-0.4, 0.2])),
    (lambda x: sin(x), np.array([0])),
    (lambda x: cos(2 * pi * x), np.array([-0.75, -0.25, 0.25, 0.75])),
    (lambda x: sin(100 * pi * x), np.linspace(-1, 1, 201)),
    (lambda x: sin(5 * pi / 2 * x), np.array([-0.8, -0.4, 0, 0.4, 0.8])),
]

XX = np.linspace(-1, 1, 1000)

# case id -> (exception or None for a wrong value, reason): metanum's gaps / conventions
KNOWN = {
    "roots-1": (AssertionError, "convention: a double root (x**2) is reported once, chebpy "
                                "reports it twice"),
}


def check_sum(i):
    f, n, integral, tol = DEF_INTEGRALS[i]
    assert abs(float(nm.Fun(f, SPACE, n).sum()) - integral) <= tol


def check_cumsum(i):
    f, F, n, tol = INDEF_INTEGRALS[i]
    ff, gg = nm.Fun(f, SPACE, n), nm.Fun(F, SPACE, n)
    assert np.max(np.abs(ff.cumsum()(XX) - (gg(XX) - gg(-1.0)))) <= 100 * tol


def check_diff(i):
    f, d, n, tol = DERIVATIVES[i]
    ff, gg = nm.Fun(f, SPACE, n), nm.Fun(d, SPACE, n)
    assert np.max(np.abs(ff.diff()(XX) - gg(XX))) <= 10 * tol


def check_roots(i):
    f, want = ROOTS[i]
    got = np.sort(np.asarray(nm.Fun(f, SPACE).roots(), dtype=float))
    assert got.shape == want.shape, (got, want)
    assert np.max(np.abs(got - want)) <= eps


CHECKS = {"sum": (check_sum, DEF_INTEGRALS), "cumsum": (check_cumsum, INDEF_INTEGRALS),
          "diff": (check_diff, DERIVATIVES), "roots": (check_roots, ROOTS)}


def _params():
    out = []
    for kind, (run, cases) in CHECKS.items():
        for i in range(len(cases)):
            cid = f"{kind}-{i}"
            spec = KNOWN.get(cid)
            marks = [] if spec is None else [
                pytest.mark.xfail(strict=True, raises=spec[0], reason="issue 10: " + spec[1])]
            out.append(pytest.param(run, i, marks=marks, id=cid))
    return out


@pytest.mark.parametrize("run, i", _params())
def test_chebpy_case(run, i):
    """Source: chebpy tests/chebtech/test_calculus.py and tests/generic/roots.py."""
    run(i)
