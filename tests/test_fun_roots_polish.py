"""Fun roots are polished on the full series (issue 10: chebpy's roots to eps).

Colleague-matrix eigenvalues of the restricted pieces are backward stable only: a few ulps
off. Newton steps on the whole Chebyshev series make a simple, well-conditioned root as
accurate as the function's values allow. Reference: the exact roots of trigonometric
functions whose roots are known in closed form and exactly representable.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric as nm
from numeric.fun import chebyshev as cheb

eps = np.finfo(float).eps


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 24), st.sampled_from([-1.0, -0.5, 0.0, 0.5, 0.25, 0.125]))
def test_roots_of_shifted_cosines_are_within_an_ulp(k, shift):
    # cos(k pi (x - s) / 2) = 0 at x = s + (2 j + 1) / k: the ones with k a power of two are
    # exactly representable; every root must be within 2 ulps of its exact value
    f = nm.Fun(lambda x: np.cos(k * np.pi * (x - shift) / 2), nm.Chebyshev(-1, 1))
    j = np.arange(-4 * k, 4 * k)
    want = shift + (2 * j + 1) / k
    want = np.sort(want[(want >= -1) & (want <= 1)])
    got = np.asarray(f.roots(), dtype=float)
    assert got.shape == want.shape
    assert np.all(np.abs(got - want) <= 2 * eps * np.maximum(1.0, np.abs(want)))


def test_polish_keeps_a_double_root_and_improves_a_perturbed_one():
    # x**2 (double root): f' ~ 0, the eigenvalue estimate is kept (no step to infinity)
    c = np.array([0.5, 0.0, 0.5])                       # x**2 = (T0 + T2) / 2
    assert np.abs(cheb.polish_roots(c, np.array([1e-9]))[0]) <= 1e-9
    # T3 = 4x^3 - 3x has a root at sqrt(3)/2; a start 1e-10 off converges to it
    t3 = np.array([0.0, 0.0, 0.0, 1.0])
    r = cheb.polish_roots(t3, np.array([np.sqrt(3) / 2 + 1e-10]))[0]
    assert abs(r - np.sqrt(3) / 2) <= eps
