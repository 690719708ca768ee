"""Standard checks and probes a scheme composes into its ``checks()``.

Each factory returns a :data:`~leadforge_core.validation.findings.Check` (wrapped by
:func:`~leadforge_core.validation.findings.named_check`, so unreadable files and data the check
cannot evaluate become findings, never exceptions):

- :func:`prevalence_band` — a binary task's label prevalence lies within the difficulty
  profile's band;
- :func:`event_windows` — every event of a table lies within its entity's window and, in
  public bundles, at or before the entity's anchor;
- :func:`join_reconstruction` — no single-column rule over a declared set of joins and
  aggregates of public tables reveals a task's label;
- :func:`feature_leakage` — no task feature (numeric or categorical) ranks or decides the
  label almost perfectly unless it is a declared trap. The core runs it on every task of
  every bundle.

Rule statistics (:func:`best_rules`, :func:`revealing_rules`) and the frame builder
(:func:`probe_frame`) are public so that benchmarks and scheme authors can reuse them.
Everything is vectorized with polars and numpy.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import numpy as np
import polars as pl

from leadforge_core.bundle import layout
from leadforge_core.bundle.model import SPLITS
from leadforge_core.ids import IdLookup
from leadforge_core.validation.features import NON_FEATURE_GROUPS, TRUTH_GROUP, wilson_interval
from leadforge_core.validation.findings import Check, Finding, named_check
from leadforge_core.validation.view import BundleView

#: A rule "reveals" a label when its precision reaches this limit with 95 % confidence ...
PRECISION_LIMIT = 0.95
#: ... while catching at least this share of the positives ...
RECALL_LIMIT = 0.05
#: ... on at least this many rows.
MIN_SUPPORT = 20
#: A numeric feature whose ROC AUC is this far from 0.5 (≥ 0.99 or ≤ 0.01) ranks a binary
#: label almost perfectly; the same limit applies to |Spearman| for a regression target.
RANK_LIMIT = 0.99
#: Probes run on at most this many task rows (a fixed sample): precision and recall at the
#: 5 % level are estimated well long before that.
PROBE_ROWS = 200_000
#: Rows per split the single-feature leakage probe judges (a fixed sample above it): enough
#: for a copy of the label (ROC AUC 1) or a rule at precision ≥ 0.95 and recall ≥ 0.05 to
#: clear the 95% bound by far, at a quarter of the cost of :data:`PROBE_ROWS`.
LEAKAGE_ROWS = 50_000
#: Rows per split for regression targets, judged by rank correlation alone: at 20,000 rows the
#: sampling error of a Spearman coefficient near the 0.99 limit is about 1e-4.
LEAKAGE_RANK_ROWS = 20_000
#: Quantiles whose values serve as thresholds of numeric rules (both directions).
QUANTILES = (0.01, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99)
#: Categorical rules are tried for at most this many most frequent values per column.
MAX_VALUES = 200
#: Default tolerance of :func:`prevalence_band`: bands are targets for the mean over worlds,
#: one world (motif family, seed) may sit this far outside.
BAND_TOLERANCE = 0.05
#: :func:`prevalence_band` judges only tasks with at least this many rows.
BAND_MIN_ROWS = 2000

_DAY_US = 86_400_000_000
_NULL_US = np.iinfo(np.int64).min

#: A value that depends on the bundle (its manifest, mode, tables), or a constant.
ViewValue = Callable[[BundleView], Any]


def scheme_detail(key: str) -> ViewValue:
    """``manifest.scheme_details[key]`` of the bundle (``None`` when absent).

    Args:
        key: key in the manifest's ``scheme_details``.

    Returns:
        A function of a :class:`BundleView`, usable wherever a probe takes a ``ViewValue``.
    """

    def read(view: BundleView) -> Any:
        details = view.manifest.get("scheme_details") or {}
        return details.get(key) if isinstance(details, dict) else None

    return read


def _resolve(value: Any, view: BundleView) -> Any:
    return value(view) if callable(value) else value


def binary_tasks(view: BundleView) -> list[tuple[str, str]]:
    """``(task, label)`` for every binary task of the bundle with exactly one target."""
    out = []
    for task in view.task_names():
        meta = (view.manifest.get("tasks") or {}).get(task) or {}
        targets = meta.get("targets") or []
        if meta.get("task_type") == "binary" and len(targets) == 1:
            out.append((task, str(targets[0])))
    return out


def task_rows(view: BundleView, task: str, columns: Sequence[str]) -> pl.DataFrame:
    """The listed columns of every split of ``task``, stacked in split order.

    Args:
        view: the bundle.
        task: task name.
        columns: columns to keep (those a split lacks are skipped).

    Returns:
        One frame with the rows of train, valid and test.
    """
    frames = []
    for split in SPLITS:
        frame = view.task_split(task, split)
        frames.append(frame.select([c for c in columns if c in frame.columns]))
    return pl.concat(frames, how="vertical")


# --------------------------------------------------------------------------- prevalence band


def prevalence_band(
    name: str = "prevalence_band",
    *,
    band: ViewValue | tuple[float, float] | None = None,
    tasks: Sequence[str] | None = None,
    tolerance: float = BAND_TOLERANCE,
    min_rows: int = BAND_MIN_ROWS,
) -> Check:
    """Check that each binary task's label prevalence lies within the difficulty's band.

    Args:
        name: name of the check and of its findings.
        band: ``(low, high)``, or a function of the bundle returning it (a ``None`` result
            skips the check); by default ``scheme_details.prevalence_band`` of the manifest.
        tasks: tasks to judge; by default every binary task with one target.
        tolerance: how far outside the band one world may sit.
        min_rows: tasks with fewer rows are not judged (their prevalence is too noisy).

    Returns:
        A check yielding one finding per task outside ``[low - tolerance, high + tolerance]``.
    """

    source = band if band is not None else scheme_detail("prevalence_band")

    def run(view: BundleView) -> Iterator[Finding]:
        limits = _resolve(source, view)
        if not limits:
            return
        low, high = float(limits[0]), float(limits[1])
        for task, label in binary_tasks(view):
            if tasks is not None and task not in tasks:
                continue
            y = task_rows(view, task, [label])[label]
            if y.len() < min_rows:
                continue
            p = float(y.cast(pl.Float64).mean())  # type: ignore[arg-type]
            if not low - tolerance <= p <= high + tolerance:
                yield Finding(
                    name,
                    f"task prevalence {p:.3f} outside the {view.manifest.get('difficulty')} band "
                    f"[{low}, {high}] (tolerance {tolerance})",
                    f"{layout.TASKS_DIR}/{task}",
                )

    return named_check(name, run)


# --------------------------------------------------------------------------- event windows


def entity_positions(view: BundleView, entity_table: str, key: str, table: str) -> np.ndarray:
    """Row position in ``entity_table`` of each row's ``key`` in ``table`` (-1 when unknown).

    Cached per view. Ids of the form ``prefix`` + a fixed number of digits
    (``cust_000002``, as :func:`leadforge_core.ids.make_ids` makes them, in any order and with
    gaps) are located through their numbers; any other layout falls back to a join.

    Args:
        view: the bundle.
        entity_table: table with one row per entity (``key`` is its primary key).
        key: key column, present in both tables.
        table: table whose rows are located.

    Returns:
        An int64 array with one position per row of ``table``.
    """
    cache: dict[tuple[str, str, str], np.ndarray] = view.__dict__.setdefault(
        "_entity_positions", {}
    )
    numbered: dict[tuple[str, str], IdLookup | None] = view.__dict__.setdefault(
        "_entity_id_numbers", {}
    )
    hit = cache.get((entity_table, key, table))
    if hit is not None:
        return hit
    ids = view.table(entity_table)[key]
    col = view.table(table)[key]
    if (entity_table, key) not in numbered:  # building the lookup is not free: once
        numbered[(entity_table, key)] = IdLookup.of(ids)
    numbers = numbered[(entity_table, key)]
    if numbers is not None and col.dtype == pl.String:
        pos = numbers.positions(col)
    else:
        mapping = ids.to_frame().with_row_index("_pos")
        joined = col.to_frame().join(mapping, on=key, how="left", maintain_order="left")
        pos = joined["_pos"].cast(pl.Int64).fill_null(-1).to_numpy()
    cache[(entity_table, key, table)] = pos
    return pos


def _us(series: pl.Series) -> np.ndarray:
    if not isinstance(series.dtype, pl.Datetime | pl.Date):
        raise TypeError(f"{series.name} is {series.dtype}, not a timestamp")
    return series.cast(pl.Datetime("us")).dt.epoch("us").fill_null(_NULL_US).to_numpy()


def _as_us(value: Any, n: int) -> np.ndarray:
    """A bound given as days after the start (int/float), a timestamp, or per-entity values."""
    if isinstance(value, pl.Series):
        return _us(value)
    if isinstance(value, dt.datetime):
        return np.full(n, int(pl.Series([value]).cast(pl.Datetime("us")).dt.epoch("us")[0]))
    if isinstance(value, dt.date):
        return _as_us(dt.datetime.combine(value, dt.time()), n)
    if isinstance(value, str):
        return _as_us(dt.datetime.fromisoformat(value), n)
    raise TypeError(f"cannot read {value!r} as a timestamp")


@attrs.frozen
class Bound:
    """An end or anchor of an entity's window.

    ``days`` after the entity's start (a number, or a function of the bundle returning one),
    a fixed ``at`` moment (a datetime, date, ISO string, or a function returning one), or a
    ``column`` of the entity table holding each entity's own moment (for example a ticket's
    first response). A null in that column bounds nothing (no event is judged against it).
    """

    days: ViewValue | float | None = None
    at: ViewValue | dt.date | str | None = None
    column: str | None = None

    def resolve(
        self, view: BundleView, start_us: np.ndarray, entities: pl.DataFrame | None = None
    ) -> np.ndarray:
        """Microseconds since the epoch of the bound of each entity.

        Args:
            view: the bundle.
            start_us: each entity's start.
            entities: the entity table (needed by a ``column`` bound).

        Returns:
            One bound per entity (a null ``column`` value becomes the largest int64).
        """
        if self.days is not None:
            days = float(_resolve(self.days, view))
            return start_us + round(days * _DAY_US)
        if self.at is not None:
            return _as_us(_resolve(self.at, view), start_us.size)
        if self.column is not None:
            if entities is None:
                raise ValueError(f"a bound at column {self.column!r} needs the entity table")
            us = _us(entities[self.column])
            return np.where(us == _NULL_US, np.iinfo(np.int64).max, us)
        raise ValueError("a Bound needs days, at or column")


def days_after_start(days: ViewValue | float) -> Bound:
    """A bound ``days`` after each entity's start (``days`` may depend on the bundle)."""
    return Bound(days=days)


