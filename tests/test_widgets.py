"""The explorers' shared parts: the frame recorder, the surface player, the template."""

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from bpcourse import optim, plot, surfaces, widgets

ROOT = Path(__file__).resolve().parent.parent


def test_record_frames_is_one_trajectory_per_setting():
    s = surfaces.ravine()
    runs = widgets.record_frames(optim.momentum_step, s, [{"momentum": 0.5}, {"momentum": 0.9}],
                                 steps=30, lr=0.01)
    for run, mu in zip(runs, [0.5, 0.9], strict=True):
        want = surfaces.trajectory(optim.SGD, s, steps=30, lr=0.01, momentum=mu)
        np.testing.assert_array_equal(run.path, want.path)
    assert not np.array_equal(runs[0].path, runs[1].path)


def test_record_frames_noise_is_the_same_for_every_frame_and_leaves_rng_alone():
    s = surfaces.quadratic(kappa=10, L=10)
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    a, b = widgets.record_frames(optim.gd_step, s, [{"lr": 0.0}, {"lr": 0.0}], steps=5,
                                 noise=1.0, rng=rng)
    assert rng.bit_generator.state == state                 # drawn from a copy
    np.testing.assert_array_equal(a.path, b.path)
    # lr = 0: the path stays at the start whatever the noise; with lr = 1 on
    # f = 0 (a flat surface would do) the steps are exactly minus the noise
    flat = surfaces.Surface("flat", lambda t: np.zeros(np.shape(t)[:-1]),
                            lambda t: np.zeros(np.shape(t)), np.zeros((1, 2)), 0.0,
                            (-1, 1, -1, 1), np.zeros(2))
    (run,) = widgets.record_frames(optim.gd_step, flat, [{"lr": 1.0}], steps=3, noise=0.5,
                                   rng=rng)
    xi = np.random.default_rng(3).standard_normal((3, 2))
    np.testing.assert_allclose(run.path[1:], -0.5 * np.cumsum(xi, axis=0), rtol=1e-14)


def test_record_frames_needs_the_init_of_a_rule_of_ones_own():
    def my_gd(theta, g, lr):
        return theta - lr * g

    s = surfaces.saddle()
    with pytest.raises(TypeError, match="init="):
        widgets.record_frames(my_gd, s, [{"lr": 0.1}], steps=2)
    (run,) = widgets.record_frames(my_gd, s, [{"lr": 0.1}], steps=20, init=optim.gd_init)
    np.testing.assert_array_equal(run.path,
                                  surfaces.trajectory(optim.gd_step, s, steps=20, lr=0.1).path)


def test_surface_player_is_self_contained_and_sized_from_plot():
    s = surfaces.quadratic(kappa=10, angle=30, L=10)
    runs = widgets.record_frames(optim.gd_step, s, [{"lr": 0.05}, {"lr": 0.25}], steps=20)
    html = widgets.surface_player(s, runs, ["a", "b"], ["first", "second"], alt="two runs")
    assert html.count("iVBORw0KGgo") == 2 + 1
    assert "http" not in html and "<script>" in html and 'alt="two runs"' in html
    assert f"max-width:{round(plot.PLAYER_SIZE[0] * plot.PLAYER_DPI)}px" in html
    assert html == widgets.surface_player(s, runs, ["a", "b"], ["first", "second"],
                                          alt="two runs")
    with pytest.raises(ValueError, match="captions"):
        widgets.surface_player(s, runs, ["a", "b"], ["first"], alt="")


def test_player_template_is_package_data_with_every_placeholder_filled():
    data = re.search(r"\[tool\.setuptools\.package-data\]\nbpcourse = (.*)",
                     (ROOT / "pyproject.toml").read_text()).group(1)
    assert '"templates/*"' in data
    fig = matplotlib.figure.Figure(figsize=(2, 1), dpi=50)
    ax = fig.subplots()
    html = widgets.frames_player(fig, lambda k: ax.set_title(str(k)), 2,
                                 captions=["x < y & z", "two"], interval=250)
    assert "${" not in html
    assert "x &lt; y &amp; z" in html and "}, 250);" in html and 'max="1"' in html
