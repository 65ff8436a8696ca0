r"""Tests of :mod:`lazygen.lazy`, the runtime base classes of every generated module.

The runtime mirrors :mod:`zuko.lazy`: the examples of zuko's documentation on lazy
distributions run here with ``zuko.lazy`` replaced by ``lazygen.lazy``, and state
dicts load both ways between lazygen's and zuko's ``UnconditionalDistribution``.

Importing zuko turns torch's argument validation off globally, so nothing here relies
on a distribution rejecting its arguments.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import zuko.lazy

from hypothesis import given, settings
from hypothesis import strategies as st
from lazygen.lazy import LazyDistribution, UnconditionalDistribution
from torch.distributions import LKJCholesky, Normal
from zuko.distributions import DiagNormal
from zuko.flows.autoregressive import MaskedAutoregressiveTransform

# ---------------------------------------------------------------------------------------
# LazyDistribution
# ---------------------------------------------------------------------------------------


class ConditionalNormal(LazyDistribution):
    r"""The custom lazy distribution of the documentation, verbatim."""

    def __init__(self, features: int, context: int):
        super().__init__()
        self.mu_net = nn.Linear(context, features)
        self.sigma_net = nn.Sequential(nn.Linear(context, features), nn.Softplus())

    def forward(self, c: torch.Tensor | None = None) -> Normal:
        if c is None:
            raise ValueError("Context is required")

        mu = self.mu_net(c)
        sigma = self.sigma_net(c)

        return Normal(mu, sigma)


def test_lazy_distribution_is_abstract():
    with pytest.raises(TypeError):
        LazyDistribution()

    class NoForward(LazyDistribution):
        pass

    with pytest.raises(TypeError):
        NoForward()


def test_lazy_distribution_is_a_module():
    assert issubclass(LazyDistribution, nn.Module)
    assert issubclass(UnconditionalDistribution, LazyDistribution)


def test_custom_conditional_normal():
    dist = ConditionalNormal(features=3, context=5)
    context = torch.randn(10, 5)
    p_x_given_c = dist(context)
    samples = p_x_given_c.sample()

    assert isinstance(dist, LazyDistribution)
    assert isinstance(p_x_given_c, Normal)
    assert samples.shape == (10, 3)
    assert p_x_given_c.log_prob(samples).shape == (10, 3)
    assert torch.all(p_x_given_c.scale > 0)
    # The networks are submodules, so their weights are the module's parameters.
    assert len(list(dist.parameters())) == 4
    assert sum(p.numel() for p in dist.parameters()) == 2 * (5 * 3 + 3)


def test_custom_conditional_normal_requires_context():
    dist = ConditionalNormal(features=3, context=5)

    with pytest.raises(ValueError, match="Context is required"):
        dist(None)
    with pytest.raises(ValueError, match="Context is required"):
        dist()


def test_custom_conditional_normal_depends_on_context():
    torch.manual_seed(0)
    dist = ConditionalNormal(features=3, context=5)
    c1, c2 = torch.randn(5), torch.randn(5)

    assert not torch.equal(dist(c1).loc, dist(c2).loc)
    assert torch.equal(dist(c1).loc, dist(c1.clone()).loc)


# ---------------------------------------------------------------------------------------
# UnconditionalDistribution: the documentation's examples
# ---------------------------------------------------------------------------------------


def test_diag_normal_buffers():
    mu = torch.zeros(3)
    sigma = torch.ones(3)

    base = UnconditionalDistribution(DiagNormal, mu, sigma, buffer=True)

    dist = base()
    assert isinstance(dist, DiagNormal)
    assert repr(dist) == "DiagNormal(loc: torch.Size([3]), scale: torch.Size([3]))"

    samples = dist.sample()
    assert samples.shape == (3,)

    # Buffers, not parameters.
    assert list(base.parameters()) == []
    assert [name for name, _ in base.named_buffers()] == ["_0", "_1"]
    assert not base._0.requires_grad and not base._1.requires_grad
    assert torch.equal(base._0, mu) and torch.equal(base._1, sigma)
    assert list(base.state_dict()) == ["_0", "_1"]

    assert torch.equal(dist.mean, mu)
    assert torch.equal(dist.stddev, sigma)


def test_normal_parameters_are_trainable():
    loc = torch.zeros(5, requires_grad=True)
    scale = torch.ones(5, requires_grad=True)

    base = UnconditionalDistribution(Normal, loc, scale, buffer=False)

    params = list(base.parameters())
    assert len(params) == 2
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params)
    assert torch.equal(params[0], loc) and torch.equal(params[1], scale)
    assert params[0] is base._0 and params[1] is base._1
    assert [name for name, _ in base.named_parameters()] == ["_0", "_1"]
    assert list(base.buffers()) == []

    # A backward pass reaches the parameters, with the analytical gradient of
    # log N(x | loc, scale) at loc = 0, scale = 1: d/dloc = x, d/dscale = x^2 - 1.
    x = torch.randn(5)
    base().log_prob(x).sum().backward()

    assert torch.allclose(base._0.grad, x)
    assert torch.allclose(base._1.grad, x**2 - 1)


def test_normal_parameters_train():
    torch.manual_seed(0)
    base = UnconditionalDistribution(Normal, torch.zeros(2), torch.ones(2))
    data = torch.tensor([3.0, -2.0]) + 0.5 * torch.randn(512, 2)
    optimizer = torch.optim.Adam(base.parameters(), lr=0.1)

    for _ in range(300):
        optimizer.zero_grad()
        loss = -base().log_prob(data).mean()
        loss.backward()
        optimizer.step()

    assert torch.allclose(base._0.detach(), data.mean(dim=0), atol=0.05)
    assert torch.allclose(base._1.detach(), data.std(dim=0), atol=0.05)


def test_normal_base_of_unconditional_flow():
    r"""The documentation's "use in a normalizing flow" snippet, with ``my_transform``
    made concrete (an unconditional autoregressive transform).

    ``Flow`` is not part of :mod:`lazygen.lazy`, so it comes from :mod:`zuko.lazy`.
    """

    loc = torch.zeros(5, requires_grad=True)
    scale = torch.ones(5, requires_grad=True)
    base = UnconditionalDistribution(Normal, loc, scale, buffer=False)

    my_transform = MaskedAutoregressiveTransform(5, hidden_features=(16,))
    flow = zuko.lazy.Flow(transform=my_transform, base=base)

    # The base's parameters are the flow's parameters.
    flow_params = {id(p) for p in flow.parameters()}
    assert id(base._0) in flow_params and id(base._1) in flow_params

    dist = flow()
    assert dist.sample((7,)).shape == (7, 5)

    dist.log_prob(torch.randn(7, 5)).sum().backward()
    assert base._0.grad is not None and base._0.grad.abs().sum() > 0
    assert base._1.grad is not None and base._1.grad.abs().sum() > 0


def test_diag_normal_base_of_conditional_flow():
    base = UnconditionalDistribution(
        DiagNormal,
        loc=torch.zeros(3),
        scale=torch.ones(3),
        buffer=True,
    )

    flow = zuko.lazy.Flow(
        transform=MaskedAutoregressiveTransform(3, 5, hidden_features=(64, 64)),
        base=base,
    )

    context = torch.randn(10, 5)
    dist = flow(context)
    samples = dist.sample((100,))

    assert samples.shape == (100, 10, 3)
    log_p = dist.log_prob(samples)
    assert log_p.shape == (100, 10)
    assert torch.isfinite(log_p).all()

    # Keyword tensors are registered under their own names.
    assert [name for name, _ in base.named_buffers()] == ["loc", "scale"]
    assert list(base.parameters()) == []
    assert {"base.loc", "base.scale"} <= set(flow.state_dict())


# ---------------------------------------------------------------------------------------
# UnconditionalDistribution: semantics
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("buffer", [True, False])
def test_context_is_ignored(buffer):
    torch.manual_seed(0)
    loc, scale = torch.randn(3), torch.rand(3) + 0.5
    base = UnconditionalDistribution(Normal, loc, scale, buffer=buffer)

    reference = base()
    for c in (None, torch.randn(5), torch.randn(10, 5), torch.randn(2, 4, 7)):
        dist = base(c)
        assert dist.batch_shape == (3,)
        assert torch.equal(dist.loc, reference.loc)
        assert torch.equal(dist.scale, reference.scale)

    x = torch.randn(3)
    assert torch.equal(base(torch.randn(10, 5)).log_prob(x), reference.log_prob(x))


def test_non_tensor_positional_argument():
    concentration = torch.tensor(1.0)
    base = UnconditionalDistribution(LKJCholesky, 3, concentration)

    assert base._0 == 3 and type(base._0) is int
    assert base.args[0] == 3
    assert isinstance(base._1, nn.Parameter)
    assert torch.equal(base._1, concentration)
    assert list(base.state_dict()) == ["_1"]
    assert len(list(base.parameters())) == 1

    dist = base()
    assert isinstance(dist, LKJCholesky)
    assert dist.dim == 3

    L = dist.sample()
    assert L.shape == (3, 3)
    assert torch.equal(L, L.tril())
    assert torch.allclose((L @ L.T).diagonal(), torch.ones(3), atol=1e-5)


def test_non_tensor_keyword_argument():
    base = UnconditionalDistribution(Normal, torch.zeros(2), scale=2.0, buffer=True)

    assert base.scale == 2.0 and type(base.scale) is float
    assert base.kwargs == {"scale": 2.0}
    assert list(base.state_dict()) == ["_0"]

    dist = base()
    assert torch.equal(dist.scale, torch.full((2,), 2.0))
    assert torch.equal(dist.loc, torch.zeros(2))


def test_non_tensor_object_kept_as_is():
    sentinel = object()
    seen = []

    def f(x, *, tag):
        seen.append(tag)
        return Normal(x, torch.ones_like(x))

    base = UnconditionalDistribution(f, torch.zeros(2), tag=sentinel)
    base()

    assert base.tag is sentinel
    assert seen == [sentinel]


def test_args_and_kwargs_properties():
    a, b = torch.zeros(2), torch.ones(2)
    base = UnconditionalDistribution(Normal, a, scale=b, buffer=True)

    assert len(base.args) == 1 and base.args[0] is base._0
    assert list(base.kwargs) == ["scale"] and base.kwargs["scale"] is base.scale


def test_no_arguments():
    base = UnconditionalDistribution(lambda: Normal(torch.zeros(()), torch.ones(())))

    assert base.args == [] and base.kwargs == {}
    assert list(base.state_dict()) == []
    assert base().sample().shape == ()


class NormalBuilder(nn.Module):
    r"""A distribution constructor that is itself a module, with a trainable location."""

    def __init__(self, features: int):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(features))

    def forward(self, scale: torch.Tensor) -> Normal:
        return Normal(self.loc, scale)


def test_module_constructor_is_a_submodule():
    builder = NormalBuilder(3)
    base = UnconditionalDistribution(builder, torch.ones(3), buffer=True)

    assert base.f is builder
    assert dict(base.named_children()) == {"f": builder}
    assert [name for name, _ in base.named_parameters()] == ["f.loc"]
    assert list(base.parameters())[0] is builder.loc
    assert set(base.state_dict()) == {"f.loc", "_0"}

    base().log_prob(torch.randn(3)).sum().backward()
    assert builder.loc.grad is not None

    assert repr(base) == "UnconditionalDistribution(\n  (f): NormalBuilder()\n)"


def test_repr_shows_distribution():
    base = UnconditionalDistribution(DiagNormal, torch.zeros(3), torch.ones(3), buffer=True)

    assert repr(base) == (
        "UnconditionalDistribution(DiagNormal(loc: torch.Size([3]), scale: torch.Size([3])))"
    )

    base = UnconditionalDistribution(Normal, torch.zeros(2, 4), torch.ones(2, 4))
    assert "Normal(loc: torch.Size([2, 4]), scale: torch.Size([2, 4]))" in repr(base)


@pytest.mark.parametrize("buffer", [True, False])
def test_dtype_and_device_moves_apply_to_arguments(buffer):
    base = UnconditionalDistribution(Normal, torch.zeros(3), scale=torch.ones(3), buffer=buffer)
    base = base.to(torch.float64)

    dist = base()
    assert dist.loc.dtype == torch.float64
    assert dist.scale.dtype == torch.float64
    assert dist.sample().dtype == torch.float64


# ---------------------------------------------------------------------------------------
# Compatibility with zuko: same repr, state dicts load both ways
# ---------------------------------------------------------------------------------------


def _cases():
    r"""Pairs of (name, constructor arguments builder, sample shape).

    Each builder returns ``(f, args, kwargs)`` with fresh tensors, so that lazygen and
    zuko instances never share storage.
    """

    return {
        "positional-buffers": (
            lambda: (DiagNormal, (torch.zeros(3), torch.ones(3)), {"buffer": True}),
            (3,),
        ),
        "keyword-buffers": (
            lambda: (
                DiagNormal,
                (),
                {"loc": torch.zeros(3), "scale": torch.ones(3), "buffer": True},
            ),
            (3,),
        ),
        "positional-parameters": (
            lambda: (Normal, (torch.zeros(2, 4), torch.ones(2, 4)), {"buffer": False}),
            (2, 4),
        ),
        "mixed": (
            lambda: (Normal, (torch.zeros(4),), {"scale": torch.ones(4), "validate_args": False}),
            (4,),
        ),
        "non-tensor-positional": (
            lambda: (LKJCholesky, (3, torch.tensor(1.0)), {"buffer": False}),
            (3, 3),
        ),
    }


CASES = _cases()


def _randomize(module: nn.Module, generator: torch.Generator) -> None:
    r"""Fills every tensor of a module's state with random positive values."""

    with torch.no_grad():
        for tensor in module.state_dict().values():
            tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)


