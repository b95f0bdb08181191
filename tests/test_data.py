"""Data sets: shapes, dtypes, seeding, the shipped digits, splitting and batches."""

import numpy as np
import pytest

from bpcourse import data


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("make, kwargs, classes", [
    (data.two_moons, {"n": 101}, 2),
    (data.circles, {"n": 101}, 2),
    (data.spirals, {"n": 100, "k": 3}, 3),
    (data.spirals, {"n": 50, "k": 5}, 5),
])
def test_classification_sets(make, kwargs, classes):
    X, y = make(**kwargs, rng=rng(0))
    n = kwargs["n"]
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == classes and counts.max() - counts.min() <= 1  # balanced
    X2, y2 = make(**kwargs, rng=rng(0))
    np.testing.assert_array_equal(X, X2)  # same seed, same data
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make(**kwargs, rng=rng(1))[0])


def test_geometry_without_noise():
    X, y = data.circles(200, noise=0.0, factor=0.3, rng=rng())
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), np.where(y == 0, 1.0, 0.3), rtol=1e-14)
    X, y = data.two_moons(200, noise=0.0, rng=rng())
    np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.linalg.norm(X[y == 1] - [1.0, 0.5], axis=1), 1.0, rtol=1e-14)
    X, y = data.spirals(90, k=3, noise=0.0, rng=rng())
    assert np.max(np.linalg.norm(X, axis=1)) == pytest.approx(1.0)


def test_linear_regression_recovers_its_coefficients():
    X, y, w, b = data.linear_regression(2000, d=3, noise=0.01, rng=rng(), b=0.5, return_coef=True)
    assert X.shape == (2000, 3) and y.shape == (2000,) and y.dtype == np.float64
    A = np.hstack([X, np.ones((2000, 1))])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(coef, [*w, 0.5], atol=2e-3)
    X, y = data.linear_regression(5, d=2, noise=0.0, rng=rng(), w=[1.0, -2.0])
    np.testing.assert_allclose(y, X @ [1.0, -2.0], rtol=1e-14)


def test_load_digits():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y),
                                  [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    # fingerprints of the UCI/scikit-learn file the package ships (see _datasets/README.md)
    raw, _ = data.load_digits(scale=False)
    assert raw.sum() == 561718 and np.sum(y * np.arange(1797)) == 7264791
    assert raw[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0] and y[:3].tolist() == [0, 1, 2]
    images, _ = data.load_digits(images=True)
    assert images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(images[5].ravel(), X[5])


def test_train_test_split():
    X = np.arange(100.0).reshape(50, 2)
    y = np.arange(50) % 5
    X_copy = X.copy()
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, 0.2, rng=rng())
    assert Xtr.shape == (40, 2) and Xte.shape == (10, 2)
    np.testing.assert_array_equal(X, X_copy)
    rows = np.concatenate([Xtr[:, 0], Xte[:, 0]])
    np.testing.assert_array_equal(np.sort(rows), X[:, 0])  # a partition of the rows
    np.testing.assert_array_equal(np.concatenate([ytr, yte]), (rows / 2).astype(int) % 5)
    again = data.train_test_split(X, y, 0.2, rng=rng())
    np.testing.assert_array_equal(again[1], Xte)
    _, _, ytr, yte = data.train_test_split(X, y, 10, rng=rng(), stratify=True)
    np.testing.assert_array_equal(np.bincount(yte), [2] * 5)


def test_batches_cover_the_data_once():
    X = np.arange(10.0)[:, None]
    y = np.arange(10)
    got = list(data.batches(X, y, 4, rng()))
    assert [len(b) for b, _ in got] == [4, 4, 2]  # nothing dropped silently
    seen = np.concatenate([yb for _, yb in got])
    assert sorted(seen) == list(range(10)) and list(seen) != list(range(10))
    for xb, yb in got:
        np.testing.assert_array_equal(xb[:, 0], yb)  # rows stay paired
    assert [len(b) for b, _ in data.batches(X, y, 4, rng(), drop_last=True)] == [4, 4]
    ordered = [yb.tolist() for _, yb in data.batches(X, y, 5, shuffle=False)]
    assert ordered == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert data.num_batches(10, 4) == 3 and data.num_batches(10, 4, drop_last=True) == 2


def test_standardize_uses_training_statistics():
    Xtr = np.array([[1.0, 5.0], [3.0, 5.0]])
    a, b = data.standardize(Xtr, np.array([[2.0, 6.0]]))
    np.testing.assert_allclose(a, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(b, [[0.0, 1.0]])


@pytest.mark.parametrize("call, err, name", [
    (lambda: data.two_moons(10, rng=0), TypeError, "rng"),
    (lambda: data.two_moons(10, noise=-1, rng=rng()), ValueError, "noise"),
    (lambda: data.spirals(10, k=1, rng=rng()), ValueError, "k"),
    (lambda: data.circles(10, factor=1.5, rng=rng()), ValueError, "factor"),
    (lambda: data.linear_regression(10, d=2, w=[1.0], rng=rng()), ValueError, "w"),
    (lambda: list(data.batches(np.zeros((3, 1)), np.zeros(4), 2, rng())), ValueError, "X and y"),
    (lambda: list(data.batches(np.zeros((3, 1)), np.zeros(3), 0, rng())), ValueError,
     "batch_size"),
    (lambda: list(data.batches(np.zeros((3, 1)), np.zeros(3), 2)), TypeError, "rng"),
    (lambda: data.train_test_split(np.zeros((3, 1)), np.zeros(3), 1.5, rng=rng()), ValueError,
     "test_size"),
])
def test_bad_input(call, err, name):
    with pytest.raises(err, match=name):
        call()


# --- MNIST-1D (chapter 7) ---------------------------------------------------

mnist1d_pkg = pytest.importorskip("mnist1d.data")


def test_mnist1d_is_the_packages_default_set_and_cached_identically(tmp_path):
    np.random.seed(123)  # noqa: NPY002 - the legacy state the generator touches
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    X, y, X_test, y_test = data.mnist1d(cache_dir=tmp_path)
    # the generator seeds numpy's global state; ours must leave it as it was
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    assert X.shape == (4000, 40) and X_test.shape == (1000, 40)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert sorted(np.unique(y)) == list(range(10))
    reference = mnist1d_pkg.make_dataset(mnist1d_pkg.get_dataset_args())
    np.testing.assert_array_equal(X, reference["x"])
    np.testing.assert_array_equal(y_test, reference["y_test"])
    cached = list(tmp_path.glob("mnist1d-*.npz"))
    assert len(cached) == 1
    again = data.mnist1d(cache_dir=tmp_path)      # read from the cache
    fresh = data.mnist1d(cache=False)             # generated anew
    for a, b, c in zip((X, y, X_test, y_test), again, fresh, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
        assert a.dtype == b.dtype == c.dtype


def test_mnist1d_parameters_change_the_set_and_its_cache_file(tmp_path):
    X, y, X_test, _ = data.mnist1d(cache_dir=tmp_path, num_samples=500, seed=7)
    assert X.shape == (400, 40) and X_test.shape == (100, 40)
    assert len(list(tmp_path.glob("mnist1d-*.npz"))) == 1
    X2 = data.mnist1d(cache_dir=tmp_path, num_samples=500, seed=8)[0]
    assert len(list(tmp_path.glob("mnist1d-*.npz"))) == 2
    assert not np.array_equal(X, X2)
    with pytest.raises(TypeError, match="unknown parameters"):
        data.mnist1d(cache_dir=tmp_path, samples=10)
