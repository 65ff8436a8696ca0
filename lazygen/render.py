r"""Rendering: validated specs to Python source, through the Jinja templates."""

from __future__ import annotations

__all__ = ["environment", "template_dir"]

import functools

from pathlib import Path


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

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
