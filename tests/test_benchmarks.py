r"""Smoke tests of the benchmark scripts: they run, and print every figure (no timings)."""

import subprocess
import sys

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=BENCHMARKS.parent,
    )
    assert done.returncode == 0, done.stderr[-4000:] + done.stdout[-2000:]
    return done.stdout


def test_runtime_quick():
    out = run("runtime.py", "--quick")
    for figure in (
        "diagonal mixture K=8",
        "full-cov mixture K=8",
        "normal, one Linear",
        "normal, MLP (64,64)",
        "sample 4096x100 diag mix",
    ):
        assert f"| {figure}" in out, figure
    assert "validate_args" in out


def test_runtime_cuda_skips_or_runs():
    import torch

    out = run("runtime.py", "--device", "cuda", "--quick")
    if torch.cuda.is_available():
        assert "| diagonal mixture K=8" in out
    else:
        assert "skipping" in out and "| figure" not in out


def test_build_small():
    out = run("build.py", "--sizes", "10", "--runs", "1")
    assert "import torch" in out
    for figure in ("lazygen --help", "build (fresh)", "build --check", "peak memory (MiB)"):
        assert f"| {figure}" in out, figure
