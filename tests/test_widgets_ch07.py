"""Chapter 7's explorer: training runs on MNIST-1D, the curves, the player."""

import warnings

import numpy as np
import pytest

from bpcourse import data, nn, optim, train, widgets
from bpcourse import functional as F


@pytest.fixture(scope="module")
def split():
    X, y, _, _ = data.mnist1d()
    X_tr, X_val, y_tr, y_val = data.train_test_split(X[:600], y[:600], 200,
                                                    rng=np.random.default_rng(0))
    return X_tr, y_tr, X_val, y_val


def test_training_run_is_fit_with_the_named_optimizer(split):
    X_tr, y_tr, X_val, y_val = split
    hist = widgets.training_run(split, "Nesterov", 0.05, batch_size=50, width=16, epochs=2,
                                seed=4)
    # the same run written out by hand: the same rng for weights and batches
    rng = np.random.default_rng(4)
    model = nn.MLP([40, 16, 16, 10], rng=rng)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    ref = train.fit(model, F.cross_entropy, (X_tr, y_tr), opt, 2, 50, rng,
                    val_data=(X_val, y_val), verbose=False)
    assert hist.steps == ref.steps == 2 * 8
    assert np.array_equal(hist.loss, ref.loss)
    assert np.array_equal(hist.val_acc, ref.val_acc)
    loss, acc = train.evaluate(model, F.cross_entropy, X_val, y_val)
    assert hist.val_loss[-1] == pytest.approx(loss, rel=1e-12)
    assert hist.val_acc[-1] == acc


def test_every_optimizer_is_the_torch_style_class_with_its_defaults():
    p = [nn.Linear(2, 2, rng=np.random.default_rng(0)).weight]
    kinds = {name: type(make(p, 0.1)).__name__ for name, make in widgets.OPTIMIZERS.items()}
    assert kinds == {"SGD": "SGD", "momentum": "SGD", "Nesterov": "SGD", "AdaGrad": "Adagrad",
                     "RMSProp": "RMSprop", "Adam": "Adam", "AdamW": "AdamW"}
    nesterov = widgets.OPTIMIZERS["Nesterov"](p, 0.1).param_groups[0]
    assert nesterov["momentum"] == 0.9 and nesterov["nesterov"]
    assert widgets.OPTIMIZERS["AdamW"](p, 0.1).param_groups[0]["weight_decay"] == 0.01
    with pytest.raises(ValueError, match="optimizer must be one of"):
        widgets.training_run((None, None, None, None), "Lion", 0.1)


def test_a_huge_learning_rate_blows_up_without_a_warning(split):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hist = widgets.training_run(split, "SGD", 1e6, width=8, epochs=2)
    assert hist.diverged or max(hist.loss) > 1e10


def test_player_has_one_frame_per_run_and_no_network(split):
    runs = [widgets.training_run(split, name, lr, width=8, epochs=2)
            for name, lr in [("SGD", 0.3), ("Adam", 3e-3), ("AdaGrad", 0.1)]]
    html = widgets.training_player(runs, ["SGD: a", "Adam: b", "AdaGrad: c"], alt="curves")
    assert html.count("iVBORw0KGgo") == 3 + 1
    assert "<script>" in html and "http" not in html
    assert html == widgets.training_player(runs, ["SGD: a", "Adam: b", "AdaGrad: c"],
                                           alt="curves")
    with pytest.raises(ValueError, match="2 to 40 runs"):
        widgets.training_player(runs[:1], ["x"], alt="")


def test_live_explorer_has_the_four_knobs_and_redraws(split):
    box = widgets.training_explorer(split, epochs=1)
    (opt_w, lr_w), (batch_w, width_w) = box.children[0].children, box.children[1].children
    picture = box.children[2]
    assert [c.description for c in (opt_w, lr_w, batch_w, width_w)] == [
        "optimizer", "learning rate", "batch size", "width"]
    first = picture.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    width_w.value = 8
    assert picture.value != first
