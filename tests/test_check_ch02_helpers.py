"""Chapter 2's figure and explorer helpers: decision boundaries (plot) and explorers (widgets)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from bpcourse import nn, plot, widgets


def _two_blobs(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(size=(n, 2)) * 0.4 + [-1.0, 0.0],
                   rng.normal(size=(n, 2)) * 0.4 + [1.0, 0.0]])
    return X, np.repeat([0, 1], n)


def test_probability_grid_is_the_softmax_of_a_linear_model():
    lin = nn.Linear(2, 2, rng=np.random.default_rng(0))
    W, b = lin.weight.data.copy(), lin.bias.data.copy()
    X, _ = _two_blobs()
    x1, x2, p = plot.class_probability_grid(lin, X, n=7)
    # two classes: p(class 1) = sigmoid of the difference of the two logits
    z = (np.stack([x1, x2], axis=-1) @ (W[1] - W[0])) + (b[1] - b[0])
    assert p.shape == x1.shape == (7, 7)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-z)), rtol=1e-12)
    # the grid covers the data with the margin
    assert x1.min() == pytest.approx(X[:, 0].min() - 0.6)
    assert x2.max() == pytest.approx(X[:, 1].max() + 0.6)


def test_probability_grid_rejects_bad_input():
    lin = nn.Linear(2, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot.class_probability_grid(lin, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="logits"):
        plot.class_probability_grid(nn.Linear(2, 1, rng=np.random.default_rng(0)), np.zeros((5, 2)))


def test_decision_boundary_draws_the_half_contour():
    import matplotlib.pyplot as plt

    lin = nn.Linear(2, 2, rng=np.random.default_rng(1))
    X, y = _two_blobs()
    fig, ax = plt.subplots()
    grid = plot.class_probability_grid(lin, X, n=21)
    plot.decision_boundary(ax, grid, X, y)
    # filled contours, one 0.5 line when the boundary crosses the grid, and two scatter sets
    n_sets = len(ax.collections)
    assert n_sets >= 3
    assert ax.get_xlabel() == "$x_1$"
    plt.close(fig)


def test_train_boundary_learns_and_keeps_snapshots():
    X, y = _two_blobs()
    rng = np.random.default_rng(0)
    run = widgets.train_boundary(X, y, widths=(8,), activation="tanh", steps=150, lr=0.5,
                                 frames=5, rng=rng)
    assert run["steps"][0] == 0 and run["steps"][-1] == 150
    assert len(run["grids"]) == len(run["steps"])
    assert len(run["losses"]) == 151
    assert run["losses"][-1] < 0.5 * run["losses"][0]
    assert run["accuracy"] > 0.95
    # same rng, same run: the helper draws from a copy and leaves rng as it was
    again = widgets.train_boundary(X, y, widths=(8,), activation="tanh", steps=150, lr=0.5,
                                   frames=5, rng=rng)
    np.testing.assert_array_equal(run["losses"], again["losses"])


def test_train_boundary_rejects_bad_arguments():
    X, y = _two_blobs()
    with pytest.raises(ValueError, match="activation"):
        widgets.train_boundary(X, y, activation="gelu")
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        widgets.train_boundary(X[:, :1], y)


def test_boundary_player_is_self_contained():
    X, y = _two_blobs(20)
    run = widgets.train_boundary(X, y, widths=(4,), steps=20, frames=3)
    html = widgets.boundary_player(X, y, run=run)
    assert html.count("iVBORw0KGgo") == len(run["steps"]) + 1   # PNG frames (+ the first shown)
    assert "<script>" in html and 'type="range"' in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert html == widgets.boundary_player(X, y, run=run)          # same run, same page
    # captions name training steps in words, unlike the slider's "k / n" counter
    assert "before training (step 0)" in html and "after 20 gradient-descent steps" in html
    with pytest.raises(ValueError, match="grids"):
        widgets.boundary_player(X, y, run={**run, "grids": run["grids"][:1]})


def test_network_explorer_has_the_three_knobs_and_redraws():
    X, y = _two_blobs(20)
    box = widgets.network_explorer(X, y, steps=10)
    controls, picture = box.children
    controls = controls.children
    assert [c.description for c in controls] == ["width", "hidden layers", "activation"]
    assert set(controls[2].options) == {"tanh", "relu", "sigmoid"}
    first = picture.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    controls[2].value = "relu"             # a new activation retrains and redraws
    assert picture.value[:8] == b"\x89PNG\r\n\x1a\n" and picture.value != first


def test_snapshot_steps_gives_exactly_the_frames_asked_for():
    # 19 geometric points from 1 to 1000 hold the step 1 twice: still 20 frames
    at = widgets.snapshot_steps(1000, frames=20)
    assert len(at) == 20 and at[0] == 0 and at[-1] == 1000
    assert at == sorted(set(at))                          # strictly increasing
    assert at[:4] == [0, 1, 2, 3] and 100 in at          # dense early, geometric later
    for steps, frames in [(1, 2), (10, 11), (150, 5), (600, 2), (1000, 24)]:
        at = widgets.snapshot_steps(steps, frames)
        assert len(set(at)) == frames and at[0] == 0 and at[-1] == steps
    with pytest.raises(ValueError, match="frames"):
        widgets.snapshot_steps(10, 12)


def test_loss_axis_has_few_plain_labels():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    losses = np.geomspace(0.72, 0.046, 50)
    ax.semilogy(losses)
    widgets._loss_axis(ax, losses)
    fig.canvas.draw()
    lo, hi = ax.get_ylim()
    shown = [t.get_text() for t in ax.get_yticklabels()
             if t.get_text() and lo <= t.get_position()[1] <= hi]
    assert shown == ["0.05", "0.1", "0.2", "0.5"]
    assert not any(t.get_text() for t in ax.yaxis.get_minorticklabels())
    plt.close(fig)
