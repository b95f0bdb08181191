"""The training loop: against the same loop in PyTorch, the history, divergence, output."""

import warnings

import numpy as np
import pytest

from bpcourse import data, nn, optim, train
from bpcourse import functional as F


def moons(seed=0, n=120):
    return data.two_moons(n, 0.1, rng=np.random.default_rng(seed))


def test_history_records_every_step_and_epoch():
    X, y = moons()
    model = nn.MLP([2, 8, 2], rng=np.random.default_rng(1))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.StepLR(opt, step_size=10, gamma=0.5)
    h = train.fit(model, F.cross_entropy, (X, y), opt, 3, 32, np.random.default_rng(2),
                  schedule=sched, val_data=(X[:40], y[:40]), verbose=False)
    assert h.steps == 3 * 4 and h.epoch_end == [4, 8, 12] and h.epochs == 3
    assert h.lr == [0.1 * 0.5 ** (k // 10) for k in range(12)]
    names = [name for name, _ in model.named_parameters()]
    assert list(h.layer_grad_norm) == names
    assert all(len(v) == 12 for v in h.layer_grad_norm.values())
    layer = np.array([h.layer_grad_norm[n] for n in names])
    np.testing.assert_allclose(h.grad_norm, np.sqrt((layer**2).sum(axis=0)), rtol=1e-14)
    # per-epoch training loss is the row-weighted mean of that epoch's batch losses (32+32+32+24)
    w = np.array([32, 32, 32, 24])
    np.testing.assert_allclose(h.train_loss[0], np.dot(h.loss[:4], w) / 120, rtol=1e-14)
    vl, va = train.evaluate(model, F.cross_entropy, X[:40], y[:40])
    assert (h.val_loss[-1], h.val_acc[-1]) == (vl, va)
    assert 0 <= h.train_acc[-1] <= 1 and not h.diverged


def test_fit_matches_the_same_loop_in_torch():
    """Same weights, same batches, Adam + cosine schedule + clipping: the same losses."""
    torch = pytest.importorskip("torch")
    X, y = moons(3)
    model = nn.MLP([2, 16, 16, 2], activation="tanh", rng=np.random.default_rng(4))
    tmodel = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16),
                                 torch.nn.Tanh(), torch.nn.Linear(16, 2)).double()
    with torch.no_grad():
        for tp, (_, p) in zip(tmodel.parameters(), model.named_parameters(), strict=True):
            tp.copy_(torch.tensor(p.data))
    opt = optim.Adam(model.parameters(), lr=0.05)
    sched = optim.CosineAnnealingLR(opt, T_max=20)
    h = train.fit(model, F.cross_entropy, (X, y), opt, 4, 25, np.random.default_rng(5),
                  schedule=sched, clip=0.5, verbose=False)

    topt = torch.optim.Adam(tmodel.parameters(), lr=0.05)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=20)
    rng, want, want_norm = np.random.default_rng(5), [], []
    for _ in range(4):
        for Xb, yb in data.batches(X, y, 25, rng):
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(Xb)), torch.tensor(yb))
            loss.backward()
            want_norm.append(torch.nn.utils.clip_grad_norm_(tmodel.parameters(), 0.5).item())
            topt.step()
            tsched.step()
            want.append(loss.item())
    np.testing.assert_allclose(h.loss, want, rtol=1e-10)
    np.testing.assert_allclose(h.grad_norm, want_norm, rtol=1e-10)
    for tp, p in zip(tmodel.parameters(), model.parameters(), strict=True):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_schedule_as_a_function_of_the_step():
    X, y = moons()
    model = nn.MLP([2, 4, 2], rng=np.random.default_rng(0))
    opt = optim.SGD(model.parameters(), lr=1.0)
    h = train.fit(model, F.cross_entropy, (X, y), opt, 2, 40, np.random.default_rng(0),
                  schedule=lambda t: optim.cosine_lr(t, 0.2, 6), verbose=False)
    np.testing.assert_allclose(h.lr, [optim.cosine_lr(t, 0.2, 6) for t in range(6)])


def test_divergence_stops_with_a_warning_not_a_crash():
    X, y, *_ = data.linear_regression(64, d=3, rng=np.random.default_rng(0), return_coef=True)
    X = X * 100
    model = nn.MLP([3, 8, 1], rng=np.random.default_rng(0))
    opt = optim.SGD(model.parameters(), lr=10.0)

    def loss_fn(out, target):
        return F.mse_loss(out.reshape(-1), target)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's overflow warnings
        warnings.filterwarnings("error", message="fit stopped")
        with pytest.raises(RuntimeWarning, match="fit stopped at epoch 1"):
            train.fit(model, loss_fn, (X, y), opt, 50, 8, np.random.default_rng(0), verbose=False)
    model = nn.MLP([3, 8, 1], rng=np.random.default_rng(0))
    opt = optim.SGD(model.parameters(), lr=10.0)
    with pytest.warns(RuntimeWarning, match="smaller learning rate"):
        with np.errstate(all="ignore"):
            h = train.fit(model, loss_fn, (X, y), opt, 50, 8, np.random.default_rng(0),
                          verbose=False)
    assert h.diverged and "fit stopped" in h.message
    assert h.steps < 50 * 8 and np.all(np.isfinite(h.loss))
    assert h.train_acc == [] or h.train_acc[0] is None  # regression: no accuracy


