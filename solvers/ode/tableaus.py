"""Butcher tableaus of the low- and medium-order explicit methods (data only).

Sources of the coefficients
---------------------------
* Euler, explicit midpoint, classical RK4: Hairer, Nørsett & Wanner,
  *Solving Ordinary Differential Equations I* (2nd ed., 1993), §II.1. The
  RK4 continuous extension (order 3) is HNW I, §II.6, eq. (6.8).
* BS3: P. Bogacki, L. F. Shampine, "A 3(2) pair of Runge–Kutta formulas",
  Appl. Math. Lett. 2 (1989) 321–325. Dense output: the cubic Hermite
  interpolant on ``u_n, f_n, u_{n+1}, f_{n+1}`` (order 3), as in that paper.
* DP5: J. R. Dormand, P. J. Prince, "A family of embedded Runge–Kutta
  formulae", J. Comput. Appl. Math. 6 (1980) 19–26; error coefficients and
  the order-4 dense output of Shampine (1986) as printed in HNW I, §II.6,
  and in Hairer's ``dopri5.f`` (coefficients ``d1 .. d7``).
* Tsit5: Ch. Tsitouras, "Runge–Kutta pairs of order 5(4) satisfying only the
  first column simplifying assumption", Comput. Math. Appl. 62 (2011)
  770–775. The 85-digit decimal values of the coefficients and of the
  expanded interpolation polynomials ``b_i(theta) = sum_k r_ik theta^k`` are
  the ones tabulated in OrdinaryDiffEq.jl (``Tsit5ConstantCache`` /
  ``Tsit5Interp``, file ``low_order_rk_tableaus.jl``), read here as exact
  decimals.
"""

from __future__ import annotations

from fractions import Fraction

from solvers.ode.tableau import F, ButcherTableau, hermite_dense, poly_add

__all__ = ["EULER", "MIDPOINT", "RK4", "BS3", "DP5", "TSIT5"]

_0 = Fraction(0)
_1 = Fraction(1)

# ---------------------------------------------------------------- Euler (HNW I, §II.1)
EULER = ButcherTableau(
    name="Euler",
    c=(_0,),
    a=((),),
    b=(_1,),
    order=1,
    dense=((_1,),),
    dense_order=1,
    source="Euler (1768); HNW I §II.1",
)

# ---------------------------------------------------------------- explicit midpoint (HNW I, §II.1)
MIDPOINT = ButcherTableau(
    name="Midpoint",
    c=(_0, F(1, 2)),
    a=((), (F(1, 2),)),
    b=(_0, _1),
    order=2,
    # b1(theta) = theta - theta^2, b2(theta) = theta^2: order 2 for every theta.
    dense=((_1, -_1), (_0, _1)),
    dense_order=2,
    source="Runge (1895); HNW I §II.1",
)

# ---------------------------------------------------------------- classical RK4 (HNW I, §II.1, §II.6)
RK4 = ButcherTableau(
    name="RK4",
    c=(_0, F(1, 2), F(1, 2), _1),
    a=((), (F(1, 2),), (_0, F(1, 2)), (_0, _0, _1)),
    b=(F(1, 6), F(1, 3), F(1, 3), F(1, 6)),
    order=4,
    dense=(
        (_1, F(-3, 2), F(2, 3)),
        (_0, _1, F(-2, 3)),
        (_0, _1, F(-2, 3)),
        (_0, F(-1, 2), F(2, 3)),
    ),
    dense_order=3,
    source="Kutta (1901); continuous extension HNW I §II.6 (6.8)",
)

# ---------------------------------------------------------------- Bogacki–Shampine 3(2)
_BS3_B = (F(2, 9), F(1, 3), F(4, 9), _0)
BS3 = ButcherTableau(
    name="BS3",
    c=(_0, F(1, 2), F(3, 4), _1),
    a=((), (F(1, 2),), (_0, F(3, 4)), (F(2, 9), F(1, 3), F(4, 9))),
    b=_BS3_B,
    order=3,
    # b - bhat with bhat = (7/24, 1/4, 1/3, 1/8)
    btilde=(F(-5, 72), F(1, 12), F(1, 9), F(-1, 8)),
    embedded_order=2,
    fsal=True,
    dense=hermite_dense(_BS3_B, 0, 3, 4),
    dense_order=3,
    source="Bogacki & Shampine, Appl. Math. Lett. 2 (1989) 321-325",
)

