"""Layers and networks built on ``Tensor``, with PyTorch's names and defaults.

See chapter 2, "Training a small network". A ``Module`` finds its parameters and
sub-modules by attribute assignment: ``self.fc = Linear(2, 16)`` registers a
child, ``self.weight = Tensor(w, requires_grad=True)`` a parameter, so
``parameters()`` and ``named_parameters()`` need no bookkeeping from you.
Names are dotted paths in assignment order, e.g. ``layers.0.weight``.

Random initial weights come from the ``rng`` you pass, a
``np.random.Generator`` (``rng=np.random.default_rng(0)``): there is no
hidden global generator, so the same ``rng`` always gives the same weights.
"""

import math
from types import MappingProxyType

import numpy as np

from . import functional as F
from . import init as _init
from .tensor import Tensor

__all__ = [
    "Module", "Linear", "Sequential", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "Identity",
    "MLP", "Residual", "ResidualBlock", "LayerNorm",
]


class Module:
    """Base class: subclasses set attributes in ``__init__`` and define ``forward``.

    Unlike PyTorch, a subclass need not call ``super().__init__()``: a module's
    registries of children and parameters are made on its first attribute
    assignment, and until then it has the empty ones below (read-only).
    """

    _modules = MappingProxyType({})
    _parameters = MappingProxyType({})

    def __setattr__(self, name, value):
        modules = self.__dict__.setdefault("_modules", {})
        parameters = self.__dict__.setdefault("_parameters", {})
        modules.pop(name, None)
        parameters.pop(name, None)
        if isinstance(value, Module):
            modules[name] = value
        elif isinstance(value, Tensor) and value.requires_grad:
            parameters[name] = value
        object.__setattr__(self, name, value)

    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args):
        return self.forward(*args)

    def named_parameters(self, prefix=""):
        """[(dotted name, parameter)], each parameter once, in a stable order."""
        out, seen = [], set()
        for mod_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append((f"{mod_name}.{name}" if mod_name else name, p))
        return out

    def parameters(self):
        """Every parameter (a Tensor with requires_grad=True), as a list."""
        return [p for _, p in self.named_parameters()]

    def named_modules(self, prefix=""):
        """[(dotted name, module)] for this module ('' ) and every descendant."""
        out = [(prefix, self)]
        for name, child in self._modules.items():
            out.extend(child.named_modules(f"{prefix}.{name}" if prefix else name))
        return out

    def modules(self):
        return [m for _, m in self.named_modules()]

    def children(self):
        return list(self._modules.values())

    def zero_grad(self):
        """Forget every parameter's gradient (``grad = None``, PyTorch's default)."""
        for p in self._parameters.values():
            p.grad = None
        for child in self._modules.values():
            child.zero_grad()

    def num_parameters(self):
        return sum(p.data.size for p in self.parameters())

    def extra_repr(self):
        return ""

    def __repr__(self):
        children = self._modules
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        lines = [head]
        for name, child in children.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"

    # -- training and evaluation mode (chapter 6: batch normalization) --------

    training = True  # the class default: every module starts in training mode

    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode on this module and
        every descendant, as PyTorch; returns the module. Only layers that act
        differently in the two modes (``BatchNorm1d``) look at ``.training``.
        See chapter 6, "Normalization"."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)


