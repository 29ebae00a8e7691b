"""DiffTests.jl's function lists translated to NumPy (data for test_diffests.py and tally_peers.py).

Source of every case: JuliaDiff/DiffTests.jl, src/DiffTests.jl (commit 05b8721).
Indices are 0-based here where Julia's are 1-based; Julia column-major reshapes are
written with order="F".
"""

import numpy as np

SRC = "JuliaDiff/DiffTests.jl src/DiffTests.jl"


def num2num_1(x):
    return np.sin(x) ** 2 / np.cos(x) ** 2


def num2num_2(x):
    return 2 * x + np.sqrt(x * x * x)


def num2num_3(x):
    return 10.31 ** (x + x) - x


def num2num_4(x):
    return 1.0


def num2num_5(x):
    return 1.0 / (1.0 + np.exp(-x))


def identity(x):
    return x


NUMBER_TO_NUMBER = [num2num_1, num2num_2, num2num_3, num2num_4, num2num_5, identity]


def num2arr_1(x):
    a, b, c = num2num_1(x), num2num_2(x), num2num_3(x)
    return np.reshape(np.stack([a, b, c, a - b, b, c, b, c]), (2, 2, 2), order="F")


NUMBER_TO_ARRAY = [num2arr_1]


def vec2num_1(x):
    return (np.exp(x[0]) + np.log(x[2]) * x[3]) / x[4]


def vec2num_2(x):
    return x[0] * x[1] + np.sin(x[0])


def vec2num_3(x):
    return np.linalg.norm(x[None, :] * x[:, None])


def vec2num_4(x):
    np.sum(x) + np.prod(x)
    return 1.0


def vec2num_5(x):
    return np.sum((-x) ** 3)


def vec2num_6(x):
    return np.sum(np.where(x > 0, x, 0))


def vec2num_7(x):
    return np.sum(x[0] * x)


def rosenbrock_1(x):
    result = 0.0
    for i in range(len(x) - 1):
        result = result + (1.0 - x[i]) ** 2 + 100.0 * (x[i + 1] - x[i] ** 2) ** 2
    return result


def rosenbrock_2(x):
    a = x[0]
    b = 100 * a
    i, j = x[1:], x[:-1]
    return np.sum((a - j) ** 2 + b * (i - j**2) ** 2)


def rosenbrock_3(x):
    i, j = x[1:], x[:-1]
    return np.sum((1 - j) ** 2 + 100 * (i - j**2) ** 2)


def rosenbrock_4(x):
    t1 = (1 + x[:-1]) ** 2
    t2 = x[1:] + x[:-1] ** 2
    return np.sum(t1 + 100 * np.abs(t2) ** 2)


def ackley(x):
    a, b, c = 20.0, -0.2, 2.0 * np.pi
    r = 1.0 / len(x)
    return -a * np.exp(b * np.sqrt(r * np.sum(x**2))) - np.exp(r * np.sum(np.cos(c * x))) + a + np.e


def self_weighted_logit(x):
    return 1.0 / (1.0 + np.exp(-np.dot(x, x)))


def first(x):
    return x[0]


VECTOR_TO_NUMBER = [vec2num_1, vec2num_2, vec2num_3, vec2num_4, vec2num_5, vec2num_6, vec2num_7,
                    rosenbrock_1, rosenbrock_2, rosenbrock_3, rosenbrock_4, ackley,
                    self_weighted_logit, first]


def _sq(x):
    n = int(round(np.sqrt(x.size)))
    return np.reshape(x, (n, n), order="F")


def det(x):
    return np.linalg.det(_sq(x))


def mat2num_1(x):
    m = _sq(x)
    return np.linalg.det(m[0, 0] * np.linalg.inv(m @ m) + m)


def mat2num_2(x):
    a = np.reshape(x, (x.size, 1))
    b = np.reshape(np.copy(x), (1, x.size))
    return np.trace(np.log((1 + a @ b) + a - b))


def mat2num_3(x):
    return np.sum(np.sqrt(np.abs(x) + x**2) * 0.5)


def mat2num_4(x):
    m = _sq(x)
    return np.mean(np.sum(np.sin(m) @ m, axis=1))


def softmax(x):
    m = _sq(x)
    return np.sum(np.exp(m) / np.sum(np.exp(m), axis=1, keepdims=True))


