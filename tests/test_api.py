r"""Tests of the Python API (:func:`lazygen.load`) and of the generated classes' contract."""

from __future__ import annotations

import lazygen
import pytest
import torch
import torch.nn as nn

from lazygen.errors import SpecError
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"


def test_load_returns_working_class():
    cls = lazygen.load(SPECS / "conditional_normal.yaml")
    assert cls.__name__ == "ConditionalNormal"

    lazy = cls()
    assert isinstance(lazy, lazygen.lazy.LazyDistribution)
    dist = lazy(torch.randn(7, 5))
    assert dist.batch_shape == (7,) and dist.event_shape == (3,)
    x = dist.sample((11,))
    assert x.shape == (11, 7, 3)
    assert dist.log_prob(x).shape == (11, 7)


def test_load_accepts_str_path():
    assert lazygen.load(str(SPECS / "conditional_normal.yaml")).__name__ == "ConditionalNormal"


def test_load_name_picks_spec():
    normal = lazygen.load(SPECS / "priors.yaml", name="StandardNormalPrior")
    gamma = lazygen.load(SPECS / "priors.yaml", name="LearnedGammaPrior")
    assert normal.__name__ == "StandardNormalPrior" and gamma.__name__ == "LearnedGammaPrior"

    x = normal()().sample((5,))
    assert x.shape == (5, 4)
    y = gamma()().sample((5,))
    assert y.shape == (5, 3) and (y > 0).all()
    assert len(list(normal().parameters())) == 0
    assert len(list(gamma().parameters())) > 0


def test_load_missing_or_ambiguous_name():
    with pytest.raises(SpecError) as info:
        lazygen.load(SPECS / "priors.yaml", name="NoSuchPrior")
    assert "NoSuchPrior" in str(info.value)

    with pytest.raises(SpecError) as info:
        lazygen.load(SPECS / "priors.yaml")
    assert "StandardNormalPrior" in str(info.value) and "LearnedGammaPrior" in str(info.value)


def test_zuko_runtime_flow_base():
    zuko = pytest.importorskip("zuko")
    from zuko.flows.autoregressive import MaskedAutoregressiveTransform

    base = lazygen.load(SPECS / "flow_base.yaml")()
    assert isinstance(base, zuko.lazy.LazyDistribution)

    flow = zuko.lazy.Flow(MaskedAutoregressiveTransform(3, 5), base)
    dist = flow(torch.randn(10, 5))
    x = dist.sample((100,))
    assert x.shape == (100, 10, 3)
    assert dist.log_prob(x).shape == (100, 10)
    assert any(p is q for p in flow.parameters() for q in base.parameters())


def test_keyword_overrides():
    cls = lazygen.load(SPECS / "conditional_normal.yaml")
    lazy = cls(hidden=(128, 128))
    widths = [m.out_features for m in lazy.modules() if isinstance(m, nn.Linear)]
    assert widths == [128, 128, 6]

    lazy = cls(features=2, context=4)
    assert lazy(torch.randn(4)).event_shape == (2,)


def test_forward_context_errors():
    lazy = lazygen.load(SPECS / "conditional_normal.yaml")()
    with pytest.raises(ValueError, match="5"):
        lazy(None)
    with pytest.raises(ValueError, match="5"):
        lazy(torch.randn(2, 4))
    with pytest.raises(ValueError, match="5"):
        lazy()
