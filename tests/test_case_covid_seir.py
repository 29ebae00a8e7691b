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


@pytest.mark.parametrize("kind", ["universal", "neural"])
def test_gradient_through_the_model_matches_central_differences(kind):
    noisy, _ = cv.seir_data()
    model = cv.make_model(kind, noisy, width=4)
    theta = model.net.init(1)
    f = lambda th: cv.loss(model, th, noisy, rtol=1e-7)  # noqa: E731
    g = nm.grad(f, mode="reverse")(theta)
    v = np.random.default_rng(0).normal(size=theta.size)
    h = 1e-6
    assert g @ v == pytest.approx((f(theta + h * v) - f(theta - h * v)) / (2 * h), rel=1e-5)


def test_unknown_model_kind_is_refused():
    with pytest.raises(ValueError, match="'neural' or 'universal'"):
        cv.make_model("hybrid", cv.seir_data()[0])


@pytest.mark.slow
def test_full_case_study_universal_ode_and_sindy_extrapolate_the_neural_ode_does_not():
    out = cv.run()
    print(cv.summary(out))
    assert out["universal"]["fit_error"] < 0.05
    assert out["c"] is not None and out["c"] == pytest.approx(cv.BETA_EFF, rel=0.05)
    assert out["sindy_error"] < 0.5 * out["neural"]["error"]
    # as good as the best the 21 days identify (0.3082 I exactly); the universal ODE's own
    # extrapolation is not asserted: its tanh network saturates beyond the training range of I
    assert out["sindy_error"] < 1.5 * out["floor_error"]