MATRIX_TO_NUMBER = [det, mat2num_1, mat2num_2, mat2num_3, mat2num_4, softmax]


def _chebyquad(x):
    n = len(x)
    y = [0.0] * n
    for j in range(n):
        temp1 = 1.0
        temp2 = 2 * x[j] - 1
        temp = 2 * temp2
        for i in range(n):
            y[i] = y[i] + temp2
            ti = temp * temp2 - temp1
            temp1 = temp2
            temp2 = ti
    out = []
    iev = -1.0
    for k in range(1, n + 1):
        yk = y[k - 1] / n
        if iev > 0:
            yk = yk + 1 / (k**2 - 1)
        out.append(yk)
        iev = -iev
    return np.stack(out)


def chebyquad(x):
    return _chebyquad(x)


def brown_almost_linear(x):
    n = len(x)
    c = np.sum(x) - (n + 1)
    y = [0.0] * n
    for i in range(n - 1):
        for j in range(n - 1):
            y[j] = y[j] + x[i] + c
    y[n - 1] = np.prod(x) - 1
    return np.stack(y)


def trigonometric(x):
    n = len(x)
    y = [1.0] * n
    for i in x:
        for j in range(n):
            y[j] = np.cos(i)
    c = sum(y[1:], y[0])
    for i in x:
        for j in range(n):
            y[j] = np.sin(i) * y[j] + n - c
    return np.stack(y)


def mutation_test_1(x):
    y = np.zeros_like(x) + 0 * x  # same number type as x
    y[0] = x[0]
    y[0] = y[0] * x[1]
    y[1] = y[1] * x[2]
    y[2] = np.sum(y)
    return y


def mutation_test_2(x):
    y = np.ones_like(x) + 0 * x
    y[0] = y[0] * x[0]
    y[1] = y[1] * x[0]
    y[0] = y[0] * x[1]
    y[1] = y[1] * x[1]
    return y


def arr2arr_1(x):
    np.sum(x * x)
    return np.zeros(x.shape)


def arr2arr_2(x):
    m = _sq(x)
    return m[0, :] + m[0, :] + m[0, 0]


def negate(x):
    return -x


ARRAY_TO_ARRAY = [negate, chebyquad, brown_almost_linear, trigonometric, arr2arr_1, arr2arr_2,
                  mutation_test_1, mutation_test_2, identity]


def inv(x):
    return np.linalg.inv(_sq(x))


MATRIX_TO_MATRIX = [inv]

# Inputs: fixed random points (DiffTests' users draw rand(); positive entries keep log/sqrt real).
_rng = np.random.default_rng(20261203)
NUMBER_INPUT = 0.7
VECTOR_INPUT = _rng.uniform(0.1, 0.9, 5)
MATRIX_INPUT = _rng.uniform(0.1, 0.9, 9)  # a 3x3 matrix, column-major
ARRAY_INPUT = _rng.uniform(0.1, 0.9, 9)  # chebyquad's domain is [0, 1]
# det, inv and mat2num_1 need a well-conditioned matrix: diagonally dominant.
WELL_INPUT = (_rng.uniform(0.1, 0.9, (3, 3)) + 2 * np.eye(3)).ravel(order="F")
_WELL = {"det", "mat2num_1", "inv"}


def cases():
    """(list name, function, kind, input) for every DiffTests case."""
    out = []
    out += [("NUMBER_TO_NUMBER", f, "derivative", NUMBER_INPUT) for f in NUMBER_TO_NUMBER]
    out += [("NUMBER_TO_ARRAY", f, "derivative", NUMBER_INPUT) for f in NUMBER_TO_ARRAY]
    out += [("VECTOR_TO_NUMBER", f, "gradient", VECTOR_INPUT) for f in VECTOR_TO_NUMBER]
    out += [("MATRIX_TO_NUMBER", f, "gradient", WELL_INPUT if f.__name__ in _WELL else MATRIX_INPUT)
            for f in MATRIX_TO_NUMBER]
    out += [("ARRAY_TO_ARRAY", f, "jacobian", ARRAY_INPUT) for f in ARRAY_TO_ARRAY]
    out += [("MATRIX_TO_MATRIX", f, "jacobian", WELL_INPUT) for f in MATRIX_TO_MATRIX]
    return out
