"""``duckdb``: one database file with keys declared, task splits, the feature dictionary and a
README of example queries."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from leadforge_core.bundle.model import ForeignKey
from leadforge_core.errors import ExportError
from leadforge_core.exporters._frames import plain, write_text
from leadforge_core.exporters.base import Exporter, ExportSource

if TYPE_CHECKING:
    import duckdb

DATABASE = "dataset.duckdb"
TASK_SCHEMA = "tasks"
INFO_SCHEMA = "leadforge"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _order(tables: list[str], fks: dict[str, list[ForeignKey]]) -> list[str]:
    """Tables parents-first, so every foreign key references an existing table."""
    done: list[str] = []
    pending = list(tables)
    while pending:
        ready = [t for t in pending if all(f.ref_table in done for f in fks[t])]
        if not ready:  # a cycle: keep the declaration order, keys on the rest are skipped
            ready = pending[:1]
        for t in ready:
            done.append(t)
            pending.remove(t)
    return done


def _load(
    con: duckdb.DuckDBPyConnection,
    qualified: str,
    frame: pl.DataFrame,
    constraints: list[str],
) -> None:
    data = plain(frame).to_arrow()
    con.register("_leadforge_src", data)
    try:
        types = con.execute("DESCRIBE SELECT * FROM _leadforge_src").fetchall()
        columns = [f"{ident(str(row[0]))} {row[1]}" for row in types]
        con.execute(f"CREATE TABLE {qualified} ({', '.join(columns + constraints)})")
        con.execute(f"INSERT INTO {qualified} SELECT * FROM _leadforge_src")
    finally:
        con.unregister("_leadforge_src")


def _comment(con: duckdb.DuckDBPyConnection, qualified: str, text: str) -> None:
    if text:
        con.execute(f"COMMENT ON TABLE {qualified} IS {literal(text)}")


def _column_comment(con: duckdb.DuckDBPyConnection, qualified: str, col: str, text: str) -> None:
    if text:
        con.execute(f"COMMENT ON COLUMN {qualified}.{ident(col)} IS {literal(text)}")


class DuckDBExporter(Exporter):
    """``dataset.duckdb`` and ``README.md``.

    Bundle tables are in the ``main`` schema with the scheme's primary and foreign keys
    declared (DuckDB checks them while loading); task splits are ``tasks.<task>_<split>``;
    ``leadforge.feature_dictionary`` and ``leadforge.bundle`` describe the data. Table and
    column descriptions are stored as DuckDB comments.
    """

    name = "duckdb"
    title = "DuckDB database with primary and foreign keys, task splits and example queries"
    requires = ("duckdb",)
    extra = "duckdb"

    def write(self, source: ExportSource, out: Path) -> None:
        import duckdb

        tables = source.table_names()
        fks: dict[str, list[ForeignKey]] = {}
        pks: dict[str, str] = {}
        for t in tables:
            spec = source.table_spec(t)
            columns = source.table(t).columns
            if spec is not None and spec.primary_key in columns:
                pks[t] = str(spec.primary_key)
            fks[t] = [
                fk
                for fk in (spec.foreign_keys if spec is not None else ())
                if fk.column in columns and fk.ref_table in tables and fk.ref_table != t
            ]
        order = _order(tables, fks)
        declared: list[tuple[str, ForeignKey]] = []
        con = duckdb.connect(str(out / DATABASE))
        try:
            loaded: set[str] = set()
            for t in order:
                constraints = [f"PRIMARY KEY ({ident(pks[t])})"] if t in pks else []
                for fk in fks[t]:
                    if fk.ref_table in loaded and pks.get(fk.ref_table) == fk.ref_column:
                        constraints.append(
                            f"FOREIGN KEY ({ident(fk.column)}) REFERENCES "
                            f"{ident(fk.ref_table)} ({ident(fk.ref_column)})"
                        )
                        declared.append((t, fk))
                try:
                    _load(con, ident(t), source.table(t), constraints)
                except duckdb.ConstraintException as exc:
                    raise ExportError(f"table {t} breaks a declared key: {exc}") from None
                loaded.add(t)
                _comment(con, ident(t), source.table_description(t))
                for col in source.table(t).columns:
                    _column_comment(con, ident(t), col, source.column_description(t, col))
            con.execute(f"CREATE SCHEMA {TASK_SCHEMA}")
            task_tables: list[tuple[str, str, str]] = []
            for task in source.task_names():
                tm = source.task_manifest(task)
                for split in source.split_names(task):
                    name = f"{task}_{split}"
                    qualified = f"{TASK_SCHEMA}.{ident(name)}"
                    frame = source.task_split(task, split)
                    _load(con, qualified, frame, [])
                    _comment(
                        con, qualified, f"{split} split of task {task}: {tm.get('description', '')}"
                    )
                    for col in frame.columns:
                        feature = source.feature(col) or {}
                        _column_comment(con, qualified, col, feature.get("description", ""))
                    task_tables.append((task, split, name))
            con.execute(f"CREATE SCHEMA {INFO_SCHEMA}")
            _load(con, f"{INFO_SCHEMA}.feature_dictionary", source.feature_dictionary(), [])
            manifest = source.manifest
            info = pl.DataFrame(
                {
                    "key": [
                        "scheme",
                        "recipe",
                        "title",
                        "seed",
                        "exposure_mode",
                        "difficulty",
                        "generated_at",
                    ],
                    "value": [
                        source.scheme,
                        source.recipe_id,
                        source.title,
                        str(manifest.get("seed")),
                        str(source.mode),
                        str(manifest.get("difficulty")),
                        str(manifest.get("generated_at")),
                    ],
                }
            )
            _load(con, f"{INFO_SCHEMA}.bundle", info, ["PRIMARY KEY (key)"])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        write_text(out / "README.md", _readme(source, pks, declared, task_tables))


def _queries(
    source: ExportSource,
    pks: dict[str, str],
    declared: list[tuple[str, ForeignKey]],
    task_tables: list[tuple[str, str, str]],
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    counts = " UNION ALL\n".join(
        f"SELECT {literal(t)} AS table_name, count(*) AS n_rows FROM {ident(t)}"
        for t in source.table_names()
    )
    out.append(("Rows per table", counts + "\nORDER BY table_name;"))
    out.append(
        (
            "Declared primary and foreign keys",
            "SELECT table_name, constraint_type, constraint_column_names, "
            "referenced_table, referenced_column_names\nFROM duckdb_constraints()\n"
            "WHERE constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY') AND schema_name = 'main'\n"
            "ORDER BY table_name, constraint_type;",
        )
    )
    for child, fk in declared[:3]:
        parent_key = ident(fk.ref_column)
        out.append(
            (
                f"`{child}` per `{fk.ref_table}` (a foreign-key join)",
                f"SELECT p.{parent_key}, count(c.{ident(fk.column)}) AS n_{child}\n"
                f"FROM {ident(fk.ref_table)} AS p\n"
                f"LEFT JOIN {ident(child)} AS c ON c.{ident(fk.column)} = p.{parent_key}\n"
                f"GROUP BY p.{parent_key}\nORDER BY n_{child} DESC, p.{parent_key}\nLIMIT 5;",
            )
        )
    primary = source.primary_task
    for task, split, name in task_tables:
        if task != primary:
            continue
        targets = source.targets(task)
        if targets:
            target = ident(targets[0])
            out.append(
                (
                    f"Target of `{task}` in the {split} split",
                    f"SELECT count(*) AS n_rows, avg({target}::DOUBLE) AS target_mean\n"
                    f"FROM {TASK_SCHEMA}.{ident(name)};",
                )
            )
    train = next((n for t, s, n in task_tables if t == primary and s == "train"), None)
    if train is not None:
        frame_cols = set(source.task_split(primary, "train").columns)
        joinable = [t for t, pk in pks.items() if pk in frame_cols]
        targets = source.targets(primary)
        if joinable and targets:
            t = max(joinable, key=lambda n: (source.table(n).height, n))  # the row entity
            pk = ident(pks[t])
            out.append(
                (
                    f"Training rows joined to `{t}`",
                    f"SELECT e.*, r.{ident(targets[0])}\nFROM {TASK_SCHEMA}.{ident(train)} AS r\n"
                    f"JOIN {ident(t)} AS e ON e.{pk} = r.{pk}\nORDER BY e.{pk}\nLIMIT 5;",
                )
            )
    out.append(
        (
            "Deliberate leakage traps and task columns by group",
            f"SELECT feature_group, count(*) AS n_columns,\n"
            f"       string_agg(feature_name, ', ' ORDER BY feature_name)"
            f" FILTER (WHERE leakage_risk = 'true') AS traps\n"
            f"FROM {INFO_SCHEMA}.feature_dictionary\nGROUP BY feature_group\nORDER BY feature_group;",
        )
    )
    out.append(
        (
            "Column descriptions (stored as comments)",
            "SELECT table_name, column_name, comment\nFROM duckdb_columns()\n"
            "WHERE schema_name = 'main' AND comment IS NOT NULL\n"
            "ORDER BY table_name, column_index\nLIMIT 10;",
        )
    )
    return out


def queries_of(readme: str) -> list[str]:
    """The SQL blocks of a README written by this exporter."""
    parts = readme.split("```sql\n")[1:]
    return [p.split("\n```", 1)[0] for p in parts]


def _readme(
    source: ExportSource,
    pks: dict[str, str],
    declared: list[tuple[str, ForeignKey]],
    task_tables: list[tuple[str, str, str]],
) -> str:
    lines: list[Any] = [
        f"# {source.title} (DuckDB)",
        "",
        f"`{DATABASE}` holds the leadforge bundle of recipe `{source.recipe_id}` "
        f"(scheme `{source.scheme}`, seed {source.manifest.get('seed')}, `{source.mode}`).",
        "",
        "- bundle tables in the `main` schema"
        + (
            f", with {len(pks)} primary keys and {len(declared)} foreign keys declared;"
            if source.scheme_available
            else f"; no keys are declared (the `{source.scheme}` scheme was not installed "
            "when this was exported);"
        ),
        f"- task splits as `{TASK_SCHEMA}.<task>_<split>`: "
        + ", ".join(f"`{TASK_SCHEMA}.{n}`" for _, _, n in task_tables)
        + ";",
        f"- `{INFO_SCHEMA}.feature_dictionary` (every task column) and `{INFO_SCHEMA}.bundle` "
        "(recipe, seed, mode);",
        "- table and column descriptions as comments (`duckdb_columns()`).",
        "",
        "Open it with `duckdb " + DATABASE + "` or, in Python, "
        f"`duckdb.connect('{DATABASE}', read_only=True)`.",
        "",
        "## Example queries",
        "",
    ]
    for title, sql in _queries(source, pks, declared, task_tables):
        lines += [f"### {title}", "", "```sql", sql, "```", ""]
    return "\n".join(lines)
