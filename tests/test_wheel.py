r"""Tests of the wheel: it carries the templates and works once installed.

The wheel is built from the source tree and installed (without dependencies) into a
fresh virtual environment. Rather than installing torch and friends again, that
environment sees the current interpreter's site-packages through a ``.pth`` file; its
own site-packages comes first on ``sys.path``, so ``lazygen`` is imported from the
installed wheel, never from the source tree (the commands run from a temporary folder).

To run more commands against the installed wheel, use the ``installed_bin`` fixture
(the ``bin`` folder of that environment) and :func:`run_installed`, e.g.
``run_installed(installed_bin / "lazygen", "build", spec, "-o", out, cwd=tmp_path)``.
"""

from __future__ import annotations

import importlib.util
import json
import lazygen
import os
import pytest
import subprocess
import sys
import sysconfig
import zipfile

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ("module.py.j2", "test_module.py.j2")

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("build") is None,
    reason="the 'build' package is not installed (pip install build) so the wheel can't be built",
)


def _clean_env() -> dict[str, str]:
    r"""The environment for subprocesses, without anything that redirects Python."""

    drop = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_installed(*command: str | Path, cwd: Path, timeout: float = 120) -> str:
    r"""Runs a command in the clean environment, fails the test on a non-zero exit.

    Returns:
        The command's standard output.
    """

    result = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        pytest.fail(
            f"command failed ({result.returncode}): {' '.join(map(str, command))}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    r"""The wheel built from the source tree."""

    outdir = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir)]
    # The build backend is in this environment: building without isolation needs no
    # network and skips creating a build environment.
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-isolation")
    command.append(str(ROOT))
    run_installed(*command, cwd=outdir, timeout=300)

    wheels = list(outdir.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed_venv(wheel, tmp_path_factory) -> Path:
    r"""A fresh virtual environment with the wheel installed (no dependencies)."""

    venv = tmp_path_factory.mktemp("venv") / "env"
    run_installed(sys.executable, "-m", "venv", venv, cwd=venv.parent, timeout=120)
    python = venv / "bin" / "python"

    # torch, jinja2, yaml, click: seen from the current interpreter's site-packages.
    site = Path(
        run_installed(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=venv
        ).strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_lazygen_test_deps.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))

    run_installed(
        python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel, cwd=venv.parent
    )
    return venv


@pytest.fixture(scope="module")
def installed_bin(installed_venv) -> Path:
    r"""The ``bin`` folder of the environment where the wheel is installed."""

    return installed_venv / "bin"


def test_wheel_name_has_version(wheel):
    assert wheel.name.startswith(f"lazygen-{lazygen.__version__}-")
    assert wheel.name.endswith("-py3-none-any.whl")


def test_wheel_contains_templates(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())

        for template in TEMPLATES:
            member = f"lazygen/templates/{template}"
            assert member in names, sorted(names)
            # The packaged template is the one of the source tree, byte for byte.
            assert archive.read(member) == (ROOT / "templates" / template).read_bytes()

        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "lazygen = lazygen.cli:main" in archive.read(entry_points).decode()

    for module in ("__init__.py", "cli.py", "lazy.py", "render.py"):
        assert f"lazygen/{module}" in names
    # The templates live inside the package, not at the top level of site-packages.
    assert not any(n.startswith("templates/") for n in names)


def test_installed_wheel_finds_its_templates(installed_bin, tmp_path):
    script = (
        "import json, sysconfig, lazygen, lazygen.render as r\n"
        "t = r.environment().get_template('module.py.j2')\n"
        "print(json.dumps({\n"
        "    'site': sysconfig.get_paths()['purelib'],\n"
        "    'package': lazygen.__file__,\n"
        "    'version': lazygen.__version__,\n"
        "    'template_dir': str(r.template_dir()),\n"
        "    'template': t.filename,\n"
        "}))\n"
    )
    info = json.loads(run_installed(installed_bin / "python", "-c", script, cwd=tmp_path))

    site = Path(info["site"]).resolve()
    assert site.is_relative_to(installed_bin.parent.resolve())
    for key in ("package", "template_dir", "template"):
        path = Path(info[key]).resolve()
        assert path.is_relative_to(site), (key, path, site)
        assert not path.is_relative_to(ROOT), (key, path)

    assert Path(info["template_dir"]).resolve() == site / "lazygen" / "templates"
    assert Path(info["template"]).name == "module.py.j2"
    assert info["version"] == lazygen.__version__


def test_installed_cli_version(installed_bin, tmp_path):
    out = run_installed(installed_bin / "lazygen", "--version", cwd=tmp_path)

    assert out.strip() == f"lazygen, version {lazygen.__version__}"


def test_installed_cli_help(installed_bin, tmp_path):
    out = run_installed(installed_bin / "lazygen", "--help", cwd=tmp_path)

    assert out.startswith("Usage: lazygen")


def test_installed_cli_builds(installed_bin, tmp_path):
    out = tmp_path / "out"
    run_installed(
        installed_bin / "lazygen", "build", ROOT / "specs" / "conditional_normal.yaml", "-o", out,
        cwd=tmp_path,
    )  # fmt: skip

    module = out / "conditional_normal.py"
    assert module.is_file() and (out / "test_conditional_normal.py").is_file()
    text = module.read_text()
    assert text.startswith("# Generated by lazygen")
    assert "class ConditionalNormal(LazyDistribution):" in text
