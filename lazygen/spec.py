r"""Spec loading and validation: YAML text to immutable, fully-resolved specs.

The YAML is composed (never constructed) into a node tree, so that every value
keeps its line and column; types are checked on the nodes, every error of a file
is collected, and only a file without errors yields :class:`Spec` objects. A
:class:`Spec` has every default filled in and every parameter's source, shape,
constraint and transform decided, so the renderer looks nothing up again.
"""

from __future__ import annotations

__all__ = [
    "Net",
    "Param",
    "Spec",
    "expand_paths",
    "load_paths",
    "load_text",
    "snake_case",
]

import difflib
import hashlib
import keyword
import math
import re
import sys
import yaml

from .errors import Diagnostic, SpecError
from .families import AUTO_TRANSFORMS, Family, FamilyError, activations, builtin_families, lookup
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    _Loader = yaml.CSafeLoader  # 8x faster than the pure-Python loader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

#: The keys of a spec, in the order the reference documents them.
TOP_KEYS = (
    "lazygen",
    "name",
    "module",
    "doc",
    "family",
    "features",
    "context",
    "categories",
    "independent",
    "mixture",
    "net",
    "params",
    "runtime",
)
SOURCES = ("net", "parameter", "buffer", "value")
OPTIONS = ("transform", "min", "shape")
TRANSFORMS = ("auto", "identity", "softplus", "exp", "sigmoid", "softmax", "tanh")
RUNTIMES = ("lazygen", "zuko")

#: Where each transform lands, and which constraints accept each transform.
CODOMAINS = {
    "identity": "real",
    "softplus": "positive",
    "exp": "positive",
    "sigmoid": "unit_interval",
    "softmax": "simplex",
    "tanh": "open_interval(-1, 1)",
}
ACCEPTS = {
    "real": set(CODOMAINS),
    "real_vector": set(CODOMAINS),
    "real_matrix": set(CODOMAINS),
    "positive": {"softplus", "exp"},
    "positive_vector": {"softplus", "exp"},
    "nonnegative": {"softplus", "exp", "sigmoid"},
    "unit_interval": {"sigmoid"},
    "simplex": {"softmax"},
    "open_interval(-1, 1)": {"tanh", "sigmoid"},
    "lower_cholesky": {"cholesky"},
    "positive_definite": {"positive_definite"},
}
#: Transforms followed by the floor ``min``: added after softplus and exp, kept as a
#: margin from both ends by sigmoid (a float32 sigmoid rounds to exactly 0 or 1).
FLOORED = {"softplus", "exp", "sigmoid", "cholesky", "positive_definite"}
DEFAULT_MIN = 1e-5

#: The largest size lazygen accepts for features, context, categories and widths.
MAX_SIZE = 1_000_000
#: The most YAML nodes a document may expand to (aliases included).
MAX_NODES = 1_000_000

#: Names the generated module binds itself; a class may not shadow them.
RESERVED_NAMES = frozenset(
    "F Distribution Independent LazyDistribution MixtureSameFamily Categorical Sequence "
    "DiagonalNormalMixture mlp inv_softplus tril_index fill_tril pack_tril "
    "Tensor UnconditionalDistribution annotations math nn torch".split()
)
#: Keyword arguments of every generated ``__init__``; a family argument may not shadow them.
RESERVED_ARGS = frozenset(
    "self features context categories components hidden activation validate_args "
    "training forward net c component mixture mixture_logits dist splits tril_index".split()
)
#: Modules a generated module may not shadow when its folder is on ``sys.path``.
RESERVED_MODULES = frozenset(sys.stdlib_module_names) | {
    "torch",
    "lazygen",
    "zuko",
    "pytest",
    "yaml",
    "jinja2",
    "click",
    "numpy",
    "conftest",
    "hypothesis",
    "test",
    "tests",
    "pip",
    "setuptools",
    "pkg_resources",
    "scipy",
    "typing_extensions",
}

IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$", re.ASCII)
MODULE = re.compile(r"^[a-z][a-z0-9_]*$", re.ASCII)
FLOAT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
YAML_TAG = "tag:yaml.org,2002:"


@dataclass(frozen=True)
class Net:
    r"""A multi-layer perceptron of the context.

    Arguments:
        hidden: The widths of the hidden layers (empty: one linear layer).
        activation: The :mod:`torch.nn` activation class between layers.
    """

    hidden: tuple[int, ...] = (64, 64)
    activation: str = "ReLU"


@dataclass(frozen=True)
class Param:
    r"""A resolved constructor argument of the family.

    Arguments:
        name: The argument's name.
        source: ``net``, ``parameter``, ``buffer`` or ``value``.
        net: The parameter's own network, or :py:`None` for the shared one.
        value: The initial value (parameter), the fixed value (buffer), or the constant
            (value): a number, a nested list, or ``zeros``/``ones``/``eye``.
        shape: The per-sample shape, in symbols (``D`` features, ``D-1``, ``K``
            categories) or digits.
        size: The same shape in numbers, for the spec's own sizes.
        constraint: The family's constraint on the argument, if any.
        transform: How unconstrained numbers reach the constraint: ``identity``,
            ``softplus``, ``exp``, ``sigmoid``, ``softmax``, ``tanh``, ``cholesky``
            (a packed lower triangle with a positive diagonal) or ``positive_definite``.
        min: The floor after a positive transform (and the margin of sigmoid).
        offset: What is added after the transform, for bounds that depend on
            another argument or on the size (``low``, ``D-1``), or :py:`None`.
        per_component: Whether `value` gives each mixture component its own value.
    """

    name: str
    source: str
    net: Net | None = None
    value: Any = None
    shape: tuple[str, ...] = ()
    size: tuple[int, ...] = ()
    constraint: str | None = None
    transform: str = "identity"
    min: float = 0.0
    offset: str | None = None
    per_component: bool = False

    @property
    def packed(self) -> bool:
        r"""Whether the parameter is a matrix built from a packed lower triangle."""

        return self.transform in ("cholesky", "positive_definite")


