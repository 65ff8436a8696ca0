r"""Rendering: validated specs to Python source, through the Jinja templates.

The templates (``templates/*.j2``) hold the layout of a generated module and of its
tests; this module decides, for each parameter of a :class:`~lazygen.spec.Spec`, the
few lines of PyTorch that compute it, and hands them to the templates.
"""

from __future__ import annotations

__all__ = [
    "Rendered",
    "checksum",
    "environment",
    "render",
    "render_module",
    "template_dir",
]

import functools
import hashlib
import os
import shlex
import textwrap

from . import __version__
from .spec import Param, Spec
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The header line that carries a generated file's checksum.
CHECKSUM_PREFIX = "# lazygen-checksum: "

#: Python names of the symbols of parameter shapes.
SYMBOLS = {"D": "self.features", "D-1": "self.features - 1", "K": "self.categories"}

#: Transforms as expressions of a contiguous tensor ``{x}``.
TRANSFORMS = {
    "identity": "{x}",
    "softplus": "F.softplus({x})",
    "exp": "{x}.exp()",
    "sigmoid": "torch.sigmoid({x})",
    "softmax": "{x}.softmax(dim=-1)",
    "tanh": "torch.tanh({x})",
}


@dataclass(frozen=True)
class Rendered:
    r"""The files of one spec.

    Arguments:
        spec: The spec.
        module: The source of ``<module>.py``.
        tests: The source of ``test_<module>.py``.
    """

    spec: Spec
    module: str
    tests: str


def template_dir() -> Path:
    r"""Returns the folder of lazygen's Jinja templates.

    An installed wheel carries them inside the package (``lazygen/templates``); a
    source checkout or an editable install reads the top-level ``templates/``.
    """

    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "module.py.j2").is_file():
            return candidate
    raise FileNotFoundError(f"lazygen's templates are missing (looked in {here})")


@functools.cache
def environment():
    r"""Returns the Jinja environment that renders lazygen's templates."""

    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["wrap"] = wrap
    return env


def checksum(body: str) -> str:
    r"""Returns the checksum a generated file carries of its own text."""

    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _stamp(text: str) -> str:
    r"""Fills the checksum line of a rendered file with the checksum of what follows it."""

    head, marker, body = text.partition(CHECKSUM_PREFIX + "@\n")
    return f"{head}{CHECKSUM_PREFIX}{checksum(body)}\n{body}"


def _printable(text: str) -> str:
    return text if text.isprintable() else repr(text)[1:-1]


def shown_path(path: str) -> str:
    r"""Returns a path as the header shows it: relative, normalised, printable.

    The same files give the same bytes however the paths were typed (``out``, ``out/``,
    ``./out`` or an absolute path).
    """

    path = os.path.normpath(path)
    if os.path.isabs(path):
        try:
            path = os.path.relpath(path)
        except ValueError:  # another drive
            path = os.path.basename(path)
    return _printable(Path(path).as_posix())


def docstring(text: str, indent: int) -> tuple[str, str]:
    r"""Returns `text` as the body of a docstring, and its prefix (``r`` or none).

    The text is wrapped to fit lines of 99 characters. Spec text is data: where it
    holds backslashes, quotes or unprintable characters, it is escaped, never pasted
    into code as it is.
    """

    width = 99 - indent
    lines = []
    for paragraph in text.strip().split("\n\n"):
        if not paragraph.strip():
            continue
        if lines:
            lines.append("")
        words = " ".join(paragraph.split())
        lines.extend(
            textwrap.wrap(words, width=width, break_long_words=False, break_on_hyphens=False)
        )
    body = "\n".join(lines)
    if all(line.isprintable() for line in lines) and "\\" not in body and '"' not in body:
        return body, "r"
    escaped = [line.encode("unicode_escape").decode("ascii").replace('"', '\\"') for line in lines]
    return "\n".join(escaped), ""


