r"""The family registry: what lazygen knows of each distribution family.

For every family it records the constructor arguments (which are tensors and which
plain values, which are required), the constraint of each argument, the groups of
alternatives (``probs`` or ``logits``), the rank of the family's own event and the
per-sample shape of each argument. Most of it is read off torch by introspection
(``inspect.signature``, ``arg_constraints``, ``support``); the few facts torch does
not say are kept in one table, :data:`FACTS`.

Introspecting torch means importing it (about a second), so the facts of torch's
own families are cached as JSON, keyed by the torch and lazygen versions and this
file's contents: ``lazygen validate`` and ``lazygen build`` then never import torch.
Import-path families (``package.module:Class``) are always introspected live.
"""

from __future__ import annotations

__all__ = [
    "Arg",
    "Family",
    "FamilyError",
    "activations",
    "builtin_families",
    "lookup",
]

import hashlib
import importlib
import importlib.metadata
import inspect
import json
import os
import re

from . import __version__
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: Classes of ``torch.distributions.__all__`` that are not families of their own.
NOT_FAMILIES = (
    "Distribution",
    "ExponentialFamily",
    "Independent",
    "MixtureSameFamily",
    "TransformedDistribution",
)

#: Hand-written facts, the part torch does not say. Per family:
#: ``shapes``: per-sample shape of each tensor argument, in symbols (``D`` features,
#: ``D-1``, ``K`` categories, ``R`` a rank taken from the spec's ``shape``); others
#: are ``[D]`` for a scalar-event family and ``[D]`` for a vector-event one;
#: ``constraints``: constraints torch declares as dependent or not at all;
#: ``values``: arguments that are plain Python values, not tensors;
#: ``tensors``: tensor arguments that torch declares no constraint for;
#: ``event_rank``, ``discrete``: where ``support`` is a property and cannot be read
#: off the class;
#: ``floors``: default ``min`` of an argument, where 1e-5 is too close to the edge;
#: ``limits``: a soft bound ``L * tanh(x / L)`` on the unconstrained numbers a
#: network gives an argument, for families whose samples or log-densities overflow
#: at extreme parameters (see docs/families.md);
#: ``context_free``: arguments torch cannot batch, so not from ``net``.
FACTS: dict[str, dict[str, Any]] = {
    "Binomial": {"event_rank": 0, "discrete": True},
    "FisherSnedecor": {"floors": {"df2": 0.5}},
    "GeneralizedPareto": {
        "event_rank": 0,
        "floors": {"scale": 1e-2},
        "limits": {"concentration": 0.5},
    },
    "InverseGamma": {
        "floors": {"concentration": 0.5},
        "limits": {"concentration": 10.0, "rate": 10.0},
    },
    "Kumaraswamy": {
        "floors": {"concentration1": 0.2, "concentration0": 1.0},
        "limits": {"concentration1": 5.0, "concentration0": 5.0},
    },
    "StudentT": {"floors": {"df": 1.0}},
    "VonMises": {"limits": {"concentration": 10.0}},
    "Weibull": {
        "floors": {"concentration": 0.5},
        "limits": {"concentration": 5.0, "scale": 10.0},
    },
    "Categorical": {
        "event_rank": 0,
        "discrete": True,
        "shapes": {"probs": ["D", "K"], "logits": ["D", "K"]},
    },
    "ContinuousBernoulli": {"values": ["lims"]},
    "LKJCholesky": {"values": ["dim"], "shapes": {"concentration": []}},
    "LogisticNormal": {"shapes": {"loc": ["D-1"], "scale": ["D-1"]}},
    "LowRankMultivariateNormal": {"shapes": {"cov_factor": ["D", "R"]}},
    "Multinomial": {"event_rank": 1, "discrete": True, "values": ["total_count"]},
    "MultivariateNormal": {
        "floors": {"covariance_matrix": 0.1, "precision_matrix": 0.1},
        "limits": {"covariance_matrix": 5.0, "precision_matrix": 5.0},
        "shapes": {
            "covariance_matrix": ["D", "D"],
            "precision_matrix": ["D", "D"],
            "scale_tril": ["D", "D"],
        },
    },
    "Pareto": {
        "event_rank": 0,
        "floors": {"alpha": 1.0},
        "limits": {"alpha": 10.0, "scale": 10.0},
    },
    "RelaxedOneHotCategorical": {
        "tensors": ["temperature"],
        "shapes": {"temperature": []},
        "context_free": ["temperature"],
    },
    "Uniform": {
        "event_rank": 0,
        "constraints": {"low": "real", "high": "greater_than(low)"},
        "floors": {"high": 0.1},
        "limits": {"low": 10.0},
    },
    "RelaxedBernoulli": {"tensors": ["temperature"]},
    "Wishart": {
        "floors": {"df": 1.0, "covariance_matrix": 0.1, "precision_matrix": 0.1},
        "limits": {"scale_tril": 3.0, "covariance_matrix": 3.0, "precision_matrix": 3.0},
        "constraints": {
            "df": "greater_than(D-1)",
            "covariance_matrix": "positive_definite",
            "precision_matrix": "positive_definite",
            "scale_tril": "lower_cholesky",
        },
        "shapes": {
            "df": [],
            "covariance_matrix": ["D", "D"],
            "precision_matrix": ["D", "D"],
            "scale_tril": ["D", "D"],
        },
    },
}

