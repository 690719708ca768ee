"""Contracts every scheme must keep, enforced by the core at publication and in validation.

- **Public ⊆ instructor**: every row ``snapshot_cut`` returns exists, by primary key, in the
  instructor table, and only the columns listed in ``ExposurePolicy.as_of_columns`` may change
  value (:func:`public_subset_problems`).
- **Declared logical types, exactly**: ``int64`` is ``Int64``, ``float64`` is ``Float64``,
  ``category`` is ``Categorical`` or ``Enum`` (never ``String``), ``string`` is ``String``,
  ``datetime`` is naive ``Datetime("us")`` (:func:`schema_problems`, :meth:`DType.accepts`).
- **Task details shape**: the scheme's part of ``task_manifest.json`` carries a snapshot rule,
  target semantics, a leakage policy and a ``split`` object with its strategy and ratios, and
  none of the keys the core writes (:func:`task_details_problems`).

At publication a broken contract is a bug of the scheme and raises
:class:`~leadforge_core.errors.SchemeContractError`; ``leadforge validate`` reports the
single-bundle contracts (types, details) as findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from leadforge_core.bundle.model import TableSpec, dtype_name
from leadforge_core.errors import SchemeContractError
from leadforge_core.ids import IdLookup
from leadforge_core.splits import SplitStrategy

#: Keys of ``task_manifest.json`` the core writes; a scheme's details must not set them.
CORE_TASK_KEYS = ("task", "task_type", "targets", "row_unit", "description", "splits")
#: Keys every task's details must carry, with their JSON type.
REQUIRED_DETAILS: dict[str, type] = {
    "snapshot_rule": str,
    "target_semantics": str,
    "leakage_policy": str,
    "split": dict,
}
#: Optional keys with a fixed type when present.
TYPED_DETAILS: dict[str, tuple[type, ...]] = {
    "horizon_days": (int,),
    "leakage_traps": (list,),
    "excluded_rows": (dict,),
}
_TYPE_NAMES = {str: "a string", dict: "an object", int: "an integer", list: "a list"}
_SPLIT_NAMES = ("train", "valid", "test")


def task_details_problems(details: Mapping[str, Any], *, core_keys: bool = False) -> list[str]:
    """What is wrong with a task's details (the scheme's part of ``task_manifest.json``).

    Args:
        details: ``TaskOutput.details``, or a whole task manifest with ``core_keys=True``.
        core_keys: ``details`` is a written task manifest, so the core's keys are expected.

    Returns:
        One message per missing or wrongly typed key, naming it (empty when the shape is right).
    """
    out: list[str] = []
    if not core_keys:
        out += [f"sets {k!r}, which the core writes" for k in CORE_TASK_KEYS if k in details]
    for key, kind in REQUIRED_DETAILS.items():
        if key not in details:
            out.append(f"lacks {key!r}")
        elif not isinstance(details[key], kind) or isinstance(details[key], bool):
            out.append(f"{key!r} must be {_TYPE_NAMES[kind]}, not {type(details[key]).__name__}")
    for key, kinds in TYPED_DETAILS.items():
        value = details.get(key)
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)):
            out.append(f"{key!r} must be {_TYPE_NAMES[kinds[0]]}, not {type(value).__name__}")
    split = details.get("split")
    if isinstance(split, dict):
        strategies = [str(s) for s in SplitStrategy]
        if "strategy" not in split:
            out.append("lacks 'split.strategy'")
        elif split["strategy"] not in strategies:
            out.append(f"'split.strategy' must be one of {', '.join(strategies)}")
        ratios = split.get("ratios")
        if not isinstance(ratios, dict) or sorted(ratios) != sorted(_SPLIT_NAMES):
            out.append("'split.ratios' must be an object with train, valid and test")
        elif not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in ratios.values()
        ):
            out.append("'split.ratios' values must be numbers")
    return out


def schema_problems(
    specs: Mapping[str, TableSpec],
    tables: Mapping[str, pl.DataFrame],
    redacted: Mapping[str, tuple[str, ...]] | None = None,
) -> list[str]:
    """Tables that are undeclared, miss declared columns, add columns, or whose columns are
    not exactly of their declared logical type.

    Args:
        specs: declared tables by name.
        tables: rendered or published tables.
        redacted: ``{table: columns}`` allowed to be absent (public redactions).

    Returns:
        One message per problem, naming the table and column.
    """
    out: list[str] = []
    for name, frame in tables.items():
        spec = specs.get(name)
        if spec is None:
            out.append(f"table {name!r} is not declared")
            continue
        allowed_missing = set((redacted or {}).get(name, ()))
        missing = [
            c for c in spec.column_names if c not in frame.columns and c not in allowed_missing
        ]
        extra = [c for c in frame.columns if c not in spec.column_names]
        if missing:
            out.append(f"table {name!r} lacks declared columns {', '.join(missing)}")
        if extra:
            out.append(f"table {name!r} has undeclared columns {', '.join(extra)}")
        for col in spec.columns:
            if col.name in frame.columns and not col.dtype.accepts(frame.schema[col.name]):
                out.append(
                    f"{name}.{col.name} is {dtype_name(frame.schema[col.name])}, declared "
                    f"{col.dtype}"
                )
    return out


def _row_hash(columns: list[str]) -> pl.Expr:
    return pl.struct(columns).hash(seed=0).alias("_h") if columns else pl.lit(0, pl.UInt64)


def public_subset_problems(
    specs: Mapping[str, TableSpec],
    instructor: Mapping[str, pl.DataFrame],
    public: Mapping[str, pl.DataFrame],
    as_of: Mapping[str, tuple[str, ...]],
) -> list[str]:
    """Where the public tables are not a subset of the instructor ones.

    Rows are matched by primary key (a table without one must hold only rows the instructor
    table holds, counted with multiplicity). Every column but the table's ``as_of`` columns must
    keep its instructor value and type. Numbered keys (``inv_0000042``, see
    :class:`~leadforge_core.ids.IdLookup`) locate each public row's instructor row directly and
    the columns are compared exactly; other keys are compared through 64-bit row hashes in one
    join per table (a collision could only hide a change, with odds of about one in 2**64 per
    row), and only a table that looks wrong is compared exactly, to name the columns. A table
    returned unchanged (the same frame) is skipped.

    Args:
        specs: declared tables by name.
        instructor: the rendered (instructor) tables.
        public: the tables ``snapshot_cut`` returned.
        as_of: ``ExposurePolicy.as_of_columns``.

    Returns:
        One message per table and problem (empty when public ⊆ instructor).
    """
    out: list[str] = []
    for name, pub in public.items():
        inst = instructor.get(name)
        if inst is None:
            out.append(f"snapshot_cut returned table {name!r}, which render did not")
            continue
        if pub is inst:  # returned unchanged: a subset of itself
            continue
        added = [c for c in pub.columns if c not in inst.columns]
        if added:
            out.append(f"{name}: snapshot_cut added columns {', '.join(added)}")
        keep = set(as_of.get(name, ()))
        cols = [c for c in pub.columns if c in inst.columns and c not in keep]
        retyped = [c for c in cols if pub.schema[c] != inst.schema[c]]
        if retyped:
            out.append(
                f"{name}: snapshot_cut changed the type of {', '.join(retyped)} "
                "(not declared as-of columns)"
            )
            cols = [c for c in cols if c not in retyped]
        spec = specs.get(name)
        pk = spec.primary_key if spec is not None else None
        if pk is not None and pk in pub.columns and pk in inst.columns:
            out += _keyed_problems(name, pk, cols, inst, pub)
        else:
            out += _unkeyed_problems(name, cols, inst, pub)
    return out


def _changed_columns(name: str, counts: Mapping[str, int]) -> list[str]:
    named = [f"{c} ({n} rows)" for c, n in counts.items() if n]
    if not named:
        return []
    return [
        f"{name}: snapshot_cut changed values of {', '.join(named)}, which are not "
        "declared as-of columns"
    ]


def _added_rows(name: str, pk: str, count: int, sample: pl.Series) -> str:
    return (
        f"{name}: snapshot_cut added {count} rows whose {pk} is not in the instructor "
        f"table (e.g. {', '.join(str(v) for v in sample.cast(pl.String).to_list())})"
    )


def _keyed_problems(
    name: str, pk: str, cols: list[str], inst: pl.DataFrame, pub: pl.DataFrame
) -> list[str]:
    lookup = IdLookup.of(inst[pk]) if pub.schema[pk] == pl.String else None
    if lookup is not None:
        return _numbered_problems(name, pk, cols, inst, pub, lookup.positions(pub[pk]))
    out: list[str] = []
    counts = (
        pub.lazy()
        .select(pk, _row_hash(cols))
        .join(
            inst.lazy().select(pk, _row_hash(cols).alias("_h_i")),
            on=pk,
            how="left",
            maintain_order="none",
        )
        .select(
            extra=pl.col("_h_i").is_null().sum(),
            changed=(pl.col("_h") != pl.col("_h_i")).sum(),
        )
        .collect()
    )
    extra, changed = counts["extra"], counts["changed"]
    if extra.item():
        sample = pub.select(pk).join(inst.select(pk), on=pk, how="anti")[pk].head(3)
        out.append(_added_rows(name, pk, int(extra.item()), sample))
    if changed.item():
        joined = pub.select(pk, *[c for c in cols if c != pk]).join(
            inst.select(pk, *[c for c in cols if c != pk]), on=pk, how="inner", suffix="__i"
        )
        diffs = joined.select(
            pl.col(c).ne_missing(pl.col(f"{c}__i")).sum().alias(c) for c in cols if c != pk
        ).row(0, named=True)
        out += _changed_columns(name, diffs)
    return out


def _numbered_problems(
    name: str, pk: str, cols: list[str], inst: pl.DataFrame, pub: pl.DataFrame, pos: np.ndarray
) -> list[str]:
    """:func:`_keyed_problems` for numbered primary keys (:class:`~leadforge_core.ids.IdLookup`):
    each public row is compared, column by column, with the instructor row at ``pos``."""
    out: list[str] = []
    known = pos >= 0
    if not known.all():
        sample = pub.filter(pl.Series(~known))[pk].head(3)
        out.append(_added_rows(name, pk, int((~known).sum()), sample))
    compared = [c for c in cols if c != pk]
    if not compared:
        return out
    rows = pl.Series(pos[known])
    mine = pub.filter(pl.Series(known)) if not known.all() else pub
    theirs = inst.select(compared)[rows]
    diffs = mine.select(compared).select(
        pl.col(c).ne_missing(theirs[c]).sum().alias(c) for c in compared
    )
    return out + _changed_columns(name, diffs.row(0, named=True))


def _unkeyed_problems(
    name: str, cols: list[str], inst: pl.DataFrame, pub: pl.DataFrame
) -> list[str]:
    counts = (
        pub.lazy()
        .select(_row_hash(cols))
        .group_by("_h")
        .len("n_pub")
        .join(inst.lazy().select(_row_hash(cols)).group_by("_h").len("n_inst"), on="_h", how="left")
        .select((pl.col("n_pub") - pl.col("n_inst").fill_null(0)).clip(0, None).sum())
        .collect()
    )
    surplus = int(counts.item() or 0)
    if surplus:
        return [
            f"{name}: snapshot_cut returned {surplus} rows not in the instructor table "
            "(compared on every column but the as-of ones)"
        ]
    return []


def enforce(scheme: object, what: str, problems: list[str]) -> None:
    """Raise :class:`SchemeContractError` naming the scheme and its plugin when ``problems``
    is not empty.

    Args:
        scheme: the scheme (class or instance) at fault.
        what: the contract (for example ``"public ⊆ instructor"``).
        problems: messages from the functions of this module.
    """
    if not problems:
        return
    from leadforge_core.plugins import owner_of

    record = owner_of(scheme)
    cls = scheme if isinstance(scheme, type) else type(scheme)
    raise SchemeContractError(
        plugin=record.name,
        distribution=record.distribution,
        version=record.version,
        scheme=str(getattr(cls, "name", cls.__name__)),
        contract=what,
        problems=problems,
    )


__all__ = [
    "CORE_TASK_KEYS",
    "REQUIRED_DETAILS",
    "enforce",
    "public_subset_problems",
    "schema_problems",
    "task_details_problems",
]
