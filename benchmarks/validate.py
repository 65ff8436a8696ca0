r"""Times whole-process ``lazygen validate DIR`` on N generated spec files.

Writes N specs (varied families and sources) into a temporary folder, warms the
family cache, then takes the median wall time of 5 runs of each of:
``lazygen validate DIR``, ``python -c "import torch"`` and ``python -c "pass"``,
measured in the same run so that the figures compare. The goal: under 1 s for
1000 specs, that is validation must never pay for importing torch. A second
folder, with an import-path family (zuko) among the specs, shows the one case that
does import torch: such a family is introspected live.

    python benchmarks/validate.py [-n 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from pathlib import Path

#: (family, extra keys, params), conditional (context > 0) templates.
TEMPLATES = [
    ("Normal", "", "{loc: net, scale: net}"),
    ("Normal", "mixture: 3\n", "{loc: net, scale: {net: {hidden: [16]}, min: 1e-3}}"),
    ("Laplace", "", "{loc: net, scale: {parameter: 1.0}}"),
    ("StudentT", "", "{df: {parameter: 4.0}, loc: net, scale: net}"),
    ("Gamma", "", "{concentration: net, rate: {buffer: 2.0}}"),
    ("Beta", "", "{concentration1: net, concentration0: net}"),
    ("Bernoulli", "", "{logits: net}"),
    ("Bernoulli", "independent: false\n", "{probs: net}"),
    ("Categorical", "categories: 5\n", "{logits: net}"),
    ("Poisson", "", "{rate: net}"),
    ("Dirichlet", "", "{concentration: net}"),
    ("MultivariateNormal", "", "{loc: net, scale_tril: net}"),
    ("MultivariateNormal", "", "{loc: {parameter: zeros}, covariance_matrix: {buffer: eye}}"),
    ("LowRankMultivariateNormal", "", "{loc: net, cov_factor: net, cov_diag: net}"),
    ("Multinomial", "", "{total_count: {value: 10}, logits: net}"),
    ("Uniform", "", "{low: {buffer: 0.0}, high: {buffer: 1.0}}"),
    ("LogNormal", "net: {hidden: [32, 32, 32], activation: ELU}\n", "{loc: net, scale: net}"),
]


#: An import-path family: validating it imports its module, hence torch, by design.
IMPORT_PATH = (
    "zuko.distributions:DiagNormal",
    "",
    "{loc: {net: shared, transform: identity}, scale: {net: shared, transform: softplus}}",
)


def write_specs(folder: Path, n: int, import_path: bool = False) -> None:
    templates = [*TEMPLATES, IMPORT_PATH] if import_path else TEMPLATES
    for i in range(n):
        family, extra, params = templates[i % len(templates)]
        text = (
            f"lazygen: 1\nname: Spec{i:05d}\ndoc: Benchmark spec {i}.\nfamily: {family}\n"
            f"features: {2 + i % 5}\ncontext: {1 + i % 7}\n{extra}params: {params}\n"
        )
        (folder / f"spec_{i:05d}.yaml").write_text(text)


def median_time(command: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="the number of spec files")
    parser.add_argument("--runs", type=int, default=5, help="the runs per command")
    args = parser.parse_args()

    lazygen = [sys.executable, "-m", "lazygen"]
    with tempfile.TemporaryDirectory() as tmp:
        builtin, mixed = Path(tmp) / "builtin", Path(tmp) / "mixed"
        builtin.mkdir()
        mixed.mkdir()
        write_specs(builtin, args.n)
        write_specs(mixed, args.n, import_path=True)
        env = {**os.environ, "LAZYGEN_CACHE_DIR": str(Path(tmp) / "cache")}

        validate = [*lazygen, "validate", str(builtin)]
        median_time(validate, 1, env)  # warms the family cache (and fails on a bad spec)

        python = median_time([sys.executable, "-c", "pass"], args.runs, env)
        torch = median_time([sys.executable, "-c", "import torch"], args.runs, env)
        seconds = median_time(validate, args.runs, env)
        with_paths = median_time([*lazygen, "validate", str(mixed)], args.runs, env)

    print(f"python -c pass:                 {python:.3f} s (median of {args.runs})")
    print(f"python -c 'import torch':       {torch:.3f} s")
    print(f"lazygen validate, {args.n} specs:  {seconds:.3f} s (torch.distributions families)")
    print(f"validate / import torch:        {seconds / torch:.2f}")
    print(f"goal < 1 s:                     {'met' if seconds < 1 else 'MISSED'}")
    print(
        f"with import-path families:      {with_paths:.3f} s "
        "(zuko.distributions:DiagNormal among them: imports zuko and torch, by design)"
    )


if __name__ == "__main__":
    main()