@dataclass(frozen=True)
class Spec:
    r"""A validated spec, every default filled in.

    Arguments:
        path: The spec file, as the user gave it.
        index: The document's index in the file.
        digest: The SHA-256 of the document's text.
        name: The class name.
        module: The module name.
        doc: The docstring text.
        family: The distribution family.
        features: The event size.
        context: The context size (0: unconditional).
        categories: The number of categories (Categorical only).
        independent: Whether a scalar-event family is wrapped as ``Independent``.
        mixture: The number of mixture components, or :py:`None`.
        net: The shared network, or :py:`None` when no parameter uses it.
        params: The family's arguments, in spec order.
        runtime: ``lazygen`` or ``zuko``.
        anchor: The line and column of the spec's name (or module), for errors about it.
    """

    path: str
    index: int
    digest: str
    name: str
    module: str
    doc: str
    family: Family
    features: int
    context: int
    categories: int | None
    independent: bool
    mixture: int | None
    net: Net | None
    params: tuple[Param, ...]
    runtime: str
    anchor: tuple[int, int] = (1, 1)

    @property
    def conditional(self) -> bool:
        return self.context > 0

    @property
    def event_shape(self) -> tuple[int, ...]:
        r"""The event shape of the generated distribution."""

        if self.family.event_rank == 2:
            return (self.features, self.features)
        if self.family.event_rank == 0 and not self.independent:
            return ()
        return (self.features,)


def snake_case(name: str) -> str:
    r"""Returns `name` in snake case (``ConditionalNormal`` -> ``conditional_normal``)."""

    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return name.lower()


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    r"""Returns the spec files of `paths`, a folder meaning its ``*.yaml``/``*.yml`` files.

    Files below a folder come in sorted order; files given by name keep their order.
    """

    files = []
    for path in map(Path, paths):
        if path.is_dir():
            below = [p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
            files.extend(sorted(below) or [path])  # an empty folder is reported by load_paths
        else:
            files.append(path)
    return files


def load_paths(paths: Iterable[str | Path]) -> list[Spec]:
    r"""Loads and validates every spec of every file.

    Arguments:
        paths: Spec files and folders.

    Returns:
        The specs, in file and document order.

    Raises:
        SpecError: With every error of every file, when any is invalid.
    """

    specs, errors = [], []
    for path in expand_paths(paths):
        if path.is_dir():
            errors.append(
                Diagnostic(str(path), 1, 1, "no *.yaml or *.yml spec file in this folder")
            )
            continue
        try:
            data = path.read_bytes()
        except OSError as e:
            errors.append(Diagnostic(str(path), 1, 1, f"cannot read the file: {e.strerror}"))
            continue
        try:
            specs.extend(load_text(data, str(path)))
        except SpecError as e:
            errors.extend(e.diagnostics)

    seen: dict[str, Spec] = {}
    for spec in specs:
        other = seen.setdefault(spec.module, spec)
        if other is not spec:
            errors.append(
                Diagnostic(
                    spec.path,
                    *spec.anchor,
                    f"module '{spec.module}' is also the module of {other.name} "
                    f"({other.path}:{other.anchor[0]}): give one of them another `module`",
                )
            )

    if errors:
        raise SpecError(errors)
    return specs


def load_text(data: bytes | str, path: str = "<string>") -> list[Spec]:
    r"""Loads and validates the specs of one file's contents.

    Arguments:
        data: The file's contents.
        path: The file's name, for error messages.

    Returns:
        The file's specs, in document order.

    Raises:
        SpecError: With every error of the file.
    """

    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
            raise SpecError(
                [Diagnostic(path, line, column, "the file is not valid UTF-8")]
            ) from None
    else:
        text = data

    try:
        documents = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.YAMLError as e:
        raise SpecError([_yaml_diagnostic(e, path, text)]) from None

    documents = [node for node in documents if node is not None]
    if not documents:
        raise SpecError([Diagnostic(path, 1, 1, "the file holds no spec")])

    specs, errors = [], []
    for index, node in enumerate(documents):
        reader = _Reader(path, text)
        reader.scan(node)
        spec = reader.spec(node, index)
        if reader.errors:
            errors.extend(sorted(reader.errors))
        else:
            specs.append(spec)

    if errors:
        raise SpecError(errors)
    return specs


def _yaml_diagnostic(e: yaml.YAMLError, path: str, text: str) -> Diagnostic:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    if isinstance(e, yaml.reader.ReaderError):
        position = e.position
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        return Diagnostic(path, line, column, f"unacceptable character {e.character!r} in YAML")
    if mark is None:
        return Diagnostic(path, 1, 1, f"invalid YAML: {e}")
    problem = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None)
    message = f"invalid YAML: {context + ': ' if context else ''}{problem}"
    return Diagnostic(path, mark.line + 1, mark.column + 1, message)


