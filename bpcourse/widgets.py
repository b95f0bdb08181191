"""Explorers: the live widgets and kernel-free players the chapters turn their knobs with.

Each explorer is a pair, built the same way in every chapter:

* a *live* explorer (``descent_explorer``) for Jupyter: ipywidgets controls
  and an ``ipywidgets.Image`` whose PNG bytes every change replaces;
* a *player* (``lr_player``) for the static website, where no kernel runs:
  precomputed frames behind a slider, from ``frames_player`` and its
  template ``bpcourse/templates/player.html``, so the site never shows a
  dead slider.

Both faces draw the same thing with the same function. On a 2-D surface
(chapters 3 to 5) that thing is a run of an update rule: ``record_frames``
runs a rule once per frame (its state started by the rule's initialiser,
``optim.INITS``; optional gradient noise from an ``rng``), and
``draw_surface_run`` and ``surface_player`` draw the runs. Figure sizes come
from ``plot`` (``plot.LIVE_SIZE``, ``plot.PLAYER_SIZE``, ...), randomness from
an ``rng=`` generator that a helper copies rather than advances, so an
explorer redraws the same run.

Every picture is a ``matplotlib.figure.Figure`` (not pyplot, so a notebook
never shows it by itself) turned into PNG bytes by ``_png``. A live explorer
never captures display messages with an ``ipywidgets.Output``, whose capture
can hang when a notebook is executed headless (nbclient, nbval).
"""

import base64
import copy
import hashlib
import html
import io
import json
import math
from importlib import resources
from string import Template

# ipywidgets and matplotlib load with this module, not lazily: only plot and
# widgets need them, the core (engines, optimizers, checks) never imports
# either, and `import bpcourse` loads a submodule on first use.
import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from . import functional as F
from . import nn, optim, plot, surfaces
from .init import _check_rng
from .plot import draw_graph
from .tensor import Tensor
from .value import Value, backward_steps, topological_order

# ---------------------------------------------------------------------------
# Shared: figure -> PNG, the live picture, the kernel-free player, the rng
# ---------------------------------------------------------------------------


def _png(fig, dpi=None):
    """``fig`` as PNG bytes. No "Software" metadata: the same figure gives the same bytes
    whatever the matplotlib version."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, metadata={"Software": None})
    return buf.getvalue()


def _picture():
    """The live explorers' picture: an Image widget whose bytes each redraw replaces."""
    return w.Image(format="png", layout=w.Layout(max_width=f"{plot.LIVE_WIDTH_PX}px"))


def _live_figure():
    """A live explorer's figure: two panels, ``plot.LIVE_SIZE`` at ``plot.LIVE_DPI``."""
    fig = Figure(figsize=plot.LIVE_SIZE, dpi=plot.LIVE_DPI)   # not pyplot: never shown by itself
    return fig, fig.subplots(1, 2)


def _player_figure():
    """A player's figure: two panels, ``plot.PLAYER_SIZE`` at ``plot.PLAYER_DPI``."""
    fig = Figure(figsize=plot.PLAYER_SIZE, dpi=plot.PLAYER_DPI)
    return fig, fig.subplots(1, 2)


def _own_rng(rng, who):
    """A generator to draw from without advancing the caller's: a copy of ``rng``,
    or ``np.random.default_rng(0)`` when it is None. The same ``rng`` gives the same run."""
    if rng is None:
        return np.random.default_rng(0)
    _check_rng(rng, who)
    return copy.deepcopy(rng)


_BUTTON = ("style='font:inherit;padding:2px 10px;border:1px solid #888;"
           "border-radius:4px;background:#f4f4f4;cursor:pointer'")


def frames_player(fig, draw, n_frames, captions=None, interval=400, alt=None):
    """Self-contained HTML: the frames ``draw(0) ... draw(n_frames - 1)`` behind a slider.

    The kernel-free face of every explorer on the website. Each frame is
    drawn into ``fig`` by ``draw(k)``, saved as a PNG and embedded as base64
    in the template ``bpcourse/templates/player.html``, whose few lines of
    inline JavaScript give play/pause, previous/next and a slider, with
    ``captions[k]`` shown as text under frame ``k``. Nothing is loaded from
    the network, and the same frames give the same page. ``alt`` describes
    the picture for a screen reader. A pyplot figure is closed (so a notebook
    does not show it a second time). Returns the HTML as a string.
    """
    if n_frames < 1:
        raise ValueError(f"frames_player: need at least one frame, got {n_frames}")
    captions = [f"frame {k + 1} of {n_frames}" for k in range(n_frames)] if captions is None \
        else [str(c) for c in captions]
    if len(captions) != n_frames:
        raise ValueError(f"frames_player: {n_frames} frames but {len(captions)} captions")
    frames = []
    for k in range(n_frames):
        draw(k)
        frames.append(base64.b64encode(_png(fig)).decode("ascii"))
    if getattr(fig.canvas, "manager", None) is not None:
        plt.close(fig)
    template = Template(resources.files(__package__).joinpath("templates/player.html")
                        .read_text(encoding="utf-8"))
    return template.substitute(
        # a stable id (the same frames give the same page) that differs between players
        pid="bpcourse-player-" + hashlib.sha1("".join(frames).encode()).hexdigest()[:10],
        width=round(fig.get_figwidth() * fig.dpi),
        first_frame=frames[0],
        alt=html.escape(alt or f"an animation of {n_frames} frames"),
        button=_BUTTON,
        last=n_frames - 1,
        n_frames=n_frames,
        first_caption=html.escape(captions[0]),
        frames=json.dumps(frames),
        captions=json.dumps(captions),
        interval=int(interval),
    ).rstrip("\n")


# ---------------------------------------------------------------------------
# Chapter 1: stepping through a backward pass
# ---------------------------------------------------------------------------


def _node_names(root):
    """A printable name for every node of root's graph: its label, else the
    expression that made it from its inputs' names (``x1*w1``), else v1, v2, ..."""
    names = {}
    for k, node in enumerate(topological_order(root), start=1):
        inputs = [names[p] for p in node.parents]
        if node.label:
            name = node.label
        elif len(inputs) == 2 and node.op in ("+", "-", "*", "/", "**"):
            name = f"{inputs[0]}{node.op}{inputs[1]}"
        elif len(inputs) == 1 and node.op.startswith("**"):
            name = f"{inputs[0]}{node.op}"
        elif len(inputs) == 1:
            name = f"{node.op}({inputs[0]})"
        else:
            name = ""
        names[node] = name if name and len(name) <= 16 else f"v{k}"
    return names


def _fmt(x):
    return f"{x:.6g}"


def backward_walk_table(root):
    """Run ``root``'s backward pass one node at a time and return it as a table.

    One row per edge, in the order the pass uses them: the node passing its
    gradient on, its ``grad``, the input it passes to, the local derivative
    along the edge, the contribution ``local * grad`` and the input's gradient
    right after adding it: the backward rule, with numbers. Like
    ``root.backward()`` this fills the ``grad`` of every node of the graph.
    See chapter 1, "A backward pass, step by step".
    """
    names = _node_names(root)
    header = ("step", "node", "op", "node.grad", "input", "local d", "contribution",
              "input.grad")
    rows = []
    for k, step in enumerate(backward_steps(root), start=1):
        parents = step.node.parents
        # the inputs' grads now include every contribution of this step; undo the
        # later ones so each row shows the running total right after its own edge
        running = {p: p.grad for p in parents}
        for p, c in zip(parents, step.contributions, strict=True):
            running[p] -= c
        for j, (p, local, c) in enumerate(zip(parents, step.local_grads, step.contributions,
                                                  strict=True)):
            running[p] += c
            first = j == 0
            rows.append((str(k) if first else "", names[step.node] if first else "",
                         (step.node.op or "leaf") if first else "",
                         _fmt(step.node.grad) if first else "", names[p], _fmt(local), _fmt(c),
                         _fmt(running[p])))
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def _highlight(step):
    """What the explorer shows in orange: the node passing its gradient on, the
    edges it flows along, and the inputs receiving it."""
    if step is None:
        return set()
    node = step.node
    return {node, *node.parents, *((p, node) for p in node.parents)}


def _step_caption(step, names):
    if step is None:
        return "forward pass done; the backward pass starts with grad = 1 at the output"
    node = step.node
    parts = [f"{names[p]}.grad += {local:.4g} x {node.grad:.4g}"
             for p, local in zip(node.parents, step.local_grads, strict=True)]
    return f"{names[node]} ({node.op}) passes its gradient on:  " + ";  ".join(parts)


def _run_steps(build, k):
    """A fresh graph from ``build()``, with the first ``k`` backward steps done."""
    root = build()
    for node, name in _node_names(root).items():
        node.label = node.label or name  # so the drawing shows the names the caption uses
    steps = backward_steps(root)
    last = None
    for _ in range(k):
        last = next(steps, last)
    steps.close()
    if k == 0:
        root.grad = 1.0  # show the seed dL/dL = 1 before any step
    return root, last


def _count_steps(build):
    return sum(1 for _ in backward_steps(build()))


def _example_expressions():
    def worked():
        a, b = Value(2.0, label="a"), Value(0.5, label="b")
        c = a * b
        c.label = "c"
        d = c + a
        d.label = "d"
        L = d**2
        L.label = "L"
        return L

    def shared():
        a = Value(3.0, label="a")
        c = a * a
        c.label = "c"
        b = c + a
        b.label = "b"
        return b

    def neuron():
        x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
        w1, w2, b = Value(-0.8, label="w1"), Value(0.6, label="w2"), Value(0.9, label="b")
        z = x1 * w1 + x2 * w2 + b
        z.label = "z"
        o = z.tanh()
        o.label = "o"
        return o

    return {"L = (a*b + a)**2": worked, "b = a*a + a": shared,
            "o = tanh(w1*x1 + w2*x2 + b)": neuron}


