"""autograd's test_systematic.py lists translated to plain NumPy calls (data for test_autograd.py).

Source: HIPS/autograd, tests/test_systematic.py (commit 0215e89): stat_check, unary_ufunc_check,
binary_ufunc_check and combo_check cases. Complex-input variants are not ported (metanum's
arrays here are real). op.div is Python 3's op.truediv; np.msort is np.sort(axis=0).
"""

import operator as op

import numpy as np

SRC = "HIPS/autograd tests/test_systematic.py"
_rng = np.random.default_rng(0)


def R(*shape):
    return _rng.standard_normal(shape) if shape else float(_rng.standard_normal())


def U(lo, hi, *shape):
    return _rng.uniform(lo, hi, shape)


UNARY = [  # (name, function, lims)
    ("sin", np.sin, (-2, 2)), ("abs", np.abs, (0.1, 4.0)), ("absolute", np.absolute, (0.1, 4.0)),
    ("arccosh", np.arccosh, (1.1, 4.0)), ("arcsinh", np.arcsinh, (-0.9, 0.9)),
    ("arctanh", np.arctanh, (-0.9, 0.9)), ("ceil", np.ceil, (-1.5, 1.5)), ("cos", np.cos, (-2, 2)),
    ("cosh", np.cosh, (-2, 2)), ("deg2rad", np.deg2rad, (-2, 2)),
    ("degrees", lambda x: np.degrees(x) / 50.0, (-2, 2)), ("exp", np.exp, (-2, 2)),
    ("exp2", np.exp2, (-2, 2)), ("expm1", np.expm1, (-2, 2)), ("fabs", np.fabs, (-2, 2)),
    ("floor", np.floor, (-1.5, 1.5)), ("log", np.log, (0.2, 2.0)), ("log10", np.log10, (0.2, 2.0)),
    ("log1p", np.log1p, (0.2, 2.0)), ("log2", np.log2, (0.2, 2.0)),
    ("rad2deg", lambda x: np.rad2deg(x) / 50.0, (-2, 2)), ("radians", np.radians, (-2, 2)),
    ("sign", np.sign, (-2, 2)), ("sinh", np.sinh, (-2, 2)), ("sqrt", np.sqrt, (1.0, 3.0)),
    ("square", np.square, (-2, 2)), ("tan", np.tan, (-1.1, 1.1)), ("tanh", np.tanh, (-2, 2)),
    ("real", np.real, (-2, 2)), ("real_if_close", np.real_if_close, (-2, 2)),
    ("imag", np.imag, (-2, 2)), ("conj", np.conj, (-2, 2)), ("angle", np.angle, (0.1, 2)),
]

BINARY = [  # (name, function, lims_A, lims_B)
    ("add", np.add, (-2, 2), (-2, 2)), ("logaddexp", np.logaddexp, (-2, 2), (-2, 2)),
    ("logaddexp2", np.logaddexp2, (-2, 2), (-2, 2)),
    ("remainder", np.remainder, (-0.9, 0.9), (0.7, 1.9)),
    ("true_divide", np.true_divide, (-2, 2), (0.3, 2.0)), ("mod", np.mod, (-2, 2), (0.8, 2.1)),
    ("true_divide_neg", np.true_divide, (-2, 2), (-2.0, -0.3)),
    ("mod_neg", np.mod, (-2, 2), (-2.0, -0.3)),
    ("op_mul", op.mul, (-2, 2), (-2, 2)), ("op_add", op.add, (-2, 2), (-2, 2)),
    ("op_sub", op.sub, (-2, 2), (-2, 2)), ("op_mod", op.mod, (-2, 2), (0.3, 2.0)),
    ("op_mod_neg", op.mod, (-2, 2), (-2.0, -0.3)), ("op_div", op.truediv, (-2, 2), (0.5, 2.0)),
    ("op_pow", op.pow, (0.7, 2.0), (-2, 2)),
]

STATS = [("max", np.max), ("all", np.all), ("any", np.any), ("mean", np.mean), ("min", np.min),
         ("sum", np.sum), ("prod", np.prod), ("var", np.var), ("std", np.std)]


