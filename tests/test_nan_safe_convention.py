"""The NaN-safe convention at masked singularities, forward against reverse (issue 10, item 3).

Convention (docs/decisions.md, "NaN-safe semantics: where forward and reverse differ"):
forward mode is ForwardDiff's NaN-safe mode: a non-finite local derivative times a partial
that is exactly zero contributes 0; a finite (even zero) local derivative times a non-finite
partial is IEEE (0 * inf = nan). Reverse mode applies the same rule to cotangents: a
non-finite local derivative times an exactly zero cotangent contributes 0. Both modes agree
wherever the zero is structural (an unused seed, a masked np.where branch, an index that
does not reach the singular element). They differ, by design, where the zero is a value that
merely happens to be 0 (x[0] = 0 as a multiplier): each mode then sees the zero on a different
side of the product, and neither can tell a structural zero from a value zero without
tracking sparsity. The cases below pin both results, so a change of either is deliberate.
"""

import warnings

import numpy as np
import pytest

import numeric as nm

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _both(f, x, jac=False):
    g = nm.jacobian if jac else nm.gradient
    return (np.asarray(g(f, np.array(x))), np.asarray(g(f, np.array(x), mode="reverse")))


AGREE = [
    # structural zeros: both modes give the mathematically expected value
    (lambda x: x[0] * x[0] + x[1] * x[1], [np.nan, 1.0], [np.nan, 2.0]),
    (lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)), [0.0, 1.0], [0.0, 0.5]),
    (lambda x: np.sqrt(x[0]) + x[1] * x[1], [0.0, 1.0], [np.inf, 2.0]),
    (lambda x: x[0] * np.log(x[1]) + x[1], [0.0, 1.0], [0.0, 1.0]),
    (lambda x: x[0] * np.log(x[1]) + x[1], [1.0, 0.0], [-np.inf, np.inf]),
]


@pytest.mark.parametrize("f, x, want", AGREE)
def test_structural_zeros_agree(f, x, want):
    fwd, rev = _both(f, x)
    np.testing.assert_array_equal(fwd, want)
    np.testing.assert_array_equal(rev, want)


def test_value_zero_multiplier_differs_by_design():
    # d/dx0 of sqrt(x0) * x0 at 0 is 0 (= 1.5 sqrt(x0)). Forward: the tangent of sqrt(x)[0]
    # is inf (a real, non-zero seed), times the value x0 = 0: IEEE nan, as ForwardDiff (and
    # JAX) give. Reverse: the cotangent reaching sqrt(x)[0] is the value x0 = 0, so the
    # NaN-safe backward pass drops inf * 0: 0.
    fwd, rev = _both(lambda x: np.sqrt(x) * x[0], [0.0, 1.0], jac=True)
    np.testing.assert_array_equal(fwd, [[np.nan, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(rev, [[0.0, 0.0], [1.0, 0.0]])


def test_value_zero_tangent_differs_by_design():
    # d/dx sqrt(x*x) at 0 (|x|, no derivative; the table's abs convention says 0). Forward:
    # the tangent of x*x is 2x = 0 exactly, so inf * 0 is dropped: 0. Reverse: the cotangent of
    # sqrt is 1 (not zero), inf * 1 = inf, then times 2x = 0 in the product rule: nan.
    fwd, rev = _both(lambda x: np.sum(np.sqrt(x * x)), [0.0, 1.0])
    np.testing.assert_array_equal(fwd, [0.0, 1.0])
    np.testing.assert_array_equal(rev, [np.nan, 1.0])


def test_reverse_scalar_and_array_nodes_agree():
    # regression: the scalar tape's NaN-safe check looked only at Python floats, and x[0] of a
    # float array is an np.float64, so 0 * inf stayed nan through a scalar node (0 through an
    # array node). Both now drop a non-finite partial under an exactly zero cotangent.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scalar = nm.gradient(lambda x: np.sqrt(x[0]) * x[0] + x[1], np.array([0.0, 1.0]),
                             mode="reverse")
        array = nm.gradient(lambda x: np.sum(np.sqrt(x) * x[0]) - np.sqrt(x[1]) * x[0] + x[1],
                            np.array([0.0, 1.0]), mode="reverse")
    np.testing.assert_array_equal(scalar, array)
    np.testing.assert_array_equal(scalar, [0.0, 1.0])


COMPILED = [
    # scalar programs (compilable): the interpreted reverse result is the reference
    (lambda x: np.sqrt(x[0]) * x[0] + x[1], [0.0, 1.0], [0.0, 1.0]),
    (lambda x: np.sqrt(x[0]) + x[1] * x[1], [0.0, 1.0], [np.inf, 2.0]),
    (lambda x: x[0] * np.log(x[1]) + x[1], [0.0, 1.0], [0.0, 1.0]),
    (lambda x: x[0] * x[0] + x[1] * x[1], [np.nan, 1.0], [np.nan, 2.0]),
]


@pytest.mark.parametrize("method", ["straight", "loop"])
def test_compiled_tapes_follow_the_same_convention(method):
    # regression: numba's default error model raised ZeroDivisionError at the singular
    # point (1 / sqrt(0)), and the straight-line backward sweep multiplied a zero cotangent
    # by inf; compiled tapes now give IEEE values and the NaN-safe rule, as the interpreter
    for f, x, want in COMPILED:
        compiled = nm.record(f, np.array([1.0, 2.0])).compile(method)
        np.testing.assert_array_equal(compiled.gradient(np.array(x)), want)
        np.testing.assert_array_equal(nm.gradient(f, np.array(x), mode="reverse"), want)