def _resolve_init(init):
    if init is None or callable(init):
        return init
    fn = getattr(_init, str(init), None)
    if fn is None or init not in _init.__all__:
        raise ValueError(f"unknown init {init!r}; use a function of (shape, rng=) or one of "
                         f"{', '.join(_init.__all__[2:])}")
    return fn


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features), b of shape (out_features,).

    ``rng`` (a ``np.random.Generator``) is required: it draws the initial
    weights. Default initialization is PyTorch's: W and b uniform in +-1/sqrt(in_features)
    (Kaiming-uniform with a = sqrt 5). ``init`` replaces it for the weight:
    a function ``init(shape, rng=rng)`` or the name of one in ``bpcourse.init``
    (e.g. "xavier_uniform"); the bias then starts at zero.
    """

    def __init__(self, in_features, out_features, bias=True, rng=None, init=None):
        _init._check_rng(rng, type(self).__name__)
        self.in_features, self.out_features = in_features, out_features
        shape = (out_features, in_features)
        fn = _resolve_init(init)
        if fn is None:
            w = _init.kaiming_uniform(shape, a=math.sqrt(5.0), rng=rng)
        else:
            w = np.asarray(fn(shape, rng=rng), dtype=np.float64)
            if w.shape != shape:
                raise ValueError(f"Linear: init returned shape {w.shape}, expected {shape}")
        self.weight = Tensor(w, requires_grad=True)
        if bias:
            bound = 1.0 / math.sqrt(in_features) if in_features > 0 else 0.0
            b = rng.uniform(-bound, bound, out_features) if fn is None else np.zeros(out_features)
            self.bias = Tensor(b, requires_grad=True)
        else:
            self.bias = None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class Sequential(Module):
    """Modules applied in order; children are named "0", "1", ..."""

    def __init__(self, *modules):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module")
            setattr(self, str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))


class ReLU(Module):
    def forward(self, x):
        return x.relu()


class Tanh(Module):
    def forward(self, x):
        return x.tanh()


class Sigmoid(Module):
    def forward(self, x):
        return x.sigmoid()


class Identity(Module):
    def forward(self, x):
        return x


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "leaky_relu": LeakyReLU,
                "identity": Identity, "linear": Identity}


def _activation(activation):
    """A new activation module from a name, a Module class or a factory."""
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; use one of "
                             f"{', '.join(_ACTIVATIONS)}")
        return _ACTIVATIONS[activation]()
    if isinstance(activation, Module):
        return activation  # stateless activations can be shared
    module = activation()
    if not isinstance(module, Module):
        raise TypeError("activation must be a name, a Module, or a callable returning a Module")
    return module


class MLP(Module):
    """Linear layers of the given ``sizes`` with ``activation`` between them.

    ``MLP([2, 16, 16, 2], activation="tanh")`` is Linear(2,16), Tanh,
    Linear(16,16), Tanh, Linear(16,2): no activation after the last layer
    (its outputs are logits). Parameters are named ``layers.0.weight``, ...
    """

    def __init__(self, sizes, activation="relu", rng=None, init=None, bias=True):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        mods = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            act = _activation(activation) if i < len(sizes) - 2 else None
            mods.append(Linear(n_in, n_out, bias=bias, rng=rng, init=init))
            if act is not None:
                mods.append(act)
        self.sizes = sizes
        self.layers = Sequential(*mods)

    @property
    def linears(self):
        """The Linear layers, first to last (for per-layer gradient norms)."""
        return [m for m in self.layers if isinstance(m, Linear)]

    def forward(self, x):
        return self.layers(x)

    def extra_repr(self):
        return f"sizes={self.sizes}"


class Residual(Module):
    """x + f(x): the identity path lets the gradient skip ``f``.

    d out / d x = I + d f / d x, so a stack of blocks multiplies Jacobians of
    the form (I + ...) instead of (...): see chapter 6, "Residual connections".
    """

    def __init__(self, fn):
        self.fn = fn

    def forward(self, x):
        return x + self.fn(x)


class ResidualBlock(Module):
    """h + act(W norm(h) + b): one width-preserving residual layer for deep stacks.

    ``norm=True`` adds a LayerNorm before the linear map (pre-norm). The
    linear map is ``.linear``, so its ``weight.grad`` gives the gradient
    norm at this depth. See chapter 6, "Residual connections".
    """

    def __init__(self, width, activation="relu", norm=False, rng=None, init=None):
        _init._check_rng(rng, type(self).__name__)
        self.norm = LayerNorm(width) if norm else None
        self.linear = Linear(width, width, rng=rng, init=init)
        self.act = _activation(activation)

    def forward(self, x):
        h = self.norm(x) if self.norm is not None else x
        return x + self.act(self.linear(h))


class LayerNorm(Module):
    """Normalize each example over its last axes, then scale and shift.

        y = (x - mean) / sqrt(var + eps) * gamma + beta

    mean and the (biased) variance are over the last ``len(normalized_shape)``
    axes, as PyTorch; gamma (``weight``) starts at 1 and beta (``bias``) at 0.
    See chapter 6, "Normalization".
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True):
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        if elementwise_affine:
            self.weight = Tensor(np.ones(self.normalized_shape), requires_grad=True)
            self.bias = Tensor(np.zeros(self.normalized_shape), requires_grad=True)
        else:
            self.weight = self.bias = None

    def forward(self, x):
        k = len(self.normalized_shape)
        if tuple(x.shape[x.ndim - k:]) != self.normalized_shape:
            raise ValueError(f"LayerNorm: input of shape {x.shape} does not end with "
                             f"normalized_shape {self.normalized_shape}")
        axes = tuple(range(x.ndim - k, x.ndim))
        mu = x.mean(axis=axes, keepdims=True)
        d = x - mu
        var = (d * d).mean(axis=axes, keepdims=True)
        y = d / (var + self.eps).sqrt()
        if self.weight is not None:
            y = y * self.weight + self.bias
        return y

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"


# --- chapter 6 ---------------------------------------------------------------

