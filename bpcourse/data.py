"""Data sets for the chapters: small synthetic ones, and one real one offline.

Every synthetic set is drawn from the generator you pass as ``rng=``, so a
notebook gives the same numbers on every run. Inputs ``X`` are float64 of
shape ``(n, d)``; class labels ``y`` are int64 of shape ``(n,)`` (0, 1, ...),
regression targets float64.

The real set is the 8×8 handwritten digits (1797 images, UCI "Optical
Recognition of Handwritten Digits", CC BY 4.0), shipped inside the package:
see ``bpcourse/_datasets/README.md`` for its source and citation. The
second real benchmark, MNIST-1D, is generated on your machine by the
``mnist1d`` package and cached (``mnist1d()``).
"""

import hashlib
import json
import math
import os
import random
from importlib import resources
from pathlib import Path

import numpy as np


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, e.g. rng=np.random.default_rng(0);"
                        f" got {type(rng).__name__}")


def _check_n(n, name="n", least=1):
    if isinstance(n, bool) or not float(n).is_integer() or n < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {n!r}")
    return int(n)


def _check_noise(noise):
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise}")


def _shuffled(X, y, rng):
    order = rng.permutation(len(X))
    return X[order], y[order]


# ---------------------------------------------------------------------------
# Synthetic sets
# ---------------------------------------------------------------------------


def linear_regression(n=100, d=1, noise=0.1, *, rng, w=None, b=0.0, return_coef=False):
    """Points on a hyperplane plus Gaussian noise.

    x ~ N(0, I_d),   y = w·x + b + noise · ε,   ε ~ N(0, 1)

    ``w`` defaults to a draw from N(0, 1) of shape ``(d,)``. Returns ``(X, y)``,
    or ``(X, y, w, b)`` with ``return_coef=True``. See chapter 3.
    """
    _check_rng(rng)
    n, d = _check_n(n), _check_n(d, "d")
    _check_noise(noise)
    w = rng.standard_normal(d) if w is None else np.asarray(w, dtype=np.float64)
    if w.shape != (d,):
        raise ValueError(f"w must have shape ({d},), got {w.shape}")
    X = rng.standard_normal((n, d))
    y = X @ w + b + noise * rng.standard_normal(n)
    return (X, y, w.copy(), float(b)) if return_coef else (X, y)


def two_moons(n=200, noise=0.1, *, rng):
    """Two interleaving half circles, labels 0 and 1 (``n // 2`` and the rest).

    Class 0: (cos s, sin s); class 1: (1 − cos s, ½ − sin s), s ~ U(0, π),
    plus Gaussian noise of standard deviation ``noise``.
    """
    _check_rng(rng)
    n = _check_n(n, least=2)
    _check_noise(noise)
    n0 = n // 2
    s = rng.uniform(0, np.pi, n)
    X = np.where((np.arange(n) < n0)[:, None],
                 np.stack([np.cos(s), np.sin(s)], axis=1),
                 np.stack([1 - np.cos(s), 0.5 - np.sin(s)], axis=1))
    y = (np.arange(n) >= n0).astype(np.int64)
    return _shuffled(X + noise * rng.standard_normal((n, 2)), y, rng)


