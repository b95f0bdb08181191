"""Checks for chapter 7: training on real data, and moving to PyTorch.

7.1 ``split_train_val(X, y, n_val, rng)``             a split without leakage
7.2 ``initial_loss_by_hand()``                        ln C for C = 26 classes
7.3 ``evaluate_batches(predict, X, y, batch_size)``   loss and accuracy over batches
7.4 ``early_stopping(val_loss, patience)``            the best and the last epoch
7.5 ``overfitting_runs()``                            which runs overfit
7.6 ``torch_train(model, optimizer, batches, max_norm)``  a bpcourse loop in PyTorch
7.7 ``fixed_torch_loop(model, optimizer, batches, gamma)`` debug a PyTorch loop

Exercises 7.6 and 7.7 need PyTorch. It is imported only when their check
runs, never with ``bpcourse.check``; without it the check says so and how
to install it, and counts the exercise as not attempted. Their answers are
what the loop does to the model: ``observe`` reads the losses returned and
the weights after the call. See chapter 7, "Moving to PyTorch".
"""

import math

import numpy as np

from ._core import Case, Exercise, Mistake, accept_hidden_number
from ._exercise import Problem
from ._report import NOT_ATTEMPTED

__all__ = ["split_train_val", "initial_loss_by_hand", "evaluate_batches", "early_stopping",
           "torch_train", "fixed_torch_loop", "overfitting_runs", "BatchModel",
           "torch_available", "OVERFIT_RUNS", "overfit_experiment"]


# ---------------------------------------------------------------------------
# 7.1 split_train_val(X, y, n_val, rng) -> X_train, y_train, X_val, y_val
# ---------------------------------------------------------------------------


def _split_train_val(X, y, n_val, rng):
    """The first n_val rows of rng.permutation go to validation; both parts are
    standardised with the training part's mean and std (a std of 0 counts as 1)."""
    order = rng.permutation(len(X))
    val, tr = order[:n_val], order[n_val:]
    mean = X[tr].mean(axis=0)
    std = X[tr].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (X[tr] - mean) / std, y[tr], (X[val] - mean) / std, y[val]


def _split_cases(rng):
    cases = []
    for i in range(8):
        n, d = int(rng.integers(6, 30)), int(rng.integers(1, 5))
        X = rng.normal(2.0, 3.0, size=(n, d))
        y = rng.integers(0, 4, size=n)
        cases.append(Case((X, y, int(rng.integers(1, n - 2)), np.random.default_rng(i)),
                          label=f"random: {n} rows, {d} columns"))
    return cases


def _split_all_stats(X, y, n_val, rng):
    order = rng.permutation(len(X))
    val, tr = order[:n_val], order[n_val:]
    mean, std = X.mean(axis=0), X.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (X[tr] - mean) / std, y[tr], (X[val] - mean) / std, y[val]