def _graph_figure(root, dpi=plot.GRAPH_DPI):
    """A pyplot-free Figure with ``root``'s graph drawn on its one Axes, sized as
    ``plot.draw_graph`` sizes a figure of its own. Returns ``(fig, ax)``."""
    fig = Figure(dpi=dpi)
    ax = fig.add_subplot()
    draw_graph(root, ax=ax)
    # draw_graph spans 2 x-units per column and 1 y-unit per row, plus margins
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    width = max(4.0, 2.3 * (x1 - x0) / 2 + 0.5)
    height = max(2.0, 0.95 * (y1 - y0 - 0.6) + 0.8)
    fig.set_size_inches(width, height)
    return fig, ax


def _draw_step(ax, build, k):
    """Redraw ``ax`` with the graph of ``build()`` after ``k`` backward steps, the node
    at work highlighted. Returns the step's caption."""
    root, last = _run_steps(build, k)
    ax.clear()
    draw_graph(root, ax=ax, highlight=_highlight(last))
    return _step_caption(last, _node_names(root))


def backward_explorer(expressions=None):
    """Step through a backward pass node by node, the graph redrawn at each step.

    ``expressions`` maps a name to a function that builds a fresh ``Value``
    graph and returns its output; by default the chapter's three examples.
    Needs a Jupyter kernel; the website shows ``backward_player`` instead.
    See chapter 1, "Explorer: step through a backward pass".
    """
    expressions = dict(expressions or _example_expressions())
    choose = w.Dropdown(options=list(expressions), description="expression")
    step = w.IntSlider(value=0, min=0, max=_count_steps(expressions[choose.value]),
                       description="step")
    caption = w.HTML()
    picture = _picture()

    def redraw(*_):
        build = expressions[choose.value]
        fig, ax = _graph_figure(build())
        text = _draw_step(ax, build, step.value)
        picture.value = _png(fig)
        caption.value = f"<code>{html.escape(text)}</code>"

    def rebuild(*_):
        step.max = _count_steps(expressions[choose.value])
        step.value = 0
        redraw()

    choose.observe(rebuild, names="value")
    step.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([choose, step]), caption, picture])


def backward_player(build, interval=1400, dpi=plot.GRAPH_PLAYER_DPI):
    """The explorer's kernel-free face: the backward walk of ``build()``, frame by frame.

    One frame per backward step of the graph ``build()`` returns, plus the
    starting frame, behind ``frames_player``'s slider; the step's rule with
    numbers is the caption. Returns self-contained HTML: display it with
    ``IPython.display.HTML(...)``. See chapter 1, "Explorer: step through a backward pass".
    """
    n = _count_steps(build)
    # The page column is about 690 px wide: a narrow figure whose axes fill it
    # (no subplot margins), with the graph's text enlarged, keeps the node
    # labels at about 12 px on the website.
    fig, ax = _graph_figure(build(), dpi=dpi)
    # the natural size is 1.15 in per x-unit: shrink the width (not the
    # height, which the three-line boxes need) to fit the column
    width, height = fig.get_size_inches()
    fig.set_size_inches(min(width, plot.GRAPH_PLAYER_MAX_WIDTH), 0.85 * height + 0.35)
    fig.subplots_adjust(left=0.005, right=0.995, bottom=0.01,
                        top=1 - 0.35 / fig.get_figheight())
    # Frame 1 is the start, frame k + 1 the k-th step: the same numbers as the
    # slider's counter "k + 1 / n + 1".
    titles = ["start"] + [f"step {k} of {n}" for k in range(1, n + 1)]
    captions = []
    for k in range(n + 1):
        root, last = _run_steps(build, k)
        captions.append(f"{titles[k]}: " + _step_caption(last, _node_names(root)))

    def draw(k):
        _draw_step(ax, build, k)
        for text in ax.texts:  # draw_graph's 8-9 pt, scaled for the page
            text.set_fontsize(text.get_fontsize() * 1.2)
        ax.set_title(titles[k], fontsize=12, loc="left")

    alt = (f"The computational graph of {_node_names(root)[root]}, redrawn at each of the "
           f"{n} steps of its backward pass, the node passing its gradient on and the "
           "edges it flows along highlighted")
    return frames_player(fig, draw, n + 1, captions=captions, interval=interval, alt=alt)


# ---------------------------------------------------------------------------
# Chapter 2: width, depth and activation of a small network
# ---------------------------------------------------------------------------

ACTIVATIONS = ("tanh", "relu", "sigmoid")


