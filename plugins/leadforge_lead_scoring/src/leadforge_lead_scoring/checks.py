"""Scheme checks for ``leadforge validate`` and the scheme part of ``leadforge inspect``.

Each check reads the bundle through a :class:`BundleView`, never raises on bad data and
yields :class:`Finding` objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import polars as pl

from leadforge_core.ids import make_ids
from leadforge_core.validation.features import wilson_interval
from leadforge_core.validation.findings import Finding, named_check
from leadforge_core.validation.view import BundleReadError, BundleView
from leadforge_lead_scoring.publish.cut import EVENT_TABLES
from leadforge_lead_scoring.snapshot.task import LABEL, TASK

PRECISION_LIMIT = 0.95
#: The difficulty bands are targets for the mean over worlds; one world (motif family,
#: seed) may sit this far outside before validation fails.
BAND_TOLERANCE = 0.05
RECALL_LIMIT = 0.05


def _details(view: BundleView) -> dict[str, Any]:
    details = view.manifest.get("scheme_details", {})
    return details if isinstance(details, dict) else {}


def _lead_pos(view: BundleView, table: str) -> np.ndarray:
    """Row position in ``leads`` of each row's ``lead_id`` (-1 when unknown), cached per view.

    Ids written by this scheme are ``lead_000001`` in order, so positions are parsed and then
    verified; any other id layout falls back to a join.
    """
    cache: dict[str, np.ndarray] = view.__dict__.setdefault("_lead_scoring_pos", {})
    if table in cache:
        return cache[table]
    ids = view.table("leads")["lead_id"]
    col = view.table(table)["lead_id"]
    pos: np.ndarray | None = None
    if "_canonical" not in cache:  # building the reference ids is not free: once per view
        cache["_canonical"] = np.array(ids.equals(make_ids("lead", ids.len()).alias("lead_id")))
    if bool(cache["_canonical"]):
        width = len(ids[0]) if ids.len() else 0
        parsed = (col.str.slice(len("lead_")).cast(pl.Int64, strict=False).fill_null(0) - 1).clip(
            -1, max(ids.len() - 1, -1)
        )
        ok = (col.str.len_chars() == width) & (parsed >= 0)
        pos = np.where(ok.to_numpy(), parsed.to_numpy(), -1)
    if pos is None:
        mapping = ids.to_frame().with_row_index("_pos")
        joined = col.to_frame().join(mapping, on="lead_id", how="left", maintain_order="left")
        pos = joined["_pos"].cast(pl.Int64).fill_null(-1).to_numpy()
    cache[table] = pos
    return pos


def _us(series: pl.Series) -> np.ndarray:
    return series.dt.epoch("us").fill_null(np.iinfo(np.int64).min).to_numpy()


def _event_windows(view: BundleView) -> Iterator[Finding]:
    """Every event lies inside its lead's window; public events lie at or before the anchor."""
    d = _details(view)
    snap, horizon = int(d["snapshot_day"]), int(d["horizon_days"])
    start = _us(view.table("leads")["lead_created_at"])
    day = 86_400_000_000
    public = view.mode.is_public
    for table, ts in EVENT_TABLES.items():
        if not view.has_table(table):
            continue
        pos = _lead_pos(view, table)
        known = pos >= 0
        t = _us(view.table(table)[ts])[known]
        s0 = start[pos[known]]
        bad = int(((t < s0) | (t >= s0 + horizon * day)).sum())
        if bad:
            yield Finding(
                "lead_windows", f"{bad} rows outside their lead's window", f"{table}.{ts}"
            )
        if public:
            late = int((t > s0 + snap * day).sum())
            if late:
                yield Finding(
                    "snapshot_safety",
                    f"{late} public rows after their lead's anchor",
                    f"{table}.{ts}",
                )
    win = view.table("leads").select(
        "lead_id", (pl.col("lead_created_at") + pl.duration(days=snap)).alias("_anchor")
    )
    if public and view.has_table("opportunities"):
        opp = view.table("opportunities").join(win, on="lead_id", how="left")
        late = opp.filter(pl.col("created_at") > pl.col("_anchor")).height
        if late:
            yield Finding(
                "snapshot_safety", f"{late} opportunities created after the anchor", "opportunities"
            )
        stages = _details(view).get("stages", [])
        if len(stages) == 9:
            closed = opp.filter(pl.col("stage").is_in(stages[7:])).select("lead_id")
            rows = _task_rows(view)
            if rows is not None:
                hit = rows.join(closed, on="lead_id", how="inner").height
                if hit:
                    yield Finding(
                        "snapshot_safety",
                        f"{hit} task rows have a closed opportunity stage as of the anchor",
                        "opportunities.stage",
                    )