def wrap(line: str, indent: int, tail: int = 0) -> str:
    r"""Wraps a statement longer than 99 characters the way ``ruff format`` does.

    The last bracket pair that closes at the end of the line is split: its content goes
    on one indented line if it fits, else each argument on a line of its own.
    """

    if indent + len(line) + tail <= 99:
        return line
    depth, opening, quote, pairs = 0, [], None, []
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            opening.append(i)
        elif char in ")]}":
            pairs.append((opening.pop(), i))
    ends = [(start, end) for start, end in pairs if end == len(line) - 1]
    if not ends:
        return line
    start = min(ends)[0] if line.startswith("return ") else max(ends)[0]
    head, content = line[: start + 1], line[start + 1 : -1]
    pad = " " * (indent + 4)
    # a call's arguments may share one line; a tuple or list display is exploded, as ruff does
    display = start == 0 or not (line[start - 1].isalnum() or line[start - 1] in "_)]")
    if indent + 4 + len(content) <= 99 and not (display and "," in content):
        return f"{head}\n{pad}{content}\n{' ' * indent}{line[-1]}"
    items, depth, current = [], 0, ""
    for char in content:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip())
    body = "".join(f"{pad}{wrap(item, indent + 4, 1)},\n" for item in items if item)
    return f"{head}\n{body}{' ' * indent}{line[-1]}"


def _dims(symbols: tuple[str, ...]) -> list[str]:
    return [SYMBOLS.get(s, s) for s in symbols]


def _product(terms: list[str]) -> str:
    if not terms:
        return "1"
    wrapped = [f"({t})" if " - " in t else t for t in terms]
    return " * ".join(wrapped)


def _size(p: Param, mixture: bool) -> str:
    r"""The number of network outputs of a parameter, as an expression."""

    if p.packed:
        terms = ["self.features * (self.features + 1) // 2"]
    else:
        terms = _dims(p.shape)
    if mixture:
        terms = ["self.components", *terms]
    return _product(terms).replace("self.", "")


def _number(value: float) -> str:
    return repr(float(value))


