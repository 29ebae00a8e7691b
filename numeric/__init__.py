"""metanum's number types and differentiation.

``import numeric as nm`` gives the protocol helpers (``nm.value``,
``nm.zero``, ``nm.one``, ``nm.eps``, ``nm.norm``, ``nm.promote``), the
elementary functions (``nm.exp``, ``nm.arctan2``, ...), the number types
(``nm.Dual``, ``nm.DualArray``) and the differentiation API
(``nm.derivative``, ``nm.gradient``, ``nm.jacobian``, ``nm.hessian``,
``nm.jvp``), and the function transforms ``nm.grad`` / ``nm.value_and_grad``
(JAX's convention: they return functions). See ``numeric/protocol.py`` for the protocol in one place.
"""

from numeric.functions import (  # noqa: F401
    FUNCTIONS, abs, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, cbrt, clip,
    cos, cosh, digamma, erf, erfc, exp, expm1, gamma, hypot, lgamma, log, log1p, log2, log10,
    maximum, minimum, polygamma, power, sign, sin, sinh, sqrt, tan, tanh, where,
    ceil, copysign, deg2rad, degrees, exp2, floor, floor_divide, fmod, heaviside, logaddexp,
    logaddexp2, nextafter, positive, rad2deg, radians, reciprocal, remainder, rint, sinc, square,
    trunc, expit, softplus, matmul,
)
from numeric.protocol import (eps, inner, is_uncertain, is_vector_state, lincomb, norm, norm_length, one, promote,  # noqa: F401
                              scalar_zero, value, zero)
from numeric.dual import Dual  # noqa: F401
from numeric.dualarray import DualArray  # noqa: F401
from numeric.api import derivative, gradient, hessian, jacobian, jvp  # noqa: F401
from numeric.transforms import grad, hessian_fn, jacfwd, jacrev, value_and_grad  # noqa: F401
from numeric.fun import Chebyshev, Fourier, Fun  # noqa: F401
from numeric.reverse import custom_rule, custom_vjp, hvp, record, vjp  # noqa: F401
from numeric.measurement import (  # noqa: F401
    errorbar, Measurement, MeasurementArray, cor, correlated_values, cov, measurements, uncertainty,
    uncertainty_components, weighted_mean,
)

from numeric.sparsity import color_columns, jacobian_sparsity, sparse_jacobian  # noqa: F401

__version__ = "0.1.0"
