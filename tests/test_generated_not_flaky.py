"""The generated tests of every example pass under 20 different seeds (slow)."""

from __future__ import annotations

import os
import pytest
import subprocess
import sys

from click.testing import CliRunner
from concurrent.futures import ThreadPoolExecutor
from lazygen.cli import main
from pathlib import Path

SPECS = Path(__file__).parent.parent / "specs"
RUNS = 20


@pytest.mark.slow
def test_generated_tests_pass_under_many_seeds(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(SPECS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    # the generated tests shift every seed they use by LAZYGEN_TEST_SEED

    def run(seed: int) -> tuple[int, int, str]:
        env = {**os.environ, "LAZYGEN_TEST_SEED": str(seed), "PYTHONHASHSEED": str(seed)}
        env["OMP_NUM_THREADS"] = "1"
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", str(out)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=1200,
        )
        return seed, proc.returncode, proc.stdout[-4000:] + proc.stderr[-2000:]

    workers = max(1, min(8, (os.cpu_count() or 2) // 2))
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(run, range(1000, 1000 + RUNS)))
    failures = [(seed, output) for seed, rc, output in results if rc != 0]
    assert not failures, "\n\n".join(f"seed {seed}:\n{output}" for seed, output in failures)
