r"""Starter specs: what ``lazygen new`` writes."""

from __future__ import annotations

__all__ = ["starter"]

from .errors import Diagnostic, SpecError
from .families import AUTO_TRANSFORMS, Arg, Family, FamilyError, lookup
from .spec import IDENTIFIER, load_text, snake_case

#: Among alternatives, the one a starter picks: unconstrained ones train best.
PREFERRED = ("logits", "scale_tril")


def _initial(arg: Arg, features: int) -> str:
    constraint = arg.constraint or ""
    if constraint.startswith("greater_than(D-1)"):
        return str(float(features + 1))
    if constraint in ("lower_cholesky", "positive_definite"):
        return "eye"
    if constraint in ("positive", "positive_vector", "nonnegative") or arg.constraint is None:
        return "1.0"
    if constraint == "unit_interval":
        return "0.3"  # not 0.5: ContinuousBernoulli is unstable (zero gradients) there
    if constraint == "simplex":
        return "[" + ", ".join([repr(1 / features)] * features) + "]"
    if constraint.startswith("greater_than("):
        return "2.0"
    return "0.5" if arg.name == "logits" else "0.0"


def _chosen(family: Family) -> list[Arg]:
    picked = []
    grouped = {name for group in family.alternatives for name in group}
    for group in family.alternatives:
        best = next((name for name in PREFERRED if name in group), group[0])
        picked.append(best)
    chosen = [a for a in family.args if a.required or a.name in picked and a.name in grouped]
    if not any(a.tensor for a in chosen):
        # Only constants (LKJCholesky's dim): a starter needs something to learn or
        # condition on, so it takes the optional tensor arguments too.
        chosen = [a for a in family.args if a in chosen or a.tensor and a.name not in grouped]
    return chosen


def starter(
    name: str, family: str, features: int, context: int, path: str | None = None
) -> tuple[str, str]:
    r"""Returns a commented starter spec, and its module name.

    Arguments:
        name: The class name.
        family: The family, as a spec names it.
        features: The event size.
        context: The context size.
        path: Where the spec will be written (default: ``<module>.yaml``).

    Raises:
        SpecError: When `name` or `family` is not valid.
    """

    if not IDENTIFIER.match(name):
        raise SpecError([Diagnostic("NAME", 1, 1, f"'{name}' is not a valid class name")])
    try:
        fam = lookup(family)
    except FamilyError as e:
        raise SpecError([Diagnostic("--family", 1, 1, str(e))]) from None

    module = snake_case(name)
    path = path or f"{module}.yaml"
    source = "net" if context else None
    lines = [
        f"# A starter spec: edit it, then run `lazygen build {path}`.",
        "# Editor completion: `lazygen schema > lazygen.schema.json`, next to this file.",
        "# yaml-language-server: $schema=lazygen.schema.json",
        "lazygen: 1",
        f"name: {name}",
        f"doc: A {'conditional' if context else 'trainable'} {fam.cls} distribution.",
        f"family: {family}",
        f"features: {features}        # the event size: the last dimension of x",
        f"context: {context}         # the size of c (0: unconditional)",
    ]
    if fam.builtin and fam.cls == "Categorical":
        lines.append("categories: 3      # x holds integers in [0, categories)")
    if context:
        lines += [
            "net:                # the shared network of every `net` parameter",
            "  hidden: [64, 64]",
            "  activation: ReLU",
        ]
    lines.append("params:             # net, {parameter: v}, {buffer: v} or {value: v}")
    for arg in _chosen(fam):
        if not arg.tensor:
            value = features if arg.name == "dim" else 10 if arg.name == "total_count" else 1
            lines.append(f"  {arg.name}: {{value: {value}}}")
            continue
        transform = (
            ""
            if arg.constraint in AUTO_TRANSFORMS
            or (arg.constraint or "").startswith("greater_than(")
            else ", transform: softplus"
        )
        if source == "net" and not transform:
            lines.append(f"  {arg.name}: net")
        elif source == "net":
            lines.append(f"  {arg.name}: {{net: shared{transform}}}")
        else:
            lines.append(f"  {arg.name}: {{parameter: {_initial(arg, features)}{transform}}}")
    text = "\n".join(lines) + "\n"

    load_text(text, path)  # a starter must validate
    return text, module
