"""Writes are atomic and failures are clean: interruption, read-only folders, full disks,
concurrent builds."""

from __future__ import annotations

import errno
import os
import pytest
import subprocess
import sys

from click.testing import CliRunner
from lazygen import writer
from lazygen.cli import main
from lazygen.render import render
from lazygen.spec import load_paths
from pathlib import Path

SPECS = Path(__file__).parent.parent / "specs"


def build(*args):
    return CliRunner().invoke(main, ["build", *map(str, args)])


def snapshot(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir())}


def assert_clean(result):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "error" in result.output.lower()


def test_interrupted_build_leaves_old_or_new(tmp_path, monkeypatch):
    out = tmp_path / "out"
    specs = [SPECS / "conditional_normal.yaml", SPECS / "student_t.yaml"]
    assert build(*specs, "-o", out).exit_code == 0
    old = snapshot(out)

    # A new version of each output: a changed spec gives new text for both files.
    changed = tmp_path / "specs"
    changed.mkdir()
    for spec in specs:
        text = spec.read_text(encoding="utf-8")
        (changed / spec.name).write_text(text.replace("doc: ", "doc: Changed. "), "utf-8")
    new = {}
    for spec in load_paths(sorted(map(str, changed.iterdir()))):
        files = render(spec, str(out))
        new[f"{spec.module}.py"] = files.module
        new[f"test_{spec.module}.py"] = files.tests
    assert set(new) == set(old) and new != old

    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) > 1:
            raise OSError(errno.EIO, "simulated crash")
        return real(src, dst)

    monkeypatch.setattr(writer.os, "replace", flaky)
    result = build(*sorted(changed.iterdir()), "-o", out)
    monkeypatch.undo()
    assert_clean(result)
    assert len(calls) >= 2

    after = snapshot(out)
    assert set(after) == set(old), "temporary files left behind"
    for name, text in after.items():
        assert text in (old[name], new[name]), f"{name} is partial"
        assert writer.owned(text) is None
    assert sum(after[n] == new[n] for n in after) == 1  # exactly the first write landed
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_read_only_out(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    if os.geteuid() == 0:  # root ignores permissions: simulate the refusal

        def refuse(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(writer.tempfile, "mkstemp", refuse)
    else:
        out.chmod(0o555)
    try:
        result = build(SPECS / "conditional_normal.yaml", "-o", out)
    finally:
        out.chmod(0o755)
    assert_clean(result)
    assert "Permission denied" in result.output or "permission" in result.output.lower()
    assert str(out) in result.output
    assert list(out.iterdir()) == []


def test_disk_full(tmp_path, monkeypatch):
    out = tmp_path / "out"
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, text):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.f, name)

    monkeypatch.setattr(writer.os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    result = build(SPECS / "conditional_normal.yaml", "-o", out)
    monkeypatch.undo()
    assert_clean(result)
    assert "No space left on device" in result.output
    assert not out.exists() or list(out.iterdir()) == []


def test_concurrent_builds(tmp_path):
    out = tmp_path / "out"
    specs = sorted(map(str, SPECS.glob("*.yaml")))
    cmd = [sys.executable, "-m", "lazygen", "build", *specs, "-o", str(out)]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [(*p.communicate(timeout=300), p.returncode) for p in procs]
    for stdout, stderr, _rc in results:
        assert "Traceback" not in stdout + stderr
    # atomic replaces: each build sees every file missing, or complete and identical
    assert all(rc == 0 for _, _, rc in results), results
    files = list(out.iterdir())
    assert files and not [p for p in files if p.name.startswith(".")]
    for path in files:
        assert writer.owned(path.read_text(encoding="utf-8")) is None, path
    check = subprocess.run([*cmd, "--check"], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("mode", ["replace"])
def test_failed_write_removes_temp_file(tmp_path, monkeypatch, mode):
    target = tmp_path / "x.py"

    def boom(src, dst):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(writer.os, "replace", boom)
    with pytest.raises(writer.WriteError, match="I/O error"):
        writer.write([(target, "text")])
    assert list(tmp_path.iterdir()) == []
