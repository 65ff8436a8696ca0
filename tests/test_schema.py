r"""Tests for lazygen.schema, the JSON Schema of the spec format."""

from __future__ import annotations

import json
import keyword
import pytest
import re
import subprocess
import sys
import yaml

from jsonschema import Draft7Validator
from lazygen.schema import KEYWORDS, SCHEMA, dumps, schema
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEC_FILES = sorted([*ROOT.glob("specs/*.yaml"), *ROOT.glob("specs/*.yml")])

VALIDATOR = Draft7Validator(SCHEMA)


class Yaml12Loader(yaml.SafeLoader):
    r"""A safe loader that reads ``1e-3`` as a float, as YAML 1.2 editors do.

    PyYAML follows YAML 1.1, where a float needs a dot (``1.0e-3``), and reads
    ``1e-3`` as a string; yaml-language-server, for which the schema is written,
    reads it as a number.
    """


Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def load(text: str) -> Any:
    r"""Returns the spec written in a YAML string."""

    return yaml.load(text, Loader=Yaml12Loader)


def errors(spec: Any) -> list[str]:
    r"""Returns the schema's error messages for a spec, empty when it is valid."""

    return [error.message for error in VALIDATOR.iter_errors(spec)]


VALID = {
    "spec_md_example": """
        lazygen: 1
        name: ConditionalNormal
        module: conditional_normal
        doc: Diagonal Gaussian p(x | c) whose parameters come from c.
        family: Normal
        features: 3
        context: 5
        net:
          hidden: [64, 64]
          activation: ReLU
        params:
          loc: net
          scale: net
        runtime: lazygen
    """,
    "minimal": """
        name: Minimal
        family: Normal
    """,
    "student_t_parameter": """
        name: ConditionalStudentT
        family: StudentT
        features: 2
        context: 4
        params:
          df: {parameter: 4.0}
          loc: net
          scale: {net: shared, transform: softplus, min: 1e-4}
    """,
    "unconditional_buffers": """
        name: StandardNormal
        family: Normal
        features: 3
        params:
          loc: {buffer: zeros}
          scale: {buffer: ones}
    """,
    "buffer_and_parameter_lists": """
        name: Fixed
        family: MultivariateNormal
        features: 2
        params:
          loc: {parameter: [0.5, -1]}
          scale_tril: {buffer: [[1.0, 0.0], [0.2, 1.0]], transform: identity}
    """,
    "mixture": """
        name: GaussianMixture
        family: Normal
        features: 2
        context: 3
        mixture: 5
        params:
          loc: net
          scale: net
    """,
    "categorical": """
        name: ConditionalCategorical
        family: Categorical
        features: 3
        context: 2
        categories: 4
        params:
          logits: net
    """,
    "own_network": """
        name: OwnNetwork
        family: Normal
        context: 2
        net: {hidden: [], activation: ELU}
        params:
          loc: {net: {hidden: [16], activation: Tanh}}
          scale: {net: {}}
    """,
    "low_rank": """
        name: ConditionalLowRank
        family: LowRankMultivariateNormal
        features: 3
        context: 5
        params:
          loc: net
          cov_factor: {net: shared, shape: [3, 2]}
          cov_diag: {net: shared, transform: exp, shape: [3]}
    """,
    "value_and_runtime": """
        lazygen: 1
        name: ConditionalMultinomial
        family: Multinomial
        features: 4
        context: 2
        runtime: zuko
        params:
          total_count: {value: 10}
          logits: net
    """,
    "values_of_any_scalar": """
        name: Values
        family: package.module:Class
        params:
          a: {value: null}
          b: {value: text}
          c: {value: [1, two, 3.0]}
          d: {value: true, shape: []}
          e: {parameter: 0.5, transform: sigmoid}
    """,
    "not_independent": """
        name: Gammas
        family: torch.distributions.Gamma
        features: 5
        independent: false
        params:
          concentration: {parameter: 2.0, transform: exp}
          rate: {parameter: ones}
    """,
}

