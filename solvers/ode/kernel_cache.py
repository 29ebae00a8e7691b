"""Disk-cached numba kernels specialised on a user's functions.

A compiled loop that calls the user's ``f`` (and ``jac``) is specialised on them, and numba's own
``cache=True`` cannot cache it: ``f``'s dispatcher type is in the loop's signature, and the cache
index pickles that type by ``f``'s module (the reason :mod:`solvers.ode.compiled_loop` leaves its
loop uncached). :func:`cached_kernel` instead writes a small module, through
:func:`numeric.reverse.compile.load_source` (one file per source digest in the tape cache directory,
``METANUM_CACHE_DIR``), whose ``run(...)`` calls the loop with the user's functions as *globals*
of that module: ``run``'s signature holds only the numeric arguments, so ``cache=True`` works and a
new process loads the compiled machine code instead of compiling for seconds.

Invalidation. The cache file is named by a digest of its source, and the source carries a key of
everything the compiled code depends on: :func:`function_key` of each user function (its bytecode,
constants, defaults, closure values and the globals it names, recursively through the functions it
calls: edit ``f``, a helper it calls or a module-level constant it reads and the key changes), and
the text of the loop's own modules (a new metanum recompiles), and each user function's module and
qualified name (numba's cache refers to a global function by them: the same code defined in another
module gets its own entry, not one that imports the first module). A function whose globals hold
something without a stable key (an arbitrary object) gets ``None``: its kernel is compiled in the
process, uncached, as before. Attributes of imported modules (``mymodule.K``) are keyed by the
module's name only, as numba's own cache does for every global.

Examples
--------
>>> import numba, numpy as np
>>> f = numba.njit(lambda u, p, t: -u)
>>> function_key(f) == function_key(numba.njit(lambda u, p, t: -u)), function_key(f) == function_key(
...     numba.njit(lambda u, p, t: -2.0 * u))
(True, False)
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import textwrap
import types
from typing import Any, Callable

import numpy as np

__all__ = ["function_key", "bound_source", "cached_kernel"]

_SCALARS = (type(None), bool, int, float, complex, str, bytes)
_KERNELS: dict = {}  # source digest -> the entry function, in this process
_BOUND: dict = {}  # (entry, functions, bound dispatchers) -> the entry function (or None), in this process


def _code_key(code: types.CodeType) -> str:
    consts = [_code_key(c) if isinstance(c, types.CodeType) else _const_key(c) for c in code.co_consts]
    return repr((code.co_code.hex(), consts, code.co_names, code.co_varnames, code.co_argcount))


def _const_key(c: Any) -> str:
    if isinstance(c, frozenset):  # its iteration order follows string hashing, which varies by process
        return "frozenset" + repr(sorted(_const_key(x) for x in c))
    if isinstance(c, tuple):
        return "(" + ",".join(_const_key(x) for x in c) + ")"
    return repr(c)


def _names(code: types.CodeType) -> set:
    out = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            out |= _names(c)
    return out


def _value_key(v: Any, seen: set) -> str | None:
    """A deterministic key of a global/closure value *v*, or None (no stable key)."""
    if isinstance(v, _SCALARS):
        return f"{type(v).__name__}:{v!r}"
    if isinstance(v, (tuple, list)):
        keys = [_value_key(x, seen) for x in v]
        return None if None in keys else f"{type(v).__name__}({','.join(keys)})"
    if isinstance(v, np.ndarray):
        return f"ndarray:{v.dtype.str}:{v.shape}:{hashlib.sha1(np.ascontiguousarray(v).tobytes()).hexdigest()}"
    if isinstance(v, np.generic):
        return f"{type(v).__name__}:{v!r}"
    if isinstance(v, types.ModuleType):
        return f"module:{v.__name__}"
    if isinstance(getattr(v, "py_func", v), types.FunctionType):
        return function_key(v, seen)
    if isinstance(v, (types.BuiltinFunctionType, np.ufunc, type)):
        return f"builtin:{getattr(v, '__module__', '')}.{getattr(v, '__qualname__', v.__name__)}"
    return None


def function_key(fn: Any, _seen: set | None = None) -> str | None:
    """A digest of what the compiled *fn* (a Python function or numba dispatcher) computes, or None.

    Parameters
    ----------
    fn : function or numba dispatcher

    Returns
    -------
    str or None
        The same for functions that compile to the same code (bytecode, constants, defaults, closure
        values and referenced globals, recursively); None when a referenced value has no stable key.

    Examples
    --------
    >>> function_key(lambda u, p, t: u) == function_key(lambda u, p, t: u)
    True
    """
    py = getattr(fn, "py_func", fn)
    if not isinstance(py, types.FunctionType):
        return None
    seen = set() if _seen is None else _seen
    if id(py) in seen:  # recursion: the name is key enough inside the cycle
        return f"rec:{py.__module__}.{py.__qualname__}"
    seen.add(id(py))
    named = [(f"{n}=", py.__globals__[n]) for n in sorted(_names(py.__code__)) if n in py.__globals__]
    try:
        named += [(f"{n}~", c.cell_contents) for n, c in zip(py.__code__.co_freevars, py.__closure__ or ())]
    except ValueError:  # an empty cell (a closure over a name not yet bound)
        seen.discard(id(py))
        return None
    named.append(("defaults=", py.__defaults__))
    parts = [py.__qualname__, _code_key(py.__code__)]
    for label, v in named:
        k = _value_key(v, seen)
        if k is None:
            seen.discard(id(py))
            return None
        parts.append(label + k)
    seen.discard(id(py))
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def _module_text_key(modules: tuple) -> str:
    h = hashlib.sha1()
    for m in modules:
        with open(importlib.import_module(m).__file__, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()


class _Bind(ast.NodeTransformer):
    """Drop the parameters named in *drop* from a function and the same bare names from every
    call's arguments: they then name the generated module's globals."""

    def __init__(self, drop: set, rename: dict):
        self.drop, self.rename = drop, rename

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        node.args.args = [a for a in node.args.args if a.arg not in self.drop]
        node.name = self.rename.get(node.name, node.name)
        node.decorator_list = [ast.parse("numba.njit(cache=True)", mode="eval").body]
        return node

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        node.args = [a for a in node.args if not (isinstance(a, ast.Name) and a.id in self.drop)]
        if isinstance(node.func, ast.Name):
            node.func.id = self.rename.get(node.func.id, node.func.id)
        return node


def bound_source(functions: dict, drop: set) -> str:
    """The source of the numba functions *functions* (new name -> dispatcher), each with the
    parameters named in *drop* removed from its signature and its calls, so that those names are
    the module's globals: called by name, numba resolves them at compile time, and no function of
    the module takes a dispatcher argument (which numba's cache cannot key)."""
    rename = {fn.py_func.__name__: name for name, fn in functions.items()}
    out = []
    for fn in functions.values():
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn.py_func)))
        tree = ast.fix_missing_locations(_Bind(drop, rename).visit(tree))
        callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        for node in ast.walk(tree):  # a dropped name used other than as a callee cannot be bound
            if isinstance(node, ast.Name) and node.id in drop and id(node) not in callees:
                raise ValueError(f"{fn.py_func.__name__} uses {node.id} other than by calling it")
        out.append(ast.unparse(tree))
    return "\n\n\n".join(out) + "\n"