def _split_val_own_stats(X, y, n_val, rng):
    order = rng.permutation(len(X))
    val, tr = order[:n_val], order[n_val:]

    def scaled(A):
        std = A.std(axis=0)
        return (A - A.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return scaled(X[tr]), y[tr], scaled(X[val]), y[val]


def _split_val_unscaled(X, y, n_val, rng):
    order = rng.permutation(len(X))
    val, tr = order[:n_val], order[n_val:]
    std = X[tr].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (X[tr] - X[tr].mean(axis=0)) / std, y[tr], X[val], y[val]


def _split_val_last(X, y, n_val, rng):
    order = rng.permutation(len(X))
    val, tr = order[len(X) - n_val:], order[:len(X) - n_val]
    std = X[tr].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (X[tr] - X[tr].mean(axis=0)) / std, y[tr], (X[val] - X[tr].mean(axis=0)) / std, y[val]


def _train_constant_case():
    """Column 1 is 4.0 on every training row and different on the validation rows:
    its training std is 0, so it is divided by 1, not by a tiny number."""
    rng_seed, n, n_val = 7, 7, 2
    X = np.arange(21.0).reshape(n, 3) ** 1.2
    val = np.random.default_rng(rng_seed).permutation(n)[:n_val]
    X[:, 1] = 4.0
    X[val, 1] = [6.5, -1.0]
    return Case((X, np.array([2, 0, 1, 1, 0, 2, 0]), n_val, np.random.default_rng(rng_seed)),
                label="column 1 constant on the training rows only (std 0 there)")


_CONST = np.array([[1.0, 5.0, 0.5], [2.0, 5.0, -0.5], [4.0, 5.0, 1.5], [3.0, 5.0, 2.5],
                   [0.0, 5.0, -1.5], [6.0, 5.0, 0.0]])

split_train_val = Exercise(
    id="7.1", name="split_train_val", reference=_split_train_val,
    cases=[
        Case((_CONST, np.array([0, 1, 2, 0, 1, 2]), 2, np.random.default_rng(0)),
             label="6 rows, 2 for validation; column 2 is constant (std 0)"),
        Case((_CONST * 10 + 1, np.array([3, 3, 1, 0, 2, 1]), 1, np.random.default_rng(5)),
             label="one validation row"),
        Case((np.arange(24.0).reshape(8, 3) ** 1.5, np.arange(8) % 3, 3,
              np.random.default_rng(2)), label="8 rows, 3 for validation"),
        _train_constant_case(),
    ],
    random_cases=_split_cases,
    mistakes=[
        Mistake("statistics from all the data (leakage)",
                "The mean and standard deviation must come from the training rows only: "
                "computed on all rows, they carry information about the validation set "
                'into training (see "The data" in chapter 7).',
                _split_all_stats),
        Mistake("validation set scaled with its own statistics",
                "Scale the validation rows with the *training* mean and std, exactly as "
                "the training rows: the model only knows the training scale.",
                _split_val_own_stats),
        Mistake("validation set not scaled",
                "Scale the validation rows too, with the training mean and std.",
                _split_val_unscaled),
        Mistake("validation rows taken from the end of the order",
                "Take the *first* n_val indices of rng.permutation(len(X)) for "
                "validation and the rest for training.",
                _split_val_last),
    ],
    returns=("X_train", "y_train", "X_val", "y_val"),
    hint="order = rng.permutation(len(X)); validation = order[:n_val]; mean and std "
         "per column from the training rows only; a std of 0 is replaced by 1.",
    doc='See chapter 7, "The data".',
)


# ---------------------------------------------------------------------------
# 7.2 initial_loss_by_hand() -> float
# ---------------------------------------------------------------------------

N_LETTERS = 26


def _initial_loss_by_hand():
    """Uniform predictions over C classes: -ln(1/C) = ln C."""
    return math.log(N_LETTERS)


def _loss_log10():
    return math.log10(26)


def _loss_log2():
    return math.log2(26)


def _loss_probability():
    return 1 / 26


def _loss_ten_classes():
    return math.log(10)


def _loss_negative():
    return -math.log(26)


_judge_initial_loss = accept_hidden_number(
    "the expected initial loss",
    "With small random weights every class gets about the same probability; "
    "the loss is minus the log (natural) of the true class's probability.")


def _accept_initial_loss(got, expected, case):
    """As accept_hidden_number; a number right to 3 digits is told it was rounded."""
    verdict = _judge_initial_loss(got, expected, case)
    if verdict is not None and abs(float(got) - expected) <= 5e-3 * expected:
        return (f"{float(got):.6g} is close, but rounded: return the value computed "
                "by numpy (np.log of ...), not digits typed by hand; the check "
                "compares to a relative error of 1e-7.")
    return verdict


initial_loss_by_hand = Exercise(
    id="7.2", name="initial_loss_by_hand", reference=_initial_loss_by_hand,
    cases=[Case((), label="cross-entropy at initialisation, 26 classes")],
    accept=_accept_initial_loss,
    mistakes=[
        Mistake("logarithm to base 10",
                "Cross-entropy uses the natural logarithm, ln (np.log), not log10.",
                _loss_log10),
        Mistake("logarithm to base 2",
                "Cross-entropy in this book is in nats: the natural logarithm, not log2.",
                _loss_log2),
        Mistake("the probability instead of the loss",
                "1/C is the probability of the true class; the loss is −ln of it.",
                _loss_probability),
        Mistake("ln 10: ten classes",
                "ln 10 is the value for MNIST-1D's ten classes; here there are 26.",
                _loss_ten_classes),
        Mistake("sign error",
                "A loss is −ln p, and p ≤ 1, so the loss is positive.",
                _loss_negative),
    ],
    hint='See "Sanity checks before training" in chapter 7.',
    doc='See chapter 7, "Sanity checks before training".',
)


# ---------------------------------------------------------------------------
# 7.3 evaluate_batches(predict, X, y, batch_size) -> (loss, accuracy)
# ---------------------------------------------------------------------------


class BatchModel:
    """A linear classifier ``X @ W.T + b`` that refuses more than ``max_rows`` rows
    at once, like a model too large to run on the whole set in memory."""

    def __init__(self, W, b, max_rows):
        self.W, self.b, self.max_rows = W, b, max_rows

    def __call__(self, X):
        X = np.asarray(X)
        if len(X) > self.max_rows:
            raise ValueError(f"this model takes at most {self.max_rows} rows at a time "
                             f"(memory), got {len(X)}: evaluate in batches")
        return X @ self.W.T + self.b

    def __repr__(self):
        return f"BatchModel({self.W.shape[1]} inputs, {self.W.shape[0]} classes)"


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _evaluate_batches(predict, X, y, batch_size):
    """Mean cross-entropy and accuracy over all rows, batch by batch."""
    total, correct = 0.0, 0
    for start in range(0, len(X), batch_size):
        z = predict(X[start:start + batch_size])
        yb = y[start:start + batch_size]
        total += -_log_softmax(z)[np.arange(len(yb)), yb].sum()
        correct += int((z.argmax(axis=1) == yb).sum())
    return total / len(X), correct / len(X)


def _eval_case(rng, n, d, c, batch_size, label, scale=1.0):
    W, b = rng.normal(size=(c, d)) * scale, rng.normal(size=c)
    return Case((BatchModel(W, b, batch_size), rng.normal(size=(n, d)),
                 rng.integers(0, c, size=n), batch_size), label=label)


def _confident_case():
    """Every row is classified correctly with a margin of 12 to 20: the loss per row
    is about 1e-6, which float32 arithmetic (7 digits next to 1) cannot resolve."""
    rng = np.random.default_rng(71)
    X = rng.normal(size=(9, 4))
    W = rng.normal(size=(5, 4))
    y = (X @ W.T).argmax(axis=1)
    b = np.zeros(5)
    z = X @ W.T
    top = z[np.arange(9), y]
    margin = top - np.sort(z, axis=1)[:, -2]
    W = W * (16.0 / margin.min())
    return Case((BatchModel(W, b, 4), X, y, 4),
                label="confident, correct predictions: a loss near 1e-6 (float64 needed)")


def _eval_cases(rng):
    return [_eval_case(rng, int(rng.integers(5, 40)), 3, 4, int(rng.integers(2, 9)),
                       "random") for _ in range(8)]


def _eval_mean_of_means(predict, X, y, batch_size):
    losses, accs = [], []
    for start in range(0, len(X), batch_size):
        z = predict(X[start:start + batch_size])
        yb = y[start:start + batch_size]
        losses.append(-_log_softmax(z)[np.arange(len(yb)), yb].mean())
        accs.append(np.mean(z.argmax(axis=1) == yb))
    return float(np.mean(losses)), float(np.mean(accs))


def _eval_drop_last(predict, X, y, batch_size):
    total, correct, n = 0.0, 0, 0
    for start in range(0, len(X) - batch_size + 1, batch_size):
        z = predict(X[start:start + batch_size])
        yb = y[start:start + batch_size]
        total += -_log_softmax(z)[np.arange(len(yb)), yb].sum()
        correct += int((z.argmax(axis=1) == yb).sum())
        n += len(yb)
    return total / max(n, 1), correct / max(n, 1)


def _eval_count(predict, X, y, batch_size):
    loss, acc = _evaluate_batches(predict, X, y, batch_size)
    return loss, float(round(acc * len(X)))


def _eval_sum(predict, X, y, batch_size):
    loss, acc = _evaluate_batches(predict, X, y, batch_size)
    return loss * len(X), acc


_R = np.random.default_rng(70)

evaluate_batches = Exercise(
    id="7.3", name="evaluate_batches", reference=_evaluate_batches,
    cases=[
        _eval_case(_R, 10, 3, 4, 4, "10 rows in batches of 4: a last batch of 2"),
        _eval_case(_R, 12, 3, 4, 4, "12 rows in batches of 4: batches divide exactly"),
        _eval_case(_R, 1, 2, 3, 1, "a single row, batch size 1"),
        _eval_case(_R, 7, 2, 5, 3, "large logits (scale 300): log-softmax must be stable",
                   scale=300.0),
        Case((BatchModel(np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]), np.zeros(3), 8),
              np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 1.1]]), np.array([0, 0, 1]), 8),
             label="batch size larger than the set; labels without class 2"),
        _confident_case(),
    ],
    random_cases=_eval_cases,
    mistakes=[
        Mistake("mean of the batch means",
                "A short last batch must count less: add up the losses (and hits) of "
                "every row, then divide by the number of rows.",
                _eval_mean_of_means),
        Mistake("the last, short batch left out",
                "range(0, len(X), batch_size) visits every row; the last batch may be "
                "shorter than batch_size.",
                _eval_drop_last),
        Mistake("accuracy as a count",
                "Accuracy is a fraction: the number of correct rows divided by len(X).",
                _eval_count),
        Mistake("loss summed, not averaged",
                "Divide the summed loss by the number of rows: the mean loss per example.",
                _eval_sum),
    ],
    returns=("loss", "accuracy"),
    hint="For each batch, add −log p of the true class for every row (a stable "
         "log-softmax) and the number of correct argmaxes; divide both sums by len(X).",
    doc='See chapter 7, "The training loop".',
)