#: The transform ``auto`` picks for each constraint.
AUTO_TRANSFORMS: dict[str, str] = {
    "real": "identity",
    "real_vector": "identity",
    "real_matrix": "identity",
    "positive": "softplus",
    "positive_vector": "softplus",
    "nonnegative": "softplus",
    "unit_interval": "sigmoid",
    "simplex": "softmax",
    "lower_cholesky": "cholesky",
    "positive_definite": "positive_definite",
    "open_interval(-1, 1)": "tanh",
}


class FamilyError(Exception):
    r"""A family that does not exist, does not import or is not a distribution."""


@dataclass(frozen=True)
class Arg:
    r"""A constructor argument of a family.

    Arguments:
        name: The argument's name.
        required: Whether the constructor needs it (no default, and not one of a
            group of alternatives).
        tensor: Whether it is a tensor (from ``net``, ``parameter`` or ``buffer``)
            rather than a plain value.
        constraint: Its constraint, in lazygen's words (``"positive"``, ...), or
            :py:`None` where the family declares none.
        shape: Its per-sample shape, in symbols (``"D"``, ``"K"``, ...).
        default: The constructor's default, where it is a plain literal.
    """

    name: str
    required: bool
    tensor: bool
    constraint: str | None
    shape: tuple[str, ...]
    default: Any = None
    floor: float | None = None
    limit: float | None = None
    context_free: bool = False


