"""Strict typed config: no coercion, unknown keys rejected, file:line: key: message."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from leadforge_core import Generator
from leadforge_core.config import int_field, structure_strict
from leadforge_core.config.layers import override_layer, set_layer
from leadforge_core.config.yamlio import parse_yaml
from leadforge_core.errors import ConfigError
from leadforge_core.plugins import PluginHost
from leadforge_core.splits import SplitConfig


@attrs.define
class Inner:
    n: int = int_field(5, ge=1)
    rate: float = 0.5
    name: str = "x"
    flag: bool = False


@attrs.define
class Outer:
    inner: Inner = attrs.Factory(Inner)
    split: SplitConfig = attrs.Factory(SplitConfig)


@pytest.mark.parametrize(
    ("data", "key", "fragment"),
    [
        ({"inner": {"n": 3.7}}, "inner.n", "expected an integer"),
        ({"inner": {"n": "12"}}, "inner.n", "expected an integer"),
        ({"inner": {"n": True}}, "inner.n", "expected an integer"),
        ({"inner": {"rate": "0.5"}}, "inner.rate", "expected a number"),
        ({"inner": {"name": 3}}, "inner.name", "expected a string"),
        ({"inner": {"flag": "yes"}}, "inner.flag", "expected true or false"),
        ({"inner": {"bogus": 1}}, "inner.bogus", "unknown key"),
        ({"nope": 1}, "nope", "unknown key"),
        ({"inner": 4}, "inner", "expected a mapping"),
        ({"inner": {"n": 0}}, "inner.n", "must be >= 1"),
        ({"split": {"strategy": "sideways"}}, "split.strategy", "expected one of temporal"),
        ({"split": {"train": 0.5}}, "split.train", "sum to 1"),
    ],
)
def test_strict_structure(data: dict, key: str, fragment: str) -> None:
    _, problems = structure_strict(data, Outer)
    assert problems, data
    assert problems[0][0] == key
    assert fragment in problems[0][1]


def test_valid_structure() -> None:
    obj, problems = structure_strict(
        {"inner": {"n": 7, "rate": 1}, "split": {"strategy": "grouped"}}, Outer
    )
    assert problems == []
    assert obj is not None and obj.inner.n == 7 and obj.inner.rate == 1.0
    assert obj.split.strategy == "grouped"


def test_malformed_yaml_reports_line() -> None:
    with pytest.raises(ConfigError, match=r"^x\.yaml:4: malformed YAML: .* started at line 3"):
        parse_yaml("a: 1\nb: 2\nc: [1, 2\nd: 4\n", "x.yaml")


def test_override_unknown_top_level_key_has_line(tmp_path: Path) -> None:
    f = tmp_path / "o.yaml"
    f.write_text("seed: 1\n\ncolour: blue\n")
    layer = override_layer(f)
    assert [p.split(" (")[0] for p in layer.problems] == [f"{f}:3: colour: unknown key"]
    assert layer.data == {"seed": 1}  # the rest of the file is still checked


def test_set_layer_parses_yaml_scalars() -> None:
    layer = set_layer(["population.n_customers=50", "params.snapshot_day=21", "motif=steady"])
    assert layer.data == {
        "params": {"population": {"n_customers": 50}, "snapshot_day": 21, "motif": "steady"}
    }
    with pytest.raises(ConfigError) as info:
        set_layer(["novalue", "snapshot_day=3", "bad key=1", "x=[1"])
    lines = str(info.value).splitlines()
    assert lines[:2] == [
        "--set 'novalue': expected key=value",
        "--set 'bad key=1': invalid key 'bad key'",
    ]
    assert len(lines) == 3 and lines[2].startswith("--set x:1: malformed YAML")


# -- precedence, through the real pipeline with the toy scheme ---------------------------------


def _cfg(host: PluginHost, **kw: object) -> dict:
    return Generator.from_recipe("toy_shop_v1", host=host, **kw).config  # type: ignore[arg-type]


def test_scheme_defaults_then_recipe(toy_host: PluginHost) -> None:
    cfg = _cfg(toy_host)
    assert cfg["seed"] == 7  # recipe defaults
    assert cfg["params"]["population"]["n_customers"] == 300  # recipe over scheme default 200
    assert cfg["params"]["snapshot_day"] == 30  # scheme default
    assert cfg["difficulty"] == "intermediate"
    assert cfg["params"]["population"]["n_stores"] == 6  # derived by complete_params


def test_override_file_beats_recipe(toy_host: PluginHost, tmp_path: Path) -> None:
    f = tmp_path / "o.yaml"
    f.write_text(
        "seed: 11\nmode: research_instructor\ndifficulty: advanced\n"
        "params:\n  population:\n    n_customers: 40\n"
    )
    cfg = _cfg(toy_host, override=f)
    assert (cfg["seed"], cfg["mode"], cfg["difficulty"]) == (11, "research_instructor", "advanced")
    assert cfg["params"]["population"]["n_customers"] == 40


def test_flags_beat_override_file(toy_host: PluginHost, tmp_path: Path) -> None:
    f = tmp_path / "o.yaml"
    f.write_text(
        "seed: 11\nmode: research_instructor\ndifficulty: advanced\nparams:\n  population:\n    n_customers: 40\n"
    )
    cfg = _cfg(
        toy_host,
        override=f,
        seed=2,
        exposure_mode="student_public",
        difficulty="intro",
        n_customers=77,
    )
    assert (cfg["seed"], cfg["mode"], cfg["difficulty"]) == (2, "student_public", "intro")
    assert cfg["params"]["population"]["n_customers"] == 77


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (
            "params:\n  population:\n    n_customers: 3.7\n",
            r"o\.yaml:3: params\.population\.n_customers: expected an integer",
        ),
        ("seed: '12'\n", r"o\.yaml:1: seed: expected an integer"),
        ("params:\n  snapshot_day: 0\n", r"o\.yaml:2: params\.snapshot_day: must be >= 1"),
        (
            "params:\n  population:\n    n_customer: 3\n",
            r"o\.yaml:3: params\.population\.n_customer: unknown key",
        ),
        ("mode: public\n", r"o\.yaml:1: mode: expected one of student_public, research_instructor"),
        ("difficulty: brutal\n", r"o\.yaml:1: difficulty: unknown difficulty 'brutal'"),
        ("seed: -4\n", r"o\.yaml:1: seed: must be >= 0"),
    ],
)
def test_override_errors_point_at_line(
    toy_host: PluginHost, tmp_path: Path, content: str, pattern: str
) -> None:
    f = tmp_path / "o.yaml"
    f.write_text(content)
    with pytest.raises(ConfigError, match=pattern):
        _cfg(toy_host, override=f)


def test_unknown_api_keyword_is_an_error(toy_host: PluginHost) -> None:
    with pytest.raises(ConfigError, match="unknown argument 'n_leeds'"):
        _cfg(toy_host, n_leeds=5)


def test_scheme_cross_field_check(toy_host: PluginHost) -> None:
    with pytest.raises(ConfigError, match="n_stores"):
        Generator.from_recipe(
            "toy_shop_v1", host=toy_host, population={"n_customers": 10, "n_stores": 20}
        )


def test_unknown_motif_lists_valid(toy_host: PluginHost) -> None:
    with pytest.raises(ConfigError, match="steady, bursty"):
        _cfg(toy_host, motif="chaotic")


def test_api_sets_sit_below_keywords(toy_host: PluginHost) -> None:
    cfg = _cfg(toy_host, sets=["snapshot_day=21", "population.n_customers=90"], n_customers=80)
    assert cfg["params"]["snapshot_day"] == 21
    assert cfg["params"]["population"]["n_customers"] == 80


# -- bounded YAML loading ----------------------------------------------------------------------


def billion_laughs() -> str:
    """The classic document: nine levels of ten aliases each, 10**9 strings once expanded."""
    lines = ['lol: &lol "lol"', "lol1: &lol1 [" + ", ".join(["*lol"] * 10) + "]"]
    for i in range(2, 10):
        lines.append(f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("as_recipe", [False, True])
def test_billion_laughs_fails_fast_with_one_line(
    as_recipe: bool, toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    from leadforge_core.cli.app import run

    bomb = tmp_path / "lol.yaml"
    bomb.write_text(billion_laughs())
    assert billion_laughs().count("*") == 90  # under the alias-count bound: expansion catches it
    args = (
        ["--recipe", str(bomb)]
        if as_recipe
        else ["--recipe", "toy_shop_v1", "--override", str(bomb)]
    )
    started = time.perf_counter()
    code = run(["generate", *args, "--out", str(tmp_path / "out"), "-q"])
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith(f"error: {bomb}:2: YAML uses too many aliases"), err
    assert elapsed < 5.0  # well under a second on an idle machine
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n",
            "x.yaml:2: YAML uses too many aliases (more than 100",
        ),
        (
            "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
            "x.yaml:1: YAML is nested more than 64 levels deep",
        ),
        (
            "a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 80)),
            "nested more than 64 levels",
        ),
        ("- " * 70 + "x\n", "nested more than 64 levels"),
        (
            "".join(" " * (2 * i) + f"k{i}:\n" + " " * (2 * i) + "-\n" for i in range(33)),
            "nested more than 64 levels",
        ),
        ("a: &a {b: *a}\n", "refers to itself"),
        ("a: " + "x" * (1 << 20) + "\n", "x.yaml: YAML file is larger than 1 MiB"),
    ],
)
def test_yaml_bounds(text: str, fragment: str) -> None:
    import time

    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, "x.yaml")
    assert fragment in str(info.value)
    assert time.perf_counter() - started < 5.0


def test_modest_aliases_still_load() -> None:
    data, lines = parse_yaml("base: &b {n: 1, m: [1, 2]}\nx: *b\ny: [*b, *b]\n", "x.yaml")
    assert data["x"] == {"n": 1, "m": [1, 2]} and data["y"] == [data["x"], data["x"]]
    assert data["y"][0] is not data["x"]  # expanded into plain, independent values
    assert lines[("x",)] == 2


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    from leadforge_core.config.yamlio import load_yaml_file

    big = tmp_path / "big.yaml"
    big.write_text("a: 1\n" + "#" * (1 << 20))
    with pytest.raises(ConfigError, match=r"big\.yaml: YAML file is larger than 1 MiB"):
        load_yaml_file(big)


# -- every problem of a file, each on its own line ---------------------------------------------


def test_override_file_reports_every_error_with_its_line(
    toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadforge_core.cli.app import run

    f = tmp_path / "o.yaml"
    f.write_text(
        "seed: -3\n"
        "colour: blue\n"
        "difficulty: brutal\n"
        "params:\n"
        "  snapshot_day: 0\n"
        "  population:\n"
        "    n_customers: 3.7\n"
        "    n_kustomers: 4\n"
    )
    code = run(["generate", "-r", "toy_shop_v1", "--override", str(f), "-o", str(tmp_path / "x")])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err == [
        f"error: {f}:1: seed: must be >= 0, got -3",
        f"error: {f}:2: colour: unknown key (expected seed, mode, difficulty, params)",
        f"error: {f}:3: difficulty: unknown difficulty 'brutal' for recipe toy_shop_v1 (choose "
        "from intro, intermediate, advanced)",
        f"error: {f}:5: params.snapshot_day: must be >= 1, got 0",
        f"error: {f}:7: params.population.n_customers: expected an integer, got number 3.7",
        f"error: {f}:8: params.population.n_kustomers: unknown key",
    ]
    assert not (tmp_path / "x").exists()


def test_recipe_file_reports_every_error_with_its_line(
    toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadforge_core.cli.app import run

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "extends: toy_shop_v1\nid: r_v1\ntitle: 5\nworld:\n  noise: {intro: fast}\n"
        "defaults:\n  sead: 1\n  params:\n    snapshot_day: 99\nflavour: mint\n"
    )
    assert run(["generate", "-r", str(recipe), "-o", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {recipe}:3: title: expected a string, got number 5",
        f"error: {recipe}:5: world.noise.intro: expected a number, got string 'fast'",
        f"error: {recipe}:7: defaults.sead: unknown key (expected seed, mode, difficulty, params)",
        f"error: {recipe}:9: defaults.params.snapshot_day: must be <= 60, got 99",
        f"error: {recipe}:10: flavour: unknown key",
    ]


def test_more_than_twenty_errors_are_capped(toy_host: PluginHost, tmp_path: Path) -> None:
    f = tmp_path / "o.yaml"
    f.write_text("".join(f"bad_{i:02d}: 1\n" for i in range(25)))
    with pytest.raises(ConfigError) as info:
        _cfg(toy_host, override=f)
    lines = str(info.value).splitlines()
    assert len(lines) == 21 and len(info.value.problems) == 25
    assert lines[0].startswith(f"{f}:1: bad_00: unknown key")
    assert lines[19].startswith(f"{f}:20: bad_19: unknown key")
    assert lines[20] == "and 5 more"


# -- errors a scheme raises in complete_params name the layer and key that set the value -------


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        (
            "override",
            "{o}:4: params.population.n_stores: 50 stores exceed population.n_customers (10) (set by the override file)",
        ),
        (
            "set",
            "--set: params.population.n_stores: 50 stores exceed population.n_customers (10) (set by --set)",
        ),
        (
            "api",
            "argument: params.population.n_stores: 50 stores exceed population.n_customers (10) (set by an API argument)",
        ),
        (
            "recipe",
            "{r}:7: defaults.params.population.n_stores: 50 stores exceed population.n_customers (10) (set by the recipe)",
        ),
    ],
)
def test_complete_params_error_names_layer_and_key(
    how: str, expected: str, toy_host: PluginHost, tmp_path: Path
) -> None:
    o = tmp_path / "o.yaml"
    o.write_text("params:\n  population:\n    n_customers: 10\n    n_stores: 50\n")
    r = tmp_path / "r.yaml"
    r.write_text(
        "extends: toy_shop_v1\nid: r_v1\ndefaults:\n  params:\n    population:\n"
        "      n_customers: 10\n      n_stores: 50\n"
    )
    kwargs: dict[str, object] = {
        "override": {"override": o},
        "set": {"sets": ["population.n_customers=10", "population.n_stores=50"]},
        "api": {"population": {"n_customers": 10, "n_stores": 50}},
        "recipe": {},
    }[how]
    recipe = str(r) if how == "recipe" else "toy_shop_v1"
    with pytest.raises(ConfigError) as info:
        Generator.from_recipe(recipe, host=toy_host, **kwargs)  # type: ignore[arg-type]
    assert str(info.value) == expected.format(o=o, r=r)
    assert info.value.key == "population.n_stores"


def test_complete_params_error_on_a_default_and_on_a_flag(
    toy_host: PluginHost, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from toy_scheme.scheme import ToyShop

    from leadforge_core.cli.app import run
    from leadforge_core.plugins import PluginRecord

    class Picky(ToyShop):
        name = "picky"

        def complete_params(self, params: object, recipe: object, difficulty: str) -> object:
            if difficulty == "advanced":
                raise ConfigError("is not offered by this shop", key="difficulty")
            raise ConfigError("30 is a bad snapshot day", key="snapshot_day")

    import types

    from leadforge_core import hookimpl

    mod = types.ModuleType("picky")
    mod.leadforge_register_schemes = hookimpl(lambda: [Picky])  # type: ignore[attr-defined]
    toy_host.register(mod, PluginRecord("picky", "leadforge-picky", "1"))
    recipe = tmp_path / "p.yaml"
    recipe.write_text("extends: toy_shop_v1\nid: p_v1\nscheme: picky\n")
    base = ["generate", "-r", str(recipe), "-o", str(tmp_path / "o")]
    assert run(base) == 2
    assert capsys.readouterr().err == (
        "error: params.snapshot_day: 30 is a bad snapshot day (the scheme's default value; "
        "no layer sets it)\n"
    )
    assert run([*base, "--difficulty", "advanced"]) == 2
    assert capsys.readouterr().err == (
        "error: --difficulty: difficulty: is not offered by this shop (set by a command-line flag)\n"
    )


def test_structure_reports_type_and_bound_errors_together() -> None:
    _, problems = structure_strict(
        {"inner": {"n": 0, "rate": "x", "bogus": 1}, "split": {"train": 0.5}}, Outer
    )
    assert sorted(problems) == [
        ("inner.bogus", "unknown key"),
        ("inner.n", "must be >= 1, got 0"),
        ("inner.rate", "expected a number, got string 'x'"),
        ("split.train", "split ratios must sum to 1 (train+valid+test = 0.8)"),
    ]
    obj, problems = structure_strict({"inner": {"n": 0}}, Outer)
    assert obj is not None and problems == [("inner.n", "must be >= 1, got 0")]
