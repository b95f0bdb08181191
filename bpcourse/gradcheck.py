"""Gradient checking: finite-difference gradients, and the relative error that judges them.

See chapter 2, "Gradient checking". For a scalar function f and a small h,

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h)

with an error of order h^2 from truncation and of order eps |f| / h from
round-off (eps ~ 1e-16 in float64), which is why h ~ 1e-6 works well. An
analytic gradient a is compared with the numerical one n entry by entry with
the relative error of CS231n (``rel_error`` is its largest entry),

    rel_i = |a_i - n_i| / max(1e-8, |a_i| + |n_i|),

and passes when the largest rel_i is at most ``tol`` (default 1e-6; a correct
gradient of a smooth function typically gives 1e-7 or less, often far less). Near a kink
(ReLU at 0) finite differences are wrong, not the gradient.
"""

from dataclasses import dataclass, field

import numpy as np

from .tensor import Tensor, no_grad

__all__ = [
    "numerical_grad", "numerical_param_grads", "rel_error",
    "GradcheckResult", "gradcheck", "gradcheck_module",
]

DEFAULT_TOL = 1e-6


def _scalar(y, who):
    """The float value of f's output: a number or a one-element array or Tensor."""
    data = y.data if isinstance(y, Tensor) else np.asarray(y, dtype=np.float64)
    if data.size != 1:
        raise ValueError(f"{who}: f must return a scalar, got shape {data.shape}")
    return float(data.reshape(()))


def numerical_grad(f, x, h=1e-6):
    """Central-difference gradient of a scalar function ``f`` at the array ``x``.

    ``f`` is called with float64 arrays of ``x``'s shape; ``x`` itself is not
    changed. Costs 2 evaluations of f per entry of x.
    """
    x = np.array(x, dtype=np.float64, order="C")  # our own copy, perturbed in place
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = _scalar(f(x.copy()), "numerical_grad")
        flat[i] = old - h
        f_minus = _scalar(f(x.copy()), "numerical_grad")
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def numerical_param_grads(loss_fn, params, h=1e-6):
    """Central-difference gradients of ``loss_fn()`` with respect to each parameter.

    ``params`` is a Module or a list of Tensors; each entry is nudged in place
    and restored exactly, so the module is unchanged afterwards.
    """
    params = params.parameters() if hasattr(params, "parameters") else list(params)
    grads = []
    with no_grad():
        for p in params:
            flat = p.data.reshape(-1)  # a view: writes go into p.data
            if not np.shares_memory(flat, p.data):
                raise ValueError("numerical_param_grads: parameter data is not contiguous")
            g = np.zeros(p.data.shape)
            gflat = g.reshape(-1)
            for i in range(flat.size):
                old = flat[i]
                try:
                    flat[i] = old + h
                    f_plus = _scalar(loss_fn(), "numerical_param_grads")
                    flat[i] = old - h
                    f_minus = _scalar(loss_fn(), "numerical_param_grads")
                finally:
                    flat[i] = old
                gflat[i] = (f_plus - f_minus) / (2.0 * h)
            grads.append(g)
    return grads