def fixed_moment(at: ViewValue | dt.date | str) -> Bound:
    """The same moment for every entity (for example an observation date)."""
    return Bound(at=at)


def at_column(column: str) -> Bound:
    """Each entity's own moment, read from ``column`` of the entity table (for example the
    first response of a support ticket as its snapshot anchor)."""
    return Bound(column=column)


def event_windows(
    name: str = "event_windows",
    *,
    entity_table: str,
    key: str,
    start: str,
    events: Mapping[str, str | Sequence[str]],
    end: Bound,
    anchor: Bound | None = None,
    window_check: str | None = None,
    anchor_check: str = "snapshot_safety",
) -> Check:
    """Check that every event lies within ``[its entity's start, end]`` and, in public
    bundles, at or before the entity's ``anchor``.

    Args:
        name: name of the check.
        entity_table: table with one row per entity (for example ``leads``).
        key: the entity's key, present in the entity table and in every event table.
        start: column of the entity table holding each entity's start.
        events: ``{table: timestamp column or columns}`` of the event tables (absent tables
            are skipped; null timestamps and rows whose key is unknown are left to the
            nullability and foreign-key checks). The entity table itself may be listed.
        end: end of each window (:func:`days_after_start` or :func:`fixed_moment`).
        anchor: snapshot anchor of each entity (:func:`days_after_start`,
            :func:`fixed_moment` or :func:`at_column`); public events must not follow it.
        window_check: check name of window findings (default ``name``).
        anchor_check: check name of anchor findings.

    Returns:
        A check yielding one finding per table and rule broken, with the number of rows.
    """

    def run(view: BundleView) -> Iterator[Finding]:
        entities = view.table(entity_table)
        start_us = _us(entities[start])
        end_us = end.resolve(view, start_us, entities)
        anchor_us = anchor.resolve(view, start_us, entities) if anchor is not None else None
        public = view.mode.is_public
        entity = key.removesuffix("_id")
        for table, columns in events.items():
            if not view.has_table(table):
                continue
            pos = entity_positions(view, entity_table, key, table)
            for ts in (columns,) if isinstance(columns, str) else columns:
                t_all = _us(view.table(table)[ts])
                known = (pos >= 0) & (t_all != _NULL_US)
                t = t_all[known]
                p = pos[known]
                s0 = start_us[p]
                bad = int(((t < s0) | (t > end_us[p])).sum())
                if bad:
                    yield Finding(
                        window_check or name,
                        f"{bad} rows outside their {entity}'s window",
                        f"{table}.{ts}",
                    )
                if public and anchor_us is not None:
                    late = int((t > anchor_us[p]).sum())
                    if late:
                        yield Finding(
                            anchor_check,
                            f"{late} public rows after their {entity}'s anchor",
                            f"{table}.{ts}",
                        )

    return named_check(name, run)


