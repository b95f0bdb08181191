"""Chapter 3's explorer helpers: the noise model, the kernel-free player."""

import numpy as np
import pytest

from bpcourse import optim, surfaces, widgets


def test_descent_run_without_batch_is_plain_gradient_descent():
    bowl = surfaces.quadratic(kappa=10, angle=30, L=10)
    run = widgets.descent_run(bowl, 0.05, None, (-1.8, 1.2), steps=30)
    theta = np.array([-1.8, 1.2])
    for k in range(1, 31):
        theta = theta - 0.05 * (bowl.info["A"] @ theta)      # (I - lr A) theta, by hand
        assert np.allclose(run.path[k], theta, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("B", [1, 4, 64])
def test_batch_noise_has_standard_deviation_scale_over_sqrt_b(B):
    bowl = surfaces.quadratic(kappa=10, angle=30, L=10)
    exact = widgets.descent_run(bowl, 1.0, None, (1.0, 1.0), steps=1)
    noisy = widgets.descent_run(bowl, 1.0, B, (1.0, 1.0), steps=1, noise_scale=2.0,
                                rng=np.random.default_rng(7))
    xi = np.random.default_rng(7).standard_normal(2)
    assert np.allclose(noisy.path[1] - exact.path[1], -2.0 / np.sqrt(B) * xi, rtol=1e-12)


def test_descent_run_rejects_a_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        widgets.descent_run(surfaces.saddle(), 0.1, 0, None, steps=2)


def test_lr_player_shows_divergence_past_two_over_l():
    html = widgets.lr_player(lrs=[0.05, 0.19, 0.21], steps=40)
    assert html.count("iVBORw0KGgo") == 3 + 1      # 3 PNG frames + the first shown
    assert "http" not in html and "<script>" in html
    assert "lr = 0.050 = 0.25 × 2/L" in html         # the first frame's caption
    with pytest.raises(ValueError, match="2 to 30"):
        widgets.lr_player(lrs=np.linspace(0.01, 0.2, 31))
    bowl = widgets.DESCENT_SURFACES["quadratic"]["make"]()
    stable = surfaces.trajectory(optim.gd_step, bowl, steps=200, lr=0.19).losses
    unstable = surfaces.trajectory(optim.gd_step, bowl, steps=200, lr=0.21).losses
    assert stable[-1] < 1e-6 * stable[0]
    assert not np.isfinite(unstable[-1]) or unstable[-1] > 1e3 * unstable[0]