# ---------------------------------------------------------------------------
# 7.4 early_stopping(val_loss, patience) -> (best_epoch, stop_epoch)
# ---------------------------------------------------------------------------


def _early_stopping(val_loss, patience):
    """Epochs count from 1. Stop after `patience` epochs without a strict improvement."""
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_loss, 1):
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_loss)


def _early_cases(rng):
    cases = []
    for _ in range(8):
        n = int(rng.integers(4, 25))
        curve = np.round(1 / np.arange(1, n + 1) + 0.02 * np.arange(n)
                         + rng.normal(0, 0.02, n), 2)
        cases.append(Case((list(map(float, curve)), int(rng.integers(1, 5))),
                          label=f"a noisy curve of {n} epochs"))
    return cases


def _early_ties_improve(val_loss, patience):
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_loss, 1):
        if loss <= best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_loss)


def _early_from_zero(val_loss, patience):
    best_epoch, stop = _early_stopping(val_loss, patience)
    return best_epoch - 1, stop - 1


def _early_late(val_loss, patience):
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_loss, 1):
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience + 1:
                return best_epoch, epoch
    return best_epoch, len(val_loss)


def _early_no_reset(val_loss, patience):
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_loss, 1):
        if loss < best:
            best, best_epoch = loss, epoch
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_loss)


