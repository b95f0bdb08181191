"""Scalar reverse-mode automatic differentiation: the ``Value`` engine.

See chapter 1, "The backward pass". A ``Value`` holds one number (``data``),
the gradient of the final output with respect to it (``grad``), the values it
was computed from (``parents``) and, for each parent, the *local derivative*
of this node with respect to that parent. Each operation computes its output
and those local derivatives at once; the backward pass then applies the chain
rule node by node, from the output back to the inputs:

    parent.grad += (d node / d parent) * node.grad

``+=``, not ``=``: a value used twice (``b = a*a + a``) receives one
contribution per use, and the chain rule sums them (the sum over paths).

Semantics of ``backward()``, chosen to match PyTorch as closely as a scalar
engine can:

* leaves (values created by you, not by an operation) *accumulate* their
  gradient across calls, as ``torch.Tensor.grad`` does: call ``zero_grad()``
  between passes;
* every intermediate node's ``grad`` is reset to 0 at the start of each
  backward pass, so after a pass it holds this pass's gradient only (PyTorch
  keeps no intermediate gradients at all unless asked; here we keep them so
  that a graph can be drawn with its gradients).

The topological order is built with an explicit stack, so a chain of 100,000
operations works: there is no recursion to hit Python's limit.
"""

import math
from collections import namedtuple
from numbers import Real

__all__ = ["Value", "topological_order", "backward_steps", "BackwardStep"]


class Value:
    """A scalar that remembers how it was computed, for reverse-mode autodiff.

    >>> a = Value(2.0, label="a")
    >>> b = a * a + a          # b = a^2 + a,  db/da = 2a + 1
    >>> b.backward()
    >>> a.grad
    5.0

    Numbers mix in on either side of every operator (``2 * a``, ``1 - a``,
    ``a ** 3``, ``2 ** a``, ``a ** b``). See chapter 1, "Computational graphs".
    """

    # __slots__ makes each node smaller and attribute access faster: a scalar
    # graph has one object per arithmetic operation, so this matters.
    __slots__ = ("data", "grad", "label", "_prev", "_local", "_op")

    def __init__(self, data, label="", _prev=(), _local=(), _op=""):
        if type(data) is not float:
            if isinstance(data, Value):
                raise TypeError("Value(data): data is already a Value; use it directly")
            if not isinstance(data, Real):
                raise TypeError(
                    f"Value(data): data must be a real number, got {type(data).__name__}"
                )
            data = float(data)
        self.data = data
        self.grad = 0.0
        self.label = label
        self._prev = _prev      # the inputs of the operation that made this node
        self._local = _local    # d self / d input, one per input, computed forward
        self._op = _op          # the operation's symbol, for drawing and printing

    # -- a readable interface over the private fields ----------------------

    @property
    def parents(self):
        """The inputs this value was computed from (empty for a leaf)."""
        return self._prev

    @property
    def local_grads(self):
        """``d self / d parent`` for each parent, computed in the forward pass."""
        return self._local

    @property
    def op(self):
        """The operation that produced this value ('' for a leaf)."""
        return self._op

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # -- arithmetic: each op returns its output and its local derivatives ---

    def __add__(self, other):
        if type(other) is not Value:
            other = _lift(other, "+")
        return Value(self.data + other.data, "", (self, other), (1.0, 1.0), "+")

    def __radd__(self, other):
        return _lift(other, "+") + self

    def __sub__(self, other):
        if type(other) is not Value:
            other = _lift(other, "-")
        return Value(self.data - other.data, "", (self, other), (1.0, -1.0), "-")

    def __rsub__(self, other):
        return _lift(other, "-") - self

    def __mul__(self, other):
        if type(other) is not Value:
            other = _lift(other, "*")
        # d(xy)/dx = y and d(xy)/dy = x
        return Value(self.data * other.data, "", (self, other), (other.data, self.data), "*")

    def __rmul__(self, other):
        return _lift(other, "*") * self

    def __truediv__(self, other):
        if type(other) is not Value:
            other = _lift(other, "/")
        x, y = self.data, other.data
        if y == 0.0:
            raise ZeroDivisionError(f"Value division by zero ({x} / 0)")
        # d(x/y)/dx = 1/y and d(x/y)/dy = -x/y^2
        return Value(x / y, "", (self, other), (1.0 / y, -x / (y * y)), "/")

    def __rtruediv__(self, other):
        return _lift(other, "/") / self

    def __neg__(self):
        return Value(-self.data, "", (self,), (-1.0,), "neg")

    def __pos__(self):
        return self

    def __pow__(self, other):
        x = self.data
        if type(other) is Value:
            return _pow_values(self, other)
        if not isinstance(other, Real) or isinstance(other, bool):
            raise TypeError(
                f"unsupported operand type(s) for **: 'Value' and '{type(other).__name__}'"
            )
        n = float(other)
        out = _real_pow(x, n)
        # d(x^n)/dx = n x^(n-1); zero when n = 0, as in PyTorch
        local = 0.0 if n == 0.0 else n * _real_pow(x, n - 1.0)
        return Value(out, "", (self,), (local,), f"**{other:g}")

    def __rpow__(self, other):
        return _lift(other, "**") ** self

    # -- elementary functions ----------------------------------------------

    def exp(self):
        """e^x; its derivative is e^x itself."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            out = math.inf
        return Value(out, "", (self,), (out,), "exp")

    def log(self):
        """Natural logarithm; d(log x)/dx = 1/x. Raises ValueError for x <= 0."""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"Value.log: needs a positive number, got {x}")
        return Value(math.log(x), "", (self,), (1.0 / x,), "log")

    def tanh(self):
        """tanh x; d(tanh x)/dx = 1 - tanh^2 x."""
        t = math.tanh(self.data)
        return Value(t, "", (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self):
        """sigma(x) = 1 / (1 + e^-x); d sigma/dx = sigma (1 - sigma).

        Computed without overflow for any x: for x < 0 we use the equal form
        e^x / (1 + e^x), whose exponential cannot overflow.
        """
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return Value(s, "", (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self):
        """max(0, x); its derivative is 1 for x > 0 and 0 otherwise (0 at 0, as PyTorch)."""
        x = self.data
        if x > 0.0:
            return Value(x, "", (self,), (1.0,), "relu")
        return Value(0.0, "", (self,), (0.0,), "relu")

    # -- the backward pass -------------------------------------------------

    def backward(self):
        """Fill ``grad`` of every node with d self / d node (reverse mode).

        Leaves accumulate across calls; intermediate nodes are reset first
        (see the module docstring). See chapter 1, "The backward pass".
        """
        order = topological_order(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0  # d self / d self = 1 (a leaf root accumulates, like any leaf)
        # Visit each node after every node that uses it, so its grad is
        # complete before it is passed on to its own inputs.
        for node in reversed(order):
            g = node.grad
            for parent, local in zip(node._prev, node._local, strict=True):
                parent.grad += local * g

    def backward_order(self):
        """The nodes in the order ``backward()`` visits them: this one first."""
        return topological_order(self)[::-1]

    def zero_grad(self):
        """Set ``grad = 0`` on every node of the graph that produced this value."""
        for node in topological_order(self):
            node.grad = 0.0


def _lift(other, op):
    """Wrap a number as a leaf Value; refuse anything else with a clear TypeError."""
    if isinstance(other, Value):
        return other
    if isinstance(other, Real) and not isinstance(other, bool):
        return Value(float(other))
    raise TypeError(
        f"unsupported operand type(s) for {op}: 'Value' and '{type(other).__name__}' "
        "(a Value combines with another Value or a real number)"
    )


def _real_pow(x, n):
    """x ** n as a real number, or a ValueError instead of Python's complex result."""
    try:
        out = x**n
    except ZeroDivisionError:
        raise ValueError(f"Value power: 0.0 ** {n} is undefined (division by zero)") from None
    except OverflowError:
        out = math.inf
    if isinstance(out, complex):
        raise ValueError(f"Value power: {x} ** {n} is not a real number")
    return out


