"""Chapter 4's explorer: the runs, the rate picture, the player and the live widget."""

import math

import numpy as np
import pytest

from bpcourse import optim, widgets


def test_ravine_has_the_chapters_curvatures():
    ravine = widgets.momentum_ravine()
    assert np.allclose(np.linalg.eigvalsh(ravine.info["A"]), [0.1, 10.0])


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_run_is_the_rule_from_its_first_step(nesterov):
    ravine = widgets.momentum_ravine()
    run = widgets.momentum_run(0.1, 0.8, nesterov, steps=25)
    rule = optim.nesterov_step if nesterov else optim.momentum_step
    theta, v = np.array(widgets.MOMENTUM_START), None
    for k in range(1, 26):
        theta, v = rule(theta, ravine.info["A"] @ theta, v, 0.1, 0.8)
        assert np.allclose(run.path[k], theta, rtol=1e-13, atol=1e-15)


def test_rate_picture_is_sqrt_mu_on_the_band_and_matches_the_roots():
    lr, mu = 0.2, 0.5
    band = np.linspace((1 - math.sqrt(mu)) ** 2 / lr * 1.001, (1 + math.sqrt(mu)) ** 2 / lr * 0.999,
                       50)
    assert np.allclose(widgets.momentum_rate(lr, mu, band), math.sqrt(mu), rtol=1e-12)
    for lam in (0.01, 1.0, 7.0, 20.0, 40.0):
        for nesterov in (False, True):
            if nesterov:
                coeffs = [1, -(1 + mu) * (1 - lr * lam), mu * (1 - lr * lam)]
            else:
                coeffs = [1, -(1 + mu - lr * lam), mu]
            expected = np.abs(np.roots(coeffs)).max()
            assert widgets.momentum_rate(lr, mu, lam, nesterov) == pytest.approx(expected)


def test_rate_picture_predicts_the_measured_rate():
    run = widgets.momentum_run(0.3, 0.7, steps=400)
    norms = np.linalg.norm(run.path, axis=1)
    measured = (norms[400] / norms[200]) ** (1 / 200)
    predicted = widgets.momentum_rate(0.3, 0.7, [0.1, 10.0]).max()
    assert measured == pytest.approx(predicted, abs=2e-3)


def test_player_has_one_frame_per_momentum_and_no_network():
    html = widgets.momentum_player(lr=0.19, momenta=[0.0, 0.75, 0.9], steps=30)
    assert html.count("iVBORw0KGgo") == 3 + 1      # 3 PNG frames + the first shown
    assert "http" not in html and "<script>" in html
    assert "momentum 0.00: rate r = 0.981 per step" in html
    assert "momentum 0.75: rate r = 0.866 per step" in html
    with pytest.raises(ValueError, match="2 to 30"):
        widgets.momentum_player(momenta=[0.5])


def test_live_explorer_redraws_and_sets_the_optimum():
    box = widgets.momentum_explorer(steps=20)
    (lr_w, mu_w), (nesterov_w, best_w), picture = box.children[0].children, \
        box.children[1].children, box.children[2]
    first = picture.value
    assert first[:4] == b"\x89PNG"
    mu_w.value = 0.5
    assert picture.value != first
    best_w.click()
    assert lr_w.value == pytest.approx(4 / (math.sqrt(10) + math.sqrt(0.1)) ** 2, abs=5e-4)
    assert mu_w.value == pytest.approx(((10 - 1) / (10 + 1)) ** 2, abs=5e-3)
    nesterov_w.value = True
    assert picture.value[:4] == b"\x89PNG"