class _Builder:
    r"""Builds the context of the module and test templates for one spec."""

    def __init__(self, spec: Spec, command: str) -> None:
        self.spec = spec
        self.command = command
        self.mixture = spec.mixture is not None
        # a mixture of diagonal Gaussians gets a faster log_prob and sample
        self.normal_mixture = (
            self.mixture
            and spec.family.builtin
            and spec.family.cls == "Normal"
            and spec.independent
        )
        self.imports = {"torch", "nn"}
        self.helpers: set[str] = set()

    def distribution_imports(self) -> list[str]:
        family = self.spec.family
        names = set()
        if family.module == "torch.distributions":
            names.add(family.cls)
        if self.spec.independent:
            names.add("Independent")
        if self.mixture:
            names.update(("Categorical", "MixtureSameFamily"))
        return sorted(names | {"Distribution"})

    def value_expr(self, p: Param) -> str:
        r"""The initial value of a parameter or buffer, as a tensor expression."""

        shape = [SYMBOLS.get(s, s).replace("self.", "") for s in p.shape]
        stacked = self.mixture and p.source in ("parameter", "buffer")
        if stacked:
            shape = ["components", *shape]
        shape_text = f"({', '.join(shape)},)" if len(shape) == 1 else f"({', '.join(shape)})"
        name = p.name
        if p.value == "eye":
            expr = f"torch.eye({shape[-1]})"
            if len(shape) > 2:
                expr += f".expand({shape_text}).clone()"
            return expr
        if isinstance(p.value, list):
            expr = f"torch.as_tensor({name}, dtype=torch.float32)"
            if stacked and not p.per_component:
                expr += f".expand({shape_text}).clone()"
            return expr
        if p.packed:
            expr = f"{_number(p.value)} * torch.eye({shape[-1]})"
            return f"{expr}.expand({shape_text}).clone()" if stacked else expr
        return f"torch.full({shape_text}, float({name}))"

    def inverse(self, p: Param, value: str) -> str:
        r"""The unconstrained tensor that the transform takes to `value`."""

        offset = ""
        if p.offset == "D-1":
            offset = " - (features - 1)"
        elif p.offset is not None:
            offset = f" - torch.as_tensor({p.offset})"
        floor = f" - {_number(p.min)}" if p.min and p.transform in ("softplus", "exp") else ""
        if p.transform == "softplus":
            self.helpers.add("inv_softplus")
            return f"inv_softplus({value}{offset}{floor})"
        if p.transform == "exp":
            return f"torch.log({value}{offset}{floor})"
        if p.transform == "sigmoid":
            if p.min:
                return f"torch.logit(({value} - {_number(p.min)}) / {_number(1 - 2 * p.min)})"
            return f"torch.logit({value})"
        if p.transform == "softmax":
            return f"torch.log({value})"
        if p.transform == "tanh":
            return f"torch.atanh({value})"
        if p.packed:
            self.helpers.add("inv_softplus")
            matrix = value
            if p.transform == "positive_definite":
                matrix = f"torch.linalg.cholesky({value})"
            return f"pack_tril({matrix}, {_number(p.min)})"
        return value

    def forward_transform(self, p: Param, x: str, bounds: dict[str, str]) -> tuple[str, bool]:
        r"""The expression that takes unconstrained `x` to the constraint.

        Returns the expression, and whether the result is a Cholesky factor `L` that
        still needs squaring (:math:`L L^T`) into a positive-definite matrix.
        """

        if p.packed:
            self.helpers.add("fill_tril")
            expr = f"fill_tril({x}, self.features, self.tril_index, {_number(p.min)})"
            if p.transform == "positive_definite":
                return expr, True
            return expr, False
        expr = TRANSFORMS[p.transform].format(x=x)
        if p.transform == "sigmoid" and p.min:
            expr = f"{_number(p.min)} + {_number(1 - 2 * p.min)} * {expr}"
        elif p.min and p.transform in ("softplus", "exp"):
            expr = f"{expr} + {_number(p.min)}"
        if p.offset == "D-1":
            expr = f"(self.features - 1) + {expr}"
        elif p.offset is not None:
            expr = f"{bounds.get(p.offset, p.offset)} + {expr}"
        return expr, False

    def build(self) -> dict[str, Any]:
        spec = self.spec
        params = spec.params
        shared = [p for p in params if p.source == "net" and p.net is None]
        own = [p for p in params if p.source == "net" and p.net is not None]
        needs_tril = any(p.packed for p in params)
        conditional = spec.conditional

        # __init__ arguments: the sizes, the networks, then the parameters' values
        init_args = [("features", "int", repr(spec.features))]
        if conditional:
            init_args.append(("context", "int", repr(spec.context)))
        if spec.categories is not None:
            init_args.append(("categories", "int", repr(spec.categories)))
        if self.mixture:
            init_args.append(("components", "int", repr(spec.mixture)))
        if spec.net is not None:
            init_args.append(("hidden", "Sequence[int]", repr(tuple(spec.net.hidden))))
            init_args.append(("activation", "type[nn.Module]", f"nn.{spec.net.activation}"))
        for p in own:
            init_args.append((f"{p.name}_hidden", "Sequence[int]", repr(tuple(p.net.hidden))))
            init_args.append((f"{p.name}_activation", "type[nn.Module]", f"nn.{p.net.activation}"))
        for p in params:
            if p.source in ("parameter", "buffer"):
                if isinstance(p.value, list):
                    depth = len(p.size) + p.per_component
                    annotation = "Sequence[" * depth + "float" + "]" * depth
                    init_args.append((p.name, annotation, repr(_tuples(p.value))))
                elif p.value in ("zeros", "ones"):
                    init_args.append((p.name, "float", "0.0" if p.value == "zeros" else "1.0"))
                elif p.value == "eye":
                    continue
                else:
                    init_args.append((p.name, "float", _number(p.value)))
            elif p.source == "value" and not _is_dim(spec, p):
                init_args.append((p.name, _annotation(p.value), repr(_tuples(p.value))))
        init_args.append(("validate_args", "bool | None", "False"))

        # __init__ body
        init = ["self.features = features"]
        if conditional:
            init.append("self.context = context")
        if spec.categories is not None:
            init.append("self.categories = categories")
        if self.mixture:
            init.append("self.components = components")
        for p in params:
            if p.source == "value" and not _is_dim(spec, p):
                init.append(f"self.{p.name} = {p.name}")
        init.append("self.validate_args = validate_args")

        nets = []
        outputs = [(p.name, _size(p, self.mixture)) for p in shared]
        if self.mixture and conditional:
            outputs.append(("mixture_logits", "components"))
        if outputs:
            self.helpers.add("mlp")
            sizes = [size for _, size in outputs]
            names = ", ".join(name for name, _ in outputs)
            if len(outputs) > 1:
                nets.append(f"# One network for {names}: its output layer is split among them.")
                nets.append(f"self.splits = ({', '.join(sizes)})")
                total = "sum(self.splits)"
            else:
                total = sizes[0]
            nets.append(f"self.net = mlp(context, {total}, hidden, activation)")
        for p in own:
            self.helpers.add("mlp")
            size = _size(p, self.mixture)
            nets.append(
                f"self.{p.name}_net = mlp(context, {size}, {p.name}_hidden, {p.name}_activation)"
            )

        state = []
        if needs_tril:
            self.helpers.add("tril_index")
            state.append(
                'self.register_buffer("tril_index", tril_index(features), persistent=False)'
            )
        for p in params:
            if p.source == "parameter" and self.mixture and not p.per_component:
                # components that start equal get equal gradients and never separate
                state.append(f"{p.name} = {self.inverse(p, self.value_expr(p))}")
                state.append(f"{p.name} = {p.name} + 0.1 * torch.randn_like({p.name})")
                state.append(f"self.{p.name} = nn.Parameter({p.name})")
            elif p.source == "parameter":
                value = self.value_expr(p)
                state.append(f"self.{p.name} = nn.Parameter({self.inverse(p, value)})")
            elif p.source == "buffer":
                state.append(f'self.register_buffer("{p.name}", {self.value_expr(p)})')
        if self.mixture and not conditional:
            state.append("self.mixture_logits = nn.Parameter(torch.zeros(components))")

        # forward body
        forward = []
        if outputs:
            names = [name for name, _ in outputs]
            if len(outputs) > 1:
                forward.append(f"{', '.join(names)} = self.net(c).split(self.splits, dim=-1)")
            else:
                forward.append(f"{names[0]} = self.net(c)")
        for p in own:
            forward.append(f"{p.name} = self.{p.name}_net(c)")

        call_args = {}
        for p in params:
            if p.source == "net":
                x = p.name
                if p.packed:
                    dims = ["self.features * (self.features + 1) // 2"]
                else:
                    dims = _dims(p.shape)
                if self.mixture:
                    dims = ["self.components", *dims]
                if len(dims) > 1:
                    forward.append(f"{x} = {x}.unflatten(-1, ({', '.join(dims)}))")
                elif not dims:
                    forward.append(f"{x} = {x}.squeeze(-1)")
                arg = spec.family.arg(p.name)
                if arg is not None and arg.limit is not None:
                    limit = _number(arg.limit)
                    forward.append(f"{x} = {limit} * torch.tanh({x} / {limit})")
                if p.transform != "identity" or p.offset is not None:
                    # fill_tril makes its diagonal contiguous itself
                    x_in = x if p.packed else f"{x}.contiguous()"
                    expr, square = self.forward_transform(p, x_in, call_args)
                    forward.append(f"{x} = {expr}")
                    if square:
                        forward.append(f"{x} = {x} @ {x}.mT")
                call_args[p.name] = x
            elif p.source == "parameter":
                if p.transform == "identity" and p.offset is None:
                    call_args[p.name] = f"self.{p.name}"
                    continue
                expr, square = self.forward_transform(p, f"self.{p.name}", call_args)
                forward.append(f"{p.name} = {expr}")
                if square:
                    forward.append(f"{p.name} = {p.name} @ {p.name}.mT")
                call_args[p.name] = p.name
            elif p.source == "buffer":
                call_args[p.name] = f"self.{p.name}"
            else:
                call_args[p.name] = "self.features" if _is_dim(spec, p) else f"self.{p.name}"

        # the family's constructor: positional while the arguments follow its signature
        rendered, positional = [], True
        for arg in spec.family.args:
            if arg.name not in call_args:
                positional = False
                continue
            value = call_args[arg.name]
            rendered.append(value if positional and value == arg.name else f"{arg.name}={value}")
            positional = positional and value == arg.name
        validate = "validate_args=self.validate_args"
        if spec.family.validates:
            dist = f"{spec.family.cls}({', '.join([*rendered, validate])})"
        else:
            dist = f"{spec.family.cls}({', '.join(rendered)})"
        if spec.independent:
            dist = f"Independent({dist}, 1, {validate})"
        from_context = any(p.source == "net" for p in params)
        if self.mixture:
            logits = "mixture_logits" if conditional else "self.mixture_logits"
            forward.append(f"component = {dist}")
            if conditional and not from_context:
                forward.append(
                    "component = component.expand(c.shape[:-1] + component.batch_shape)"
                )
            forward.append(f"mixture = Categorical(logits={logits}, {validate})")
            if self.normal_mixture:
                self.helpers.add("normal_mixture")
                dist = f"DiagonalNormalMixture(mixture, component, {validate})"
            else:
                dist = f"MixtureSameFamily(mixture, component, {validate})"
        elif conditional and not from_context:
            forward.append("# No argument depends on c: the batch shape comes from c alone.")
            forward.append(f"dist = {dist}")
            dist = "dist.expand(c.shape[:-1] + dist.batch_shape)"

        code = "\n".join(init + nets + state + forward + [dist])
        uses_sequence = any(a[1].startswith("Sequence") for a in init_args)
        froms = {
            "torch": "Tensor",
            "torch.distributions": ", ".join(self.distribution_imports()),
            "zuko.lazy" if spec.runtime == "zuko" else "lazygen.lazy": "LazyDistribution",
        }
        if uses_sequence or "mlp" in self.helpers:
            froms["collections.abc"] = "Sequence"
        if spec.family.module != "torch.distributions":
            module = spec.family.module
            froms[module] = ", ".join(
                sorted({*froms.get(module, "").split(", "), spec.family.cls} - {""})
            )
        imports = ["math"] if "normal_mixture" in self.helpers else []
        if "torch." in code or self.helpers & {"inv_softplus", "tril_index", "normal_mixture"}:
            imports.append("torch")
        signature = " ".join(f"{a} {d}" for _, a, d in init_args)
        if "nn." in code + signature or "mlp" in self.helpers:
            imports.append("torch.nn as nn")
        if "F." in code or "fill_tril" in self.helpers:
            imports.append("torch.nn.functional as F")

        doc, doc_prefix = docstring(spec.doc or _default_doc(spec), 4)
        module_doc, module_doc_prefix = docstring(spec.doc or _default_doc(spec), 0)

        return {
            "version": __version__,
            "spec": spec,
            "path": shown_path(spec.path),
            "command": self.command,
            "digest": spec.digest[:16],
            "doc": doc,
            "doc_prefix": doc_prefix,
            "module_doc": module_doc,
            "module_doc_prefix": module_doc_prefix,
            "table": _table(spec),
            "imports": imports,
            "froms": sorted(froms.items()),
            "helpers": sorted(self.helpers),
            "init_args": init_args,
            "init": init,
            "nets": nets,
            "state": state,
            "forward": forward,
            "dist": dist,
            "conditional": conditional,
        }


