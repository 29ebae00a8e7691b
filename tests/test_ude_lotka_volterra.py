"""The universal ODE Lotka–Volterra case study (examples/ude_lotka_volterra.py).

Quick tests check each piece against something independent (scipy for the data,
forward mode and central differences for the gradient, an exactly sparse signal for
the SINDy step) and run the whole pipeline for a few iterations; the slow test runs
the full setting and checks the published outcome: SINDy keeps exactly the two
interaction terms, with coefficients -0.9 and 0.8 within 5%.
"""

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import numeric as nm

PATH = pathlib.Path(__file__).resolve().parents[1] / "examples" / "ude_lotka_volterra.py"
spec = importlib.util.spec_from_file_location("ude_lotka_volterra", PATH)
ex = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = ex        # the example's dataclasses look their module up
spec.loader.exec_module(ex)


def test_data_is_the_paper_setting():
    from scipy.integrate import solve_ivp

    x = ex.truth()
    assert x.shape == (31, 2) and ex.NET.nparams == 87
    ref = solve_ivp(lambda t, u: ex.lotka_volterra(u, ex.P_TRUE, t), ex.TSPAN, ex.U0, method="DOP853",
                    t_eval=ex.T_SAVE, rtol=1e-12, atol=1e-12).y.T
    np.testing.assert_allclose(x, ref, atol=1e-9)
    noisy = ex.noisy_data()
    rel = np.std(noisy - x, axis=0) / x.mean(axis=0)
    assert np.all((0.03 < rel) & (rel < 0.07)), rel      # 5% of the mean, sampled 31 times


def test_ude_with_the_true_interaction_is_the_truth():
    # the network replaced by the true terms: the UDE right-hand side is Lotka-Volterra
    u = np.array([0.7, 1.9])
    known = ex.KNOWN * u
    inter = np.array([-ex.P_TRUE[1], ex.P_TRUE[2]]) * u[0] * u[1]
    np.testing.assert_allclose(known + inter, ex.lotka_volterra(u, ex.P_TRUE, 0.0))


def test_loss_gradient_reverse_forward_and_differences_agree():
    data = ex.noisy_data()
    theta = ex.NET.init(3)
    f = lambda th: ex.loss(th, data)  # noqa: E731
    g_rev = nm.grad(f, mode="reverse")(theta)
    g_fwd = nm.grad(f, mode="forward")(theta)
    np.testing.assert_allclose(g_rev, g_fwd, rtol=1e-6, atol=1e-6 * np.abs(g_rev).max())
    v = np.random.default_rng(0).normal(size=theta.size)
    h = 1e-6
    fd = (f(theta + h * v) - f(theta - h * v)) / (2 * h)
    assert g_rev @ v == pytest.approx(fd, rel=1e-4)


class _ExactInteraction:
    """A "network" that is exactly the interaction terms -0.9 x y and 0.8 x y."""

    nparams = 0

    def __call__(self, u, theta):
        xy = u[..., 0] * u[..., 1]
        return np.stack([-0.9 * xy, 0.8 * xy], axis=-1)


@pytest.fixture
def exact_network(monkeypatch):
    monkeypatch.setattr(ex, "NET", _ExactInteraction())


def test_identify_recovers_an_exact_interaction(exact_network):
    # SINDy on the exact interaction must keep x y alone, exactly
    model = ex.identify(None)
    terms = ex.interaction_error(model)
    assert terms["exact_terms"], terms
    np.testing.assert_allclose(terms["coefficients"], [-0.9, 0.8], rtol=1e-8)


def test_select_structure_on_an_exact_network_keeps_the_interaction(exact_network):
    # the exact interaction on noise-free data: the sweep proposes the true structure and the
    # refit to the data returns -0.9 and 0.8
    model, sel = ex.select_structure(None, ex.truth(), u0=ex.U0)
    terms = ex.interaction_error(model)
    assert terms["exact_terms"], sel.table()
    np.testing.assert_allclose(terms["coefficients"], [-0.9, 0.8], rtol=1e-4)


def test_recovered_needs_exactly_the_two_terms_each_within_tolerance():
    ok = {"exact_terms": True, "relative_error": np.array([0.01, 0.049])}
    assert ex.recovered(ok)
    assert not ex.recovered(dict(ok, relative_error=np.array([0.01, 0.06])))
    assert not ex.recovered(dict(ok, exact_terms=False))


def test_recovery_trial_selects_from_the_restart_with_the_lowest_loss(exact_network, monkeypatch):
    # the trainings replaced by fixed losses; the exact interaction on noise-free data must then
    # be recovered from the restart with the lowest loss, the one a user would keep
    seen = []

    def fake_train(rhs, net, data, *, seed, **settings):
        seen.append(seed)
        return ex.Training(theta=None, loss={0: 0.3, 1: 0.1, 2: 0.2}[seed])

    monkeypatch.setattr(ex, "train", fake_train)
    monkeypatch.setattr(ex, "noisy_data", lambda seed: ex.truth())
    trial = ex.recovery_trial(7, restarts=(0, 1, 2))
    assert seen == [0, 1, 2] and trial["chosen"] == 1 and trial["losses"] == [0.3, 0.1, 0.2]
    assert trial["recovered"], ex.trial_line(trial)
    assert "restart 1 chosen" in ex.trial_line(trial)


def test_quick_pipeline_runs_and_lowers_the_loss():
    result = ex.run("quick")
    ude, neural = result["ude"], result["neural"]
    assert ude.loss < ude.history[0] and neural.loss < neural.history[0]
    assert set(result["terms"]) == {"kept", "exact_terms", "coefficients", "relative_error"}
    assert result["selection"] is None and result["model"] is result["sindy"]
    t, u = ex.extrapolate(ex.recovered_rhs(result["model"]), None, t_end=5.0, n=11)
    assert u.shape[1] == 2 and t[0] == 0.0
    assert "SINDy" in ex.report(result)


NOT_MET = ("not met on noise seed 1234 (the selection keeps [x y]; [1, x, x^2, x y]); measured "
           "recovery rate 2 of 6 noise draws, best of 3 network seeds each, and from 31 samples at "
           "5% noise even the true structure refit to the data pins 0.8 within 5% for only 3 of "
           "those 6 (benchmarks/RESULTS.md, branch h/cases4)")


@pytest.mark.slow
@pytest.mark.xfail(reason=NOT_MET, strict=False)
def test_full_setting_recovers_the_interaction_terms():
    result = ex.run("full")
    print(ex.report(result))
    terms = result["terms"]
    assert terms["exact_terms"], ex.report(result)
    assert np.all(terms["relative_error"] < 0.05), ex.report(result)


@pytest.mark.slow
@pytest.mark.xfail(reason=NOT_MET, strict=False)
def test_notebook_full_setting(tmp_path, monkeypatch):
    # notebooks/08_neural_ode.ipynb in its full setting (the default suite runs it quick)
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("METANUM_QUICK", "0")
    nb = nbformat.read(PATH.parents[1] / "notebooks" / "08_neural_ode.ipynb", as_version=4)
    NotebookClient(nb, timeout=7200, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "setting: full" in text
    assert "kept exactly the two interaction terms: True" in text, text[-3000:]