def _suggest(word: str, choices: Iterable[str]) -> str:
    choices = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{choices[close[0]]}'?)" if close else ""


def _show(value: Any) -> str:
    if isinstance(value, bool) or value is None:  # as the YAML reads: true, not True
        return {True: "true", False: "false", None: "null"}[value]
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Invalid(Exception):
    r"""A value already reported; the caller skips what depends on it."""


class _Reader:
    r"""Reads one YAML document into a :class:`Spec`, collecting errors."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.errors: list[Diagnostic] = []
        self.nodes = 0
        self.constructor = yaml.constructor.SafeConstructor()
        self.reported: set[int] = set()  # nodes whose errors are already reported
        self.sizes: dict[int, int] = {}  # expanded sizes of nodes, by id

    def scan(self, root: yaml.Node) -> None:
        r"""Reports what is wrong anywhere in the tree: unsafe tags and duplicate keys.

        Each node is visited once, so aliases cost nothing here.
        """

        seen: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            kind = {yaml.MappingNode: "map", yaml.SequenceNode: "seq"}.get(type(node))
            if not node.tag.startswith(YAML_TAG) or node.tag[len(YAML_TAG) :] not in (
                kind or "str int float bool null timestamp".split()
            ):
                if kind is None or node.tag != YAML_TAG + kind:
                    self.error(node, self._tag_message(node.tag))
                    self.reported.add(id(node))
                    continue
            if isinstance(node, yaml.MappingNode):
                keys: dict[Any, int] = {}
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value in keys:
                        first = keys[key.value]
                        self.error(
                            key, f"duplicate key '{key.value}' (first given on line {first})"
                        )
                    elif isinstance(key, yaml.ScalarNode):
                        keys[key.value] = key.start_mark.line + 1
                    stack.append(value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)

    # Nodes

    def error(self, node: yaml.Node, message: str) -> None:
        if id(node) in self.reported:
            return
        mark = node.start_mark
        diagnostic = Diagnostic(self.path, mark.line + 1, mark.column + 1, message)
        if diagnostic not in self.errors:
            self.errors.append(diagnostic)

    def fail(self, node: yaml.Node, message: str) -> _Invalid:
        self.error(node, message)
        return _Invalid()

    def count(self, node: yaml.Node) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(
                node, f"the document expands to more than {MAX_NODES} YAML nodes (an alias bomb?)"
            )

    def scalar(self, node: yaml.Node) -> Any:
        r"""Returns the Python value of a scalar node, refusing unknown tags."""

        self.count(node)
        tag = node.tag
        if tag.startswith(YAML_TAG):
            kind = tag[len(YAML_TAG) :]
        else:
            kind = None
        if isinstance(node, yaml.MappingNode) and kind == "map":
            raise self.fail(node, "expected a single value, got a mapping")
        if isinstance(node, yaml.SequenceNode) and kind == "seq":
            raise self.fail(node, "expected a single value, got a list")
        if kind == "str" or kind == "timestamp":
            return node.value
        if kind == "int":
            return self.constructor.construct_yaml_int(node)
        if kind == "float":
            return self.constructor.construct_yaml_float(node)
        if kind == "bool":
            return self.constructor.construct_yaml_bool(node)
        if kind == "null":
            return None
        raise self.fail(node, self._tag_message(tag))

    def _tag_message(self, tag: str) -> str:
        shown = "!!" + tag[len(YAML_TAG) :] if tag.startswith(YAML_TAG) else tag
        if "python/" in tag:
            return f"YAML tag '{shown}' refused: specs are loaded safely, as data, never as code"
        return f"unsupported YAML tag '{shown}'"

    def plain(self, node: yaml.Node) -> Any:
        r"""Returns a scalar or a (nested) list of scalars."""

        if isinstance(node, yaml.SequenceNode):
            self.count(node)
            if node.tag != YAML_TAG + "seq":
                raise self.fail(node, self._tag_message(node.tag))
            if self.expanded(node) > MAX_NODES:
                raise self.fail(
                    node,
                    f"this value expands to more than {MAX_NODES} YAML nodes through aliases "
                    "(an alias bomb?): write the list out",
                )
            return [self.plain(item) for item in node.value]
        if isinstance(node, yaml.MappingNode):
            raise self.fail(node, "expected a value or a list, got a mapping")
        return self.scalar(node)

    def expanded(self, node: yaml.Node) -> int:
        r"""Returns how many nodes `node` expands to, aliases repeated, in time linear in
        the distinct nodes (an alias bomb is refused before it is expanded)."""

        sizes = self.sizes
        if id(node) not in sizes:
            sizes[id(node)] = 0  # a cycle counts for nothing more
            total = 1
            if isinstance(node, yaml.SequenceNode):
                total += sum(self.expanded(item) for item in node.value)
            elif isinstance(node, yaml.MappingNode):
                total += sum(self.expanded(k) + self.expanded(v) for k, v in node.value)
            sizes[id(node)] = total
        return sizes[id(node)]

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        r"""Returns the entries of a mapping node, refusing duplicate and non-string keys."""

        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping, got {self.describe(node)}")
        if node.tag != YAML_TAG + "map":
            raise self.fail(node, self._tag_message(node.tag))
        self.count(node)
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            if key.tag == YAML_TAG + "merge":
                self.error(key, "YAML merge keys (<<) are not supported in specs")
                continue
            try:
                name = self.scalar(key)
            except _Invalid:
                continue
            if not isinstance(name, str):
                self.error(key, f"keys must be names, got {_show(name)}")
                continue
            if name in entries:  # reported by scan()
                continue
            entries[name] = (key, value)
        return entries

    def describe(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        try:
            return _show(self.scalar(node))
        except _Invalid:
            return "an invalid value"

    def number(self, node: yaml.Node) -> float:
        value = self.scalar(node)
        if isinstance(value, str) and FLOAT.match(value.strip()):
            value = float(value)  # YAML 1.1 reads 1e-3 as a string
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, f"expected a number, got {_show(value)}")
        if not math.isfinite(value):
            raise self.fail(node, f"expected a finite number, got {_show(value)}")
        return value

    def integer(self, node: yaml.Node, what: str, low: int, high: int = MAX_SIZE) -> int:
        value = self.scalar(node)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(node, f"{what} must be an integer, got {_show(value)}")
        if not low <= value <= high:
            raise self.fail(node, f"{what} must be between {low} and {high}, got {value}")
        return value

    def string(self, node: yaml.Node, what: str) -> str:
        value = self.scalar(node)
        if not isinstance(value, str):
            raise self.fail(node, f"{what} must be a string, got {_show(value)}")
        return value

    # The spec

    def spec(self, root: yaml.Node, index: int) -> Spec | None:
        try:
            entries = self.mapping(root, "a spec")
        except _Invalid:
            return None

        for key, (key_node, _) in entries.items():
            if key not in TOP_KEYS:
                self.error(key_node, f"unknown key '{key}'{_suggest(key, TOP_KEYS)}")

        def get(key: str, read, default: Any = None) -> Any:
            if key not in entries:
                return default
            try:
                return read(entries[key][1])
            except _Invalid:
                return _Invalid

        version = get("lazygen", lambda n: self.scalar(n), 1)
        if version is not _Invalid and (isinstance(version, bool) or version != 1):
            self.error(
                entries["lazygen"][1],
                f"unsupported format version {_show(version)}: this lazygen reads version 1",
            )

        name = get("name", self.class_name)
        if "name" not in entries:
            self.error(root, "missing required key 'name' (the class name)")
        module = get(
            "module", self.module_name, snake_case(name) if isinstance(name, str) else None
        )
        if "module" not in entries and isinstance(name, str):
            problem = _module_problem(module)
            if problem:
                self.error(entries["name"][1], f"{problem}, derived from the name: set `module`")
        doc = get("doc", lambda n: self.string(n, "doc"), "")
        features = get("features", lambda n: self.integer(n, "features", 1), 1)
        context = get("context", lambda n: self.integer(n, "context", 0), 0)
        runtime = get("runtime", self.runtime, "lazygen")
        net = get("net", lambda n: self.net(n, Net()), Net())

        family = None
        if "family" not in entries:
            self.error(root, "missing required key 'family'")
        else:
            family = get("family", self.family)

        if family in (None, _Invalid):
            return None

        if isinstance(name, str) and name in (family.cls, *RESERVED_NAMES):
            self.error(
                entries["name"][1],
                f"class name '{name}' would shadow a name the generated module imports",
            )

        categories = get("categories", lambda n: self.integer(n, "categories", 2), None)
        if family.cls == "Categorical" and family.builtin:
            if "categories" not in entries:
                self.error(root, "Categorical needs `categories: K` (K >= 2)")
        elif "categories" in entries:
            self.error(entries["categories"][0], "`categories` applies to Categorical only")

        independent = get("independent", self.boolean, True)
        if "independent" in entries and family.event_rank != 0:
            self.error(
                entries["independent"][0],
                f"`independent` applies to families with a scalar event; "
                f"{family.name}'s event is not a scalar",
            )

        mixture = get("mixture", lambda n: self.integer(n, "mixture", 2), None)
        if mixture not in (None, _Invalid) and independent is False:
            self.error(entries["mixture"][0], "a mixture needs `independent: true`")

        sizes = {"D": features, "K": categories, "M": mixture}
        if _Invalid in (features, context, categories, net, mixture, independent):
            return None

        if "params" in entries:
            params = self.params(
                entries["params"][1], entries["params"][0], family, context, sizes, net
            )
        else:
            params = self.params(None, root, family, context, sizes, net)

        uses_shared = any(p.source == "net" and p.net is None for p in params or ())
        if self.errors or params is None:
            return None

        digest = hashlib.sha256(self._document_text(root).encode()).hexdigest()
        return Spec(
            path=self.path,
            index=index,
            digest=digest,
            name=name,
            module=module,
            doc=doc,
            family=family,
            features=features,
            context=context,
            categories=categories,
            independent=bool(independent) and family.event_rank == 0,
            mixture=mixture,
            net=net if uses_shared or (mixture and context) else None,
            params=params,
            runtime=runtime,
            anchor=_position(entries["module" if "module" in entries else "name"][1]),
        )

    def _document_text(self, root: yaml.Node) -> str:
        return self.text[root.start_mark.index : root.end_mark.index]

    def class_name(self, node: yaml.Node) -> str:
        name = self.string(node, "name")
        if not IDENTIFIER.match(name) or keyword.iskeyword(name):
            raise self.fail(
                node,
                f"name {_show(name)} is not a valid class name: use ASCII letters, digits and "
                "underscores, starting with a letter, and no Python keyword",
            )
        return name

    def module_name(self, node: yaml.Node) -> str:
        module = self.string(node, "module")
        problem = _module_problem(module)
        if problem:
            raise self.fail(node, problem)
        return module

    def runtime(self, node: yaml.Node) -> str:
        runtime = self.string(node, "runtime")
        if runtime not in RUNTIMES:
            raise self.fail(
                node,
                f"unknown runtime '{runtime}': use lazygen or zuko{_suggest(runtime, RUNTIMES)}",
            )
        return runtime

    def boolean(self, node: yaml.Node) -> bool:
        value = self.scalar(node)
        if not isinstance(value, bool):
            raise self.fail(node, f"expected true or false, got {_show(value)}")
        return value

    def family(self, node: yaml.Node) -> Family:
        name = self.string(node, "family")
        try:
            family = lookup(name)
        except FamilyError as e:
            message = str(e)
            if message.startswith("unknown family"):
                message += _suggest(name, builtin_families())
            raise self.fail(node, message) from None
        if not family.supported:
            raise self.fail(node, f"family '{name}' is not supported: {family.reason}")
        return family

    def net(self, node: yaml.Node, base: Net) -> Net:
        entries = self.mapping(node, "net")
        hidden, activation = base.hidden, base.activation
        for key, (key_node, value) in entries.items():
            if key == "hidden":
                try:
                    hidden = self.widths(value)
                except _Invalid:
                    pass
            elif key == "activation":
                try:
                    activation = self.activation(value)
                except _Invalid:
                    pass
            else:
                self.error(
                    key_node,
                    f"unknown key '{key}' in net{_suggest(key, ('hidden', 'activation'))}",
                )
        return Net(hidden=hidden, activation=activation)

    def widths(self, node: yaml.Node) -> tuple[int, ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"hidden must be a list of widths, got {self.describe(node)}")
        widths = []
        for item in node.value:
            try:
                widths.append(self.integer(item, "a width", 1))
            except _Invalid:
                pass
        if len(widths) != len(node.value):
            raise _Invalid()
        return tuple(widths)

    def activation(self, node: yaml.Node) -> str:
        name = self.string(node, "activation")
        known = activations()
        if name not in known:
            raise self.fail(
                node, f"unknown activation '{name}'{_suggest(name, known)}: use a torch.nn class"
            )
        return name

    # Parameters

    def params(
        self,
        node: yaml.Node | None,
        anchor: yaml.Node,
        family: Family,
        context: int,
        sizes: dict[str, int | None],
        net: Net,
    ) -> tuple[Param, ...] | None:
        try:
            entries = {} if node is None else self.mapping(node, "params")
        except _Invalid:
            return None

        given: dict[str, yaml.Node] = {}
        params = []
        for key, (key_node, value) in entries.items():
            arg = family.arg(key)
            if arg is None:
                names = [a.name for a in family.args]
                self.error(
                    key_node,
                    f"{family.name} has no argument '{key}'{_suggest(key, names)}; "
                    f"its arguments: {', '.join(names)}",
                )
                continue
            if key in RESERVED_ARGS:
                self.error(key_node, f"argument '{key}' clashes with a name lazygen generates")
                continue
            given[key] = key_node
            try:
                params.append(self.param(key_node, value, arg, family, context, sizes, net))
            except _Invalid:
                pass

        for arg in family.args:
            if arg.required and arg.name not in given:
                self.error(anchor, f"{family.name} needs '{arg.name}': add it to params")
        for group in family.alternatives:
            present = [name for name in group if name in given]
            if not present:
                self.error(anchor, f"{family.name} needs exactly one of {', '.join(group)}")
            for name in present[1:]:
                self.error(
                    given[name],
                    f"'{name}' and '{present[0]}' are alternatives: give exactly one of "
                    f"{', '.join(group)}",
                )

        if self.errors:
            return None
        return tuple(self.dependent(params, given))

    def dependent(self, params: list[Param], given: dict[str, yaml.Node]) -> Iterator[Param]:
        r"""Checks arguments whose bound is another argument (Uniform's ``high``)."""

        by_name = {p.name: p for p in params}
        for p in params:
            if p.offset in by_name and p.source != "net":
                bound = by_name[p.offset]
                if bound.source == "net":
                    self.error(
                        given[p.name],
                        f"'{p.name}' must exceed '{p.offset}', which comes from net: make "
                        f"'{p.name}' come from net too (its network then gives the gap)",
                    )
                elif p.source in ("parameter", "buffer") and not _all_greater(p, bound):
                    self.error(given[p.name], f"'{p.name}' must be greater than '{p.offset}'")
            yield p

    def param(
        self,
        key_node: yaml.Node,
        node: yaml.Node,
        arg,
        family: Family,
        context: int,
        sizes: dict[str, int | None],
        shared: Net,
    ) -> Param:
        name = arg.name
        options: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        if isinstance(node, yaml.ScalarNode):
            text = self.scalar(node)
            if text != "net":
                raise self.fail(
                    node,
                    f"'{name}' must be `net` or a mapping with one of "
                    f"{', '.join(SOURCES)}, got {_show(text)}",
                )
            source, source_node = "net", node
        else:
            entries = self.mapping(node, f"the source of '{name}'")
            sources = [key for key in entries if key in SOURCES]
            for key, (kn, _) in entries.items():
                if key not in SOURCES and key not in OPTIONS:
                    self.error(
                        kn, f"unknown key '{key}' for '{name}'{_suggest(key, SOURCES + OPTIONS)}"
                    )
            if not sources:
                raise self.fail(node, f"'{name}' needs one source: {', '.join(SOURCES)}")
            for extra in sources[1:]:
                self.error(
                    entries[extra][0],
                    f"'{name}' has two sources, '{sources[0]}' and '{extra}': keep one",
                )
            source = sources[0]
            source_node = entries[source][1]
            options = {key: entries[key] for key in OPTIONS if key in entries}

        if not arg.tensor and source != "value":
            raise self.fail(
                source_node if source != "net" else node,
                f"'{name}' is a plain value of {family.name}, not a tensor: write "
                f"`{name}: {{value: ...}}`",
            )
        if source in ("net", "parameter") and arg.constraint in (
            "nonnegative_integer",
            "integer",
            "boolean",
        ):
            raise self.fail(
                node,
                f"'{name}' takes {arg.constraint.replace('_', ' ')} values, which no transform "
                "reaches: use buffer or value",
            )
        if source == "net" and arg.context_free:
            raise self.fail(
                node,
                f"'{name}' of {family.name} cannot come from net: torch takes one {name} for "
                "the whole batch; use parameter or buffer",
            )
        if source == "net" and context == 0:
            raise self.fail(
                node,
                f"'{name}' comes from net, but the spec is unconditional (context: 0): "
                "use parameter or buffer, or set context",
            )

        own = None
        if source == "net" and isinstance(node, yaml.MappingNode):
            if isinstance(source_node, yaml.MappingNode):
                own = self.net(source_node, shared)
            elif self.scalar(source_node) != "shared":
                raise self.fail(
                    source_node, "net must be `shared` or a mapping with hidden and activation"
                )

        size, shape = self.shape(node, options.get("shape"), arg, family, sizes)

        if source == "value":
            value = self.plain(source_node)
            for key in ("transform", "min"):
                if key in options:
                    raise self.fail(options[key][0], f"a value is used as given: no {key}")
            self.check_value(source_node, name, value, family, sizes)
            return Param(
                name, "value", value=value, shape=shape, size=size, constraint=arg.constraint
            )

        constraint = arg.constraint
        offset = None
        if constraint and constraint.startswith("greater_than("):
            offset = constraint[len("greater_than(") : -1]
            constraint = "positive"

        transform = self.transform(node, options.get("transform"), name, constraint, source)
        minimum = 0.0
        if "min" in options:
            minimum = self.number(options["min"][1])
            if minimum < 0:
                raise self.fail(options["min"][1], f"min must be >= 0, got {minimum}")
            if transform not in FLOORED:
                raise self.fail(
                    options["min"][0],
                    f"min applies after softplus, exp or sigmoid, not {transform}",
                )
        elif transform in FLOORED:
            minimum = arg.floor if arg.floor is not None and source == "net" else DEFAULT_MIN

        value, per_component = None, False
        if source in ("parameter", "buffer"):
            value, per_component = self.initial(
                source_node, name, size, constraint, transform, minimum, offset, sizes
            )

        return Param(
            name=name,
            source=source,
            net=own,
            value=value,
            shape=shape,
            size=size,
            constraint=arg.constraint,
            transform=transform if source != "buffer" else "identity",
            min=minimum if source != "buffer" else 0.0,
            offset=offset,
            per_component=per_component,
        )

    def shape(
        self, node: yaml.Node, option, arg, family: Family, sizes: dict[str, int | None]
    ) -> tuple[tuple[int, ...], tuple[str, ...]]:
        r"""Returns the concrete and symbolic per-sample shape of an argument."""

        name, symbols = arg.name, arg.shape
        if option is not None:
            shape_node = option[1]
            if not isinstance(shape_node, yaml.SequenceNode):
                raise self.fail(
                    shape_node, f"shape must be a list of sizes, got {self.describe(shape_node)}"
                )
            dims = [self.integer(item, "a size", 1) for item in shape_node.value]
            if family.builtin:
                expected = _concrete(symbols, sizes)
                fits = len(dims) == len(symbols) and all(
                    s == "R" or d == e for d, s, e in zip(dims, symbols, expected)
                )
                if not fits:
                    shown = (
                        "["
                        + ", ".join("R" if s == "R" else str(e) for s, e in zip(symbols, expected))
                        + "]"
                    )
                    raise self.fail(
                        shape_node, f"'{name}' of {family.name} has shape {shown}, got {dims}"
                    )
                symbols = tuple(str(d) if s == "R" else s for d, s in zip(dims, symbols))
            else:
                symbols = tuple(str(d) for d in dims)
        elif "R" in symbols:
            symbols = tuple("1" if s == "R" else s for s in symbols)

        if "D-1" in symbols and sizes["D"] < 2:
            raise self.fail(
                node, f"{family.name} needs features >= 2 ('{name}' has features - 1 entries)"
            )
        return _concrete(symbols, sizes), symbols

    def transform(
        self, node: yaml.Node, option, name: str, constraint: str | None, source: str
    ) -> str:
        r"""Returns the transform that takes unconstrained numbers to the constraint."""

        choice = "auto"
        if option is not None:
            node = option[1]
            choice = self.string(node, "transform")
            if choice not in TRANSFORMS:
                raise self.fail(
                    node,
                    f"unknown transform '{choice}'{_suggest(choice, TRANSFORMS)}: use one of "
                    f"{', '.join(TRANSFORMS)}",
                )
        if source == "buffer":
            return "identity"
        if choice == "auto":
            if constraint is None:
                raise self.fail(
                    node,
                    f"the family declares no constraint for '{name}', so `transform: auto` "
                    f"cannot choose: write `transform:` ({', '.join(TRANSFORMS[1:])})",
                )
            if constraint not in AUTO_TRANSFORMS:
                raise self.fail(node, f"lazygen has no transform into {constraint} ('{name}')")
            return AUTO_TRANSFORMS[constraint]
        if constraint is not None:
            accepted = ACCEPTS.get(constraint, set())
            if choice not in accepted:
                hint = f": use {' or '.join(sorted(accepted))}" if accepted else ""
                raise self.fail(
                    node,
                    f"transform '{choice}' does not map into {constraint} "
                    f"(the constraint of '{name}'){hint}",
                )
        return choice

    def initial(
        self,
        node: yaml.Node,
        name: str,
        size: tuple[int, ...],
        constraint: str | None,
        transform: str,
        minimum: float,
        offset: str | None,
        sizes: dict[str, int | None],
    ) -> Any:
        r"""Returns a parameter's or buffer's value, checked against shape and constraint."""

        value = self.plain(node)
        if isinstance(value, str) and FLOAT.match(value.strip()):
            value = float(value)
        if value in ("zeros", "ones", "eye"):
            if value == "eye" and (len(size) != 2 or size[0] != size[1]):
                raise self.fail(
                    node, f"`eye` needs a square matrix; '{name}' has shape {list(size)}"
                )
        elif isinstance(value, list) and sizes.get("M") and _regular(value, (sizes["M"], *size)):
            # a mixture's parameter may give each component its own value
            value = [self.nested(node, v, size, name) for v in value]
            for component in value:
                self.check_constraint(
                    node, name, component, size, constraint, transform, minimum, offset, sizes
                )
            return value, True
        elif isinstance(value, list):
            value = self.nested(node, value, size, name)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(
                node,
                f"'{name}' must be a number, a list of shape {list(size)}, zeros, ones or eye, "
                f"got {_show(value)}",
            )
        elif not math.isfinite(value):
            raise self.fail(node, f"'{name}' must be finite, got {value}")

        self.check_constraint(
            node, name, value, size, constraint, transform, minimum, offset, sizes
        )
        return value, False

    def check_constraint(
        self,
        node: yaml.Node,
        name: str,
        value: Any,
        size: tuple[int, ...],
        constraint: str | None,
        transform: str,
        minimum: float,
        offset: str | None,
        sizes: dict[str, int | None],
    ) -> None:
        r"""Checks that a parameter's or buffer's value satisfies its constraint."""

        low = minimum
        if offset == "D-1":
            low += sizes["D"] - 1
        elif offset is not None:
            try:
                low += float(offset)
            except ValueError:  # bounded by another argument: checked by dependent()
                return
        problem = _violation(_dense(value, size), constraint, transform, low)
        if problem:
            raise self.fail(node, f"'{name}' = {_show(value)} {problem}")

    def nested(self, node: yaml.Node, value: list, size: tuple[int, ...], name: str) -> list:
        def shape_of(v: Any) -> list[int]:
            dims = []
            while isinstance(v, list):
                dims.append(len(v))
                v = v[0] if v else None
            return dims

        if not _regular(value, size):
            raise self.fail(node, f"'{name}' must have shape {list(size)}, got {shape_of(value)}")

        def numbers(v: Any) -> Any:
            if isinstance(v, list):
                return [numbers(x) for x in v]
            if isinstance(v, str) and FLOAT.match(v.strip()):
                return float(v)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise self.fail(node, f"'{name}' must hold finite numbers, got {_show(v)}")
            return v

        return numbers(value)

    def check_value(
        self, node: yaml.Node, name: str, value: Any, family: Family, sizes: dict[str, int | None]
    ) -> None:
        r"""Checks the plain values lazygen knows the meaning of."""

        if not family.builtin:
            return
        if (family.cls, name) == ("LKJCholesky", "dim") and value != sizes["D"]:
            raise self.fail(
                node, f"LKJCholesky's dim must equal features ({sizes['D']}), got {_show(value)}"
            )
        if name == "total_count" and family.cls in ("Binomial", "Multinomial"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise self.fail(
                    node, f"total_count must be a non-negative integer, got {_show(value)}"
                )
        if name == "total_count" and family.cls == "NegativeBinomial":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise self.fail(node, f"total_count must be a positive number, got {_show(value)}")
        if name == "lims" and not (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, (int, float)) for v in value)
        ):
            raise self.fail(node, f"lims must be a list of two numbers, got {_show(value)}")