def cached_kernel(functions: dict, bound: dict, entry: str, deps: tuple = ()) -> Callable | None:
    """Function *entry* of a module of *functions* bound to the user's *bound*, cached on disk.

    Parameters
    ----------
    functions : dict
        New name -> ``numba.njit`` function (their module's globals are the generated module's);
        each is rewritten by :func:`bound_source` so the names of *bound* and *functions* it takes
        as arguments become globals.
    bound : dict
        Name -> the user's functions (numba dispatchers).
    entry : str
        The name (a key of *functions*) of the function returned.
    deps : tuple of str
        Further modules the compiled code calls into (their text is part of the key).

    Returns
    -------
    callable or None
        None when a bound function has no stable :func:`function_key` (run the functions uncached).
    """
    memo = (entry, tuple(functions.items()), tuple(bound.items()))
    if memo in _BOUND:  # these very dispatchers, bound before in this process
        return _BOUND[memo]
    _BOUND[memo] = run = _load(functions, bound, entry, deps)
    return run


def _load(functions: dict, bound: dict, entry: str, deps: tuple) -> Callable | None:
    keys = [function_key(v) for v in bound.values()]
    if None in keys:
        return None
    from numeric.reverse.compile import load_source

    mods = tuple(dict.fromkeys([fn.py_func.__module__ for fn in functions.values()] + list(deps)))
    # where each bound function lives is part of the key: numba's cache entry refers to a global
    # dispatcher by its module and name, so a process loading another module's entry (the same
    # code defined elsewhere) would import that module, and fail where it is not importable
    origins = " ".join(f"{v.py_func.__module__}.{v.py_func.__qualname__}" for v in bound.values())
    source = (f"# metanum kernel bound to {', '.join(bound)} (solvers/ode/kernel_cache.py)\n"
              f"# keys: {' '.join(keys)}\n# origins: {origins}\n# modules: {_module_text_key(mods)}\n"
              "import numba\n\n\n"
              + bound_source(functions, set(bound) | set(functions)))
    digest = hashlib.sha1(source.encode()).hexdigest()
    run = _KERNELS.get(digest)
    if run is None:
        env: dict = {}
        for fn in reversed(functions.values()):  # the globals of their modules (the first's win)
            env.update((k, v) for k, v in fn.py_func.__globals__.items() if not k.startswith("__"))
        env.update(bound)
        run = _KERNELS[digest] = load_source(source, cache=True, name=entry, env=env)
    return run
