"""Figures for the course, in one style and one colour-blind-safe palette.

Every chapter draws with these helpers, so a learner sees the same colours
for the same ideas across the book. matplotlib is imported here only; the
rest of the package never needs it.
"""

import matplotlib as mpl
import matplotlib.pyplot as plt

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

STYLE = {
    "axes.prop_cycle": mpl.cycler(color=COLORS),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.figsize": (6.4, 4.0),
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
    w = width if width is not None else 4.8 * ncols
    h = height if height is not None else 3.6 * nrows
    return plt.subplots(nrows, ncols, figsize=(w, h), **kwargs)


# ---------------------------------------------------------------------------
# Computational graphs (chapters 1 and 2)
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Surfaces, trajectories and training curves (chapters 3 to 7)
# ---------------------------------------------------------------------------
