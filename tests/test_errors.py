"""Bad input gets a clear error that says what was wrong and how to fix it.

The messages are part of the interface: these tests assert on their text.
"""

import mpmath
import numpy as np
import pytest

import numeric as nm
from numeric.testing import check_derivatives

LOSS = r"would drop its derivative\. Use nm\.value\(x\)"


@pytest.fixture
def dual():
    return nm.Dual(1.5, [1.0, 2.0])


@pytest.fixture
def dualarray():
    return nm.DualArray(np.array([1.0, 2.0]), np.eye(2))


# -- never drop a derivative silently -------------------------------------------------------------


@pytest.mark.parametrize("convert, what", [(float, "float"), (int, "int"), (complex, "complex")])
def test_scalar_conversions_of_a_dual(dual, convert, what):
    with pytest.raises(TypeError, match=rf"^{what}\(\) of a Dual {LOSS}"):
        convert(dual)


def test_index_of_a_dual(dual):
    with pytest.raises(TypeError, match=rf"index\(\) of a Dual {LOSS}"):
        [1, 2, 3][dual]


def test_math_module_on_a_dual_raises_instead_of_dropping(dual):
    import math

    with pytest.raises(TypeError, match=LOSS):
        math.sin(dual)


@pytest.mark.parametrize("dtype", [float, np.float32, None])
def test_dualarray_to_numpy_array(dualarray, dtype):
    with pytest.raises(TypeError, match=rf"np\.asarray\(\) of a DualArray {LOSS}"):
        np.asarray(dualarray, dtype=dtype)


def test_dualarray_scalar_conversions_and_casts(dualarray):
    with pytest.raises(TypeError, match=rf"float\(\) of a DualArray {LOSS}"):
        float(dualarray)
    with pytest.raises(TypeError, match=r"cannot cast a DualArray to .*int.*drop the derivatives; "
                                        r"use nm\.value\(x\)"):
        dualarray.astype(int)
    with pytest.raises(TypeError,
                       match=r"compares primal values only; use np\.allclose\(nm\.value"):
        np.allclose(dualarray, 1.0)


def test_object_array_of_duals_to_float_array(dual):
    with pytest.raises(TypeError, match=LOSS):
        np.array([dual, dual], dtype=float)


def test_float_inside_a_differentiated_function():
    with pytest.raises(TypeError, match=rf"^float\(\) of a Dual {LOSS}"):
        nm.derivative(lambda x: float(x) * 2, 1.0)
    with pytest.raises(TypeError, match=r"np\.asarray\(\) of a DualArray"):
        nm.gradient(lambda x: np.asarray(x, dtype=float).sum(), np.ones(2))


# -- hashing policy --------------------------------------------------------------------------------


def test_dual_and_dualarray_are_unhashable(dual, dualarray):
    with pytest.raises(TypeError, match=r"a Dual is unhashable \(== compares primal values only\); "
                                        r"use nm\.value\(x\) as the key"):
        hash(dual)
    with pytest.raises(TypeError, match="unhashable"):
        {dualarray}


# -- what f returns --------------------------------------------------------------------------------


@pytest.mark.parametrize("returned, shown", [
    ("abc", r"str \('abc'\)"), (None, r"NoneType \(None\)"), ({"a": 1}, r"dict \(\{'a': 1\}\)"),
])
@pytest.mark.parametrize("api", ["derivative", "gradient", "jacobian", "hessian"])
def test_function_returning_a_non_number(api, returned, shown):
    x = 1.0 if api == "derivative" else np.ones(2)
    with pytest.raises(TypeError, match=r"the function must return a number or an array of "
                                        rf"numbers, but it returned {shown}"):
        getattr(nm, api)(lambda v: returned, x)


def test_function_returning_a_list_with_a_string():
    with pytest.raises(TypeError, match=r"but it returned str \('a'\)"):
        nm.jacobian(lambda v: [v[0], "a"], np.ones(2))


