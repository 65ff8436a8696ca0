r"""The ``lazygen`` command line.

Heavy imports (torch, jinja2) live inside the commands that need them, so that
``lazygen --help`` stays fast.
"""

from __future__ import annotations

__all__ = ["main"]

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lazygen")
def main() -> None:
    r"""Generate conditional distributions (PyTorch modules) from YAML specs."""
