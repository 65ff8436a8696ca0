"""Property tests: random valid specs build, import and behave; random invalid text fails
cleanly (only SpecError, located, never a traceback).

The default ("ci") hypothesis profile keeps this file fast; ``--hypothesis-profile long``
runs thousands of examples and also runs each generated pytest file.
"""

from __future__ import annotations

import importlib.util
import itertools
import pytest
import subprocess
import sys
import torch
import yaml

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from lazygen.cli import main
from lazygen.errors import SpecError
from lazygen.render import render
from lazygen.spec import load_text
from pathlib import Path


def hypothesis_profile() -> str:
    """The active hypothesis profile (``ci`` unless ``--hypothesis-profile`` says else)."""

    return settings._current_profile


SPECS = Path(__file__).parent.parent / "specs"
EXAMPLES = {p.name: p.read_text(encoding="utf-8") for p in sorted(SPECS.glob("*.yaml"))}

REAL, POSITIVE, UNIT = 0.25, 1.5, 0.3
#: family -> (argument -> valid constant), event rank, scalar family
FAMILIES = {
    "Normal": ({"loc": REAL, "scale": POSITIVE}, 0),
    "StudentT": ({"df": POSITIVE, "loc": REAL, "scale": POSITIVE}, 0),
    "Gamma": ({"concentration": POSITIVE, "rate": POSITIVE}, 0),
    "Beta": ({"concentration1": POSITIVE, "concentration0": POSITIVE}, 0),
    "Bernoulli": ({"logits": REAL}, 0),
    "Categorical": ({"logits": REAL}, 0),
    "Poisson": ({"rate": POSITIVE}, 0),
    "Laplace": ({"loc": REAL, "scale": POSITIVE}, 0),
    "MultivariateNormal": ({"loc": REAL, "scale_tril": POSITIVE}, 1),
    "Dirichlet": ({"concentration": POSITIVE}, 1),
}
_counter = itertools.count()


@st.composite
def valid_specs(draw):
    family = draw(st.sampled_from(sorted(FAMILIES)))
    args, rank = FAMILIES[family]
    features = draw(st.integers(2 if family == "Dirichlet" else 1, 4))
    context = draw(st.integers(0, 4))
    sources = ["parameter", "buffer"] + (["net"] if context else [])
    spec = {
        "name": f"Random{family}",
        "module": f"prop_{next(_counter)}",
        "family": family,
        "features": features,
        "context": context,
        "runtime": draw(st.sampled_from(["lazygen", "zuko"])),
    }
    if family == "Categorical":
        spec["categories"] = draw(st.integers(2, 4))
    if rank == 0:
        mixture = draw(st.sampled_from([None, 2, 3]))
        if mixture:
            spec["mixture"] = mixture
        elif draw(st.booleans()):
            spec["independent"] = draw(st.booleans())
    if context:
        spec["net"] = {"hidden": draw(st.lists(st.integers(1, 8), max_size=2))}
    params = {}
    for arg, value in args.items():
        source = draw(st.sampled_from(sources))
        params[arg] = "net" if source == "net" else {source: value}
    spec["params"] = params
    return spec


def import_file(path: Path, name: str):
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


@given(data=valid_specs())
@settings(max_examples=40 if hypothesis_profile() == "ci" else settings.default.max_examples)
def test_random_valid_specs_build_and_work(data, tmp_path_factory):
    text = yaml.safe_dump(data, sort_keys=False)
    (spec,) = load_text(text, "random.yaml")
    out = tmp_path_factory.mktemp("prop")
    files = render(spec, str(out))
    module_path = out / f"{spec.module}.py"
    module_path.write_text(files.module, encoding="utf-8")
    (out / f"test_{spec.module}.py").write_text(files.tests, encoding="utf-8")
    compile(files.tests, "tests", "exec")
    module = import_file(module_path, spec.module)

    torch.manual_seed(0)
    lazy = getattr(module, spec.name)()
    batch = (2, 3)
    c = torch.randn(*batch, spec.context) if spec.context else None
    d = lazy(c)
    B = batch if spec.context else ()
    event = spec.event_shape
    if spec.family.event_rank == 0 and not spec.independent:
        assert d.batch_shape == (*B, spec.features), text
    else:
        assert d.batch_shape == B, text
    assert d.event_shape == event, text
    x = d.sample((5,))
    assert x.shape == (5, *d.batch_shape, *d.event_shape)
    lp = d.log_prob(x)
    assert lp.shape == (5, *d.batch_shape)
    assert torch.isfinite(lp).all(), text
    if spec.context:
        with pytest.raises(ValueError):
            lazy(None)
        with pytest.raises(ValueError, match=str(spec.context)):
            lazy(torch.randn(2, spec.context + 1))

    if hypothesis_profile() == "long":
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
            capture_output=True,
            text=True,
            cwd=out,
            timeout=600,
        )
        assert proc.returncode == 0, text + proc.stdout[-3000:]


def generated_class(text: str, folder: Path) -> type:
    r"""Builds the one spec of `text` into `folder` and returns its class."""

    (spec,) = load_text(text, "spec.yaml")
    path = folder / f"{spec.module}.py"
    path.write_text(render(spec, str(folder)).module, encoding="utf-8")
    return getattr(import_file(path, spec.module), spec.name)


