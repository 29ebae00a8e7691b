"""DiffTests.jl function lists (JuliaDiff/DiffTests.jl, src/DiffTests.jl) in forward and reverse mode.

Each case is checked against a five-point central difference (truncation O(h^4), h = 1e-3);
the mode="reverse" result is also compared with forward mode.
"""

import numpy as np
import pytest

from numeric.arrayrules import UnsupportedArrayFunction

from tests.peers import _diffests_cases as C
from tests.peers._check import ad, central

# Cases that fail today: (function name, mode) -> (exception type or None, reason).
_U = UnsupportedArrayFunction
KNOWN: dict = {}   # num2arr_1 in reverse mode held since nm.derivative takes array outputs


def _params():
    out = []
    for lst, f, kind, x in C.cases():
        for mode in ("forward", "reverse"):
            marks = []
            if (f.__name__, mode) in KNOWN:
                exc, why = KNOWN[(f.__name__, mode)]
                marks.append(pytest.mark.xfail(strict=True, raises=exc, reason="issue 10: " + why))
            out.append(pytest.param(f, kind, x, mode, marks=marks, id=f"{lst}-{f.__name__}-{mode}"))
    return out


def check(f, kind, x, mode):
    got = ad(kind, f, x, mode)
    want = central(f, x)
    np.testing.assert_allclose(got, want.reshape(got.shape) if want.size == got.size else want,
                               rtol=1e-7, atol=1e-8, equal_nan=False)
    if mode == "reverse":                 # as the module docstring says: against forward too
        np.testing.assert_allclose(got, ad(kind, f, x, "forward"), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("f, kind, x, mode", _params())
def test_difftests(f, kind, x, mode):
    """Source: JuliaDiff/DiffTests.jl src/DiffTests.jl, the list named in the test id."""
    check(f, kind, x, mode)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_reshape_order_f(mode):
    """Regression: order='F' was ignored (the C-order result, silently). DiffTests reshapes
    column-major (mat2num_4, arr2arr_2); the function and the method forms are checked."""
    import numeric as nm
    x = np.arange(9.0)
    got = nm.jacobian(lambda v: np.reshape(v, (3, 3), order="F")[0, :], x, mode=mode)
    np.testing.assert_array_equal(got, np.eye(9)[[0, 3, 6]])
    got = nm.jacobian(lambda v: v.reshape((3, -1), order="F")[:, 1], x, mode=mode)
    np.testing.assert_array_equal(got, np.eye(9)[[3, 4, 5]])
    with pytest.raises(ValueError, match="order='C' or 'F'"):
        nm.jacobian(lambda v: np.reshape(v, (3, 3), order="A")[0], x, mode=mode)