# ---------------------------------------------------------------- Dormand–Prince 5(4)
_DP5_B = (F(35, 384), _0, F(500, 1113), F(125, 192), F(-2187, 6784), F(11, 84), _0)
# Shampine's dense-output coefficients d1..d7 (HNW I §II.6; dopri5.f)
_DP5_D = (
    F(-12715105075, 11282082432),
    _0,
    F(87487479700, 32700410799),
    F(-10690763975, 1880347072),
    F(701980252875, 199316789632),
    F(-1453857185, 822651844),
    F(69997945, 29380423),
)


def _dp5_dense() -> tuple:
    """Weights of ``h k_i`` in Hairer's contd5 formula, expanded in theta.

    ``u(theta) = y0 + theta (r2 + (1-theta) (r3 + theta (r4 + (1-theta) r5)))`` with
    ``r2 = h sum b k``, ``r3 = h k1 - r2``, ``r4 = r2 - h k7 - r3``,
    ``r5 = h sum d k``.
    """
    out = []
    for i in range(7):
        r2 = _DP5_B[i]
        r3 = (1 if i == 0 else 0) - r2
        r4 = r2 - (1 if i == 6 else 0) - r3
        r5 = _DP5_D[i]
        # theta*r2 + theta(1-theta) r3 + theta^2 (1-theta) r4 + theta^2 (1-theta)^2 r5
        p = poly_add(
            (r2,),
            (r3, -r3),
            (_0, r4, -r4),
            (_0, r5, -2 * r5, r5),
        )
        out.append(p)
    return tuple(out)


DP5 = ButcherTableau(
    name="DP5",
    c=(_0, F(1, 5), F(3, 10), F(4, 5), F(8, 9), _1, _1),
    a=(
        (),
        (F(1, 5),),
        (F(3, 40), F(9, 40)),
        (F(44, 45), F(-56, 15), F(32, 9)),
        (F(19372, 6561), F(-25360, 2187), F(64448, 6561), F(-212, 729)),
        (F(9017, 3168), F(-355, 33), F(46732, 5247), F(49, 176), F(-5103, 18656)),
        _DP5_B[:6],
    ),
    b=_DP5_B,
    order=5,
    # b - bhat, bhat = (5179/57600, 0, 7571/16695, 393/640, -92097/339200, 187/2100, 1/40)
    btilde=(F(71, 57600), _0, F(-71, 16695), F(71, 1920), F(-17253, 339200), F(22, 525), F(-1, 40)),
    embedded_order=4,
    fsal=True,
    dense=_dp5_dense(),
    dense_order=4,
    source="Dormand & Prince, J. Comput. Appl. Math. 6 (1980); dense output Shampine (1986)",
)