@dataclass(frozen=True)
class Family:
    r"""What lazygen knows of a distribution family.

    Arguments:
        name: The family as a spec names it (``"Normal"``, ``"pkg.mod:Class"``).
        module: The module the class is imported from.
        cls: The class name.
        args: The constructor arguments, in signature order.
        alternatives: Groups of arguments of which exactly one must be given.
        event_rank: The rank of the family's own event (0 scalar, 1 vector, 2 matrix).
        has_rsample: Whether the family has reparametrised samples.
        discrete: Whether its support is discrete.
        dependent_support: Whether its support moves with its parameters (Uniform).
        validates: Whether its constructor takes ``validate_args`` (zuko's do not).
        builtin: Whether it is one of ``torch.distributions``.
        supported: Whether lazygen can generate it.
        reason: Why not, where it cannot.
    """

    name: str
    module: str
    cls: str
    args: tuple[Arg, ...]
    alternatives: tuple[tuple[str, ...], ...] = ()
    event_rank: int = 0
    has_rsample: bool = False
    discrete: bool = False
    builtin: bool = True
    dependent_support: bool = False
    validates: bool = True
    supported: bool = True
    reason: str = ""
    _by_name: dict[str, Arg] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({arg.name: arg for arg in self.args})

    def arg(self, name: str) -> Arg | None:
        r"""Returns the argument called `name`, or :py:`None`."""

        return self._by_name.get(name)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["_by_name"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Family:
        data = dict(data)
        data["args"] = tuple(Arg(**{**arg, "shape": tuple(arg["shape"])}) for arg in data["args"])
        data["alternatives"] = tuple(tuple(group) for group in data["alternatives"])
        return cls(**data)


def constraint_name(constraint: Any) -> str | None:
    r"""Returns lazygen's name of a :mod:`torch.distributions.constraints` object."""

    from torch.distributions import constraints as C

    if constraint is None:
        return None
    if isinstance(constraint, C.independent):
        base = constraint_name(constraint.base_constraint)
        rank = constraint.reinterpreted_batch_ndims
        if base == "real":
            return "real_vector" if rank == 1 else "real_matrix"
        if base == "positive" and rank == 1:
            return "positive_vector"
        return f"independent({base}, {rank})"
    if isinstance(constraint, C._Dependent):
        return "dependent"
    if isinstance(constraint, C._Real):
        return "real"
    if isinstance(constraint, C._Boolean):
        return "boolean"
    if isinstance(constraint, (C._IntegerGreaterThan, C._IntegerInterval)):
        return "nonnegative_integer" if getattr(constraint, "lower_bound", 0) == 0 else "integer"
    if isinstance(constraint, C._GreaterThan):
        bound = constraint.lower_bound
        return "positive" if bound == 0 else f"greater_than({bound:g})"
    if isinstance(constraint, C._GreaterThanEq):
        bound = constraint.lower_bound
        return "nonnegative" if bound == 0 else f"greater_than({bound:g})"
    if isinstance(constraint, (C._Interval, C._HalfOpenInterval)):
        low, high = constraint.lower_bound, constraint.upper_bound
        if (low, high) == (0, 1):
            return "unit_interval"
        return f"open_interval({low:g}, {high:g})"
    if isinstance(constraint, C._Simplex):
        return "simplex"
    if isinstance(constraint, C._LowerCholesky):
        return "lower_cholesky"
    if isinstance(constraint, C._PositiveDefinite):
        return "positive_definite"
    return type(constraint).__name__.strip("_").lower()


def _introspect(module: str, cls: str, name: str, builtin: bool) -> Family:
    import torch.distributions as D

    obj = getattr(importlib.import_module(module), cls)
    if not (inspect.isclass(obj) and issubclass(obj, D.Distribution)):
        raise FamilyError(f"'{name}' is not a torch.distributions.Distribution subclass")

    facts = FACTS.get(cls, {}) if builtin else {}
    declared = obj.__dict__.get("arg_constraints", None)
    if declared is None:
        for base in obj.__mro__:
            if "arg_constraints" in base.__dict__:
                declared = base.__dict__["arg_constraints"]
                break
    if not isinstance(declared, dict):  # a property: constraints depend on the instance
        declared = {}

    try:
        signature = inspect.signature(obj.__init__)
    except (TypeError, ValueError) as e:
        raise FamilyError(f"cannot read the constructor of '{name}': {e}") from None

    validates = any(
        p.name == "validate_args" or p.kind == p.VAR_KEYWORD for p in signature.parameters.values()
    )
    params = [
        p
        for p in list(signature.parameters.values())[1:]
        if p.name != "validate_args" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]

    values = set(facts.get("values", ()))
    tensors = set(facts.get("tensors", ()))
    shapes = facts.get("shapes", {})
    constraints = facts.get("constraints", {})
    known = set(declared) | set(constraints) | tensors
    optional = [p.name for p in params if p.default is None and (p.name in known or not builtin)]
    alternatives = (tuple(optional),) if len(optional) >= 2 else ()
    grouped = {n for group in alternatives for n in group}

    support = inspect.getattr_static(obj, "support", None)
    static = isinstance(support, D.constraints.Constraint) and not isinstance(support, property)
    rsample = inspect.getattr_static(obj, "has_rsample", False)
    probe = None  # an instance, built once, for what only an instance tells
    if ("event_rank" not in facts and not static) or isinstance(rsample, property):
        probe = _probe(obj, params)

    if "event_rank" in facts:
        event_rank = facts["event_rank"]
    elif static:
        event_rank = support.event_dim
    else:
        event_rank = len(probe.event_shape) if probe is not None else 0

    discrete = bool(support.is_discrete) if static else facts.get("discrete", False)

    if isinstance(rsample, property):
        rsample = probe.has_rsample if probe is not None else False

    vector = ["D"] if event_rank <= 1 else ["D", "D"]

    args = []
    for p in params:
        default = p.default if p.default is not inspect.Parameter.empty else None
        if p.name in constraints:
            constraint = constraints[p.name]
        else:
            constraint = constraint_name(declared.get(p.name))
        if builtin:
            tensor = p.name not in values and p.name in known
        else:
            tensor = p.default is inspect.Parameter.empty or p.default is None
        literal = default if isinstance(default, (int, float, str, bool, tuple)) else None
        args.append(
            Arg(
                name=p.name,
                required=p.default is inspect.Parameter.empty and p.name not in grouped,
                tensor=tensor,
                constraint=constraint,
                shape=tuple(shapes.get(p.name, vector)),
                default=list(literal) if isinstance(literal, tuple) else literal,
                floor=facts.get("floors", {}).get(p.name),
                limit=facts.get("limits", {}).get(p.name),
                context_free=p.name in facts.get("context_free", ()),
            )
        )

    return Family(
        name=name,
        module=module,
        cls=cls,
        args=tuple(args),
        alternatives=alternatives,
        event_rank=event_rank,
        has_rsample=bool(rsample),
        discrete=discrete,
        builtin=builtin,
        dependent_support=not static and not discrete,
        validates=validates,
    )


def _probe(obj: type, params: list[inspect.Parameter]) -> Any:
    r"""Returns an instance of `obj` built from dummy arguments, or :py:`None`.

    Used for the facts a class only tells through an instance (a ``support`` or
    ``has_rsample`` that is a property).
    """

    import torch

    kwargs = {
        p.name: torch.full((2,), 0.5) for p in params if p.default is inspect.Parameter.empty
    }
    try:
        return obj(**kwargs)
    except Exception:  # a family that cannot be probed is taken as scalar-valued
        return None


def _cache_path() -> Path:
    root = os.environ.get("LAZYGEN_CACHE_DIR")
    if root is None:
        root = os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "lazygen")
    try:
        torch_version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        torch_version = "none"
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    key = f"families-{__version__}-torch{torch_version}-{digest}.json"
    return Path(root).expanduser() / key


