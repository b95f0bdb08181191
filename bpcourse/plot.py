"""Figures for the course, in one style, one colour-blind-safe palette and one set of sizes.

Every chapter draws with these helpers, so a learner sees the same colours
for the same ideas across the book; ``widgets`` takes its figure sizes from
here too. Only this module and ``widgets`` import matplotlib: the rest of
the package (the core a learner's checks need) never does.
"""

from itertools import pairwise

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from .optim import bias_corrected, ema
from .tensor import Tensor, no_grad

# Okabe and Ito's palette: distinguishable under the common colour-vision
# deficiencies, and in greyscale print.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
COLORS = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")]

# Figure sizes in inches, and resolutions, for plot and widgets alike. The
# book's text column is about 690 px wide: a player's PNG is embedded at its
# own size, PLAYER_SIZE[0] * PLAYER_DPI = 605 px, so its text stays legible;
# a live explorer's picture is LIVE_SIZE[0] * LIVE_DPI = 800 px at most.
FIGSIZE = (6.4, 4.0)           # the style's default figure
PANEL_SIZE = (4.8, 3.6)        # one panel of new_figure; grids multiply it
SURFACE_SIZE = (5.4, 4.4)      # plot_surface on a figure of its own
HISTORY_SIZE = (10, 6.6)       # plot_history's four panels
LIVE_SIZE, LIVE_DPI = (10, 4), 80            # a live explorer's two panels
LIVE_WIDTH_PX = round(LIVE_SIZE[0] * LIVE_DPI)
PLAYER_SIZE, PLAYER_DPI = (8.4, 3.5), 72     # a player's two panels
GRAPH_DPI, GRAPH_PLAYER_DPI = 80, 100        # computational graphs, live and in a player
GRAPH_PLAYER_MAX_WIDTH = 8.0                 # inches: a graph player fits the column

STYLE = {
    "axes.prop_cycle": mpl.cycler(color=COLORS),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 11,
    "legend.frameon": False,
    "image.cmap": "viridis",
}


def use_style():
    """Apply the course style to every later matplotlib figure."""
    mpl.rcParams.update(STYLE)


use_style()


def new_figure(ncols=1, nrows=1, width=None, height=None, **kwargs):
    """A figure with the course style: ``fig, ax = new_figure()``."""
    w = width if width is not None else PANEL_SIZE[0] * ncols
    h = height if height is not None else PANEL_SIZE[1] * nrows
    return plt.subplots(nrows, ncols, figsize=(w, h), **kwargs)


# ---------------------------------------------------------------------------
# Computational graphs (chapters 1 and 2)
# ---------------------------------------------------------------------------


