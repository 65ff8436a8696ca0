r"""Spec loading: every bad input located exactly, every valid input resolved."""

from __future__ import annotations

import pytest
import time

from click.testing import CliRunner
from lazygen.cli import main
from lazygen.errors import SpecError
from lazygen.spec import Net, expand_paths, load_paths, load_text

BASE = "name: N\nfamily: Normal\nfeatures: 2\ncontext: 3\n"
NETS = "params: {loc: net, scale: net}\n"
FIXED = "params: {loc: {parameter: 0.0}, scale: {parameter: 1.0}}\n"


def errors(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(SpecError) as info:
        load_text(text, "s.yaml")
    diagnostics = info.value.diagnostics
    assert diagnostics
    assert all(d.path == "s.yaml" for d in diagnostics)
    assert str(info.value) == "\n".join(map(str, diagnostics))
    return [(d.line, d.column, d.message) for d in diagnostics]


def error(text: str) -> tuple[int, int, str]:
    found = errors(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    "text, line, column, part",
    [
        # unknown names, with a suggestion
        (BASE + "featurs: 3\n" + NETS, 5, 1, "unknown key 'featurs' (did you mean 'features'?)"),
        ("name: N\nfamily: Normall\n", 2, 9, "unknown family 'Normall' (did you mean 'Normal'?)"),
        (
            BASE + "net: {activation: Relu}\n" + NETS,
            5,
            19,
            "unknown activation 'Relu' (did you mean 'ReLU'?)",
        ),
        (
            BASE + "net: {hiden: [8]}\n" + NETS,
            5,
            7,
            "unknown key 'hiden' in net (did you mean 'hidden'?)",
        ),
        (
            BASE + "params:\n  loc: net\n  scale: {net: shared, transform: softplsu}\n",
            7,
            35,
            "unknown transform 'softplsu' (did you mean 'softplus'?)",
        ),
        (
            BASE + "params:\n  loc: net\n  scale: {net: shared, trasform: exp}\n",
            7,
            24,
            "unknown key 'trasform' for 'scale' (did you mean 'transform'?)",
        ),
        # types and ranges
        (
            "name: N\nfamily: Normal\nfeatures: true\n" + FIXED,
            3,
            11,
            "features must be an integer, got true",
        ),
        (
            BASE + 'net:\n  hidden: [64, "x"]\n' + NETS,
            6,
            16,
            "a width must be an integer, got 'x'",
        ),
        (BASE + "net:\n  hidden: [-4]\n" + NETS, 6, 12, "a width must be between 1 and"),
        (BASE + "net:\n  hidden: 64\n" + NETS, 6, 11, "hidden must be a list of widths, got 64"),
        ("name: N\nfamily: Normal\nfeatures: 0\n" + FIXED, 3, 11, "features must be between 1"),
        ("name: N\nfamily: Normal\nfeatures: 1.5\n" + FIXED, 3, 11, "features must be an integer"),
        ("name: N\nfamily: Normal\ncontext: -1\n" + FIXED, 3, 10, "context must be between 0"),
        (BASE + "mixture: 1\n" + NETS, 5, 10, "mixture must be between 2"),
        (
            BASE + "params:\n  loc: net\n  scale: {net: shared, min: -1e-3}\n",
            7,
            29,
            "min must be >= 0",
        ),
        (
            BASE + "params:\n  loc: net\n  scale: {net: shared, min: tiny}\n",
            7,
            29,
            "expected a number, got 'tiny'",
        ),
        # names and modules
        ("name: class\nfamily: Normal\n" + FIXED, 1, 7, "name 'class' is not a valid class name"),
        ("name: _N\nfamily: Normal\n" + FIXED, 1, 7, "name '_N' is not a valid class name"),
        ("name: Nörmal\nfamily: Normal\n" + FIXED, 1, 7, "is not a valid class name"),
        ("name: a.b\nfamily: Normal\n" + FIXED, 1, 7, "name 'a.b' is not a valid class name"),
        ("name: 3N\nfamily: Normal\n" + FIXED, 1, 7, "name '3N' is not a valid class name"),
        ("name: Torch\nfamily: Normal\n" + FIXED, 1, 7, "module name 'torch' would shadow"),
        ("name: Normal\nfamily: Normal\n" + FIXED, 1, 7, "class name 'Normal' would shadow"),
        ("name: N\nmodule: a/b\nfamily: Normal\n" + FIXED, 2, 9, "module 'a/b' is not a valid"),
        ("name: N\nmodule: a\\b\nfamily: Normal\n" + FIXED, 2, 9, "is not a valid module name"),
        ("name: N\nmodule: a.b\nfamily: Normal\n" + FIXED, 2, 9, "module 'a.b' is not a valid"),
        ("name: N\nmodule: import\nfamily: Normal\n" + FIXED, 2, 9, "module 'import' is not"),
        ("name: N\nmodule: _n\nfamily: Normal\n" + FIXED, 2, 9, "module '_n' is not a valid"),
        ("name: N\nmodule: möd\nfamily: Normal\n" + FIXED, 2, 9, "is not a valid module name"),
        ("name: N\nmodule: os\nfamily: Normal\n" + FIXED, 2, 9, "module name 'os' would shadow"),
        # YAML itself
        (BASE + "features: 4\n" + NETS, 5, 1, "duplicate key 'features' (first given on line 3)"),
        ("name: N\nfamily: [Normal\n", 3, 1, "invalid YAML: while parsing a flow sequence"),
        ("name: N\n  family: Normal\n", 2, 9, "invalid YAML"),
        ("", 1, 1, "the file holds no spec"),
        ("# only a comment\n", 1, 1, "the file holds no spec"),
        ("- a\n- b\n", 1, 1, "a spec must be a mapping, got a list"),
        ("name: N\nfamily: Normal\n<<: {features: 2}\n" + FIXED, 3, 1, "merge keys"),
        # parameters
        (
            "name: N\nfamily: Normal\nparams: {loc: net, scale: {parameter: 1.0}}\n",
            3,
            15,
            "'loc' comes from net, but the spec is unconditional (context: 0)",
        ),
        (BASE + "params: {loc: net}\n", 5, 1, "Normal needs 'scale': add it to params"),
        (
            "name: N\nfamily: Bernoulli\ncontext: 2\nparams: {probs: net, logits: net}\n",
            4,
            22,
            "'logits' and 'probs' are alternatives: give exactly one of probs, logits",
        ),
        (
            "name: N\nfamily: Bernoulli\ncontext: 2\nparams: {}\n",
            4,
            1,
            "Bernoulli needs exactly one of probs, logits",
        ),
        (
            BASE + "params: {lco: net, scale: net}\n",
            5,
            10,
            "Normal has no argument 'lco' (did you mean 'loc'?)",
        ),
        (
            BASE + "params: {loc: net, scale: {parameter: -1.0}}\n",
            5,
            39,
            "'scale' = -1.0 must be greater than",
        ),
        (
            BASE + "params: {loc: {parameter: [1, 2, 3]}, scale: net}\n",
            5,
            27,
            "'loc' must have shape [2], got [3]",
        ),
        (
            BASE + "params: {loc: {net: shared, parameter: 0.0}, scale: net}\n",
            5,
            29,
            "'loc' has two sources, 'net' and 'parameter'",
        ),
        # the format version and families
        ("lazygen: 2\n" + BASE + NETS, 1, 10, "unsupported format version 2"),
        ("lazygen: true\n" + BASE + NETS, 1, 10, "unsupported format version true"),
        (
            "name: N\nfamily: nosuchpkg.mod:Dist\ncontext: 2\n",
            2,
            9,
            "cannot import 'nosuchpkg.mod' for family 'nosuchpkg.mod:Dist'",
        ),
        (
            "name: N\nfamily: torch.nn:Linear\ncontext: 2\n",
            2,
            9,
            "'torch.nn:Linear' is not a torch.distributions.Distribution subclass",
        ),
        (
            "name: N\nfamily: torch.distributions:Nope\ncontext: 2\n",
            2,
            9,
            "has no class 'Nope'",
        ),
        ("name: N\nfamily: 'no such'\n", 2, 9, "unknown family 'no such'"),
        ("name: N\nfamily: 3\n", 2, 9, "family must be a string, got 3"),
        ("name: N\n" + FIXED, 1, 1, "missing required key 'family'"),
        ("family: Normal\n" + FIXED, 1, 1, "missing required key 'name'"),
    ],
)
def test_bad_input_located(text, line, column, part):
    found = errors(text)
    assert any(d[:2] == (line, column) and part in d[2] for d in found), found


def test_scientific_min_is_a_number():
    (spec,) = load_text(
        BASE + "params:\n  loc: net\n  scale: {net: shared, min: 1e-3}\n", "s.yaml"
    )
    scale = spec.params[1]
    assert scale.min == 0.001
    assert isinstance(scale.min, float)


def test_scientific_parameter_is_a_number():
    (spec,) = load_text(BASE + "params: {loc: net, scale: {parameter: 2e-1}}\n", "s.yaml")
    assert spec.params[1].value == 0.2


def test_python_tags_refused_with_location():
    text = "name: !!python/object/apply:os.system ['echo hi']\nfamily: Normal\n" + FIXED
    found = errors(text)
    assert (1, 7) in [(line, column) for line, column, _ in found]
    (message,) = [m for line, column, m in found if (line, column) == (1, 7)]
    assert "'!!python/object/apply:os.system' refused" in message

    text = BASE + "params: {loc: net, scale: {parameter: !!python/name:os.getcwd ''}}\n"
    line, column, message = error(text)
    assert (line, column) == (5, 39)
    assert "refused" in message


def test_custom_tags_refused():
    line, column, message = error("name: !Foo N\nfamily: Normal\n" + FIXED)
    assert (line, column) == (1, 7)
    assert "unsupported YAML tag '!Foo'" in message


def python_tag_spec(target) -> str:
    return (
        "name: N\nfamily: Normal\n"
        f"doc: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path "
        f"['{target}']]\n"
        f"module: !!python/object/apply:os.system ['touch {target}']\n" + FIXED
    )


def test_python_tags_execute_nothing(tmp_path):
    target = tmp_path / "pwned"
    text = python_tag_spec(target)
    found = errors(text)
    assert [(line, column) for line, column, _ in found] == [(3, 6), (4, 9)]
    assert not target.exists()

    spec = tmp_path / "s.yaml"
    spec.write_text(text)
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 1
    assert f"{spec}:3:6: error: YAML tag" in result.stderr
    assert not target.exists()


def test_alias_bomb_is_fast():
    anchors = ['&a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghi":
        anchors.append(f"&{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    text = (
        "name: N\nfamily: Normal\nfeatures: 2\nparams:\n  loc:\n    parameter:\n"
        + "".join(f"      - {anchor}\n" for anchor in anchors)
        + "  scale: {parameter: 1.0}\n"
    )
    start = time.perf_counter()
    line, column, message = error(text)
    assert time.perf_counter() - start < 20  # an expanded bomb would take minutes
    assert (line, column) == (7, 7)
    assert "alias" in message


def test_every_error_of_a_file():
    text = (
        "name: class\n"  # 1
        "family: Normal\n"  # 2
        "features: 0\n"  # 3
        "context: -1\n"  # 4
        "bogus: 1\n"  # 5
        "net: {hidden: [0]}\n"  # 6
    )
    found = errors(text)
    assert [(line, column) for line, column, _ in found] == [
        (1, 7),
        (3, 11),
        (4, 10),
        (5, 1),
        (6, 16),
    ]


def test_every_error_of_every_document():
    text = "name: A\nfamily: Normal\nfeatures: 0\n" + FIXED + "---\nname: B\nfamily: Nrmal\n"
    found = errors(text)
    assert [(line, column) for line, column, _ in found] == [(3, 11), (7, 9)]


def test_every_error_of_every_file(tmp_path):
    (tmp_path / "a.yaml").write_text("name: A\nfamily: Normall\n")
    (tmp_path / "b.yaml").write_text("name: B\nfamily: Normal\nfeatures: x\n" + FIXED)
    with pytest.raises(SpecError) as info:
        load_paths([tmp_path])
    assert [(d.path, d.line, d.column) for d in info.value.diagnostics] == [
        (str(tmp_path / "a.yaml"), 2, 9),
        (str(tmp_path / "b.yaml"), 3, 11),
    ]


def test_same_module_twice(tmp_path):
    (tmp_path / "a.yaml").write_text("name: A\nmodule: m\nfamily: Normal\n" + FIXED)
    (tmp_path / "b.yaml").write_text("name: B\nmodule: m\nfamily: Normal\n" + FIXED)
    with pytest.raises(SpecError) as info:
        load_paths([tmp_path])
    (diagnostic,) = info.value.diagnostics
    assert "module 'm' is also the module of A" in diagnostic.message


def test_invalid_utf8():
    with pytest.raises(SpecError) as info:
        load_text(b"name: N\nfamily: \xff\n", "s.yaml")
    (d,) = info.value.diagnostics
    assert (d.line, d.column) == (2, 9)
    assert "not valid UTF-8" in d.message


# The command line


def test_cli_reports_every_error(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: N\nfamily: Normal\nfeatures: true\nmixture: 1\n" + FIXED)
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{spec}:3:11: error: features must be an integer, got true",
        f"{spec}:4:10: error: mixture must be between 2 and 1000000, got 1",
    ]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "text, located",
    [
        ("", "1:1: error: the file holds no spec"),
        ("name: [\n", "2:1: error: invalid YAML"),
        ("name: N\nfamily: torch.nn:Linear\n", "2:9: error: 'torch.nn:Linear' is not"),
        ("name: N\nfamily: nosuchpkg:D\n", "2:9: error: cannot import 'nosuchpkg'"),
    ],
)
def test_cli_no_traceback(tmp_path, text, located):
    spec = tmp_path / "s.yaml"
    spec.write_text(text)
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{spec}:{located}")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_missing_file_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.output


def test_cli_valid(tmp_path):
    (tmp_path / "a.yaml").write_text(BASE + NETS)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0
    assert "1 specs valid" in result.stderr


# Valid specs


def test_defaults_filled():
    (spec,) = load_text("name: ConditionalNormal\nfamily: Normal\ncontext: 5\n" + NETS, "s.yaml")
    assert spec.module == "conditional_normal"
    assert spec.features == 1
    assert spec.context == 5
    assert spec.doc == ""
    assert spec.runtime == "lazygen"
    assert spec.independent is True
    assert spec.mixture is None
    assert spec.net == Net(hidden=(64, 64), activation="ReLU")
    assert spec.event_shape == (1,)
    loc, scale = spec.params
    assert (loc.source, loc.transform, loc.net) == ("net", "identity", None)
    assert (scale.source, scale.transform, scale.min) == ("net", "softplus", 1e-5)


def test_snake_case_module():
    (spec,) = load_text("name: MyHTTPNormal2D\nfamily: Normal\n" + FIXED, "s.yaml")
    assert spec.module == "my_http_normal2_d"
    assert spec.net is None  # no parameter uses it


def test_own_net():
    text = BASE + "net: {hidden: [], activation: Tanh}\n"
    text += "params:\n  loc: net\n  scale: {net: {hidden: [8]}}\n"
    (spec,) = load_text(text, "s.yaml")
    assert spec.net == Net(hidden=(), activation="Tanh")
    assert spec.params[1].net == Net(hidden=(8,), activation="Tanh")


@pytest.mark.parametrize(
    "family, extra, params, name, transform",
    [
        ("Normal", "", "{loc: net, scale: net}", "scale", "softplus"),
        ("Bernoulli", "", "{probs: net}", "probs", "sigmoid"),
        ("Bernoulli", "", "{logits: net}", "logits", "identity"),
        ("Categorical", "categories: 4\n", "{probs: net}", "probs", "softmax"),
        ("Dirichlet", "", "{concentration: net}", "concentration", "softplus"),
        (
            "MultivariateNormal",
            "",
            "{loc: net, scale_tril: net}",
            "scale_tril",
            "cholesky",
        ),
        (
            "MultivariateNormal",
            "",
            "{loc: net, covariance_matrix: net}",
            "covariance_matrix",
            "positive_definite",
        ),
    ],
)
def test_auto_transforms(family, extra, params, name, transform):
    text = f"name: N\nfamily: {family}\nfeatures: 3\ncontext: 2\n{extra}params: {params}\n"
    (spec,) = load_text(text, "s.yaml")
    (param,) = [p for p in spec.params if p.name == name]
    assert param.transform == transform


def test_categorical_shapes():
    text = "name: N\nfamily: Categorical\nfeatures: 3\ncategories: 4\ncontext: 2\n"
    (spec,) = load_text(text + "params: {logits: net}\n", "s.yaml")
    assert spec.params[0].size == (3, 4)
    assert spec.event_shape == (3,)


def test_matrix_event():
    text = "name: N\nfamily: LKJCholesky\nfeatures: 3\n"
    text += "params: {dim: {value: 3}, concentration: {parameter: 1.0}}\n"
    (spec,) = load_text(text, "s.yaml")
    assert spec.event_shape == (3, 3)


def test_not_independent():
    (spec,) = load_text("name: N\nfamily: Normal\nfeatures: 2\nindependent: false\n" + FIXED, "s")
    assert spec.event_shape == ()


def test_multiple_documents():
    text = "name: A\nfamily: Normal\n" + FIXED + "---\nname: B\nfamily: Normal\n" + FIXED
    a, b = load_text(text, "s.yaml")
    assert (a.name, a.index, b.name, b.index) == ("A", 0, "B", 1)
    assert a.digest != b.digest


def test_folder_sorted(tmp_path):
    for name in ("b.yaml", "a.yml", "c/d.yaml", "c/a.yaml", "z.txt"):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"name: {path.stem.upper()}{len(name)}\nfamily: Normal\n" + FIXED)
    files = expand_paths([tmp_path])
    assert files == sorted(files)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "a.yml",
        "b.yaml",
        "c/a.yaml",
        "c/d.yaml",
    ]
    specs = load_paths([tmp_path])
    assert [s.path for s in specs] == [str(p) for p in files]


def test_files_keep_given_order(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(f"name: {name.upper()}\nfamily: Normal\n" + FIXED)
    specs = load_paths([tmp_path / "b.yaml", tmp_path / "a.yaml"])
    assert [s.name for s in specs] == ["B", "A"]
