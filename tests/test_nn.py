"""bpcourse.nn: module bookkeeping, PyTorch's default init, and layer behaviour."""

import math

import numpy as np
import pytest

import bpcourse.functional as F
from bpcourse import Tensor, nn


def test_named_parameters_are_dotted_and_stable():
    m = nn.MLP([2, 3, 3, 1], activation="tanh", rng=np.random.default_rng(0))
    names = [n for n, _ in m.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
                     "layers.4.weight", "layers.4.bias"]
    assert [p.shape for p in m.parameters()] == [(3, 2), (3,), (3, 3), (3,), (1, 3), (1,)]
    assert all(p.requires_grad for p in m.parameters())
    assert m.num_parameters() == 9 + 12 + 4
    assert [type(c).__name__ for c in m.layers] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert len(m.linears) == 3 and m.linears[0] is m.layers[0]


def test_custom_module_registers_by_assignment_and_shares_once():
    class Net(nn.Module):
        def __init__(self):  # no super().__init__() needed
            self.a = nn.Linear(2, 2, rng=np.random.default_rng(0))
            self.b = self.a  # shared: counted once
            self.scale = Tensor([1.0], requires_grad=True)
            self.buffer = Tensor([5.0])  # no grad: not a parameter

        def forward(self, x):
            return self.b(self.a(x)) * self.scale

    net = Net()
    # as torch: a module's own parameters first, then its children's
    assert [n for n, _ in net.named_parameters()] == ["scale", "a.weight", "a.bias"]
    net(Tensor(np.ones((1, 2)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.a = nn.Identity()  # reassigning replaces the registration; b still holds the layer
    assert [n for n, _ in net.named_parameters()] == ["scale", "b.weight", "b.bias"]


def test_linear_default_init_is_pytorchs_uniform():
    lin = nn.Linear(64, 500, rng=np.random.default_rng(0))
    bound = 1 / math.sqrt(64)
    assert lin.weight.shape == (500, 64) and lin.bias.shape == (500,)
    assert np.abs(lin.weight.data).max() <= bound
    assert np.abs(lin.weight.data).max() > 0.99 * bound
    assert np.var(lin.weight.data) == pytest.approx(bound**2 / 3, rel=0.03)
    assert np.abs(lin.bias.data).max() <= bound


def test_linear_rng_and_init_options():
    a = nn.Linear(3, 4, rng=np.random.default_rng(5))
    b = nn.Linear(3, 4, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    c = nn.Linear(300, 400, init="xavier_normal", rng=np.random.default_rng(0))
    assert np.var(c.weight.data) == pytest.approx(2 / 700, rel=0.03)
    np.testing.assert_array_equal(c.bias.data, np.zeros(400))
    assert nn.Linear(3, 4, bias=False, rng=np.random.default_rng(0)).bias is None
    with pytest.raises(ValueError, match="unknown init"):
        nn.Linear(3, 4, init="glorot", rng=np.random.default_rng(0))


def test_random_weights_need_an_explicit_rng():
    # no hidden global generator: every random layer names its rng
    for build in (lambda: nn.Linear(3, 4), lambda: nn.MLP([2, 3, 1]),
                  lambda: nn.ResidualBlock(3), lambda: nn.Linear(3, 4, rng=0)):
        with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
            build()
    rng = np.random.default_rng(123)
    a, b = nn.Linear(3, 4, rng=rng), nn.Linear(3, 4, rng=rng)
    assert not np.array_equal(a.weight.data, b.weight.data)  # one rng, successive layers differ
    again = nn.Linear(3, 4, rng=np.random.default_rng(123))
    np.testing.assert_array_equal(again.weight.data, a.weight.data)


def test_residual_adds_the_identity_to_the_jacobian():
    block = nn.Residual(nn.Linear(3, 3, rng=np.random.default_rng(0)))
    x = Tensor(np.zeros((1, 3)), requires_grad=True)
    block(x).sum().backward()
    W = block.fn.weight.data
    np.testing.assert_allclose(x.grad[0], 1.0 + W.sum(axis=0), rtol=1e-14)


def test_layernorm_output_has_zero_mean_and_unit_variance():
    ln = nn.LayerNorm(6)
    x = Tensor(np.random.default_rng(0).normal(3.0, 5.0, size=(4, 6)))
    y = ln(x).data
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-14)
    np.testing.assert_allclose(y.var(axis=1), 25 / (25 + 1e-5) * np.var(x.data, axis=1)
                               / np.var(x.data, axis=1), rtol=1e-3)
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(6,\)"):
        ln(Tensor(np.zeros((4, 5))))


def test_residual_block_stack_gives_per_layer_gradients():
    rng = np.random.default_rng(0)
    net = nn.Sequential(*[nn.ResidualBlock(8, activation="tanh", rng=rng) for _ in range(10)])
    x = Tensor(rng.normal(size=(4, 8)))
    F.mse_loss(net(x), np.zeros((4, 8))).backward()
    norms = [np.linalg.norm(b.linear.weight.grad) for b in net]
    assert len(norms) == 10 and all(n > 0 for n in norms)


def test_sequential_and_activation_errors():
    with pytest.raises(TypeError, match="item 1"):
        nn.Sequential(nn.ReLU(), 3)
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([2, 3, 1], activation="swish")
    with pytest.raises(ValueError, match="sizes"):
        nn.MLP([2])
    assert "Linear(2, 3, bias=True)" in repr(nn.MLP([2, 3, 1], rng=np.random.default_rng(0)))


def test_mlp_learns_xor():
    """An end-to-end check: 200 steps of SGD drive the loss of XOR near zero."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    m = nn.MLP([2, 8, 2], activation="tanh", rng=np.random.default_rng(0))
    for _ in range(300):
        loss = F.cross_entropy(m(Tensor(X)), y)
        m.zero_grad()
        loss.backward()
        for p in m.parameters():
            p.data -= 0.5 * p.grad
    assert loss.item() < 0.05
