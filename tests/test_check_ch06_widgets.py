"""Chapter 6's explorer: the per-layer statistics it draws are right, and it draws."""

import json
import re

import numpy as np
import pytest

from bpcourse import widgets


def numpy_stats(blocks, X, R, skip, activation):
    """The same forward and backward pass in plain numpy (no normalization)."""
    acts = {"relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
            "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
            "sigmoid": (lambda z: 1 / (1 + np.exp(-z)),
                        lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2)}
    f, df = acts[activation]
    h, cache = X, []
    for linear, _, _ in blocks:
        z = h @ linear.weight.data.T + linear.bias.data
        a = f(z)
        cache.append((h, z))
        h = h + a if skip else a
    outs_std = []
    g = R / X.shape[0]
    grads, wnorms = [], []
    for (h_in, z), (linear, _, _) in zip(reversed(cache), reversed(blocks), strict=True):
        grads.append(g.std())
        delta = g * df(z)
        wnorms.append(np.linalg.norm(delta.T @ h_in))
        g = delta @ linear.weight.data + (g if skip else 0)
    return grads[::-1], wnorms[::-1], outs_std


@pytest.mark.parametrize(("activation", "skip"), [("relu", False), ("tanh", True),
                                                  ("sigmoid", False)])
def test_stats_match_a_plain_numpy_backward_pass(activation, skip):
    stats = widgets.deep_network_stats(8, 7, activation, gain=1.3, skip=skip, batch=5,
                                       rng=np.random.default_rng(4))
    rng = np.random.default_rng(4)
    blocks = widgets.deep_network(8, 7, activation, 1.3, skip, None, rng)
    X, R = rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    grads, wnorms, _ = numpy_stats(blocks, X, R, skip, activation)
    np.testing.assert_allclose(stats["grad_std"], grads, rtol=1e-10)
    np.testing.assert_allclose(stats["grad_norm"], wnorms, rtol=1e-10)


def test_he_keeps_the_variance_and_glorot_halves_it_per_relu_layer():
    he = widgets.deep_network_stats(30, 200, "relu", gain=2**0.5, batch=128,
                                    rng=np.random.default_rng(0))
    lecun = widgets.deep_network_stats(30, 200, "relu", gain=1.0, batch=128,
                                       rng=np.random.default_rng(0))
    ratio_he = he["act_std"][-1] / he["act_std"][0]
    ratio_1 = lecun["act_std"][-1] / lecun["act_std"][0]
    assert 0.3 < ratio_he < 3
    # 29 factors of 1/sqrt(2) in the standard deviation, within a factor 3
    assert 1 / 3 < ratio_1 / 2 ** (-29 / 2) < 3


def test_batch_norm_rescues_the_sigmoid_network():
    plain = widgets.deep_network_stats(20, 32, "sigmoid", rng=np.random.default_rng(1))
    bn = widgets.deep_network_stats(20, 32, "sigmoid", norm="batch",
                                    rng=np.random.default_rng(1))
    assert plain["grad_std"][0] / plain["grad_std"][-1] < 1e-10
    assert 0.1 < bn["grad_std"][0] / bn["grad_std"][-1] < 10


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="activation"):
        widgets.deep_network(3, 4, "softplus")
    with pytest.raises(ValueError, match="norm"):
        widgets.deep_network(3, 4, "relu", norm="group")
    with pytest.raises(ValueError, match="depth"):
        widgets.deep_network(0, 4)
    with pytest.raises(ValueError, match="configurations"):
        widgets.depth_player(configs=[])


def test_player_has_one_frame_and_caption_per_configuration():
    configs = [("relu", 1.0, False, None), ("sigmoid", 1.0, False, "batch")]
    html = widgets.depth_player(configs=configs, depth=6, width=8, batch=4)
    frames = re.search(r"var frames = (\[.*?\]);", html).group(1)
    assert frames.count("iVBOR") == 2          # two PNGs
    captions = json.loads(re.search(r"var captions = (\[.*?\]);", html).group(1))
    assert len(captions) == 2
    assert captions[1].startswith("sigmoid, std 1/√n, batch norm: gradient at layer 1 / "
                                  "at layer 6 = ")


def test_player_is_self_contained_and_reproducible():
    configs = [("tanh", 1.0, False, None), ("relu", 2**0.5, True, "layer"),
               ("relu", 0.5, False, None)]
    html = widgets.depth_player(configs=configs, depth=5, width=6, batch=4)
    assert html.count("iVBORw0KGgo") == 3 + 1      # the frames, and the first shown
    assert "<script>" in html and "http" not in html
    assert widgets.depth_player(configs=configs, depth=5, width=6, batch=4) == html


def test_live_explorer_has_the_five_knobs_and_redraws():
    box = widgets.depth_explorer(width=8, batch=4)
    picture = box.children[-1]
    assert picture.value[:4] == b"\x89PNG"
    controls = {c.description: c for row in box.children[:-1] for c in row.children}
    assert set(controls) == {"depth", "activation", "weight std × √n", "skip connections",
                             "normalization"}
    for name, value in [("depth", 5), ("activation", "sigmoid"), ("skip connections", True),
                        ("normalization", "batch"), ("weight std × √n", 2.0)]:
        before = picture.value
        controls[name].value = value
        assert picture.value != before, name


def test_stats_leave_the_callers_rng_alone():
    rng = np.random.default_rng(7)
    first = widgets.deep_network_stats(4, 5, rng=rng)
    again = widgets.deep_network_stats(4, 5, rng=rng)
    np.testing.assert_array_equal(first["grad_std"], again["grad_std"])
    assert rng.random() == np.random.default_rng(7).random()