def _stage_sequences(view: BundleView) -> Iterator[Finding]:
    """Logged stages follow the funnel order: one entry per stage, ranks rise with time."""
    stages = _details(view).get("stages", [])
    if len(stages) != 9 or not view.has_table("lead_stage_history"):
        return
    rank = {s: i for i, s in enumerate(stages)}
    h = view.table("lead_stage_history")
    unknown = h.filter(~pl.col("stage").is_in(stages)).height
    if unknown:
        yield Finding(
            "stage_sequence", f"{unknown} rows with an unknown stage", "lead_stage_history"
        )
        return
    steps = (
        h.select(
            "lead_id",
            "entered_at",
            pl.col("stage").replace_strict(rank, return_dtype=pl.Int8).alias("r"),
        )
        .sort("lead_id", "entered_at", "r")
        .with_columns(
            pl.col("r").shift(1).alias("prev"),
            (pl.col("lead_id") != pl.col("lead_id").shift(1)).fill_null(True).alias("first"),
        )
    )
    no_start = steps.filter(pl.col("first") & (pl.col("r") != 0)).height
    # Allowed steps: +1 through the open stages and into closed_won (after negotiation);
    # closed_lost from any open stage.
    illegal = steps.filter(
        ~pl.col("first")
        & ~(
            ((pl.col("r") == pl.col("prev") + 1) & (pl.col("r") <= 7))
            | ((pl.col("r") == 8) & (pl.col("prev") <= 6))
        )
    ).height
    if illegal:
        yield Finding(
            "stage_sequence", f"{illegal} illegal stage transitions", "lead_stage_history"
        )
    if no_start:
        yield Finding(
            "stage_sequence",
            f"{no_start} leads whose history does not start at {stages[0]}",
            "lead_stage_history",
        )


def _task_rows(view: BundleView) -> pl.DataFrame | None:
    if TASK not in view.task_names():
        return None
    return pl.concat(
        [view.task_split(TASK, s).select("lead_id", LABEL) for s in ("train", "valid", "test")]
    )


def _prevalence(view: BundleView) -> Iterator[Finding]:
    band = _details(view).get("prevalence_band")
    rows = _task_rows(view)
    if rows is None or not band or rows.height == 0:
        return
    p = float(rows[LABEL].mean())  # type: ignore[arg-type]
    lo, hi = float(band[0]), float(band[1])
    if rows.height >= 2000 and not lo - BAND_TOLERANCE <= p <= hi + BAND_TOLERANCE:
        yield Finding(
            "prevalence_band",
            f"task prevalence {p:.3f} outside the {view.manifest.get('difficulty')} band "
            f"[{lo}, {hi}] (tolerance {BAND_TOLERANCE})",
            f"tasks/{TASK}",
        )


#: Join probes run on at most this many task rows (a fixed sample): precision and recall at
#: the 5 % level are estimated well long before that.
PROBE_ROWS = 200_000


def probe_frame(view: BundleView) -> pl.DataFrame:
    """Task rows joined with every per-lead column a student can build from public tables."""
    rows = _task_rows(view)
    assert rows is not None
    if rows.height > PROBE_ROWS:
        rows = rows.sample(n=PROBE_ROWS, seed=0)
    leads = view.table("leads")
    frame = rows.join(leads, on="lead_id", how="left", suffix="_lead")
    if view.has_table("opportunities"):
        opp = (
            view.table("opportunities")
            .group_by("lead_id")
            .agg(
                pl.col("stage").last().alias("opp_stage"),
                pl.col("estimated_acv").max().alias("opp_acv"),
                pl.all().exclude("lead_id", "stage", "estimated_acv").last().name.prefix("opp_"),
            )
        )
        frame = frame.join(opp, on="lead_id", how="left")
    lead_ids = leads["lead_id"]
    counts = {}
    for table in EVENT_TABLES:
        if view.has_table(table):
            pos = _lead_pos(view, table)
            counts[f"n_{table}"] = np.bincount(pos[pos >= 0], minlength=lead_ids.len())
    if counts:
        frame = frame.join(pl.DataFrame({"lead_id": lead_ids, **counts}), on="lead_id", how="left")
    # Sibling records: other leads of the same contact / account and their public stage.
    sib = leads.group_by("account_id").agg(
        pl.len().alias("account_leads"),
        pl.col("current_stage").n_unique().alias("account_stage_variety"),
    )
    frame = frame.join(sib, on="account_id", how="left")
    return frame


