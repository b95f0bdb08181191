"""Two-dimensional test surfaces with exact gradients, and optimizer trajectories.

Chapters 3 to 5 watch optimizers walk across these landscapes. Each
``Surface`` carries its function ``f``, its exact gradient ``grad`` (both
take points of shape ``(..., 2)``, so a whole grid at once), its global
minima and minimum value, any other local minima and saddle points, a
plotting box and a suggested start::

    s = rosenbrock()
    path, losses = trajectory(adam_step, s, steps=500, lr=0.05)
    bpcourse.plot.plot_surface(s, paths={"Adam": path})

``trajectory`` accepts a pure update rule (``adam_step``, its state started
by ``optim.adam_init``) or an optimizer class (``Adam``) and returns the
path, shape ``(steps + 1, 2)``, and the loss at each point.
"""

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from . import optim

# ---------------------------------------------------------------------------
# The Surface type
# ---------------------------------------------------------------------------


def _xy(theta):
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim == 0 or theta.shape[-1] != 2:
        raise ValueError(f"theta must have shape (2,) or (..., 2), got {theta.shape}")
    return theta[..., 0], theta[..., 1]


@dataclass(frozen=True, eq=False)
class Surface:
    """A 2-D function with its gradient and what is known about it.

    ``minima`` holds the global minima (one per row), ``f_min`` their value,
    ``local_minima`` the other local minima and ``saddles`` the saddle
    points. ``box = (xmin, xmax, ymin, ymax)`` frames the interesting part,
    ``start`` is a starting point that shows the surface's difficulty, and
    ``info`` holds extra facts (for the quadratic: ``A``, ``L``, ``mu``, ``kappa``).
    """

    name: str
    f: object
    grad: object
    minima: np.ndarray
    f_min: float
    box: tuple
    start: np.ndarray
    local_minima: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    saddles: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    log_levels: bool = True
    info: dict = field(default_factory=dict)

    def __call__(self, theta):
        return self.f(theta)

    def __repr__(self):
        return f"Surface({self.name!r}, minima={self.minima.tolist()}, f_min={self.f_min})"


def _points(*rows):
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


# ---------------------------------------------------------------------------
# The surfaces
# ---------------------------------------------------------------------------


def quadratic(kappa=10.0, angle=0.0, L=1.0):
    """A quadratic bowl with condition number ``kappa``, rotated by ``angle`` degrees.

    f(θ) = ½ θᵀ A θ,   A = R diag(L, L/κ) Rᵀ
    ∇f(θ) = A θ

    The largest curvature is ``L``, the smallest ``mu = L/kappa``. Gradient
    descent converges for ``lr < 2/L``: each step multiplies the distance to the
    minimum by at most ``max(|1 − lr·L|, |1 − lr·mu|)``, which is ``1 − 1/κ`` at
    ``lr = 1/L`` and smallest, ``(κ − 1)/(κ + 1)``, at ``lr = 2/(L + mu)``.
    See chapter 3, "The learning rate on a quadratic".
    """
    if not kappa >= 1:
        raise ValueError(f"kappa must be >= 1, got {kappa}")
    if not L > 0:
        raise ValueError(f"L must be > 0, got {L}")
    phi = math.radians(angle)
    R = np.array([[math.cos(phi), -math.sin(phi)], [math.sin(phi), math.cos(phi)]])
    A = R @ np.diag([L, L / kappa]) @ R.T

    def f(theta):
        _xy(theta)
        theta = np.asarray(theta, dtype=np.float64)
        return 0.5 * np.einsum("...i,ij,...j->...", theta, A, theta)

    def grad(theta):
        _xy(theta)
        return np.asarray(theta, dtype=np.float64) @ A.T

    return Surface(f"quadratic (κ = {kappa:g})", f, grad, _points(0, 0), 0.0, (-2, 2, -2, 2),
                   R @ np.array([0.3, 1.8]), log_levels=True,
                   info={"A": A, "L": L, "mu": L / kappa, "kappa": kappa, "angle": angle})


def rosenbrock(a=1.0, b=100.0):
    """Rosenbrock's banana valley: easy to find, slow to follow.

    f(x, y) = (a − x)² + b (y − x²)²
    ∂f/∂x = −2 (a − x) − 4 b x (y − x²)
    ∂f/∂y = 2 b (y − x²)

    One minimum, f = 0 at (a, a²). See chapter 4, "The ravine problem".
    """
    def f(theta):
        x, y = _xy(theta)
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def grad(theta):
        x, y = _xy(theta)
        return np.stack([-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)], axis=-1)

    return Surface("Rosenbrock", f, grad, _points(a, a * a), 0.0, (-2, 2, -1, 3),
                   np.array([-1.5, 2.5]))