def _early_best_is_last(val_loss, patience):
    _, stop = _early_stopping(val_loss, patience)
    return stop, stop


early_stopping = Exercise(
    id="7.4", name="early_stopping", reference=_early_stopping,
    cases=[
        Case(([1.0, 0.8, 0.7, 0.75, 0.72, 0.9, 0.6], 3),
             label="best at epoch 3, three epochs without improvement"),
        Case(([1.0, 0.8, 0.8, 0.8, 0.7], 2), label="a tie is not an improvement"),
        Case(([1.0, 0.9, 0.8, 0.7], 2), label="always improving: never stops"),
        Case(([0.5, 0.6, 0.4, 0.45, 0.3, 0.35, 0.36], 2),
             label="improvements reset the count"),
        Case(([0.5, 0.6], 1), label="patience 1"),
        Case(([0.7], 3), label="a single epoch"),
        Case(([1.0, 0.8, 0.9], 5), label="the data end before patience runs out"),
        Case(([1.0, 0.7, 0.9, 0.7, 0.8, 0.9], 3),
             label="two epochs tie for the lowest loss: the first is kept"),
        Case(([0.5, 0.9, 0.8, 0.7, 0.6], 4), label="never improves after epoch 1"),
        Case(([0.8, 0.7, 0.6999, 0.71, 0.72], 2),
             label="a tiny improvement (0.7 to 0.6999) is an improvement"),
        Case(([1.0, math.nan, 0.9, math.nan, math.nan, 0.5], 2),
             label="NaN (a diverged epoch) is not an improvement"),
    ],
    random_cases=_early_cases,
    mistakes=[
        Mistake("a tie counted as an improvement",
                "Only a strictly lower validation loss is an improvement (loss < best).",
                _early_ties_improve),
        Mistake("epochs counted from 0",
                "Epochs are numbered from 1: the first value in val_loss is epoch 1.",
                _early_from_zero),
        Mistake("stops one epoch late",
                "Stop at the epoch that makes `patience` epochs in a row without "
                "improvement, not one after it.",
                _early_late),
        Mistake("count not reset after an improvement",
                "Set the count of epochs without improvement back to 0 whenever the "
                "validation loss improves.",
                _early_no_reset),
        Mistake("the stopping epoch given as the best",
                "best_epoch is where the validation loss was lowest: the weights to "
                "keep, not the epoch where training stopped.",
                _early_best_is_last),
    ],
    returns=("best_epoch", "stop_epoch"),
    hint="Keep the best loss so far, its epoch, and a count of epochs since it; stop "
         "when the count reaches patience.",
    doc='See chapter 7, "Reading the curves".',
)


