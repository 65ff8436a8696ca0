r"""The JSON Schema (draft-07) of the lazygen spec format, version 1.

The schema describes one YAML document of a spec file. It is meant for editors
(``yaml-language-server`` and the like): every property has a description, and a
default where the format has one, so that editors offer completion and hover text.
It checks the shape of a spec only; whether a family exists, which arguments it
takes and whether a ``net`` source has a context are checked by ``lazygen
validate``.

``lazygen schema`` prints :func:`dumps`. To use it in an editor, put this line at
the top of a spec file:

.. code-block:: yaml

    # yaml-language-server: $schema=lazygen.schema.json
"""

from __future__ import annotations

__all__ = ["SCHEMA", "dumps", "schema"]

import copy
import json

from typing import Any

#: A Python identifier that does not start with an underscore.
IDENTIFIER = r"^[A-Za-z][A-Za-z0-9_]*$"

#: Python's keywords (``keyword.kwlist``), which are not valid class or module names.
KEYWORDS = (
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
)

TRANSFORMS = ("auto", "identity", "softplus", "exp", "sigmoid", "softmax", "tanh")

RUNTIMES = ("lazygen", "zuko")


def _identifier(description: str) -> dict[str, Any]:
    r"""Returns the schema of a Python identifier that is not a keyword.

    Arguments:
        description: The description of the property.

    Returns:
        A string schema with the identifier pattern, excluding Python's keywords.
    """

    return {
        "description": description,
        "type": "string",
        "pattern": IDENTIFIER,
        "not": {"enum": list(KEYWORDS)},
    }


def _network(defaults: bool) -> dict[str, Any]:
    r"""Returns the schema of a network description (``hidden`` and ``activation``).

    Arguments:
        defaults: Whether to state the defaults of the shared network. A parameter's
            own network does not state them.

    Returns:
        An object schema with the properties ``hidden`` and ``activation``.
    """

    hidden: dict[str, Any] = {
        "description": "Hidden layer widths ([] = one Linear layer).",
        "type": "array",
        "items": {"type": "integer", "minimum": 1},
    }
    activation: dict[str, Any] = {
        "description": "A torch.nn activation class name (ReLU, Tanh, ELU, ...).",
        "type": "string",
        "minLength": 1,
    }
    if defaults:
        hidden["default"] = [64, 64]
        activation["default"] = "ReLU"

    return {
        "type": "object",
        "properties": {"hidden": hidden, "activation": activation},
        "additionalProperties": False,
    }


