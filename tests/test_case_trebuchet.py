"""examples/trebuchet.py: the landing event against the vacuum formula, derivatives through the
event and through the controller, direct aiming, and (slow) the trained controller's accuracy."""

import importlib.util
import math
import pathlib

import numpy as np
import pytest

import numeric as nm

PATH = pathlib.Path(__file__).resolve().parents[1] / "examples" / "trebuchet.py"
spec = importlib.util.spec_from_file_location("trebuchet", PATH)
tb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tb)


def test_without_drag_the_landing_is_the_vacuum_range(monkeypatch):
    monkeypatch.setattr(tb, "K", 0.0)
    for theta, v in ((0.3, 20.0), (1.1, 35.0)):
        assert tb.landing(theta, v, 3.0) == pytest.approx(v * v * math.sin(2 * theta) / tb.G,
                                                         rel=1e-6)


def test_drag_and_wind_act_the_right_way():
    calm = tb.landing(0.7, 30.0, 0.0)
    assert calm < 30.0 ** 2 * math.sin(1.4) / tb.G               # drag shortens the flight
    assert tb.landing(0.7, 30.0, 5.0) > calm > tb.landing(0.7, 30.0, -5.0)


def test_derivative_through_the_event_matches_central_differences():
    f = lambda z: tb.landing(z[0], z[1], 2.0, rtol=1e-11)  # noqa: E731
    z = np.array([0.7, 30.0])
    g = nm.grad(f, mode="forward")(z)
    h = 1e-5
    fd = np.array([(f(z + h * e) - f(z - h * e)) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(g, fd, rtol=1e-6)


def test_controller_gradient_reverse_over_the_custom_vjp_matches_differences():
    targets = tb.training_targets(2, 2)
    theta = tb.CONTROLLER.init(0)
    f = lambda th: tb.loss(th, targets)  # noqa: E731
    g = nm.grad(f, mode="reverse")(theta)
    v = np.random.default_rng(0).normal(size=theta.size)
    h = 1e-6
    assert g @ v == pytest.approx((f(theta + h * v) - f(theta - h * v)) / (2 * h), rel=1e-5)


def test_direct_aiming_hits_its_target():
    r = tb.aim_directly((55.0, -2.0))
    assert r["miss"] < 1e-6


@pytest.mark.slow
def test_trained_controller_hits_held_out_targets_within_one_percent():
    r = tb.train()
    ev = tb.evaluate(r["theta"], tb.held_out_targets())
    print(tb.summary(r, ev))
    assert ev["miss"].max() < 0.01
    assert ev["controller_seconds"] < ev["direct_seconds"]


def test_plain_reverse_through_the_events_gives_the_same_controller_gradient():
    """No custom VJP: reverse mode records each event-terminated solve; against the custom-VJP
    gradient and central differences of the float loss (independent of both AD paths)."""
    targets = tb.training_targets(2, 2)
    theta = tb.CONTROLLER.init(1)
    taped = lambda th: tb.loss(th, targets, landing_fn=tb.landings_taped)  # noqa: E731
    g = nm.grad(taped, mode="reverse")(theta)
    g_vjp = nm.grad(lambda th: tb.loss(th, targets), mode="reverse")(theta)
    np.testing.assert_allclose(g, g_vjp, rtol=1e-6, atol=1e-9 * np.max(np.abs(g_vjp)))
    v = np.random.default_rng(2).normal(size=theta.size)
    h = 1e-6
    f = lambda th: float(nm.value(taped(th)))  # noqa: E731
    assert g @ v == pytest.approx((f(theta + h * v) - f(theta - h * v)) / (2 * h), rel=1e-5)
