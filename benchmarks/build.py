r"""Build benchmark: whole-process ``lazygen build``, ``build --check`` and ``--help``.

Makes N specs (N = 10, 100, 1000 by default) in a temporary folder and times, as
subprocesses, a fresh build (empty output folder), an up-to-date ``--check`` and
``lazygen --help``; each is the median of several runs, next to the peer
``python -c "import torch"`` measured in the same run. Also prints the per-spec cost
(the slope between sizes), and the peak memory (max RSS) of the largest build.

Usage:
    python benchmarks/build.py                 # N = 10, 100, 1000
    python benchmarks/build.py --sizes 10      # smoke test
    python benchmarks/build.py --profile       # cProfile of one in-process build
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from pathlib import Path
from table import print_table  # benchmarks/table.py, beside this script

FAMILIES = [
    ("Normal", "params: {loc: net, scale: net}"),
    ("Normal", "mixture: 4\nparams: {loc: net, scale: net}"),
    ("MultivariateNormal", "params: {loc: net, scale_tril: net}"),
    ("Beta", "params: {concentration1: net, concentration0: net}"),
    ("Gamma", "params: {concentration: net, rate: net}"),
]


def make_specs(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        family, params = FAMILIES[i % len(FAMILIES)]
        (folder / f"spec_{i:04d}.yaml").write_text(
            f"lazygen: 1\nname: Dist{i:04d}\nfamily: {family}\n"
            f"features: {2 + i % 5}\ncontext: {3 + i % 7}\n"
            f"net: {{hidden: [{16 + i % 3 * 16}, 32]}}\n{params}\n"
        )


LAZYGEN = [sys.executable, "-m", "lazygen"]


def timed(cmd: list[str], cwd: Path, before=None) -> tuple[float, int]:
    r"""Runs `cmd`; returns its wall time and the peak RSS (KiB) of the largest child so far."""

    if before:
        before()
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def peak_rss_mib(cmd: list[str], cwd: Path) -> float:
    r"""The peak RSS of `cmd` alone, measured by a fresh Python parent that runs only it."""

    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, check=True,
                         capture_output=True, text=True)  # fmt: skip
    return int(out.stdout) / 1024


def median_time(cmd, cwd, runs, before=None) -> float:
    return statistics.median(timed(cmd, cwd, before)[0] for _ in range(runs))


def profile(folder: Path, out: Path) -> None:
    import cProfile
    import pstats

    from click.testing import CliRunner
    from lazygen.cli import main

    shutil.rmtree(out, ignore_errors=True)
    prof = cProfile.Profile()
    prof.enable()
    CliRunner().invoke(main, ["build", str(folder), "-o", str(out)])
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(20)
    pstats.Stats(prof).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)

    env_note = (
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.runs} runs"
    )
    print(f"build benchmark: {env_note}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        torch_s = median_time([sys.executable, "-c", "import torch"], tmp, args.runs)
        help_s = median_time([*LAZYGEN, "--help"], tmp, args.runs)

        results = []
        for n in args.sizes:
            specs, out = tmp / f"specs{n}", tmp / f"out{n}"
            make_specs(specs, n)
            clean = lambda: shutil.rmtree(out, ignore_errors=True)  # noqa: B023, E731
            build = [*LAZYGEN, "build", str(specs), "-o", str(out)]
            builds = [timed(build, tmp, clean)[0] for _ in range(args.runs)]
            clean()
            peak_mib = peak_rss_mib(build, tmp)  # of a fresh build; the last N's is kept
            check_s = median_time([*build, "--check"], tmp, args.runs)
            results.append((n, statistics.median(builds), check_s))

        if args.profile:
            profile(tmp / f"specs{args.sizes[-1]}", tmp / "profiled")

    print(f"peer `python -c 'import torch'`: {torch_s:.3f} s")
    print()
    header = ("figure", "N", "seconds", "/ import torch", "goal", "holds?")
    rows = [("lazygen --help", "-", f"{help_s:.3f}", f"{help_s / torch_s:.2f}", "<= 0.2 s",
             "yes" if help_s <= 0.2 else "NO")]  # fmt: skip
    for n, build_s, check_s in results:
        for what, secs, goal in (("build (fresh)", build_s, 2.0), ("build --check", check_s, 1.0)):
            big = n == 1000
            holds = ("yes" if secs <= goal else "NO") if big else "-"
            goal_text = f"<= {goal:g} s" if big else "-"
            rows.append((what, str(n), f"{secs:.3f}", f"{secs / torch_s:.2f}", goal_text, holds))
    rows.append(("peak memory (MiB)", str(args.sizes[-1]), f"{peak_mib:.0f}", "-", "<= 300 MiB",
                 "yes" if peak_mib <= 300 else "NO"))  # fmt: skip

    print_table(header, rows)

    if len(results) > 1:
        print()
        print("per-spec cost (slope between sizes):")
        for (n0, b0, c0), (n1, b1, c1) in zip(results, results[1:]):
            print(f"  N {n0} -> {n1}: build {(b1 - b0) / (n1 - n0) * 1e3:.2f} ms/spec, "
                  f"check {(c1 - c0) / (n1 - n0) * 1e3:.2f} ms/spec")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