@pytest.mark.parametrize("case", list(CASES))
def test_same_state_dict_keys_and_repr_as_zuko(case):
    build, _ = CASES[case]
    f, args, kwargs = build()
    ours = UnconditionalDistribution(f, *args, **kwargs)
    f, args, kwargs = build()
    theirs = zuko.lazy.UnconditionalDistribution(f, *args, **kwargs)

    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("direction", ["zuko-to-lazygen", "lazygen-to-zuko"])
@pytest.mark.parametrize("case", list(CASES))
def test_state_dict_loads_both_ways(case, direction):
    build, sample_shape = CASES[case]
    f, args, kwargs = build()
    ours = UnconditionalDistribution(f, *args, **kwargs)
    f, args, kwargs = build()
    theirs = zuko.lazy.UnconditionalDistribution(f, *args, **kwargs)

    source, target = (theirs, ours) if direction == "zuko-to-lazygen" else (ours, theirs)

    generator = torch.Generator().manual_seed(1234)
    _randomize(source, generator)
    before = {k: v.clone() for k, v in target.state_dict().items()}

    result = target.load_state_dict(source.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys

    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value), key
        assert not torch.equal(before[key], value), key  # the load changed something

    x = source().sample()
    assert x.shape == sample_shape
    assert torch.equal(target().log_prob(x), source().log_prob(x))