def _graph_nodes(root):
    """Every node of the graph (leaves too), inputs before the nodes using them."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node._prev) if p not in seen)
    return order


class _Lane:
    """The row an edge takes through a column it skips (a "dummy node")."""

    __slots__ = ()


def _graph_layout(order):
    """Columns and rows of the nodes, and the lanes of the edges that skip columns.

    Each node sits one column before its first use (as far right as it can),
    so most edges join neighbouring columns. An edge that must skip columns
    gets a row of its own, a lane, in every column it passes: it is drawn
    along its lanes, around the boxes, never under them. Rows are sorted by
    the mean row of their neighbours (the barycentre heuristic: fewer
    crossing edges), sweeping right, left, then right again.

    Returns ``depth`` (node -> column), ``row`` (node or lane -> row),
    ``lanes`` (one list of lanes per edge ``(input, k, output)``, ``k`` the
    input's position among the output's inputs) and the lowest and highest row.
    """
    height = {}  # longest path to the root, in operations
    for node in reversed(order):
        for p in node._prev:
            height[p] = max(height.get(p, 0), height.get(node, 0) + 1)
    top = max(height.values(), default=0)
    depth = {node: top - height.get(node, 0) for node in order}
    layers = {}
    for node in order:
        layers.setdefault(depth[node], []).append(node)
    before = {node: [] for node in order}  # neighbours one column to the left
    after = {node: [] for node in order}  # and one column to the right
    lanes = {}
    for node in order:
        for k, p in enumerate(node._prev):
            path = [_Lane() for _ in range(depth[p] + 1, depth[node])]
            for d, lane in enumerate(path, start=depth[p] + 1):
                layers[d].append(lane)
            chain = [p, *path, node]
            for left, right in pairwise(chain):
                after.setdefault(left, []).append(right)
                before.setdefault(right, []).append(left)
            lanes[(p, k, node)] = path
    row = {}

    def place(neighbours, columns):
        for d in columns:
            nodes = layers[d]
            now = {n: row.get(n, i - (len(nodes) - 1) / 2) for i, n in enumerate(nodes)}

            def key(n, now=now):
                near = [row[m] for m in neighbours[n] if m in row]
                return sum(near) / len(near) if near else now[n]

            nodes.sort(key=key)
            for i, node in enumerate(nodes):
                row[node] = i - (len(nodes) - 1) / 2

    def level(neighbours, columns):  # same order; each row near its neighbours' mean
        for d in columns:
            want = []
            for n in layers[d]:
                near = [row[m] for m in neighbours[n]]
                want.append(sum(near) / len(near) if near else row[n])
            row.update(zip(layers[d], _spaced(want), strict=True))

    columns = sorted(layers)
    place(before, columns)
    place(after, columns[::-1])
    place(before, columns)
    for sweep in (before, after, before):  # so that lanes run level
        level(sweep, columns if sweep is before else columns[::-1])
    return depth, row, lanes, (min(row.values()), max(row.values()))


def _spaced(want):
    """The rows closest to ``want`` (least squares), in order and at least 1 apart.

    With ``z = row - index`` the constraint is "z never decreases": pool
    adjacent violators, replacing each run that decreases by its mean.
    """
    blocks = []  # [sum, count] of z, means increasing
    for i, w in enumerate(want):
        blocks.append([w - i, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    rows = []
    for total, count in blocks:
        rows += [total / count + len(rows) + j for j in range(count)]
    return rows


def _graph_text(node, show_grad):
    data, grad = node.data, node.grad
    lines = [node.label] if getattr(node, "label", "") else []
    if getattr(data, "size", 1) == 1:
        lines.append(f"data {float(data):.4g}")
        if show_grad:
            lines.append("grad " + ("None" if grad is None else f"{float(grad):.4g}"))
    else:  # a Tensor: its shape, and the size of its gradient
        lines.append(f"shape {tuple(data.shape)}")
        if show_grad:
            lines.append("grad None" if grad is None else f"|grad| {np.linalg.norm(grad):.3g}")
    return "\n".join(lines)


class _AlongLanes(mpl.patches.ConnectionStyle._Base):
    """An arrow's path from a box to an operation, around the boxes between.

    ``lanes`` holds, for each column the edge skips, the lane's height (data
    coordinates), that column's operation circles and its boxes. The path is
    level while it crosses a column (through its lane) and bends only in the
    gaps between columns, where no box stands: an S, a cubic Bezier curve
    with level ends. Positions are measured when the figure is drawn, so the
    path stays clear of the boxes at any figure size.
    """

    def __init__(self, ax, start_boxes, lanes, end_ops):
        self.ax, self.start_boxes, self.lanes, self.end_ops = ax, start_boxes, lanes, end_ops

    def _right(self, boxes):  # right edge of a column of boxes, in pixels
        pad = (0.35 * 8 + 3) * self.ax.figure.dpi / 72
        return max(b.get_window_extent().x1 for b in boxes) + pad

    def _left(self, ops):  # left edge of a column of operation circles, in pixels
        pad = (0.3 * 9 + 3) * self.ax.figure.dpi / 72
        edges = []
        for op in ops:
            box = op.get_window_extent()
            edges.append(box.x0 - max(0.0, box.height - box.width) / 2 - pad)
        return min(edges)

    def connect(self, posA, posB):
        Path = mpl.path.Path
        points = [tuple(posA), (max(posA[0], self._right(self.start_boxes)), posA[1])]
        for y, ops, boxes in self.lanes:
            y = self.ax.transData.transform((0.0, y))[1]
            points += [(self._left(ops), y), (self._right(boxes), y)]
        points += [(min(posB[0], self._left(self.end_ops)), posB[1]), tuple(posB)]
        vertices, codes = [points[0]], [Path.MOVETO]
        for (x0, y0), (x1, y1) in pairwise(points):
            if abs(y1 - y0) < 0.5 or x1 <= x0:  # level (in pixels), or no room to bend
                vertices.append((x1, y1))
                codes.append(Path.LINETO)
            else:
                half = (x1 - x0) / 2
                vertices += [(x0 + half, y0), (x1 - half, y1), (x1, y1)]
                codes += [Path.CURVE4] * 3
        return Path(vertices, codes)


def draw_graph(root, ax=None, highlight=(), show_grad=True, title=None):
    """Draw the computational graph that produced ``root``, left to right.

    Each value is a box with its label, data and grad; each operation is a
    circle between its inputs and its output. Works for ``Value`` and for
    ``Tensor`` graphs (a tensor shows its shape and the norm of its gradient).
    ``highlight`` is a collection of nodes and of ``(input, output)`` pairs,
    drawn in orange: chapter 1's explorer highlights the node whose gradient
    is being passed back and the edges it flows along. An edge that skips
    columns goes around the boxes in between; an input used twice by one
    operation (``a * a``) gets two arrows, bent apart. Readable up to about
    30 nodes. Returns the Axes.
    """
    order = _graph_nodes(root)
    depth, row, lanes, (low, high) = _graph_layout(order)
    highlight = set(highlight)
    if ax is None:
        n_layers = max(depth.values()) + 1
        width = max(4.0, 2.3 * n_layers + 0.5)
        _, ax = plt.subplots(figsize=(width, max(2.0, 0.95 * (high - low + 1) + 0.8)))
    ax.set_axis_off()
    ax.set_xlim(-1.0, 2.0 * max(depth.values()) + 1.0)
    ax.set_ylim(-high - 0.8, -low + 0.8)
    hot, cold = PALETTE["orange"], PALETTE["black"]
    leaf_face, inner_face, op_face = "#EAF3FA", "white", "#F2F2F2"
    boxes = {}
    ops = {}
    for node in order:
        x, y = 2.0 * depth[node], -row[node]
        is_hot = node in highlight
        face = leaf_face if not node._prev else inner_face
        boxes[node] = ax.text(
            x, y, _graph_text(node, show_grad), ha="center", va="center", fontsize=8,
            family="monospace", zorder=3,
            bbox={"boxstyle": "round,pad=0.35", "fc": face, "lw": 2.2 if is_hot else 0.9,
                  "ec": hot if is_hot else PALETTE["blue"]},
        )
        if node._prev:
            ops[node] = ax.text(
                x - 1.0, y, node._op or "?", ha="center", va="center", fontsize=9, zorder=3,
                bbox={"boxstyle": "circle,pad=0.3", "fc": op_face,
                      "ec": hot if is_hot else cold, "lw": 2.2 if is_hot else 0.8},
            )

    def arrow(src, dst, is_hot, connection="arc3"):
        ax.annotate(
            "", xy=(0.0, 0.5), xycoords=dst, xytext=(1.0, 0.5), textcoords=src, zorder=2,
            arrowprops={"arrowstyle": "-|>", "color": hot if is_hot else "#555555",
                        "lw": 2.2 if is_hot else 0.8, "shrinkA": 1, "shrinkB": 1,
                        "connectionstyle": connection},
        )

    column_boxes, column_ops = {}, {}
    for node in order:
        column_boxes.setdefault(depth[node], []).append(boxes[node])
        if node._prev:
            column_ops.setdefault(depth[node], []).append(ops[node])
    for node in order:
        if not node._prev:
            continue
        for k, p in enumerate(node._prev):
            n = sum(q is p for q in node._prev)
            path = lanes[(p, k, node)]
            if not path and n == 1:  # joins neighbouring columns: straight
                connection = "arc3"
            elif not path:  # the same input used n times: n arrows, bent apart
                i = sum(q is p for q in node._prev[:k])
                connection = f"arc3,rad={0.5 * (i - (n - 1) / 2):.3f}"
            else:  # level through the columns it skips, bending only between them
                lanes_here = [(-row[lane], column_ops[d], column_boxes[d])
                              for d, lane in enumerate(path, start=depth[p] + 1)]
                connection = _AlongLanes(ax, column_boxes[depth[p]], lanes_here,
                                         column_ops[depth[node]])
            arrow(boxes[p], ops[node], (p, node) in highlight, connection)
        arrow(ops[node], boxes[node], node in highlight)
    if title:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------------------
# Decision boundaries (chapter 2)
# ---------------------------------------------------------------------------


def class_probability_grid(model, X, n=81, margin=0.6):
    """A classifier's probability of class 1 on a grid covering the 2-D points ``X``.

    ``model`` maps a ``Tensor`` of shape ``(N, 2)`` to logits ``(N, K)`` (a
    ``bpcourse.nn`` module, for instance). Returns ``(x1, x2, p)``,
    three ``(n, n)`` arrays for ``decision_boundary``. The model is evaluated
    under ``no_grad``: drawing never builds a graph. See chapter 2, "Training a
    small network".
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"class_probability_grid: X must have shape (N, 2), got {X.shape}")
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    x1, x2 = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    points = np.column_stack([x1.ravel(), x2.ravel()])
    with no_grad():
        logits = model(Tensor(points))
    logits = np.asarray(getattr(logits, "data", logits), dtype=float)
    if logits.ndim != 2 or logits.shape[0] != points.shape[0] or logits.shape[1] < 2:
        raise ValueError(
            f"class_probability_grid: model must return logits of shape ({len(points)}, K>=2), "
            f"got {logits.shape}")
    # softmax, shifted by the row maximum so exp never overflows (chapter 2, eq-softmax-ce)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e[:, 1] / e.sum(axis=1)
    return x1, x2, p.reshape(x1.shape)


