"""Jump problems: a continuous-time Markov chain on integer species counts.

A reaction ``j`` fires at rate ``a_j(x)`` (its *propensity*) and changes the
state by the integer vector ``nu_j`` (row ``j`` of the net stoichiometry
matrix, shape ``(n_reactions, n_species)``). Two ways to give a problem:

* :meth:`JumpProblem.mass_action` -- reactions as ``(reactants, products,
  rate)`` with species names. The propensity is Gillespie's combinatorial
  mass-action law (Gillespie 1977, J. Phys. Chem. 81:2340):
  ``a_j(x) = k_j * prod_i C(x_i, r_ji)``, the number of distinct reactant
  combinations times the rate constant. For ``S + I -> 2 I`` that is
  ``k S I``; for ``2 A -> B`` it is ``k A (A - 1) / 2``.
* :meth:`JumpProblem.from_propensity` -- any function
  ``propensity(x, p, t) -> array of n_reactions rates`` and a stoichiometry
  matrix. The function should be time-homogeneous between events (the direct
  method is exact for propensities that change only when the state does).
  Written with plain NumPy/math on ``x``, numba compiles it and the solver
  runs at compiled speed; otherwise the pure-Python loop runs it.

Examples
--------
>>> bd = JumpProblem.mass_action(x0=[0], reactions=[({}, {"X": 1}, 10.0), ({"X": 1}, {}, 1.0)],
...                              species=["X"], tspan=(0.0, 5.0))
>>> bd.stoich.tolist(), bd.rates.tolist()
([[1], [-1]], [10.0, 1.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

__all__ = ["JumpProblem", "MassAction"]


def _integer_counts(x0: Any, what: str = "x0") -> np.ndarray:
    arr = np.asarray(x0)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be a 1-D sequence of species counts, got shape {arr.shape}")
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{what} must hold integer species counts, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            bad = arr[~np.isfinite(arr) | (arr != np.round(arr))]
            raise ValueError(f"{what} must hold integer species counts; got non-integer values "
                             f"{bad[:3].tolist()}: round them (e.g. np.rint) if that is meant")
    if np.any(arr < 0):
        raise ValueError(f"{what} must hold non-negative species counts, got {arr.tolist()}")
    return arr.astype(np.int64)


@dataclass(frozen=True)
class MassAction:
    """Mass-action propensities in compressed (CSR) form, ready for the kernels.

    Reaction ``j`` has reactants ``species[ptr[j]:ptr[j+1]]`` with
    multiplicities ``order[ptr[j]:ptr[j+1]]``; ``rates[j]`` is its constant.
    ``depends[dptr[j]:dptr[j+1]]`` lists the reactions whose propensity can
    change when ``j`` fires (the dependency graph of Gibson & Bruck 2000).
    """

    rates: np.ndarray
    ptr: np.ndarray
    species: np.ndarray
    order: np.ndarray
    dptr: np.ndarray
    depends: np.ndarray

    @classmethod
    def build(cls, reactants: np.ndarray, rates: np.ndarray, stoich: np.ndarray) -> "MassAction":
        ptr, species, order = [0], [], []
        for row in reactants:
            for s in np.flatnonzero(row):
                species.append(s)
                order.append(row[s])
            ptr.append(len(species))
        # reaction k depends on j when j changes a reactant species of k
        dptr, depends = [0], []
        for j in range(stoich.shape[0]):
            changed = stoich[j] != 0
            for k in range(reactants.shape[0]):
                if np.any(changed & (reactants[k] > 0)):
                    depends.append(k)
            dptr.append(len(depends))
        as_int = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
        return cls(np.asarray(rates, dtype=np.float64), as_int(ptr), as_int(species), as_int(order),
                   as_int(dptr), as_int(depends))


@dataclass
class JumpProblem:
    """A jump process ``x(t)`` on non-negative integer counts.

    Parameters
    ----------
    x0 : sequence of int
        Initial counts, one per species.
    stoich : array_like of int, shape (n_reactions, n_species)
        Net change of each species when each reaction fires.
    tspan : (t0, tf)
        Time interval.
    propensity : callable, optional
        ``propensity(x, p, t)`` returning the ``n_reactions`` rates. Not
        needed for mass-action problems (see :meth:`mass_action`).
    p : any
        Parameters handed to ``propensity``.
    species : sequence of str, optional
        Species names (``sol["I"]`` picks a column by name).
    mass_action_data : MassAction, optional
        Set by :meth:`mass_action`; the compiled mass-action kernels use it.

    Examples
    --------
    >>> import numpy as np
    >>> prob = JumpProblem.from_propensity(lambda x, p, t: np.array([p[0], p[1] * x[0]]),
    ...                                    stoich=[[1], [-1]], x0=[0], tspan=(0, 1), p=(10.0, 1.0))
    >>> prob.n_reactions, prob.n_species
    (2, 1)
    """

    x0: Any
    stoich: Any
    tspan: tuple
    propensity: Callable | None = None
    p: Any = None
    species: Sequence[str] | None = None
    mass_action_data: MassAction | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.x0 = _integer_counts(self.x0)
        _refuse_number_types(self.p, "p")
        stoich = np.asarray(self.stoich)
        if stoich.ndim == 1 and self.x0.size == 1:
            stoich = stoich.reshape(-1, 1)
        if stoich.ndim != 2 or stoich.shape[1] != self.x0.size:
            raise ValueError(
                f"stoich must have shape (n_reactions, n_species) = (?, {self.x0.size}) to match "
                f"x0 with {self.x0.size} species, got shape {stoich.shape}; one row per reaction, "
                "one column per species (transpose it if you wrote species by reactions)")
        if stoich.dtype.kind not in "iu" and not np.all(stoich == np.round(stoich)):
            raise ValueError("stoich must hold integer changes of the species counts")
        self.stoich = stoich.astype(np.int64)
        if len(self.tspan) != 2:
            raise ValueError(f"tspan must be (t0, tf), got {self.tspan!r}")
        t0, tf = float(self.tspan[0]), float(self.tspan[1])
        if not (math.isfinite(t0) and math.isfinite(tf) and tf >= t0):
            raise ValueError(f"tspan must be finite with tf >= t0, got {self.tspan!r}")
        self.tspan = (t0, tf)
        if self.species is not None:
            self.species = [str(s) for s in self.species]
            if len(self.species) != self.x0.size:
                raise ValueError(f"{len(self.species)} species names for {self.x0.size} species")
        if self.propensity is None and self.mass_action_data is None:
            raise ValueError("a JumpProblem needs a propensity function or mass-action reactions "
                             "(use JumpProblem.mass_action or JumpProblem.from_propensity)")
        if self.propensity is not None and not callable(self.propensity):
            raise TypeError("propensity must be a callable propensity(x, p, t)")

    @property
    def n_species(self) -> int:
        return int(self.x0.size)

    @property
    def n_reactions(self) -> int:
        return int(self.stoich.shape[0])

    @property
    def rates(self) -> np.ndarray:
        if self.mass_action_data is None:
            raise AttributeError("rates exist only for mass-action problems")
        return self.mass_action_data.rates

    def remake(self, **changes: Any) -> "JumpProblem":
        """A copy with some fields replaced (``x0``, ``tspan``, ``p``, ``rates``...).

        ``rates=`` replaces the mass-action rate constants.

        Examples
        --------
        >>> bd = JumpProblem.mass_action([0], [({}, {"X": 1}, 1.0)], ["X"], (0.0, 1.0))
        >>> bd.remake(rates=[2.0]).rates.tolist()
        [2.0]
        """
        fields = dict(x0=self.x0, stoich=self.stoich, tspan=self.tspan, propensity=self.propensity,
                      p=self.p, species=self.species, mass_action_data=self.mass_action_data)
        rates = changes.pop("rates", None)
        fields.update(changes)
        if rates is not None:
            ma = self.mass_action_data
            if ma is None:
                raise ValueError("rates= applies to mass-action problems only")
            rates = np.asarray(rates, dtype=float)
            if rates.shape != ma.rates.shape:
                raise ValueError(f"rates must have shape {ma.rates.shape}, got {rates.shape}")
            _check_rates(rates)
            fields["mass_action_data"] = MassAction(rates, ma.ptr, ma.species, ma.order, ma.dptr,
                                                    ma.depends)
        return JumpProblem(**fields)

    def _solve(self, algorithm: Any = None, **options: Any):
        """Entry point used by ``solvers.solve`` (see :mod:`solvers.ssa.algorithms`)."""
        from solvers.ssa.algorithms import Direct, run
        return run(self, Direct() if algorithm is None else algorithm, **options)

    # ------------------------------------------------------------------ builders
    @classmethod
    def mass_action(cls, x0: Sequence[int], reactions: Sequence[tuple], species: Sequence[str],
                    tspan: tuple) -> "JumpProblem":
        """Build a problem from mass-action reactions.

        Parameters
        ----------
        x0 : sequence of int
            Initial counts in the order of *species*.
        reactions : sequence of ``(reactants, products, rate)``
            ``reactants`` and ``products`` map species names to
            multiplicities (``{}`` for none); ``rate`` is the constant ``k``.
        species : sequence of str
        tspan : (t0, tf)

        Examples
        --------
        >>> sir = JumpProblem.mass_action([99, 1, 0], [({"S": 1, "I": 1}, {"I": 2}, 1e-3),
        ...                                           ({"I": 1}, {"R": 1}, 0.05)],
        ...                               ["S", "I", "R"], (0.0, 100.0))
        >>> sir.stoich.tolist()
        [[-1, 1, 0], [0, -1, 1]]
        """
        species = [str(s) for s in species]
        index = {name: i for i, name in enumerate(species)}
        if len(index) != len(species):
            raise ValueError(f"species names must be distinct, got {species}")
        n = len(species)
        reactants = np.zeros((len(reactions), n), dtype=np.int64)
        products = np.zeros((len(reactions), n), dtype=np.int64)
        rates = np.empty(len(reactions))
        for j, reaction in enumerate(reactions):
            if len(reaction) != 3:
                raise ValueError(f"reaction {j} must be (reactants, products, rate), "
                                 f"got {reaction!r}")
            left, right, rate = reaction
            for side, table in ((left, reactants), (right, products)):
                if not isinstance(side, Mapping):
                    raise TypeError(f"reaction {j}: reactants and products are dicts "
                                    f"{{species: multiplicity}}, got {side!r}")
                for name, count in side.items():
                    if name not in index:
                        raise ValueError(f"reaction {j} names unknown species {name!r}; "
                                         f"species are {species}")
                    if int(count) != count or count < 0:
                        raise ValueError(f"reaction {j}: multiplicity of {name!r} must be a "
                                         f"non-negative integer, got {count!r}")
                    table[j, index[name]] += int(count)
            _refuse_number_types(rate, f"the rate of reaction {j}")
            rates[j] = rate
        _check_rates(rates)
        stoich = products - reactants
        data = MassAction.build(reactants, rates, stoich)
        return cls(x0=x0, stoich=stoich, tspan=tspan, species=species, mass_action_data=data)

    @classmethod
    def from_propensity(cls, propensity: Callable, stoich: Any, x0: Sequence[int], tspan: tuple,
                        p: Any = None, species: Sequence[str] | None = None) -> "JumpProblem":
        """Build a problem from ``propensity(x, p, t)`` and a stoichiometry matrix.

        Examples
        --------
        >>> import numpy as np
        >>> prob = JumpProblem.from_propensity(lambda x, p, t: np.array([1.0]), [[1]], [0], (0, 1))
        >>> prob.n_reactions
        1
        """
        return cls(x0=x0, stoich=stoich, tspan=tspan, propensity=propensity, p=p, species=species)


def _leaves(p: Any) -> list:
    if isinstance(p, Mapping):
        return [x for v in p.values() for x in _leaves(v)]
    if isinstance(p, (tuple, list)) or (isinstance(p, np.ndarray) and p.dtype == object):
        return [x for v in (p.ravel().tolist() if isinstance(p, np.ndarray) else p) for x in _leaves(v)]
    return [p]


def _refuse_number_types(p: Any, what: str) -> None:
    """Refuse a Dual, Measurement or other number carrying derivatives or uncertainty in *p*: the
    species counts of an SSA path are piecewise constant in the rates (their pathwise derivative is
    zero almost everywhere), so there is nothing to carry, and the kernels' float() would refuse it
    with a message that does not say why."""
    from solvers._nm import nm

    for leaf in _leaves(p):
        if not callable(leaf) and nm.value(leaf) is not leaf:
            raise TypeError(
                f"{what} is a {type(leaf).__name__}: the Gillespie SSA's species counts are piecewise "
                "constant in the rates (their pathwise derivative is zero almost everywhere, not the "
                "derivative of their expectation), so it takes plain numbers. Pass nm.value(...); for "
                "derivatives of expectations use finite differences of ensemble means with common "
                "random numbers (the same seed), or a JumpProblem of solvers.jumps coupled to an ODE")


def _check_rates(rates: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(rates) | (rates < 0))
    if bad.size:
        j = int(bad[0])
        raise ValueError(f"rate constant of reaction {j} is {rates[j]!r}: rate constants must be "
                         "finite and non-negative (a negative rate gives negative propensities)")