__all__ += ["BatchNorm1d"]


def _batch_norm(x, mean, var, weight, bias, eps, use_batch):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, one node.

    ``mean`` and ``var`` have the shape that broadcasts against ``x`` (one
    entry per channel). With ``use_batch`` they are the batch's own statistics
    and the backward pass goes through them too; otherwise they are constants
    (the running averages of evaluation mode). The backward pass, for the m
    values x_i of one channel, x_hat = (x - mean) / s, s = sqrt(var + eps),
    and g = dL/dy:

        dL/dx_hat = g * weight
        dL/dx     = (dL/dx_hat - mean(dL/dx_hat) - x_hat * mean(dL/dx_hat * x_hat)) / s
        dL/dweight = sum(g * x_hat),   dL/dbias = sum(g)

    (without ``use_batch``: dL/dx = dL/dx_hat / s). See chapter 6, "Normalization".
    """
    xd = x.data
    axes = (0,) if xd.ndim == 2 else (0, 2)
    s = np.sqrt(var + eps)
    x_hat = (xd - mean) / s
    w = 1.0 if weight is None else weight.data.reshape(mean.shape)
    out = x_hat * w if weight is not None else x_hat.copy()
    if bias is not None:
        out = out + bias.data.reshape(mean.shape)
    prev = (x,) if weight is None else (x, weight, bias)

    def _backward(g):
        d_hat = g * w
        if use_batch:
            gx = (d_hat - d_hat.mean(axis=axes, keepdims=True)
                  - x_hat * (d_hat * x_hat).mean(axis=axes, keepdims=True)) / s
        else:
            gx = d_hat / s
        if weight is None:
            return (gx,)
        return gx, (g * x_hat).sum(axis=axes), g.sum(axis=axes)

    return Tensor._make(out, prev, _backward, "batch_norm")


class BatchNorm1d(Module):
    """Batch normalization (Ioffe and Szegedy, 2015), as ``torch.nn.BatchNorm1d``.

    Input of shape (N, C) or (N, C, L); each of the C channels is normalized
    over the batch (and L):

        y = (x - mean) / sqrt(var + eps) * gamma + beta

    In training mode mean and var are the batch's (var biased, dividing by m,
    the number of values per channel), and the running averages are updated:

        running_mean <- (1 - momentum) running_mean + momentum mean
        running_var  <- (1 - momentum) running_var  + momentum var * m / (m - 1)

    (the *unbiased* variance, as PyTorch; ``momentum=None`` gives the
    cumulative average over all batches so far). In evaluation mode
    (``.eval()``) the running averages replace the batch statistics, so an
    example's output no longer depends on the rest of its batch. gamma
    (``weight``) starts at 1, beta (``bias``) at 0. See chapter 6, "Normalization".
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True):
        if int(num_features) != num_features or num_features < 1:
            raise ValueError(f"BatchNorm1d: num_features must be a positive integer, "
                             f"got {num_features!r}")
        self.num_features = int(num_features)
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Tensor(np.ones(self.num_features), requires_grad=True)
            self.bias = Tensor(np.zeros(self.num_features), requires_grad=True)
        else:
            self.weight = self.bias = None
        if track_running_stats:
            self.running_mean = np.zeros(self.num_features)
            self.running_var = np.ones(self.num_features)
            self.num_batches_tracked = 0
        else:
            self.running_mean = self.running_var = None
            self.num_batches_tracked = None

    def forward(self, x):
        if type(x) is not Tensor:
            x = Tensor(x)
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d: expected input of shape (N, {self.num_features}) "
                             f"or (N, {self.num_features}, L), got {x.shape}")
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, self.num_features) + (() if x.ndim == 2 else (1,))
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            m = x.data.size // self.num_features
            if self.training and m < 2:
                raise ValueError(f"BatchNorm1d: expected more than 1 value per channel "
                                 f"when training, got input of shape {x.shape}")
            mean = x.data.mean(axis=axes, keepdims=True)
            var = ((x.data - mean) ** 2).mean(axis=axes, keepdims=True)
            if self.training and self.track_running_stats:
                self.num_batches_tracked += 1
                f = (1.0 / self.num_batches_tracked if self.momentum is None
                     else self.momentum)
                unbiased = var.reshape(-1) * m / max(m - 1, 1)
                self.running_mean = (1 - f) * self.running_mean + f * mean.reshape(-1)
                self.running_var = (1 - f) * self.running_var + f * unbiased
        else:
            mean = self.running_mean.reshape(shape)
            var = self.running_var.reshape(shape)
        return _batch_norm(x, mean, var, self.weight, self.bias, self.eps, use_batch)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")