def test_leaked_perturbation_is_reported():
    # a dual created inside f, newer than the call's tag, escapes in the result
    with pytest.raises(TypeError, match=r"returned a dual of a different differentiation call "
                                        r"\(a leaked perturbation\)"):
        nm.derivative(lambda x: nm.Dual(2.0, 1.0) * x, 1.0)


# -- what x is -------------------------------------------------------------------------------------


@pytest.mark.parametrize("x", [np.ones(2), [1.0], (1.0, 2.0), np.float64(1.0) * np.ones(1)])
def test_derivative_given_an_array(x):
    with pytest.raises(TypeError, match=r"nm\.derivative takes a scalar input, got an array of "
                                        r"shape \(\d\,\); use nm\.gradient or nm\.jacobian"):
        nm.derivative(lambda t: t, x)


@pytest.mark.parametrize("x, shown", [("abc", "str"), (None, "NoneType"), (object(), "object")])
def test_derivative_given_a_non_number(x, shown):
    with pytest.raises(TypeError, match=rf"nm\.derivative differentiates with respect to a number "
                                        rf".*got {shown}"):
        nm.derivative(lambda t: t, x)


def test_derivative_with_respect_to_a_bool():
    with pytest.raises(TypeError, match="cannot differentiate with respect to a bool"):
        nm.derivative(lambda t: t, True)


def test_gradient_given_an_array_of_strings():
    with pytest.raises(TypeError,
                       match=r"expected an array of numbers .* got an array of dtype <U1"):
        nm.gradient(lambda v: v, np.array(["a", "b"]))


@pytest.mark.parametrize("chunk", [0, -1, 1.5, "2", True])
@pytest.mark.parametrize("api", ["gradient", "jacobian", "hessian"])
def test_bad_chunk(api, chunk):
    with pytest.raises(ValueError, match=r"chunk must be a positive integer \(the number of "
                                         rf"partials carried per pass\) or None .*got {chunk!r}"):
        getattr(nm, api)(lambda v: np.sum(v * v), np.ones(3), chunk=chunk)


def test_gradient_of_a_vector_valued_function():
    with pytest.raises(TypeError, match=r"nm\.gradient needs a scalar-valued function, but it "
                                        r"returned shape \(2,\); use nm\.jacobian"):
        nm.gradient(lambda v: v * 2, np.ones(2))


def test_jvp_with_a_wrong_direction_shape():
    with pytest.raises(ValueError, match=r"jvp: v must have the shape of x \(2,\), got \(3,\)"):
        nm.jvp(lambda v: v, np.ones(2), np.ones(3))


# -- DualArray construction and storage ------------------------------------------------------------


def test_dualarray_with_wrong_partials_shape():
    with pytest.raises(ValueError, match=r"partials must have shape value\.shape \+ \(k,\) = "
                                         r"\(2,\) \+ \(k,\), got \(3, 1\)"):
        nm.DualArray(np.ones(2), np.ones((3, 1)))


def test_storing_a_newer_dual_in_an_older_dualarray(dualarray):
    with pytest.raises(TypeError, match=r"cannot store a dual of a newer tag in a DualArray of an "
                                        r"older one"):
        dualarray[0] = nm.Dual(1.0, [1.0, 0.0])


def test_dual_value_with_a_newer_tag():
    inner = nm.Dual(1.0)
    with pytest.raises(ValueError, match="the value of a dual must have an older tag"):
        nm.Dual(inner, 1.0, tag=inner.tag - 1)


# -- the user-facing checker -----------------------------------------------------------------------