def train_boundary(X, y, widths=(16, 16), activation="tanh", steps=1000, lr=0.3, frames=24,
                   rng=None):
    """Train an MLP on 2-D points by full-batch gradient descent, keeping snapshots.

    Each step is chapter 2's training loop: forward, ``loss.backward()``
    (backpropagation), then ``theta <- theta - lr * g``. The decision boundary is
    recorded at ``frames`` steps spaced geometrically from 0 to ``steps`` (early
    steps change the boundary most). Returns a dict with ``steps`` (the
    snapshot steps), ``grids`` (``plot.class_probability_grid`` at each),
    ``losses`` (the loss before every step, then the final one) and
    ``accuracy`` (on ``X`` at the end). The initial weights come from a copy
    of ``rng`` (default ``np.random.default_rng(0)``), so the same ``rng``
    gives the same run. See chapter 2, "Explorer: width, depth and activation".
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"train_boundary: X must be (N, 2) and y (N,), "
                         f"got {X.shape} and {y.shape}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"train_boundary: activation must be one of {ACTIVATIONS}, "
                         f"got {activation!r}")
    if steps < 1 or not 2 <= frames <= steps + 1:
        raise ValueError(f"train_boundary: need steps >= 1 and 2 <= frames <= steps + 1, "
                         f"got steps={steps}, frames={frames}")
    sizes = [2, *[int(w) for w in widths], int(y.max()) + 1]
    model = nn.MLP(sizes, activation=activation, rng=_own_rng(rng, "train_boundary"))
    opt = optim.SGD(model.parameters(), lr=lr)
    at = snapshot_steps(steps, frames)
    Xt = Tensor(X)
    grids, losses = [], []
    for step in range(steps + 1):
        if step in at:
            grids.append(plot.class_probability_grid(model, X, n=61))
        opt.zero_grad()
        loss = F.cross_entropy(model(Xt), y)
        losses.append(float(loss.data))
        if step == steps:
            break
        loss.backward()
        opt.step()
    accuracy = float((model(Xt).data.argmax(axis=1) == y).mean())
    label = f"{activation}, {' x '.join(str(int(v)) for v in widths)}: "
    return {"steps": at, "grids": grids, "losses": np.array(losses), "accuracy": accuracy,
            "label": label}


def _draw_run(axes, run, X, y, frame=-1, title=""):
    """Boundary at snapshot ``frame`` on axes[0], the loss curve up to it on axes[1]."""
    ax_b, ax_l = axes
    ax_b.clear()
    ax_l.clear()
    step = run["steps"][frame]
    plot.decision_boundary(ax_b, run["grids"][frame], X, y)
    ax_b.set_title(f"{title}step {step}")
    losses = run["losses"]
    ax_l.semilogy(range(len(losses)), losses, color=plot.PALETTE["sky"], lw=1, alpha=0.6)
    ax_l.semilogy(range(step + 1), losses[: step + 1], color=plot.PALETTE["blue"], lw=2)
    ax_l.plot([step], [losses[step]], "o", color=plot.PALETTE["vermillion"])
    _loss_axis(ax_l, losses)
    ax_l.set_xlabel("gradient-descent step")
    ax_l.set_ylabel("cross-entropy loss (log scale)")
    ax_l.set_title(f"loss {losses[step]:.3f}")


def _loss_axis(ax, losses):
    """A log-scale y axis for ``losses`` that stays legible in a small panel.

    Few ticks, labelled as plain decimals ("0.05", "0.1", "0.2"): at 1, 2 and 5
    times powers of ten when the losses span up to two decades, at powers of
    ten alone beyond that, and a few more steps (1.5, 3, 7) when they span
    less than a factor of five; the minor ticks keep no labels. Call it after
    plotting (``semilogy`` resets the ticks).
    """
    losses = np.asarray(losses, dtype=float)
    positive = losses[np.isfinite(losses) & (losses > 0)]
    decades = np.log10(positive.max() / positive.min()) if positive.size else 0.0
    if decades < 0.7:      # under a factor of 5, 1-2-5 steps may leave one tick
        subs = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
    elif decades <= 2:
        subs = (1.0, 2.0, 5.0)
    else:
        subs = (1.0,)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs, numticks=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def network_explorer(X, y, steps=600, lr=0.3, rng=None):
    """Live explorer: hidden width, depth and activation -> decision boundary and loss.

    Every change retrains the network from the same ``rng`` (a second or two) and
    redraws. Needs a Jupyter kernel; the website shows ``boundary_player``
    instead. See chapter 2, "Explorer: width, depth and activation".
    """
    width = w.SelectionSlider(options=[1, 2, 3, 4, 8, 16, 32, 64], value=16,
                              description="width", continuous_update=False)
    depth = w.IntSlider(value=2, min=1, max=4, description="hidden layers",
                        continuous_update=False, style={"description_width": "initial"})
    act = w.Dropdown(options=ACTIVATIONS, value="tanh", description="activation")
    picture = _picture()

    def redraw(_=None):
        run = train_boundary(X, y, widths=[width.value] * depth.value, activation=act.value,
                             steps=steps, lr=lr, frames=2, rng=rng)
        fig, axes = _live_figure()
        _draw_run(axes, run, X, y, title=f"{act.value}, {depth.value} x {width.value}: ")
        fig.suptitle(f"training accuracy {run['accuracy']:.0%}")
        fig.tight_layout()
        picture.value = _png(fig)

    for control in (width, depth, act):
        control.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([width, depth, act]), picture])


def snapshot_steps(steps, frames):
    """``frames`` distinct steps from 0 to ``steps``, spaced geometrically.

    Early steps change the network most, so they get most of the frames. Where
    geometric spacing would repeat a step (1, 1, 2, ...), the next step is
    taken instead, so there are always exactly ``frames`` of them.
    """
    steps, frames = int(steps), int(frames)
    if not 2 <= frames <= steps + 1:
        raise ValueError(f"snapshot_steps: need 2 <= frames <= steps + 1, "
                         f"got frames={frames}, steps={steps}")
    at = [0]
    for s in np.geomspace(1, steps, frames - 1):
        at.append(max(int(round(s)), at[-1] + 1))
    # pushed up by repeats, the tail may overshoot `steps`: pull it back
    at[-1] = steps
    for i in range(len(at) - 2, -1, -1):
        at[i] = min(at[i], at[i + 1] - 1)
    return at


def boundary_player(X, y, run=None, widths=(16, 16), activation="tanh", steps=1000,
                    frames=24, lr=0.3, rng=None):
    """The explorer's kernel-free face: the boundary during training, frame by frame.

    ``run`` is a training run as ``train_boundary`` returns it (a dict with
    ``steps``, ``grids`` and ``losses``); without it, one is trained with the
    other arguments. Returns self-contained HTML (see ``frames_player``):
    display it with ``IPython.display.HTML(...)``.
    See chapter 2, "Explorer: width, depth and activation".
    """
    if run is None:
        run = train_boundary(X, y, widths=widths, activation=activation, steps=steps, lr=lr,
                             frames=frames, rng=rng)
    if len(run["grids"]) != len(run["steps"]):
        raise ValueError(f"boundary_player: run has {len(run['steps'])} steps but "
                         f"{len(run['grids'])} grids")
    # Draw the static parts once and update only what moves: redrawing whole
    # axes (and a tight layout) per frame costs ten times more.
    fig, (ax_b, ax_l) = _player_figure()
    # room between the panels for the loss axis's tick labels and its label
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.9, wspace=0.4)
    layers = plot.decision_boundary(ax_b, run["grids"][0], X, y)
    losses, label = np.asarray(run["losses"]), run.get("label", "")
    ax_l.semilogy(range(len(losses)), losses, color=plot.PALETTE["sky"], lw=1, alpha=0.6)
    (done,) = ax_l.semilogy([], [], color=plot.PALETTE["blue"], lw=2)
    (now,) = ax_l.plot([], [], "o", color=plot.PALETTE["vermillion"])
    _loss_axis(ax_l, losses)
    ax_l.set_xlabel("gradient-descent step")
    ax_l.set_ylabel("cross-entropy loss (log scale)")

    def draw(k):
        for artist in layers:
            artist.remove()
        layers[:] = plot.probability_layers(ax_b, run["grids"][k])
        step = run["steps"][k]
        ax_b.set_title(f"{label}step {step}")
        done.set_data(range(step + 1), losses[: step + 1])
        now.set_data([step], [losses[step]])
        ax_l.set_title(f"loss {losses[step]:.3f}")

    alt = (f"Decision boundary of a {label.rstrip(': ')} network on the training points, "
           "and its training loss, frame by frame during training")
    return frames_player(fig, draw, len(run["steps"]),
                         captions=[_training_caption(s) for s in run["steps"]], alt=alt)


def _training_caption(step):
    """Words for a frame's training step, unlike the slider's frame counter."""
    if step == 0:
        return "before training (step 0)"
    return f"after {step} gradient-descent step" + ("s" if step > 1 else "")


# ---------------------------------------------------------------------------
# Shared by chapters 3 to 5: an update rule on a surface, live and as frames
# ---------------------------------------------------------------------------


def record_frames(update, surface, frames, *, start=None, steps=100, noise=0.0, rng=None,
                  init=None, **hyper):
    """Run an update rule on a surface once per frame. Returns a list of ``Trajectory``.

    ``frames`` is a list of dicts, the hyper-parameters that change from
    frame to frame (``[{"lr": 0.01}, {"lr": 0.1}]``); ``hyper`` holds those
    that stay (``momentum=0.9``). Each run is ``surfaces.trajectory``: it
    starts from ``start`` (default ``surface.start``) with the rule's initial
    state (``optim.INITS[update]``, or ``init=`` for a rule of your own;
    ``update`` may also be an optimizer class) and takes ``steps`` steps.
    With ``noise > 0`` each gradient gets Gaussian noise of that standard
    deviation per coordinate, drawn from a copy of ``rng`` (default
    ``np.random.default_rng(0)``): every frame sees the same noise, so frames
    differ only by their settings, and the same ``rng`` gives the same runs.
    """
    runs = []
    for setting in frames:
        noise_rng = _own_rng(rng, "record_frames") if noise > 0 else None
        runs.append(surfaces.trajectory(update, surface, start, steps, init=init, noise=noise,
                                        rng=noise_rng, **hyper, **setting))
    return runs


def draw_surface_run(axes, surface, run, label):
    """A live explorer's picture of one run: contours and path on ``axes[0]``, the
    loss against the step on ``axes[1]`` (the gap to ``f_min`` on a log scale
    where the surface has ``log_levels``), and whether it diverged."""
    ax_s, ax_l = axes
    ax_s.clear()
    ax_l.clear()
    plot.plot_surface(surface, ax=ax_s, paths={label: run.path})
    xmin, xmax, ymin, ymax = surface.box
    ax_s.set_xlim(xmin, xmax)
    ax_s.set_ylim(ymin, ymax)
    ax_s.legend(fontsize=8, loc="upper right")
    gap = run.losses - surface.f_min
    finite = np.isfinite(gap)
    if surface.log_levels:
        ax_l.semilogy(np.arange(len(gap))[finite], np.maximum(gap[finite], 1e-16),
                      color=plot.PALETTE["blue"])
        ax_l.set_ylabel(r"$f(\theta) - f_{\min}$ (log scale)")
    else:
        ax_l.plot(np.arange(len(gap))[finite], run.losses[finite], color=plot.PALETTE["blue"])
        ax_l.set_ylabel(r"$f(\theta)$")
    ax_l.set_xlabel("step")
    ax_l.set_xlim(0, len(gap) - 1)
    if not finite.all():
        ax_l.set_title(f"diverged at step {int(np.argmin(finite))}", fontsize=10,
                       color=plot.PALETTE["vermillion"])
    else:
        ax_l.set_title(f"final f = {run.losses[-1]:.4g}", fontsize=10)


def surface_player(surface, runs, titles, captions, alt, interval=500):
    """The kernel-free face: one frame per run, its path on the contours and its loss.

    ``runs`` are what ``record_frames`` returns; ``titles[k]`` heads frame
    ``k``'s contour panel, ``captions[k]`` goes under it, ``alt`` describes
    the whole for a screen reader. The contours are drawn once and each
    frame moves only the two lines. Returns self-contained HTML (see
    ``frames_player``): display it with ``IPython.display.HTML(...)``.
    """
    if not len(runs) == len(titles) == len(captions):
        raise ValueError(f"surface_player: {len(runs)} runs, {len(titles)} titles and "
                         f"{len(captions)} captions")
    fig, (ax_s, ax_l) = _player_figure()
    plot.plot_surface(surface, ax=ax_s, n=80, levels=12)
    # plot_surface's legend sits inside the contours, where its star reads as a second
    # minimum; put it under the axes instead (larger, too: 8 points is too small here).
    ax_s.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=10, ncol=3)
    xmin, xmax, ymin, ymax = surface.box
    ax_s.set_xlim(xmin, xmax)
    ax_s.set_ylim(ymin, ymax)
    (path_line,) = ax_s.plot([], [], "o-", ms=2.5, lw=1, color=plot.PALETTE["vermillion"])
    gaps = [np.maximum(r.losses - surface.f_min, 1e-16) for r in runs]
    (loss_line,) = ax_l.semilogy([], [], color=plot.PALETTE["blue"])
    steps = len(gaps[0]) - 1
    ax_l.set_xlim(0, steps)
    finite = np.concatenate([g[np.isfinite(g)] for g in gaps])
    ax_l.set_ylim(max(finite.min(), 1e-16), finite.max() * 10)
    ax_l.set_xlabel("step")
    ax_l.set_ylabel(r"$f(\theta) - f_{\min}$ (log scale)")
    fig.tight_layout()

    def draw(k):
        path_line.set_data(runs[k].path[:, 0], runs[k].path[:, 1])
        loss_line.set_data(np.arange(len(gaps[k])), gaps[k])
        ax_s.set_title(titles[k], fontsize=10)
        diverged = not np.all(np.isfinite(runs[k].losses))
        ax_l.set_title("diverged" if diverged else f"after {steps} steps: {gaps[k][-1]:.2g}",
                       fontsize=10)

    return frames_player(fig, draw, len(runs), captions=captions, interval=interval, alt=alt)


# ---------------------------------------------------------------------------
# Chapter 3: learning rate, batch size and starting point on a surface
# ---------------------------------------------------------------------------

# The surfaces the chapter-3 explorer offers, each with a learning rate that
# shows it well and a scale for the gradient noise of a batch of one.
DESCENT_SURFACES = {
    "quadratic": {"make": lambda: surfaces.quadratic(kappa=10, angle=30, L=10), "lr": 0.1,
                  "noise": 4.0},
    "saddle": {"make": surfaces.saddle, "lr": 0.1, "noise": 0.5},
    "himmelblau": {"make": surfaces.himmelblau, "lr": 0.01, "noise": 20.0},
    "six_hump_camel": {"make": surfaces.six_hump_camel, "lr": 0.02, "noise": 4.0},
    "rosenbrock": {"make": surfaces.rosenbrock, "lr": 1e-3, "noise": 20.0},
}


def descent_run(surface, lr, batch_size=None, start=None, steps=150, noise_scale=1.0,
                rng=None):
    """Gradient descent on a 2-D ``surface``, with the gradient noise of a mini-batch.

    ``batch_size=None`` is full-batch gradient descent (exact gradients).
    With a batch size ``B`` each gradient gets Gaussian noise of standard
    deviation ``noise_scale / sqrt(B)`` per coordinate, drawn from a copy of
    ``rng`` (see ``record_frames``): the variance falls as 1/B, as for a
    mini-batch drawn with replacement
    (chapter 3, "What a mini-batch gradient estimates").
    Returns ``surfaces.Trajectory(path, losses)``.
    See chapter 3, "Explorer: learning rate, batch size and starting point".
    """
    if batch_size is not None and (isinstance(batch_size, bool) or int(batch_size) != batch_size
                                   or batch_size < 1):
        raise ValueError("descent_run: batch_size must be None or an integer >= 1, "
                         f"got {batch_size!r}")
    noise = 0.0 if batch_size is None else noise_scale / math.sqrt(batch_size)
    (run,) = record_frames(optim.gd_step, surface, [{"lr": lr}], start=start, steps=steps,
                           noise=noise, rng=rng)
    return run


def descent_explorer(steps=150, rng=None):
    """Live explorer: surface, learning rate, batch size and start -> path and loss.

    Needs a Jupyter kernel; the website shows ``lr_player`` instead. The
    batch size sets the gradient noise as in ``descent_run``; every redraw
    draws it from the same copy of ``rng``.
    See chapter 3, "Explorer: learning rate, batch size and starting point".
    """
    names = list(DESCENT_SURFACES)
    surface_w = w.Dropdown(options=names, value="quadratic", description="surface")
    lr_w = w.FloatLogSlider(value=0.1, base=10, min=-4, max=0.5, step=0.05,
                            description="learning rate", readout_format=".4f",
                            continuous_update=False, style={"description_width": "initial"})
    batch_w = w.Dropdown(options=[("full batch", None), ("1", 1), ("4", 4), ("16", 16),
                                  ("64", 64), ("256", 256)], value=None, description="batch size",
                         style={"description_width": "initial"})
    x0_w = w.FloatSlider(description="start x", continuous_update=False)
    y0_w = w.FloatSlider(description="start y", continuous_update=False)
    picture = _picture()
    state = {"surface": None}

    def set_surface(_=None):
        spec = DESCENT_SURFACES[surface_w.value]
        surface = spec["make"]()
        state["surface"] = surface
        xmin, xmax, ymin, ymax = surface.box
        # Move the sliders without a redraw for each change, then draw once.
        for slider, lo, hi, v in [(x0_w, xmin, xmax, surface.start[0]),
                                  (y0_w, ymin, ymax, surface.start[1])]:
            slider.unobserve(redraw, names="value")
            slider.min, slider.max = -1e9, 1e9
            slider.min, slider.max, slider.step = lo, hi, (hi - lo) / 100
            slider.value = float(v)
            slider.observe(redraw, names="value")
        lr_w.unobserve(redraw, names="value")
        lr_w.value = spec["lr"]
        lr_w.observe(redraw, names="value")
        redraw()

    def redraw(_=None):
        surface = state["surface"]
        spec = DESCENT_SURFACES[surface_w.value]
        run = descent_run(surface, lr_w.value, batch_w.value, (x0_w.value, y0_w.value), steps,
                          noise_scale=spec["noise"], rng=rng)
        fig, axes = _live_figure()
        batch = "full batch" if batch_w.value is None else f"B = {batch_w.value}"
        draw_surface_run(axes, surface, run, f"lr = {lr_w.value:.4g}, {batch}")
        fig.tight_layout()
        picture.value = _png(fig)

    surface_w.observe(set_surface, names="value")
    for control in (lr_w, batch_w):
        control.observe(redraw, names="value")
    set_surface()
    return w.VBox([w.HBox([surface_w, lr_w, batch_w]), w.HBox([x0_w, y0_w]), picture])


def lr_player(surface=None, lrs=None, start=None, steps=40, interval=500):
    """The explorer's kernel-free face: one frame per learning rate, path and loss.

    Defaults: the chapter's quadratic bowl (L = 10, kappa = 10) and 24
    learning rates from 0.01 to 0.21, past the stability limit 2/L = 0.2.
    Gradient descent from ``start`` for ``steps`` steps, drawn by
    ``surface_player``. Returns self-contained HTML (see ``frames_player``):
    display it with ``IPython.display.HTML(...)``.
    See chapter 3, "Explorer: learning rate, batch size and starting point".
    """
    surface = DESCENT_SURFACES["quadratic"]["make"]() if surface is None else surface
    lrs = np.linspace(0.01, 0.21, 24) if lrs is None else np.asarray(lrs, dtype=float)
    if lrs.ndim != 1 or len(lrs) < 2 or len(lrs) > 30:
        raise ValueError("lr_player: lrs must hold 2 to 30 learning rates, "
                         f"got shape {lrs.shape}")
    runs = record_frames(optim.gd_step, surface, [{"lr": float(lr)} for lr in lrs],
                         start=start, steps=steps)
    lr_max = 2 / surface.info["L"] if "L" in surface.info else None
    titles = [f"lr = {lr:.3f}" + (f" ({lr / lr_max:.2f} × 2/L)" if lr_max else "")
              for lr in lrs]
    captions = [f"lr = {lr:.3f}" + (f" = {lr / lr_max:.2f} × 2/L" if lr_max else "")
                for lr in lrs]
    alt = (f"Gradient descent on {surface.name}: the path on the contours and the loss "
           f"against the step, one frame per learning rate from {lrs[0]:.3g} to {lrs[-1]:.3g}")
    return surface_player(surface, runs, titles, captions, alt, interval=interval)


# ---------------------------------------------------------------------------
# --- chapter 4 ---
# Chapter 4: learning rate and momentum on the ravine
# ---------------------------------------------------------------------------

MOMENTUM_START = (-0.64, 1.71)   # far along the ravine's floor, a little up a wall
MOMENTUM_SIZE = (10, 6.4)        # live: path and rate picture above, the loss below
MOMENTUM_PLAYER_SIZE = (8.4, 5.6)


def momentum_ravine():
    """Chapter 4's ravine: the rotated quadratic with ``L = 10`` and ``κ = 100``.

    See chapter 4, "The ravine problem".
    """
    return surfaces.quadratic(kappa=100, angle=30, L=10)


def momentum_rate(lr, momentum, lam, nesterov=False):
    """The rate ``r = max|z|`` of one eigen-coordinate with curvature ``lam``.

    Heavy ball:  z² − (1 + μ − ηλ) z + μ = 0
    Nesterov:    z² − (1 + μ)(1 − ηλ) z + μ(1 − ηλ) = 0

    ``lam`` may be an array. See chapter 4, "One eigenvalue at a time" and
    "Nesterov momentum".
    """
    lam = np.asarray(lam, dtype=np.float64)
    if nesterov:
        b, c = (1 + momentum) * (1 - lr * lam), momentum * (1 - lr * lam)
    else:
        b, c = 1 + momentum - lr * lam, momentum + 0 * lam
    disc = np.sqrt((b * b - 4 * c).astype(complex))
    return np.maximum(np.abs((b + disc) / 2), np.abs((b - disc) / 2))


def momentum_run(lr, momentum, nesterov=False, surface=None, start=MOMENTUM_START, steps=150):
    """Heavy ball (``optim.momentum_step``) or Nesterov (``optim.nesterov_step``) on the
    ravine, in PyTorch's form from its first step. Returns a ``surfaces.Trajectory``.

    See chapter 4, "Explorer: learning rate and momentum on the ravine".
    """
    surface = momentum_ravine() if surface is None else surface
    rule = optim.nesterov_step if nesterov else optim.momentum_step
    (run,) = record_frames(rule, surface, [{"lr": lr, "momentum": momentum}], start=start,
                           steps=steps)
    return run


def _momentum_figure(size, dpi):
    """Three panels: the path and the rate picture side by side, the loss below."""
    fig = Figure(figsize=size, dpi=dpi)
    grid = fig.add_gridspec(2, 2, height_ratios=[1.35, 1])
    return fig, (fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]),
                 fig.add_subplot(grid[1, :]))


def _rate_axis(ax, surface):
    """The empty rate picture: curvature on a log axis, the ravine's two marked.

    The axis is linear in log10(λ) with plain tick labels: a player redraws
    its text for every frame, and mathtext labels cost most of that.
    """
    mu_min, L = surface.info["mu"], surface.info["L"]
    ax.set_xlim(math.log10(mu_min / 4), math.log10(4 * L))
    ticks = range(math.ceil(math.log10(mu_min / 4)), math.floor(math.log10(4 * L)) + 1)
    ax.set_xticks(list(ticks), [f"{10.0**k:g}" for k in ticks])
    ax.set_ylim(0, 1.25)
    ax.axhline(1, color="0.4", lw=0.8, ls="--")
    for lam in (mu_min, L):
        ax.axvline(math.log10(lam), color="0.6", lw=0.8)
    ax.set_xlabel("curvature λ (log scale)")
    ax.set_ylabel("rate r = max |z|")


def _loss_axis_log10(ax, steps):
    """The loss panel: log10 of the loss on a linear axis, plain labels (see _rate_axis)."""
    ax.set_xlim(0, steps)
    ax.set_xlabel("step")
    ax.set_ylabel("log10 f(θ)")


def draw_momentum_run(axes, surface, run, lr, momentum, nesterov=False):
    """One run's three pictures: the path on the contours (``axes[0]``), the rate
    ``r(λ)`` against the curvature with the ravine's ``μ_min`` and ``L`` marked and the
    band where ``r = √μ`` shaded (``axes[1]``), the loss against the step (``axes[2]``).
    Used live; the player draws the same with moving lines.
    See chapter 4, "Explorer: learning rate and momentum on the ravine".
    """
    ax_s, ax_r, ax_l = axes
    for ax in axes:
        ax.clear()
    name = "Nesterov" if nesterov else "heavy ball"
    plot.plot_surface(surface, ax=ax_s, n=100, levels=12, paths={name: run.path})
    ax_s.legend(fontsize=8, loc="lower right")
    ax_s.set_title(f"lr = {lr:.3g}, momentum = {momentum:.2f}", fontsize=10)
    _rate_axis(ax_r, surface)
    lam = np.geomspace(surface.info["mu"] / 4, 4 * surface.info["L"], 400)
    ax_r.plot(np.log10(lam), np.minimum(momentum_rate(lr, momentum, lam, nesterov), 1.25),
              color=plot.PALETTE["blue"])
    if not nesterov and momentum > 0:
        lo, hi = (1 - math.sqrt(momentum)) ** 2 / lr, (1 + math.sqrt(momentum)) ** 2 / lr
        ax_r.axvspan(math.log10(lo), math.log10(hi), color=plot.PALETTE["sky"], alpha=0.2,
                     lw=0)
    ends_lam = [surface.info["mu"], surface.info["L"]]
    ends = momentum_rate(lr, momentum, ends_lam, nesterov)
    ax_r.plot(np.log10(ends_lam), np.minimum(ends, 1.25), "o", color=plot.PALETTE["vermillion"])
    ax_r.set_title(f"rate r = {ends.max():.3f}", fontsize=10)
    gap = run.losses - surface.f_min
    finite = np.isfinite(gap)
    ax_l.plot(np.arange(len(gap))[finite], np.log10(np.maximum(gap[finite], 1e-16)),
              color=plot.PALETTE["blue"])
    _loss_axis_log10(ax_l, len(gap) - 1)
    if not finite.all():
        ax_l.set_title(f"diverged at step {int(np.argmin(finite))}", fontsize=10,
                       color=plot.PALETTE["vermillion"])
    else:
        ax_l.set_title(f"after {len(gap) - 1} steps: f = {gap[-1]:.2g}", fontsize=10)


def momentum_explorer(steps=150):
    """Live explorer: learning rate, momentum and Nesterov on the ravine.

    Shows the path, the loss and the rate of every curvature
    (``draw_momentum_run``); a button sets the optimal pair of heavy ball,
    lr = 4/(√L + √μ_min)², momentum = ((√κ − 1)/(√κ + 1))². Needs a Jupyter
    kernel; the website shows ``momentum_player`` instead.
    See chapter 4, "Explorer: learning rate and momentum on the ravine".
    """
    surface = momentum_ravine()
    L, mu_min = surface.info["L"], surface.info["mu"]
    root_k = math.sqrt(L / mu_min)
    best = (4 / (math.sqrt(L) + math.sqrt(mu_min)) ** 2, ((root_k - 1) / (root_k + 1)) ** 2)
    style = {"description_width": "initial"}
    lr_w = w.FloatSlider(value=0.19, min=0.005, max=0.45, step=0.005, readout_format=".3f",
                         description="learning rate", continuous_update=False, style=style)
    mu_w = w.FloatSlider(value=0.0, min=0.0, max=0.99, step=0.01, description="momentum",
                         continuous_update=False, style=style)
    nesterov_w = w.Checkbox(value=False, description="Nesterov")
    best_w = w.Button(description="optimal (lr, momentum)")
    picture = w.Image(format="png", layout=w.Layout(
        max_width=f"{round(MOMENTUM_SIZE[0] * plot.LIVE_DPI)}px"))

    def redraw(_=None):
        run = momentum_run(lr_w.value, mu_w.value, nesterov_w.value, surface, steps=steps)
        fig, axes = _momentum_figure(MOMENTUM_SIZE, plot.LIVE_DPI)
        draw_momentum_run(axes, surface, run, lr_w.value, mu_w.value, nesterov_w.value)
        fig.tight_layout()
        picture.value = _png(fig)

    def set_best(_=None):
        for control in (lr_w, mu_w, nesterov_w):
            control.unobserve(redraw, names="value")
        lr_w.value, mu_w.value, nesterov_w.value = round(best[0], 3), round(best[1], 2), False
        for control in (lr_w, mu_w, nesterov_w):
            control.observe(redraw, names="value")
        redraw()

    for control in (lr_w, mu_w, nesterov_w):
        control.observe(redraw, names="value")
    best_w.on_click(set_best)
    redraw()
    return w.VBox([w.HBox([lr_w, mu_w]), w.HBox([nesterov_w, best_w]), picture])


def momentum_player(lr=0.19, momenta=None, steps=150, interval=500):
    """The kernel-free face of ``momentum_explorer``: one frame per momentum.

    Heavy ball on the ravine at the learning rate ``lr`` with each of
    ``momenta`` (default 16 values from 0 to 0.9): the path, the rate
    picture and the loss, as the live explorer draws them; the contours are
    drawn once and each frame moves only its lines. Returns self-contained
    HTML (see ``frames_player``).
    See chapter 4, "Explorer: learning rate and momentum on the ravine".
    """
    surface = momentum_ravine()
    momenta = np.linspace(0, 0.9, 16) if momenta is None else np.asarray(momenta, dtype=float)
    if momenta.ndim != 1 or not 2 <= len(momenta) <= 30:
        raise ValueError("momentum_player: momenta must hold 2 to 30 values, "
                         f"got shape {momenta.shape}")
    runs = record_frames(optim.momentum_step, surface,
                         [{"momentum": float(mu)} for mu in momenta],
                         start=MOMENTUM_START, steps=steps, lr=lr)
    fig, (ax_s, ax_r, ax_l) = _momentum_figure(MOMENTUM_PLAYER_SIZE, plot.PLAYER_DPI)
    plot.plot_surface(surface, ax=ax_s, n=80, levels=12)
    ax_s.get_legend().remove()
    (path_line,) = ax_s.plot([], [], "o-", ms=2, lw=1, color=plot.PALETTE["vermillion"])
    _rate_axis(ax_r, surface)
    lam = np.geomspace(surface.info["mu"] / 4, 4 * surface.info["L"], 300)
    (rate_line,) = ax_r.plot([], [], color=plot.PALETTE["blue"])
    (ends_dots,) = ax_r.plot([], [], "o", color=plot.PALETTE["vermillion"])
    band = [None]
    gaps = [np.log10(np.maximum(r.losses - surface.f_min, 1e-16)) for r in runs]
    (loss_line,) = ax_l.plot([], [], color=plot.PALETTE["blue"])
    _loss_axis_log10(ax_l, steps)
    finite = np.concatenate([g[np.isfinite(g)] for g in gaps])
    ax_l.set_ylim(finite.min(), finite.max() + 1)
    # plain tick labels: the text is laid out anew for every frame
    for ax in (ax_s, ax_l):
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax_s.set_xlabel("θ₁")
    ax_s.set_ylabel("θ₂")
    for ax in (ax_s, ax_r, ax_l):    # shown at 605 px: text a little larger than live
        ax.tick_params(labelsize=11)
        ax.xaxis.label.set_fontsize(12)
        ax.yaxis.label.set_fontsize(12)
        ax.set_title("lr, momentum, rate", fontsize=12)   # room for draw's titles
    fig.tight_layout()
    ends_lam = [surface.info["mu"], surface.info["L"]]
    rates = [float(momentum_rate(lr, mu, ends_lam).max()) for mu in momenta]

    def draw(k):
        mu = float(momenta[k])
        path_line.set_data(runs[k].path[:, 0], runs[k].path[:, 1])
        rate_line.set_data(np.log10(lam), np.minimum(momentum_rate(lr, mu, lam), 1.25))
        ends_dots.set_data(np.log10(ends_lam), np.minimum(momentum_rate(lr, mu, ends_lam), 1.25))
        if band[0] is not None:
            band[0].remove()
            band[0] = None
        if mu > 0:
            band[0] = ax_r.axvspan(math.log10((1 - math.sqrt(mu)) ** 2 / lr),
                                   math.log10((1 + math.sqrt(mu)) ** 2 / lr),
                                   color=plot.PALETTE["sky"], alpha=0.2, lw=0)
        loss_line.set_data(np.arange(len(gaps[k])), gaps[k])
        ax_s.set_title(f"lr = {lr:.3g}, momentum = {mu:.2f}", fontsize=12)
        ax_r.set_title(f"rate r = {rates[k]:.3f}", fontsize=12)
        diverged = not np.all(np.isfinite(runs[k].losses))
        ax_l.set_title("diverged" if diverged else
                       f"after {steps} steps: f = {10 ** gaps[k][-1]:.2g}", fontsize=12)

    captions = [f"momentum {mu:.2f}: rate r = {r:.3f} per step" for mu, r in zip(momenta, rates,
                                                                                 strict=True)]
    alt = (f"Heavy ball on the ravine at learning rate {lr:g}: the path on the contours, "
           "the rate of every curvature with the ravine's two curvatures marked, and the "
           f"loss against the step, one frame per momentum from {momenta[0]:g} to "
           f"{momenta[-1]:g}")
    return frames_player(fig, draw, len(momenta), captions=captions, interval=interval,
                         alt=alt)


# --- chapter 6 ---------------------------------------------------------------
# Per-layer statistics of a deep network at initialization: depth, activation,
# initialization scale, skip connections and normalization.

DEPTH_ACTIVATIONS = ("relu", "tanh", "sigmoid")
DEPTH_NORMS = (None, "layer", "batch")


def deep_network(depth, width, activation="relu", gain=1.0, skip=False, norm=None, rng=None):
    """``depth`` layers of ``width`` units built from ``bpcourse.nn``, as a list of blocks.

    Every weight is N(0, gain^2 / width) (gain 1: LeCun, sqrt 2: He), every
    bias 0. A plain block is ``h <- act(norm(W h))``; with ``skip`` it is
    ``h <- h + act(norm(W h))``. ``norm`` is None, "layer" (``nn.LayerNorm``)
    or "batch" (``nn.BatchNorm1d``). Returns the list of blocks, each a
    ``(linear, norm module or None, activation module)`` triple. Like
    ``nn.MLP``, it draws the weights from ``rng`` (default
    ``np.random.default_rng(0)``), advancing it.
    See chapter 6, "Explorer: depth, activation, initialization, skips and normalization".
    """
    if activation not in DEPTH_ACTIVATIONS:
        raise ValueError(f"deep_network: activation must be one of {DEPTH_ACTIVATIONS}, "
                         f"got {activation!r}")
    if norm not in DEPTH_NORMS:
        raise ValueError(f"deep_network: norm must be one of {DEPTH_NORMS}, got {norm!r}")
    if int(depth) < 1 or int(width) < 1:
        raise ValueError(f"deep_network: depth and width must be >= 1, got {depth}, {width}")
    if rng is None:
        rng = np.random.default_rng(0)
    _check_rng(rng, "deep_network")
    std = float(gain) / np.sqrt(width)

    def init(shape, rng):
        return rng.normal(0.0, std, size=shape)

    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
    blocks = []
    for _ in range(int(depth)):
        linear = nn.Linear(width, width, rng=rng, init=init)
        normer = (nn.LayerNorm(width) if norm == "layer"
                  else nn.BatchNorm1d(width) if norm == "batch" else None)
        blocks.append((linear, normer, acts[activation]()))
    return blocks


def deep_network_stats(depth=50, width=100, activation="relu", gain=1.0, skip=False, norm=None,
                       batch=64, rng=None):
    """Forward and backward once through ``deep_network``; per-layer statistics.

    The input is a batch of N(0, 1) rows; the loss is L = (1/B) sum(h_D * R)
    with a fixed N(0, 1) matrix R, so the backward pass starts with
    dL/dh_D of the same size whatever the forward pass did, and what happens
    to it on the way down is the network's doing alone.

    Returns a dict of arrays of length ``depth`` (layer 1 first): ``act_std``,
    the standard deviation of each block's output; ``grad_std``, that of
    dL/dh at each block's output; ``grad_norm``, the Frobenius norm of
    dL/dW of each block's weight; and ``loss``, ``blocks``. Draws from a copy
    of ``rng`` (default ``np.random.default_rng(0)``): the same ``rng`` gives
    the same network and the same numbers.
    """
    rng = _own_rng(rng, "deep_network_stats")
    blocks = deep_network(depth, width, activation, gain, skip, norm, rng)
    X = rng.normal(size=(batch, width))
    R = rng.normal(size=(batch, width))
    h = Tensor(X)
    outs = []
    with np.errstate(over="ignore", invalid="ignore"):
        for linear, normer, act in blocks:
            z = linear(h)
            if normer is not None:
                z = normer(z)
            a = act(z)
            h = h + a if skip else a
            outs.append(h)
        loss = (h * R).sum() / batch
        loss.backward()
        act_std = np.array([o.data.std() for o in outs])
        grad_std = np.array([o.grad.std() for o in outs])
        grad_norm = np.array([np.linalg.norm(b[0].weight.grad) for b in blocks])
    return {"act_std": act_std, "grad_std": grad_std, "grad_norm": grad_norm,
            "loss": float(loss.data), "blocks": blocks}


def _config_label(activation, gain, skip, norm):
    gains = {1.0: "1", 2**0.5: "√2"}
    g = next((v for k, v in gains.items() if abs(k - gain) < 1e-9), f"{gain:.3g}")
    parts = [activation, f"std {g}/√n"]
    if skip:
        parts.append("skips")
    if norm:
        parts.append(f"{norm} norm")
    return ", ".join(parts)


def _decade(value, _pos):
    """A log axis' tick label as plain text, "1e-10" (mathtext is slow to draw)."""
    return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")


