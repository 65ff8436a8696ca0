r"""The family registry: introspected from torch, cached as JSON."""

from __future__ import annotations

import os
import pytest
import subprocess
import sys

from click.testing import CliRunner
from lazygen.cli import main
from lazygen.families import (
    AUTO_TRANSFORMS,
    FamilyError,
    activations,
    builtin_families,
    lookup,
    table,
)


def test_builtin_count():
    families = builtin_families()
    assert len(families) == 38
    for name in ("Distribution", "Independent", "MixtureSameFamily", "TransformedDistribution"):
        assert name not in families
    assert all(family.builtin and family.supported for family in families.values())


def test_normal():
    normal = builtin_families()["Normal"]
    assert (normal.module, normal.cls) == ("torch.distributions", "Normal")
    assert [a.name for a in normal.args] == ["loc", "scale"]
    loc, scale = normal.args
    assert (loc.required, loc.tensor, loc.constraint, loc.shape) == (True, True, "real", ("D",))
    assert (scale.required, scale.constraint) == (True, "positive")
    assert normal.arg("scale") is scale
    assert normal.arg("validate_args") is None
    assert normal.alternatives == ()
    assert AUTO_TRANSFORMS[scale.constraint] == "softplus"


def test_alternatives():
    families = builtin_families()
    bernoulli = families["Bernoulli"]
    assert bernoulli.alternatives == (("probs", "logits"),)
    assert not bernoulli.arg("probs").required and not bernoulli.arg("logits").required
    assert bernoulli.arg("probs").constraint == "unit_interval"

    mvn = families["MultivariateNormal"]
    assert mvn.alternatives == (("covariance_matrix", "precision_matrix", "scale_tril"),)
    assert mvn.arg("loc").required
    assert mvn.arg("scale_tril").constraint == "lower_cholesky"
    assert mvn.arg("scale_tril").shape == ("D", "D")
    assert mvn.arg("covariance_matrix").constraint == "positive_definite"


@pytest.mark.parametrize(
    "name, rank",
    [
        ("Normal", 0),
        ("Bernoulli", 0),
        ("Categorical", 0),
        ("Uniform", 0),
        ("Dirichlet", 1),
        ("MultivariateNormal", 1),
        ("Multinomial", 1),
        ("OneHotCategorical", 1),
        ("LowRankMultivariateNormal", 1),
        ("LKJCholesky", 2),
        ("Wishart", 2),
    ],
)
def test_event_rank(name, rank):
    assert builtin_families()[name].event_rank == rank


@pytest.mark.parametrize(
    "name, rsample",
    [
        ("Normal", True),
        ("MultivariateNormal", True),
        ("Dirichlet", True),
        ("Bernoulli", False),
        ("Categorical", False),
        ("Poisson", False),
        ("Multinomial", False),
    ],
)
def test_has_rsample(name, rsample):
    assert builtin_families()[name].has_rsample is rsample


def test_discrete_and_values():
    families = builtin_families()
    assert families["Poisson"].discrete and not families["Normal"].discrete
    assert not families["Multinomial"].arg("total_count").tensor
    assert not families["LKJCholesky"].arg("dim").tensor
    assert families["Uniform"].arg("high").constraint == "greater_than(low)"
    assert families["Categorical"].arg("probs").shape == ("D", "K")


def test_activations():
    known = activations()
    assert {"ReLU", "Tanh", "ELU", "SiLU"} <= set(known)
    assert known == sorted(known)


def test_lookup_paths():
    assert lookup("Normal").name == "Normal"
    aliased = lookup("torch.distributions:Normal")
    assert aliased.name == "torch.distributions:Normal" and aliased.cls == "Normal"
    assert lookup("torch.distributions.Normal").cls == "Normal"
    zuko = lookup("zuko.distributions:DiagNormal")
    assert not zuko.builtin and zuko.cls == "DiagNormal"


@pytest.mark.parametrize(
    "name, message",
    [
        ("Nope", "unknown family 'Nope'"),
        ("no such", "unknown family"),
        ("nosuchpkg.mod:Dist", "cannot import 'nosuchpkg.mod'"),
        ("torch.nn:Linear", "is not a torch.distributions.Distribution subclass"),
        ("torch.distributions:Nope", "has no class 'Nope'"),
    ],
)
def test_lookup_errors(name, message):
    with pytest.raises(FamilyError, match=message):
        lookup(name)


PROBE = (
    "import sys; from lazygen.families import builtin_families; "
    "builtin_families(); print('torch' in sys.modules)"
)


def test_cache_avoids_torch(tmp_path):
    env = {**os.environ, "LAZYGEN_CACHE_DIR": str(tmp_path)}

    def probe() -> str:
        done = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert probe() == "True"  # the first run introspects torch and writes the cache
    (cache,) = tmp_path.glob("families-*.json")
    assert cache.stat().st_size > 0
    assert not list(tmp_path.glob("*.tmp"))
    assert probe() == "False"
    assert probe() == "False"


def test_corrupt_cache_is_rebuilt(tmp_path):
    env = {**os.environ, "LAZYGEN_CACHE_DIR": str(tmp_path)}
    run = [sys.executable, "-c", PROBE]
    subprocess.run(run, env=env, check=True, capture_output=True)
    (cache,) = tmp_path.glob("families-*.json")
    cache.write_text("{not json")
    done = subprocess.run(run, env=env, check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "True"
    done = subprocess.run(run, env=env, check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "False"


def test_families_command():
    result = CliRunner().invoke(main, ["families"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["family", "event"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == set(builtin_families())
    for row in rows.values():
        assert row.rstrip().endswith("supported")
    assert "scale: positive -> softplus" in rows["Normal"]
    assert "one of probs | logits" in rows["Bernoulli"]
    assert "total_count: nonnegative_integer -> buffer or value" in rows["Binomial"]
    assert rows["Wishart"].split()[1] == "matrix"
    assert table() == result.output.rstrip("\n")