def cases():
    """(id, function of the differentiated argument, input array) for every ported case."""
    out = []
    for name, f, (lo, hi) in UNARY:
        out.append((f"unary-{name}", f, U(lo, hi, 4)))
    for name, f, la, lb in BINARY:
        a, b = U(*la, 4), U(*lb, 4)
        out.append((f"binary-{name}-arg0", lambda x, f=f, b=b: f(x, b), a))
        out.append((f"binary-{name}-arg1", lambda x, f=f, a=a: f(a, x), b))
    for name, f in STATS:  # stat_check: axis None/0/1, keepdims False/True
        x = R(3, 4)
        for axis in (None, 0, 1):
            for kd in (False, True):
                out.append((f"stat-{name}-axis{axis}-keepdims{kd}",
                            lambda v, f=f, axis=axis, kd=kd: f(v, axis=axis, keepdims=kd), x))
    out += _misc()
    out += numpy_cases()
    return out


def _combo(name, fun, argnums, arglists, **kw):
    """combo_check: every combination of the listed arguments, differentiating each argnum."""
    import itertools
    out = []
    kwitems = [[(k, v) for v in vs] for k, vs in kw.items()]
    for args in itertools.product(*arglists):
        for kws in itertools.product(*kwitems):
            for i in argnums:
                def g(x, args=args, i=i, kws=dict(kws)):
                    a = list(args)
                    a[i] = x
                    return fun(*a, **kws)
                xi = np.asarray(args[i], dtype=float)
                tag = "-".join(f"{np.shape(a)}" for a in args) + "".join(f"-{k}={v}" for k, v in kws)
                try:
                    fun(*args, **dict(kws))
                except Exception:  # noqa: BLE001 - incompatible shapes are skipped, as in autograd
                    continue
                out.append((f"{name}-{tag}-arg{i}", g, xi))
    return out


def _misc():
    out = []
    out += _combo("transpose", np.transpose, [0], [[R(2, 3, 4)]],
                  axes=[None, [0, 1, 2], [0, 2, 1], [2, 0, 1], [2, 1, 0], [1, 0, 2], [1, 2, 0]])
    out += _combo("dot", np.dot, [0, 1], [[1.5, R(3), R(2, 3)], [0.3, R(3), R(3, 4)]])
    out += _combo("tensordot_1", np.tensordot, [0, 1], [[R(1, 3), R(2, 3, 2)], [R(3), R(3, 1), R(3, 4, 2)]],
                  axes=[[(1,), (0,)]])
    out += _combo("tensordot_2", np.tensordot, [0, 1], [[R(3), R(3, 1), R(3, 4, 2)], [R(1, 3), R(2, 3, 2)]],
                  axes=[[(0,), (1,)]])
    out += _combo("tensordot_3", np.tensordot, [0, 1], [[R(2, 3), R(2, 3, 4)], [R(1, 2, 3), R(2, 2, 3, 4)]],
                  axes=[[(0, 1), (1, 2)], [(1, 0), (2, 1)]])
    out += _combo("tensordot_4", np.tensordot, [0, 1], [[R(2, 2), R(4, 2, 2)], [R(2, 2), R(2, 2, 4)]],
                  axes=[1, 2])
    out += _combo("maximum", np.maximum, [0, 1], [[R(1), R(1, 4), R(3, 4)], [R(1), R(1, 4), R(3, 4)]])
    out += _combo("minimum", np.minimum, [0, 1], [[R(1), R(1, 4), R(3, 4)], [R(1), R(1, 4), R(3, 4)]])
    out += _combo("sort", np.sort, [0], [[R(1), R(7)]])
    out += _combo("msort", lambda x: np.sort(x, axis=0), [0], [[R(1), R(7)]])
    out += _combo("partition", np.partition, [0], [[R(7), R(14)]], kth=[0, 3, 6])
    shapes = [1.2, R(1), R(7), R(1, 4), R(2, 4), R(2, 4, 5)]
    out += _combo("atleast_1d", np.atleast_1d, [0], [shapes])
    out += _combo("atleast_2d", np.atleast_2d, [0], [shapes])
    out += _combo("atleast_3d", np.atleast_3d, [0], [shapes + [R(2, 4, 3, 5)]])
    out += _combo("einsum_transpose", np.einsum, [1], [["ij->ji"], [R(1, 1), R(4, 4), R(3, 4)]])
    out += _combo("einsum_matmult", np.einsum, [1, 2], [["ij,jk->ik"], [R(2, 3)], [R(3, 4)]])
    out += _combo("einsum_covsum", np.einsum, [1, 2], [["ijk,lji->lki"], [R(3, 4, 4)], [R(4, 4, 3)]])
    out += _combo("einsum_ellipses", np.einsum, [1, 2], [["...jk,...lj->...lk", "...,...->..."],
                                                          [R(3, 4, 4)], [R(3, 4, 4)]])
    out += _combo("einsum_three_args", np.einsum, [1, 2], [["ijk,lji,lli->lki"], [R(3, 4, 4)],
                                                            [R(4, 4, 3)], [R(4, 4, 3)]])
    out += _combo("trace", np.trace, [0], [[R(5, 5), R(4, 5), R(5, 4)]], offset=[-1, 0, 1])
    return out