# ---------------------------------------------------------------- Tsitouras 5(4)
# 85-digit decimals (Tsitouras 2011, as tabulated in OrdinaryDiffEq.jl's Tsit5ConstantCache).
_T = F
_TSIT5_C = (
    _0,
    F(161, 1000),
    F(327, 1000),
    F(9, 10),
    _T(".9800255409045096857298102862870245954942137979563024768854764293221195950761080302604"),
    _1,
    _1,
)
# The solution weights are the last row of A (FSAL); the embedded weights are
# bhat (the values Tsitouras lists as "b"), and btilde = bhat - b.
_TSIT5_B = (
    _T(".9646076681806522951816731316512876333711995238157997181903319145764851595234062815396e-1"),
    F(1, 100),
    _T(".4798896504144995747752495322905965199130404621990332488332634944254542060153074523509"),
    _T("1.379008574103741893192274821856872770756462643091360525934940067397245698027561293331"),
    _T("-3.290069515436080679901047585711363850115683290894936158531296799594813811049925401677"),
    _T("2.324710524099773982415355918398765796109060233222962411944060046314465391054716027841"),
    _0,
)
_TSIT5_A = (
    (),
    (F(161, 1000),),
    (
        _T("-.8480655492356988544426874250230774675121177393430391537369234245294192976164141156943e-2"),
        _T(".3354806554923569885444268742502307746751211773934303915373692342452941929761641411569"),
    ),
    (
        _T("2.897153057105493432130432594192938764924887287701866490314866693455023795137503079289"),
        _T("-6.359448489975074843148159912383825625952700647415626703305928850207288721235210244366"),
        _T("4.362295432869581411017727318190886861027813359713760212991062156752264926097707165077"),
    ),
    (
        _T("5.325864828439256604428877920840511317836476253097040101202360397727981648835607691791"),
        _T("-11.74888356406282787774717033978577296188744178259862899288666928009020615663593781589"),
        _T("7.495539342889836208304604784564358155658679161518186721010132816213648793440552049753"),
        _T("-.9249506636175524925650207933207191611349983406029535244034750452930469056411389539635e-1"),
    ),
    (
        _T("5.861455442946420028659251486982647890394337666164814434818157239052507339770711679748"),
        _T("-12.92096931784710929170611868178335939541780751955743459166312250439928519268343184452"),
        _T("8.159367898576158643180400794539253485181918321135053305748355423955009222648673734986"),
        _T("-.7158497328140099722453054252582973869127213147363544882721139659546372402303777878835e-1"),
        _T("-.2826905039406838290900305721271224146717633626879770007617876201276764571291579142206e-1"),
    ),
    _TSIT5_B[:6],
)
_TSIT5_BTILDE = (
    _T("-1.780011052225771443378550607539534775944678804333659557637450799792588061629796e-03"),
    _T("-8.164344596567469032236360633546862401862537590159047610940604670770447527463931e-04"),
    _T("7.880878010261996010314727672526304238628733777103128603258129604952959142646516e-03"),
    _T("-1.44711007173262907537165147972635116720922712343167677619514233896760819649515e-01"),
    _T("5.823571654525552250199376106520421794260781239567387797673045438803694038950012e-01"),
    _T("-4.580821059291869466616365188325542974428047279788398179474684434732070620889539e-01"),
    F(1, 66),
)
# Interpolation polynomials b_i(theta) = r_i1 theta + r_i2 theta^2 + r_i3 theta^3 + r_i4 theta^4
# (Tsitouras 2011; expanded values from OrdinaryDiffEq.jl's Tsit5Interp).
_TSIT5_DENSE = (
    (
        _T("0.999999999999999974283372471559910888475488471328"),
        _T("-2.763706197274825911336735930481400260916070804192"),
        _T("2.91325546182191274375068099306808"),
        _T("-1.0530884977290216"),
    ),
    (_0, _T("0.13169999999999999727"), _T("-0.22339999999999999818"), _T("0.1017")),
    (
        _0,
        _T("3.93029623689475152850687446709813398"),
        _T("-5.94103387213150473470249202589458001"),
        _T("2.490627285651252793"),
    ),
    (
        _0,
        _T("-12.411077166933676983734381540685453484102414134010752"),
        _T("30.3381886302823215981729903691836576"),
        _T("-16.54810288924490272"),
    ),
    (
        _0,
        _T("37.50931341651103919496903965334519631242339792120440212"),
        _T("-88.1789048947664011014276693541209817"),
        _T("47.37952196281928122"),
    ),
    (
        _0,
        _T("-27.896526289197287805948263144598643896"),
        _T("65.09189467479367152629021928716553658"),
        _T("-34.87065786149660974"),
    ),
    (_0, F(3, 2), F(-4), F(5, 2)),
)

TSIT5 = ButcherTableau(
    name="Tsit5",
    c=_TSIT5_C,
    a=_TSIT5_A,
    b=_TSIT5_B,
    order=5,
    btilde=_TSIT5_BTILDE,
    embedded_order=4,
    fsal=True,
    dense=_TSIT5_DENSE,
    dense_order=4,
    source="Tsitouras, Comput. Math. Appl. 62 (2011) 770-775",
)
