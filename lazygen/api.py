r"""The Python API: generated classes without files."""

from __future__ import annotations

__all__ = ["load"]

import types

from .errors import Diagnostic, SpecError
from .render import render_module
from .spec import load_paths
from pathlib import Path


def load(path: str | Path, name: str | None = None) -> type:
    r"""Returns the class generated from a spec file, without writing any file.

    Arguments:
        path: A spec file (YAML).
        name: The class name of the spec to pick, when the file holds several.

    Returns:
        The generated :class:`~lazygen.lazy.LazyDistribution` subclass.

    Raises:
        SpecError: When the file is invalid, or `name` picks no single spec.
    """

    specs = load_paths([path])
    picked = [spec for spec in specs if name is None or spec.name == name]
    if len(picked) != 1:
        names = ", ".join(spec.name for spec in specs)
        what = f"no spec named '{name}'" if name else "several specs: pass name="
        raise SpecError([Diagnostic(str(path), 1, 1, f"{what} (it holds {names})")])

    spec = picked[0]
    source = render_module(spec)
    module = types.ModuleType(spec.module)
    module.__file__ = f"<lazygen: {spec.path}>"
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # our own rendered code

    return getattr(module, spec.name)
