"""Reverse-mode autodiff over numpy arrays: the ``Tensor`` engine.

See chapter 2, "From scalar graphs to matrix operations". The idea is chapter 1's ``Value``
with arrays in place of numbers: each operation computes its output and keeps
a small function, ``_backward(g)``, that turns the gradient of the output,
``g = dL/d out``, into the gradient of each input (a vector-Jacobian product):

    dL/dA = g @ B.T   and   dL/dB = A.T @ g     for   out = A @ B

Broadcasting. ``a + b`` with ``a`` of shape (32, 10) and ``b`` of shape (10,)
uses each entry of ``b`` 32 times, so its gradient sums the 32 contributions:
``unbroadcast`` sums the gradient back to each input's shape. See chapter 2,
"The gradient of a linear layer, for a batch".

Semantics follow PyTorch: ``grad`` is ``None`` until a backward pass reaches
the tensor; leaves (tensors you create with ``requires_grad=True``) accumulate
their gradient across ``backward()`` calls, so set ``p.grad = None`` (or call
``zero_grad``) between steps; ``backward()`` on a non-scalar needs ``grad=``.
Unlike PyTorch, intermediate tensors keep their ``grad`` after a pass (reset
at the start of the next one), so a chapter can compare them with a
hand-written backward pass. Everything is float64.
"""

import contextlib
from numbers import Real

import numpy as np

__all__ = ["Tensor", "no_grad", "is_grad_enabled", "unbroadcast", "maximum"]

_grad_enabled = True
_ndarray, _asarray, _float64 = np.ndarray, np.asarray, np.float64  # hot-path names
_ONE = np.ones(())  # dL/dL for a scalar loss; read-only, so it can be shared
_ONE.flags.writeable = False


class no_grad(contextlib.ContextDecorator):
    """Inside ``with no_grad():`` operations record no graph (as ``torch.no_grad``).

    Use it for evaluation and for parameter updates: nothing is kept for a
    backward pass, so it is faster and uses less memory.
    """

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous
        return False