def test_terminal_progress_and_quiet(capsys):
    X, y = moons()
    model = nn.MLP([2, 4, 2], rng=np.random.default_rng(0))
    train.fit(model, F.cross_entropy, (X, y), optim.Adam(model.parameters()), 2, 60,
              np.random.default_rng(0), verbose=True)
    out = capsys.readouterr().out
    assert "\r" in out and "epoch 2" in out and "acc" in out and out.count("\n") == 2
    train.fit(model, F.cross_entropy, (X, y), optim.Adam(model.parameters()), 2, 60,
              np.random.default_rng(0), verbose=False)
    assert capsys.readouterr().out == ""


def test_notebook_progress_is_one_updating_display(monkeypatch, capsys):
    import IPython.display

    calls = []

    class Handle:
        def update(self, obj, raw=False):
            calls.append(("update", obj["text/plain"]))

    def fake_display(obj, raw=False, display_id=None):
        calls.append(("display", obj["text/plain"]))
        return Handle()

    monkeypatch.setattr(train, "_in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", fake_display)
    X, y = moons()
    model = nn.MLP([2, 4, 2], rng=np.random.default_rng(0))
    train.fit(model, F.cross_entropy, (X, y), optim.Adam(model.parameters()), 3, 60,
              np.random.default_rng(0))
    # one display, created empty (what a runner that drops updates saves) ...
    assert [c[0] for c in calls].count("display") == 1 and calls[0] == ("display", "")
    # ... updated as training goes, emptied at the end ...
    assert calls[-2][1].startswith("epoch 3") and calls[-1] == ("update", "")
    # ... and the finished line printed for good
    assert capsys.readouterr().out == calls[-2][1] + "\n"


def test_accuracy_and_evaluate_by_hand():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, -1.0], [0.0, 0.1]])
    assert train.accuracy(logits, np.array([0, 1, 1, 1])) == 0.75
    model = nn.Linear(2, 2, rng=np.random.default_rng(0))
    model.weight.data = np.eye(2)
    model.bias.data = np.zeros(2)
    X = logits
    y = np.array([0, 1, 1, 1])
    loss, acc = train.evaluate(model, F.cross_entropy, X, y, batch_size=3)
    z = X - X.max(axis=1, keepdims=True)
    want = np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(4), y])
    assert loss == pytest.approx(want, rel=1e-14) and acc == 0.75


def test_lr_find_restores_the_model():
    X, y = moons()
    model = nn.MLP([2, 8, 2], rng=np.random.default_rng(0))
    before = [p.data.copy() for p in model.parameters()]
    opt = optim.SGD(model.parameters(), lr=0.01)
    lrs, losses = train.lr_find(model, F.cross_entropy, (X, y), opt, 16, np.random.default_rng(0),
                                lr_min=1e-4, lr_max=1e4, steps=80)
    assert 5 < len(lrs) < 80 and np.all(np.diff(lrs) > 0)
    assert np.nanmin(losses) < losses[0]
    for b, p in zip(before, model.parameters(), strict=True):
        np.testing.assert_array_equal(b, p.data)
    assert opt.lr == 0.01


def test_digits_mlp_with_adam_reaches_95_percent():
    """The issue's done-when figure, on a small budget (about a second)."""
    X, y = data.load_digits()
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, 0.25, rng=np.random.default_rng(0),
                                               stratify=True)
    model = nn.MLP([64, 128, 10], rng=np.random.default_rng(10))
    opt = optim.Adam(model.parameters(), lr=3e-3)
    h = train.fit(model, F.cross_entropy, (Xtr, ytr), opt, 20, 32, np.random.default_rng(20),
                  val_data=(Xte, yte), verbose=False)
    assert h.val_acc[-1] >= 0.95
    assert train.evaluate(model, F.cross_entropy, Xte, yte)[1] == h.val_acc[-1]


def test_plot_history_reads_the_history():
    import matplotlib

    matplotlib.use("Agg")
    from bpcourse import plot

    X, y = moons()
    model = nn.MLP([2, 8, 8, 2], rng=np.random.default_rng(0))
    h = train.fit(model, F.cross_entropy, (X, y), optim.Adam(model.parameters()), 2, 30,
                  np.random.default_rng(0), val_data=(X, y), verbose=False)
    fig, axes = plot.plot_history(h)
    ax_loss, ax_acc, ax_lr, ax_grad = axes.ravel()
    assert ax_loss.get_yscale() == "log" and ax_grad.get_yscale() == "log"
    np.testing.assert_array_equal(ax_loss.get_lines()[0].get_ydata(), h.loss)
    np.testing.assert_allclose(ax_acc.get_lines()[1].get_ydata(), 100 * np.array(h.val_acc))
    assert [line.get_label() for line in ax_grad.get_lines()] == [
        "layers.0.weight", "layers.2.weight", "layers.4.weight"]
    matplotlib.pyplot.close("all")