def test_check_derivatives_reports_the_entry_and_the_three_numbers():
    def wrong(v):
        # correct value, derivative off by 1e-3 in the second component only
        return nm.sin(v) + 1e-3 * (v - nm.value(v)) * np.array([0.0, 1.0])

    with pytest.raises(AssertionError) as info:
        check_derivatives(wrong, np.array([0.3, 0.2]))
    text = str(info.value)
    assert text.startswith(
        "check_derivatives: first derivatives of wrong at x = [0.3 0.2] disagree")
    lines = text.splitlines()
    row = next(line for line in lines if line.strip().startswith("[1, 1]"))
    forward, cs, mp = row.split()[2:5]
    assert float(forward) == pytest.approx(np.cos(0.2) + 1e-3, rel=1e-12)
    assert float(cs) == pytest.approx(np.cos(0.2), rel=1e-12)
    assert float(mp) == pytest.approx(np.cos(0.2), rel=1e-12)
    assert "mpmath (|diff| 0.001" in row and "complex_step (|diff| 0.001" in row
    assert not any(line.strip().startswith("[0, 0]") for line in lines)


def test_check_derivatives_second_order_report():
    def wrong2(x):
        # the second derivative is off by 0.5 (the first is right at x = 0 only)
        return nm.exp(x) + 0.25 * (x - nm.value(x)) ** 2

    with pytest.raises(AssertionError, match=r"second derivatives of wrong2 at x = 0\.7 disagree"):
        check_derivatives(wrong2, 0.7, order=2)


def test_check_derivatives_bad_order_and_non_analytic_complex_step():
    with pytest.raises(ValueError, match="order must be 1 or 2, got 3"):
        check_derivatives(nm.sin, 0.5, order=3)
    with pytest.raises(AssertionError,
                       match="complex step requested but f does not accept complex"):
        check_derivatives(lambda x: nm.maximum(x, 0.0), 0.5, complex_step=True)
    with pytest.raises(AssertionError, match="no reference ran"):
        check_derivatives(lambda x: nm.maximum(x, 0.0), 0.5, mpmath_reference=False)


def test_check_derivatives_needs_mpf_capable_functions():
    with pytest.raises(TypeError, match=r"evaluating f on mpmath mpf inputs failed \(TypeError: "
                                        r".*\): write f with nm\.\* functions"
                                        r".*mpmath_reference=False"):
        # np.exp does not accept object arrays of mpf ("loop of ufunc does not support ...")
        check_derivatives(lambda v: np.sum(np.exp(v)), np.ones(2), complex_step=False)
    with pytest.raises(TypeError, match=r"on mpf input, f returned an element of type str"):
        check_derivatives(lambda v: "s" if isinstance(v, mpmath.mpf) else v * 1.0, 1.0,
                          complex_step=False)


def test_rtol_below_the_state_precision_warns():
    # a float32 solve at rtol 1e-10 ended Success, about 1e-7 off, with no word that the tolerance
    # cannot be met (scipy's solve_ivp warns below 100 eps)
    import warnings

    import solvers
    from solvers.ode.solution import SolverWarning
    prob = solvers.ODEProblem(lambda u, p, t: -u, np.array([1.0], dtype=np.float32), (0.0, 1.0))
    with pytest.warns(SolverWarning, match=r"rtol = 1e-10 is below 10 eps of the state's type \(1.19e-06\)"):
        solvers.solve(prob, solvers.Tsit5(), rtol=1e-10, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solvers.solve(prob, solvers.Tsit5(), rtol=1e-10, atol=1e-12, verbose=False)
        solvers.solve(prob, solvers.Tsit5(), rtol=1e-5, atol=1e-7)
        solvers.solve(solvers.ODEProblem(lambda u, p, t: -u, np.array([1.0]), (0.0, 1.0)), solvers.Vern9(),
                      rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("alg", ["Tsit5", "Rodas5P", "FBDF"])
def test_rhs_of_the_wrong_shape_is_named_before_numpy_broadcasts(alg):
    # f returning 3 components for a 2-component state ended in NumPy's anonymous "operands could
    # not be broadcast together" from inside the state set-up
    import solvers
    prob = solvers.ODEProblem(lambda u, p, t: np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0]), (0.0, 1.0))
    with pytest.raises(ValueError, match=r"f\(u, p, t\) returned shape \(3,\) but the state has shape \(2,\)"):
        solvers.solve(prob, getattr(solvers, alg)())
