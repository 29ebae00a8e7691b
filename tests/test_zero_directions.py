"""Array numbers with no directions yet: every table entry keeps working.

A state promoted by a measurement parameter starts with no sources (a MeasurementArray whose
components have 0 columns), and a DualArray may carry 0 partials; ``np.roll``, ``np.cumsum``,
``np.max``, ``np.tile``, ``np.linalg.solve`` and others failed on them (a reshape to ``(-1, 0)``,
which NumPy cannot infer, or a stack of no columns), so a heat equation with an uncertain diffusion
coefficient failed at its first right-hand side. Reference: NumPy's function of the value, and
partials / components of shape ``out.shape + (0,)``.
"""

import numpy as np
import pytest

import numeric as nm
from numeric.arrayrules import LINEAR
from numeric.arrayrules_multilinear import MULTILINEAR
from numeric.arrayrules_reductions import REDUCTIONS
from numeric.measurement.array import MeasurementArray


def _no_directions(v, kind):
    if kind == "dual":
        return nm.DualArray(v, np.zeros(v.shape + (0,)))
    return MeasurementArray._dense(v, np.zeros(v.shape + (0,)), np.zeros(0, dtype=np.int64))


def _check(out, ref, kind):
    np.testing.assert_allclose(np.asarray(nm.value(out)), ref, rtol=1e-15, atol=1e-15)
    if kind == "measurement":
        np.testing.assert_array_equal(np.asarray(nm.uncertainty(out), float), np.zeros(np.shape(ref)))
        if np.ndim(ref):
            assert tuple(out.J.shape) == tuple(np.shape(ref)) + (0,)
    else:
        assert tuple(np.shape(out.partials)) == tuple(np.shape(ref)) + (0,)


LINEAR_CASES = [(f, s, kw) for f, rule in LINEAR.items() for s, kw in rule.samples
                if not rule.complex_valued and f is not np.astype]


@pytest.mark.parametrize("kind", ["dual", "measurement"])
@pytest.mark.parametrize("case", LINEAR_CASES, ids=[f"{f.__name__}-{s}-{sorted(kw)}" for f, s, kw in LINEAR_CASES])
def test_every_linear_table_entry_takes_no_directions(case, kind):
    func, shape, kw = case
    v = np.random.default_rng(1).standard_normal(shape) + 3.0
    rule = LINEAR[func]
    _check(rule.call(_no_directions(v, kind), **dict(kw)), rule.call(v, **dict(kw)), kind)


OTHER = [(f, shapes, kw) for table in (MULTILINEAR, REDUCTIONS) for f, rule in table.items()
         for shapes, kw in rule.samples if f not in (np.einsum, np.where)]


@pytest.mark.parametrize("kind", ["dual", "measurement"])
@pytest.mark.parametrize("case", OTHER, ids=[f"{f.__name__}-{s}" for f, s, kw in OTHER])
def test_reductions_and_products_take_no_directions(case, kind):
    func, shapes, kw = case
    rng = np.random.default_rng(2)
    vs = [rng.standard_normal(s) + 3.0 for s in shapes]
    _check(func(_no_directions(vs[0], kind), *vs[1:], **kw), func(*vs, **kw), kind)


@pytest.mark.parametrize("kind", ["dual", "measurement"])
@pytest.mark.parametrize("func", [np.sort, np.linalg.solve, np.linalg.norm, np.linalg.inv, np.var])
def test_nonlinear_entries_take_no_directions(func, kind):
    rng = np.random.default_rng(3)
    A = rng.standard_normal((3, 3)) + 4 * np.eye(3)
    args = {np.linalg.solve: (A, np.ones(3)), np.linalg.inv: (A,)}.get(func, (rng.standard_normal(4),))
    _check(func(_no_directions(args[0], kind), *args[1:]), func(*args), kind)
