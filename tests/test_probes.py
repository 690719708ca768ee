"""Standard checks and probes of ``leadforge_core.validation.probes`` on planted problems."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadforge_core import Generator
from leadforge_core.plugins import PluginHost
from leadforge_core.validation import probes
from leadforge_core.validation.view import BundleView

TASK = "reorders_within_60_days"


@pytest.fixture
def public(toy_host: PluginHost, tmp_path: Path) -> Path:
    out = tmp_path / "public"
    Generator.from_recipe(
        "toy_shop_v1", host=toy_host, n_customers=500, exposure_mode="student_public"
    ).generate(timestamp=0).save(out)
    return out


def _edit(path: Path, rel: str, fn: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    file = path / rel
    fn(pl.read_parquet(file)).write_parquet(file)


WINDOWS = probes.event_windows(
    "toy_windows",
    entity_table="customers",
    key="customer_id",
    start="signup_at",
    events={"orders": "ordered_at"},
    end=probes.days_after_start(120),
    anchor=probes.days_after_start(probes.scheme_detail("snapshot_day")),
)


def test_event_windows_pass_clean_and_catch_late_and_early_events(public: Path) -> None:
    assert list(WINDOWS(BundleView(public))) == []
    _edit(
        public,
        "tables/orders.parquet",
        lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) < 4)
            .then(pl.col("ordered_at") + pl.duration(days=45))
            .when(pl.int_range(pl.len()) < 6)
            .then(pl.col("ordered_at") - pl.duration(days=400))
            .otherwise(pl.col("ordered_at"))
            .alias("ordered_at")
        ),
    )
    found = [(f.check, f.message, f.location) for f in WINDOWS(BundleView(public))]
    assert ("toy_windows", "2 rows outside their customer's window", "orders.ordered_at") in found
    late = [f for f in found if f[0] == "snapshot_safety"]
    assert len(late) == 1 and late[0][1].endswith("public rows after their customer's anchor")
    assert int(late[0][1].split()[0]) >= 4


def test_entity_positions_fast_path_equals_join(public: Path) -> None:
    view = BundleView(public)
    fast = probes.entity_positions(view, "customers", "customer_id", "orders")
    orders = view.table("orders").join(
        view.table("customers").select("customer_id").with_row_index("p"),
        on="customer_id",
        how="left",
        maintain_order="left",
    )
    assert np.array_equal(fast, orders["p"].cast(pl.Int64).to_numpy())
    # Non-canonical ids take the join path and give the same answer.
    for rel in ("tables/customers.parquet", "tables/orders.parquet"):
        _edit(
            public, rel, lambda f: f.with_columns(pl.col("customer_id").str.replace("cust_", "c"))
        )
    slow = probes.entity_positions(BundleView(public), "customers", "customer_id", "orders")
    assert np.array_equal(fast, slow)


def _joined_positions(view: BundleView) -> np.ndarray:
    orders = view.table("orders").join(
        view.table("customers").select("customer_id").with_row_index("p"),
        on="customer_id",
        how="left",
        maintain_order="left",
    )
    return orders["p"].cast(pl.Int64).fill_null(-1).to_numpy()


@pytest.mark.parametrize(
    ("edit", "numbered"),
    [
        # gaps and another order: still numbered ids, located through their numbers
        (lambda f: f.filter(pl.int_range(pl.len()) % 3 != 1).reverse(), True),
        # a repeated id: the lookup is refused, the join answers
        (lambda f: pl.concat([f, f.head(1)]), False),
        # ids of two widths: the join answers
        (
            lambda f: f.with_columns(
                pl.when(pl.int_range(pl.len()) == 5)
                .then(pl.lit("cust_1"))
                .otherwise(pl.col("customer_id"))
                .alias("customer_id")
            ),
            False,
        ),
    ],
    ids=["gaps-and-order", "repeated", "mixed-widths"],
)
def test_entity_positions_any_numbered_layout_equals_join(
    public: Path, edit: Callable[[pl.DataFrame], pl.DataFrame], numbered: bool
) -> None:
    _edit(public, "tables/customers.parquet", edit)
    # Odd order values: signs, spaces, other prefixes, nulls, numbers beyond every id.
    odd = ["+00001", "cust_+0001", "cust_ 0001", "cust_00001 ", "x_000001", None, "cust_999999"]
    _edit(
        public,
        "tables/orders.parquet",
        lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) < len(odd))
            .then(pl.Series(odd + [None] * (f.height - len(odd)), dtype=pl.String))
            .otherwise(pl.col("customer_id"))
            .alias("customer_id")
        ),
    )
    view = BundleView(public)
    got = probes.entity_positions(view, "customers", "customer_id", "orders")
    expected = _joined_positions(view)
    assert np.array_equal(got, expected)
    assert (expected >= 0).sum() > 100 and (got[: len(odd)] == -1).all()
    lookups = view.__dict__["_entity_id_numbers"]
    assert (lookups[("customers", "customer_id")] is not None) is numbered


def test_prevalence_band(public: Path) -> None:
    view = BundleView(public)
    rows = probes.task_rows(view, TASK, [TASK])
    p = float(rows[TASK].mean())  # type: ignore[arg-type]
    inside = probes.prevalence_band(band=(p - 0.01, p + 0.01), min_rows=100)
    outside = probes.prevalence_band(band=(p + 0.2, p + 0.3), tolerance=0.05, min_rows=100)
    assert list(inside(view)) == []
    (finding,) = list(outside(view))
    assert finding.check == "prevalence_band" and f"prevalence {p:.3f} outside" in finding.message
    too_few = probes.prevalence_band(band=(p + 0.2, p + 0.3), min_rows=rows.height + 1)
    assert list(too_few(view)) == []
    # Default band: scheme_details.prevalence_band, absent in the toy scheme → skipped.
    assert list(probes.prevalence_band(min_rows=100)(view)) == []
    # The default needs 2000 rows: small worlds are too noisy to judge.
    assert list(probes.prevalence_band(band=(p + 0.2, p + 0.3))(view)) == []


JOINS = (
    probes.Join("customers", "customer_id"),
    probes.count_rows("orders", "customer_id"),
    probes.Join("orders", "customer_id", (pl.col("amount").max().alias("max_amount"),)),
)


def test_join_reconstruction_finds_a_planted_public_column(
    toy_host: PluginHost, public: Path, tmp_path: Path
) -> None:
    check = probes.join_reconstruction(task=TASK, label=TASK, keys=("customer_id",), joins=JOINS)
    assert list(check(BundleView(public))) == []
    frame = probes.probe_frame(BundleView(public), TASK, TASK, ("customer_id",), JOINS)
    assert {"region", "status", "n_orders", "max_amount"} <= set(frame.columns)
    assert frame["n_orders"].null_count() == 0
    labels = probes.task_rows(BundleView(public), TASK, ["customer_id", TASK])
    _edit(
        public,
        "tables/customers.parquet",
        lambda f: f.join(
            labels.select("customer_id", pl.col(TASK).alias("crm_flag")), on="customer_id"
        ),
    )
    found = list(check(BundleView(public)))
    assert [f.check for f in found] == ["join_reconstruction"]
    assert "public rule crm_flag == True reveals the label" in found[0].message
    # Instructor bundles are not probed by default (their tables show the future).
    inst = tmp_path / "inst"
    shutil.copytree(public, inst)
    manifest = (inst / "manifest.json").read_text()
    (inst / "manifest.json").write_text(
        manifest.replace('"student_public"', '"research_instructor"')
    )
    assert list(check(BundleView(inst))) == []


def test_rank_statistics() -> None:
    y = np.array([False, False, True, True])
    assert probes.roc_auc(np.array([1.0, 2.0, 3.0, 4.0]), y) == 1.0
    assert probes.roc_auc(np.array([4.0, 3.0, 2.0, 1.0]), y) == 0.0
    assert probes.roc_auc(np.array([1.0, 1.0, 1.0, 1.0]), y) == 0.5
    assert probes.roc_auc(np.array([1.0, 2.0]), np.array([True, True])) is None
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert probes.spearman(a, a**3) == pytest.approx(1.0)
    assert probes.spearman(a, -a) == pytest.approx(-1.0)
    assert probes.spearman(a, np.ones(5)) is None


def _frame(n: int = 4000, seed: int = 0) -> pl.DataFrame:
    g = np.random.default_rng(seed)
    y = g.random(n) < 0.2
    return pl.DataFrame(
        {
            "y": y,
            "noise": g.normal(size=n),
            "weak": g.normal(size=n) + 0.5 * y,
            "copy_num": y.astype(np.int64) * 10 + g.integers(0, 3, n),
            "copy_cat": np.where(y, "yes", "no"),
            "tell": np.where(y & (g.random(n) < 0.3), 100.0, g.normal(size=n)),
            "value": g.lognormal(size=n),
        }
    )


def test_leaking_features_binary_numeric_categorical_and_rules() -> None:
    frame = _frame()
    leaks = {
        leak.feature: leak.reason
        for leak in probes.leaking_features(
            frame, "y", "binary", ["noise", "weak", "copy_num", "copy_cat", "tell"]
        )
    }
    assert set(leaks) == {"copy_num", "copy_cat", "tell"}
    assert leaks["copy_num"].startswith("ROC AUC 1.0000")
    assert leaks["copy_cat"].startswith("rule copy_cat == 'yes' has precision 1.000")
    # ``tell`` ranks the label only partly (AUC < 0.99) but a threshold decides 30 % of positives.
    assert leaks["tell"].startswith("rule tell >= ")


def test_leaking_features_regression() -> None:
    frame = _frame().with_columns(
        log_value=pl.col("value").log(),
        noisy=pl.col("value") + pl.col("noise").abs() * 3,
    )
    leaks = probes.leaking_features(frame, "value", "regression", ["log_value", "noisy", "noise"])
    assert [(leak.feature, leak.reason) for leak in leaks] == [("log_value", "Spearman 1.0000")]


def test_revealing_rules_need_confidence_not_luck() -> None:
    lucky = {"rule": "x == 1", "column": "x", "precision": 1.0, "recall": 0.2, "support": 25}
    sure = {**lucky, "support": 400}
    rare = {**sure, "recall": 0.01}
    assert probes.revealing_rules([lucky, rare]) == []
    (hit,) = probes.revealing_rules([sure])
    assert hit["low"] > 0.99


def test_spearman_leak_needs_confidence_on_small_splits() -> None:
    rng = np.random.default_rng(3)
    n = 75
    target = rng.gamma(2.0, 100.0, n)
    # A strong, honest predictor measured on few rows, and an exact copy of the target.
    frame = pl.DataFrame(
        {
            "ltv": target,
            "mrr": target * np.exp(np.random.default_rng(4).normal(0, 0.08, n)),
            "copy": target,
        }
    )
    from leadforge_core.validation.probes import spearman

    rho = spearman(frame["mrr"].to_numpy(), target)
    assert rho is not None and rho >= probes.RANK_LIMIT  # high by itself ...
    assert probes.spearman_lower_bound(rho, n) < probes.RANK_LIMIT  # ... but not sure
    leaks = probes.leaking_features(frame, "ltv", "regression", ["mrr", "copy"])
    assert [leak.feature for leak in leaks] == ["copy"]
    big = 20_000
    t = rng.gamma(2.0, 100.0, big)
    near = pl.DataFrame({"ltv": t, "near": t * np.exp(rng.normal(0, 0.01, big))})
    assert [x.feature for x in probes.leaking_features(near, "ltv", "regression", ["near"])] == [
        "near"
    ]


def test_event_windows_anchor_at_a_column(public: Path) -> None:
    """``at_column``: each entity's anchor read from its own row; a null anchor judges nothing."""
    check = probes.event_windows(
        "toy_windows",
        entity_table="customers",
        key="customer_id",
        start="signup_at",
        events={"orders": "ordered_at"},
        end=probes.days_after_start(120),
        anchor=probes.at_column("anchor_at"),
    )
    at_snapshot = pl.col("signup_at") + pl.duration(days=30)
    _edit(public, "tables/customers.parquet", lambda f: f.with_columns(anchor_at=at_snapshot))
    assert list(check(BundleView(public))) == []
    # Anchors ten days earlier: public orders of those last ten days are now late...
    _edit(
        public,
        "tables/customers.parquet",
        lambda f: f.with_columns(anchor_at=pl.col("anchor_at") - pl.duration(days=10)),
    )
    late = [f for f in check(BundleView(public)) if f.check == "snapshot_safety"]
    assert len(late) == 1 and int(late[0].message.split()[0]) > 0
    # ...unless the anchor is unknown.
    _edit(
        public,
        "tables/customers.parquet",
        lambda f: f.with_columns(anchor_at=pl.lit(None, pl.Datetime("us"))),
    )
    assert list(check(BundleView(public))) == []
    with pytest.raises(ValueError, match="needs the entity table"):
        probes.at_column("anchor_at").resolve(BundleView(public), np.zeros(1, dtype=np.int64))