# ---------------------------------------------------------------------------
# PyTorch exercises: imported when checked, never with bpcourse.check
# ---------------------------------------------------------------------------


def torch_available():
    """True when ``import torch`` works."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


_INSTALL = ("This exercise needs PyTorch, which is not installed in this kernel. "
            "Install it with `pip install torch` (the CPU build is enough: "
            "`pip install torch --index-url https://download.pytorch.org/whl/cpu`), "
            "restart the kernel and run the chapter again. Until then this "
            "exercise is not checked; everything else in the chapter runs.")


class _TorchExercise(Exercise):
    """An exercise whose cases are PyTorch objects: without torch, a clear note."""

    def run(self, fn):
        if not torch_available():
            problem = Problem(f"{self.name}: not checked, PyTorch is not installed "
                              f"(exercise {self.id})", [("", _INSTALL)],
                              status=NOT_ATTEMPTED)
            return self._result(problem, 0, passed=0)
        return super().run(fn)


def _torch_model(rng, sizes, dtype_name="float64"):
    import torch
    layers = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        lin = torch.nn.Linear(n_in, n_out, dtype=getattr(torch, dtype_name))
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(rng.normal(0, 0.8, (n_out, n_in))))
            lin.bias.copy_(torch.from_numpy(rng.normal(0, 0.3, n_out)))
        layers.append(lin)
        if k < len(sizes) - 2:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def _torch_batches(rng, steps, n, d, c):
    import torch
    return [(torch.from_numpy(rng.normal(size=(n, d))),
             torch.from_numpy(rng.integers(0, c, size=n))) for _ in range(steps)]


def _torch_optimizer(name, model):
    import torch
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return torch.optim.Adam(model.parameters(), lr=0.05)


def _losses_and_weights(returned, args, kwargs):
    losses = np.array([float(v) for v in returned], dtype=np.float64)
    weights = tuple(p.detach().numpy().copy() for p in args[0].parameters())
    return losses, *weights


# 7.6 -----------------------------------------------------------------------


def _torch_train(model, optimizer, batches, max_norm):
    """bpcourse's loop, in PyTorch: zero, forward, loss, backward, clip, step."""
    import torch
    losses = []
    for X, y in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        losses.append(loss.item())
    return losses


def _train_case(seed, optimizer, max_norm, steps, n, label):
    rng = np.random.default_rng(seed)
    model = _torch_model(rng, (3, 4, 3))
    return Case((model, _torch_optimizer(optimizer, model), _torch_batches(rng, steps, n, 3, 3),
                 max_norm), label=label)


def _train_cases(rng):
    fixed = [
        _train_case(1, "sgd", 0.5, 3, 5, "SGD with momentum, 3 batches, clipping at 0.5"),
        _train_case(2, "sgd", 100.0, 3, 4, "max_norm 100: no clipping happens"),
        _train_case(3, "adam", 0.3, 3, 6, "Adam, clipping at 0.3"),
        _train_case(4, "sgd", 0.2, 2, 1, "batches of one example"),
    ]
    seeds = rng.integers(100, 10**6, size=4)
    return fixed + [_train_case(int(s), ("sgd", "adam")[k % 2], float(rng.uniform(0.1, 2)),
                                3, int(rng.integers(2, 7)), "random")
                    for k, s in enumerate(seeds)]


def _loop_with(model, optimizer, batches, *, zero_first=True, loss_input=None,
               before_step=None, after_step=None):
    """The shared loop of the mistakes below: zero, forward, loss, backward,
    ``before_step()``, step, ``after_step()``. Each mistake changes one of these."""
    import torch
    losses = []
    for X, y in batches:
        if zero_first:
            optimizer.zero_grad()
        out = model(X)
        loss = torch.nn.functional.cross_entropy(loss_input(out) if loss_input else out, y)
        loss.backward()
        if before_step:
            before_step()
        optimizer.step()
        if after_step:
            after_step()
        losses.append(loss.item())
    return losses


