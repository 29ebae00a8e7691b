"""The accuracy table of docs/guides/testing-derivatives.md, at its coarser tolerance (no rot).

Forward mode through an adaptive solve controls the derivative's error (the dual's norm includes
its partials); reverse mode differentiates the float solve's step sequence. Reference: central
finite differences of a Vern9 solve at rtol 1e-13.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import numeric as nm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import forward_vs_reverse_accuracy as ex  # noqa: E402

from solvers import FBDF, Rosenbrock23, Vern9  # noqa: E402

RTOL = 1e-7


@pytest.fixture(scope="module")
def truth():
    e = 1e-5
    return (ex.loss(ex.D0 + e, Vern9(), 1e-13) - ex.loss(ex.D0 - e, Vern9(), 1e-13)) / (2 * e)


@pytest.mark.parametrize("alg", [Rosenbrock23, FBDF])
def test_forward_mode_error_is_controlled_and_reverse_mode_is_within_the_guide_s_bound(alg, truth):
    f = lambda D: ex.loss(D[0], alg(), RTOL)                         # noqa: E731
    fwd = nm.gradient(f, np.array([ex.D0]))[0]
    rev = nm.gradient(f, np.array([ex.D0]), mode="reverse")[0]
    assert abs(fwd - truth) / abs(truth) < 20 * RTOL             # measured 1.3e-6, 6.2e-8
    assert abs(rev - truth) / abs(truth) < 100 * RTOL            # measured 5.8e-6, 2.1e-6
