"""Contracts the core enforces: planted violations in a throwaway scheme must fail, loudly and
naming the scheme, at publication; tampered bundles fail ``leadforge validate``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import polars as pl
import pytest
from toy_scheme.scheme import ToyShop

from leadforge_core import Generator, hookimpl, plugins
from leadforge_core.bundle.model import DType, FeatureInfo, Rendered, TaskOutput
from leadforge_core.cli.app import run
from leadforge_core.errors import PluginCrash, SchemeContractError
from leadforge_core.plugins import PluginHost, PluginRecord
from leadforge_core.scheme import RunContext
from leadforge_core.validation.contracts import (
    public_subset_problems,
    schema_problems,
    task_details_problems,
)
from leadforge_core.validation.runner import validate_bundle

RECIPE = (Path(__file__).parent / "toy_scheme" / "recipes" / "toy_shop_v1.yaml").read_text()
TASK = "reorders_within_60_days"

Planter = Callable[[Rendered], Rendered]


def _broken_scheme(render_fix: Planter | None = None, cut_fix: Planter | None = None) -> type:
    class BrokenShop(ToyShop):
        name = "broken_shop"
        title = "Toy shop with a planted contract violation"

        def render(self, world: Any, sim: Any, ctx: RunContext) -> Rendered:
            rendered = super().render(world, sim, ctx)
            return render_fix(rendered) if render_fix else rendered

        def snapshot_cut(self, rendered: Rendered, ctx: RunContext) -> dict[str, pl.DataFrame]:
            tables = super().snapshot_cut(rendered, ctx)
            if cut_fix is None:
                return tables
            return cut_fix(Rendered(tables=tables, tasks={}, features=[])).tables

    return BrokenShop


@pytest.fixture
def make_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[type], PluginHost]]:
    """Register a throwaway scheme (and a recipe ``broken_shop_v1`` for it) as the only plugin."""
    monkeypatch.delenv("LEADFORGE_RECIPE_PATH", raising=False)
    recipe = tmp_path / "broken_shop_v1.yaml"
    recipe.write_text(
        RECIPE.replace("id: toy_shop_v1", "id: broken_shop_v1").replace(
            "scheme: toy_shop", "scheme: broken_shop"
        )
    )

    def make(scheme: type) -> PluginHost:
        class Plugin:
            @hookimpl
            def leadforge_register_schemes(self) -> list[type]:
                return [scheme]

            @hookimpl
            def leadforge_register_recipes(self) -> list[Path]:
                return [recipe]

        host = PluginHost(warn=lambda _: None, strict=True)
        host.register(Plugin(), PluginRecord("broken", "leadforge-broken", "0.1"))
        plugins.set_host(host)
        return host

    yield make
    plugins.set_host(None)


def _generate(host: PluginHost, mode: str = "student_public") -> Any:
    return Generator.from_recipe(
        "broken_shop_v1", host=host, exposure_mode=mode, n_customers=400
    ).generate(timestamp=0)


def _change_region(r: Rendered) -> Rendered:
    customers = r.tables["customers"].with_columns(
        pl.when(pl.int_range(pl.len()) < 3)
        .then(pl.lit("nowhere"))
        .otherwise(pl.col("region").cast(pl.String))
        .cast(pl.Categorical)
        .alias("region")
    )
    return Rendered(tables={**r.tables, "customers": customers}, tasks={}, features=[])


def _add_order(r: Rendered) -> Rendered:
    orders = r.tables["orders"]
    extra = orders.head(1).with_columns(order_id=pl.lit("ord_999999"))
    return Rendered(
        tables={**r.tables, "orders": pl.concat([orders, extra])}, tasks={}, features=[]
    )


def test_cut_changing_a_non_as_of_column_is_a_scheme_bug(make_host: Any) -> None:
    host = make_host(_broken_scheme(cut_fix=_change_region))
    with pytest.raises(SchemeContractError) as err:
        _generate(host)
    message = str(err.value)
    assert "scheme broken_shop" in message and "public ⊆ instructor" in message
    assert "customers: snapshot_cut changed values of region (3 rows)" in message
    assert "of plugin 'broken' (distribution leadforge-broken 0.1)" in message
    assert message.endswith("this is a bug in the scheme, not in the input")
    assert isinstance(err.value, PluginCrash) and err.value.exit_code == 3
    _generate(host, "research_instructor")  # no cut, no violation


def test_cut_changing_an_as_of_column_is_allowed(make_host: Any) -> None:
    def flip_status(r: Rendered) -> Rendered:
        customers = r.tables["customers"].with_columns(
            pl.lit("lapsed").cast(pl.Categorical).alias("status")
        )
        return Rendered(tables={**r.tables, "customers": customers}, tasks={}, features=[])

    bundle = _generate(make_host(_broken_scheme(cut_fix=flip_status)))
    assert set(bundle.tables["customers"]["status"].cast(pl.String)) == {"lapsed"}


def test_added_public_row_is_a_scheme_bug(make_host: Any) -> None:
    with pytest.raises(
        SchemeContractError, match=r"orders: snapshot_cut added 1 rows .*ord_999999"
    ):
        _generate(make_host(_broken_scheme(cut_fix=_add_order)))


def test_cli_reports_a_scheme_bug_on_one_line_and_writes_nothing(
    make_host: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_host(_broken_scheme(cut_fix=_add_order))
    out = tmp_path / "out"
    args = ["generate", "--recipe", "broken_shop_v1", "--mode", "student_public"]
    code = run([*args, "--out", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 3
    assert len(err.strip().splitlines()) == 1 and "scheme broken_shop" in err
    assert "Traceback" not in err and not out.exists()


def test_wrong_integer_width_is_a_scheme_bug(make_host: Any) -> None:
    def int32(r: Rendered) -> Rendered:
        customers = r.tables["customers"].with_columns(pl.col("lifetime_orders").cast(pl.Int32))
        return Rendered(
            tables={**r.tables, "customers": customers}, tasks=r.tasks, features=r.features
        )

    host = make_host(_broken_scheme(render_fix=int32))
    with pytest.raises(
        SchemeContractError,
        match=r"declared schema.*customers.lifetime_orders is Int32, declared int64",
    ):
        _generate(host, "research_instructor")


def test_wrongly_shaped_details_are_a_scheme_bug(make_host: Any) -> None:
    def flatten(r: Rendered) -> Rendered:
        task = r.tasks[TASK]
        details = {k: v for k, v in task.details.items() if k != "split"}
        details.update(task.details["split"])
        return Rendered(
            tables=r.tables,
            tasks={TASK: TaskOutput(task.spec, task.splits, details)},
            features=r.features,
        )

    host = make_host(_broken_scheme(render_fix=flatten))
    with pytest.raises(
        SchemeContractError, match=rf"task details.*task '{TASK}' details lacks 'split'"
    ):
        _generate(host, "research_instructor")


def test_label_copy_as_numeric_feature_fails_validation(make_host: Any, tmp_path: Path) -> None:
    info = FeatureInfo(
        "loyalty_points", "behaviour", "int64", "customer", "points", "orders", "signup..anchor"
    )
    host = make_host(_broken_scheme(render_fix=_label_copy(pl.Int64, info)))
    for mode in ("student_public", "research_instructor"):
        path = _generate(host, mode).save(tmp_path / mode)
        report = validate_bundle(path, host)
        leaks = [f for f in report.findings if f.check == "leakage"]
        assert [f.location for f in leaks] == [f"tasks/{TASK}"], report.findings
        assert (
            "'loyalty_points' reveals reorders_within_60_days in train, valid, test "
            "(ROC AUC 1.0000)" in leaks[0].message
        )


def _label_copy(dtype: type[pl.DataType], info: FeatureInfo) -> Planter:
    """Plant a column ``info.feature_name``: the label cast to ``dtype``, documented as
    ``info``, in every split of the task."""

    def plant(r: Rendered) -> Rendered:
        task = r.tasks[TASK]
        splits = {
            s: f.with_columns(pl.col(TASK).cast(dtype).alias(info.feature_name))
            for s, f in task.splits.items()
        }
        return attrs.evolve(
            r,
            tasks={TASK: TaskOutput(task.spec, splits, task.details)},
            features=[*r.features, info],
        )

    return plant


def _truth_planter(public: bool) -> Planter:
    """Plant a per-row truth column that reveals the label (a true probability may)."""
    info = FeatureInfo(
        "true_reorder_chance", "hidden_truth", "float64", "customer", "truth", "sim", "-",
        available_in_public_mode=public,
    )  # fmt: skip
    return _label_copy(pl.Float64, info)


def test_hidden_truth_is_exempt_from_the_leakage_probe_for_instructors_only(
    make_host: Any, tmp_path: Path
) -> None:
    host = make_host(_broken_scheme(render_fix=_truth_planter(public=False)))
    for mode in ("student_public", "research_instructor"):
        report = validate_bundle(_generate(host, mode).save(tmp_path / mode), host)
        assert "leakage" in report.checks_run and report.ok, report.findings
    # truth a scheme forgot to withhold reaches students: there it is judged like any feature
    host = make_host(_broken_scheme(render_fix=_truth_planter(public=True)))
    path = _generate(host, "student_public").save(tmp_path / "leaky")
    leaks = [f.message for f in validate_bundle(path, host).findings if f.check == "leakage"]
    assert len(leaks) == 1 and "'true_reorder_chance' reveals" in leaks[0], leaks


# --------------------------------------------------------------- tampered bundles


@pytest.fixture
def bundle(toy_host: PluginHost, tmp_path: Path) -> Path:
    out = tmp_path / "b"
    Generator.from_recipe(
        "toy_shop_v1", host=toy_host, n_customers=400, exposure_mode="research_instructor"
    ).generate(timestamp=0).save(out)
    return out


def _findings(path: Path, host: PluginHost, check: str) -> list[str]:
    return [f.message for f in validate_bundle(path, host).findings if f.check == check]


def test_validate_rejects_narrow_integers_and_string_categories(
    bundle: Path, toy_host: PluginHost
) -> None:
    file = bundle / "tables/customers.parquet"
    pl.read_parquet(file).with_columns(
        pl.col("lifetime_orders").cast(pl.Int32), pl.col("region").cast(pl.String)
    ).write_parquet(file)
    assert _findings(bundle, toy_host, "schema") == [
        "region is String, declared category",
        "lifetime_orders is Int32, declared int64",
    ]


def test_validate_rejects_a_task_manifest_without_split(bundle: Path, toy_host: PluginHost) -> None:
    file = bundle / f"tasks/{TASK}/task_manifest.json"
    tm = json.loads(file.read_text())
    tm["split"] = {"ratios": tm["split"]["ratios"]}
    del tm["leakage_policy"]
    file.write_text(json.dumps(tm))
    assert _findings(bundle, toy_host, "tasks") == [
        "task manifest lacks 'leakage_policy'",
        "task manifest lacks 'split.strategy'",
    ]


def test_validate_reports_a_label_copy_in_a_tampered_split(
    bundle: Path, toy_host: PluginHost
) -> None:
    file = bundle / f"tasks/{TASK}/train.parquet"
    train = pl.read_parquet(file)
    train.with_columns(
        (pl.col(TASK).cast(pl.Float64) * 3.5 + 1).alias("spend_before")
    ).write_parquet(file)
    messages = _findings(bundle, toy_host, "leakage")
    assert len(messages) == 1
    assert "'spend_before' reveals reorders_within_60_days in train (ROC AUC 1.0000)" in messages[0]


# --------------------------------------------------------------- the functions themselves


def test_task_details_problems_name_each_key() -> None:
    good = {
        "snapshot_rule": "x",
        "target_semantics": "y",
        "leakage_policy": "z",
        "split": {"strategy": "random", "ratios": {"train": 0.7, "valid": 0.15, "test": 0.15}},
    }
    assert task_details_problems(good) == []
    assert task_details_problems({**good, "splits": {}, "horizon_days": "90"}) == [
        "sets 'splits', which the core writes",
        "'horizon_days' must be an integer, not str",
    ]
    bad_split = {**good, "split": {"strategy": "sideways", "ratios": [0.7, 0.3]}}
    assert task_details_problems(bad_split) == [
        "'split.strategy' must be one of temporal, grouped, random",
        "'split.ratios' must be an object with train, valid and test",
    ]
    assert task_details_problems({**good, "snapshot_rule": 3}) == [
        "'snapshot_rule' must be a string, not int"
    ]


def test_subset_problems_without_as_of_columns_and_exact_types() -> None:
    from leadforge_core.bundle.model import ColumnSpec, TableSpec

    spec = TableSpec(
        "t",
        "",
        (ColumnSpec("id", DType.STRING), ColumnSpec("v", DType.INT), ColumnSpec("s", DType.STRING)),
        primary_key="id",
    )
    inst = pl.DataFrame({"id": ["a", "b", "c"], "v": [1, 2, 3], "s": ["x", "y", "z"]})
    specs = {"t": spec}
    assert public_subset_problems(specs, {"t": inst}, {"t": inst.head(2)}, {}) == []
    changed = inst.with_columns(s=pl.lit("q"))
    assert public_subset_problems(specs, {"t": inst}, {"t": changed}, {"t": ("s",)}) == []
    assert public_subset_problems(specs, {"t": inst}, {"t": changed}, {}) == [
        "t: snapshot_cut changed values of s (3 rows), which are not declared as-of columns"
    ]
    retyped = inst.with_columns(pl.col("v").cast(pl.Int32))
    assert public_subset_problems(specs, {"t": inst}, {"t": retyped}, {}) == [
        "t: snapshot_cut changed the type of v (not declared as-of columns)"
    ]
    unkeyed = TableSpec("t", "", spec.columns)
    doubled = pl.concat([inst, inst.head(1)])
    assert public_subset_problems({"t": unkeyed}, {"t": inst}, {"t": doubled}, {}) == [
        "t: snapshot_cut returned 1 rows not in the instructor table (compared on every "
        "column but the as-of ones)"
    ]
    assert schema_problems(specs, {"t": inst.with_columns(pl.col("v").cast(pl.Float64))}) == [
        "t.v is Float64, declared int64"
    ]
    assert schema_problems(specs, {"t": inst.drop("s")}, {"t": ("s",)}) == []


def test_dtype_accepts_exactly() -> None:
    assert DType.INT.accepts(pl.Int64()) and not DType.INT.accepts(pl.Int32())
    assert DType.FLOAT.accepts(pl.Float64()) and not DType.FLOAT.accepts(pl.Float32())
    assert DType.CATEGORY.accepts(pl.Categorical()) and DType.CATEGORY.accepts(pl.Enum(["a"]))
    assert not DType.CATEGORY.accepts(pl.String())
    assert DType.STRING.accepts(pl.String()) and not DType.STRING.accepts(pl.Categorical())
    assert DType.DATETIME.accepts(pl.Datetime("us"))
    assert not DType.DATETIME.accepts(pl.Datetime("ns"))
    assert not DType.DATETIME.accepts(pl.Datetime("us", "UTC"))


@pytest.mark.parametrize("numbered", [True, False], ids=["numbered-keys", "other-keys"])
def test_subset_problems_are_the_same_whatever_the_key_layout(numbered: bool) -> None:
    from leadforge_core.bundle.model import ColumnSpec, TableSpec
    from leadforge_core.ids import make_ids

    spec = TableSpec(
        "t",
        "",
        (
            ColumnSpec("id", DType.STRING),
            ColumnSpec("v", DType.FLOAT),
            ColumnSpec("s", DType.STRING),
        ),
        primary_key="id",
    )
    ids = make_ids("row", 8) if numbered else pl.Series([f"r{i}x" for i in range(8)])
    inst = pl.DataFrame(
        {
            "id": ids,
            "v": [1.0, float("nan"), None, -0.0, 5.0, 6.0, 7.0, 8.0],
            "s": list("abcdefgh"),
        }
    )
    specs = {"t": spec}
    # Any subset in any order, NaN and null kept, -0.0 against 0.0: no problem.
    kept = inst[[6, 1, 2, 3]].with_columns(pl.col("v").fill_nan(float("nan")))
    assert public_subset_problems(specs, {"t": inst}, {"t": kept}, {}) == []
    assert (
        public_subset_problems(
            specs, {"t": inst}, {"t": kept.with_columns(v=pl.col("v").abs())}, {}
        )
        == []
    )
    changed = kept.with_columns(
        v=pl.when(pl.col("s") == "c").then(3.0).otherwise(pl.col("v")),
        s=pl.when(pl.col("s") == "g").then(pl.lit("z")).otherwise(pl.col("s")),
    )
    foreign = pl.DataFrame({"id": ["row_000099", "zz"], "v": [1.0, 2.0], "s": ["a", "b"]})
    assert public_subset_problems(specs, {"t": inst}, {"t": pl.concat([changed, foreign])}, {}) == [
        "t: snapshot_cut added 2 rows whose id is not in the instructor table "
        "(e.g. row_000099, zz)",
        "t: snapshot_cut changed values of v (1 rows), s (1 rows), which are not declared "
        "as-of columns",
    ]