def is_grad_enabled():
    """True unless inside a ``no_grad()`` block."""
    return _grad_enabled


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, to get ``shape``.

    If ``x`` of shape ``shape`` was broadcast to ``g.shape`` in the forward
    pass, each entry of ``x`` was used once per copy, so its gradient is the
    sum of the gradients of its copies (the chain rule's sum over paths).
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    return g.sum(axis=axes, keepdims=True).reshape(shape)


class Tensor:
    """A float64 numpy array that records the operations applied to it.

    ``Tensor(data, requires_grad=False)`` copies ``data`` (a number, a nested
    list or an array) into a float64 array. Python numbers and numpy arrays
    mix in on either side of ``+ - * / @ **``.

    >>> W = Tensor([[1.0, 2.0]], requires_grad=True)
    >>> x = Tensor([3.0, 4.0])
    >>> (W @ x).sum().backward()
    >>> W.grad
    array([[3., 4.]])
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_prev", "_backward", "_op")

    # numpy defers to our reflected operators: `array + tensor` is a Tensor.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad=False, label=""):
        if isinstance(data, Tensor):
            data = data.data
        try:
            self.data = np.array(data, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"Tensor(data): cannot make a float64 array from {type(data).__name__}: {err}"
            ) from None
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.label = label
        self._prev = ()
        self._backward = None
        self._op = ""

    # -- properties --------------------------------------------------------

    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def parents(self):
        """The tensors this one was computed from (empty for a leaf)."""
        return self._prev

    @property
    def is_leaf(self):
        return not self._prev

    def item(self):
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item(): needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def numpy(self):
        """The underlying array (shared, as ``torch.Tensor.numpy``)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def detach(self):
        """A tensor with the same data that is cut from the graph."""
        return Tensor._make(self.data, (), None, "")

    def zero_grad(self):
        """Forget the gradient (``grad = None``), as PyTorch's default."""
        self.grad = None

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        flag = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}{flag})"

    # -- building the graph ------------------------------------------------

    @staticmethod
    def _make(data, prev, backward, op):
        """The output of an operation: records ``prev`` and ``backward`` if needed.

        The hot path of the engine, kept small: no copy of ``data``, and no
        graph at all when no input requires a gradient or under ``no_grad``.
        """
        out = object.__new__(Tensor)
        if type(data) is not np.ndarray:
            data = np.asarray(data, dtype=np.float64)
        out.data = data
        out.grad = None
        out.label = ""
        out._op = op
        if _grad_enabled:
            for p in prev:
                if p.requires_grad:
                    out.requires_grad = True
                    out._prev = prev
                    out._backward = backward
                    return out
        out.requires_grad = False
        out._prev = ()
        out._backward = None
        return out

    # -- arithmetic --------------------------------------------------------

    def __add__(self, other):
        b = other if type(other) is Tensor else _coerce(other, "+")
        ad, bd = self.data, b.data
        out = _broadcast_op(np.add, ad, bd, "+")
        sa, sb = ad.shape, bd.shape

        def _backward(g):
            return unbroadcast(g, sa), unbroadcast(g, sb)

        return Tensor._make(out, (self, b), _backward, "+")

    def __radd__(self, other):
        return _coerce(other, "+") + self

    def __sub__(self, other):
        b = other if type(other) is Tensor else _coerce(other, "-")
        ad, bd = self.data, b.data
        out = _broadcast_op(np.subtract, ad, bd, "-")
        sa, sb = ad.shape, bd.shape

        def _backward(g):
            return unbroadcast(g, sa), (unbroadcast(-g, sb) if b.requires_grad else None)

        return Tensor._make(out, (self, b), _backward, "-")

    def __rsub__(self, other):
        return _coerce(other, "-") - self

    def __mul__(self, other):
        b = other if type(other) is Tensor else _coerce(other, "*")
        ad, bd = self.data, b.data
        out = _broadcast_op(np.multiply, ad, bd, "*")

        def _backward(g):
            ga = unbroadcast(g * bd, ad.shape) if self.requires_grad else None
            gb = unbroadcast(g * ad, bd.shape) if b.requires_grad else None
            return ga, gb

        return Tensor._make(out, (self, b), _backward, "*")

    def __rmul__(self, other):
        return _coerce(other, "*") * self

    def __truediv__(self, other):
        b = other if type(other) is Tensor else _coerce(other, "/")
        ad, bd = self.data, b.data
        out = _broadcast_op(np.divide, ad, bd, "/")

        def _backward(g):
            ga = unbroadcast(g / bd, ad.shape) if self.requires_grad else None
            # d(a/b)/db = -a / b^2
            gb = unbroadcast(-g * ad / (bd * bd), bd.shape) if b.requires_grad else None
            return ga, gb

        return Tensor._make(out, (self, b), _backward, "/")

    def __rtruediv__(self, other):
        return _coerce(other, "/") / self

    def __neg__(self):
        return Tensor._make(-self.data, (self,), lambda g: (-g,), "neg")

    def __pos__(self):
        return self

    def __pow__(self, other):
        if isinstance(other, Real) and not isinstance(other, bool):
            return _pow_scalar(self, float(other))
        return _pow_tensor(self, _coerce(other, "**"))

    def __rpow__(self, other):
        return _pow_tensor(_coerce(other, "**"), self)

    def __matmul__(self, other):
        b = other if type(other) is Tensor else _coerce(other, "@")
        return _matmul(self, b)

    def __rmatmul__(self, other):
        return _matmul(_coerce(other, "@"), self)

    # -- elementwise functions ---------------------------------------------

    def exp(self):
        """e^x, elementwise; its derivative is e^x."""
        out = np.exp(self.data)
        return Tensor._make(out, (self,), lambda g: (g * out,), "exp")

    def log(self):
        """Natural logarithm, elementwise; d(log x)/dx = 1/x."""
        x = self.data
        return Tensor._make(np.log(x), (self,), lambda g: (g / x,), "log")

    def sqrt(self):
        """Square root, elementwise; d(sqrt x)/dx = 1 / (2 sqrt x)."""
        out = np.sqrt(self.data)
        return Tensor._make(out, (self,), lambda g: (g / (2.0 * out),), "sqrt")

    def abs(self):
        """|x|, elementwise; derivative sign(x) (0 at 0, as PyTorch)."""
        x = self.data
        return Tensor._make(np.abs(x), (self,), lambda g: (g * np.sign(x),), "abs")

    def tanh(self):
        """tanh x, elementwise; d(tanh x)/dx = 1 - tanh^2 x."""
        t = np.tanh(self.data)
        return Tensor._make(t, (self,), lambda g: (g * (1.0 - t * t),), "tanh")

    def sigmoid(self):
        """sigma(x) = 1 / (1 + e^-x), elementwise, without overflow for any x.

        With e = exp(-|x|), sigma(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0:
        the exponential never overflows. d sigma/dx = sigma (1 - sigma).
        """
        x = self.data
        e = np.exp(-np.abs(x))
        s = np.where(x >= 0, 1.0, e) / (1.0 + e)
        return Tensor._make(s, (self,), lambda g: (g * s * (1.0 - s),), "sigmoid")

    def relu(self):
        """max(0, x), elementwise; derivative 1 where x > 0, else 0."""
        x = self.data
        return Tensor._make(np.maximum(x, 0.0), (self,), lambda g: (g * (x > 0),), "relu")

    def clip(self, min=None, max=None):  # PyTorch's names, though they shadow builtins
        """Clamp into [min, max]; the gradient passes where min <= x <= max (as torch.clamp)."""
        if min is None and max is None:
            raise ValueError("clip(): give at least one of min and max")
        x = self.data
        out = np.clip(x, min, max)
        inside = np.ones(x.shape, dtype=bool)
        if min is not None:
            inside &= x >= min
        if max is not None:
            inside &= x <= max
        return Tensor._make(out, (self,), lambda g: (g * inside,), "clip")

    def maximum(self, other):
        """Elementwise max; see ``bpcourse.tensor.maximum``."""
        return maximum(self, other)

    # -- reductions and shapes ---------------------------------------------

    def sum(self, axis=None, keepdims=False):
        """Sum over ``axis`` (all by default); each input entry gets the output's gradient."""
        x = self.data
        out = x.sum(axis=axis, keepdims=keepdims)
        shape = x.shape
        axes = _normalize_axes(axis, x.ndim)

        def _backward(g):
            if not keepdims:
                g = np.expand_dims(g, axes)
            return (np.broadcast_to(g, shape),)

        return Tensor._make(out, (self,), _backward, "sum")

    def mean(self, axis=None, keepdims=False):
        """Mean over ``axis`` (all by default): the sum divided by the count n; grad / n."""
        x = self.data
        axes = _normalize_axes(axis, x.ndim)
        n = 1
        for a in axes:
            n *= x.shape[a]
        out = x.sum(axis=axis, keepdims=keepdims) / n
        shape = x.shape

        def _backward(g):
            if not keepdims:
                g = np.expand_dims(g, axes)
            return (np.broadcast_to(g / n, shape),)

        return Tensor._make(out, (self,), _backward, "mean")

    def reshape(self, *shape):
        """The same entries in a new shape; the gradient is reshaped back."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        x = self.data
        try:
            out = x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape shape {x.shape} into {shape}") from None
        old = x.shape
        return Tensor._make(out, (self,), lambda g: (g.reshape(old),), "reshape")

    def transpose(self, *axes):
        """Permute the axes (reverse them by default); the gradient is permuted back."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        x = self.data
        if not axes:
            axes = tuple(range(x.ndim - 1, -1, -1))
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} do not permute the axes of shape {x.shape}")
        inverse = tuple(np.argsort(axes))
        return Tensor._make(x.transpose(axes), (self,), lambda g: (g.transpose(inverse),), "T")

    @property
    def T(self):
        """The transpose (axes reversed), like ``numpy.ndarray.T``."""
        return self.transpose()

    def __getitem__(self, index):
        """Indexing with ints, slices, None, ... and integer arrays.

        The gradient is scattered back into zeros with ``np.add.at``, which
        adds (rather than overwrites) where an index repeats: ``x[[0, 0]]``
        uses ``x[0]`` twice, so its gradient is the sum of both.
        """
        index = _plain_index(index)
        x = self.data
        out = x[index]
        basic = _is_basic(index)

        def _backward(g):
            gx = np.zeros(x.shape)
            if basic:
                gx[index] = g  # basic indexing never repeats an entry
            else:
                np.add.at(gx, index, g)
            return (gx,)

        return Tensor._make(out, (self,), _backward, "[]")

    # -- the backward pass -------------------------------------------------

    def backward(self, grad=None):
        """Fill ``.grad`` of every tensor that this one depends on (and requires grad).

        ``grad`` is dL/d(this tensor); it defaults to 1 for a one-element
        tensor. Leaves accumulate; intermediate tensors are reset first.
        See chapter 2, "What a matrix node must compute".
        """
        if not self.requires_grad:
            raise ValueError(
                "backward(): this tensor does not require grad (no input had "
                "requires_grad=True, or it was computed under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward(): grad can be omitted only for a scalar output, but this "
                    f"tensor has shape {self.shape}; pass grad= an array of shape {self.shape}"
                )
            g = np.ones(self.data.shape) if self.data.ndim else _ONE
        else:
            g = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=np.float64)
            if g.shape != self.data.shape:
                raise ValueError(
                    f"backward(): grad has shape {g.shape} but the tensor has shape {self.shape}"
                )
        order = topological_order(self)
        for node in order:
            if node._prev:
                node.grad = None
        if not self._prev and g is _ONE:
            g = g.copy()  # a leaf keeps a gradient it can change in place
        self.grad = g if self.grad is None else _asarray(self.grad + g)
        for node in reversed(order):
            g = node.grad
            if g is None or not node._prev:
                continue
            for p, pg in zip(node._prev, node._backward(g)):  # noqa: B905 - hot loop
                if pg is None or not p.requires_grad:
                    continue
                if p.grad is not None:
                    total = p.grad + pg
                    # (numpy turns 0-d results into scalars; .grad stays an array)
                    p.grad = total if type(total) is _ndarray else _asarray(total)
                elif type(pg) is not _ndarray:
                    p.grad = _asarray(pg, dtype=_float64)
                elif pg is g or pg.base is not None:
                    # Store an array this tensor owns: never `g` itself, a view
                    # of it or a read-only broadcast, so in-place updates of one
                    # .grad (an optimizer, clipping) cannot change another.
                    p.grad = pg.copy()
                else:
                    p.grad = pg


