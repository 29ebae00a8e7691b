"""NumPy queries that return integers or booleans act on the values of every array number.

``np.iscomplexobj``, ``np.nonzero``, ``np.searchsorted``, ... carry no derivative; before, a
``DualArray``, a tracked array or a ``MeasurementArray`` refused them ("no derivative rule"),
which stopped generic code (a Fun built in reverse mode) that only asks a question.
"""

import numpy as np
import pytest

import numeric as nm
from numeric.measurement.array import measurements

V = np.array([0.0, 2.0, -1.0, 3.0])
QUERIES = [
    (np.iscomplexobj, ()), (np.isrealobj, ()), (np.iscomplex, ()), (np.isreal, ()),
    (np.nonzero, ()), (np.flatnonzero, ()), (np.argwhere, ()), (np.count_nonzero, ()),
    (np.searchsorted, (np.array([0.5, 2.5]),)),
]


def as_types(v):
    yield "dual", nm.DualArray(v, np.eye(v.size))
    yield "measurement", measurements(v, np.full(v.size, 0.1))
    box = []
    nm.gradient(lambda a: box.append(a) or a.sum(), v, mode="reverse")
    yield "tracked", box[0]


@pytest.mark.parametrize("func, extra", QUERIES, ids=[q[0].__name__ for q in QUERIES])
def test_value_queries_answer_from_the_values(func, extra):
    expected = func(np.sort(V) if func is np.searchsorted else V, *extra)
    for kind, x in as_types(np.sort(V) if func is np.searchsorted else V):
        got = func(x, *extra)
        if isinstance(expected, tuple):
            assert all(np.array_equal(g, e) for g, e in zip(got, expected)), kind
        else:
            assert np.array_equal(got, expected), kind


def test_searchsorted_with_array_numbers_on_both_sides():
    a = nm.DualArray(np.sort(V), np.eye(4))
    v = nm.DualArray(np.array([0.5, 2.5]), np.ones((2, 4)))
    np.testing.assert_array_equal(np.searchsorted(a, v), np.searchsorted(np.sort(V), [0.5, 2.5]))
