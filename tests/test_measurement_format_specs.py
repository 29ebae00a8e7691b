"""Format specs as users of the ``uncertainties`` package write them.

The expected strings were printed by uncertainties 3.2.3 (``format(ufloat(v, e), spec)``)
and are compared after one deliberate convention is normalised: metanum separates value
and error by " ± " in every form, where uncertainties prints "+/-" (and "±" only with
``P``). Two forms differ on purpose and are not listed: ``P`` with an exponent
(uncertainties prints ``×10²³``, metanum ``e+23``) and LaTeX with an exponent
(uncertainties adds ``\\left( ... \\right)``).
"""

import pytest

import numeric as nm

CASES = {
    (1.0234, 0.0123): ["1.023+/-0.012", "1.0234±0.0123", "1.02+/-0.01", "(1.02+/-0.01)e+00",
                       "1.023(12)e+00", "1.02(1)", "1.02±0.01", "(102.34+/-1.23)%",
                       "1.02 \\pm 0.01"],
    (-0.00012345, 0.0000021): ["-0.0001234+/-0.0000021", "-0.00012345±0.00000210",
                               "-0.00+/-0.00", "(-1.23+/-0.02)e-04", "-1.234(21)e-04",
                               "-0.000123(2)", "-0.00±0.00", "(-0.01+/-0.00)%",
                               "-0.000123 \\pm 0.000002"],
    (0.2, 0.01): ["0.200+/-0.010", "0.2000±0.0100", "0.20+/-0.01", "(2.00+/-0.10)e-01",
                  "2.000(100)e-01", "0.20(1)", "0.20±0.01", "(20.00+/-1.00)%", "0.20 \\pm 0.01"],
    (1234.5, 0.7): ["1234.50+/-0.70", "1234.500±0.700", "1234.50+/-0.70", "(1.23+/-0.00)e+03",
                    "1.234(1)e+03", "1234.5(7)", "1234.50±0.70", "(123450.00+/-70.00)%",
                    "1234.5 \\pm 0.7"],
}
SPECS = [".2u", ".3uP", ".2f", ".2e", ".3eS", ".1uS", ".2fP", ".2%", ".1uL"]


def _normalise(text: str) -> str:
    return text.replace("+/-", " ± ").replace("±", " ± ").replace("  ", " ").replace("  ", " ")


@pytest.mark.parametrize("case", sorted(CASES), ids=str)
@pytest.mark.parametrize("k", range(len(SPECS)), ids=SPECS)
def test_format_spec_matches_uncertainties(case, k):
    x = nm.Measurement(*case)
    assert _normalise(format(x, SPECS[k])) == _normalise(CASES[case][k])


def test_exponent_forms_in_our_convention():
    x = nm.Measurement(6.022e23, 1.1e21)
    assert format(x, ".3uP") == "(6.0220 ± 0.0110)e+23"
    assert format(x, ".1uL") == "(6.02 \\pm 0.01) \\times 10^{23}"
    assert format(x, ".2E") == "(6.02 ± 0.01)E+23"


@pytest.mark.parametrize("spec", [".2uf", "x", ".3q", "10.2f", ".2u%"])
def test_bad_spec_names_the_grammar(spec):
    with pytest.raises(ValueError, match=r"\[\.digits\]\[u\|f\|e\|g\|%\]\[S\|L\|P\]"):
        format(nm.Measurement(1.0, 0.1), spec)
