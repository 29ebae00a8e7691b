"""Fun construction is relative to the value scale (issue 10, Chebfun's vscale).

Before the fix, sizes were squared unscaled: ``1e200*exp(x)`` overflowed to inf
(false "coefficients do not decay" diagnosis), ``1e-155*exp(x)`` underflowed to
subnormals and was chopped to 9 coefficients, ``1e-310*exp(x)`` became a constant.
"""

import numpy as np
import pytest

from numeric.fun import Chebyshev, Fun

SPACE = Chebyshev(-1, 1)
REF = Fun(np.exp, SPACE).coeffs


@pytest.mark.parametrize("s", [1e200, 1e100, 1e-100, 1e-155, 1e-200, 1e-300])
def test_scaled_exp_has_the_coefficients_of_exp_scaled(s):
    c = Fun(lambda x: s * np.exp(x), SPACE).coeffs
    assert len(c) == len(REF)
    np.testing.assert_allclose(c / s, REF, rtol=1e-13, atol=1e-15)


def test_subnormal_scale_keeps_the_representable_coefficients():
    s = 1e-310
    c = Fun(lambda x: s * np.exp(x), SPACE).coeffs
    # coefficients below the smallest subnormal (about 5e-324) are zero; the rest are kept
    representable = int(np.count_nonzero(np.abs(REF * s) >= 5e-324))
    assert len(c) >= representable - 1 and len(c) > 10
    # subnormal spacing is 5e-324: absolute accuracy a few of those plus eps relative
    err = np.abs(c - s * REF[: len(c)])
    assert np.all(err <= 1e-14 * s + 8 * 5e-324)
