r"""Runtime benchmark: generated lazygen modules against zuko and a hand-written peer.

Each figure times one training iteration (``zero_grad`` + ``forward(c)`` +
``log_prob(x)`` + ``backward``), or one sampling call, of a lazygen module generated at
run time from spec text, and of a peer measured in the same process. The two sides run
in paired, interleaved rounds (alternating which goes first); the figure is the median
of the per-round ratios ours / peer, which cancels most of a noisy machine's drift.

Usage:
    python benchmarks/runtime.py              # CPU, 1 thread, batches 4096 and 256
    python benchmarks/runtime.py --quick      # a few short rounds (smoke test)
    python benchmarks/runtime.py --device cuda
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import torch
import torch.nn as nn
import types
import zuko  # noqa: F401  (imported on purpose: it sets torch's default validate_args)

from lazygen.render import render_module
from lazygen.spec import load_text
from table import print_table  # benchmarks/table.py, beside this script
from torch.distributions import Distribution, Normal

FEATURES, CONTEXT, COMPONENTS, HIDDEN = 8, 16, 8, (64, 64)

SPECS = {
    "DiagonalMixture": f"""
lazygen: 1
name: DiagonalMixture
family: Normal
features: {FEATURES}
context: {CONTEXT}
mixture: {COMPONENTS}
net: {{hidden: [64, 64]}}
params: {{loc: net, scale: net}}
""",
    "FullMixture": f"""
lazygen: 1
name: FullMixture
family: MultivariateNormal
features: {FEATURES}
context: {CONTEXT}
mixture: {COMPONENTS}
net: {{hidden: [64, 64]}}
params: {{loc: net, scale_tril: net}}
""",
    "LinearNormal": f"""
lazygen: 1
name: LinearNormal
family: Normal
features: {FEATURES}
context: {CONTEXT}
net: {{hidden: []}}
params: {{loc: net, scale: net}}
""",
    "MLPNormal": f"""