def _regular(value: Any, dims: tuple[int, ...]) -> bool:
    r"""Whether `value` is a nested list of exactly the shape `dims`."""

    if not dims:
        return not isinstance(value, list)
    return (
        isinstance(value, list)
        and len(value) == dims[0]
        and all(_regular(x, dims[1:]) for x in value)
    )


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _module_problem(module: str) -> str | None:
    r"""Returns why `module` cannot name a generated module, or :py:`None`."""

    if not MODULE.match(module) or keyword.iskeyword(module):
        return (
            f"module {_show(module)} is not a valid module name: use lowercase ASCII "
            "letters, digits and underscores, starting with a letter (no dots or slashes)"
        )
    if module in RESERVED_MODULES:
        return f"module name '{module}' would shadow an importable module"
    if module.startswith("test_"):
        return f"module name '{module}' would clash with the test files (test_<module>.py)"
    return None


def _size(symbol: str, sizes: dict[str, int | None]) -> int:
    if symbol == "D-1":
        return sizes["D"] - 1
    if symbol in sizes:
        return sizes[symbol]
    return int(symbol)


def _concrete(symbols: tuple[str, ...], sizes: dict[str, int | None]) -> tuple[int, ...]:
    return tuple(0 if s == "R" else _size(s, sizes) for s in symbols)