def _softmax(out):
    import torch
    return torch.softmax(out, dim=1)


def _clip(model, max_norm):
    import torch
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)


def _train_no_zero_grad(model, optimizer, batches, max_norm):
    return _loop_with(model, optimizer, batches, zero_first=False,
                      before_step=lambda: _clip(model, max_norm))


def _train_softmax_first(model, optimizer, batches, max_norm):
    return _loop_with(model, optimizer, batches, loss_input=_softmax,
                      before_step=lambda: _clip(model, max_norm))


def _train_no_clip(model, optimizer, batches, max_norm):
    return _loop_with(model, optimizer, batches)


def _train_zero_before_step(model, optimizer, batches, max_norm):
    def clip_then_zero():
        _clip(model, max_norm)
        optimizer.zero_grad()
    return _loop_with(model, optimizer, batches, zero_first=False, before_step=clip_then_zero)


torch_train = _TorchExercise(
    id="7.6", name="torch_train", reference=_torch_train, cases=[],
    random_cases=_train_cases, observe=_losses_and_weights,
    mistakes=[
        Mistake("gradients never zeroed",
                "PyTorch adds every backward() into .grad: call optimizer.zero_grad() "
                "before each backward pass, as bpcourse's loop does.",
                _train_no_zero_grad),
        Mistake("gradients not clipped before the step",
                "Clip with torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm) "
                "between loss.backward() and optimizer.step(): clipping after the step "
                "(or not at all) leaves the step unclipped.",
                _train_no_clip),
        Mistake("softmax before cross_entropy",
                "torch.nn.functional.cross_entropy takes logits and applies "
                "log-softmax itself, as bpcourse's F.cross_entropy does: pass model(X).",
                _train_softmax_first),
        Mistake("gradients zeroed between backward and step",
                "zero_grad() after backward() throws the gradients away before the step "
                "can use them; call it at the start of each iteration.",
                _train_zero_before_step),
    ],
    returns=("losses",),
    hint="Line for line: optimizer.zero_grad(); loss = "
         "torch.nn.functional.cross_entropy(model(X), y); loss.backward(); "
         "clip_grad_norm_(...); optimizer.step(); losses.append(loss.item()).",
    doc='See chapter 7, "Moving to PyTorch".',
)


# 7.7 -----------------------------------------------------------------------


def _fixed_torch_loop(model, optimizer, batches, gamma):
    """Exponential decay of the learning rate, stepped once per batch."""
    import torch
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)
    model.train()
    losses = []
    for X, y in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def _loop_case(seed, optimizer, gamma, steps, n, label):
    rng = np.random.default_rng(seed)
    model = _torch_model(rng, (4, 5, 3))
    return Case((model, _torch_optimizer(optimizer, model), _torch_batches(rng, steps, n, 4, 3),
                 gamma), label=label)


def _loop_cases(rng):
    fixed = [
        _loop_case(11, "sgd", 0.5, 3, 5, "SGD with momentum, gamma 0.5, 3 batches"),
        _loop_case(12, "adam", 0.8, 3, 4, "Adam, gamma 0.8"),
        _loop_case(13, "sgd", 0.9, 2, 1, "batches of one example"),
    ]
    seeds = rng.integers(100, 10**6, size=4)
    return fixed + [_loop_case(int(s), ("sgd", "adam")[k % 2], float(rng.uniform(0.3, 0.95)),
                               3, int(rng.integers(2, 7)), "random")
                    for k, s in enumerate(seeds)]


def _loop_no_zero_grad(model, optimizer, batches, gamma):
    import torch
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)
    return _loop_with(model, optimizer, batches, zero_first=False, after_step=scheduler.step)


def _loop_softmax(model, optimizer, batches, gamma):
    import torch
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)
    return _loop_with(model, optimizer, batches, loss_input=_softmax, after_step=scheduler.step)


def _loop_scheduler_first(model, optimizer, batches, gamma):
    import torch
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)
    return _loop_with(model, optimizer, batches, before_step=scheduler.step)


def _loop_no_scheduler(model, optimizer, batches, gamma):
    return _loop_with(model, optimizer, batches)


