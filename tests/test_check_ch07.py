"""Chapter 7's checks against independent truths: the package, PyTorch, the experiment."""

import math

import numpy as np
import pytest

from bpcourse import Tensor, check, data, nn, optim, train
from bpcourse import functional as F
from bpcourse.check import ch07
from bpcourse.clip import clip_grad_norm


def test_split_reference_is_data_standardize_on_the_permutation():
    rng = np.random.default_rng(3)
    X, y = rng.normal(2, 3, size=(30, 4)), rng.integers(0, 3, 30)
    X[:, 2] = 7.0                                     # a constant column
    got = ch07._split_train_val(X, y, 10, np.random.default_rng(9))
    order = np.random.default_rng(9).permutation(30)
    want_tr, want_val = data.standardize(X[order[10:]], X[order[:10]])
    assert np.allclose(got[0], want_tr, rtol=0, atol=1e-14)
    assert np.allclose(got[2], want_val, rtol=0, atol=1e-14)
    assert np.array_equal(got[1], y[order[10:]]) and np.array_equal(got[3], y[order[:10]])


def test_initial_loss_is_the_cross_entropy_of_uniform_logits():
    loss = F.cross_entropy(Tensor(np.zeros((5, 26))), np.arange(5)).data
    assert float(loss) == pytest.approx(ch07._initial_loss_by_hand(), rel=1e-15)
    assert ch07._initial_loss_by_hand() == pytest.approx(math.log(26))


def test_evaluate_reference_agrees_with_train_evaluate():
    rng = np.random.default_rng(4)
    layer = nn.Linear(3, 4, rng=rng)
    X, y = rng.normal(size=(23, 3)) * 5, rng.integers(0, 4, 23)
    model = ch07.BatchModel(layer.weight.data, layer.bias.data, 5)
    loss, acc = ch07._evaluate_batches(model, X, y, 5)
    want = train.evaluate(layer, F.cross_entropy, X, y, batch_size=5)
    assert loss == pytest.approx(want[0], rel=1e-12) and acc == want[1]
    with pytest.raises(ValueError, match="at most 5 rows"):
        model(X)


def test_early_stopping_by_hand():
    assert ch07._early_stopping([1.0, 0.8, 0.7, 0.75, 0.72, 0.9, 0.6], 3) == (3, 6)
    assert ch07._early_stopping([3.0, 2.0, 1.0], 1) == (3, 3)
    assert ch07._early_stopping([1.0, 1.0, 1.0], 2) == (1, 3)


def test_torch_reference_trains_exactly_as_the_bpcourse_loop():
    torch = pytest.importorskip("torch")
    case = check.torch_train.case(1)                 # SGD with momentum, clipping on
    t_model, t_opt, batches, max_norm = case.args
    b_model = nn.MLP([3, 4, 3], activation="tanh", rng=np.random.default_rng(0))
    for p_b, p_t in zip(b_model.parameters(), t_model.parameters(), strict=True):
        p_b.data = p_t.detach().numpy().copy()
    b_opt = optim.SGD(b_model.parameters(), lr=0.1, momentum=0.9)
    b_losses = []
    for X, y in batches:                             # the loop exercise 7.6 shows
        b_opt.zero_grad()
        loss = F.cross_entropy(b_model(Tensor(X.numpy())), y.numpy())
        loss.backward()
        clip_grad_norm(b_model.parameters(), max_norm)
        b_opt.step()
        b_losses.append(float(loss.data))
    t_losses = ch07._torch_train(t_model, t_opt, batches, max_norm)
    assert np.allclose(b_losses, t_losses, rtol=1e-13, atol=0)
    for p_b, p_t in zip(b_model.parameters(), t_model.parameters(), strict=True):
        assert np.allclose(p_b.data, p_t.detach().numpy(), rtol=0, atol=1e-14)
    assert torch.is_tensor(batches[0][0])


def test_without_torch_the_check_says_how_to_install_and_does_not_raise(monkeypatch):
    monkeypatch.setattr(ch07, "torch_available", lambda: False)
    for exercise in (check.torch_train, check.fixed_torch_loop):
        result = exercise(exercise.reference)        # would raise on a failure
        assert result.status == "not attempted"
        assert "pip install torch" in str(result)


def test_overfitting_answer_is_what_the_experiment_shows():
    X, y, _, _ = data.mnist1d()
    X_tr, X_val, y_tr, y_val = data.train_test_split(X, y, 800, rng=np.random.default_rng(0))
    X_tr, X_val = data.standardize(X_tr, X_val)
    runs = ch07.overfit_experiment(X_tr, y_tr, X_val, y_val)
    overfit = "".join(k for k, h in runs.items()
                      if h.val_loss[-1] > 1.5 * min(h.val_loss) and h.train_loss[-1] < 0.1)
    assert overfit == ch07._overfitting_runs() == "cd"
