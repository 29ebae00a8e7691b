"""examples/covid_seir.py: the model against an independent transcription, SINDy of the true
exposure, gradients through the universal ODE, and (slow) the full case study."""

import importlib.util
import pathlib

import numpy as np
import pytest

import numeric as nm

PATH = pathlib.Path(__file__).resolve().parents[1] / "examples" / "covid_seir.py"
spec = importlib.util.spec_from_file_location("covid_seir", PATH)
cv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cv)


def corona(t, u):
    """The seven equations written out term by term (scipy's argument order)."""
    S, E, I, R, N, D, C = u
    F, b0, alpha, kappa, mu, sigma, gamma, d, lam = cv.P
    beta = b0 * (1 - alpha) * (1 - D / N) ** kappa
    return [-b0 * S * F / N - beta * S * I / N - mu * S,
            b0 * S * F / N + beta * S * I / N - (sigma + mu) * E,
            sigma * E - (gamma + mu) * I, gamma * I - mu * R, -mu * N, d * gamma * I - lam * D,
            sigma * E]


def test_truth_matches_scipy_on_the_written_out_model():
    from scipy.integrate import solve_ivp
    ref = solve_ivp(corona, (0, 60), cv.U0, method="DOP853", t_eval=cv.DAYS_EXTRAP,
                    rtol=1e-12, atol=1e-9).y.T
    _, truth = cv.seir_data()
    np.testing.assert_allclose(truth, ref, rtol=1e-7, atol=1e-6)
    u = truth[10]
    np.testing.assert_allclose(cv.true_rhs(u, None, 0.0), corona(0.0, u), rtol=1e-12)


def test_sindy_of_the_true_exposure_is_one_term_c_times_i():
    _, truth = cv.seir_data()
    S, I, N, D = truth[:, 0], truth[:, 2], truth[:, 4], truth[:, 5]
    days = slice(1, len(cv.DAYS))
    e = cv.identify(truth[days], (cv.beta(D, N) * S * I / N)[days])
    assert np.count_nonzero(e.coefficients) == 1 and e.coefficients[0] != 0
    assert e.coefficients[0] == pytest.approx(cv.BETA_EFF, rel=5e-3)
    assert str(e).startswith("beta S I / N = +0.30")


@pytest.mark.parametrize("kind, form", [("universal", "script"), ("universal", "rate"),
                                        ("universal", "rate_S_D"), ("neural", "script")])
def test_gradient_through_the_model_matches_central_differences(kind, form):
    noisy, _ = cv.seir_data()
    model = cv.make_model(kind, noisy, width=4, form=form)
    theta = model.net.init(1)
    f = lambda th: cv.loss(model, th, noisy, rtol=1e-7)  # noqa: E731
    g = nm.grad(f, mode="reverse")(theta)
    v = np.random.default_rng(0).normal(size=theta.size)
    h = 1e-6
    assert g @ v == pytest.approx((f(theta + h * v) - f(theta - h * v)) / (2 * h), rel=1e-5)


def test_unknown_model_kind_is_refused():
    with pytest.raises(ValueError, match="'neural' or 'universal'"):
        cv.make_model("hybrid", cv.seir_data()[0])
    with pytest.raises(ValueError, match="form must be one of"):
        cv.make_model("universal", cv.seir_data()[0], form="linear")


def test_universal_forms_put_the_network_where_they_say():
    """The exposure each form puts into S' and E', against the network called by hand."""
    noisy, truth = cv.seir_data()
    u = truth[30]
    S, I, N, D = u[0], u[2], u[4], u[5]
    expected_inputs = {"script": [S / N, I, D / N], "rate": [S / N, I, D / N],
                       "rate_S_D": [S / N, D / N]}
    for form, raw in expected_inputs.items():
        model = cv.make_model("universal", noisy, width=4, form=form)
        theta = model.net.init(2)
        net = float(model.net(np.array(raw) / model.in_scale, theta)[0])
        exposure = net * (10.0 if form == "script" else I)
        assert model.exposure(u[None], theta)[0] == pytest.approx(exposure, rel=1e-13)
        known = cv._known(u, exposure)
        np.testing.assert_allclose(model.rhs(u, theta, 0.0), known, rtol=1e-13)
    # with the exposure set to the truth, the model is the true right-hand side
    np.testing.assert_allclose(cv._known(u, cv.beta(D, N) * S * I / N), cv.true_rhs(u, None, 0.0))


def test_quick_run_of_two_forms_without_the_neural_ode_reports_each():
    out = cv.run(2, 1, width=4, forms=("script", "rate"), neural=False)
    assert out["neural"] is None and set(out["universal_forms"]) == {"script", "rate"}
    assert out["universal"] is out["universal_forms"]["script"]
    for r in out["universal_forms"].values():
        assert np.isfinite(r["loss"]) and r["adam"].nit == 2
        assert r["learned_exposure"].shape == (len(cv.DAYS) - 1,)
    text = cv.summary(out)
    assert "universal ODE (rate)" in text and "neural ODE" not in text


@pytest.fixture(scope="module")
def full_run():
    """The full setting (the script's schedule), trained once for the slow tests below."""
    out = cv.run()
    print(cv.summary(out))
    return out


# What the paper's repository shows (SEIR_exposure/seir_exposure.jl: three figures over days
# 0-60 of E, I, R, training data ending on day 21): (1) the neural ODE does not extrapolate,
# (2) the trained universal ODE itself does, (3) the SINDy-recovered model does. The claims
# are qualitative; "extrapolates" is read here as a max relative error of (E, I, R) on days
# 22-60 under half the neural ODE's.

@pytest.mark.slow
def test_full_neural_ode_fits_but_does_not_extrapolate_and_the_sindy_model_does(full_run):
    out = full_run
    assert out["neural"]["fit_error"] < 0.05 and out["universal"]["fit_error"] < 0.05
    assert out["neural"]["error"] > 0.2                          # claim (1): reproduces
    assert out["c"] is not None and out["c"] == pytest.approx(cv.BETA_EFF, rel=0.05)
    assert out["sindy_error"] < 0.5 * out["neural"]["error"]     # claim (3): reproduces
    # as good as the best the 21 days identify (the exposure 0.3082 I exactly)
    assert out["sindy_error"] < 1.5 * out["floor_error"]


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "claim (2) does not reproduce: the trained universal ODE itself extrapolates with 76.2% "
    "max relative error of (E, I, R) on days 22-60 against the neural ODE's 46.2% (full "
    "setting, 2026-12-08; benchmarks/RESULTS.md); its network fits the exposure on the "
    "training days but is unconstrained once I and D/N leave their training range. The "
    "mass-action forms I * net(S/N, I, D/N) and I * net(S/N, D/N) give 426.8% and 92.4%."))
def test_full_universal_ode_itself_extrapolates(full_run):
    out = full_run
    assert out["universal"]["error"] < 0.5 * out["neural"]["error"]