def _draw_depth_stats(axes, stats, label, ylims=None):
    ax_a, ax_g = axes
    layers = np.arange(1, len(stats["act_std"]) + 1)
    for ax, key, ylabel in [(ax_a, "act_std", "std of activations"),
                            (ax_g, "grad_std", r"std of $\partial\mathcal{L}/\partial a^{(l)}$")]:
        ax.cla()
        values = np.asarray(stats[key], dtype=float)
        shown = np.where(np.isfinite(values) & (values > 0), values, np.nan)
        ax.semilogy(layers, shown, "o-", ms=3, color=plot.PALETTE["blue"])
        ax.set_xlabel("layer l (input side left)", fontsize=12)
        ax.set_ylabel(ylabel + " (log)", fontsize=12)
        ax.tick_params(labelsize=11)
        if ylims is not None:
            ax.set_ylim(*ylims[key])
        # A few labelled decades: a tick label per decade over 40 decades is
        # unreadable, and slow to draw in every frame of the player.
        ax.yaxis.set_major_locator(LogLocator(numticks=6))
        ax.yaxis.set_minor_locator(LogLocator(numticks=6, subs=()))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(FuncFormatter(_decade))
    ax_a.set_title("forward: activations", fontsize=12)
    ax_g.set_title("backward: gradients", fontsize=12)
    axes[0].figure.suptitle(label, fontsize=13)