def beale():
    """Beale's function: flat plateaus and steep narrow valleys.

    f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²

    One minimum, f = 0 at (3, 0.5). See chapter 5, "Adaptive methods on surfaces".
    """
    c = (1.5, 2.25, 2.625)

    def f(theta):
        x, y = _xy(theta)
        return sum((ci - x + x * y ** (i + 1)) ** 2 for i, ci in enumerate(c))

    def grad(theta):
        x, y = _xy(theta)
        gx = sum(2 * (ci - x + x * y ** (i + 1)) * (y ** (i + 1) - 1) for i, ci in enumerate(c))
        gy = sum(2 * (ci - x + x * y ** (i + 1)) * (i + 1) * x * y**i for i, ci in enumerate(c))
        return np.stack([gx, gy], axis=-1)

    return Surface("Beale", f, grad, _points(3, 0.5), 0.0, (-4.5, 4.5, -4.5, 4.5),
                   np.array([1.0, 1.5]))


def himmelblau():
    """Himmelblau's function: four minima of equal depth.

    f(x, y) = (x² + y − 11)² + (x + y² − 7)²

    Minima, all with f = 0, at (3, 2), (−2.8051, 3.1313), (−3.7793, −3.2832)
    and (3.5844, −1.8481). Which one you reach depends on where you start.
    See chapter 3, "Nonconvex surfaces: local minima, plateaus and saddle points".
    """
    def f(theta):
        x, y = _xy(theta)
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(theta):
        x, y = _xy(theta)
        a, b = x * x + y - 11, x + y * y - 7
        return np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)

    minima = _points((3.0, 2.0), (-2.805118086952745, 3.131312518250573),
                     (-3.779310253377747, -3.283185991286169),
                     (3.5844283403304917, -1.8481265269644034))
    return Surface("Himmelblau", f, grad, minima, 0.0, (-5, 5, -5, 5), np.array([0.0, 0.0]))


def saddle():
    """A saddle at the origin between two minima.

    f(x, y) = ½ x² + ¼ y⁴ − ½ y²
    ∇f = (x, y³ − y)

    Saddle point (0, 0) with f = 0; minima (0, ±1) with f = −¼. Gradient
    descent started on the line y = 0 (the default start, (1.5, 0)) walks into
    the saddle and stays; a little gradient noise lets it escape.
    See chapter 3, "Nonconvex surfaces: local minima, plateaus and saddle points".
    """
    def f(theta):
        x, y = _xy(theta)
        return 0.5 * x * x + 0.25 * y**4 - 0.5 * y * y

    def grad(theta):
        x, y = _xy(theta)
        return np.stack([x, y**3 - y], axis=-1)

    return Surface("saddle", f, grad, _points((0, -1), (0, 1)), -0.25, (-2, 2, -1.6, 1.6),
                   np.array([1.5, 0.0]), saddles=_points(0, 0), log_levels=False)


def ravine(steepness=10.0):
    """A narrow ravine that curves: steep walls, a gentle floor.

    f(x, y) = x²/20 + s (y − ½ sin x)²
    ∂f/∂x = x/10 − s cos(x) (y − ½ sin x)
    ∂f/∂y = 2 s (y − ½ sin x)

    One minimum, f = 0 at (0, 0). Plain gradient descent zig-zags across the
    walls; momentum follows the floor. See chapter 4, "The ravine problem".
    """
    if not steepness > 0:
        raise ValueError(f"steepness must be > 0, got {steepness}")
    s = steepness

    def f(theta):
        x, y = _xy(theta)
        return x * x / 20 + s * (y - 0.5 * np.sin(x)) ** 2

    def grad(theta):
        x, y = _xy(theta)
        r = y - 0.5 * np.sin(x)
        return np.stack([x / 10 - s * np.cos(x) * r, 2 * s * r], axis=-1)

    return Surface("ravine", f, grad, _points(0, 0), 0.0, (-6, 6, -2.5, 2.5),
                   np.array([-5.5, 1.5]), info={"steepness": s})


def six_hump_camel():
    """The six-hump camel: two global minima, four more local ones.

    f(x, y) = (4 − 2.1 x² + x⁴/3) x² + x y + (4 y² − 4) y²

    Global minima f = −1.0316 at ±(0.0898, −0.7127); local minima at
    ±(1.7036, −0.7961) (f = −0.2155) and ±(1.6071, 0.5687) (f = 2.1043).
    See chapter 3, "Nonconvex surfaces: local minima, plateaus and saddle points".
    """
    def f(theta):
        x, y = _xy(theta)
        return (4 - 2.1 * x * x + x**4 / 3) * x * x + x * y + (4 * y * y - 4) * y * y

    def grad(theta):
        x, y = _xy(theta)
        return np.stack([8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3], axis=-1)

    glob = _points((0.08984201310031807, -0.7126564030207396),
                   (-0.08984201310031807, 0.7126564030207396))
    local = _points((1.7036067149699805, -0.7960835686726251),
                    (-1.703606714969981, 0.7960835686726251),
                    (1.6071047529201976, 0.5686514548841313),
                    (-1.6071047529201974, -0.5686514548841313))
    return Surface("six-hump camel", f, grad, glob, -1.0316284534898774, (-2, 2, -1.2, 1.2),
                   np.array([-1.6, 1.0]), local_minima=local, log_levels=False)


