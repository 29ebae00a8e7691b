"""Object arrays (and lists) of AD scalars as operands of array functions carry their derivatives.

``np.array([x[2] * x[3], x[0] * x[1]])`` is an object ndarray of scalar duals (or tracked
numbers); joined with an array number type by ``np.stack``/``np.concatenate`` or multiplied by
``np.dot``, it was taken as a constant: forward and reverse mode both returned a gradient
missing its terms, silently. Checked against the exact gradient, in every mode.
"""

import numpy as np
import pytest

import numeric as nm

X = np.array([0.3, -1.2, 0.7, 1.9])


def _pair(v, kind):
    items = [v[2] * v[3], v[0] * v[1]]
    return np.array(items) if kind == "ndarray" else items


CASES = {
    "stack": (lambda v, k: np.sum(np.stack([v[:2], _pair(v, k)]) ** 2),
              lambda v: np.array([2 * v[0] + 2 * v[0] * v[1] ** 2, 2 * v[1] + 2 * v[1] * v[0] ** 2,
                                  2 * v[2] * v[3] ** 2, 2 * v[3] * v[2] ** 2])),
    "concatenate": (lambda v, k: np.sum(np.concatenate([_pair(v, k), v[2:]]) ** 2),
                    lambda v: np.array([2 * v[0] * v[1] ** 2, 2 * v[1] * v[0] ** 2,
                                        2 * v[2] * v[3] ** 2 + 2 * v[2], 2 * v[3] * v[2] ** 2 + 2 * v[3]])),
    "dot": (lambda v, k: np.dot(v[:2], _pair(v, k)),  # v0 v2 v3 + v1 v0 v1
            lambda v: np.array([v[2] * v[3] + v[1] ** 2, 2 * v[0] * v[1], v[0] * v[3], v[0] * v[2]])),
}


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("kind", ["ndarray", "list"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_object_operands_keep_their_derivatives(case, kind, mode):
    f, exact = CASES[case]
    g = nm.gradient(lambda v: f(v, kind), X, mode=mode)
    np.testing.assert_allclose(np.asarray(g, dtype=float), exact(X), rtol=1e-13, atol=1e-15)


def test_measurement_object_operands_keep_their_uncertainty():
    m = nm.measurements(X, [0.01, 0.02, 0.03, 0.04])
    y = np.stack([m[:2], np.array([m[2] * m[3], m[0] * m[1]])])
    ref = np.stack([m[:2], np.stack([m[2] * m[3], m[0] * m[1]])])
    np.testing.assert_allclose(nm.value(y), nm.value(ref), rtol=1e-15)
    np.testing.assert_allclose(nm.cov(y.ravel()), nm.cov(ref.ravel()),
                               rtol=1e-13, atol=1e-18)