def depth_explorer(width=64, batch=32, rng=None):
    """Live explorer: depth, activation, init scale, skips, normalization -> per-layer stats.

    Needs a Jupyter kernel; the website shows ``depth_player`` instead.
    Every redraw starts from the same ``rng`` (default
    ``np.random.default_rng(0)``), so only the knobs change the picture.
    See chapter 6, "Explorer: depth, activation, initialization, skips and normalization".
    """
    _own_rng(rng, "depth_explorer")     # a bad rng fails here, not at the first redraw
    style = {"description_width": "initial"}
    depth_w = w.IntSlider(value=30, min=2, max=60, description="depth",
                          continuous_update=False)
    act_w = w.Dropdown(options=list(DEPTH_ACTIVATIONS), value="relu", description="activation")
    gain_w = w.FloatLogSlider(value=2**0.5, base=2, min=-2, max=2, step=0.25,
                              description="weight std × √n", readout_format=".3f",
                              continuous_update=False, style=style)
    skip_w = w.Checkbox(value=False, description="skip connections")
    norm_w = w.Dropdown(options=[("none", None), ("layer norm", "layer"),
                                 ("batch norm", "batch")], value=None,
                        description="normalization", style=style)
    picture = _picture()

    def redraw(_=None):
        stats = deep_network_stats(depth_w.value, width, act_w.value, gain_w.value,
                                   skip_w.value, norm_w.value, batch, rng)
        fig, axes = _live_figure()
        _draw_depth_stats(axes, stats,
                          _config_label(act_w.value, gain_w.value, skip_w.value, norm_w.value))
        fig.tight_layout()
        picture.value = _png(fig)

    for control in (depth_w, act_w, gain_w, skip_w, norm_w):
        control.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([depth_w, act_w, gain_w]), w.HBox([skip_w, norm_w]), picture])


