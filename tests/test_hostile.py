"""Hostile spec files (tests/hostile/*.yaml): refused with located errors, or built safely.

Each invalid file must make ``lazygen validate`` exit 1 with ``PATH:LINE:COL: error:``
lines (no traceback); each valid file (``valid_*``) must build, and importing the
generated module must run none of the spec's text.
"""

from __future__ import annotations

import importlib
import os
import pytest
import re
import subprocess
import sys
import time

from click.testing import CliRunner
from lazygen.cli import main
from pathlib import Path

HOSTILE = Path(__file__).parent / "hostile"

#: file -> (line, column, message fragment) of one expected error.
EXPECTED = {
    "activation_code.yaml": (3, 15, "unknown activation"),
    "alias_bomb.yaml": (None, None, "alias bomb"),
    "context_huge.yaml": (4, 10, "context must be between 0 and 1000000"),
    "cyrillic_name.yaml": (1, 7, "is not a valid class name"),
    "deep_block.yaml": (8, 1, "unknown key 'k'"),
    "deep_nesting.yaml": (8, None, "maximum nesting depth"),
    "family_code.yaml": (2, 9, "is not a torch.distributions.Distribution subclass"),
    "family_code2.yaml": (2, 9, "unknown family"),
    "features_1e9.yaml": (3, 11, "features must be an integer"),
    "features_int_1e9.yaml": (3, 11, "features must be between 1 and 1000000"),
    "hidden_huge.yaml": (3, 12, "between 1 and 1000000"),
    "module_code.yaml": (2, 9, "is not a valid module name"),
    "module_os.yaml": (2, 9, "would shadow an importable module"),
    "module_slash.yaml": (2, 9, "is not a valid module name"),
    "module_traversal.yaml": (2, 9, "is not a valid module name"),
    "name_code.yaml": (1, 7, "is not a valid class name"),
    "name_os.yaml": (1, 7, "would shadow an importable module"),
    "name_semicolon.yaml": (1, 7, "is not a valid class name"),
    "not_utf8.yaml": (2, 9, "not valid UTF-8"),
    "nul_byte.yaml": (1, 10, "unacceptable character"),
    "nul_raw.yaml": (2, 7, "unacceptable character"),
    "param_name_code.yaml": (6, 3, "has no argument"),
    "python_tag.yaml": (1, 7, "refused"),
    "transform_code.yaml": (7, 35, "unknown transform"),
}
#: valid file -> (module, class) that must build and import.
VALID = {
    "valid_doc_code.yaml": ("doc_code", "DocCode"),
    "valid_doc_quotes.yaml": ("doc_quotes", "DocQuotes"),
    "valid_doc_backslash_end.yaml": ("doc_backslash", "DocBackslash"),
    "valid_doc_1mb.yaml": ("doc_huge", "DocHuge"),
}
LOCATED = re.compile(r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.+)$")


def test_table_covers_every_file():
    files = {p.name for p in HOSTILE.glob("*.yaml")}
    assert files == set(EXPECTED) | set(VALID)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_refused_with_located_error(name):
    path = HOSTILE / name
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert time.perf_counter() - start < 60  # generous: CI machines are shared
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    output = result.output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines
    found = []
    for line in lines:
        m = LOCATED.match(line)
        assert m, f"unlocated line: {line!r}"
        assert m["path"] == str(path)
        found.append((int(m["line"]), int(m["col"]), m["msg"]))
    line, col, fragment = EXPECTED[name]
    assert any(
        (line is None or li == line) and (col is None or co == col) and fragment in msg
        for li, co, msg in found
    ), found


@pytest.mark.parametrize("name", ["python_tag.yaml", "features_int_1e9.yaml", "alias_bomb.yaml"])
def test_refused_in_a_subprocess(name, tmp_path):
    """The real command line: exit 1, located lines on stderr, nothing executed."""

    proc = subprocess.run(
        [sys.executable, "-m", "lazygen", "validate", str(HOSTILE / name)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert all(LOCATED.match(line) for line in proc.stderr.splitlines() if line.strip())
    assert not (tmp_path / "MARK").exists()


def test_invalid_files_write_nothing(tmp_path):
    out = tmp_path / "out"
    paths = [str(HOSTILE / n) for n in sorted(EXPECTED)] + [str(HOSTILE / "valid_doc_code.yaml")]
    result = CliRunner().invoke(main, ["build", *paths, "-o", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def _normal(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_hostile_docs_build_and_import_safely(name, tmp_path, monkeypatch):
    out = tmp_path / "out"
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["build", str(HOSTILE / name), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - start < 90  # generous: CI machines are shared

    module, cls_name = VALID[name]
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(out))
    sys.modules.pop(module, None)
    try:
        mod = importlib.import_module(module)
    finally:
        sys.modules.pop(module, None)
    assert not (tmp_path / "MARK").exists()
    assert not (out / "MARK").exists()

    import yaml

    doc = yaml.safe_load((HOSTILE / name).read_text(encoding="utf-8"))["doc"]
    cls = getattr(mod, cls_name)
    assert _normal(doc) in _normal(cls.__doc__)
    assert _normal(doc) in _normal(mod.__doc__)

    # the generated files compile as plain Python, and the doc text is inert
    for file in out.glob("*.py"):
        compile(file.read_text(encoding="utf-8"), str(file), "exec")


def test_valid_hostile_generated_tests_pass(tmp_path):
    """The generated pytest file of a hostile-doc spec runs, and runs nothing of the doc."""

    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["build", str(HOSTILE / "valid_doc_code.yaml"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not (tmp_path / "MARK").exists()
