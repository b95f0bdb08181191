"""bpcourse.plot.draw_graph: every node drawn with its numbers, in layers, highlightable."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from bpcourse import Tensor, Value
from bpcourse.plot import PALETTE, draw_graph
from bpcourse.value import backward_steps


def texts(ax):
    """The node labels (arrows are Annotations, also kept in ax.texts)."""
    return [t for t in ax.texts if not isinstance(t, matplotlib.text.Annotation)]


def test_each_value_and_op_is_drawn_with_label_data_and_grad():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    out = c.tanh()
    out.backward()
    ax = draw_graph(out)
    strings = [t.get_text() for t in texts(ax)]
    assert len(strings) == 4 + 2  # four values, two operations
    assert "a\ndata 2\ngrad " + f"{a.grad:.4g}" in strings
    assert "*" in strings and "tanh" in strings
    arrows = [c for c in ax.get_children() if isinstance(c, matplotlib.text.Annotation)
              and c.get_text() == ""]
    assert len(arrows) == 5  # a->*, b->*, *->c, c->tanh, tanh->out
    plt.close(ax.figure)


def test_layers_go_left_to_right():
    a = Value(1.0)
    out = ((a * 2.0).exp() + a).relu()
    ax = draw_graph(out)
    by_text = {t.get_text(): t.get_position()[0] for t in texts(ax)}
    assert by_text["*"] < by_text["exp"] < by_text["+"] < by_text["relu"]
    plt.close(ax.figure)


def test_highlight_colours_the_node_and_edge():
    a = Value(2.0)
    b = a * a
    out = b + a
    step = next(backward_steps(out))
    ax = draw_graph(out, highlight={step.node, (b, out)})
    hot = matplotlib.colors.to_rgba(PALETTE["orange"])
    boxes = texts(ax)
    assert sum(t.get_bbox_patch().get_edgecolor() == hot for t in boxes) == 2  # box + its op
    arrows = [c for c in ax.get_children() if isinstance(c, matplotlib.text.Annotation)
              and c.get_text() == "" and c.arrow_patch.get_edgecolor() == hot]
    assert len(arrows) == 2  # b -> +, and + -> out
    plt.close(ax.figure)


def test_thirty_node_graph_and_tensor_graph_draw():
    x = Value(0.5)
    y = x
    for i in range(14):
        y = (y * 1.1).tanh() if i % 2 else y + x
    ax = draw_graph(y)
    assert len(texts(ax)) >= 30
    ax.figure.canvas.draw()  # renders without error
    plt.close(ax.figure)
    W = Tensor(np.ones((3, 2)), requires_grad=True)
    out = (Tensor(np.ones((4, 2))) @ W.T).tanh().sum()
    out.backward()
    ax = draw_graph(out)
    assert any("shape (3, 2)" in t.get_text() for t in texts(ax))
    plt.close(ax.figure)