def circles(n=200, noise=0.05, factor=0.5, *, rng):
    """Two concentric circles: label 0 on radius 1, label 1 on radius ``factor``."""
    _check_rng(rng)
    n = _check_n(n, least=2)
    _check_noise(noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    y = (np.arange(n) >= n // 2).astype(np.int64)
    s = rng.uniform(0, 2 * np.pi, n)
    r = np.where(y == 0, 1.0, factor)
    X = np.stack([r * np.cos(s), r * np.sin(s)], axis=1)
    return _shuffled(X + noise * rng.standard_normal((n, 2)), y, rng)


def spirals(n=300, k=3, noise=0.2, *, rng):
    """``k`` spiral arms around the origin, one class per arm (cs231n's classic).

    Arm j: radius r ∈ [0, 1], angle 4r + 2πj/k + noise · ε. The classes are
    not linearly separable; a small MLP separates them.
    """
    _check_rng(rng)
    n, k = _check_n(n), _check_n(k, "k", least=2)
    if n < k:
        raise ValueError(f"n ({n}) must be at least k ({k})")
    _check_noise(noise)
    y = np.repeat(np.arange(k), [n // k + (j < n % k) for j in range(k)]).astype(np.int64)
    r = np.concatenate([np.linspace(0.0, 1.0, np.sum(y == j)) for j in range(k)])
    angle = 4 * r + 2 * np.pi * y / k + noise * rng.standard_normal(n)
    X = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    return _shuffled(X, y, rng)


# ---------------------------------------------------------------------------
# The real data set
# ---------------------------------------------------------------------------


def load_digits(scale=True, images=False):
    """The 8×8 handwritten digits: ``X`` (1797, 64) float64 and ``y`` (1797,) int64.

    Pixels are counts 0..16; with ``scale=True`` (the default) they are
    divided by 16, so ``X`` lies in [0, 1]. ``images=True`` returns ``X``
    with shape (1797, 8, 8) instead. Works offline: the data ship inside
    the package (UCI, Alpaydin and Kaynak 1998, CC BY 4.0).
    """
    source = resources.files("bpcourse").joinpath("_datasets/digits.npz")
    with source.open("rb") as fh, np.load(fh) as npz:
        pixels, labels = npz["images"], npz["labels"]
    X = pixels.astype(np.float64)
    if scale:
        X /= 16.0
    if not images:
        X = X.reshape(len(X), 64)
    return X, labels.astype(np.int64)


# ---------------------------------------------------------------------------
# Splitting and mini-batches
# ---------------------------------------------------------------------------


def _check_xy(X, y):
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"X and y need the same number of rows, got shapes {X.shape}"
                         f" and {y.shape}")
    return X, y


def train_test_split(X, y, test_size=0.25, *, rng, stratify=False):
    """Shuffle with ``rng`` and split: returns ``X_train, X_test, y_train, y_test``.

    ``test_size`` is a fraction in (0, 1) or a number of rows. With
    ``stratify=True`` each class keeps its proportion in both parts.
    The inputs are not modified.
    """
    _check_rng(rng)
    X, y = _check_xy(X, y)
    n = len(X)
    if isinstance(test_size, float) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    elif not isinstance(test_size, float) and isinstance(test_size, (int, np.integer)):
        n_test = int(test_size)
    else:
        raise ValueError("test_size must be a fraction in (0, 1) or a row count,"
                         f" got {test_size!r}")
    if not 0 < n_test < n:
        raise ValueError(f"test_size gives {n_test} test rows out of {n}: need 1 to {n - 1}")
    if stratify:
        classes, counts = np.unique(y, return_counts=True)
        test = []
        for c, cnt in zip(classes, counts, strict=True):
            idx = rng.permutation(np.flatnonzero(y == c))
            test.append(idx[: round(cnt * n_test / n)])
        test = np.concatenate(test)
    else:
        test = rng.permutation(n)[:n_test]
    mask = np.zeros(n, dtype=bool)
    mask[test] = True
    train_idx, test_idx = rng.permutation(np.flatnonzero(~mask)), rng.permutation(test)
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def standardize(X_train, *others):
    """Scale each column to mean 0, standard deviation 1, with the training set's statistics.

    Returns the scaled ``X_train`` followed by each array in ``others``
    scaled the same way. Constant columns are left centred, not divided.
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return tuple((np.asarray(X, dtype=np.float64) - mean) / std for X in (X_train, *others))


def batches(X, y, batch_size, rng=None, shuffle=True, drop_last=False):
    """Yield mini-batches ``(X_batch, y_batch)`` covering the data once (an epoch).

    With ``shuffle=True`` the order is a fresh permutation drawn from ``rng``
    (required then). The last batch is smaller when ``batch_size`` does not
    divide ``len(X)``; ``drop_last=True`` skips it instead, so every batch has
    exactly ``batch_size`` rows (and some rows are unused this epoch).
    See chapter 3, "Full batch, mini-batch and single-example SGD".
    """
    X, y = _check_xy(X, y)
    n = len(X)
    batch_size = _check_n(batch_size, "batch_size")
    if shuffle:
        _check_rng(rng)
        order = rng.permutation(n)
    else:
        order = np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def num_batches(n, batch_size, drop_last=False):
    """How many batches ``batches`` yields for ``n`` rows."""
    return n // batch_size if drop_last else -(-n // batch_size)


# ---------------------------------------------------------------------------
# MNIST-1D, generated on this machine (chapter 7)
# ---------------------------------------------------------------------------

MNIST1D_VERSION = "0.0.2.post1"   # the generator's release: pinned, so the data never drift


def _mnist1d_cache_dir(cache_dir):
    if cache_dir is not None:
        return Path(cache_dir)
    root = os.environ.get("BPCOURSE_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return (Path(root) if root else Path.home() / ".cache") / "bpcourse"


def _mnist1d_generate(args):
    """Run the package's own generator; it seeds numpy's *global* state, so restore it."""
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise ImportError("bpcourse.data.mnist1d needs the mnist1d package:"
                          f" pip install mnist1d=={MNIST1D_VERSION}") from exc
    defaults = get_dataset_args(as_dict=True)
    unknown = set(args) - set(defaults)
    if unknown:
        raise TypeError(f"mnist1d() got unknown parameters {sorted(unknown)};"
                        f" it takes {sorted(k for k in defaults if k != 'url')}")
    options = type("Args", (), {**defaults, **args})
    # the legacy global state is what the generator seeds: save it to give it back
    py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    try:
        made = make_dataset(options)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)  # noqa: NPY002
    return (made["x"].astype(np.float64), made["y"].astype(np.int64),
            made["x_test"].astype(np.float64), made["y_test"].astype(np.int64))


def mnist1d(cache=True, cache_dir=None, **args):
    """MNIST-1D: ``X, y, X_test, y_test``, generated offline and cached.

    Greydanus's (2020) small benchmark: ten one-dimensional "digit"
    templates, padded, shifted, scaled, sheared and made noisy, 40 samples
    each. It is built here by the ``mnist1d`` package's own generator
    (``make_dataset``) with its default parameters and seed (5000 examples,
    4000 for training and 1000 for testing), so nothing is downloaded. Pass
    any of the generator's parameters to change them (``num_samples=...``,
    ``seed=...``). ``X`` is float64 of shape ``(n, 40)``, ``y`` int64 0..9.

    The first call writes ``mnist1d-<version>-<parameters>.npz`` under
    ``cache_dir`` (default ``$BPCOURSE_CACHE``, else ``~/.cache/bpcourse``);
    later calls read it (about 100 times faster). ``cache=False`` neither
    reads nor writes it. See chapter 7, "The data".
    """
    key = hashlib.sha256(json.dumps(sorted(args.items()), default=str).encode())
    path = _mnist1d_cache_dir(cache_dir) / f"mnist1d-{MNIST1D_VERSION}-{key.hexdigest()[:12]}.npz"
    if cache and path.exists():
        with np.load(path) as npz:
            return npz["X"], npz["y"], npz["X_test"], npz["y_test"]
    X, y, X_test, y_test = _mnist1d_generate(args)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, X=X, y=y, X_test=X_test, y_test=y_test)
        os.replace(partial, path)   # atomic: two kernels never see half a file
    return X, y, X_test, y_test