def probability_layers(ax, grid):
    """The shaded probability of class 1 and the black 0.5 boundary; returns the artists.

    Returned so that an animation can remove them and draw the next frame's.
    """
    x1, x2, p = grid
    cmap = LinearSegmentedColormap.from_list(
        "bpcourse_two_class", [PALETTE["orange"], "#ffffff", PALETTE["blue"]])
    artists = [ax.contourf(x1, x2, p, levels=np.linspace(0, 1, 11), cmap=cmap, alpha=0.45)]
    if p.min() < 0.5 < p.max():
        artists.append(ax.contour(x1, x2, p, levels=[0.5], colors="black", linewidths=1.5))
    return artists


def decision_boundary(ax, grid, X, y):
    """Draw the probability grid, the 0.5 boundary and the labelled points on ``ax``.

    ``grid`` is what ``class_probability_grid`` returns; ``y`` holds labels 0
    and 1 (class 0 orange circles, class 1 blue squares). Returns the artists
    of the probability layers (see ``probability_layers``).
    """
    artists = probability_layers(ax, grid)
    X, y = np.asarray(X), np.asarray(y)
    for label, color, marker in [(0, PALETTE["orange"], "o"), (1, PALETTE["blue"], "s")]:
        ax.scatter(*X[y == label].T, s=12, c=color, marker=marker,
                   edgecolors="white", linewidths=0.4, label=f"class {label}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    ax.grid(False)
    return artists


# ---------------------------------------------------------------------------
# Surfaces, trajectories and training curves (chapters 3 to 7)
# ---------------------------------------------------------------------------


def _okabe(i):
    return COLORS[i % len(COLORS)]


def plot_surface(surface, ax=None, paths=None, n=200, levels=25, show_minima=True, title=None):
    """Contours of a ``bpcourse.surfaces.Surface`` with optimizer paths on top.

    ``paths`` maps a label to a path of shape ``(steps + 1, 2)`` (what
    ``surfaces.trajectory`` returns), drawn in the palette's order with a
    circle at the start and a cross at the end. Contours are spaced
    logarithmically in ``f − f_min`` on surfaces with ``log_levels`` (the
    valleys of Rosenbrock or Beale would otherwise be invisible). Global
    minima are stars, other local minima diamonds, saddles x's.
    See chapter 3, "Nonconvex surfaces: local minima, plateaus and saddle
    points". Returns the Axes.
    """
    if ax is None:
        _, ax = new_figure(width=SURFACE_SIZE[0], height=SURFACE_SIZE[1])
    xmin, xmax, ymin, ymax = surface.box
    X, Y = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
    Z = surface.f(np.stack([X, Y], axis=-1)) - surface.f_min
    if surface.log_levels:
        top = max(np.max(Z), 1e-12)
        lv = np.geomspace(max(top * 1e-6, 1e-6), top, levels)
        ax.contour(X, Y, Z, levels=lv, cmap="viridis", linewidths=0.7,
                   norm=mpl.colors.LogNorm(lv[0], lv[-1]))
    else:
        ax.contour(X, Y, Z, levels=levels, cmap="viridis", linewidths=0.7)
    if show_minima:
        ax.plot(*surface.minima.T, "*", ms=13, color=PALETTE["black"], label="global minimum")
        if len(surface.local_minima):
            ax.plot(*surface.local_minima.T, "D", ms=6, color=PALETTE["black"], mfc="white",
                    label="local minimum")
        if len(surface.saddles):
            ax.plot(*surface.saddles.T, "X", ms=9, color=PALETTE["vermillion"], label="saddle")
    for i, (label, path) in enumerate((paths or {}).items()):
        path = np.asarray(path)
        color = _okabe(i)
        ax.plot(path[:, 0], path[:, 1], "-", lw=1.4, color=color, label=label)
        ax.plot(path[0, 0], path[0, 1], "o", ms=6, color=color)
        finite = path[np.all(np.isfinite(path), axis=1)]
        ax.plot(finite[-1, 0], finite[-1, 1], "x", ms=8, mew=2, color=color)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.grid(False)
    ax.set_title(title if title is not None else surface.name)
    if paths or show_minima:
        ax.legend(loc="best", fontsize=8)
    return ax


def plot_losses(curves, ax=None, f_min=0.0, log=True, xlabel="step", ylabel=None):
    """Loss curves, one per label, on a log scale by default.

    ``curves`` maps a label to an array of losses; ``f_min`` is subtracted so
    that curves on a surface show the gap to the minimum, whose straight
    lines on a log scale are linear convergence rates (chapter 3). Returns the Axes.
    """
    if ax is None:
        _, ax = new_figure()
    for i, (label, losses) in enumerate(curves.items()):
        gap = np.asarray(losses, dtype=float) - f_min
        if log:
            gap = np.where(gap > 0, gap, np.nan)  # log scale: hide exact zeros
        ax.plot(np.arange(len(gap)), gap, color=_okabe(i), lw=1.5, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or (r"$f(\theta) - f^\star$" if f_min else "loss"))
    if len(curves) > 1:
        ax.legend()
    return ax


def plot_history(history, axes=None, weights_only=True):
    """Four panels from a ``train.fit`` history: loss, accuracy, learning rate, gradient norms.

    Loss per step (log scale) with the epoch means of training and validation
    loss; accuracy per epoch; learning rate per step; gradient norm per
    parameter per step (log scale; weights only unless ``weights_only=False``,
    so chapter 6 can compare layers). Returns ``(fig, axes)``.
    """
    if axes is None:
        fig, axes = new_figure(ncols=2, nrows=2, width=HISTORY_SIZE[0], height=HISTORY_SIZE[1])
    else:
        fig = np.ravel(axes)[0].figure
    ax_loss, ax_acc, ax_lr, ax_grad = np.ravel(axes)
    steps = np.arange(1, history.steps + 1)
    ends = np.asarray(history.epoch_end)
    ax_loss.plot(steps, history.loss, color=PALETTE["sky"], lw=0.8, label="train (step)")
    if len(ends):
        ax_loss.plot(ends, history.train_loss, "o-", color=PALETTE["blue"], label="train (epoch)")
    if history.val_loss:
        ax_loss.plot(ends, history.val_loss, "s--", color=PALETTE["orange"], label="validation")
    ax_loss.set_yscale("log")
    ax_loss.set(xlabel="step", ylabel="loss", title="Loss")
    ax_loss.legend(fontsize=8)
    epochs = np.arange(1, history.epochs + 1)
    if history.train_acc and history.train_acc[0] is not None:
        ax_acc.plot(epochs, 100 * np.asarray(history.train_acc), "o-", color=PALETTE["blue"],
                    label="train")
        if history.val_acc and history.val_acc[0] is not None:
            ax_acc.plot(epochs, 100 * np.asarray(history.val_acc), "s--",
                        color=PALETTE["orange"], label="validation")
        ax_acc.legend(fontsize=8)
    else:
        ax_acc.text(0.5, 0.5, "no accuracy\n(not a classifier)", ha="center", va="center",
                    transform=ax_acc.transAxes)
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    ax_lr.plot(steps, history.lr, color=PALETTE["green"])
    ax_lr.set(xlabel="step", ylabel="learning rate", title="Learning rate")
    names = [n for n in history.layer_grad_norm if not weights_only or n.endswith("weight")]
    names = names or list(history.layer_grad_norm)
    for i, name in enumerate(names):
        norms = np.asarray(history.layer_grad_norm[name], dtype=float)
        ax_grad.plot(steps, np.where(norms > 0, norms, np.nan), color=_okabe(i), lw=0.8,
                     label=name)
    ax_grad.set_yscale("log")
    ax_grad.set(xlabel="step", ylabel=r"$\|\nabla\|$", title="Gradient norm per parameter")
    if names:
        ax_grad.legend(fontsize=7)
    fig.tight_layout()
    return fig, axes


def plot_lr_range(lrs, losses, ax=None, smoothing=0.9):
    """The learning-rate range test: loss against learning rate (log x).

    Draws the raw losses faintly and their bias-corrected moving average
    (coefficient ``smoothing``) on top. See chapter 3. Returns the Axes.
    """
    if ax is None:
        _, ax = new_figure()
    losses = np.asarray(losses, dtype=float)
    avg, smooth = 0.0, []
    for t, loss in enumerate(losses, start=1):
        avg = ema(avg, loss, smoothing)
        smooth.append(bias_corrected(avg, smoothing, t))
    ax.plot(lrs, losses, color=PALETTE["sky"], lw=0.8, label="loss")
    ax.plot(lrs, smooth, color=PALETTE["blue"], lw=1.8, label="smoothed")
    ax.set_xscale("log")
    ax.set(xlabel="learning rate", ylabel="loss", title="Learning-rate range test")
    ax.legend()
    return ax
