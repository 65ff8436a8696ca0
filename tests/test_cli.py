r"""Tests of the ``lazygen`` command line (:mod:`lazygen.cli`)."""

from __future__ import annotations

import lazygen
import subprocess
import sys

from click.testing import CliRunner
from lazygen.cli import main


def test_help():
    for flag in ("--help", "-h"):
        result = CliRunner().invoke(main, [flag], prog_name="lazygen")

        assert result.exit_code == 0, result.output
        assert result.output.startswith("Usage: lazygen")
        assert "Generate conditional distributions" in result.output
        assert "--version" in result.output


def test_version():
    result = CliRunner().invoke(main, ["--version"], prog_name="lazygen")

    assert result.exit_code == 0, result.output
    assert result.output == f"lazygen, version {lazygen.__version__}\n"


def test_unknown_command_fails():
    result = CliRunner().invoke(main, ["no-such-command"], prog_name="lazygen")

    assert result.exit_code == 2
    assert "No such command" in result.output


def test_cli_does_not_import_torch():
    code = "import sys, lazygen.cli; sys.exit('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.returncode == 0, f"lazygen.cli imports torch at import time\n{result.stderr}"
