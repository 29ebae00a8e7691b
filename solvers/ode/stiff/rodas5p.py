"""Rodas5P and Rodas5: stiffly accurate, L-stable 8-stage Rosenbrock methods of order 5(4).

Sources:

* Rodas5P: G. Steinebach, "Construction of Rosenbrock–Wanner method Rodas5P and numerical
  benchmarks within the Julia Differential Equations package", BIT Numer. Math. 63 (2023) 27.
* Rodas5: G. Di Marzo, "RODAS5(4) -- Méthodes de Rosenbrock d'ordre 5(4) adaptées aux
  problèmes différentiels-algébriques", MSc thesis, Univ. Geneva (1993); as in Hairer's
  ``rodas.f`` coefficient set 5.

The decimal coefficients (W-transformed form, the same as :mod:`solvers.ode.stiff.rodas`,
``W = M / (gamma h) - J``) and the three dense-output rows are copied from OrdinaryDiffEq.jl's
``Rodas5Tableau`` / ``Rodas5PTableau`` (OrdinaryDiffEqRosenbrock, ``rosenbrock_tableaus.jl``).
Stages 6, 7 and 8 all sit at ``t + h``: stage 7 adds ``k_6`` and stage 8 adds ``k_7`` to stage 6's
state, and ``u_new = stage-8 state + k_8``; the error estimate is ``k_8`` (order 4) and the dense
output is ``(1 - s) u + s (u1 + (1 - s) (K1 + s (K2 + s K3)))`` (order 4 interpolant).

The coefficients are 16-digit decimals, read exactly as fractions and converted once per real
type: an ``mpf`` run uses mpmath arithmetic and generic LU throughout, but the order
conditions hold only to about ``1e-16``, so its accuracy stops near double precision (use
Rosenbrock23 or RadauIIA5, whose coefficients are exact, for more digits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from solvers.ode.stiff.method import StiffMethod
from solvers.ode.stiff.rodas import RosenbrockStepper, RosenbrockTableau, _fr

__all__ = ["Rodas5P", "Rodas5", "RODAS5P", "RODAS5"]


def _stiffly_accurate_rows(a_rows: tuple) -> tuple:
    """The 8 stage rows from the first six: stages 7 and 8 add ``k_6`` and ``k_7`` with weight 1."""
    last = a_rows[-1]
    one = Fraction(1)
    return a_rows + (last + (one,), last + (one, one))


def _tableau(name: str, gamma: str, a_rows: tuple, C: tuple, c: tuple, d: tuple, H: tuple) -> RosenbrockTableau:
    return RosenbrockTableau(name=name, gamma=Fraction(gamma), a=_stiffly_accurate_rows(a_rows), C=C,
                             c=_fr(*c, "1", "1", "1"), d=_fr(*d, "0", "0", "0"), H=H, order=5)


RODAS5P = _tableau(
    "Rodas5P", "0.21193756319429014",
    a_rows=((), _fr("3.0"), _fr("2.849394379747939", "0.45842242204463923"),
            _fr("-6.954028509809101", "2.489845061869568", "-10.358996098473584"),
            _fr("2.8029986275628964", "0.5072464736228206", "-0.3988312541770524", "-0.04721187230404641"),
            _fr("-7.502846399306121", "2.561846144803919", "-11.627539656261098", "-0.18268767659942256",
                "0.030198172008377946")),
    C=((), _fr("-14.155112264123755"), _fr("-17.97296035885952", "-2.859693295451294"),
       _fr("147.12150275711716", "-1.41221402718213", "71.68940251302358"),
       _fr("165.43517024871676", "-0.4592823456491126", "42.90938336958603", "-5.961986721573306"),
       _fr("24.854864614690072", "-3.0009227002832186", "47.4931110020768", "5.5814197821558125",
           "-0.6610691825249471"),
       _fr("30.91273214028599", "-3.1208243349937974", "77.79954646070892", "34.28646028294783",
           "-19.097331116725623", "-28.087943162872662"),
       _fr("37.80277123390563", "-3.2571969029072276", "112.26918849496327", "66.9347231244047",
           "-40.06618937091002", "-54.66780262877968", "-9.48861652309627")),
    c=("0", "0.6358126895828704", "0.4095798393397535", "0.9769306725060716", "0.4288403609558664"),
    d=("0.21193756319429014", "-0.42387512638858027", "-0.3384627126235924", "1.8046452872882734",
       "2.325825639765069"),
    H=(_fr("25.948786856663858", "-2.5579724845846235", "10.433815404888879", "-2.3679251022685204",
           "0.524948541321073", "1.1241088310450404", "0.4272876194431874", "-0.17202221070155493"),
       _fr("-9.91568850695171", "-0.9689944594115154", "3.0438037242978453", "-24.495224566215796",
           "20.176138334709044", "15.98066361424651", "-6.789040303419874", "-6.710236069923372"),
       _fr("11.419903575922262", "2.8879645146136994", "72.92137995996029", "80.12511834622643",
           "-52.072871366152654", "-59.78993625266729", "-0.15582684282751913", "4.883087185713722")),
)  # fmt: skip

RODAS5 = _tableau(
    "Rodas5", "0.19",
    a_rows=((), _fr("2.0"), _fr("3.040894194418781", "1.041747909077569"),
            _fr("2.576417536461461", "1.622083060776640", "-0.9089668560264532"),
            _fr("2.760842080225597", "1.446624659844071", "-0.3036980084553738", "0.2877498600325443"),
            _fr("-14.09640773051259", "6.925207756232704", "-41.47510893210728", "2.343771018586405",
                "24.13215229196062")),
    C=((), _fr("-10.31323885133993"), _fr("-21.04823117650003", "-7.234992135176716"),
       _fr("32.22751541853323", "-4.943732386540191", "19.44922031041879"),
       _fr("-20.69865579590063", "-8.816374604402768", "1.260436877740897", "-0.7495647613787146"),
       _fr("-46.22004352711257", "-17.49534862857472", "-289.6389582892057", "93.60855400400906",
           "318.3822534212147"),
       _fr("34.20013733472935", "-14.15535402717690", "57.82335640988400", "25.83362985412365",
           "1.408950972071624", "-6.551835421242162"),
       _fr("42.57076742291101", "-13.80770672017997", "93.98938432427124", "18.77919633714503",
           "-31.58359187223370", "-6.685968952921985", "-5.810979938412932")),
    c=("0", "0.38", "0.3878509998321533", "0.4839718937873840", "0.4570477008819580"),
    d=("0.19", "-0.1823079225333714636", "-0.319231832186874912", "0.3449828624725343",
       "-0.377417564392089818"),
    H=(_fr("27.354592673333357", "-6.925207756232857", "26.40037733258859", "0.5635230501052979",
           "-4.699151156849391", "-1.6008677469422725", "-1.5306074446748028", "-1.3929872940716344"),
       _fr("44.19024239501722", "1.3677947663381929e-13", "202.93261852171622", "-35.5669339789154",
           "-181.91095152160645", "3.4116351403665033", "2.5793540257308067", "2.2435122582734066"),
       _fr("-44.0988150021747", "-5.755396159656812e-13", "-181.26175034586677", "56.99302194811676",
           "183.21182741427398", "-7.480257918273637", "-5.792426076169686", "-5.32503859794143")),
)  # fmt: skip


@dataclass
class Rodas5P(StiffMethod):
    """Steinebach's Rodas5P (L-stable, stiffly accurate, order 5, embedded order 4, 4th-order
    dense output); the recommended default Rosenbrock method at moderate tolerances.

    Examples
    --------
    >>> import numpy as np
    >>> from solvers import ODEProblem, solve
    >>> from solvers.ode.stiff import Rodas5P
    >>> sol = solve(ODEProblem(lambda u, p, t: -50 * (u - np.cos(t)), np.array([0.0]), (0.0, 1.0)),
    ...             Rodas5P(), rtol=1e-8, atol=1e-10)
    >>> exact = 2500 / 2501 * (np.cos(1) + np.sin(1) / 50 - np.exp(-50))
    >>> bool(abs(sol.u[-1][0] - exact) < 1e-7)
    True
    """

    name: str = field(default="Rodas5P", init=False)
    order: int = field(default=5, init=False)
    error_order: int = field(default=4, init=False)
    exact_jacobian: bool = field(default=True, init=False)
    tableau = RODAS5P

    def make_stepper(self, ctx: Any) -> RosenbrockStepper:
        self.check_state(ctx.u0)
        return RosenbrockStepper(self, ctx)


@dataclass
class Rodas5(Rodas5P):
    """Di Marzo's Rodas5 (Hairer's ``rodas.f`` set 5): same structure as :class:`Rodas5P`.

    Examples
    --------
    >>> Rodas5().order
    5
    """

    name: str = field(default="Rodas5", init=False)
    tableau = RODAS5
