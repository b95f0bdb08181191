"""Chapter 1's step-by-step backward walk: the printed table, the explorer and the animation.

The numbers in the table are checked against PyTorch's gradients and against
the rule it prints (contribution = local derivative x node.grad, running sums).
"""

import json
import pathlib
import re
import textwrap

import matplotlib
import pytest
import torch

from bpcourse import Value
from bpcourse import widgets as w

matplotlib.use("Agg")


def _rows(table):
    """The table's rows as lists of cells, the header and rule removed."""
    return [re.split(r"\s{2,}", line.strip()) for line in table.splitlines()[2:]]


def test_walk_table_of_a_times_a_plus_a_accumulates_to_seven():
    a = Value(3.0, label="a")
    c = a * a
    c.label = "c"
    b = c + a
    b.label = "b"
    rows = _rows(w.backward_walk_table(b))
    # step 1: b (+) gives 1 to c and 1 to a; step 2: c (*) gives 3 and 3 more to a
    assert rows[0] == ["1", "b", "+", "1", "c", "1", "1", "1"]
    assert rows[1] == ["a", "1", "1", "1"]
    assert rows[2] == ["2", "c", "*", "1", "a", "3", "3", "4"]
    assert rows[3] == ["a", "3", "3", "7"]
    assert a.grad == 7.0


def test_walk_table_matches_torch_on_the_neuron():
    build = w._example_expressions()["o = tanh(w1*x1 + w2*x2 + b)"]
    o = build()
    table = w.backward_walk_table(o)
    leaves = {}
    for line in _rows(table):
        name, running = line[-4], float(line[-1])
        leaves[name] = running          # the last row of each input holds its total
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in {"x1": 2.0, "x2": -1.0, "w1": -0.8, "w2": 0.6, "b": 0.9}.items()}
    torch.tanh(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"]).backward()
    for k, tensor in t.items():
        assert leaves[k] == pytest.approx(tensor.grad.item(), rel=1e-5)   # printed to 6 digits
    names = [line[1] for line in _rows(table) if len(line) == 8]
    assert names == ["o", "z", "x1*w1+x2*w2", "x1*w1", "x2*w2"]


def test_run_steps_stops_part_way_and_seeds_the_output():
    build = w._example_expressions()["L = (a*b + a)**2"]
    root, last = w._run_steps(build, 0)
    assert last is None and root.grad == 1.0
    root, last = w._run_steps(build, 2)
    assert last.node.label == "d"
    grads = {v.label: v.grad for v in [root, *root.parents, *root.parents[0].parents]}
    assert grads["d"] == 6.0 and grads["a"] == 6.0   # c has not passed its 3 on yet
    assert w._count_steps(build) == 3


def test_player_is_self_contained_and_small():
    build = w._example_expressions()["o = tanh(w1*x1 + w2*x2 + b)"]
    html = w.backward_player(build)
    assert html.count("iVBORw0KGgo") == 6 + 1   # the start, one frame per step (+ the first shown)
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert "o (tanh) passes its gradient on" in html and 'alt="The computational graph' in html
    assert len(html) < 1_000_000
    assert html == w.backward_player(build)     # same graph, same page


def test_player_captions_match_the_frame_counter_and_fit_the_column():
    # The slider's counter reads "1 / 6" ... "6 / 6": frame 1 is the start,
    # frame k + 1 is step k, never "step 0 of 5" next to "1 / 6".
    build = w._example_expressions()["o = tanh(w1*x1 + w2*x2 + b)"]
    html = w.backward_player(build)
    captions = json.loads(re.search(r"var captions = (\[.*?\]);", html).group(1))
    assert captions[0].startswith("start: forward pass done")
    assert [c.split(":")[0] for c in captions[1:]] == [f"step {k} of 5" for k in range(1, 6)]
    assert "step 0" not in html
    # about the page column's 690 px, so the node text is not scaled down much
    width = int(re.search(r"max-width:(\d+)px", html).group(1))
    assert 690 <= width <= 850


def test_explorer_steps_and_switches_expression():
    box = w.backward_explorer()
    (choose, step), caption = box.children[0].children, box.children[1]
    assert step.max == 3 and "forward pass done" in caption.value
    step.value = 3
    assert "c (*) passes its gradient on" in caption.value
    choose.value = "b = a*a + a"
    assert step.value == 0 and step.max == 2



def test_the_chapters_example_of_your_own_expressions_runs():
    # The explorer cell of chapter 1 shows, in a comment, how to pass your own
    # expressions: run exactly that code, with the chapter's worked_example.
    path = pathlib.Path(__file__).parents[1] / "notebooks" / "01_chain_rule.ipynb"
    cells = {c["id"]: "".join(c["source"]) for c in json.loads(path.read_text())["cells"]}
    example = textwrap.dedent("\n".join(
        line[1:] for line in cells["ch01-explorer"].splitlines() if line.startswith("#    ")))
    *body, call = example.splitlines()
    assert call.startswith("backward_explorer({")
    namespace = {"Value": Value, "backward_explorer": w.backward_explorer}
    exec(cells["ch01-worked"].replace("print(", "str("), namespace)   # worked_example
    exec("\n".join([*body, f"box = {call}"]), namespace)
    (choose, step), caption = namespace["box"].children[0].children, namespace["box"].children[1]
    assert list(choose.options) == ["x*x*x", "L at a = -1"]
    step.value = step.max        # x*x*x: two multiplications
    assert step.max == 2 and "passes its gradient on" in caption.value
    choose.value = "L at a = -1"
    step.value = step.max
    assert step.max == 3 and "c (*) passes its gradient on" in caption.value