def best_rules(frame: pl.DataFrame, label: str, skip: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Best single-column rules: category == v, or numeric ≥ / ≤ quantile thresholds."""
    y = frame[label].cast(pl.Boolean)
    n_pos = int(y.sum())
    out: list[dict[str, Any]] = []
    if n_pos == 0:
        return out
    skip = set(skip) | {label}
    for col in frame.columns:
        if col in skip or col.endswith("_id") or col == "row_id":
            continue
        s = frame[col]
        rules: list[tuple[str, pl.Series]] = []
        if s.dtype in (pl.String, pl.Boolean) or isinstance(s.dtype, pl.Categorical | pl.Enum):
            counts = s.value_counts(sort=True).head(200)
            for v in counts[col].to_list():
                rules.append(
                    (f"{col} == {v!r}", (s == v).fill_null(False) if v is not None else s.is_null())
                )
        elif s.dtype.is_numeric() or s.dtype.is_temporal():
            num = s.cast(pl.Float64) if s.dtype.is_numeric() else s.cast(pl.Int64).cast(pl.Float64)
            qs = sorted(
                {
                    q
                    for q in (
                        num.quantile(p) for p in (0.5, 0.8, 0.9, 0.95, 0.99, 0.01, 0.05, 0.1, 0.2)
                    )
                    if q is not None
                }
            )
            for q in qs:
                rules.append((f"{col} >= {q:g}", (num >= q).fill_null(False)))
                rules.append((f"{col} <= {q:g}", (num <= q).fill_null(False)))
        for text, mask in rules:
            hit = int(mask.sum())
            if hit == 0:
                continue
            tp = int((mask & y).sum())
            out.append({"rule": text, "precision": tp / hit, "recall": tp / n_pos, "support": hit})
    return out


def _join_probes(view: BundleView) -> Iterator[Finding]:
    if not view.mode.is_public or _task_rows(view) is None:
        return
    frame = probe_frame(view)
    for r in best_rules(frame, LABEL):
        if r["recall"] < RECALL_LIMIT or r["support"] < 20:
            continue
        # Precision must reach the limit with 95 % confidence, not by a small sample's luck.
        low, _ = wilson_interval(float(r["precision"]), float(r["support"]))
        if low >= PRECISION_LIMIT:
            yield Finding(
                "join_reconstruction",
                f"public rule {r['rule']} reveals the label (precision {r['precision']:.3f}, "
                f"95% lower bound {low:.3f}, recall {r['recall']:.3f})",
                f"tasks/{TASK}",
            )


CHECKS = (
    named_check("lead_windows", _event_windows),
    named_check("stage_sequence", _stage_sequences),
    named_check("prevalence_band", _prevalence),
    named_check("join_reconstruction", _join_probes),
)


def inspect_extras(view: BundleView) -> dict[str, Any]:
    try:
        rows = _task_rows(view)
        d = _details(view)
        out: dict[str, Any] = {
            "snapshot_day": d.get("snapshot_day"),
            "horizon_days": d.get("horizon_days"),
            "prevalence_band": d.get("prevalence_band"),
        }
        if rows is not None and rows.height:
            out["task_rows"] = rows.height
            out["task_prevalence"] = round(float(rows[LABEL].mean()), 4)  # type: ignore[arg-type]
        if view.has_table("leads"):
            stages = view.table("leads")["current_stage"].value_counts(sort=True)
            out["lead_stages"] = dict(
                zip(stages["current_stage"].to_list(), stages["count"].to_list(), strict=True)
            )
        if "motif_family" in d:
            out["motif_family"] = d["motif_family"]
        return out
    except (BundleReadError, pl.exceptions.PolarsError, KeyError, TypeError, ValueError) as exc:
        return {"error": str(exc)[:200]}