@pytest.mark.parametrize("context", [0, 2])
def test_mixture_of_logits_family(context, tmp_path):
    text = (
        f"name: BernoulliMixture\nmodule: bern_mix_{context}\nfamily: Bernoulli\n"
        f"features: 2\ncontext: {context}\nmixture: 2\nparams:\n"
        + ("  logits: net\n" if context else "  logits: {parameter: 0.25}\n")
    )
    lazy = generated_class(text, tmp_path)()
    c = torch.randn(3, context) if context else None
    d = lazy(c)
    assert d.batch_shape == ((3,) if context else ())
    assert d.event_shape == (2,)
    assert torch.isfinite(d.log_prob(d.sample())).all()


def test_mixture_of_buffers_only(tmp_path):
    text = (
        "name: BufferMixture\nmodule: buffer_mix\nfamily: Normal\nfeatures: 2\nmixture: 2\n"
        "params:\n  loc: {buffer: 0.0}\n  scale: {buffer: 1.0}\n"
    )
    d = generated_class(text, tmp_path)()()
    assert d.batch_shape == () and d.event_shape == (2,)


def test_conditional_mixture_without_net_component(tmp_path):
    text = (
        "name: WeightsOnly\nmodule: weights_only\nfamily: Normal\nfeatures: 2\ncontext: 3\n"
        "mixture: 2\nparams:\n  loc: {parameter: 0.0}\n  scale: {parameter: 1.0}\n"
    )
    d = generated_class(text, tmp_path)()(torch.randn(4, 3))
    assert d.batch_shape == (4,) and d.event_shape == (2,)


def test_generated_tests_of_dependent_spec(tmp_path):
    text = (
        "name: Dependent\nmodule: dependent\nfamily: Normal\nfeatures: 2\n"
        "independent: false\nparams:\n  loc: {parameter: 0.0}\n  scale: {parameter: 1.0}\n"
    )
    (spec,) = load_text(text, "dep.yaml")
    files = render(spec, str(tmp_path))
    (tmp_path / "dependent.py").write_text(files.module, encoding="utf-8")
    (tmp_path / "test_dependent.py").write_text(files.tests, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "shapes"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_conditional_dependent_without_net(tmp_path):
    text = (
        "name: DepNoNet\nmodule: dep_no_net\nfamily: Gamma\nfeatures: 2\ncontext: 1\n"
        "independent: false\nparams:\n  concentration: {parameter: 1.5}\n"
        "  rate: {parameter: 1.5}\n"
    )
    d = generated_class(text, tmp_path)()(torch.randn(4, 1))
    assert d.batch_shape == (4, 2) and d.event_shape == ()


def mutate(text: str, ops: list[tuple[int, int, int, str]]) -> str:
    for op, i, j, ch in ops:
        if not text:
            text = ch
            continue
        i %= len(text)
        lines = text.splitlines(keepends=True)
        k = i % len(lines)
        if op == 0:
            text = text[:i] + text[i + 1 :]
        elif op == 1:
            text = text[:i] + ch + text[i:]
        elif op == 2:
            text = text[:i] + ch + text[i + 1 :]
        elif op == 3:
            text = "".join(lines[:k] + lines[k + 1 :])
        elif op == 4:
            text = "".join(lines[: k + 1] + lines[k:])
        elif op == 5:
            m = j % len(lines)
            lines[k], lines[m] = lines[m], lines[k]
            text = "".join(lines)
        else:
            text = text[:i] + text[i:].replace(text[i], ch, 1)
    return text


CHARS = st.sampled_from(list(" \n\t:-[]{},'\"#&*!|>%@`0123456789.eE_abcxyzNT\\\x00\u00e9\u0430"))


def check_load(text: str | bytes) -> None:
    try:
        load_text(text, "mutated.yaml")
    except SpecError as e:
        assert e.diagnostics
        for d in e.diagnostics:
            assert d.line >= 1 and d.column >= 1 and d.message, d
            assert d.path == "mutated.yaml"


@given(
    name=st.sampled_from(sorted(EXAMPLES)),
    ops=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 10**6), st.integers(0, 10**6), CHARS),
        min_size=1,
        max_size=6,
    ),
)
@settings(max_examples=300 if hypothesis_profile() == "ci" else settings.default.max_examples)
def test_mutated_specs_fail_cleanly(name, ops):
    check_load(mutate(EXAMPLES[name], ops))


@given(st.binary(max_size=300))
@settings(max_examples=200 if hypothesis_profile() == "ci" else settings.default.max_examples)
def test_random_bytes_fail_cleanly(data):
    check_load(data)


YAML_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["net", "Normal", "ReLU", "zeros", "ones", "softplus"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "family",
                    "features",
                    "context",
                    "params",
                    "net",
                    "loc",
                    "scale",
                    "hidden",
                    "mixture",
                    "parameter",
                    "buffer",
                    "value",
                    "transform",
                    "min",
                    "shape",
                    "categories",
                    "independent",
                    "runtime",
                    "module",
                    "doc",
                    "lazygen",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@given(YAML_VALUES)
@settings(max_examples=300 if hypothesis_profile() == "ci" else settings.default.max_examples)
def test_random_yaml_fails_cleanly(value):
    check_load(yaml.safe_dump(value, allow_unicode=True))


@given(
    name=st.sampled_from(sorted(EXAMPLES)),
    ops=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 10**6), st.integers(0, 10**6), CHARS),
        min_size=1,
        max_size=4,
    ),
)
@settings(max_examples=10 if hypothesis_profile() == "ci" else 200)
def test_mutated_specs_through_the_cli(name, ops, tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / name
    path.write_text(mutate(EXAMPLES[name], ops), encoding="utf-8", errors="surrogatepass")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        for line in result.output.splitlines():
            if line.strip():
                assert line.startswith(f"{path}:") and ": error: " in line, line