# --------------------------------------------------------------------------- rules


def _is_categorical(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Boolean) or isinstance(dtype, pl.Categorical | pl.Enum)


def _is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() or dtype.is_temporal()


def _numeric(s: pl.Series) -> pl.Series:
    if s.dtype.is_temporal():
        return s.to_physical().cast(pl.Float64)
    return s.cast(pl.Float64)


def _rules(s: pl.Series) -> list[tuple[str, pl.Series]]:
    """Candidate single-column rules of a column: ``== value`` or ``≥ / ≤ quantile``."""
    col = s.name
    rules: list[tuple[str, pl.Series]] = []
    if _is_categorical(s.dtype):
        counts = s.value_counts(sort=True).head(MAX_VALUES)
        for v in counts[col].to_list():
            mask = s.is_null() if v is None else (s == v).fill_null(False)
            rules.append((f"{col} == {v!r}", mask))
    elif _is_numeric(s.dtype):
        num = _numeric(s)
        qs = sorted({q for q in (num.quantile(p) for p in QUANTILES) if q is not None})
        for q in qs:
            rules.append((f"{col} >= {q:g}", (num >= q).fill_null(False)))
            rules.append((f"{col} <= {q:g}", (num <= q).fill_null(False)))
        if num.null_count():
            rules.append((f"{col} is null", num.is_null()))
    return rules