@given(
    st.lists(
        st.one_of(st.none(), st.integers(-3, 3), st.sampled_from([-0.0, 0.0, 0.5, 1e9])),
        min_size=0,
        max_size=80,
    ),
    st.lists(st.booleans(), min_size=80, max_size=80),
    st.sampled_from(["float", "int", "datetime"]),
)
@settings(max_examples=300, deadline=None)
def test_rules_counted_from_one_sort_match_the_masks(
    values: list[float | int | None], labels: list[bool], kind: str
) -> None:
    """Thresholds at polars' quantiles and every rule's counts, from one sort, are what one
    mask per rule gives (ties, nulls, -0.0, integers and timestamps included)."""
    if kind == "float":
        s = pl.Series("x", [None if v is None else float(v) for v in values], dtype=pl.Float64)
    else:
        ints = [None if v is None else int(v) % 1000 for v in values]
        s = pl.Series("x", ints, dtype=pl.Int64)
        if kind == "datetime":
            s = s.cast(pl.Datetime("us"))
    y = pl.Series("y", labels[: s.len()], dtype=pl.Boolean)
    masks = [(text, int(m.sum()), int((m & y).sum())) for text, m in probes._rules(s)]
    assert probes._rule_counts(s, y) == masks


def test_leaking_features_same_with_one_sort_or_masks(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    y = rng.random(4000) < 0.3
    frame = pl.DataFrame(
        {
            "y": y,
            "copy": y.astype(np.float64) + rng.normal(0, 1e-3, y.size),  # AUC 1
            "rule": np.where(y & (rng.random(y.size) < 0.3), 10.0, rng.random(y.size)),
            "plain": rng.normal(size=y.size),
            "gappy": pl.Series(np.where(rng.random(y.size) < 0.2, None, rng.normal(size=y.size))),
        }
    )
    features = ["copy", "rule", "plain", "gappy"]
    fast = probes.leaking_features(frame, "y", "binary", features)
    monkeypatch.setattr(probes._Sorted, "of", classmethod(lambda cls, num, y: None))
    slow = probes.leaking_features(frame, "y", "binary", features)
    assert fast == slow and [x.feature for x in fast] == ["copy", "rule"]


def test_public_bundle_with_instructor_only_columns_fails_validation(
    public: Path, toy_host: PluginHost
) -> None:
    """A public bundle may not document (nor carry) per-row hidden truth."""
    from leadforge_core.validation.runner import validate_bundle

    assert validate_bundle(public, toy_host).ok
    dictionary = public / "feature_dictionary.csv"
    frame = pl.read_csv(dictionary)
    row = frame.head(1).with_columns(
        feature_name=pl.lit("true_latent"),
        feature_group=pl.lit("hidden_truth"),
        available_in_public_mode=pl.lit(False),
    )
    pl.concat([frame, row], how="vertical_relaxed").write_csv(dictionary)
    messages = [f.message for f in validate_bundle(public, toy_host).findings]
    assert "public bundle documents instructor-only columns: true_latent" in messages
