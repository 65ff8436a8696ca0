r"""Coverage of the families of torch.distributions (and a few of zuko).

The test is parametrised over ``torch.distributions.__all__`` itself: a family that
torch adds later shows up here as a failing test until :data:`NATURAL` holds the
spec a user would naturally write for it (and lazygen generates it).

For each family, the natural spec (``context: 4``, ``features: 3``, every tensor
argument from ``net``, integer sizes as values) is built into a temporary folder and
the generated module is imported and checked in-process; then, once, all generated
test files run in a single pytest subprocess (about 25 s for the whole file).
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import pytest
import subprocess
import sys
import torch
import torch.distributions as D
import yaml

from lazygen.families import NOT_FAMILIES

#: The ``params`` of the natural spec of each family (extra top-level keys under "_").
NATURAL: dict[str, dict] = {
    "Bernoulli": {"probs": "net"},
    "Beta": {"concentration1": "net", "concentration0": "net"},
    "Binomial": {"total_count": {"value": 10}, "probs": "net"},
    "Categorical": {"_": {"categories": 4}, "logits": "net"},
    "Cauchy": {"loc": "net", "scale": "net"},
    "Chi2": {"df": "net"},
    "ContinuousBernoulli": {"probs": "net"},
    "Dirichlet": {"concentration": "net"},
    "Exponential": {"rate": "net"},
    "FisherSnedecor": {"df1": "net", "df2": "net"},
    "Gamma": {"concentration": "net", "rate": "net"},
    "GeneralizedPareto": {"loc": "net", "scale": "net", "concentration": "net"},
    "Geometric": {"probs": "net"},
    "Gumbel": {"loc": "net", "scale": "net"},
    "HalfCauchy": {"scale": "net"},
    "HalfNormal": {"scale": "net"},
    "InverseGamma": {"concentration": "net", "rate": "net"},
    "Kumaraswamy": {"concentration1": "net", "concentration0": "net"},
    "LKJCholesky": {"dim": {"value": 3}, "concentration": "net"},
    "Laplace": {"loc": "net", "scale": "net"},
    "LogNormal": {"loc": "net", "scale": "net"},
    "LogisticNormal": {"loc": "net", "scale": "net"},
    "LowRankMultivariateNormal": {
        "loc": "net",
        "cov_factor": {"net": "shared", "shape": [3, 2]},
        "cov_diag": "net",
    },
    "Multinomial": {"total_count": {"value": 10}, "probs": "net"},
    "MultivariateNormal": {"loc": "net", "scale_tril": "net"},
    "NegativeBinomial": {"total_count": "net", "probs": "net"},
    "Normal": {"loc": "net", "scale": "net"},
    "OneHotCategorical": {"probs": "net"},
    "OneHotCategoricalStraightThrough": {"probs": "net"},
    "Pareto": {"scale": "net", "alpha": "net"},
    "Poisson": {"rate": "net"},
    "RelaxedBernoulli": {
        "temperature": {"net": "shared", "transform": "softplus"},
        "probs": "net",
    },
    "RelaxedOneHotCategorical": {
        # torch's RelaxedOneHotCategorical only broadcasts a context-free temperature
        "temperature": {"parameter": 0.5, "transform": "softplus"},
        "probs": "net",
    },
    "StudentT": {"df": "net", "loc": "net", "scale": "net"},
    "Uniform": {"low": "net", "high": "net"},
    "VonMises": {"loc": "net", "concentration": "net"},
    "Weibull": {"scale": "net", "concentration": "net"},
    "Wishart": {"df": "net", "scale_tril": "net"},
}

#: More specs: alternatives of the hard families, mixtures, zuko families.
EXTRA: dict[str, dict] = {
    "MultivariateNormalCov": {
        "family": "MultivariateNormal",
        "params": {"loc": "net", "covariance_matrix": "net"},
    },
    "MultivariateNormalPrec": {
        "family": "MultivariateNormal",
        "params": {"loc": "net", "precision_matrix": "net"},
    },
    "WishartCov": {"family": "Wishart", "params": {"df": "net", "covariance_matrix": "net"}},
    "WishartPrec": {"family": "Wishart", "params": {"df": "net", "precision_matrix": "net"}},
    "BinomialBuffer": {
        "family": "Binomial",
        "params": {"total_count": {"buffer": 10}, "logits": "net"},
    },
    "NormalMixture": {"family": "Normal", "mixture": 3, "params": {"loc": "net", "scale": "net"}},
    "StudentTMixture": {
        "family": "StudentT",
        "mixture": 3,
        "params": {"df": "net", "loc": "net", "scale": "net"},
    },
    "GammaMixture": {
        "family": "Gamma",
        "mixture": 3,
        "params": {"concentration": "net", "rate": "net"},
    },
    "PoissonMixture": {"family": "Poisson", "mixture": 3, "params": {"rate": "net"}},
    "MultivariateNormalMixture": {
        "family": "MultivariateNormal",
        "mixture": 3,
        "params": {"loc": "net", "scale_tril": "net"},
    },
    "ZukoDiagNormal": {
        "family": "zuko.distributions:DiagNormal",
        "params": {
            "loc": {"net": "shared", "transform": "identity"},
            "scale": {"net": "shared", "transform": "softplus"},
        },
    },
    "ZukoBoxUniform": {
        "family": "zuko.distributions:BoxUniform",
        "context": 0,
        "params": {"lower": {"buffer": -1.0}, "upper": {"buffer": 1.0}},
    },
    "ZukoGeneralizedNormal": {
        "family": "zuko.distributions:GeneralizedNormal",
        # zuko declares no constraint for beta: the transform (and a floor) is the user's
        "params": {"beta": {"net": "shared", "transform": "softplus", "min": 0.5}},
    },
}


def concrete_families() -> list[str]:
    return [
        name
        for name in D.__all__
        if name not in NOT_FAMILIES
        and inspect.isclass(getattr(D, name))
        and issubclass(getattr(D, name), D.Distribution)
    ]


def spec_of(name: str) -> dict:
    if name in EXTRA:
        extra = dict(EXTRA[name])
        family, params = extra.pop("family"), extra.pop("params")
    else:
        params = dict(NATURAL[name])
        extra = params.pop("_", {})
        family = name
    return {
        "name": f"Cov{name}",
        "module": f"cov_{name.lower()}",
        "family": family,
        "features": 3,
        "context": 4,
        "net": {"hidden": [16]},
        **extra,
        "params": params,
    }


ALL = [*NATURAL, *EXTRA]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    r"""Builds every coverage spec, in one lazygen call, into one folder."""

    root = tmp_path_factory.mktemp("coverage")
    specs = root / "specs"
    specs.mkdir()
    for name in ALL:
        (specs / f"{name}.yaml").write_text(yaml.safe_dump(spec_of(name), sort_keys=False))
    out = root / "out"
    result = subprocess.run(
        [sys.executable, "-m", "lazygen", "build", str(specs), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        # build each spec alone, so that one bad spec does not hide the others
        for name in ALL:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "lazygen",
                    "build",
                    str(specs / f"{name}.yaml"),
                    "-o",
                    str(out),
                ],
                capture_output=True,
                text=True,
            )
    return out, result.stderr


def load(out, name: str):
    spec = spec_of(name)
    path = out / f"{spec['module']}.py"
    assert path.exists(), f"{name} was not generated"
    module_spec = importlib.util.spec_from_file_location(spec["module"], path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, spec["name"])


def event_shape(name: str) -> tuple[int, ...]:
    family = EXTRA.get(name, {}).get("family", name)
    return (3, 3) if family in ("LKJCholesky", "Wishart") else (3,)


def check(cls, name: str) -> None:
    torch.manual_seed(0)
    lazy = cls()
    c = torch.randn(4, 4)
    batch = (4,) if spec_of(name)["context"] else ()
    for scale in (1.0, 30.0):
        dist = lazy(scale * c)
        assert dist.batch_shape == batch, name
        assert dist.event_shape == event_shape(name), name
        x = dist.sample((8,))
        assert x.shape == (8, *batch, *event_shape(name))
        assert dist.support.check(x).all(), f"{name}: samples outside the support (x{scale})"
        log_p = dist.log_prob(x)
        assert log_p.shape == (8, *batch)
        assert torch.isfinite(log_p).all(), f"{name}: log_prob not finite (x{scale})"
        lazy.zero_grad()
        loss = -log_p.mean()
        if not list(lazy.parameters()):
            assert not loss.requires_grad
            continue
        loss.backward()
        for pname, p in lazy.named_parameters():
            assert p.grad is not None, f"{name}: no gradient for {pname}"
            assert torch.isfinite(p.grad).all(), f"{name}: gradient of {pname} (x{scale})"


@pytest.mark.parametrize("name", concrete_families())
def test_family(built, name):
    assert name in NATURAL, f"no natural spec for the new family {name}: add it to NATURAL"
    check(load(built[0], name), name)


def test_concrete_families_are_38():
    assert len(concrete_families()) >= 38


@pytest.mark.parametrize("name", list(EXTRA))
def test_extra(built, name):
    check(load(built[0], name), name)


def test_generated_tests_pass(built):
    r"""Runs the generated test files of every coverage spec, in one pytest call.

    About 15 s on an idle machine (1,000 generated tests), so not marked slow.
    """

    out, _ = built
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
        capture_output=True,
        text=True,
        cwd=out,
        env={**os.environ, "OMP_NUM_THREADS": "1"},  # one thread: small tensors, no contention
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_families_command_reports_every_family_supported():
    from lazygen.families import table

    rows = table().splitlines()[1:]

    assert {row.split()[0] for row in rows} == set(concrete_families())
    assert all(row.rstrip().endswith("supported") for row in rows)


def test_readme_lists_the_families():
    r"""The README's "Supported families" is the output of ``lazygen families --markdown``."""

    from click.testing import CliRunner
    from lazygen.cli import main
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    start = "<!-- lazygen families --markdown: start -->\n"
    end = "<!-- lazygen families --markdown: end -->"
    section = readme.split(start)[1].split(end)[0]
    result = CliRunner().invoke(main, ["families", "--markdown"])

    assert result.exit_code == 0
    assert section == result.output, "regenerate the README list: lazygen families --markdown"


def test_undeclared_constraint_needs_a_transform(tmp_path):
    r"""RelaxedBernoulli's temperature and zuko's DiagNormal loc have no declared constraint."""

    for family, params in [
        ("RelaxedBernoulli", {"temperature": "net", "probs": "net"}),
        ("zuko.distributions:DiagNormal", {"loc": "net", "scale": "net"}),
    ]:
        spec = {"name": "Bad", "family": family, "features": 3, "context": 4, "params": params}
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(spec))
        result = subprocess.run(
            [sys.executable, "-m", "lazygen", "validate", str(path)],
            capture_output=True,
            text=True,
        )

        assert result.returncode == 1
        assert "declares no constraint" in result.stderr
        assert "transform" in result.stderr


def test_relaxed_one_hot_temperature_is_context_free(tmp_path):
    spec = {
        "name": "Bad",
        "family": "RelaxedOneHotCategorical",
        "features": 3,
        "context": 4,
        "params": {"temperature": {"net": "shared", "transform": "softplus"}, "probs": "net"},
    }
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))
    result = subprocess.run(
        [sys.executable, "-m", "lazygen", "validate", str(path)], capture_output=True, text=True
    )

    assert result.returncode == 1
    assert "cannot come from net" in result.stderr
