"""Chapter 5's explorer: the runs against hand computations, the player, the live widget."""

import math

import numpy as np
import pytest

from bpcourse import optim, surfaces, widgets


def test_adaptive_run_is_the_packages_rule():
    bowl = surfaces.quadratic(kappa=100, angle=45)
    run = widgets.adaptive_run(bowl, "Adam", 0.1, steps=20, start=(1.0, -0.5), beta1=0.8)
    theta, m, v, t = np.array([1.0, -0.5]), np.zeros(2), np.zeros(2), 0
    for k in range(1, 21):
        theta, m, v, t = optim.adam_step(theta, bowl.grad(theta), m, v, t, lr=0.1, beta1=0.8)
        np.testing.assert_allclose(run.path[k], theta, rtol=1e-13, atol=1e-15)


def test_adagrad_first_step_is_lr_times_sign_on_any_bowl():
    # chapter 5: from s = 0, AdaGrad's first step is lr·sign(g) in every coordinate
    for angle in (0, 45):
        bowl = surfaces.quadratic(kappa=100, angle=angle)
        start = np.array([1.0, 1.6])
        run = widgets.adaptive_run(bowl, "AdaGrad", 0.3, steps=1, start=start)
        g = bowl.grad(start)
        step = run.path[1] - start
        np.testing.assert_allclose(step, -0.3 * g / (np.abs(g) + 1e-10), rtol=1e-13)
        np.testing.assert_allclose(step, -0.3 * np.sign(g), rtol=1e-7)


def test_rmsprop_uses_alpha_and_adamw_decays():
    bowl = surfaces.quadratic(kappa=10, angle=0)
    start = np.array([1.0, 1.0])
    run = widgets.adaptive_run(bowl, "RMSProp", 0.01, steps=1, start=start, alpha=0.9)
    g = bowl.grad(start)
    np.testing.assert_allclose(run.path[1], start - 0.01 * g / (np.sqrt(0.1 * g * g) + 1e-8),
                               rtol=1e-13)
    plain = widgets.adaptive_run(bowl, "Adam", 0.1, steps=1, start=start)
    decayed = widgets.adaptive_run(bowl, "AdamW", 0.1, steps=1, start=start, weight_decay=1.0)
    # the decay comes first: theta·(1 − lr·λ), then the same Adam step (about −lr·sign g)
    np.testing.assert_allclose(decayed.path[1], start * 0.9 + (plain.path[1] - start),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        widgets.adaptive_run(bowl, "Adamax", 0.1)


def test_player_is_self_contained_and_shows_the_rotation():
    lrs = {"AdaGrad": {"axis-aligned": 1.0, "rotated": 1.0},
           "Adam": {"axis-aligned": 0.1, "rotated": 0.4}}
    html = widgets.adaptive_player(lrs, (1.0, 1.6), steps=30, frames=4)
    assert html.count("iVBORw0KGgo") == 4 + 1          # 4 frames + the first shown
    assert "<script>" in html and "http" not in html
    assert "after 30 steps" in html
    assert html == widgets.adaptive_player(lrs, (1.0, 1.6), steps=30, frames=4)
    # what the player shows: AdaGrad is far faster on the axis-aligned bowl
    phi = math.radians(45)
    R = np.array([[math.cos(phi), -math.sin(phi)], [math.sin(phi), math.cos(phi)]])
    axis = widgets.adaptive_run(surfaces.quadratic(kappa=100), "AdaGrad", 1.0, 30,
                                start=(1.0, 1.6))
    rot = widgets.adaptive_run(surfaces.quadratic(kappa=100, angle=45), "AdaGrad", 1.0, 30,
                               start=R @ np.array([1.0, 1.6]))
    assert axis.losses[-1] < 1e-12 < 1e-3 * rot.losses[0] < rot.losses[-1]
    with pytest.raises(ValueError, match="best_lrs"):
        widgets.adaptive_player({}, (1.0, 1.6))


def test_live_explorer_has_its_knobs_and_redraws():
    box = widgets.adaptive_explorer(steps=20)
    rows = box.children
    picture = rows[-1]
    controls = [c for row in rows[:-1] for c in row.children]
    assert [c.description for c in controls] == [
        "surface", "optimizer", "learning rate", "beta1 / momentum", "beta2",
        "alpha (RMSProp)", "weight_decay (AdamW)"]
    assert set(controls[1].options) == set(widgets.ADAPTIVE_OPTIMIZERS)
    first = picture.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    controls[1].value = "AdaGrad"
    second = picture.value
    assert second[:8] == b"\x89PNG\r\n\x1a\n" and second != first
    controls[0].value = "Beale"                          # a new surface redraws too
    assert picture.value != second


def test_race_player_runs_each_optimizer_at_its_rate():
    beale = surfaces.beale()
    lrs = {"gradient descent": 0.02, "Adam": 0.3}
    html = widgets.race_player(beale, lrs, steps=40, frames=3, box=(-0.5, 4.5, -1.5, 2.0))
    assert html.count("iVBORw0KGgo") == 3 + 1
    assert "<script>" in html and "http" not in html and "after 40 steps" in html
    # gradient descent's path is the rule by hand, from Beale's usual start
    run = widgets.adaptive_run(beale, "gradient descent", 0.02, 5)
    theta = np.array(beale.start, dtype=float)
    for k in range(1, 6):
        theta = theta - 0.02 * beale.grad(theta)
        np.testing.assert_allclose(run.path[k], theta, rtol=1e-13)
    with pytest.raises(ValueError, match="lrs"):
        widgets.race_player(beale, {})
