"""Reverse mode at the edges: mutation, copies, views, NaN-safe sweeps, unguarded replays.

Each case was a silent wrong answer before (issue 10); every gradient is checked
against forward mode (``nm.gradient`` default) and/or central differences.
"""
import copy
import pickle

import numpy as np
import pytest

import numeric as nm
import numeric.reverse as rv
from numeric.reverse.tracked import GuardError


def central(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


X = np.array([1.0, 2.0, 3.0])


def both(f, x=X):
    """(reverse, forward, central) gradients at a fresh copy of x each time."""
    return (nm.gradient(f, x.copy(), mode="reverse"), nm.gradient(f, x.copy()),
            central(f, x.copy()))


def test_setitem_on_the_input_gives_the_gradient_wrt_the_original_input():
    def f(x):
        x[0] = 2 * x[1]
        return np.sum(x ** 2)

    x = X.copy()
    r, fw, fd = both(f)
    np.testing.assert_allclose(r, [0.0, 20.0, 6.0])
    np.testing.assert_allclose(r, fw)
    np.testing.assert_allclose(r, fd, rtol=1e-6)
    nm.gradient(f, x, mode="reverse")
    np.testing.assert_array_equal(x, X)          # the caller's array is never written


@pytest.mark.parametrize("make_copy", [lambda x: x.copy(), np.copy, copy.copy, copy.deepcopy],
                         ids=["method", "np.copy", "copy.copy", "deepcopy"])
def test_copies_are_new_nodes(make_copy):
    def f(x):
        y = make_copy(x)
        y[0] = 0.0
        return np.sum(x ** 2) + np.sum(y ** 3)

    r, fw, fd = both(f)
    np.testing.assert_allclose(r, fw)
    np.testing.assert_allclose(r, fd, rtol=1e-6)


def test_deepcopy_of_a_tracked_scalar_keeps_the_tape_link():
    def f(x):
        y = copy.deepcopy(x * x)
        return y * x

    assert nm.gradient(f, 1.5, mode="reverse") == pytest.approx(3 * 1.5 ** 2)


def test_pickling_a_tracked_value_raises_a_clear_error():
    def f(x):
        pickle.dumps(x)
        return np.sum(x)

    with pytest.raises(TypeError, match="nm.value"):
        nm.gradient(f, X.copy(), mode="reverse")
    with pytest.raises(TypeError, match="nm.value"):
        nm.gradient(lambda s: pickle.dumps(s * 2) and s, 1.0, mode="reverse")


def test_pickling_the_primal_works():
    def f(x):
        v = pickle.loads(pickle.dumps(nm.value(x)))
        return np.sum(x * v)               # v is a constant

    np.testing.assert_allclose(nm.gradient(f, X.copy(), mode="reverse"), X)


def write_through_view(x):
    y = x[:]
    y[0] = 0.0
    return np.sum(x ** 2)


def write_under_view(x):
    y = x[1:]
    x[1] = 0.0
    return np.sum(y ** 2)


def write_through_reshape(x):
    y = x.reshape(3, 1)
    y[0, 0] = 0.0
    return np.sum(x ** 2)


@pytest.mark.parametrize("f", [write_through_view, write_under_view, write_through_reshape])
def test_writes_through_views_raise_in_reverse_and_follow_numpy_in_forward(f):
    # forward mode (DualArray) has NumPy's view semantics: the write is seen through the view
    np.testing.assert_allclose(nm.gradient(f, X.copy()), central(f, X.copy()), atol=1e-6)
    with pytest.raises(ValueError, match="view"):
        nm.gradient(f, X.copy(), mode="reverse")


def test_slices_that_died_and_copies_of_slices_may_be_written():
    def f(x):
        d = x[1:] - x[:-1]                 # temporaries: no live view of x remains
        x[0] = 5.0
        y = x[1:].copy()
        y[0] = 1.0
        return np.sum(x ** 2) + np.sum(d * y)

    r, fw, fd = both(f)
    np.testing.assert_allclose(r, fw)
    np.testing.assert_allclose(r, fd, rtol=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("f", [
    lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)),
    lambda x: np.sum(np.where(x != 0, np.sin(x) / x, 1.0)),
    lambda x: np.sum(np.where(x > 0, np.log(x), x)),
], ids=["sqrt", "sinc", "log"])
def test_where_masked_singularities_are_nan_safe(f):
    x = np.array([0.0, 1.0, 2.0])
    r = nm.gradient(f, x, mode="reverse")
    assert np.all(np.isfinite(r))
    np.testing.assert_allclose(r[1:], central(f, x)[1:], rtol=1e-6)
    np.testing.assert_allclose(r, nm.gradient(f, x))   # forward mode is NaN-safe too
    t = nm.record(f, x)                    # the replayed sweep is NaN-safe too
    np.testing.assert_allclose(t.gradient(x), r)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_safe_keeps_real_infinities_and_nans():
    r = nm.gradient(lambda x: np.sum(np.sqrt(x)), np.array([0.0, 1.0]), mode="reverse")
    assert r[0] == np.inf and r[1] == 0.5
    r = nm.gradient(lambda x: x[0] * x[0] + x[1] * x[1], np.array([np.nan, 1.0]), mode="reverse")
    assert np.isnan(r[0]) and r[1] == 2.0


