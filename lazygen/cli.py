r"""The ``lazygen`` command line.

Heavy imports (torch, jinja2) live inside the commands that need them, so that
``lazygen --help`` stays fast. Spec errors go to stderr as
``PATH:LINE:COLUMN: error: MESSAGE`` and exit with 1; usage errors exit with 2.
"""

from __future__ import annotations

__all__ = ["main"]

import click
import sys

from . import __version__

SPECS = click.argument(
    "specs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True)
)


def _load(specs: tuple[str, ...]) -> list:
    from .errors import SpecError
    from .spec import load_paths

    try:
        return load_paths(specs)
    except SpecError as e:
        for diagnostic in e.diagnostics:
            click.echo(str(diagnostic), err=True)
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lazygen")
def main() -> None:
    r"""Generate conditional distributions (PyTorch modules) from YAML specs."""


@main.command()
@SPECS
@click.option(
    "-o",
    "--out",
    default="generated",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The folder of the generated modules and tests.",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; fail if an output is missing or stale."
)
@click.option(
    "--force", is_flag=True, help="Overwrite files lazygen did not write, or edited ones."
)
def build(specs: tuple[str, ...], out: str, check: bool, force: bool) -> None:
    r"""Validate SPECS, then write a module and a test file for each."""

    from .render import render
    from .writer import WriteError, plan, write
    from pathlib import Path

    loaded = _load(specs)
    rendered = []
    for i, spec in enumerate(loaded, 1):
        rendered.append(render(spec, out))
        if len(loaded) >= 100 and (i % 100 == 0 or i == len(loaded)):
            click.echo(f"lazygen: rendered {i}/{len(loaded)} specs", err=True)

    result = plan(rendered, Path(out), force=force)

    if check:
        for path, _ in result.writes:
            state = "stale" if path.exists() else "missing"
            click.echo(f"{path}: {state}", err=True)
        for path, reason in result.refused:
            click.echo(f"{path}: stale ({reason})", err=True)
        if result.writes or result.refused:
            sys.exit(1)
        click.echo(f"lazygen: {len(result.unchanged)} files up to date", err=True)
        return

    if result.refused:
        for path, reason in result.refused:
            click.echo(
                f"{path}: error: refusing to overwrite, {reason} (use --force to replace it)",
                err=True,
            )
        sys.exit(1)

    try:
        write(result.writes)
    except WriteError as e:
        raise click.ClickException(str(e)) from None

    click.echo(
        f"lazygen: {len(loaded)} specs, {len(result.writes)} files written, "
        f"{len(result.unchanged)} unchanged, in {out}",
        err=True,
    )


@main.command()
@SPECS
def validate(specs: tuple[str, ...]) -> None:
    r"""Validate SPECS without writing anything."""

    loaded = _load(specs)
    click.echo(f"lazygen: {len(loaded)} specs valid", err=True)


@main.command()
@click.argument("name")
@click.option("--family", default="Normal", show_default=True, help="The distribution family.")
@click.option("--features", default=1, show_default=True, type=click.IntRange(1))
@click.option("--context", default=0, show_default=True, type=click.IntRange(0))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="The spec file [default: MODULE.yaml]."
)
def new(name: str, family: str, features: int, context: int, output: str | None) -> None:
    r"""Write a commented starter spec for the class NAME."""

    from .errors import SpecError
    from .starter import starter
    from .writer import WriteError, write
    from pathlib import Path

    try:
        text, module = starter(name, family, features, context, output)
    except SpecError as e:
        for diagnostic in e.diagnostics:
            click.echo(str(diagnostic), err=True)
        sys.exit(1)

    path = Path(output or f"{module}.yaml")
    if path.exists():
        raise click.ClickException(f"{path} exists: lazygen new never overwrites a file")
    try:
        write([(path, text)])
    except WriteError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"lazygen: wrote {path}", err=True)


@main.command()
@click.option("--markdown", is_flag=True, help="Print a Markdown table (the README's list).")
def families(markdown: bool) -> None:
    r"""List the supported families, their arguments and constraints."""

    from .families import table

    click.echo(table(markdown=markdown))


@main.command()
def schema() -> None:
    r"""Print the JSON Schema (draft-07) of the spec format."""

    from .schema import dumps

    click.echo(dumps(), nl=False)
