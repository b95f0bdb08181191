"""The training loop: mini-batches, an optimizer, a history to plot.

``fit`` is the loop every framework hides, written out once::

    for each epoch:
        for each mini-batch (X_b, y_b), drawn without replacement:
            zero the gradients
            loss = loss_fn(model(X_b), y_b)        forward pass
            loss.backward()                        backward pass: the gradients
            clip the gradients (optional)
            optimizer.step()                       the optimizer moves the weights
            schedule.step() (optional)

and it records what the chapters plot: the loss, learning rate and gradient
norms (total and per parameter) at every step, and the loss and accuracy of
every epoch, on the training and validation sets. See chapter 7.
"""

import math
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .clip import clip_grad_norm
from .data import batches, num_batches
from .tensor import Tensor, no_grad

# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


def _values(x):
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def accuracy(logits, y):
    """The fraction of rows whose largest logit is at the true class ``y``."""
    z, y = _values(logits), _values(y)
    if z.ndim != 2 or z.shape[0] != y.shape[0]:
        raise ValueError(f"accuracy needs logits (N, C) and labels (N,), got {z.shape}"
                         f" and {y.shape}")
    return float(np.mean(np.argmax(z, axis=1) == y))


def _is_classification(out, y):
    return np.asarray(y).dtype.kind in "iu" and out.ndim == 2 and out.shape[1] >= 2


def evaluate(model, loss_fn, X, y, batch_size=1024):
    """Mean loss and accuracy of ``model`` on ``(X, y)``, without recording a graph.

    Returns ``(loss, acc)``; ``acc`` is None unless the labels are integers
    and the model outputs one logit per class.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    total, correct, n = 0.0, 0.0, len(X)
    classify = None
    with no_grad():
        for Xb, yb in batches(X, y, batch_size, shuffle=False):
            out = model(Tensor(Xb))
            total += float(_values(loss_fn(out, yb))) * len(Xb)
            if classify is None:
                classify = _is_classification(out.data, yb)
            if classify:
                correct += accuracy(out, yb) * len(Xb)
    return total / n, (correct / n if classify else None)


# ---------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------


@dataclass
class History:
    """What ``fit`` recorded. Per step: ``loss``, ``lr``, ``grad_norm`` (the total
    norm before clipping) and ``layer_grad_norm[name]`` (one list per parameter,
    e.g. ``"layers.0.weight"``). Per epoch: ``train_loss`` (mean over the
    epoch's batches), ``train_acc`` (accuracy on those batches as they were
    seen during the epoch), ``val_loss``, ``val_acc`` and ``epoch_end`` (the
    number of steps done when the epoch ended). ``diverged`` is True when
    training stopped on a NaN or infinite loss; ``message`` says why;
    ``seconds`` is the wall-clock time of the whole run.
    """

    loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    layer_grad_norm: dict = field(default_factory=dict)
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    epoch_end: list = field(default_factory=list)
    diverged: bool = False
    message: str = ""
    seconds: float = 0.0

    @property
    def steps(self):
        return len(self.loss)

    @property
    def epochs(self):
        return len(self.train_loss)

    def summary(self):
        """One line: the last epoch's numbers."""
        if not self.train_loss:
            return self.message or "no epoch finished"
        parts = [f"epoch {self.epochs}", f"loss {self.train_loss[-1]:.4f}"]
        if self.train_acc and self.train_acc[-1] is not None:
            parts.append(f"acc {100 * self.train_acc[-1]:.1f}%")
        if self.val_loss:
            parts.append(f"val_loss {self.val_loss[-1]:.4f}")
        if self.val_acc and self.val_acc[-1] is not None:
            parts.append(f"val_acc {100 * self.val_acc[-1]:.1f}%")
        # no wall-clock time here: a notebook's saved output must not change between runs
        return "  ".join(parts)


# ---------------------------------------------------------------------------
# Progress: one updating line, in a terminal or in a notebook
# ---------------------------------------------------------------------------


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class _Progress:
    """A text progress line: ``\\r`` rewrites in a terminal, a display update in Jupyter.

    In Jupyter the updating line starts empty and is emptied again at the end,
    when the last line is printed for good: a notebook saved by a runner that
    drops display updates (nbval, and so the website) then shows the finished
    line, not the first one.
    """

    def __init__(self, verbose):
        self.mode = None if not verbose else ("notebook" if _in_notebook() else "terminal")
        self.handle, self.last, self.width, self.text = None, 0.0, 0, None

    def show(self, text, force=False):
        now = time.perf_counter()
        if self.mode is None or (not force and now - self.last < 0.1):
            return
        self.last, self.text = now, text
        if self.mode == "notebook":
            from IPython.display import display
            if self.handle is None:
                self.handle = display({"text/html": "", "text/plain": ""}, raw=True,
                                      display_id=True)
            self.handle.update({"text/plain": text}, raw=True)
        else:
            sys.stdout.write("\r" + text.ljust(self.width))
            sys.stdout.flush()
            self.width = len(text)

    def newline(self):
        if self.mode == "terminal":
            sys.stdout.write("\n")
            sys.stdout.flush()
            self.width = 0

    def close(self):
        """In Jupyter: empty the updating line and print the last one for good."""
        if self.mode == "notebook" and self.handle is not None:
            self.handle.update({"text/html": "", "text/plain": ""}, raw=True)
            print(self.text)
            self.handle = None


def _bar(done, total, width=20):
    filled = int(width * done / total) if total else width
    return "[" + "=" * filled + " " * (width - filled) + "]"


# ---------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------