def best_rules(frame: pl.DataFrame, label: str, skip: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Every single-column rule of ``frame`` with its precision and recall for ``label``.

    Rules are ``column == value`` for categorical columns (the most frequent values) and
    ``column ≥ q`` / ``column ≤ q`` for numeric and temporal columns at the quantiles
    :data:`QUANTILES`. Columns named ``*_id`` or ``row_id`` are skipped.

    Args:
        frame: one row per task row, with the label and candidate columns.
        label: binary label column.
        skip: further columns to leave out.

    Returns:
        Dicts with ``rule`` (text), ``column``, ``precision``, ``recall`` and ``support`` (rows
        the rule selects); empty when the label has no positive.
    """
    y = frame[label].cast(pl.Boolean).fill_null(False)
    n_pos = int(y.sum())
    out: list[dict[str, Any]] = []
    if n_pos == 0:
        return out
    skipped = set(skip) | {label}
    for col in frame.columns:
        if col in skipped or col.endswith("_id") or col == "row_id":
            continue
        out += _rule_rows(col, _rule_counts(frame[col], y), n_pos)
    return out


def _rule_rows(col: str, counts: list[tuple[str, int, int]], n_pos: int) -> list[dict[str, Any]]:
    return [
        {"rule": text, "column": col, "precision": tp / hit, "recall": tp / n_pos, "support": hit}
        for text, hit, tp in counts
        if hit
    ]


def _rule_counts(s: pl.Series, y: pl.Series) -> list[tuple[str, int, int]]:
    """``(rule, rows selected, positives selected)`` of every rule of :func:`_rules`, in its
    order; numeric columns are counted from one sort (:class:`_Sorted`)."""
    if _is_numeric(s.dtype) and not _is_categorical(s.dtype):
        sorted_ = _Sorted.of(_numeric(s), y)
        if sorted_ is not None:
            return sorted_.rule_counts(str(s.name))
    return [(text, int(mask.sum()), int((mask & y).sum())) for text, mask in _rules(s)]


@attrs.frozen
class _Sorted:
    """A numeric column's non-null values in order, with the label along, for threshold
    rules and ranks from one sort."""

    order: np.ndarray
    values: np.ndarray
    #: The label of each non-null value, in the column's row order.
    labels: np.ndarray
    #: ``positives[k]``: positives among the ``k`` smallest values.
    positives: np.ndarray
    nulls: int
    null_positives: int

    @classmethod
    def of(cls, num: pl.Series, y: pl.Series) -> _Sorted | None:
        """``num`` (float64) against boolean ``y`` (nulls: negative); ``None`` when ``num``
        holds NaN (ordered differently by polars and numpy) or -0.0 (which of -0.0 and 0.0 a
        quantile names depends on how polars' sort placed them)."""
        known = num.is_not_null().to_numpy()
        values = num.to_numpy()[known]
        if np.isnan(values).any() or (np.signbit(values) & (values == 0)).any():
            return None
        label = y.to_numpy()
        labels = label[known]
        order = np.argsort(values)  # counts and mean ranks do not depend on how ties fall
        positives = np.concatenate(([0], np.cumsum(labels[order], dtype=np.int64)))
        nulls, null_positives = int((~known).sum()), int(label[~known].sum())
        return cls(order, values[order], labels, positives, nulls, null_positives)

    def quantiles(self) -> list[float]:
        """The distinct values at :data:`QUANTILES` (polars' ``nearest`` interpolation)."""
        n = self.values.size
        if n == 0:
            return []
        at = np.clip(np.floor((n - 1) * np.asarray(QUANTILES) + 0.5).astype(np.int64), 0, n - 1)
        return sorted({float(v) for v in self.values[at]})

    def rule_counts(self, col: str) -> list[tuple[str, int, int]]:
        """What :func:`_rules` with masks would count, for this column."""
        n, total = self.values.size, int(self.positives[-1])
        out: list[tuple[str, int, int]] = []
        for q in self.quantiles():
            below = int(np.searchsorted(self.values, q, side="left"))
            upto = int(np.searchsorted(self.values, q, side="right"))
            out.append((f"{col} >= {q:g}", n - below, total - int(self.positives[below])))
            out.append((f"{col} <= {q:g}", upto, int(self.positives[upto])))
        if self.nulls:
            out.append((f"{col} is null", self.nulls, self.null_positives))
        return out

    def ranks(self) -> np.ndarray:
        """Average ranks of the non-null values, in their original order (as :func:`_ranks`)."""
        return _ranks_sorted(self.order, self.values)


def revealing_rules(
    rules: Iterable[dict[str, Any]],
    *,
    precision: float = PRECISION_LIMIT,
    recall: float = RECALL_LIMIT,
    min_support: int = MIN_SUPPORT,
) -> list[dict[str, Any]]:
    """Rules whose precision reaches ``precision`` with 95 % confidence (Wilson lower bound)
    while catching at least ``recall`` of the positives on ``min_support`` rows or more.

    Args:
        rules: output of :func:`best_rules`.
        precision: precision limit the lower bound must reach.
        recall: minimum recall.
        min_support: minimum rows selected.

    Returns:
        The revealing rules, each with an added ``low`` (the lower bound), best first.
    """
    out = []
    for r in rules:
        if r["recall"] < recall or r["support"] < min_support:
            continue
        low, _ = wilson_interval(float(r["precision"]), float(r["support"]))
        if low >= precision:
            out.append({**r, "low": low})
    return sorted(out, key=lambda r: (-r["low"], -r["recall"], r["rule"]))


# --------------------------------------------------------------------------- join probes


@attrs.frozen
class Join:
    """One step of a :func:`probe_frame`: join a public table to the task rows.

    Without ``aggregations`` the table is joined as is on ``on`` (it must hold one row per
    key; its columns keep their names, clashing ones get ``suffix``). With them, the table is
    grouped by ``on`` and the aggregates joined; ``fill_null`` fills keys without any row
    (``0`` for counts). Later steps may join on columns an earlier step added.

    ``entity`` (set by :func:`count_rows`) names the table whose primary key is ``on``: a
    row count is then taken from :func:`entity_positions`, which the event-window checks
    have usually computed already, instead of grouping the table by its string key.
    """

    table: str
    on: str
    aggregations: tuple[pl.Expr, ...] = ()
    fill_null: Any = None
    suffix: str = ""
    entity: str = ""

    def apply(self, frame: pl.DataFrame, view: BundleView) -> pl.DataFrame:
        """``frame`` with this step's columns added (unchanged when the table is absent)."""
        if not view.has_table(self.table) or self.on not in frame.columns:
            return frame
        if self.entity and view.has_table(self.entity) and len(self.aggregations) == 1:
            ids = view.table(self.entity)[self.on]
            pos = entity_positions(view, self.entity, self.on, self.table)
            counts = np.bincount(pos[pos >= 0], minlength=ids.len()).astype(np.int64)
            name = self.aggregations[0].meta.output_name() + self.suffix
            if name in frame.columns:
                return frame
            out = frame.join(pl.DataFrame({self.on: ids, name: counts}), on=self.on, how="left")
            if self.fill_null is not None:
                out = out.with_columns(pl.col(name).fill_null(self.fill_null))
            return out
        table = view.table(self.table)
        if not self.aggregations:
            return frame.join(table, on=self.on, how="left", suffix=self.suffix or f"_{self.table}")
        agg = table.group_by(self.on).agg(*self.aggregations)
        if self.suffix:
            agg = agg.rename({c: c + self.suffix for c in agg.columns if c != self.on})
        added = [c for c in agg.columns if c != self.on and c not in frame.columns]
        out = frame.join(agg.select(self.on, *added), on=self.on, how="left")
        if self.fill_null is not None:
            out = out.with_columns(pl.col(added).fill_null(self.fill_null))
        return out


def count_rows(table: str, on: str, alias: str | None = None, entity: str = "") -> Join:
    """A :class:`Join` adding the number of rows of ``table`` per key (0 when none).

    ``entity``: the table whose primary key is ``on`` (for example ``"leads"`` for
    ``lead_id``), which lets the count reuse the cached :func:`entity_positions`.
    """
    return Join(
        table,
        on,
        (pl.len().cast(pl.Int64).alias(alias or f"n_{table}"),),
        fill_null=0,
        entity=entity,
    )


def probe_frame(
    view: BundleView,
    task: str,
    label: str,
    keys: Sequence[str],
    joins: Sequence[Join],
    max_rows: int = PROBE_ROWS,
) -> pl.DataFrame:
    """Task rows (keys and label, a fixed sample of at most ``max_rows``) joined with every
    column the declared ``joins`` build from public tables.

    Args:
        view: the bundle.
        task: task whose rows are probed.
        label: its binary label.
        keys: key columns taken from the task splits (for example ``lead_id``).
        joins: joins and aggregates, applied in order.
        max_rows: sample size cap (sampling uses a fixed seed).

    Returns:
        One row per (sampled) task row.
    """
    rows = task_rows(view, task, [*keys, label])
    if rows.height > max_rows:
        rows = rows.sample(n=max_rows, seed=0)
    for join in joins:
        rows = join.apply(rows, view)
    return rows


def join_reconstruction(
    name: str = "join_reconstruction",
    *,
    task: str,
    label: str,
    keys: Sequence[str],
    joins: Sequence[Join],
    public_only: bool = True,
    skip: Iterable[str] = (),
) -> Check:
    """Check that no single-column rule over joins of public tables reveals ``label``.

    A rule is flagged when its precision is at least :data:`PRECISION_LIMIT` with 95 %
    confidence (Wilson lower bound) at recall ≥ :data:`RECALL_LIMIT` (see
    :func:`revealing_rules`).

    Args:
        name: name of the check and of its findings.
        task: task whose rows are probed (skipped when the bundle lacks it).
        label: its binary label.
        keys: key columns taken from the task splits.
        joins: the joins and aggregates a student could build (:class:`Join`,
            :func:`count_rows`).
        public_only: run only on public bundles (instructor tables show the future).
        skip: columns of the probe frame not to judge.

    Returns:
        A check yielding one finding per revealing rule.
    """
    skipped = tuple(skip)

    def run(view: BundleView) -> Iterator[Finding]:
        if (public_only and not view.mode.is_public) or task not in view.task_names():
            return
        frame = probe_frame(view, task, label, keys, joins)
        for r in revealing_rules(best_rules(frame, label, skipped)):
            yield Finding(
                name,
                f"public rule {r['rule']} reveals the label (precision {r['precision']:.3f}, "
                f"95% lower bound {r['low']:.3f}, recall {r['recall']:.3f})",
                f"{layout.TASKS_DIR}/{task}",
            )

    return named_check(name, run)


# --------------------------------------------------------------------------- feature leakage


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), 1-based."""
    order = np.argsort(values)  # ties get their mean rank: any order will do
    return _ranks_sorted(order, values[order])


def _ranks_sorted(order: np.ndarray, sorted_v: np.ndarray) -> np.ndarray:
    """:func:`_ranks` of the values ``sorted_v`` that ``order`` sorted."""
    new = np.concatenate(([True], sorted_v[1:] != sorted_v[:-1]))
    group = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], sorted_v.size)
    mean_rank = (starts + ends + 1) / 2.0
    ranks = np.empty(sorted_v.size, dtype=np.float64)
    ranks[order] = mean_rank[group]
    return ranks


def roc_auc(score: np.ndarray, y: np.ndarray) -> float | None:
    """ROC AUC of ``score`` for boolean ``y`` (Mann-Whitney, ties count half); ``None``
    when a class is empty."""
    return _auc_from_ranks(None if y.size == 0 else _ranks(score), y)


def _auc_from_ranks(r: np.ndarray | None, y: np.ndarray) -> float | None:
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0 or r is None:
        return None
    return float((r[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman rank correlation (average ranks); ``None`` when either side is constant."""
    return _rank_correlation(_ranks(a), _ranks(b))


def spearman_lower_bound(rho: float, n: int) -> float:
    """Lower end of the 95 % confidence interval of a Spearman correlation ``rho`` measured
    on ``n`` rows (Fisher's z with the Fieller-Hartley-Pearson variance ``1.06 / (n - 3)``);
    ``1.0`` for a perfect correlation.

    Args:
        rho: the measured correlation (use its absolute value for a two-sided judgement).
        n: rows it was measured on (at least 4).

    Returns:
        The lower bound, in ``[-1, 1]``.
    """
    if rho >= 1.0:
        return 1.0
    if n <= 3:
        return -1.0
    return math.tanh(math.atanh(rho) - 1.96 * math.sqrt(1.06 / (n - 3)))


def _rank_correlation(ra: np.ndarray, rb: np.ndarray) -> float | None:
    sa, sb = ra.std(), rb.std()
    if ra.size < 3 or sa == 0 or sb == 0:
        return None
    return float(((ra - ra.mean()) * (rb - rb.mean())).mean() / (sa * sb))


@attrs.frozen
class Leak:
    """A feature that (almost) reveals a target."""

    feature: str
    target: str
    reason: str


def leaking_features(
    frame: pl.DataFrame,
    target: str,
    task_type: str,
    features: Iterable[str],
    *,
    min_rows: int = 50,
) -> list[Leak]:
    """Features of ``frame`` that reveal ``target`` on their own.

    Binary targets: a numeric feature with ROC AUC ≥ :data:`RANK_LIMIT` (or ≤ 1 - limit), or
    any feature with a rule of :func:`revealing_rules` (threshold, category value, null).
    Regression targets: a numeric feature whose |Spearman| reaches :data:`RANK_LIMIT` with
    95 % confidence (:func:`spearman_lower_bound`: a small split can show a high correlation by
    chance, an exact copy of the target cannot hide). Rows where the feature or target is null
    are left out of the rank statistics.

    Args:
        frame: task rows.
        target: target column.
        task_type: ``"binary"`` or ``"regression"``.
        features: columns to judge.
        min_rows: rank statistics need at least this many complete rows.

    Returns:
        One :class:`Leak` per revealing feature (the strongest reason).
    """
    leaks: list[Leak] = []
    y_all = frame[target]
    # Ranks of a regression target over all its non-null rows, shared by every feature
    # without nulls there.
    y_ranks: np.ndarray | None = None
    y = y_all.cast(pl.Boolean) if task_type == "binary" else y_all
    for col in features:
        s = frame[col]
        numeric = _is_numeric(s.dtype) and s.dtype != pl.Boolean
        if task_type == "binary":
            # Without null labels, one sort of the feature serves its ranks and its rules.
            sorted_ = _Sorted.of(_numeric(s), y) if numeric and not y.null_count() else None
            if sorted_ is not None:
                if sorted_.values.size >= min_rows:
                    auc = _auc_from_ranks(sorted_.ranks(), sorted_.labels)
                    if auc is not None and max(auc, 1 - auc) >= RANK_LIMIT:
                        leaks.append(Leak(col, target, f"ROC AUC {auc:.4f}"))
                        continue
            elif numeric:
                ok = (s.is_not_null() & y.is_not_null()).to_numpy()
                if ok.sum() >= min_rows:
                    values = _numeric(s).to_numpy()[ok]
                    auc = roc_auc(values, y.to_numpy()[ok].astype(bool))
                    if auc is not None and max(auc, 1 - auc) >= RANK_LIMIT:
                        leaks.append(Leak(col, target, f"ROC AUC {auc:.4f}"))
                        continue
            if sorted_ is not None:
                n_pos = int(y.sum())
                named_out = col.endswith("_id") or col == "row_id"  # as best_rules skips them
                counts = sorted_.rule_counts(col) if n_pos and not named_out else []
                hits = revealing_rules(_rule_rows(col, counts, n_pos))
            else:
                hits = revealing_rules(best_rules(frame.select(col, target), target))
            if hits:
                r = hits[0]
                leaks.append(
                    Leak(
                        col,
                        target,
                        f"rule {r['rule']} has precision {r['precision']:.3f} (95% lower "
                        f"bound {r['low']:.3f}) at recall {r['recall']:.3f}",
                    )
                )
        elif task_type == "regression" and numeric and y_all.dtype.is_numeric():
            ok = (s.is_not_null() & y_all.is_not_null()).to_numpy()
            if ok.sum() < min_rows:
                continue
            y_known = y_all.is_not_null().to_numpy()
            if np.array_equal(ok, y_known):
                if y_ranks is None:
                    y_ranks = _ranks(y_all.cast(pl.Float64).to_numpy()[ok])
                rho = _rank_correlation(_ranks(_numeric(s).to_numpy()[ok]), y_ranks)
            else:
                rho = spearman(_numeric(s).to_numpy()[ok], y_all.cast(pl.Float64).to_numpy()[ok])
            if rho is not None and spearman_lower_bound(abs(rho), int(ok.sum())) >= RANK_LIMIT:
                leaks.append(Leak(col, target, f"Spearman {rho:.4f}"))
    return leaks


def _split_leaks(
    frame: pl.DataFrame,
    declared_targets: Iterable[str],
    task_type: str,
    groups: Mapping[str, str],
    traps: set[str],
    exempt_groups: frozenset[str] = frozenset(),
) -> list[Leak]:
    """Leaks of one task split: every feature (not a trap, not in ``exempt_groups``) judged
    against every target."""
    targets = [t for t in declared_targets if t in frame.columns]
    features = [
        c
        for c in frame.columns
        if c in groups
        and groups[c] not in NON_FEATURE_GROUPS
        and groups[c] not in exempt_groups
        and c not in targets
        and c not in traps
        and c != "row_id"
    ]
    return [
        leak for target in targets for leak in leaking_features(frame, target, task_type, features)
    ]


def _feature_leakage(view: BundleView, name: str) -> Iterator[Finding]:
    dictionary = view.feature_dictionary()
    if not {"feature_name", "feature_group", "leakage_risk"} <= set(dictionary.columns):
        return  # reported by the feature checks
    groups = dict(zip(dictionary["feature_name"], dictionary["feature_group"], strict=True))
    traps = set(dictionary.filter(pl.col("leakage_risk") == "true")["feature_name"])
    # Per-row truth is meant to reveal the target (it is the oracle's input, never a feature) and
    # exists only for instructors; in a public bundle such a column is judged like any other.
    exempt = frozenset() if view.mode.is_public else frozenset({TRUTH_GROUP})
    for task in view.task_names():
        tm = view.task_manifest(task)
        task_type = str(tm.get("task_type"))
        cap = LEAKAGE_RANK_ROWS if task_type == "regression" else LEAKAGE_ROWS
        frames: dict[str, pl.DataFrame] = {}
        for split in SPLITS:
            frame = view.task_split(task, split)
            frames[split] = frame.sample(n=cap, seed=0) if frame.height > cap else frame

        # Splits are judged independently (polars and numpy release the GIL while sorting);
        # findings are gathered in split order whatever finishes first.
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [
                pool.submit(
                    _split_leaks,
                    frames[split],
                    tm.get("targets", []),
                    task_type,
                    groups,
                    traps,
                    exempt,
                )
                for split in SPLITS
            ]
            judged = [f.result() for f in futures]
        found: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for split, leaks in zip(SPLITS, judged, strict=True):
            for leak in leaks:
                found.setdefault((leak.feature, leak.target), []).append((split, leak.reason))
        for (feature, target), hits in found.items():
            splits = ", ".join(split for split, _ in hits)
            yield Finding(
                name,
                f"feature {feature!r} reveals {target} in {splits} ({hits[0][1]}) and is not a "
                "declared trap",
                f"{layout.TASKS_DIR}/{task}",
            )


def feature_leakage(name: str = "leakage") -> Check:
    """Check that no task feature reveals its target on its own (see :func:`leaking_features`).

    Features flagged ``leakage_risk=true`` in the feature dictionary (declared traps),
    identifiers and targets are exempt, and so, in instructor bundles only, are the per-row
    hidden-truth columns (feature group ``hidden_truth``: the inputs of ``leadforge
    evaluate``'s oracle, never features; a public bundle's are judged). Each split is probed on its own (a leak planted in one
    split only is found), and a feature is reported once per task and target, naming the
    splits. The core runs this check on every task of every bundle.

    Args:
        name: name of the check and of its findings.

    Returns:
        A check yielding one finding per task, target and leaking feature.
    """
    return named_check(name, lambda view: _feature_leakage(view, name))


__all__ = [
    "BAND_MIN_ROWS",
    "BAND_TOLERANCE",
    "LEAKAGE_RANK_ROWS",
    "LEAKAGE_ROWS",
    "MIN_SUPPORT",
    "PRECISION_LIMIT",
    "PROBE_ROWS",
    "RANK_LIMIT",
    "RECALL_LIMIT",
    "Bound",
    "Join",
    "Leak",
    "at_column",
    "best_rules",
    "binary_tasks",
    "count_rows",
    "days_after_start",
    "entity_positions",
    "event_windows",
    "feature_leakage",
    "fixed_moment",
    "join_reconstruction",
    "leaking_features",
    "prevalence_band",
    "probe_frame",
    "revealing_rules",
    "roc_auc",
    "scheme_detail",
    "spearman",
    "spearman_lower_bound",
    "task_rows",
]