def _is_dim(spec: Spec, p: Param) -> bool:
    return spec.family.builtin and (spec.family.cls, p.name) == ("LKJCholesky", "dim")


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _annotation(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "tuple"
    return "object"


def _default_doc(spec: Spec) -> str:
    if spec.mixture:
        what = f"mixture of {spec.mixture} {spec.family.cls} distributions"
    else:
        what = f"{spec.family.cls} distribution"
    if spec.conditional:
        return f"A conditional {what} p(x | c)."
    return f"An unconditional {what} p(x)."


def _table(spec: Spec) -> list[str]:
    r"""The rows of the parameter table in the class docstring."""

    rows = [("parameter", "source", "shape", "transform")]
    for p in spec.params:
        source = p.source
        if p.source == "net":
            source = "own net" if p.net is not None else "net"
        shape = (
            "("
            + ", ".join(SYMBOLS.get(s, s).replace("self.", "") for s in p.shape)
            + ("," if len(p.shape) == 1 else "")
            + ")"
        )
        transform = p.transform if p.source in ("net", "parameter") else "as given"
        if p.offset and p.source in ("net", "parameter"):
            offset = "features - 1" if p.offset == "D-1" else p.offset
            transform = f"{offset} + {transform}"
        arg = spec.family.arg(p.name)
        if p.source == "net" and arg is not None and arg.limit is not None:
            transform = f"{transform} of {arg.limit:g} tanh(x / {arg.limit:g})"
        rows.append((p.name, source, shape, transform))
    if spec.mixture:
        rows.append(
            (
                "mixture_logits",
                "net" if spec.conditional else "parameter",
                "(components,)",
                "identity",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    rule = "  ".join("=" * w for w in widths)
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return [rule, lines[0], rule, *lines[1:], rule]


def regenerate_command(spec: Spec, out: str) -> str:
    r"""The command that regenerates a spec's files."""

    return f"lazygen build {shlex.quote(shown_path(spec.path))} -o {shlex.quote(shown_path(out))}"


def render(spec: Spec, out: str = "generated") -> Rendered:
    r"""Renders the module and the test file of a spec.

    Arguments:
        spec: A validated spec.
        out: The output folder, as the user gave it (for the regenerate command).

    Returns:
        The two files' sources.
    """

    context = _context(spec, out)
    tests = _stamp(environment().get_template("test_module.py.j2").render(**context))
    return Rendered(spec=spec, module=_render_module(context), tests=tests)


def render_module(spec: Spec, out: str = "generated") -> str:
    r"""Renders the module of a spec alone (what :func:`lazygen.load` needs)."""

    return _render_module(_context(spec, out))


def _context(spec: Spec, out: str) -> dict[str, Any]:
    command = regenerate_command(spec, out)
    return {**_Builder(spec, command).build(), **_test_context(spec)}


def _render_module(context: dict[str, Any]) -> str:
    return _stamp(environment().get_template("module.py.j2").render(**context))


#: Generated tests skipped for a family, with the reason: bugs of torch, not of lazygen.
SKIPS: dict[str, dict[str, str]] = {
    "GeneralizedPareto": {
        "double": "torch's GeneralizedPareto.log_prob compares with a float32 constant",
    },
}


def _state(spec: Spec) -> list[tuple[str, tuple[int, ...]]]:
    r"""The state dict of the spec's class, built with its defaults: names and shapes."""

    def outputs(p: Param) -> int:
        size = spec.features * (spec.features + 1) // 2 if p.packed else _prod(p.size)
        return size * (spec.mixture or 1)

    def mlp(prefix: str, hidden: tuple[int, ...], out: int) -> list:
        widths = [spec.context, *hidden, out]
        layers = []
        for i, (before, after) in enumerate(zip(widths, widths[1:])):
            layers.append((f"{prefix}.{2 * i}.weight", (after, before)))
            layers.append((f"{prefix}.{2 * i}.bias", (after,)))
        return layers

    state = []
    shared = [outputs(p) for p in spec.params if p.source == "net" and p.net is None]
    if spec.mixture and spec.conditional:
        shared.append(spec.mixture)
    if shared:
        state += mlp("net", spec.net.hidden, sum(shared))
    for p in spec.params:
        if p.source == "net" and p.net is not None:
            state += mlp(f"{p.name}_net", p.net.hidden, outputs(p))
        elif p.source in ("parameter", "buffer"):
            shape = (spec.features * (spec.features + 1) // 2,) if p.packed else p.size
            if p.source == "buffer" and p.value == "eye":
                shape = p.size
            state.append((p.name, (spec.mixture, *shape) if spec.mixture else tuple(shape)))
    if spec.mixture and not spec.conditional:
        state.append(("mixture_logits", (spec.mixture,)))
    return state


def _prod(size: tuple[int, ...]) -> int:
    result = 1
    for n in size:
        result *= n
    return result


def _test_context(spec: Spec) -> dict[str, Any]:
    parameters = sorted(p.name for p in spec.params if p.source == "parameter")
    if spec.mixture and not spec.conditional:
        parameters.append("mixture_logits")
    buffers = sorted(p.name for p in spec.params if p.source == "buffer")
    return {
        "parameters": parameters,
        "buffers": buffers,
        "event_shape": spec.event_shape,
        "discrete": spec.family.discrete,
        "rsample": spec.family.has_rsample and not spec.mixture,
        "fit": not spec.family.dependent_support,
        "bounded": spec.family.dependent_support,
        "validates": spec.family.validates,
        "skips": SKIPS.get(spec.family.cls, {}) if spec.family.builtin else {},
        "trainable": bool(parameters) or spec.conditional,
        "state_layout": _state(spec),
        "normal_mixture": (
            spec.mixture is not None
            and spec.family.builtin
            and spec.family.cls == "Normal"
            and spec.independent
        ),
        "test_froms": sorted([(spec.module, spec.name), ("torch.distributions", "Distribution")]),
    }