def _pow_values(a, b):
    """a ** b with both a Value: d/da = b a^(b-1), d/db = a^b log a."""
    x, n = a.data, b.data
    out = _real_pow(x, n)
    da = 0.0 if n == 0.0 else n * _real_pow(x, n - 1.0)
    if x > 0.0:
        db = out * math.log(x)
    elif x == 0.0 and n >= 0.0:
        db = 0.0  # the limit, as PyTorch defines it
    else:
        db = math.nan  # log of a negative base: undefined, as in PyTorch
    return Value(out, "", (a, b), (da, db), "**")


def topological_order(root):
    """Every node of ``root``'s graph, each after all of its inputs (root last).

    Depth-first search with an explicit stack instead of recursion, so a chain
    of any length works. ``reversed(topological_order(v))`` is the order in
    which the backward pass visits nodes. See chapter 1, "Topological order".
    """
    order = []
    seen = set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)  # all of its inputs are already in `order`
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for parent in node._prev:
            if parent not in seen:
                stack.append((parent, False))
    return order


BackwardStep = namedtuple("BackwardStep", ["node", "local_grads", "contributions"])
BackwardStep.__doc__ = """One step of the backward pass, for teaching.

``node`` has just passed its gradient on: to each of ``node.parents`` it added
``local_grad * node.grad``; those products are ``contributions``.
"""


def backward_steps(root):
    """Run ``root.backward()`` one node at a time, yielding a ``BackwardStep`` each.

    Chapter 1's explorer draws the graph after every step. Only nodes with
    inputs are yielded (a leaf has nobody to pass its gradient to). Exhaust
    the generator to finish the pass; stopping early leaves partial gradients.

    >>> a = Value(3.0); b = a * a + a
    >>> [step.node.op for step in backward_steps(b)]
    ['+', '*']
    """
    order = topological_order(root)
    for node in order:
        if node._prev:
            node.grad = 0.0
    root.grad += 1.0
    for node in reversed(order):
        if not node._prev:
            continue
        g = node.grad
        contributions = tuple(local * g for local in node._local)
        for parent, c in zip(node._prev, contributions, strict=True):
            parent.grad += c
        yield BackwardStep(node, node._local, contributions)