def _derive() -> dict[str, Any]:
    import torch.distributions as D
    import torch.nn.modules.activation as A

    families = {}
    for cls in D.__all__:
        obj = getattr(D, cls)
        if cls in NOT_FAMILIES or not (inspect.isclass(obj) and issubclass(obj, D.Distribution)):
            continue
        families[cls] = _introspect("torch.distributions", cls, cls, builtin=True).to_json()

    return {"families": families, "activations": sorted(filter(_elementwise, A.__all__))}


def _elementwise(name: str) -> bool:
    r"""Whether the activation class `name` builds without arguments and keeps shapes.

    That excludes GLU (it halves the last dimension), Softmax and kin (they warn without
    a ``dim``), Threshold (it needs arguments) and MultiheadAttention.
    """

    import torch
    import torch.nn.modules.activation as A
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            x = torch.randn(2, 3)
            return getattr(A, name)()(x).shape == x.shape
    except Exception:
        return False


_FACTS_CACHE: dict[str, Any] | None = None


def _facts() -> dict[str, Any]:
    global _FACTS_CACHE

    if _FACTS_CACHE is None:
        path = _cache_path()
        try:
            _FACTS_CACHE = json.loads(path.read_text())
        except (OSError, ValueError):
            _FACTS_CACHE = _derive()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(_FACTS_CACHE, sort_keys=True))
                os.replace(tmp, path)
            except OSError:  # a read-only cache only costs speed
                pass

    return _FACTS_CACHE


