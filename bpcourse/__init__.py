"""bpcourse: the companion package of *Backpropagation and Optimization*.

Every chapter of the course imports it. Each module holds one idea, short
enough to read in one sitting:

``value``       scalar reverse-mode autodiff (chapter 1)
``tensor``      the same over numpy arrays (chapter 2)
``functional``  softmax, cross-entropy, losses and activations
``nn``          layers and networks
``init``        weight initialization (chapter 6)
``gradcheck``   finite-difference gradient checking (chapter 2)
``optim``       update rules with their state, optimizers (chapters 3-5)
``schedules``   learning-rate schedules and the range test (chapter 3)
``clip``        gradient clipping (chapter 6)
``surfaces``    2-D test functions and optimizer trajectories
``data``        synthetic and small real data sets
``train``       the training loop
``plot``        figures; ``widgets`` explorers
``check``       the exercise checks
"""

import importlib

from .tensor import Tensor, no_grad
from .value import Value

__version__ = "0.1.0"

__all__ = ["Value", "Tensor", "no_grad", "__version__"]

# Submodules load on first use, so `import bpcourse` stays light: matplotlib,
# ipywidgets and the checks are imported only by the chapters that draw or check.
_SUBMODULES = {
    "value", "tensor", "functional", "nn", "init", "gradcheck", "optim",
    "schedules", "clip", "surfaces", "data", "train", "plot", "widgets", "check", "cli",
}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'bpcourse' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