fixed_torch_loop = _TorchExercise(
    id="7.7", name="fixed_torch_loop", reference=_fixed_torch_loop, cases=[],
    random_cases=_loop_cases, observe=_losses_and_weights,
    mistakes=[
        Mistake("zero_grad still missing",
                "Without optimizer.zero_grad() each backward() adds to the gradients "
                "of every earlier batch.",
                _loop_no_zero_grad),
        Mistake("softmax still applied before cross_entropy",
                "cross_entropy takes logits: it applies log-softmax itself. Pass "
                "model(X) directly.",
                _loop_softmax),
        Mistake("scheduler.step() still before optimizer.step()",
                "The scheduler changes the learning rate for the *next* step: call "
                "optimizer.step() first, then scheduler.step().",
                _loop_scheduler_first),
        Mistake("the scheduler never stepped",
                "Keep the schedule: scheduler.step() once per batch, after "
                "optimizer.step().",
                _loop_no_scheduler),
    ],
    returns=("losses",),
    hint="Three lines are wrong: the gradients, the loss's input, and the order of "
         "two calls.",
    doc='See chapter 7, "Moving to PyTorch".',
)


# ---------------------------------------------------------------------------
# 7.5 overfitting_runs() -> letters
# ---------------------------------------------------------------------------

# The four runs of the question: (width of both hidden layers, training rows).
OVERFIT_RUNS = {"a": (32, 3200), "b": (128, 3200), "c": (32, 200), "d": (128, 200)}


def _overfitting_runs():
    """The runs on 200 rows: their validation loss turns up within the budget."""
    return "".join(k for k, (_, n) in OVERFIT_RUNS.items() if n < 1000)


def _letters(answer):
    if not isinstance(answer, str):
        raise TypeError
    return "".join(sorted(set(answer.lower()) - set(" ,;()")))


def _accept_letters(got, expected, case):
    try:
        letters = _letters(got)
    except TypeError:
        return f"return a string of letters such as 'ab', got {type(got).__name__}"
    if not set(letters) <= set(OVERFIT_RUNS):
        return f"{got!r}: use the letters a, b, c and d only"
    if letters == _letters(expected):
        return None
    return (f"{got!r} is not the set of runs that overfit. Look at what each run has "
            "more of: weights to fit with, or examples to fit.")


def _over_big_nets():
    return "bd"


def _over_big_net_small_data():
    return "d"


def _over_big_data():
    return "ab"


def _over_none():
    return ""


def _over_all():
    return "abcd"


overfitting_runs = Exercise(
    id="7.5", name="overfitting_runs", reference=_overfitting_runs,
    cases=[Case((), label="four runs, 12,800 examples each")],
    accept=_accept_letters,
    mistakes=[
        Mistake("the wide networks",
                "Width alone does not overfit: on 3,200 rows, a budget of 12,800 examples "
                "sees each row only four times. It is the number of passes over few rows "
                "that lets a network memorise them.",
                _over_big_nets),
        Mistake("only the wide network on few rows",
                "A network of width 32 already has over 2,000 weights: plenty to "
                "memorise 200 rows seen 64 times each.",
                _over_big_net_small_data),
        Mistake("the runs on all the data",
                "More data makes overfitting harder, not easier: each row is seen only "
                "a few times.",
                _over_big_data),
        Mistake("none of them",
                "12,800 examples are 64 passes over 200 rows: enough to "
                "memorise them.",
                _over_none),
        Mistake("all of them",
                "On 3,200 rows, 12,800 examples are only four epochs: the validation loss is "
                "still falling.",
                _over_all),
    ],
    hint='See "Reading the curves" in chapter 7.',
    doc='See chapter 7, "Reading the curves".',
)


def overfit_experiment(X, y, X_val, y_val, steps=400, batch_size=32, lr=3e-3, seed=1):
    """Run the four runs of exercise 7.5 with Adam; returns ``{letter: History}``."""
    from .. import functional as F
    from .. import nn, optim, train
    runs = {}
    for letter, (width, n) in OVERFIT_RUNS.items():
        rng = np.random.default_rng(seed)
        model = nn.MLP([X.shape[1], width, width, 10], rng=rng)
        opt = optim.Adam(model.parameters(), lr=lr)
        epochs = max(1, steps * batch_size // n)
        runs[letter] = train.fit(model, F.cross_entropy, (X[:n], y[:n]), opt, epochs,
                                 batch_size, rng, val_data=(X_val, y_val), verbose=False)
    return runs
