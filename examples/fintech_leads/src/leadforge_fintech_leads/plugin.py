"""Hook implementations of the fintech vertical.

- recipe ``b2b_fintech_payments_v1`` (``extends:`` the built-in lead-scoring recipe);
- task feature ``connected_activities_last_7d``, added to that recipe's conversion task;
- check ``fintech.acv_band`` on lead-scoring bundles of that recipe;
- command ``leadforge fintech-pipeline BUNDLE``: leads and conversion by channel;
- export format ``jsonl``: one JSON Lines file per table and task split.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from leadforge_core import Command, DType, asof, hookimpl
from leadforge_core.exporters import Exporter, ExportSource
from leadforge_core.features import FeatureInput, TaskFeature
from leadforge_core.validation.checks import NamedCheck
from leadforge_core.validation.findings import Finding, named_check
from leadforge_core.validation.view import BundleView

RECIPE = "b2b_fintech_payments_v1"
#: Paystream's contract band in USD a year (the recipe's ``acv``).
ACV_BAND = (30_000.0, 250_000.0)


@hookimpl
def leadforge_register_recipes() -> list[Any]:
    return [files("leadforge_fintech_leads") / "recipes" / f"{RECIPE}.yaml"]


# -- task feature ------------------------------------------------------------------------


def connected_activities_last_7d(inp: FeatureInput) -> pl.Series:
    """Sales activities that reached the lead in the 7 days before the snapshot anchor."""
    counts = (
        inp.events("sales_activities", window=asof.last_days(7))
        .filter(pl.col("activity_outcome").cast(pl.String) == "connected")
        .group_by(inp.key)
        .agg(asof.count().cast(pl.Int64).alias("n"))
    )
    return inp.per_row(counts, "n", fill=0)


@hookimpl
def leadforge_task_features(scheme: str, recipe: str) -> list[TaskFeature]:
    if scheme != "lead_scoring" or recipe != RECIPE:
        return []
    return [
        TaskFeature(
            "connected_activities_last_7d",
            connected_activities_last_7d,
            DType.INT,
            "sales activities with outcome 'connected' in the 7 days before the anchor",
            tasks=("converted_within_90_days",),
            group="sales_activity",
            derived_from="sales_activities.activity_outcome",
            window="last 7 days before anchor",
            nullable=False,
        )
    ]


# -- check -------------------------------------------------------------------------------


def _acv_band(view: BundleView) -> Iterator[Finding]:
    if (view.manifest.get("recipe") or {}).get("id") != RECIPE or not view.has_table(
        "opportunities"
    ):
        return
    low, high = ACV_BAND
    outside = view.table("opportunities").filter(~pl.col("estimated_acv").is_between(low, high))
    if outside.height:
        yield Finding(
            "acv_band",
            f"{outside.height} opportunities outside Paystream's {low:,.0f}-{high:,.0f} USD band",
            "opportunities.estimated_acv",
        )


@hookimpl
def leadforge_register_checks(scheme: str) -> list[NamedCheck]:
    if scheme != "lead_scoring":
        return []
    check = named_check("acv_band", _acv_band)
    return [NamedCheck("acv_band", check, "opportunities lie in the vertical's contract band")]


# -- command -----------------------------------------------------------------------------


def fintech_pipeline(
    bundle: Annotated[Path, typer.Argument(help="A lead-scoring bundle folder.")],
    by: Annotated[str, typer.Option(help="Lead column to group by.")] = "first_touch_channel",
) -> None:
    """Leads, SQL rate and 90-day conversion of a lead-scoring bundle, by channel."""
    view = BundleView(bundle)
    if view.scheme != "lead_scoring":
        raise typer.BadParameter(f"{bundle} is a {view.scheme} bundle, not lead_scoring")
    leads = view.table("leads")
    if by not in leads.columns:
        raise typer.BadParameter(f"leads has no column {by!r}")
    # Public bundles leave the label out of `leads` (it lives in the task splits only).
    label = "converted_within_90_days"
    converted = pl.col(label).mean() if label in leads.columns else pl.lit(None, pl.Float64)
    table = (
        leads.group_by(pl.col(by).cast(pl.String))
        .agg(
            pl.len().alias("leads"),
            pl.col("is_sql").mean().round(3).alias("sql_rate"),
            converted.round(3).alias("converted"),
        )
        .sort("leads", by, descending=[True, False])
    )
    typer.echo(f"{'':<2}{by:<28}{'leads':>8}{'sql':>8}{'conv':>8}")
    for row in table.iter_rows(named=True):
        conv = "-" if row["converted"] is None else f"{row['converted']:.3f}"
        typer.echo(f"  {row[by]!s:<28}{row['leads']:>8,}{row['sql_rate']:>8.3f}{conv:>8}")


@hookimpl
def leadforge_register_commands() -> list[Command]:
    return [Command("fintech-pipeline", fintech_pipeline)]


# -- exporter ----------------------------------------------------------------------------


class JsonLinesExporter(Exporter):
    """``tables/<table>.jsonl`` and ``tasks/<task>/<split>.jsonl``, with the card."""

    name = "jsonl"
    title = "JSON Lines: one object per row, one file per table and task split"

    def write(self, source: ExportSource, out: Path) -> None:
        for table in source.table_names():
            _ndjson(source.table(table), out / "tables" / f"{table}.jsonl")
        for task in source.task_names():
            for split in source.split_names(task):
                _ndjson(source.task_split(task, split), out / "tasks" / task / f"{split}.jsonl")
        (out / "dataset_card.md").write_bytes(source.read_bytes("dataset_card.md"))


def _ndjson(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cats = [c for c, t in frame.schema.items() if isinstance(t, pl.Categorical | pl.Enum)]
    frame.with_columns(pl.col(cats).cast(pl.String)).write_ndjson(path)


@hookimpl
def leadforge_register_exporters() -> list[type[Exporter]]:
    return [JsonLinesExporter]