def _build() -> dict[str, Any]:
    r"""Returns the JSON Schema of a lazygen spec document.

    Returns:
        The draft-07 schema, as a JSON-serialisable dictionary.
    """

    number_array = {
        "description": "A (nested) list of numbers, of the parameter's exact shape.",
        "type": "array",
        "items": {
            "anyOf": [
                {"type": "number"},
                {"$ref": "#/definitions/numberArray"},
            ],
        },
    }

    tensor_value = {
        "description": (
            "A number (broadcast to the parameter's shape), a list of the parameter's "
            "exact shape, or zeros / ones."
        ),
        "anyOf": [
            {"type": "number"},
            {"$ref": "#/definitions/numberArray"},
            {"type": "string", "enum": ["zeros", "ones"]},
        ],
    }

    own_network = _network(defaults=False)
    own_network["description"] = "A network of this parameter's own, computed from c."

    source_mapping = {
        "description": (
            "A parameter source: exactly one of net, parameter, buffer or value, "
            "plus the options transform, min and shape."
        ),
        "type": "object",
        "properties": {
            "net": {
                "description": (
                    "Computed from c (only when context > 0): 'shared' takes a slice of "
                    "the shared network's output; {hidden, activation} gives this "
                    "parameter a network of its own."
                ),
                "anyOf": [
                    {"type": "string", "enum": ["shared"]},
                    own_network,
                ],
            },
            "parameter": {
                "description": (
                    "Context-independent and trainable (an nn.Parameter); the initial "
                    "value, in the constrained space."
                ),
                "allOf": [{"$ref": "#/definitions/tensorValue"}],
            },
            "buffer": {
                "description": (
                    "Context-independent and fixed: a registered buffer, saved in the "
                    "state dict, not trainable."
                ),
                "allOf": [{"$ref": "#/definitions/tensorValue"}],
            },
            "value": {
                "description": (
                    "A plain Python constant passed as is, for non-tensor arguments "
                    "(LKJCholesky.dim, Multinomial.total_count, ...)."
                ),
                "type": ["number", "string", "boolean", "null", "array"],
            },
            "transform": {
                "description": (
                    "How unconstrained numbers reach the constraint; auto picks it from "
                    "the family's arg_constraints (softplus for positive, sigmoid for "
                    "the unit interval, softmax for the simplex, identity for reals...)."
                ),
                "type": "string",
                "enum": list(TRANSFORMS),
                "default": "auto",
            },
            "min": {
                "description": "A floor added after a positive transform, for stability.",
                "type": "number",
                "minimum": 0,
                "default": 1e-5,
            },
            "shape": {
                "description": (
                    "The parameter's shape without batch dims, for import-path families "
                    "whose shapes lazygen cannot infer (default [features])."
                ),
                "type": "array",
                "items": {"type": "integer", "minimum": 1},
            },
        },
        "additionalProperties": False,
        "oneOf": [
            {"required": ["net"]},
            {"required": ["parameter"]},
            {"required": ["buffer"]},
            {"required": ["value"]},
        ],
    }

    source = {
        "description": (
            "Where a constructor argument comes from: net (a slice of the shared "
            "network), or a mapping with one of net, parameter, buffer or value."
        ),
        "oneOf": [
            {"type": "string", "enum": ["net"]},
            {"$ref": "#/definitions/sourceMapping"},
        ],
    }

    shared_network = _network(defaults=True)
    shared_network["description"] = "The shared network for every net parameter."
    shared_network["default"] = {"hidden": [64, 64], "activation": "ReLU"}

    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://lazygen.dev/schema/v1.json",
        "title": "lazygen spec",
        "description": (
            "A lazygen spec (format version 1): a conditional distribution p(x | c) "
            "to generate as a PyTorch module."
        ),
        "type": "object",
        "properties": {
            "lazygen": {
                "description": "The format version; anything but 1 is an error.",
                "const": 1,
                "default": 1,
            },
            "name": _identifier(
                "The class name, a Python identifier (not a keyword, no leading _)."
            ),
            "module": _identifier("The module file name (default snake_case(name))."),
            "doc": {
                "description": "The docstring text of the generated class.",
                "type": "string",
            },
            "family": {
                "description": (
                    "A class name exported by torch.distributions (Normal, StudentT, "
                    "...) or an import path to a Distribution subclass "
                    "(package.module:Class or package.module.Class)."
                ),
                "type": "string",
                "minLength": 1,
                "examples": ["Normal", "StudentT", "zuko.distributions:DiagNormal"],
            },
            "features": {
                "description": "The event size: the last dim of x.",
                "type": "integer",
                "minimum": 1,
                "default": 1,
            },
            "context": {
                "description": "The size of the context vector c (0 = unconditional).",
                "type": "integer",
                "minimum": 0,
                "default": 0,
            },
            "net": shared_network,
            "params": {
                "description": "One entry per constructor argument of the family.",
                "type": "object",
                "propertyNames": {"pattern": IDENTIFIER},
                "additionalProperties": {"$ref": "#/definitions/source"},
            },
            "runtime": {
                "description": ("The base classes: lazygen (lazygen.lazy) or zuko (zuko.lazy)."),
                "type": "string",
                "enum": list(RUNTIMES),
                "default": "lazygen",
            },
            "independent": {
                "description": (
                    "Wrap a scalar-event family as Independent(..., 1) over the features "
                    "dimension; false keeps features in the batch shape."
                ),
                "type": "boolean",
                "default": True,
            },
            "categories": {
                "description": (
                    "The number of categories K of a Categorical-like family: x holds "
                    "features independent integers in [0, K)."
                ),
                "type": "integer",
                "minimum": 2,
            },
            "mixture": {
                "description": (
                    "Make the result a MixtureSameFamily of this many components of the family."
                ),
                "type": "integer",
                "minimum": 2,
            },
        },
        "required": ["name", "family"],
        "additionalProperties": False,
        "definitions": {
            "source": source,
            "sourceMapping": source_mapping,
            "tensorValue": tensor_value,
            "numberArray": number_array,
        },
    }


#: The JSON Schema (draft-07) of a lazygen spec document.
SCHEMA: dict[str, Any] = _build()


def schema() -> dict[str, Any]:
    r"""Returns the JSON Schema of a lazygen spec document.

    Returns:
        A deep copy of :data:`SCHEMA`, which the caller may modify.
    """

    return copy.deepcopy(SCHEMA)


def dumps() -> str:
    r"""Returns the JSON Schema of a lazygen spec document, as JSON text.

    Returns:
        The schema, indented by 2 spaces, with a final newline.
    """

    return json.dumps(SCHEMA, indent=2, sort_keys=False) + "\n"
