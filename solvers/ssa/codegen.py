"""Propensity routines specialised to one mass-action network, compiled and cached.

The generic mass-action routine (:func:`solvers.ssa.kernels.mass_action_fill`)
walks the reactant lists of every reaction at every event. For a network of
modest size it pays to write the propensities out as straight-line code,
``a[0] = rates[0] * x[0] * x[1]``, as a hand-written loop would. This
module generates that source for the *structure* of a network (reactant
species and multiplicities; the rate constants stay data, so changing them
recompiles nothing), writes it as a small module in a cache directory
(``$METANUM_CACHE_DIR`` or ``~/.cache/metanum``, else the temporary
directory) and imports it, so that numba can cache the compiled loops on disk
like any other module.

The generated statements repeat, operation for operation, what the generic
routine computes (``r = k; r *= x_s; ...``; ``c *= (n - i) / (i + 1)`` for a
multiplicity above one), so the specialised compiled loop and the generic
pure-Python loop give bit-identical trajectories.

When anything fails (a read-only disk, more than :data:`MAX_REACTIONS`
reactions), :func:`specialised_module` returns ``None`` and the generic
kernels are used.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pathlib
import sys
import tempfile
from types import ModuleType
from solvers.ssa.kernels import _COUNT_MAX, _COUNT_MIN

__all__ = ["fill_source", "direct_source", "specialised_module", "MAX_REACTIONS"]

MAX_REACTIONS = 64          # beyond this, straight-line code costs more to compile than it saves


def fill_source(ptr, species, order) -> str:
    """Source of ``fill(a, x, t, data)`` for the network given in CSR form.

    Examples
    --------
    >>> print(fill_source([0, 2, 3], [0, 1, 1], [1, 1, 1]).splitlines()[3])
        r = rates[0]
    """
    lines = ["@register_jitable", "def fill(a, x, t, data):", "    rates = data[0]"]
    for j in range(len(ptr) - 1):
        lines.append(f"    r = rates[{j}]")
        for q in range(ptr[j], ptr[j + 1]):
            s, m = int(species[q]), int(order[q])
            if m == 1:
                lines.append(f"    r *= x[{s}]")
            else:
                lines.append("    c = 1.0")
                lines += [f"    c *= (x[{s}] - {i}) / {i + 1}" for i in range(m)]
                lines.append("    r *= c")
        lines.append(f"    a[{j}] = r")
    return "\n".join(lines) + "\n"


def _propensity_lines(ptr, species, order, indent: str) -> list:
    """``a_j = k_j * ...`` into locals, in the generic routine's order of operations."""
    lines = []
    for j in range(len(ptr) - 1):
        lines.append(f"{indent}r = k{j}")
        for q in range(ptr[j], ptr[j + 1]):
            s, m = int(species[q]), int(order[q])
            if m == 1:
                lines.append(f"{indent}r *= x{s}")
            else:
                lines.append(f"{indent}c = 1.0")
                lines += [f"{indent}c *= (x{s} - {i}) / {i + 1}" for i in range(m)]
                lines.append(f"{indent}r *= c")
        lines.append(f"{indent}q{j} = r")
    return lines