def builtin_families() -> dict[str, Family]:
    r"""Returns the families of :mod:`torch.distributions`, by class name."""

    return {name: Family.from_json(data) for name, data in _facts()["families"].items()}


def activations() -> list[str]:
    r"""Returns the activation classes of :mod:`torch.nn`, by name."""

    return _facts()["activations"]


IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*)?$", re.ASCII)


def lookup(name: str) -> Family:
    r"""Returns the family a spec's ``family`` names.

    Arguments:
        name: A class name of :mod:`torch.distributions`, or an import path
            ``package.module:Class`` or ``package.module.Class``.

    Raises:
        FamilyError: When no such family exists.
    """

    builtins = _facts()["families"]
    if name in builtins:
        return Family.from_json(builtins[name])

    if not IMPORT_PATH.match(name) or ("." not in name and ":" not in name):
        raise FamilyError(f"unknown family '{name}'")

    module, _, cls = name.rpartition(":") if ":" in name else name.rpartition(".")
    if module == "torch.distributions" and cls in builtins:
        return Family.from_json({**builtins[cls], "name": name})
    try:
        imported = importlib.import_module(module)
    except Exception as e:  # any failure of a user's module is a spec error, not a crash
        raise FamilyError(f"cannot import '{module}' for family '{name}': {e}") from None
    if not hasattr(imported, cls):
        raise FamilyError(f"module '{module}' has no class '{cls}'")

    import torch.distributions

    if cls in builtins and getattr(torch.distributions, cls) is getattr(imported, cls):
        return Family.from_json({**builtins[cls], "name": name})  # torch's, by a longer path
    return _introspect(module, cls, name, builtin=False)


def table(markdown: bool = False) -> str:
    r"""Returns a readable table of the families of :mod:`torch.distributions`.

    For each family: its arguments with their constraints and default transforms
    (with the floors and soft limits of :data:`FACTS`), its event, and whether
    lazygen supports it. With `markdown`, the table is a Markdown table (the
    "Supported families" section of the README).
    """

    rows = [("family", "event", "arguments (constraint -> auto transform)", "status")]
    for name, family in sorted(builtin_families().items()):
        args = []
        for arg in family.args:
            if not arg.tensor:
                args.append(f"{arg.name}: value")
                continue
            constraint = arg.constraint or "none"
            transform = AUTO_TRANSFORMS.get(constraint, "")
            if constraint.startswith("greater_than("):
                transform = f"{constraint[13:-1]} + softplus"
            if constraint in ("nonnegative_integer", "integer", "boolean"):
                transform = "buffer or value"
            transform = transform or "transform: required"
            if arg.limit is not None:
                transform = f"{transform} of {arg.limit:g}*tanh(x/{arg.limit:g})"
            if arg.floor is not None:
                transform = f"{transform}, min {arg.floor:g}"
            args.append(f"{arg.name}: {constraint} -> {transform}")
        alternatives = "; ".join(" | ".join(group) for group in family.alternatives)
        if alternatives:
            args.append(f"one of {alternatives}")
        event = ("scalar", "vector", "matrix")[family.event_rank]
        status = "supported" if family.supported else f"unsupported: {family.reason}"
        rows.append((name, event, ", ".join(args), status))

    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "| --- | --- | --- | --- |"]
        for row in rows[1:]:
            cells = [row[0], row[1], row[2].replace("|", "\\|").replace("*", "\\*"), row[3]]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3]
        for row in rows
    )