def topological_order(root):
    """The non-leaf tensors of ``root``'s graph, each after its inputs (root last).

    An explicit stack instead of recursion, so deep graphs work.
    """
    order = []
    seen = set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for p in node._prev:
            # leaves need no place in the order: they pass nothing on
            if p._prev and p not in seen:
                stack.append((p, False))
    return order


# -- helpers ----------------------------------------------------------------


def _coerce(x, op):
    """A constant Tensor from a number or array; a TypeError for anything else."""
    if isinstance(x, Tensor):
        return x
    try:
        data = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"unsupported operand type for {op}: Tensor and {type(x).__name__} "
            "(use a Tensor, a number or a numpy array)"
        ) from None
    return Tensor._make(data, (), None, "")


def _broadcast_op(ufunc, a, b, op):
    """``ufunc(a, b)`` with an error that names both shapes when they do not broadcast."""
    try:
        return ufunc(a, b)
    except ValueError:
        raise ValueError(
            f"'{op}': shapes {a.shape} and {b.shape} cannot be broadcast together "
            "(trailing axes must be equal or 1)"
        ) from None


def _normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} axes")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(out))


def _plain_index(index):
    """Replace Tensors inside an index by integer arrays."""
    if isinstance(index, Tensor):
        return index.data.astype(np.intp)
    if isinstance(index, tuple):
        return tuple(i.data.astype(np.intp) if isinstance(i, Tensor) else i for i in index)
    return index