lazygen: 1
name: MLPNormal
family: Normal
features: {FEATURES}
context: {CONTEXT}
net: {{hidden: [64, 64]}}
params: {{loc: net, scale: net}}
""",
}


def generate(name: str) -> type:
    r"""Generates a lazygen class from spec text, without writing any file."""

    (spec,) = load_text(SPECS[name], f"<{name}>")
    module = types.ModuleType(spec.module)
    exec(compile(render_module(spec), f"<lazygen: {name}>", "exec"), module.__dict__)
    return getattr(module, spec.name)


class SeedConditionalNormal(nn.Module):
    r"""The hand-written ConditionalNormal of the seed text (zuko's lazy-distribution docs).

    With `hidden`, each of the two networks is an MLP of those widths (ReLU).
    """

    def __init__(self, features: int, context: int, hidden: tuple[int, ...] = ()) -> None:
        super().__init__()

        def net(*tail: nn.Module) -> nn.Sequential:
            layers, width = [], context
            for h in hidden:
                layers.extend((nn.Linear(width, h), nn.ReLU()))
                width = h
            return nn.Sequential(*layers, nn.Linear(width, features), *tail)

        self.mu_net = net()
        self.sigma_net = net(nn.Softplus())

    def forward(self, c: torch.Tensor | None = None) -> Normal:
        if c is None:
            raise ValueError("Context is required")
        return Normal(self.mu_net(c), self.sigma_net(c))


def figures() -> list[dict]:
    r"""The figures: (name, our module, peer module, kind, goal)."""

    gmm = zuko.mixtures.GMM
    kw = dict(components=COMPONENTS, hidden_features=HIDDEN)
    return [
        dict(
            name="diagonal mixture K=8",
            ours=lambda: generate("DiagonalMixture")(),
            peer=lambda: gmm(FEATURES, CONTEXT, covariance_type="diagonal", **kw),
            peer_name="zuko GMM diagonal",
            kind="train",
            goal=0.9,
        ),
        dict(
            name="full-cov mixture K=8",
            ours=lambda: generate("FullMixture")(),
            peer=lambda: gmm(FEATURES, CONTEXT, covariance_type="full", **kw),
            peer_name="zuko GMM full",
            kind="train",
            goal=0.5,
        ),
        dict(
            name="normal, one Linear",
            ours=lambda: generate("LinearNormal")(),
            peer=lambda: SeedConditionalNormal(FEATURES, CONTEXT),
            peer_name="seed ConditionalNormal",
            kind="train",
            goal=1.0,
        ),
        dict(
            name="normal, MLP (64,64)",
            ours=lambda: generate("MLPNormal")(),
            peer=lambda: SeedConditionalNormal(FEATURES, CONTEXT, HIDDEN),
            peer_name="seed, MLP (64,64) per param",
            kind="train",
            goal=0.75,
        ),
        dict(
            name="sample 4096x100 diag mix",
            ours=lambda: generate("DiagonalMixture")(),
            peer=lambda: gmm(FEATURES, CONTEXT, covariance_type="diagonal", **kw),
            peer_name="zuko GMM diagonal",
            kind="sample",
            goal=1.0,
        ),
    ]


def step_fn(module: nn.Module, kind: str, c: torch.Tensor, x: torch.Tensor):
    r"""Returns a function that runs one iteration."""

    if kind == "sample":

        @torch.no_grad()
        def sample() -> None:
            module(c).sample((100,))

        return sample

    def train() -> None:
        module.zero_grad(set_to_none=True)
        log_p = module(c).log_prob(x)
        log_p.sum().backward()

    return train


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(fig: dict, batch: int, device: torch.device, rounds: int, iters: int) -> dict:
    torch.manual_seed(0)
    ours = fig["ours"]().to(device)
    peer = fig["peer"]().to(device)
    c = torch.randn(batch, CONTEXT, device=device)
    x = torch.randn(batch, FEATURES, device=device)

    # Same outputs shape, same kind of thing: a sanity check on the pairing.
    with torch.no_grad():
        assert ours(c).log_prob(x).shape == (batch,)
        lp = peer(c).log_prob(x)
        assert lp.shape in ((batch,), (batch, FEATURES))

    fns = {"ours": step_fn(ours, fig["kind"], c, x), "peer": step_fn(peer, fig["kind"], c, x)}
    for fn in fns.values():  # warm-up
        for _ in range(max(2, iters // 4)):
            fn()
    sync(device)

    times = {"ours": [], "peer": []}
    ratios = []
    for r in range(rounds):
        order = ("ours", "peer") if r % 2 == 0 else ("peer", "ours")
        got = {}
        for side in order:
            fn = fns[side]
            sync(device)
            start = time.perf_counter()
            for _ in range(iters):
                fn()
            sync(device)
            got[side] = (time.perf_counter() - start) / iters
            times[side].append(got[side])
        ratios.append(got["ours"] / got["peer"])

    return dict(
        ours_ms=statistics.median(times["ours"]) * 1e3,
        peer_ms=statistics.median(times["peer"]) * 1e3,
        ratio=statistics.median(ratios),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--quick", action="store_true", help="few short rounds (smoke test)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--batches", type=int, nargs="+", default=[4096, 256])
    args = parser.parse_args(argv)

    if args.device == "cuda" and not torch.cuda.is_available():
        print("CUDA is unavailable: skipping the cuda runtime benchmark.")
        return 0
    if args.quick:
        args.rounds, args.iters, args.batches = 2, 2, [256]

    device = torch.device(args.device)
    torch.set_num_threads(1)
    default_validate = Distribution._validate_args

    print(f"torch {torch.__version__}, zuko {zuko.__version__}, device {device}, ", end="")
    print(f"threads {torch.get_num_threads()}, float32, {args.rounds} rounds x {args.iters} iters")
    print(
        f"validate_args: ours False (generated default); peers {default_validate} "
        "(torch's default, as set by importing zuko)"
    )
    print("iteration: zero_grad + forward(c) + log_prob(x) + backward; sample: sample((100,))")
    print()

    header = ("figure", "batch", "ours ms", "peer ms", "ratio", "goal", "holds?", "peer")
    rows = []
    for fig in figures():
        # Sampling 4096 contexts x 100 samples is ~1 s an iteration on one core: fewer iters.
        if fig["kind"] == "sample":
            plan = [(256 if args.quick else 4096, max(1, args.iters // 10))]
        else:
            plan = [(batch, args.iters) for batch in args.batches]
        for batch, iters in plan:
            m = measure(fig, batch, device, args.rounds, iters)
            holds = "yes" if m["ratio"] <= fig["goal"] else "NO"
            rows.append(
                (
                    fig["name"],
                    str(batch),
                    f"{m['ours_ms']:.3f}",
                    f"{m['peer_ms']:.3f}",
                    f"{m['ratio']:.2f}",
                    f"<= {fig['goal']}",
                    holds,
                    fig["peer_name"],
                )
            )
            print(f"  {fig['name']} @ {batch}: ratio {m['ratio']:.2f}", file=sys.stderr)

    print_table(header, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