BRANCHES = {
    "np.all": lambda x: np.sum(x ** 2) if np.all(x > 0) else np.sum(x ** 3),
    "any": lambda x: np.sum(x ** 2) if (x < 0).any() else np.sum(x ** 3),
    "mask[0]": lambda x: np.sum(x ** 2) if (x > 0)[0] else np.sum(x ** 3),
    "len": lambda x: np.sum(x ** 2) * len(x[x > 0]),
    "count_nonzero": lambda x: np.sum(x ** 2) * np.count_nonzero(x > 0),
    "bool": lambda x: np.sum(x ** 2) if bool(x[0] > 0) else np.sum(x ** 3),
    "item": lambda x: np.sum(x ** 2) if (x[:1] > 0).item() else np.sum(x ** 3),
    "nm.value": lambda x: np.sum(x ** 2) if nm.value(x)[0] > 0 else np.sum(x ** 3),
}


@pytest.mark.parametrize("name", list(BRANCHES))
def test_replay_never_takes_the_recorded_branch_silently(name):
    f = BRANCHES[name]
    x0, x1 = np.array([1.0, 2.0]), np.array([-1.0, 2.0])
    tape = nm.record(f, x0)
    np.testing.assert_allclose(tape.gradient(x0), nm.gradient(f, x0))
    with pytest.raises(GuardError):
        tape.gradient(x1)
    with pytest.raises(GuardError):
        tape.value(x1)


def test_unguarded_recording_refuses_to_compile():
    tape = nm.record(BRANCHES["nm.value"], np.array([1.0, 2.0]))
    with pytest.raises(GuardError, match="another input"):
        tape.compile()


def test_mask_recomputation_still_replays():
    f = lambda x: np.sum(np.where(x > 0, x ** 2, -x)) + np.sum(x[x > 0] ** 3)  # noqa: E731
    tape = nm.record(f, np.array([1.0, -1.0, 2.0]))
    x1 = np.array([-1.0, 1.0, 2.0])
    np.testing.assert_allclose(tape.gradient(x1), rv.gradient(f, x1))


def test_recorded_adaptive_ode_solve_is_not_replayed_at_another_parameter():
    import solvers
    from solvers.ode import ODEProblem, Tsit5

    def f(k):
        prob = ODEProblem(lambda u, k, t: -k * u, 1.0, (0.0, 1.0), k)
        return solvers.solve(prob, Tsit5(), rtol=1e-8).u[-1]

    tape = nm.record(f, 1.0)
    assert tape.gradient(1.0) == pytest.approx(-np.exp(-1.0), rel=1e-6)
    with pytest.raises(GuardError):
        tape.gradient(50.0)                 # was 2.6e10 where the truth is 1.9e-22
