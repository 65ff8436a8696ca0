r"""The fast path of generated diagonal Gaussian mixtures is the same distribution."""

import pytest
import torch

from lazygen.api import load
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

SPEC = """
name: Mixture
family: Normal
features: 3
context: 2
mixture: 4
params: {loc: net, scale: net}
"""


@pytest.fixture(scope="module")
def lazy(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "mixture.yaml"
    path.write_text(SPEC)
    torch.manual_seed(0)
    return load(path)()


def reference(dist) -> MixtureSameFamily:
    normal = dist.component_distribution.base_dist
    return MixtureSameFamily(
        Categorical(logits=dist.mixture_distribution.logits),
        Independent(Normal(normal.loc, normal.scale), 1),
    )


def test_is_a_mixture_same_family(lazy):
    dist = lazy(torch.randn(5, 2))

    assert type(dist).__name__ == "DiagonalNormalMixture"
    assert isinstance(dist, MixtureSameFamily)


@pytest.mark.parametrize("shape", [(), (7,), (2, 3)])
def test_log_prob_matches(lazy, shape):
    dist = lazy(torch.randn(5, 2))
    x = 3 * torch.randn(*shape, 5, 3)

    assert torch.allclose(dist.log_prob(x), reference(dist).log_prob(x), atol=1e-5)


def test_expand_keeps_the_fast_path(lazy):
    dist = lazy(torch.randn(2)).expand((6,))
    x = torch.randn(6, 3)

    assert type(dist).__name__ == "DiagonalNormalMixture"
    assert torch.allclose(dist.log_prob(x), reference(dist).log_prob(x), atol=1e-5)


def test_sample_matches_moments(lazy):
    torch.manual_seed(1)
    dist = lazy(torch.randn(2, 2))
    x = dist.sample((40000,))
    y = reference(dist).sample((40000,))

    assert x.shape == y.shape == (40000, 2, 3)
    assert torch.allclose(x.mean(0), y.mean(0), atol=0.1)
    assert torch.allclose(x.std(0), y.std(0), rtol=0.1)
    # the samples come from the mixture, not from one component
    assert torch.allclose(x.mean(0), dist.mean, atol=0.1)
    assert torch.allclose(x.var(0), dist.variance, rtol=0.1)