def test_state_dict_loads_both_ways_with_module_constructor():
    ours = UnconditionalDistribution(NormalBuilder(3), torch.ones(3), buffer=True)
    theirs = zuko.lazy.UnconditionalDistribution(NormalBuilder(3), torch.ones(3), buffer=True)
    generator = torch.Generator().manual_seed(0)

    for source, target in ((theirs, ours), (ours, theirs)):
        _randomize(source, generator)
        target.load_state_dict(source.state_dict(), strict=True)

        assert torch.equal(target.f.loc, source.f.loc)
        assert torch.equal(target._0, source._0)
        x = torch.randn(3)
        assert torch.equal(target().log_prob(x), source().log_prob(x))


def test_flow_state_dict_loads_from_zuko_base():
    r"""A zuko flow whose base is lazygen's loads the state of one whose base is zuko's."""

    def make(cls):
        torch.manual_seed(0)
        return zuko.lazy.Flow(
            transform=MaskedAutoregressiveTransform(3, 5, hidden_features=(8,)),
            base=cls(DiagNormal, loc=torch.zeros(3), scale=torch.ones(3), buffer=True),
        )

    theirs = make(zuko.lazy.UnconditionalDistribution)
    ours = make(UnconditionalDistribution)
    _randomize(theirs.base, torch.Generator().manual_seed(3))
    ours.load_state_dict(theirs.state_dict(), strict=True)

    c, x = torch.randn(4, 5), torch.randn(4, 3)
    assert torch.equal(ours(c).log_prob(x), theirs(c).log_prob(x))


@settings(max_examples=25, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=3),
    buffer=st.booleans(),
    keyword=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_matches_zuko(shape, buffer, keyword, seed):
    generator = torch.Generator().manual_seed(seed)
    loc = torch.randn(shape, generator=generator)
    scale = torch.rand(shape, generator=generator) + 0.1

    def make(cls):
        if keyword:
            return cls(Normal, loc=loc.clone(), scale=scale.clone(), buffer=buffer)
        return cls(Normal, loc.clone(), scale.clone(), buffer=buffer)

    ours, theirs = make(UnconditionalDistribution), make(zuko.lazy.UnconditionalDistribution)

    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = torch.randn(shape, generator=generator)
    assert torch.equal(ours().log_prob(x), theirs().log_prob(x))
    assert torch.equal(ours(torch.randn(2, 3)).mean, loc)
    assert repr(ours) == repr(theirs)
