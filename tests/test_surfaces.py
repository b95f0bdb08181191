"""Surfaces: exact gradients, known minima, and the convergence theory of chapters 3-4."""

import numpy as np
import pytest

from bpcourse import optim, surfaces

ALL = {
    "quadratic": lambda: surfaces.quadratic(kappa=25, angle=30),
    "rosenbrock": surfaces.rosenbrock,
    "beale": surfaces.beale,
    "himmelblau": surfaces.himmelblau,
    "saddle": surfaces.saddle,
    "ravine": surfaces.ravine,
    "six_hump_camel": surfaces.six_hump_camel,
}


def fd_grad(f, theta, h=1e-6):
    e = np.eye(2)
    return np.array([(f(theta + h * e[i]) - f(theta - h * e[i])) / (2 * h) for i in range(2)])


def fd_hessian(grad, theta, h=1e-5):
    e = np.eye(2)
    H = np.array([(grad(theta + h * e[i]) - grad(theta - h * e[i])) / (2 * h) for i in range(2)])
    return (H + H.T) / 2


@pytest.mark.parametrize("name", ALL)
def test_gradient_matches_finite_differences(name):
    s = ALL[name]()
    rng = np.random.default_rng(0)
    xmin, xmax, ymin, ymax = s.box
    for _ in range(20):
        theta = rng.uniform([xmin, ymin], [xmax, ymax])
        g, fd = s.grad(theta), fd_grad(s.f, theta)
        assert np.max(np.abs(g - fd)) <= 1e-6 * max(1.0, np.max(np.abs(g))), (theta, g, fd)


@pytest.mark.parametrize("name", ALL)
def test_vectorised_over_a_grid(name):
    s = ALL[name]()
    rng = np.random.default_rng(1)
    pts = rng.uniform(-1, 1, size=(4, 3, 2))
    F, G = s.f(pts), s.grad(pts)
    assert F.shape == (4, 3) and G.shape == (4, 3, 2)
    np.testing.assert_allclose(F[2, 1], s.f(pts[2, 1]), rtol=1e-14)
    np.testing.assert_allclose(G[2, 1], s.grad(pts[2, 1]), rtol=1e-14)


@pytest.mark.parametrize("name", ALL)
def test_minima_are_minima(name):
    s = ALL[name]()
    for theta in s.minima:
        assert s.f(theta) == pytest.approx(s.f_min, abs=1e-12)
        assert np.max(np.abs(s.grad(theta))) <= 1e-11
        assert np.all(np.linalg.eigvalsh(fd_hessian(s.grad, theta)) > 0)
    for theta in s.local_minima:
        assert s.f(theta) > s.f_min + 1e-3
        assert np.max(np.abs(s.grad(theta))) <= 1e-11
        assert np.all(np.linalg.eigvalsh(fd_hessian(s.grad, theta)) > 0)
    for theta in s.saddles:
        assert np.max(np.abs(s.grad(theta))) <= 1e-11
        eig = np.linalg.eigvalsh(fd_hessian(s.grad, theta))
        assert eig[0] < 0 < eig[1]
    # f_min is the lowest value on a fine grid over the box
    xmin, xmax, ymin, ymax = s.box
    X, Y = np.meshgrid(np.linspace(xmin, xmax, 301), np.linspace(ymin, ymax, 301))
    assert np.min(s.f(np.stack([X, Y], axis=-1))) >= s.f_min - 1e-12


def test_known_values():
    assert surfaces.rosenbrock().f(np.array([0.0, 0.0])) == 1.0
    assert surfaces.himmelblau().f(np.array([0.0, 0.0])) == 170.0
    assert surfaces.beale().f(np.array([0.0, 0.0])) == pytest.approx(1.5**2 + 2.25**2 + 2.625**2)
    q = surfaces.quadratic(kappa=4, angle=90, L=2.0)
    np.testing.assert_allclose(q.info["A"], [[0.5, 0], [0, 2.0]], atol=1e-15)
    assert q.f(np.array([1.0, 1.0])) == pytest.approx(1.25, rel=1e-14)