DEPTH_PLAYER_CONFIGS = (
    ("relu", 0.5, False, None), ("relu", 1.0, False, None), ("relu", 2**0.5, False, None),
    ("relu", 1.7, False, None), ("relu", 2.0, False, None),
    ("tanh", 0.5, False, None), ("tanh", 1.0, False, None), ("tanh", 2.0, False, None),
    ("sigmoid", 1.0, False, None), ("sigmoid", 4.0, False, None),
    ("sigmoid", 1.0, False, "batch"), ("relu", 0.5, False, "layer"),
    ("relu", 2.0, False, "batch"), ("relu", 0.5, True, None), ("relu", 2**0.5, True, None),
    ("relu", 2**0.5, True, "layer"),
)


def depth_player(configs=DEPTH_PLAYER_CONFIGS, depth=30, width=64, batch=32, rng=None,
                 interval=1200):
    """The explorer's kernel-free face: one frame per configuration, per-layer statistics.

    ``configs`` are ``(activation, gain, skip, norm)`` tuples. The axes keep
    one range over all frames so that frames can be compared by eye.
    Every configuration is built from the same ``rng`` (default
    ``np.random.default_rng(0)``). Returns self-contained HTML (see
    ``frames_player``).
    See chapter 6, "Explorer: depth, activation, initialization, skips and normalization".
    """
    configs = list(configs)
    if not 1 <= len(configs) <= 30:
        raise ValueError(f"depth_player: need 1 to 30 configurations, got {len(configs)}")
    runs = [deep_network_stats(depth, width, a, g, s, n, batch, rng) for a, g, s, n in configs]
    ylims = {}
    for key in ("act_std", "grad_std"):
        vals = np.concatenate([r[key] for r in runs])
        vals = vals[np.isfinite(vals) & (vals > 0)]
        ylims[key] = (max(vals.min(), 1e-30) / 3, vals.max() * 3)
    fig, axes = _player_figure()
    labels = [_config_label(*c) for c in configs]
    # Draw the axes once; each frame only moves the two lines and the title.
    _draw_depth_stats(axes, runs[0], labels[0], ylims)
    lines = [ax.get_lines()[0] for ax in axes]
    fig.tight_layout()

    def draw(k):
        for line, key in zip(lines, ("act_std", "grad_std"), strict=True):
            values = np.asarray(runs[k][key], dtype=float)
            line.set_ydata(np.where(np.isfinite(values) & (values > 0), values, np.nan))
        fig.suptitle(labels[k], fontsize=13)

    captions = []
    for label, r in zip(labels, runs, strict=True):
        ratio = r["grad_std"][0] / r["grad_std"][-1]
        captions.append(f"{label}: gradient at layer 1 / at layer {depth} = {ratio:.2g}")
    alt = (f"Standard deviation of the activations and of the gradients, per "
           f"layer, of a {depth}-layer network of width {width} at initialization, one "
           f"frame per configuration of activation, weight scale, skips and normalization")
    return frames_player(fig, draw, len(configs), captions=captions, interval=interval,
                         alt=alt)


