"""Task features can be recomputed from the public tables; the label comes from events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from leadforge_lead_scoring.recipe import STAGE_KEYS
from leadforge_lead_scoring.snapshot.features import compute_features, positional
from leadforge_lead_scoring.snapshot.task import FEATURES, LABEL, TASK, TRAP

TABLES = (
    "leads",
    "accounts",
    "contacts",
    "touches",
    "sessions",
    "sales_activities",
    "lead_stage_history",
    "opportunities",
)


def _rows(path: Path) -> pl.DataFrame:
    return pl.concat(
        [
            pl.read_parquet(path / "tasks" / TASK / f"{s}.parquet")
            for s in ("train", "valid", "test")
        ]
    )


def test_features_recomputed_from_public_tables_match(bundles: dict[str, Path]) -> None:
    pub = bundles["student_public"]
    tables = {t: pl.read_parquet(pub / "tables" / f"{t}.parquet") for t in TABLES}
    recomputed = compute_features(positional(tables), 30, list(STAGE_KEYS), "connected")
    recomputed = recomputed.with_columns(tables["leads"]["lead_id"])  # rows are in lead order
    rows = _rows(pub)
    sample = rows.sample(n=min(400, rows.height), seed=3)
    names = [f[0] for f in FEATURES]
    got = sample.select("lead_id", *names).sort("lead_id")
    want = recomputed.join(sample.select("lead_id"), on="lead_id").select("lead_id", *names)
    want = want.sort("lead_id")
    assert got.height == want.height == sample.height
    for col in names:
        assert got[col].eq_missing(want[col]).all(), col


def test_trap_is_not_recomputable_from_public_tables(bundles: dict[str, Path]) -> None:
    pub = bundles["student_public"]
    rows = _rows(pub)
    touches = pl.read_parquet(pub / "tables" / "touches.parquet").group_by("lead_id").len()
    joined = rows.join(touches, on="lead_id", how="left").with_columns(pl.col("len").fill_null(0))
    assert (joined[TRAP] >= joined["len"]).all()
    assert (joined[TRAP] > joined["len"]).any()
    fd = pl.read_csv(pub / "feature_dictionary.csv", infer_schema=False)
    assert fd.filter(pl.col("feature_name") == TRAP)["leakage_risk"].item() == "true"


def test_label_is_derived_from_closed_won_events(bundles: dict[str, Path]) -> None:
    ins = bundles["research_instructor"]
    leads = pl.read_parquet(ins / "tables" / "leads.parquet")
    history = pl.read_parquet(ins / "tables" / "lead_stage_history.parquet")
    won = (
        history.filter(pl.col("stage") == "closed_won")
        .join(leads.select("lead_id", "lead_created_at"), on="lead_id")
        .filter(pl.col("entered_at") < pl.col("lead_created_at") + pl.duration(days=90))
        .select("lead_id", pl.col("entered_at").alias("won_at"))
    )
    check = leads.join(won, on="lead_id", how="left")
    assert (check[LABEL] == check["won_at"].is_not_null()).all()
    assert check["conversion_timestamp"].eq_missing(check["won_at"]).all()
    opp = pl.read_parquet(ins / "tables" / "opportunities.parquet").join(
        leads.select("lead_id", LABEL), on="lead_id"
    )
    assert ((opp["close_outcome"] == "won").fill_null(False) == opp[LABEL]).all()
    rows = _rows(ins).join(leads.select("lead_id", pl.col(LABEL).alias("truth")), on="lead_id")
    assert (rows[LABEL] == rows["truth"]).all()
    assert 0.0 < rows[LABEL].mean() < 1.0  # type: ignore[operator]


def test_features_for_a_subset_of_leads_equal_the_full_computation(
    bundles: dict[str, Path],
) -> None:
    inst = bundles["research_instructor"]
    tables = positional({t: pl.read_parquet(inst / "tables" / f"{t}.parquet") for t in TABLES})
    full = compute_features(tables, 30, list(STAGE_KEYS), "connected")
    mask = np.random.default_rng(0).random(full.height) < 0.4
    part = compute_features(tables, 30, list(STAGE_KEYS), "connected", rows=mask)
    assert part.height == int(mask.sum()) > 0
    assert part.equals(full.filter(pl.Series(mask)))