def _named_parameters(model):
    if hasattr(model, "named_parameters"):
        return list(model.named_parameters())
    return [(f"param{i}", p) for i, p in enumerate(model.parameters())]


def fit(model, loss_fn, data, optimizer, epochs, batch_size, rng, schedule=None, clip=None,
        val_data=None, verbose=True, shuffle=True, drop_last=False):
    """Train ``model`` with mini-batches; returns a ``History``.

    ``data`` and ``val_data`` are pairs ``(X, y)`` of arrays; ``loss_fn(out, y)``
    returns a scalar Tensor (e.g. ``functional.cross_entropy``). Each epoch
    visits every row once in a fresh order drawn from ``rng`` (see
    ``data.batches`` for ``shuffle`` and ``drop_last``).

    ``schedule`` is a scheduler object (``optim.CosineAnnealingLR(opt, ...)``),
    stepped after every optimizer step, or a function ``step -> lr`` called
    before every step. ``clip`` clips the gradients to that total norm.
    ``verbose=False`` prints nothing.

    A NaN or infinite loss or gradient stops training with a warning; the
    history then has ``diverged=True`` and the reason in ``message``.
    See chapter 7, "The training loop".
    """
    X, y = (np.asarray(a) for a in data)
    X = X.astype(np.float64, copy=False)
    if len(X) != len(y):
        raise ValueError(f"data: X has {len(X)} rows but y has {len(y)}")
    if isinstance(epochs, bool) or not float(epochs).is_integer() or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip must be a positive number or None, got {clip!r}")
    if schedule is not None and not (hasattr(schedule, "step") or callable(schedule)):
        raise TypeError("schedule must be a scheduler with .step() or a function step -> lr")
    named = _named_parameters(model)
    params = [p for _, p in named]
    hist = History(layer_grad_norm={name: [] for name, _ in named})
    per_epoch = num_batches(len(X), batch_size, drop_last)
    progress = _Progress(verbose)
    start = time.perf_counter()

    def stop(reason):
        hist.diverged = True
        hist.message = (f"fit stopped at epoch {epoch + 1}, step {hist.steps}: {reason}. Try a"
                        f" smaller learning rate (it was {optimizer.lr:.3g}) or clip=... .")
        warnings.warn(hist.message, RuntimeWarning, stacklevel=3)

    for epoch in range(int(epochs)):
        losses, hits, seen = [], 0.0, 0
        classify = None
        for i, (Xb, yb) in enumerate(batches(X, y, batch_size, rng, shuffle, drop_last)):
            if schedule is not None and not hasattr(schedule, "step"):
                optimizer.lr = schedule(hist.steps)
            optimizer.zero_grad()
            out = model(Tensor(Xb))
            loss = loss_fn(out, yb)
            value = float(_values(loss))
            if not math.isfinite(value):
                stop(f"the loss is {value}")
                break
            loss.backward()
            norms = [float(np.linalg.norm(p.grad)) if p.grad is not None else 0.0 for p in params]
            total = math.sqrt(sum(n * n for n in norms))
            if not math.isfinite(total):
                stop(f"the gradient norm is {total}")
                break
            if clip is not None:
                clip_grad_norm(params, clip)
            hist.lr.append(optimizer.lr)
            optimizer.step()
            if schedule is not None and hasattr(schedule, "step"):
                schedule.step()
            hist.loss.append(value)
            hist.grad_norm.append(total)
            for (name, _), n in zip(named, norms, strict=True):
                hist.layer_grad_norm[name].append(n)
            losses.append(value * len(Xb))
            seen += len(Xb)
            if classify is None:
                classify = _is_classification(out.data, yb)
            if classify:
                hits += accuracy(out, yb) * len(Xb)
            progress.show(f"epoch {epoch + 1}/{epochs} {_bar(i + 1, per_epoch)} {i + 1}/{per_epoch}"
                          f"  loss {value:.4f}   {hist.summary() if hist.epochs else ''}")
        if hist.diverged:
            break
        hist.train_loss.append(sum(losses) / seen)
        hist.train_acc.append(hits / seen if classify else None)
        hist.epoch_end.append(hist.steps)
        if val_data is not None:
            vl, va = evaluate(model, loss_fn, *val_data)
            hist.val_loss.append(vl)
            hist.val_acc.append(va)
        hist.seconds = time.perf_counter() - start
        progress.show(hist.summary(), force=True)
        progress.newline()
    hist.seconds = time.perf_counter() - start
    if hist.diverged:
        progress.show(hist.message, force=True)
        progress.newline()
    progress.close()
    return hist


def lr_find(model, loss_fn, data, optimizer, batch_size, rng, lr_min=1e-6, lr_max=10.0,
            steps=100, diverge=4.0):
    """A learning-rate range test on a model: returns ``(lrs, losses)``.

    Trains on successive mini-batches while the learning rate grows
    exponentially from ``lr_min`` to ``lr_max``, stops when the loss
    explodes, then restores the weights and the optimizer. Pick a rate a
    little below the one where the loss falls fastest.
    See ``schedules.lr_range_test`` and chapter 3, "A learning-rate range test".
    """
    from .schedules import lr_range_test

    X, y = (np.asarray(a) for a in data)
    X = X.astype(np.float64, copy=False)

    def endless():
        while True:
            yield from batches(X, y, batch_size, rng)

    stream = endless()

    def closure():
        Xb, yb = next(stream)
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(Xb)), yb)
        loss.backward()
        return float(_values(loss))

    return lr_range_test(closure, optimizer, lr_min, lr_max, steps, diverge)