def _is_basic(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in parts
    )


def _pow_scalar(a, n):
    """x ** n for a number n: d/dx = n x^(n-1) (0 when n = 0, as PyTorch)."""
    x = a.data
    out = x**n

    def _backward(g):
        if n == 0.0:
            return (np.zeros(x.shape),)
        return (g * (n * x ** (n - 1.0)),)

    return Tensor._make(out, (a,), _backward, f"**{n:g}")


def _pow_tensor(a, b):
    """a ** b with b a tensor: d/da = b a^(b-1), d/db = a^b log a (0 where a = 0, b >= 0)."""
    ad, bd = a.data, b.data
    out = _broadcast_op(np.power, ad, bd, "**")

    def _backward(g):
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if a.requires_grad:
                ga = unbroadcast(g * bd * ad ** (bd - 1.0), ad.shape)
            if b.requires_grad:
                local = np.where((ad == 0) & (bd >= 0), 0.0, out * np.log(ad))
                gb = unbroadcast(g * local, bd.shape)
        return ga, gb

    return Tensor._make(out, (a, b), _backward, "**")


def _matmul(a, b):
    """Matrix product for 1-D, 2-D and batched operands, as ``numpy.matmul``.

    For 2-D operands, out = A B gives dL/dA = g B^T and dL/dB = A^T g.
    A 1-D operand is treated as a row (left) or column (right) vector, and
    batch axes broadcast; the gradients undo both.
    """
    ad, bd = a.data, b.data
    if ad.ndim == 0 or bd.ndim == 0:
        raise ValueError(f"'@': operands must have at least one axis, got shapes {ad.shape} "
                         f"and {bd.shape} (use * for a scalar)")
    if ad.shape[-1] != bd.shape[-2 if bd.ndim > 1 else 0]:
        raise ValueError(
            f"'@': shapes {ad.shape} and {bd.shape} are not aligned: "
            f"{ad.shape[-1]} (last axis of the left) != "
            f"{bd.shape[-2 if bd.ndim > 1 else 0]} (first matrix axis of the right)"
        )
    try:
        out = ad @ bd
    except ValueError:
        raise ValueError(f"'@': batch axes of shapes {ad.shape} and {bd.shape} "
                         "cannot be broadcast together") from None

    if ad.ndim == 2 and bd.ndim == 2:

        def _backward(g):
            ga = g @ bd.T if a.requires_grad else None
            gb = ad.T @ g if b.requires_grad else None
            return ga, gb

    else:

        def _backward(g):
            if ad.ndim == 1 and bd.ndim == 1:  # inner product: out is a scalar
                return g * bd, g * ad
            a2 = ad if ad.ndim > 1 else ad[None, :]
            b2 = bd if bd.ndim > 1 else bd[:, None]
            if ad.ndim == 1:
                g = np.expand_dims(g, -2)
            if bd.ndim == 1:
                g = np.expand_dims(g, -1)
            ga = gb = None
            if a.requires_grad:
                ga = unbroadcast(g @ np.swapaxes(b2, -1, -2), a2.shape).reshape(ad.shape)
            if b.requires_grad:
                gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(bd.shape)
            return ga, gb

    return Tensor._make(out, (a, b), _backward, "@")


def maximum(a, b):
    """Elementwise maximum of two tensors (or numbers), broadcasting.

    The gradient goes to the larger input; at a tie each gets half, as
    ``torch.maximum`` does.
    """
    a = _coerce(a, "maximum")
    b = _coerce(b, "maximum")
    ad, bd = a.data, b.data
    out = _broadcast_op(np.maximum, ad, bd, "maximum")

    def _backward(g):
        share_a = np.where(ad > bd, 1.0, np.where(ad == bd, 0.5, 0.0))
        ga = unbroadcast(g * share_a, ad.shape) if a.requires_grad else None
        gb = unbroadcast(g * (1.0 - share_a), bd.shape) if b.requires_grad else None
        return ga, gb

    return Tensor._make(out, (a, b), _backward, "max")
