r"""Mutation tests: the generated test files must fail on broken modules.

Each mutant is a text replacement in a generated module; the replacement asserts its
target exists, so that a template change makes these tests fail loudly rather than
pass vacuously. All mutants of a spec, and the original, run in one pytest process.
"""

from __future__ import annotations

import os
import pytest
import re
import subprocess
import sys

from click.testing import CliRunner
from lazygen.cli import main
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

INDEPENDENT = (
    "return Independent(\n"
    "            Normal(loc, scale, validate_args=self.validate_args),\n"
    "            1,\n"
    "            validate_args=self.validate_args,\n"
    "        )"
)
MUTANTS = {
    "conditional_normal": {
        "no_independent": [
            (INDEPENDENT, "return Normal(loc, scale, validate_args=self.validate_args)")
        ],
        "split_sizes": [
            ("self.splits = (features, features)", "self.splits = (features + 1, features - 1)")
        ],  # fmt: skip
        "dropped_context": [("self.net(c)", "self.net(torch.zeros_like(c))")],
        "no_constraint": [
            ("scale = F.softplus(scale.contiguous()) + 1e-05", "scale = scale.contiguous()")
        ],
        "no_floor": [
            ("scale = F.softplus(scale.contiguous()) + 1e-05", "scale = F.softplus(scale)")
        ],
        "validation_ignored": [
            ("self.validate_args = validate_args", "self.validate_args = False")
        ],
        "net_renamed": [("self.net", "self.network")],
        "loc_ignored": [("Normal(loc, scale,", "Normal(0 * loc, scale,")],
        "hidden_ignored": [("hidden: Sequence[int] = (64, 64)", "hidden: Sequence[int] = (32,)")],
    },
    "gaussian_mixture": {
        "dropped_context": [("self.net(c)", "self.net(torch.zeros_like(c))")],
        "no_constraint": [
            ("scale = F.softplus(scale.contiguous()) + 1e-05", "scale = scale.contiguous()")
        ],
        "mixture_logits_dropped": [
            (
                "Categorical(logits=mixture_logits,",
                "Categorical(logits=torch.zeros_like(mixture_logits),",
            )
        ],
        "sample_one_component": [
            ("i = self.mixture_distribution.sample(", "i = 0 * self.mixture_distribution.sample(")
        ],
        "sample_no_noise": [
            ("return torch.normal(loc, scale).squeeze(-2)", "return loc.squeeze(-2)")
        ],
        "log_prob_no_constant": [
            ("log_p = log_p - x.shape[-1]", "log_p = log_p - 0 * x.shape[-1]")
        ],
        "components_changed": [("components: int = 5", "components: int = 4")],
    },
}


def mutate(text: str, replacements: list[tuple[str, str]]) -> str:
    for old, new in replacements:
        assert text.count(old) >= 1, f"mutation target not in the generated module: {old!r}"
        text = text.replace(old, new)
    if "torch.zeros_like" in text and not re.search(r"^import torch$", text, re.M):
        text = text.replace("import torch.nn as nn", "import torch\nimport torch.nn as nn", 1)
    return text


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> dict[tuple[str, str], str]:
    r"""Builds every spec into one folder per mutant (and the original), runs them all."""

    work = tmp_path_factory.mktemp("mutants")
    folders = {}
    for module, mutants in MUTANTS.items():
        original = work / module / "original"
        spec = ROOT / "specs" / f"{module}.yaml"
        result = CliRunner().invoke(main, ["build", str(spec), "-o", str(original)])
        assert result.exit_code == 0, result.output
        folders[module, "original"] = original
        source = (original / f"{module}.py").read_text()
        tests = (original / f"test_{module}.py").read_text()
        for name, replacements in mutants.items():
            folder = work / module / name
            folder.mkdir()
            (folder / f"{module}.py").write_text(mutate(source, replacements))
            # A test file of the same basename per folder: rootdir-relative ids differ.
            (folder / f"test_{module}.py").write_text(tests)
            (folder / "__init__.py").write_text("")
            folders[module, name] = folder

    # Same-named modules would clash in one pytest process: one run per folder, two at a time.
    env = dict(os.environ, OMP_NUM_THREADS="1")
    code = (
        "import subprocess, sys, json\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "folders = json.loads(sys.argv[1])\n"
        "def run(f):\n"
        "    return subprocess.run([sys.executable, '-m', 'pytest', '-q', '-x', '--tb=line',\n"
        "        '-p', 'no:cacheprovider', f], cwd=f, capture_output=True, text=True).returncode\n"
        "with ThreadPoolExecutor(2) as pool:\n"
        "    print(json.dumps(list(pool.map(run, folders))))\n"
    )
    import json

    paths = [str(f) for f in folders.values()]
    run = subprocess.run(
        [sys.executable, "-c", code, json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    codes = json.loads(run.stdout.strip().splitlines()[-1])
    return dict(zip(folders, codes))


WEAK: dict[tuple[str, str], str] = {}  # mutants the generated tests are known to miss
CASES = [
    pytest.param(
        m,
        n,
        marks=[pytest.mark.xfail(strict=True, reason=WEAK[m, n])] if (m, n) in WEAK else [],
    )
    for m, mutants in MUTANTS.items()
    for n in mutants
]


@pytest.mark.parametrize("module", list(MUTANTS))
def test_original_passes(outcome, module):
    assert outcome[module, "original"] == 0


@pytest.mark.parametrize("module, mutant", CASES)
def test_mutant_is_caught(outcome, module, mutant):
    assert outcome[module, mutant] not in (0, 5), f"{module}/{mutant} survived the generated tests"


def test_mutate_asserts_target():
    with pytest.raises(AssertionError, match="mutation target"):
        mutate("x = 1\n", [("y = 2", "y = 3")])