def _dense(value: Any, size: tuple[int, ...]) -> list:
    r"""Returns `value` as a flat list of rows (a matrix for 2-d shapes, else one row).

    Constant forms of a large matrix are represented by a few rows (and, for square
    forms, a few columns): their properties do not depend on the size, and a spec with
    ``features: 1000000`` must not allocate a 10^12-entry list to be checked.
    """

    if len(size) == 2 and not isinstance(value, list):
        n = min(size[0], 4)
        size = (n, n) if size[0] == size[1] else (n, size[1])
    if value in ("zeros", "ones"):
        fill = 0.0 if value == "zeros" else 1.0
        if len(size) == 2:
            return [[fill] * size[1] for _ in range(size[0])]
        return [[fill] * math.prod(size)]
    if value == "eye":
        return [[float(i == j) for j in range(size[1])] for i in range(size[0])]
    if isinstance(value, (int, float)):
        if len(size) == 2 and size[0] == size[1]:
            return [[float(value) * (i == j) for j in range(size[1])] for i in range(size[0])]
        return [[float(value)] * max(math.prod(size), 1)]
    if len(size) == 2:
        return value
    flat: list = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(reversed(v))
        else:
            flat.append(v)
    return [flat]


def _violation(rows: list, constraint: str | None, transform: str, low: float) -> str | None:
    r"""Returns why `rows` break `constraint` (reached through `transform`), or :py:`None`."""

    flat = [x for row in rows for x in row]
    if transform in ("softplus", "exp") or constraint in ("positive", "positive_vector"):
        if any(x <= low for x in flat):
            return f"must be greater than {low:g}"
    if constraint == "nonnegative" and any(x < 0 for x in flat):
        return "must be non-negative"
    if transform == "sigmoid" or constraint == "unit_interval":
        margin = low if transform == "sigmoid" else 0.0
        if any(not margin < x < 1 - margin for x in flat) and transform == "sigmoid":
            return f"must lie strictly between {margin:g} and {1 - margin:g}"
        if any(not 0 <= x <= 1 for x in flat):
            return "must lie between 0 and 1"
    if transform == "tanh" and any(not -1 < x < 1 for x in flat):
        return "must lie strictly between -1 and 1"
    if constraint == "simplex":
        last = rows if len(rows) > 1 else [flat]
        if any(x < 0 for x in flat) or any(abs(sum(r) - 1) > 1e-6 for r in last):
            return "must be a probability vector (non-negative, summing to 1)"
        if transform == "softmax" and any(x <= 0 for x in flat):
            return "must be positive everywhere to start a trainable softmax"
    if constraint == "lower_cholesky":
        n = len(rows)
        if any(rows[i][j] != 0 for i in range(n) for j in range(i + 1, n)):
            return "must be lower triangular"
        if any(rows[i][i] <= low for i in range(n)):
            return f"must have a diagonal greater than {low:g}"
    if constraint == "positive_definite" and not _positive_definite(rows, low):
        return "must be symmetric positive definite"
    return None


def _positive_definite(rows: list, low: float) -> bool:
    n = len(rows)
    if any(abs(rows[i][j] - rows[j][i]) > 1e-9 for i in range(n) for j in range(n)):
        return False
    chol = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            s = rows[i][j] - sum(chol[i][k] * chol[j][k] for k in range(j))
            if i == j:
                if s <= 0:
                    return False
                chol[i][i] = math.sqrt(s)
            else:
                chol[i][j] = s / chol[j][j]
    return all(chol[i][i] > low for i in range(n))


def _all_greater(p: Param, bound: Param) -> bool:
    high = [x for row in _dense(p.value, p.size) for x in row]
    low = [x for row in _dense(bound.value, bound.size) for x in row]
    if len(low) == 1:
        low = low * len(high)
    if len(high) == 1:
        high = high * len(low)
    return all(h > lo for h, lo in zip(high, low))