INVALID = {
    "misspelt_top_level_key": """
        name: Typo
        family: Normal
        featurs: 3
    """,
    "misspelt_option": """
        name: Typo
        family: Normal
        context: 2
        params:
          loc: net
          scale: {net: shared, trasform: softplus}
    """,
    "misspelt_net_key": """
        name: Typo
        family: Normal
        net: {hiden: [16]}
    """,
    "misspelt_own_net_key": """
        name: Typo
        family: Normal
        context: 2
        params:
          loc: {net: {activaton: Tanh}}
    """,
    "version_2": """
        lazygen: 2
        name: Future
        family: Normal
    """,
    "features_0": """
        name: Empty
        family: Normal
        features: 0
    """,
    # jsonschema's "integer" does not accept booleans (bool is an int in Python).
    "features_bool": """
        name: Boolean
        family: Normal
        features: true
    """,
    "context_negative": """
        name: Negative
        family: Normal
        context: -1
    """,
    "net_and_parameter": """
        name: Both
        family: Normal
        context: 2
        params:
          loc: {net: shared, parameter: 0.0}
          scale: net
    """,
    "no_source": """
        name: Neither
        family: Normal
        params:
          loc: {transform: identity}
    """,
    "unknown_source_string": """
        name: Shorthand
        family: Normal
        params:
          loc: parameter
    """,
    "transform_cube": """
        name: Cube
        family: Normal
        context: 2
        params:
          loc: net
          scale: {net: shared, transform: cube}
    """,
    "runtime_jax": """
        name: Jax
        family: Normal
        runtime: jax
    """,
    "missing_name": """
        family: Normal
        features: 3
    """,
    "missing_family": """
        name: NoFamily
    """,
    "name_not_identifier": """
        name: 2Normal
        family: Normal
    """,
    "name_leading_underscore": """
        name: _Private
        family: Normal
    """,
    "name_keyword": """
        name: None
        family: Normal
    """,
    "categories_1": """
        name: OneCategory
        family: Categorical
        categories: 1
    """,
    "mixture_1": """
        name: OneComponent
        family: Normal
        mixture: 1
    """,
    "buffer_word": """
        name: Buffer
        family: Normal
        params:
          loc: {buffer: twos}
    """,
    "min_negative": """
        name: Floor
        family: Normal
        params:
          scale: {parameter: 1.0, min: -1.0}
    """,
    "shape_zero": """
        name: Shape
        family: Normal
        params:
          loc: {parameter: 0.0, shape: [0]}
    """,
}


def test_check_schema():
    Draft7Validator.check_schema(SCHEMA)

    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert SCHEMA["$id"] == "https://lazygen.dev/schema/v1.json"
    assert SCHEMA["title"]


@pytest.mark.parametrize("text", VALID.values(), ids=VALID.keys())
def test_valid(text: str):
    spec = load(text)

    assert errors(spec) == []


@pytest.mark.parametrize("text", INVALID.values(), ids=INVALID.keys())
def test_invalid(text: str):
    spec = load(text)

    assert errors(spec)


def test_invalid_examples_are_otherwise_valid():
    # Each invalid spec differs from a valid one by its one mistake only.
    spec = load(INVALID["misspelt_top_level_key"])
    spec["features"] = spec.pop("featurs")
    assert errors(spec) == []

    spec = load(INVALID["misspelt_option"])
    spec["params"]["scale"]["transform"] = spec["params"]["scale"].pop("trasform")
    assert errors(spec) == []


def test_properties_are_documented():
    def walk(node: Any, path: str):
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                assert "description" in prop, f"{path}/properties/{name}"
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")

    walk(SCHEMA, "#")

    props = SCHEMA["properties"]
    assert props["features"]["default"] == 1
    assert props["context"]["default"] == 0
    assert props["net"]["properties"]["hidden"]["default"] == [64, 64]
    assert props["net"]["properties"]["activation"]["default"] == "ReLU"
    assert props["runtime"]["default"] == "lazygen"
    assert props["independent"]["default"] is True

    options = SCHEMA["definitions"]["sourceMapping"]["properties"]
    assert options["transform"]["default"] == "auto"
    assert options["min"]["default"] == 1e-5


def test_keywords():
    assert list(KEYWORDS) == keyword.kwlist


def test_schema_is_a_copy():
    copy = schema()
    assert copy == SCHEMA

    copy["properties"]["features"]["default"] = 7
    copy["required"].append("params")
    assert SCHEMA["properties"]["features"]["default"] == 1
    assert SCHEMA["required"] == ["name", "family"]


def test_dumps():
    text = dumps()

    assert text.endswith("}\n")
    assert json.loads(text) == SCHEMA
    assert text == json.dumps(SCHEMA, indent=2) + "\n"


def test_no_heavy_imports():
    code = (
        "import sys, lazygen.schema; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'jinja2')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


# pytest skips a test parametrised over an empty list, so this test is defined only
# when the specs/ directory holds spec files.
if SPEC_FILES:

    @pytest.mark.parametrize("path", SPEC_FILES, ids=[path.name for path in SPEC_FILES])
    def test_spec_files(path: Path):
        with open(path, encoding="utf-8") as f:
            documents = list(yaml.load_all(f, Loader=Yaml12Loader))

        for i, spec in enumerate(documents):
            if spec is None:  # an empty document, e.g. after a trailing ---
                continue
            assert errors(spec) == [], f"{path.name}, document {i}"


def test_committed_schema_is_current():
    r"""The repository's lazygen.schema.json is what `lazygen schema` prints."""

    from lazygen.schema import dumps
    from pathlib import Path

    committed = Path(__file__).resolve().parents[1] / "lazygen.schema.json"
    assert committed.read_text() == dumps()