def direct_source(ptr, species, order, stoich) -> str:
    """Source of a direct-method loop specialised to one network (the state in locals).

    Same signature, same random draws and the same floating-point operations
    as :func:`solvers.ssa.kernels.make_direct` over the generic mass-action
    routine, so the trajectories are bit-identical; what changes is that the
    counts and propensities live in local variables and the selection and
    the state change are unrolled, as in a loop written by hand for the model.
    """
    nr, ns = len(ptr) - 1, len(stoich[0])
    row = lambda ind, dst: [f"{ind}xs[{dst}, {s}] = x{s}" for s in range(ns)]  # noqa: E731

    def update(j, ind):
        # every count of reaction j is checked against the int64 range before any changes
        # (status 5, as the generic kernels' overflowing_species), then the counts change
        checks = []
        for s in range(ns):
            c = int(stoich[j][s])
            if c:
                bound = f"x{s} > {_COUNT_MAX - c}" if c > 0 else f"x{s} < {_COUNT_MIN - c}"
                checks += [f"{ind}if {bound}:", f"{ind}    status = 5", f"{ind}    bad = {s}",
                           f"{ind}    break"]
        return checks + [f"{ind}x{s} += {int(stoich[j][s])}" for s in range(ns) if stoich[j][s]]

    L = ["def direct(x, t, tf, data, vptr, vspecies, vchange, rng, save_mode, saveat, max_events):",
         "    rates = data[0]"]
    L += [f"    k{j} = rates[{j}]" for j in range(nr)]
    L += [f"    x{s} = x[{s}]" for s in range(ns)]
    L += ["    cap = 1024 if save_mode == 0 else (saveat.shape[0] if save_mode == 1 else 1)",
          "    cap = max(cap, 1)",
          "    ts = np.empty(cap)",
          f"    xs = np.empty((cap, {ns}), dtype=x.dtype)",
          "    n = 0", "    k = 0",
          "    if save_mode == 0:", "        ts[0] = t"] + row("        ", 0) + ["        n = 1"]
    L += ["    status = 0", "    bad = -1", "    events = 0", "    while True:"]
    L += _propensity_lines(ptr, species, order, "        ")
    L += ["        atot = 0.0"] + [f"        atot += q{j}" for j in range(nr)]
    L += ["        if atot == _INF or atot != atot:", "            status = 3", "            break",
          "        if atot <= 0.0:", "            break",
          "        tnew = t - math.log1p(-rng.random()) / atot",
          "        if tnew > tf:", "            break",
          "        if save_mode == 1:",
          "            while k < saveat.shape[0] and saveat[k] < tnew:",
          "                ts[k] = saveat[k]"] + row("                ", "k") + [
          "                k += 1",
          "        target = rng.random() * atot",
          "        acc = q0"]
    # selection: first j with a_0 + ... + a_j > target (the generic loop's comparisons)
    ind = "        "
    for j in range(nr - 1):
        L += [f"{ind}if acc > target:"] + update(j, ind + "    ") + [f"{ind}else:"]
        ind += "    "
        L.append(f"{ind}acc += q{j + 1}")
    # fall-through: reaction nr-1, or the last one that can fire if rounding reached a zero
    last = nr - 1
    for j in range(last, -1, -1):
        head = "if" if j == last else "elif"
        L += [f"{ind}{head} q{j} != 0.0:"] + (update(j, ind + "    ") or [f"{ind}    pass"])
    L += ["        t = tnew", "        events += 1",
          "        if save_mode == 0:",
          "            if n == ts.shape[0]:",
          "                ts, xs = _grow(ts, xs)",
          "            ts[n] = t"] + row("            ", "n") + ["            n += 1",
          "        if events >= max_events:", "            status = 1", "            break"]
    L += [f"    x[{s}] = x{s}" for s in range(ns)]
    L += ["    if status == 0:", "        t = tf",
          "        if save_mode == 0:",
          "            if n == ts.shape[0]:",
          "                ts, xs = _grow(ts, xs)",
          "            ts[n] = t"] + row("            ", "n") + ["            n += 1"]
    L += ["    if save_mode == 1:",
          "        while k < saveat.shape[0] and saveat[k] <= t:",
          "            ts[k] = saveat[k]"] + row("            ", "k") + [
          "            k += 1", "        n = k",
          "    if save_mode == 2:", "        ts[0] = t"] + row("        ", 0) + ["        n = 1",
          "    return ts[:n], xs[:n], t, events, status, bad"]
    return "\n".join(L) + "\n"


def _cache_dir() -> pathlib.Path:
    root = os.environ.get("METANUM_CACHE_DIR")
    candidates = [pathlib.Path(root)] if root else []
    candidates += [pathlib.Path.home() / ".cache" / "metanum",
                   pathlib.Path(tempfile.gettempdir()) / "metanum-cache"]
    for base in candidates:
        path = base / "ssa_networks"
        try:
            path.mkdir(parents=True, exist_ok=True)
            probe = path / f".probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
            return path
        except OSError:
            continue
    raise OSError("no writable cache directory for generated SSA kernels")


def specialised_module(ptr, species, order, stoich) -> ModuleType | None:
    """Import (generating it first if needed) the module of this network's kernels."""
    if len(ptr) - 1 > MAX_REACTIONS:
        return None
    body = fill_source(ptr, species, order) + "\n\n" + direct_source(ptr, species, order, stoich)
    digest = hashlib.sha1(body.encode()).hexdigest()[:20]
    name = f"metanum_ssa_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    source = ("# generated by solvers.ssa.codegen for one reaction network; safe to delete\n"
              "import math\n\nimport numpy as np\n\n"
              "from solvers.ssa.kernels import _INF, _grow, make_tau_leap, register_jitable\n\n\n"
              + body + "\n\ntau = make_tau_leap(fill)\n")
    try:
        path = _cache_dir() / f"{name}.py"
        if not path.exists() or path.read_text() != source:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(source)
            os.replace(tmp, path)                  # atomic: concurrent writers agree
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except Exception:  # any failure: the generic kernels serve instead
        sys.modules.pop(name, None)
        return None
    return module
