"""Sparse Jacobians: pattern by tracing, greedy column colouring, compressed forward mode.

``jacobian_sparsity(f, x)`` traces ``f`` with :mod:`numeric.tracer` numbers
(no derivative is evaluated); ``color_columns(pattern)`` groups columns that
share no row (distance-1 colouring of the column intersection graph, greedy
in largest-first order: columns sorted by decreasing degree, ties by index,
each given the smallest colour not used by a neighbour; SparseMatrixColorings.jl's
``GreedyColoringAlgorithm`` with ``LargestFirst`` ordering);
``sparse_jacobian(f, x)`` seeds one DualArray partial per colour, so a
Jacobian with c colours costs one forward pass carrying c partials, and
decompresses into CSR. scipy is imported only inside these functions.

Examples
--------
>>> import numpy as np, numeric as nm
>>> f = lambda x: np.concatenate([x[:1], x[1:] - x[:-1]]) * x
>>> J = nm.sparse_jacobian(f, np.arange(1.0, 5.0))
>>> bool(np.allclose(J.toarray(), nm.jacobian(f, np.arange(1.0, 5.0))))
True
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["jacobian_sparsity", "color_columns", "sparse_jacobian"]


def jacobian_sparsity(f: Callable, x: Any, *, mode: str = "local"):
    """Structural sparsity pattern of the Jacobian of *f* at *x* as a boolean CSR matrix.

    Rows are the flattened outputs, columns the flattened inputs.
    ``mode="local"`` follows the branches taken at *x*; ``mode="global"``
    traces without primal values (branches on the input raise).

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> nm.jacobian_sparsity(lambda x: np.diff(x), np.zeros(3)).toarray().astype(int)
    array([[1, 1, 0],
           [0, 1, 1]])
    """
    from numeric.tracer import trace_pattern

    return trace_pattern(f, x, mode=mode)


def color_columns(pattern) -> np.ndarray:
    """Greedy distance-1 column colouring (largest-first); ``colors[j]`` in 0..c-1.

    Two columns get different colours whenever they have a nonzero in a
    common row, so the columns of one colour can be seeded together.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, numeric as nm
    >>> T = sp.diags([1, 1, 1], [-1, 0, 1], shape=(6, 6))
    >>> int(nm.color_columns(T).max()) + 1
    3
    """
    import scipy.sparse as sp

    P = sp.csc_matrix(pattern, dtype=bool)
    n = P.shape[1]
    Pr = P.tocsr()
    C = (P.T @ P).tocsr()  # column intersection graph (with self loops)
    degree = np.diff(C.indptr)
    order = np.lexsort((np.arange(n), -degree))
    colors = np.full(n, -1, dtype=np.int64)
    forbidden = np.full(n + 1, -1, dtype=np.int64)
    for j in order:
        nbrs = C.indices[C.indptr[j]:C.indptr[j + 1]]
        used = colors[nbrs]
        forbidden[used[used >= 0]] = j
        c = 0
        while forbidden[c] == j:
            c += 1
        colors[j] = c
    del Pr
    return colors


def _check_pattern(sparsity, m, n):
    if sparsity.shape != (m, n):
        raise ValueError(f"sparsity has shape {sparsity.shape}, but f maps {n} inputs to {m} "
                         "outputs; pass the pattern of this f (nm.jacobian_sparsity(f, x))")


def sparse_jacobian(f: Callable, x: Any, sparsity=None, colors=None, *, chunk: int | None = None):
    """Jacobian of *f* at *x* as CSR, from a compressed forward-mode evaluation.

    Parameters
    ----------
    f : callable
        Maps an array to an array (the Jacobian is of the flattened output
        with respect to the flattened input).
    x : float array
    sparsity : scipy.sparse matrix, optional
        Pattern; traced with :func:`jacobian_sparsity` when omitted.
    colors : int array, optional
        Column colouring of the pattern; :func:`color_columns` when omitted.
    chunk : int, optional
        Number of colours carried per forward pass (default: all in one pass).

    Examples
    --------
    >>> import numpy as np, numeric as nm
    >>> nm.sparse_jacobian(lambda x: x**2, np.array([1.0, 2.0])).toarray()
    array([[2., 0.],
           [0., 4.]])
    """
    import scipy.sparse as sp

    from numeric.api import _as_input_array, _extract
    from numeric.dualarray import DualArray
    from numeric.protocol import new_order

    x = _as_input_array(x)
    n = x.size
    P = jacobian_sparsity(f, x) if sparsity is None else sp.csr_matrix(sparsity, dtype=bool)
    if P.shape[1] != n:
        raise ValueError(f"sparsity has {P.shape[1]} columns but x has {n} elements")
    colors = color_columns(P) if colors is None else np.asarray(colors, dtype=np.int64)
    if colors.shape != (n,):
        raise ValueError(f"colors must have one entry per input ({n}), got shape {colors.shape}")
    ncol = int(colors.max()) + 1 if n else 0
    Pc = P.tocoo()
    rows, cols = Pc.row, Pc.col
    if len(rows):
        clash = sp.csr_matrix((np.ones(len(rows)), (rows, colors[cols])),
                              shape=(P.shape[0], max(ncol, 1)))
        if clash.data.max() > 1:
            raise ValueError("colors are not a valid column colouring of the sparsity pattern "
                             "(two columns of one colour share a row); use nm.color_columns")
    c = ncol if chunk is None else max(1, int(chunk))
    real = x.dtype if x.dtype.kind == "f" else np.dtype(float)   # float32 in, float32 out
    data = np.zeros(len(rows), dtype=real)
    m = None
    for start in range(0, max(ncol, 1), c):
        stop = min(start + c, ncol)
        S = np.zeros((n, max(stop - start, 0)), dtype=real)
        sel = (colors >= start) & (colors < stop)
        S[np.nonzero(sel)[0], colors[sel] - start] = 1.0
        tag = new_order()
        y = f(DualArray._new(x, S.reshape(tuple(x.shape) + (stop - start,)), tag))
        _, B = _extract(y, tag, stop - start, x)
        B = np.asarray(B).reshape(-1, stop - start)
        if m is None:
            m = B.shape[0]
            _check_pattern(P, m, n)
            if B.dtype.kind in "fc":   # complex (or wider) entries: a float array would drop them
                data = data.astype(np.result_type(data, B), copy=False)
        mask = (colors[cols] >= start) & (colors[cols] < stop)
        data[mask] = B[rows[mask], colors[cols[mask]] - start]
    if m is None:
        m = P.shape[0]
    return sp.csr_matrix((data, (rows, cols)), shape=(m, n))