# --- chapter 5 ---------------------------------------------------------------
# Adaptive methods on surfaces: the live explorer and its kernel-free player.


def _adaptive_surfaces():
    """The explorer's surfaces: name -> (factory, suggested learning rate)."""
    return {
        "axis-aligned bowl": (lambda: surfaces.quadratic(kappa=100, angle=0), 0.1),
        "rotated bowl": (lambda: surfaces.quadratic(kappa=100, angle=45), 0.1),
        "Beale": (surfaces.beale, 0.05),
        "Rosenbrock": (surfaces.rosenbrock, 0.05),
    }


ADAPTIVE_OPTIMIZERS = ("gradient descent", "momentum", "AdaGrad", "RMSProp", "Adam", "AdamW")


def adaptive_run(surface, optimizer, lr, steps=200, start=None, beta1=0.9, beta2=0.999,
                 alpha=0.99, weight_decay=0.01):
    """Run one of ``ADAPTIVE_OPTIMIZERS`` on a 2-D surface with its ``bpcourse.optim`` rule.

    ``beta1`` is also the momentum coefficient of "momentum"; ``alpha`` is
    RMSProp's decay rate; ``weight_decay`` is AdamW's. Returns
    ``surfaces.Trajectory(path, losses)`` (NaN after a divergence).
    See chapter 5, "Adaptive methods on surfaces".
    """
    rules = {
        "gradient descent": (optim.gd_step, {}),
        "momentum": (optim.momentum_step, {"momentum": beta1}),
        "AdaGrad": (optim.adagrad_step, {}),
        "RMSProp": (optim.rmsprop_step, {"alpha": alpha}),
        "Adam": (optim.adam_step, {"beta1": beta1, "beta2": beta2}),
        "AdamW": (optim.adamw_step, {"beta1": beta1, "beta2": beta2,
                                     "weight_decay": weight_decay}),
    }
    if optimizer not in rules:
        raise ValueError(f"adaptive_run: optimizer must be one of {ADAPTIVE_OPTIMIZERS},"
                         f" got {optimizer!r}")
    rule, hyper = rules[optimizer]
    return surfaces.trajectory(rule, surface, start, steps, lr=lr, **hyper)


def _gap(run, surface):
    """The loss above the minimum, floored for a log axis, NaN after a divergence."""
    gap = run.losses - surface.f_min
    return np.where(np.isfinite(gap), np.maximum(gap, 1e-16), np.nan)


def adaptive_explorer(steps=200):
    """Live explorer: optimizer, learning rate, decay rates and surface -> path and loss.

    Needs a Jupyter kernel; the website shows ``adaptive_player`` instead.
    See chapter 5, "Adaptive methods on surfaces".
    """
    specs = _adaptive_surfaces()
    style = {"description_width": "initial"}
    surface_w = w.Dropdown(options=list(specs), value="rotated bowl", description="surface")
    opt_w = w.Dropdown(options=list(ADAPTIVE_OPTIMIZERS), value="Adam", description="optimizer")
    lr_w = w.FloatLogSlider(value=0.1, base=10, min=-4, max=0.5, step=0.05,
                            description="learning rate", readout_format=".4f",
                            continuous_update=False, style=style)
    beta1_w = w.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                            description="beta1 / momentum", continuous_update=False, style=style)
    beta2_w = w.SelectionSlider(options=[0.0, 0.5, 0.9, 0.99, 0.999, 0.9999], value=0.999,
                                description="beta2", continuous_update=False, style=style)
    alpha_w = w.SelectionSlider(options=[0.5, 0.9, 0.99, 0.999], value=0.99,
                                description="alpha (RMSProp)", continuous_update=False,
                                style=style)
    wd_w = w.SelectionSlider(options=[0.0, 0.01, 0.1, 1.0], value=0.01,
                             description="weight_decay (AdamW)", continuous_update=False,
                             style=style)
    picture = _picture()
    fig, axes = _live_figure()

    def redraw(_=None):
        surface = specs[surface_w.value][0]()
        run = adaptive_run(surface, opt_w.value, lr_w.value, steps, beta1=beta1_w.value,
                           beta2=beta2_w.value, alpha=alpha_w.value, weight_decay=wd_w.value)
        draw_surface_run(axes, surface, run, f"{opt_w.value}, lr = {lr_w.value:.3g}")
        fig.tight_layout()
        picture.value = _png(fig)

    def set_surface(_=None):
        lr_w.unobserve(redraw, names="value")
        lr_w.value = specs[surface_w.value][1]
        lr_w.observe(redraw, names="value")
        redraw()

    surface_w.observe(set_surface, names="value")
    for control in (opt_w, lr_w, beta1_w, beta2_w, alpha_w, wd_w):
        control.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([surface_w, opt_w, lr_w]), w.HBox([beta1_w, beta2_w]),
                   w.HBox([alpha_w, wd_w]), picture])


def _race_frames(runs, gaps, path_lines, loss_lines, steps, frames):
    """A race player's frames: ``(draw, captions, n_frames)``. Frame k shows each run's
    path (in ``path_lines[key]``) and loss gap (``loss_lines[key]``) up to a later step."""
    ends = np.unique(np.linspace(2, steps, frames).astype(int))

    def draw(k):
        end = ends[k]
        for key, run in runs.items():
            path_lines[key].set_data(run.path[:end + 1, 0], run.path[:end + 1, 1])
            g = gaps[key][:end + 1]
            loss_lines[key].set_data(np.arange(len(g)), g)

    return draw, [f"after {end} steps" for end in ends], len(ends)


def adaptive_player(best_lrs, start, kappa=100, steps=120, frames=15, interval=400):
    """The explorer's kernel-free face: optimizers race on two bowls, step by step.

    ``best_lrs`` maps an optimizer name (of ``ADAPTIVE_OPTIMIZERS``) to
    ``{"axis-aligned": lr, "rotated": lr}``; ``start`` is the start on the
    axis-aligned bowl, turned by 45° for the rotated one. Each frame shows
    the paths (top) and the losses (bottom) up to a later step. Returns
    self-contained HTML (see ``frames_player``).
    See chapter 5, "Adaptive methods on surfaces".
    """
    if not best_lrs or len(best_lrs) > len(plot.COLORS):
        raise ValueError(f"adaptive_player: best_lrs needs 1 to {len(plot.COLORS)} optimizers")
    phi = math.radians(45)
    R = np.array([[math.cos(phi), -math.sin(phi)], [math.sin(phi), math.cos(phi)]])
    start = np.asarray(start, dtype=float)
    bowls = {"axis-aligned": (surfaces.quadratic(kappa=kappa, angle=0), start),
             "rotated": (surfaces.quadratic(kappa=kappa, angle=45), R @ start)}
    runs = {(name, b): adaptive_run(bowl, name, lrs[b], steps, start=st)
            for name, lrs in best_lrs.items() for b, (bowl, st) in bowls.items()}
    width = plot.PLAYER_SIZE[0]
    fig = Figure(figsize=(width, 0.85 * width), dpi=plot.PLAYER_DPI)
    grid = fig.add_gridspec(2, 2, height_ratios=[1.6, 1])   # square bowls, full width
    lines, loss_lines = {}, {}
    for col, (b, (bowl, _)) in enumerate(bowls.items()):
        ax = fig.add_subplot(grid[0, col])
        plot.plot_surface(bowl, ax=ax, n=60, levels=10, show_minima=False,
                          title=f"{b} bowl")
        ax.set_aspect("equal")
        for k, name in enumerate(best_lrs):
            (lines[name, b],) = ax.plot([], [], "o-", ms=2, lw=1.2, color=plot.COLORS[k],
                                        label=name)
    ax_l = fig.add_subplot(grid[1, :])
    for k, name in enumerate(best_lrs):
        for b, style in (("axis-aligned", "-"), ("rotated", "--")):
            (loss_lines[name, b],) = ax_l.semilogy([], [], style, color=plot.COLORS[k],
                                                   label=name if b == "rotated" else None)
    gaps = {key: _gap(run, bowls[key[1]][0]) for key, run in runs.items()}
    finite = np.concatenate([g[np.isfinite(g)] for g in gaps.values()])
    ax_l.set_xlim(0, steps)
    ax_l.set_ylim(1e-12, finite.max() * 10)
    ax_l.set_xlabel("step")
    ax_l.set_ylabel("loss (log scale)")
    ax_l.set_title("loss: solid on the axis-aligned bowl, dashed on the rotated one",
                   fontsize=10)
    ax_l.legend(loc="upper right", ncol=2, fontsize=9)   # inside: the bowls keep the width
    fig.tight_layout()
    draw, captions, n_frames = _race_frames(runs, gaps, lines, loss_lines, steps, frames)
    alt = (f"{', '.join(best_lrs)} on an axis-aligned and a rotated bowl (top) and their "
           "losses against the step (bottom), one frame per number of steps")
    return frames_player(fig, draw, n_frames, captions=captions, interval=interval, alt=alt)