def _rel_errors(a, b):
    """Entrywise ``|a - b| / max(1e-8, |a| + |b|)`` (broadcast): 0 where both are NaN
    or the same infinity, inf where only one side is NaN."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    equal = (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))
    return np.where(equal, 0.0, np.where(np.isnan(err), np.inf, err))


def rel_error(a, b):
    """The relative error of CS231n: ``max |a - b| / max(1e-8, |a| + |b|)`` over the entries.

    ``a`` and ``b`` are numbers or arrays (broadcast against each other). 0
    when they are empty; NaN in the same place on both sides, or the same
    infinity, counts as equal, any other NaN as an infinite error. The one
    relative error of the package: gradient checks here and exercise checks
    in ``bpcourse.check`` both use it.
    """
    err = _rel_errors(a, b)
    return float(err.max()) if err.size else 0.0


@dataclass
class GradcheckResult:
    """The outcome of a gradient check; ``str(result)`` is a readable report."""

    max_rel_error: float
    worst: tuple  # (name of the input, index of its worst entry)
    analytic: list
    numerical: list
    names: list
    tol: float = DEFAULT_TOL
    per_input: list = field(default_factory=list)

    @property
    def passed(self):
        return bool(self.max_rel_error <= self.tol)

    def __bool__(self):
        return self.passed

    def __str__(self):
        verdict = "PASSED" if self.passed else "FAILED"
        sign = "<=" if self.passed else ">"
        lines = [f"gradcheck {verdict}: max relative error {self.max_rel_error:.2e} "
                 f"{sign} tol {self.tol:.0e}"]
        if self.names:
            name, index = self.worst
            k = self.names.index(name)
            a, n = self.analytic[k][index], self.numerical[k][index]
            lines.append(f"  worst entry: {name}{list(index)}: analytic {a:.10g}, "
                         f"numerical {n:.10g}")
            for name, err, shape in self.per_input:
                lines.append(f"  {name} {shape}: max relative error {err:.2e}")
        if not self.passed:
            lines.append("  (near a kink such as relu at 0 the finite difference is unreliable;"
                         " otherwise the analytic gradient is wrong there)")
        return "\n".join(lines)

    __repr__ = __str__


def _compare(analytic, numerical, names, tol):
    if not names:  # callers raise a clearer error first; this guards the names[0] below
        raise ValueError("gradcheck: nothing to check (no inputs or parameters)")
    per_input, worst, max_err = [], (names[0], ()), -1.0
    for name, a, n in zip(names, analytic, numerical, strict=True):
        a = np.asarray(a, dtype=np.float64)
        if a.shape != n.shape:
            raise ValueError(f"gradcheck: analytic gradient of {name} has shape {a.shape}, "
                             f"expected {n.shape}")
        rel = _rel_errors(a, n)
        err = float(rel.max()) if rel.size else 0.0
        per_input.append((name, err, n.shape))
        if rel.size and err > max_err:
            max_err = err
            worst = (name, tuple(int(i) for i in np.unravel_index(int(rel.argmax()), rel.shape)))
    analytic = [np.asarray(a, dtype=np.float64) for a in analytic]
    return GradcheckResult(max(max_err, 0.0), worst, analytic, list(numerical), list(names),
                           tol, per_input)


def gradcheck(f, inputs, analytic=None, h=1e-6, tol=DEFAULT_TOL):
    """Compare an analytic gradient of the scalar function ``f`` with finite differences.

    ``inputs`` is an array or a tuple of arrays; ``f(*inputs)`` must return a
    scalar. Two ways to use it:

    * ``analytic=None``: ``f`` works on Tensors and the analytic gradient is
      the one ``backward()`` computes (checks the engine or your new op);
    * ``analytic=`` your gradient (an array, or a tuple, one per input): ``f``
      is called with plain arrays (checks a hand-written backward pass).

    Returns a ``GradcheckResult``: ``.max_rel_error``, ``.worst`` (input and
    index), ``.passed`` against ``tol``, and a report via ``print(result)``.
    """
    single = not isinstance(inputs, (tuple, list))
    if not single and not inputs:
        raise ValueError("gradcheck: inputs is empty; pass an array or a tuple of arrays "
                         "to differentiate with respect to")
    arrays = [np.array(x, dtype=np.float64, order="C") for x in ((inputs,) if single else inputs)]
    names = [f"input {i}" for i in range(len(arrays))] if not single else ["x"]

    if analytic is None:
        tensors = [Tensor(x, requires_grad=True) for x in arrays]
        out = f(*tensors)
        if not isinstance(out, Tensor):
            raise TypeError("gradcheck: with analytic=None, f must return a Tensor")
        out.backward()
        grads = [t.grad if t.grad is not None else np.zeros(t.shape) for t in tensors]

        def evaluate(*xs):
            with no_grad():
                return f(*(Tensor(x) for x in xs))
    else:
        grads = [analytic] if single else list(analytic)
        if len(grads) != len(arrays):
            raise ValueError(f"gradcheck: {len(arrays)} inputs but {len(grads)} analytic gradients")
        evaluate = f

    numerical = []
    for i in range(len(arrays)):
        def f_i(x, i=i):
            xs = list(arrays)
            xs[i] = x
            return evaluate(*xs)
        numerical.append(numerical_grad(f_i, arrays[i], h))
    return _compare(grads, numerical, names, tol)


def gradcheck_module(loss_fn, module, h=1e-6, tol=DEFAULT_TOL):
    """Check ``backward()`` for every parameter of ``module`` on ``loss_fn()``.

    ``loss_fn`` takes no argument and returns the scalar loss Tensor computed
    with ``module`` (on fixed data). Gradients are cleared before and after.
    """
    named = module.named_parameters()
    if not named:
        raise ValueError(
            f"gradcheck_module: {type(module).__name__} has no parameters "
            "(named_parameters() is empty), so there is no gradient to check; "
            "to check a function of its inputs, use gradcheck(f, inputs)"
        )
    module.zero_grad()
    loss_fn().backward()
    grads = [p.grad.copy() if p.grad is not None else np.zeros(p.shape) for _, p in named]
    module.zero_grad()
    numerical = numerical_param_grads(loss_fn, [p for _, p in named], h)
    return _compare(grads, numerical, [n for n, _ in named], tol)
