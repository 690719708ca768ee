"""The toy shop scheme."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import numpy as np
import polars as pl

from leadforge_core import (
    CardSection,
    ColumnSpec,
    DType,
    ExposurePolicy,
    FeatureInfo,
    ForeignKey,
    Rendered,
    RunContext,
    Scheme,
    SizeFlag,
    TableSpec,
    TaskOutput,
    TaskSpec,
    TaskType,
    asof,
)
from leadforge_core.config.fields import int_field
from leadforge_core.errors import ConfigError
from leadforge_core.ids import make_ids
from leadforge_core.progress import phase
from leadforge_core.rng import blocked_draw
from leadforge_core.splits import SplitConfig, assign_splits
from leadforge_core.validation.findings import Finding
from leadforge_core.validation.view import BundleReadError, BundleView

START = dt.datetime(2025, 1, 1)
HORIZON_DAYS = 120


@attrs.define
class Population:
    n_customers: int = int_field(200, ge=1, le=10_000_000, help="customers")
    n_stores: int | None = int_field(None, ge=1, help="stores (default: customers / 50)")


@attrs.define
class ToyParams:
    population: Population = attrs.Factory(Population)
    snapshot_day: int = int_field(30, ge=1, le=60, help="days after signup")
    reorder_window: int = int_field(60, ge=7, le=90, help="days after the snapshot (task name)")
    motif: str | None = None
    split: SplitConfig = attrs.Factory(SplitConfig)


@attrs.define
class ToyWorld:
    shop_name: str
    regions: dict[str, float]
    segments: list[str]
    noise: dict[str, float]


def task_spec(window: int) -> TaskSpec:
    """The toy task; its name follows the ``reorder_window`` parameter."""
    return TaskSpec(
        f"reorders_within_{window}_days",
        TaskType.BINARY,
        (f"reorders_within_{window}_days",),
        "customer",
        f"Will the customer order again within {window} days after the snapshot?",
    )


class ToyShop(Scheme):
    name = "toy_shop"
    title = "Toy shop (test scheme)"
    params_model = ToyParams
    recipe_model = ToyWorld
    size_flags = (SizeFlag("n_customers", "population.n_customers", "number of customers"),)
    motifs = ("steady", "bursty")
    exposure = ExposurePolicy(
        omit_tables=("loyalty",),
        redact_columns={"customers": ("lifetime_orders",)},
        as_of_columns={"customers": ("status",)},
    )

    def table_specs(self) -> list[TableSpec]:
        return [
            TableSpec(
                "customers",
                "One row per customer.",
                (
                    ColumnSpec("customer_id", DType.STRING, "id", nullable=False),
                    ColumnSpec("signup_at", DType.DATETIME, "signup", nullable=False),
                    ColumnSpec("region", DType.CATEGORY, "region"),
                    ColumnSpec("status", DType.CATEGORY, "active or lapsed"),
                    ColumnSpec("lifetime_orders", DType.INT, "orders over the horizon"),
                ),
                primary_key="customer_id",
            ),
            TableSpec(
                "orders",
                "One row per order.",
                (
                    ColumnSpec("order_id", DType.STRING, "id", nullable=False),
                    ColumnSpec("customer_id", DType.STRING, "buyer", nullable=False),
                    ColumnSpec("ordered_at", DType.DATETIME, "when", nullable=False),
                    ColumnSpec("amount", DType.FLOAT, "value"),
                ),
                primary_key="order_id",
                foreign_keys=(ForeignKey("customer_id", "customers", "customer_id"),),
            ),
            TableSpec(
                "loyalty",
                "Hidden loyalty scores.",
                (
                    ColumnSpec("customer_id", DType.STRING, "id", nullable=False),
                    ColumnSpec("loyalty", DType.FLOAT, "latent loyalty"),
                ),
                primary_key="customer_id",
                foreign_keys=(ForeignKey("customer_id", "customers", "customer_id"),),
            ),
        ]

    def task_specs(self, params: ToyParams) -> list[TaskSpec]:
        return [task_spec(params.reorder_window)]

    def complete_params(self, params: Any, recipe: Any, difficulty: str) -> Any:
        pop = params.population
        if pop.n_stores is not None and pop.n_stores > pop.n_customers:
            raise ConfigError(
                f"{pop.n_stores} stores exceed population.n_customers ({pop.n_customers})",
                key="population.n_stores",
            )
        stores = pop.n_stores or max(1, pop.n_customers // 50)
        return attrs.evolve(params, population=attrs.evolve(pop, n_stores=stores))

    def build_world(self, ctx: RunContext) -> dict[str, Any]:
        n = ctx.params.population.n_customers
        world: ToyWorld = ctx.recipe.world
        regions = list(world.regions)
        weights = np.array([world.regions[r] for r in regions])
        loyalty = blocked_draw(
            ctx.streams, "toy.loyalty", n, lambda g, k: g.normal(size=k), block_size=128
        )
        region = blocked_draw(
            ctx.streams,
            "toy.region",
            n,
            lambda g, k: g.choice(len(regions), size=k, p=weights / weights.sum()),
            block_size=128,
        )
        signup = blocked_draw(
            ctx.streams, "toy.signup", n, lambda g, k: g.integers(0, 60, size=k), block_size=128
        )
        motif = ctx.params.motif or (
            "steady" if ctx.streams.generator("toy.motif").random() < 0.5 else "bursty"
        )
        return {
            "loyalty": loyalty,
            "region": np.array(regions)[region],
            "signup": signup,
            "motif": motif,
        }

    def simulate(self, world: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        n = len(world["loyalty"])
        noise = ctx.recipe.world.noise[ctx.difficulty]
        rate = 0.02 * np.exp(world["loyalty"] + (0.5 if world["motif"] == "bursty" else 0.0))
        days = np.zeros((0,), dtype=np.int64)
        who = np.zeros((0,), dtype=np.int64)
        with phase(ctx.progress, "simulation", total=HORIZON_DAYS, unit="days") as p:
            for day in range(HORIZON_DAYS):
                g = ctx.streams.generator("toy.orders", day)
                active = world["signup"] <= day
                hit = active & (g.random(n) < rate * np.exp(noise * g.normal(size=n)))
                idx = np.flatnonzero(hit)
                who = np.concatenate([who, idx])
                days = np.concatenate([days, np.full(idx.size, day)])
                p.advance()
        amount = ctx.streams.generator("toy.amount").lognormal(3.0, 0.5, size=who.size)
        return {"who": who, "day": days, "amount": amount}

    def render(self, world: dict[str, Any], sim: dict[str, Any], ctx: RunContext) -> Rendered:
        n = len(world["loyalty"])
        spec = task_spec(ctx.params.reorder_window)
        target = spec.name
        ids = make_ids("cust", n)
        signup_at = pl.lit(START) + pl.duration(days=pl.Series(world["signup"]))
        customers = pl.DataFrame(
            {"customer_id": ids, "region": world["region"], "signup_day": world["signup"]}
        ).with_columns(signup_at=signup_at.cast(pl.Datetime("us")))
        orders = (
            pl.DataFrame(
                {
                    "order_id": make_ids("ord", len(sim["who"])),
                    "idx": sim["who"],
                    "day": sim["day"],
                    "amount": sim["amount"],
                }
            )
            .with_columns(
                customer_id=ids.gather(pl.Series(sim["who"], dtype=pl.UInt32))
                if len(sim["who"])
                else pl.lit(None, pl.String)
            )
            .with_columns(
                ordered_at=(pl.lit(START) + pl.duration(days=pl.col("day"), hours=12)).cast(
                    pl.Datetime("us")
                )
            )
        )
        counts = orders.group_by("customer_id").agg(pl.len().alias("lifetime_orders"))
        customers = (
            customers.join(counts, on="customer_id", how="left", maintain_order="left")
            .with_columns(pl.col("lifetime_orders").fill_null(0).cast(pl.Int64))
            .with_columns(
                status=pl.when(pl.col("lifetime_orders") > 0)
                .then(pl.lit("active"))
                .otherwise(pl.lit("lapsed"))
            )
        )
        anchor = customers.select(
            "customer_id", anchor=pl.col("signup_at") + pl.duration(days=ctx.params.snapshot_day)
        )
        anchors = asof.Anchors(anchor, "customer_id", "anchor")
        before = (
            asof.as_of(orders, anchors, "ordered_at")
            .group_by("customer_id")
            .agg(orders_before=asof.count().cast(pl.Int64), spend_before=asof.total("amount"))
            .collect()
        )
        # The label looks past the anchor on purpose.
        after = (
            asof.with_anchors(orders, anchors)
            .filter(
                (pl.col("ordered_at") > pl.col(asof.ANCHOR))
                & (
                    pl.col("ordered_at")
                    <= pl.col(asof.ANCHOR) + pl.duration(days=ctx.params.reorder_window)
                )
            )
            .group_by("customer_id")
            .agg(pl.len().alias("n_after"))
            .collect()
        )
        task = (
            customers.join(anchor, on="customer_id", maintain_order="left")
            .join(before, on="customer_id", how="left", maintain_order="left")
            .join(after, on="customer_id", how="left", maintain_order="left")
            .with_columns(
                row_id=make_ids("row", n),
                snapshot_time=pl.col("anchor"),
                orders_before=pl.col("orders_before").fill_null(0),
                spend_before=pl.col("spend_before").fill_null(0.0),
                total_orders_trap=pl.col("lifetime_orders"),
                **{target: pl.col("n_after").fill_null(0) > 0},
            )
            .select(
                "row_id",
                "customer_id",
                "snapshot_time",
                "region",
                "orders_before",
                "spend_before",
                "total_orders_trap",
                target,
            )
        )
        split, details = assign_splits(
            task,
            ctx.params.split,
            ctx.streams.generator("toy.split"),
            time_col="snapshot_time",
            group_col="customer_id",
            label_col=target,
        )
        splits = {s: task.filter(split == s) for s in ("train", "valid", "test")}
        features = [
            FeatureInfo("row_id", "identifier", "string", "customer", "row id", "-", "-"),
            FeatureInfo(
                "customer_id", "identifier", "string", "customer", "customer", "customers", "-"
            ),
            FeatureInfo(
                "snapshot_time", "identifier", "datetime", "customer", "anchor", "customers", "-"
            ),
            FeatureInfo(
                "region", "profile", "category", "customer", "region", "customers.region", "static"
            ),
            FeatureInfo(
                "orders_before",
                "behaviour",
                "int64",
                "customer",
                "orders before anchor",
                "orders",
                "signup..anchor",
            ),
            FeatureInfo(
                "spend_before",
                "behaviour",
                "float64",
                "customer",
                "spend before anchor",
                "orders",
                "signup..anchor",
            ),
            FeatureInfo(
                "total_orders_trap",
                "trap",
                "int64",
                "customer",
                "orders over the whole horizon (leaks)",
                "orders",
                "full horizon",
                leakage_risk=True,
                available_in_public_mode=True,
            ),
            FeatureInfo(
                target,
                "target",
                "bool",
                "customer",
                "label",
                "orders",
                f"anchor..anchor+{ctx.params.reorder_window}d",
            ),
        ]
        loyalty = pl.DataFrame({"customer_id": ids, "loyalty": world["loyalty"]})
        return Rendered(
            tables={
                "customers": customers.select(
                    "customer_id", "signup_at", "region", "status", "lifetime_orders"
                ).with_columns(pl.col("region", "status").cast(pl.Categorical)),
                "orders": orders.select("order_id", "customer_id", "ordered_at", "amount"),
                "loyalty": loyalty,
            },
            tasks={
                target: TaskOutput(
                    spec,
                    splits,
                    {
                        "snapshot_rule": f"signup + {ctx.params.snapshot_day} days",
                        "target_semantics": "true when the customer orders within 60 days",
                        "leakage_policy": "features use orders up to the anchor, except the trap",
                        "split": details,
                    },
                )
            },
            features=features,
            truth={
                "world_spec.json": {"motif": world["motif"], "shop": ctx.recipe.world.shop_name},
                "graph.graphml": "<graphml/>\n",
            },
            public_summary={"customers": n},
            card_sections=[
                CardSection("Story", f"{ctx.recipe.world.shop_name} sells to {n} customers."),
                CardSection("Truth", f"motif {world['motif']}", instructor_only=True),
            ],
            manifest_extra={"snapshot_day": ctx.params.snapshot_day},
            instructor_manifest_extra={"motif_family": world["motif"]},
        )

    def snapshot_cut(self, rendered: Rendered, ctx: RunContext) -> dict[str, pl.DataFrame]:
        customers = rendered.tables["customers"]
        anchor = customers.select(
            "customer_id", anchor=pl.col("signup_at") + pl.duration(days=ctx.params.snapshot_day)
        )
        anchors = asof.Anchors(anchor, "customer_id", "anchor")
        orders = asof.cut(rendered.tables, anchors, {"orders": "ordered_at"})["orders"]
        seen = orders.group_by("customer_id").agg(pl.len().alias("k"))
        customers = (
            customers.join(seen, on="customer_id", how="left", maintain_order="left")
            .with_columns(
                status=pl.when(pl.col("k").fill_null(0) > 0)
                .then(pl.lit("active"))
                .otherwise(pl.lit("lapsed"))
            )
            .drop("k")
            .with_columns(pl.col("status").cast(pl.Categorical))
        )
        return {"customers": customers, "orders": orders, "loyalty": rendered.tables["loyalty"]}

    def checks(self) -> Sequence[Any]:
        return (orders_before_snapshot,)

    def inspect_summary(self, view: BundleView) -> dict[str, Any]:
        return {"shop_orders": view.table("orders").height}


def orders_before_snapshot(view: BundleView) -> Iterator[Finding]:
    """Public orders never follow a customer's snapshot anchor."""
    if not view.mode.is_public:
        return
    try:
        customers, orders = view.table("customers"), view.table("orders")
    except BundleReadError as exc:
        yield Finding("toy.snapshot", exc.message, exc.location)
        return
    day = (view.manifest.get("scheme_details") or {}).get("snapshot_day", 30)
    late = orders.join(customers, on="customer_id").filter(
        pl.col("ordered_at") > pl.col("signup_at") + pl.duration(days=day)
    )
    if late.height:
        yield Finding(
            "toy.snapshot", f"{late.height} orders after the snapshot", "tables/orders.parquet"
        )