SURFACES = {
    "quadratic": quadratic, "rosenbrock": rosenbrock, "beale": beale,
    "himmelblau": himmelblau, "saddle": saddle, "ravine": ravine,
    "six_hump_camel": six_hump_camel,
}


# ---------------------------------------------------------------------------
# Trajectories
# ---------------------------------------------------------------------------


class Trajectory(NamedTuple):
    """``path`` (steps + 1, 2) and ``losses`` (steps + 1,); NaN after a divergence."""

    path: np.ndarray
    losses: np.ndarray


class _Point:
    """A parameter for the optimizer classes: a 2-vector with a gradient."""

    def __init__(self, data):
        self.data = data
        self.grad = None


def _class_stepper(update, theta, hyper):
    """``advance(theta, g)`` for an optimizer class: one ``step()`` on a 2-vector."""
    point = _Point(theta.copy())
    opt = update([point], **hyper)

    def advance(theta, g):
        point.grad = g
        opt.step()
        return point.data

    return advance


def _rule_stepper(update, theta, init, hyper):
    """``advance(theta, g)`` for a pure rule, its state started by ``init(theta)``."""
    name = getattr(update, "__name__", "update")
    init = init or optim.INITS.get(update)
    if init is None:
        raise TypeError(f"{name} is not one of bpcourse.optim's rules: pass its state"
                        " initialiser too, e.g. init=optim.adam_init")
    state = init(theta)

    def advance(theta, g):
        nonlocal state
        try:
            out = update(theta, g, *state, **hyper)
        except TypeError as err:
            raise TypeError(f"{name}: {err}; pass its hyper-parameters by name,"
                            " e.g. lr=0.1") from err
        if not state:
            return out[0] if isinstance(out, tuple) else out
        if not (isinstance(out, tuple) and len(out) == len(state) + 1):
            raise TypeError(f"{name} should return (theta, {', '.join(state._fields)})")
        state = type(state)(*out[1:])
        return out[0]

    return advance


def trajectory(update, surface, start=None, steps=100, *, init=None, noise=0.0, rng=None,
               **hyper):
    """Run an optimizer on a surface: returns ``Trajectory(path, losses)``.

    ``update`` is either a pure rule such as ``gd_step`` or ``adam_step``,
    whose state starts as its initialiser ``optim.INITS[update]`` says (pass
    ``init=`` for a rule of your own), or an optimizer class such as
    ``optim.Adam``; the two give the same path. ``hyper`` are its
    hyper-parameters by name (``lr=0.1, momentum=0.9``). ``start`` defaults
    to ``surface.start``. With ``noise > 0`` each gradient gets Gaussian
    noise of that standard deviation, drawn from ``rng``, to mimic SGD.
    A run that overflows stops, and the rest of the path is NaN.
    """
    if not isinstance(surface, Surface):
        raise TypeError(f"surface must be a Surface (e.g. surfaces.rosenbrock()), got {surface!r}")
    theta = np.array(surface.start if start is None else start, dtype=np.float64)
    if theta.shape != (2,):
        raise ValueError(f"start must have shape (2,), got {theta.shape}")
    if isinstance(steps, bool) or not float(steps).is_integer() or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    steps = int(steps)
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if noise > 0 and not isinstance(rng, np.random.Generator):
        raise TypeError("noise > 0 needs rng=np.random.default_rng(seed)")
    if isinstance(update, type) and issubclass(update, optim.Optimizer):
        advance = _class_stepper(update, theta, hyper)
    elif callable(update):
        advance = _rule_stepper(update, theta, init, hyper)
    else:
        raise TypeError(f"update must be an update rule or an optimizer class, got {update!r}")
    path = np.full((steps + 1, 2), np.nan)
    losses = np.full(steps + 1, np.nan)
    path[0], losses[0] = theta, surface.f(theta)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            g = surface.grad(theta)
            if noise > 0:
                g = g + noise * rng.standard_normal(2)
            theta = np.asarray(advance(theta, g), dtype=np.float64)
            loss = surface.f(theta)
            if not (np.all(np.isfinite(theta)) and np.isfinite(loss)):
                break
            path[k], losses[k] = theta, loss
    return Trajectory(path, losses)