def race_player(surface, lrs, start=None, steps=200, frames=15, box=None, interval=400):
    """Several optimizers on one surface, step by step: paths and losses (kernel-free).

    ``lrs`` maps an optimizer name (of ``ADAPTIVE_OPTIMIZERS``) to its
    learning rate; the other hyper-parameters are PyTorch's defaults. Each
    frame shows the paths on the contours (left) and the losses (right) up
    to a later step; ``box = (xmin, xmax, ymin, ymax)`` zooms the contours.
    Returns self-contained HTML (see ``frames_player``).
    See chapter 5, "Adaptive methods on surfaces".
    """
    if not lrs or len(lrs) > len(plot.COLORS):
        raise ValueError(f"race_player: lrs needs 1 to {len(plot.COLORS)} optimizers")
    runs = {name: adaptive_run(surface, name, lr, steps, start=start) for name, lr in lrs.items()}
    width = plot.PLAYER_SIZE[0]
    fig = Figure(figsize=(width, 0.55 * width), dpi=plot.PLAYER_DPI)
    ax_s, ax_l = fig.subplots(1, 2)
    plot.plot_surface(surface, ax=ax_s, n=80, levels=14, title=surface.name)
    legend = ax_s.get_legend()
    if legend is not None:
        legend.remove()
    if box is not None:
        ax_s.set_xlim(box[0], box[1])
        ax_s.set_ylim(box[2], box[3])
    lines, loss_lines = {}, {}
    for k, name in enumerate(lrs):
        (lines[name],) = ax_s.plot([], [], "-", lw=1.3, color=plot.COLORS[k],
                                   label=f"{name}, lr = {lrs[name]:.3g}")
        (loss_lines[name],) = ax_l.semilogy([], [], color=plot.COLORS[k])
    gaps = {name: _gap(run, surface) for name, run in runs.items()}
    finite = np.concatenate([g[np.isfinite(g)] for g in gaps.values()])
    ax_l.set_xlim(0, steps)
    ax_l.set_ylim(max(finite.min(), 1e-12), finite.max() * 10)
    ax_l.set_xlabel("step")
    ax_l.set_ylabel(r"$f(\theta) - f_{\min}$ (log scale)")
    fig.legend(*ax_s.get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=9,
               frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    draw, captions, n_frames = _race_frames(runs, gaps, lines, loss_lines, steps, frames)
    alt = (f"{', '.join(lrs)} on {surface.name}'s function: paths on the contours and "
           "losses against the step, one frame per number of steps")
    return frames_player(fig, draw, n_frames, captions=captions, interval=interval, alt=alt)


# --- chapter 7 ---
# A network trained on real data (MNIST-1D): optimizer, learning rate, batch
# size and width -> the training and validation curves, live and as a player.

OPTIMIZERS = {
    # name -> (the optimizer built on params at learning rate lr), as chapter 7 uses them
    "SGD": lambda params, lr: optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9),
    "Nesterov": lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
    "AdaGrad": lambda params, lr: optim.Adagrad(params, lr=lr),
    "RMSProp": lambda params, lr: optim.RMSprop(params, lr=lr),
    "Adam": lambda params, lr: optim.Adam(params, lr=lr),
    "AdamW": lambda params, lr: optim.AdamW(params, lr=lr, weight_decay=1e-2),
}


def training_run(data, optimizer="Adam", lr=3e-3, batch_size=64, width=64, epochs=5, seed=0):
    """Train ``MLP([d, width, width, C])`` (ReLU) on ``data = (X, y, X_val, y_val)``.

    The network's initial weights and the order of the batches come from
    ``np.random.default_rng(seed)``; ``optimizer`` is a key of ``OPTIMIZERS``
    (the PyTorch defaults, momentum 0.9, AdamW's weight decay 0.01), with a
    constant learning rate ``lr``, no schedule and no clipping, for
    ``epochs`` passes over the data. Returns the ``train.History`` (a run that
    diverges stops and says so, without a warning).
    See chapter 7, "Every optimizer, compared fairly".
    """
    import warnings

    from . import train
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {optimizer!r}")
    X, y, X_val, y_val = data
    rng = np.random.default_rng(seed)
    model = nn.MLP([X.shape[1], int(width), int(width), int(np.max(y)) + 1], rng=rng)
    opt = OPTIMIZERS[optimizer](model.parameters(), lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return train.fit(model, F.cross_entropy, (X, y), opt, epochs, batch_size, rng,
                         val_data=(X_val, y_val), verbose=False)


def draw_curves(axes, hist, title="", loss_max=2.5):
    """The curves of one ``History``: loss (left) and accuracy (right) against the
    epoch, training solid and validation dashed, on fixed axes so frames compare."""
    ax_l, ax_a = axes
    ax_l.clear()
    ax_a.clear()
    epochs = np.arange(1, hist.epochs + 1)
    blue, orange = plot.PALETTE["blue"], plot.PALETTE["orange"]
    ax_l.plot(epochs, hist.train_loss, "-o", ms=3, color=blue, label="training")
    ax_l.plot(epochs, hist.val_loss, "--o", ms=3, color=orange, label="validation")
    ax_a.plot(epochs, 100 * np.array(hist.train_acc, dtype=float), "-o", ms=3, color=blue,
              label="training")
    ax_a.plot(epochs, 100 * np.array(hist.val_acc, dtype=float), "--o", ms=3, color=orange,
              label="validation")
    ax_l.set_ylim(0, loss_max)
    ax_a.set_ylim(0, 100)
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.set_xlim(0.5, max(hist.epochs, 1) + 0.5)
    ax_l.set_ylabel("cross-entropy loss")
    ax_a.set_ylabel("accuracy (%)")
    ax_a.legend(fontsize=8, loc="lower right")
    if hist.diverged:
        ax_l.set_title(f"{title}: diverged", fontsize=10, color=plot.PALETTE["vermillion"])
    else:
        ax_l.set_title(title, fontsize=10)
        ax_a.set_title(f"validation accuracy {100 * hist.val_acc[-1]:.1f}%", fontsize=10)


def training_explorer(data, epochs=5, seed=0):
    """Live explorer: optimizer, learning rate, batch size and width -> the curves.

    Trains ``training_run`` on ``data = (X, y, X_val, y_val)`` on every change
    (about a second). Needs a Jupyter kernel; the website shows
    ``training_player``. See chapter 7, "Explorer: optimizer, learning rate, batch size and width".
    """
    style = {"description_width": "initial"}
    opt_w = w.Dropdown(options=list(OPTIMIZERS), value="Adam", description="optimizer")
    lr_w = w.FloatLogSlider(value=3e-3, base=10, min=-4, max=0, step=0.25,
                            description="learning rate", readout_format=".4f",
                            continuous_update=False, style=style)
    batch_w = w.Dropdown(options=[8, 16, 32, 64, 128, 256], value=64, description="batch size",
                         style=style)
    width_w = w.Dropdown(options=[8, 16, 32, 64, 128], value=64, description="width",
                         style=style)
    picture = _picture()

    def redraw(_=None):
        hist = training_run(data, opt_w.value, lr_w.value, batch_w.value, width_w.value,
                            epochs, seed)
        fig, axes = _live_figure()
        draw_curves(axes, hist, f"{opt_w.value}, lr = {lr_w.value:.3g}, "
                                f"B = {batch_w.value}, width {width_w.value}")
        fig.tight_layout()
        picture.value = _png(fig)

    for control in (opt_w, lr_w, batch_w, width_w):
        control.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([opt_w, lr_w]), w.HBox([batch_w, width_w]), picture])


def training_player(runs, captions, alt, interval=900):
    """The kernel-free face of ``training_explorer``: one frame per ``History``.

    ``runs`` and ``captions`` are lists of the same length (2 to 40 runs,
    computed by the caller, e.g. with ``training_run``); every frame uses
    the same axes, so the slider compares like with like. Returns
    self-contained HTML (see ``frames_player``).
    """
    runs, captions = list(runs), [str(c) for c in captions]
    if not 2 <= len(runs) <= 40 or len(captions) != len(runs):
        raise ValueError(f"training_player: need 2 to 40 runs and one caption each, got "
                         f"{len(runs)} runs and {len(captions)} captions")
    loss_max = max(2.5, min(4.0, max(max(h.val_loss + h.train_loss, default=0) for h in runs)))
    fig, axes = _player_figure()

    def draw(k):
        draw_curves(axes, runs[k], captions[k].split(":")[0], loss_max=loss_max)
        if k == 0:
            fig.tight_layout()   # the same labels in every frame: lay out once

    return frames_player(fig, draw, len(runs), captions=captions, interval=interval, alt=alt)