# HIPS/autograd tests/test_numpy.py (commit 027429f): the single-argument check_grads cases
# (and two-argument ones, differentiated in each argument), same functions and shapes.
SRC_NUMPY = "HIPS/autograd tests/test_numpy.py"
_r = np.random.default_rng(1).standard_normal
_C45 = _r((4, 5)) > 0
_CAT = _r((5, 6, 4))
_V11 = _r(11)
_B45 = _r((4, 5))
NUMPY = [  # (test name, function, input)
    ("dot-mat-vec", lambda x: np.dot(x, _V11), _r((10, 11))),
    ("dot-vec-vec", lambda x: np.dot(x, _V11), _r(11)),
    ("dot_with_floats", lambda x: np.dot(x, 0.7), _r((10, 11))),
    ("outer", lambda x: np.outer(x, _V11), _r(11)),
    ("max", np.max, _r((10, 11))),
    ("max_axis", lambda x: np.max(x, axis=1), _r((3, 4, 5))),
    ("max_axis_keepdims", lambda x: np.max(x, axis=1, keepdims=True), _r((3, 4, 5))),
    ("min", np.min, _r((10, 11))),
    ("min_axis", lambda x: np.min(x, axis=1), _r((3, 4, 5))),
    ("min_axis_keepdims", lambda x: np.min(x, axis=1, keepdims=True), _r((3, 4, 5))),
    ("sum_1", np.sum, _r((10, 11))),
    ("sum_2", lambda x: np.sum(x, axis=0), _r((10, 11))),
    ("sum_3", lambda x: np.sum(x, axis=0, keepdims=True), _r((10, 11))),
    ("sum_with_axis_tuple", lambda x: np.sum(x, axis=(1, 2)), _r((10, 11, 7))),
    ("flipud", np.flipud, _r((10, 11))),
    ("fliplr", np.fliplr, _r((10, 11))),
    ("rot90", np.rot90, _r((10, 11))),
    ("cumsum_axis0", lambda x: np.cumsum(x, axis=0), _r((10, 11))),
    ("cumsum_axis1", lambda x: np.cumsum(x, axis=1), _r((10, 11))),
    ("cumsum_1d", np.cumsum, _r(10)),
    ("cumsum_no_axis", np.cumsum, _r((10, 11))),
    ("mean_1", np.mean, _r((10, 11))),
    ("mean_2", lambda x: np.mean(x, axis=0), _r((10, 11))),
    ("mean_3", lambda x: np.mean(x, axis=0, keepdims=True), _r((10, 11))),
    ("index_ints", lambda x: x[3, 0, 1], _r((5, 6, 4))),
    ("index_slice", lambda x: x[::-1, 2:4, :], _r((5, 6, 4))),
    ("index_lists", lambda x: x[[0, 1, 2], :, :], _r((5, 6, 4))),
    ("index_mixed", lambda x: x[3, 2:, [1, 3]], _r((5, 6, 4))),
    ("vector_slice", lambda x: x[2:4], _r(5)),
    ("index_slice_fanout", lambda x: x[::-1, 2:4, :] + x[::-1, 3:5, :], _r((5, 6, 4))),
    ("index_multiple_slices", lambda x: x[2:6][1:3], _r(7)),
    ("reshape_method", lambda x: x.reshape((20, 6)), _r((5, 6, 4))),
    ("reshape_call", lambda x: np.reshape(x, (20, 6)), _r((5, 6, 4))),
    ("reshape_method_nolist", lambda x: x.reshape(20, 6), _r((5, 6, 4))),
    ("ravel_method", lambda x: x.ravel(), _r((5, 6, 4))),
    ("ravel_call", np.ravel, _r((5, 6, 4))),
    ("flatten_method", lambda x: x.flatten(), _r((5, 6, 4))),
    ("simple_concatenate", lambda x: np.concatenate((_CAT, x)), _r((4, 6, 4))),
    ("concatenate_axis_0", lambda x: np.concatenate((_CAT, x, _CAT)), _r((5, 6, 4))),
    ("concatenate_axis_1", lambda x: np.concatenate((_CAT, x, _CAT), axis=1), _r((5, 6, 4))),
    ("concatenate_axis_1_unnamed", lambda x: np.concatenate((_CAT, x, _CAT), 1), _r((5, 6, 4))),
    ("trace-offset3", lambda x: np.trace(x, offset=3), _r((10, 11))),
    ("trace2-offset-4", lambda x: np.trace(x, offset=-4), _r((11, 10))),
    ("split", lambda x: np.split(x, 2)[0], _r(10)),
    ("trace_extradims", lambda x: np.trace(x, offset=1), _r((5, 6, 4, 3))),
    ("diag", np.diag, _r((10, 10))),
    ("transpose", lambda x: x.T, _r((8, 8))),
    ("roll", lambda x: np.roll(x, 2, axis=1), _r((4, 5))),
    ("triu", lambda x: np.triu(x, k=2), _r((5, 5))),
    ("tril", lambda x: np.tril(x, k=2), _r((5, 5))),
    ("clip", lambda x: np.clip(x, a_min=0.1, a_max=1.1), _r((5, 5))),
    ("prod_1", np.prod, _r((2, 3)) ** 2 / 10.0 + 0.1),
    ("prod_2", lambda x: np.prod(x, axis=0), _r((2, 3)) ** 2 + 0.1),
    ("prod_3", lambda x: np.prod(x, axis=0, keepdims=True), _r((2, 3)) ** 2 + 0.1),
    ("prod_4", np.prod, _r(7) ** 2 + 0.1),
    ("array_from_arrays", lambda x: np.array([x, x]), _r((3, 2))),
    ("array_from_arrays_2", lambda x: np.array([[2 * x, x + 1], [x, x]]), _r((3, 2))),
    ("r_double", lambda x: np.r_[x, x], _r((3, 2))),
    ("c_", lambda x: np.c_[x, _CAT[0, :3, :2], x], _r((3, 2))),
    ("var_ddof1", lambda x: np.var(x, ddof=1), _r((3, 4))),
    ("std_ddof1", lambda x: np.std(x, ddof=1), _r((3, 4))),
    ("where", lambda x: np.where(_C45, x, _B45), _r((4, 5))),
    ("squeeze_func", np.squeeze, _r((5, 1, 4))),
    ("squeeze_method", lambda x: x.squeeze(), _r((5, 1, 4))),
    ("repeat", lambda x: np.repeat(x, 2, axis=1), _r((5, 3, 4))),
    ("repeat_axis0", lambda x: np.repeat(x, 2, axis=0), _r((5, 3))),
    ("expand_dims", lambda x: np.expand_dims(x, 2), _r((5, 1, 4))),
    ("multi_index", lambda x: np.sum(x[[0, 0]]), _r(3)),
    ("multi_index2", lambda x: np.sum(x[[0, 1, 0]]), _r(3)),
    ("index_dot_slices", lambda x: np.dot(x[:2], x[2:]), _r(4)),
    ("diagonal", lambda x: np.diagonal(x, axis1=-1, axis2=-2), _r((3, 4, 4))),
    ("1d_array", lambda x: np.array([x, x * 1.0, x + 2.5]), 3.0),
    ("2d_array", lambda x: np.array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]]), 3.0),
]


def numpy_cases():
    return [(f"numpy-{name}", f, x) for name, f, x in NUMPY]