def test_bad_input():
    with pytest.raises(ValueError, match="theta"):
        surfaces.rosenbrock().f(np.zeros(3))
    with pytest.raises(ValueError, match="kappa"):
        surfaces.quadratic(kappa=0.5)
    with pytest.raises(ValueError, match="start"):
        surfaces.trajectory(optim.gd_step, surfaces.beale(), start=[1.0], lr=0.1)
    with pytest.raises(TypeError, match="rng"):
        surfaces.trajectory(optim.gd_step, surfaces.saddle(), noise=0.1, lr=0.1)
    with pytest.raises(TypeError, match="lr=0.1"):
        surfaces.trajectory(optim.momentum_step, surfaces.saddle(), steps=2)


# ---------------------------------------------------------------------------
# Trajectories: rules and classes agree, divergence, saddles
# ---------------------------------------------------------------------------


def test_trajectory_rule_and_class_agree():
    s = surfaces.rosenbrock()
    a = surfaces.trajectory(optim.adam_step, s, steps=200, lr=0.05)
    b = surfaces.trajectory(optim.Adam, s, steps=200, lr=0.05)
    np.testing.assert_array_equal(a.path, b.path)
    np.testing.assert_array_equal(a.losses, s.f(a.path))
    assert a.path.shape == (201, 2) and a.losses[-1] < a.losses[0]
    c = surfaces.trajectory(optim.gd_step, s, steps=3, lr=1e-3)
    theta = s.start
    for _ in range(3):
        theta = theta - 1e-3 * s.grad(theta)
    np.testing.assert_array_equal(c.path[-1], theta)


# Each rule beside the class that uses it, with hyper-parameters that make
# the first step matter (dampening, lr_decay, bias correction).
RULE_AND_CLASS = [
    (optim.gd_step, optim.SGD, {"lr": 1e-3}, {}),
    (optim.momentum_step, optim.SGD, {"lr": 1e-3, "momentum": 0.9, "dampening": 0.5}, {}),
    (optim.nesterov_step, optim.SGD, {"lr": 1e-3, "momentum": 0.9}, {"nesterov": True}),
    (optim.adagrad_step, optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01}, {}),
    (optim.rmsprop_step, optim.RMSprop, {"lr": 1e-3, "alpha": 0.9}, {}),
    (optim.adam_step, optim.Adam, {"lr": 0.05}, {}),
    (optim.amsgrad_step, optim.Adam, {"lr": 0.05}, {"amsgrad": True}),
    (optim.adamw_step, optim.AdamW, {"lr": 0.05, "weight_decay": 0.1}, {}),
]


@pytest.mark.parametrize("rule, cls, hyper, extra", RULE_AND_CLASS,
                         ids=[r[0].__name__ for r in RULE_AND_CLASS])
def test_trajectory_of_each_rule_is_its_class_path(rule, cls, hyper, extra):
    # Before the rules had initialisers, trajectory started momentum's v at
    # zeros, where SGD (and PyTorch) set v ← g: with dampening 0.5 the paths
    # here were up to 0.06 apart.
    s = surfaces.ravine()
    a = surfaces.trajectory(rule, s, steps=200, **hyper)
    b = surfaces.trajectory(cls, s, steps=200, **hyper, **extra)
    np.testing.assert_array_equal(a.path, b.path)


def test_every_rule_has_an_initialiser_whose_state_it_returns():
    theta, g = np.array([0.5, -1.0]), np.array([0.2, 0.3])
    for rule, init in optim.INITS.items():
        state = init(theta)
        out = rule(theta, g, *state, lr=0.1)
        out = out if isinstance(out, tuple) else (out,)
        assert len(out) == len(state) + 1, rule.__name__
        assert type(state)(*out[1:])._fields == state._fields


def test_trajectory_of_a_rule_of_ones_own_needs_its_init():
    def my_momentum(theta, g, v, lr, momentum=0.9):
        v = momentum * v + g
        return theta - lr * v, v

    s = surfaces.ravine()
    with pytest.raises(TypeError, match="init=optim"):
        surfaces.trajectory(my_momentum, s, steps=3, lr=0.01)
    mine = surfaces.trajectory(my_momentum, s, steps=50, init=optim.nesterov_init, lr=0.01)
    heavy = surfaces.trajectory(optim.heavy_ball_step, s, steps=50, lr=0.01)
    np.testing.assert_allclose(mine.path, heavy.path, rtol=1e-12, atol=1e-15)


def test_trajectory_divergence_fills_nan():
    q = surfaces.quadratic(kappa=1, L=1.0)
    path, losses = surfaces.trajectory(optim.gd_step, q, steps=5000, lr=3.0)  # lr > 2/L
    assert np.isnan(losses[-1]) and np.isfinite(losses[100])
    assert losses[100] > 1e20


def test_noise_escapes_the_saddle():
    s = surfaces.saddle()
    stuck = surfaces.trajectory(optim.gd_step, s, steps=300, lr=0.1)
    assert np.max(np.abs(stuck.path[-1])) < 1e-10  # GD from y = 0 converges to the saddle
    escaped = surfaces.trajectory(optim.gd_step, s, steps=300, lr=0.1, noise=0.01,
                                  rng=np.random.default_rng(0))
    assert escaped.losses[-1] < -0.24  # reached a minimum, f = −¼
    assert abs(abs(escaped.path[-1, 1]) - 1) < 0.05


# ---------------------------------------------------------------------------
# Theory on the quadratic (chapters 3 and 4)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kappa, angle", [(4, 0), (25, 30), (100, 70)])
def test_gd_with_lr_one_over_L_contracts_at_rate_one_minus_one_over_kappa(kappa, angle):
    q = surfaces.quadratic(kappa=kappa, angle=angle, L=2.0)
    L = q.info["L"]
    path, _ = surfaces.trajectory(optim.gd_step, q, start=[1.3, -0.7], steps=300, lr=1 / L)
    dist = np.linalg.norm(path, axis=1)  # the minimum is at 0
    bound = (1 - 1 / kappa) ** np.arange(301) * dist[0]
    assert np.all(dist <= bound * (1 + 1e-12))
    # and the bound is the true rate, not a loose one
    measured = (dist[300] / dist[200]) ** (1 / 100)
    assert measured == pytest.approx(1 - 1 / kappa, rel=1e-9)


@pytest.mark.parametrize("kappa", [25, 100])
def test_heavy_ball_with_optimal_parameters_reaches_the_sqrt_kappa_rate(kappa):
    q = surfaces.quadratic(kappa=kappa, angle=20, L=1.0)
    L, mu = q.info["L"], q.info["mu"]
    lr = 4 / (np.sqrt(L) + np.sqrt(mu)) ** 2
    momentum = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    rate = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    k = 300
    for update in (optim.heavy_ball_step, optim.SGD):  # classical form and PyTorch's agree
        path, _ = surfaces.trajectory(update, q, start=[1.0, 1.0], steps=2 * k, lr=lr,
                                      momentum=momentum)
        dist = np.linalg.norm(path, axis=1)
        measured = (dist[2 * k] / dist[k]) ** (1 / k)
        # a double eigenvalue makes the error ~ k·rateᵏ: the factor 2^(1/k) is the slack
        assert rate * 0.999 <= measured <= rate * 2 ** (1 / k) * 1.001
        assert measured < (1 - 1 / kappa) ** 5  # far faster than plain GD


def test_plot_surface_and_losses_draw_what_they_are_given():
    import matplotlib

    matplotlib.use("Agg")
    from bpcourse import plot

    s = surfaces.rosenbrock()
    runs = {"GD": surfaces.trajectory(optim.gd_step, s, steps=50, lr=1e-3),
            "Adam": surfaces.trajectory(optim.Adam, s, steps=50, lr=0.05)}
    ax = plot.plot_surface(s, paths={k: r.path for k, r in runs.items()})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["global minimum", "GD", "Adam"]
    gd_line = next(line for line in ax.get_lines() if line.get_label() == "GD")
    np.testing.assert_array_equal(gd_line.get_xydata(), runs["GD"].path)
    ax = plot.plot_losses({k: r.losses for k, r in runs.items()})
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 2
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), runs["Adam"].losses)
    matplotlib.pyplot.close("all")
