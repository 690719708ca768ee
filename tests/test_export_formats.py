"""Every export format read back by its own consumer, on both schemes and both modes."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from leadforge_core import Generator, export, plugins
from leadforge_core.exporters._frames import plain
from leadforge_core.exporters.run import open_bundle
from leadforge_core.exporters.teaching import context_columns

TESTS = Path(__file__).parent
SCHEMES = {
    "lead_scoring": ("leadforge_lead_scoring", "b2b_saas_procurement_v1", {"n_leads": 600}),
    "lifecycle": ("leadforge_lifecycle", "b2b_saas_ltv_v1", {"n_customers": 400}),
}
MODES = ("student_public", "research_instructor")
CASES = [(s, m) for s in SCHEMES for m in MODES]
IDS = [f"{s}-{m}" for s, m in CASES]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    plugins.set_host(None)
    root = tmp_path_factory.mktemp("export-bundles")
    out: dict[tuple[str, str], Path] = {}
    for scheme, (module, recipe, sizes) in SCHEMES.items():
        if importlib.util.find_spec(module) is None:
            continue
        for mode in MODES:
            gen = Generator.from_recipe(recipe, seed=5, exposure_mode=mode, **sizes)
            out[(scheme, mode)] = gen.generate(timestamp=0).save(root / f"{scheme}-{mode}")
    return out


def _bundle(bundles: dict[tuple[str, str], Path], scheme: str, mode: str) -> Path:
    if (scheme, mode) not in bundles:
        pytest.skip(f"{SCHEMES[scheme][0]} is not installed")
    plugins.set_host(None)
    return bundles[(scheme, mode)]


def _read_back(csv: Path, like: pl.DataFrame) -> pl.DataFrame:
    return pl.read_csv(csv, schema=plain(like).schema)


@pytest.mark.parametrize(("scheme", "mode"), CASES, ids=IDS)
def test_csv_reads_back_equal(
    bundles: dict[tuple[str, str], Path], scheme: str, mode: str, tmp_path: Path
) -> None:
    src = _bundle(bundles, scheme, mode)
    out = tmp_path / "csv"
    result = export(src, "csv", out)
    source = open_bundle(src)
    for table in source.table_names():
        frame = source.table(table)
        assert_frame_equal(_read_back(out / "tables" / f"{table}.csv", frame), plain(frame))
    for task in source.task_names():
        for split in source.split_names(task):
            frame = source.task_split(task, split)
            back = _read_back(out / "tasks" / task / f"{split}.csv", frame)
            assert_frame_equal(back, plain(frame))
    for rel in ("dataset_card.md", "feature_dictionary.csv"):
        assert (out / rel).read_bytes() == (src / rel).read_bytes()
    metadata = sorted(p.name for p in (out / "metadata").iterdir())
    if mode == "student_public":
        assert metadata == ["public_summary.json"]
    else:
        assert metadata == sorted(p.name for p in (src / "metadata").iterdir())
        assert "latent_registry.json" in metadata
    assert set(result.files) == {
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize(("scheme", "mode"), CASES, ids=IDS)
def test_duckdb_keys_joins_and_readme_queries(
    bundles: dict[tuple[str, str], Path], scheme: str, mode: str, tmp_path: Path
) -> None:
    import duckdb

    from leadforge_core.exporters.duckdb_format import queries_of

    src = _bundle(bundles, scheme, mode)
    out = tmp_path / "db"
    export(src, "duckdb", out)
    source = open_bundle(src)
    tables = source.table_names()
    expected_fks = {
        (t, fk.column, fk.ref_table)
        for t in tables
        for fk in source.table_spec(t).foreign_keys  # type: ignore[union-attr]
        if fk.ref_table in tables
    }
    con = duckdb.connect(str(out / "dataset.duckdb"), read_only=True)
    fks = {
        (t, cols[0], ref)
        for t, cols, ref in con.execute(
            "SELECT table_name, constraint_column_names, referenced_table FROM "
            "duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'"
        ).fetchall()
    }
    assert fks == expected_fks and fks
    pks = dict(
        con.execute(
            "SELECT table_name, constraint_column_names[1] FROM duckdb_constraints() "
            "WHERE constraint_type = 'PRIMARY KEY' AND schema_name = 'main'"
        ).fetchall()
    )
    assert pks == {t: source.table_spec(t).primary_key for t in tables}  # type: ignore[union-attr]
    for child, column, parent in sorted(fks):  # every foreign key joins without orphans
        joined, orphans = con.execute(
            f'SELECT count(p."{pks[parent]}"), count(*) FILTER (WHERE p."{pks[parent]}" IS NULL '
            f'AND c."{column}" IS NOT NULL) FROM "{child}" c LEFT JOIN "{parent}" p '
            f'ON c."{column}" = p."{pks[parent]}"'
        ).fetchone()
        assert orphans == 0 and joined == source.table(child)[column].drop_nulls().len()
    for task in source.task_names():
        for split in source.split_names(task):
            (n,) = con.execute(f'SELECT count(*) FROM tasks."{task}_{split}"').fetchone()
            assert n == source.task_split(task, split).height
    (n_features,) = con.execute("SELECT count(*) FROM leadforge.feature_dictionary").fetchone()
    assert n_features == source.feature_dictionary().height
    queries = queries_of((out / "README.md").read_text())
    assert len(queries) >= 5 and any("JOIN" in q for q in queries)
    for sql in queries:
        assert con.execute(sql).fetchall(), sql
    con.close()
    # the keys are enforced, not only listed
    child, column, parent = sorted(fks)[0]
    con = duckdb.connect(str(out / "dataset.duckdb"))
    row = con.execute(f'SELECT * FROM "{child}" LIMIT 1').fetchone()
    cols = [r[0] for r in con.execute(f'DESCRIBE "{child}"').fetchall()]
    values = list(row)
    values[cols.index(column)] = "no_such_parent"
    values[cols.index(pks[child])] = "new_row_id"
    with pytest.raises(duckdb.ConstraintException):
        con.execute(f'INSERT INTO "{child}" VALUES ({", ".join("?" * len(values))})', values)
    con.close()


def test_hf_folders_load_offline_with_datasets(
    bundles: dict[tuple[str, str], Path], tmp_path: Path
) -> None:
    pytest.importorskip("datasets")
    folders: dict[str, dict[str, object]] = {}
    for (scheme, mode), src in bundles.items():
        plugins.set_host(None)
        out = tmp_path / f"{scheme}-{mode}"
        export(src, "hf", out)
        source = open_bundle(src)
        folders[str(out)] = {
            "default": {
                {"valid": "validation"}.get(s, s): source.task_split(source.primary_task, s).height
                for s in source.split_names(source.primary_task)
            },
            "tables": {t: source.table(t).height for t in source.table_names()},
            "tasks": source.task_names(),
        }
    if not folders:
        pytest.skip("no scheme plugin installed")
    script = (
        "import json, sys\n"
        "from datasets import load_dataset\n"
        "out = {}\n"
        "for folder in json.loads(sys.argv[1]):\n"
        "    d = load_dataset(folder)\n"
        "    tables = {}\n"
        "    for t in json.loads(sys.argv[2])[folder]:\n"
        "        tables[t] = load_dataset(folder, t)['train'].num_rows\n"
        "    out[folder] = {'default': {k: v.num_rows for k, v in d.items()}, 'tables': tables}\n"
        "print(json.dumps(out))\n"
    )
    env = {
        **os.environ,
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf-home"),
    }
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            json.dumps(sorted(folders)),
            json.dumps({f: list(v["tables"]) for f, v in folders.items()}),  # type: ignore[call-overload]
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    loaded = json.loads(res.stdout.strip().splitlines()[-1])
    for folder, want in folders.items():
        assert loaded[folder]["default"] == want["default"]
        assert loaded[folder]["tables"] == want["tables"]
        header = (Path(folder) / "README.md").read_text().split("---\n")[1]
        assert "license: cc0-1.0" in header and "size_categories:" in header
        assert "task_categories:" in header and "tabular-" in header


@pytest.mark.parametrize(("scheme", "mode"), CASES, ids=IDS)
def test_kaggle_metadata_matches_schema_and_files(
    bundles: dict[tuple[str, str], Path], scheme: str, mode: str, tmp_path: Path
) -> None:
    import jsonschema

    src = _bundle(bundles, scheme, mode)
    out = tmp_path / "kaggle"
    export(src, "kaggle", out, options={"owner": "acme", "license": "cc-by-4.0"})
    metadata = json.loads((out / "dataset-metadata.json").read_text())
    schema = json.loads((TESTS / "kaggle_metadata.schema.json").read_text())
    jsonschema.validate(metadata, schema)
    assert metadata["id"].startswith("acme/") and metadata["licenses"] == [{"name": "CC-BY-4.0"}]
    source = open_bundle(src)
    expected = {f"{t}.csv" for t in source.table_names()} | {
        f"{t}_{s}.csv" for t in source.task_names() for s in source.split_names(t)
    }
    paths = {r["path"] for r in metadata["resources"]}
    assert paths == expected | {"feature_dictionary.csv"}
    for resource in metadata["resources"]:
        header = pl.read_csv(out / resource["path"], n_rows=1).columns
        assert header == [f["name"] for f in resource["schema"]["fields"]]
    leads_like = next(
        r for r in metadata["resources"] if r["path"] == f"{source.table_names()[0]}.csv"
    )
    spec = source.table_spec(source.table_names()[0])
    assert spec is not None
    first = spec.columns[0]
    assert leads_like["schema"]["fields"][0]["description"] == first.description
    bad = tmp_path / "bad"
    with pytest.raises(Exception, match="unknown license"):
        export(src, "kaggle", bad, options={"license": "all-rights-reserved"})
    assert not bad.exists()


@pytest.mark.parametrize(("scheme", "mode"), CASES, ids=IDS)
def test_teaching_csv_reads_with_pandas(
    bundles: dict[tuple[str, str], Path], scheme: str, mode: str, tmp_path: Path
) -> None:
    import pandas as pd

    src = _bundle(bundles, scheme, mode)
    out = tmp_path / "teach"
    export(src, "teaching-csv", out)
    source = open_bundle(src)
    task = source.primary_task
    dictionary = pd.read_csv(out / "data_dictionary.csv")
    assert dictionary["description"].notna().all()
    dates = dictionary.loc[dictionary["dtype"].str.startswith("datetime"), "column"].tolist()
    target = source.targets(task)[0]
    assert dictionary.loc[dictionary["column"] == target, "role"].tolist() == ["target"]
    joins = context_columns(source, source.task_split(task, "train").columns)
    assert joins, "no readable column was joined"
    policy = source.exposure
    assert policy is not None
    for table, _, col in joins:
        assert col not in policy.redact_columns.get(table, ())
        assert col not in policy.as_of_columns.get(table, ())
    for split in source.split_names(task):
        frame = pd.read_csv(out / f"{split}.csv", parse_dates=dates)
        rows = source.task_split(task, split)
        assert list(frame.columns) == dictionary["column"].tolist()
        assert len(frame) == rows.height
        assert frame[target].tolist() == rows[target].to_list()
        assert all(pd.api.types.is_datetime64_any_dtype(frame[c]) for c in dates)
        table, key, col = joins[0]
        lookup = dict(source.table(table).select(key, pl.col(col).cast(pl.String)).iter_rows())
        assert frame[col].fillna("").tolist() == [lookup[k] or "" for k in frame[key]]
    readme = (out / "README.md").read_text()
    assert "pd.read_csv('train.csv'" in readme


@pytest.mark.parametrize("fmt", ["csv", "duckdb", "hf", "kaggle", "teaching-csv"])
def test_public_export_carries_no_truth(
    bundles: dict[tuple[str, str], Path], fmt: str, tmp_path: Path
) -> None:
    checked = 0
    for scheme in SCHEMES:
        if (scheme, "student_public") not in bundles:
            continue
        public = _bundle(bundles, scheme, "student_public")
        instructor = bundles[(scheme, "research_instructor")]
        registry = json.loads((instructor / "metadata" / "latent_registry.json").read_text())
        entries = (
            registry["latents"] if "latents" in registry else [{"name": k} for k in registry]
        )  # the two schemes lay their registry out differently
        latents = {str(entry["name"]) for entry in entries}
        bundle_text = "".join(
            p.read_text(errors="ignore")
            for p in public.rglob("*")
            if p.suffix in {".json", ".md", ".csv"}
        )
        secret = {n for n in latents if n not in bundle_text}
        assert secret, "the test needs latent names absent from the public bundle"
        out = tmp_path / f"{scheme}-{fmt}"
        export(public, fmt, out)
        truth_files = {p.name for p in (instructor / "metadata").iterdir()} - {
            "public_summary.json"
        }
        assert not {p.name for p in out.rglob("*")} & truth_files
        blob = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
        leaked = sorted(n for n in secret if n.encode() in blob)
        assert not leaked, leaked
        checked += 1
    if not checked:
        pytest.skip("no scheme plugin installed")


@pytest.mark.parametrize("fmt", ["csv", "hf", "kaggle", "teaching-csv"])
def test_exports_are_byte_identical(
    bundles: dict[tuple[str, str], Path], fmt: str, tmp_path: Path
) -> None:
    if not bundles:
        pytest.skip("no scheme plugin installed")
    src = sorted(bundles.items())[0][1]
    plugins.set_host(None)
    first, second = tmp_path / "a", tmp_path / "b"
    export(src, fmt, first)
    export(src, fmt, second)
    from helpers import file_hashes

    assert file_hashes(first) == file_hashes(second)


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_teaching_csv_is_the_same_from_either_mode(
    bundles: dict[tuple[str, str], Path], scheme: str, tmp_path: Path
) -> None:
    """Joined context columns are ones public bundles show unchanged, so an instructor bundle
    adds nothing to the teaching files of the same world."""
    public = _bundle(bundles, scheme, "student_public")
    instructor = bundles[(scheme, "research_instructor")]
    source = open_bundle(public)
    task = source.primary_task
    inst_source = open_bundle(instructor)
    if inst_source.task_split(task, "train").columns != source.task_split(task, "train").columns:
        pytest.skip("the task itself differs between modes")
    for mode, src in (("public", public), ("instructor", instructor)):
        export(src, "teaching-csv", tmp_path / mode)
    for split in source.split_names(task):
        a = (tmp_path / "public" / f"{split}.csv").read_bytes()
        assert a == (tmp_path / "instructor" / f"{split}.csv").read_bytes()
    assert (tmp_path / "public" / "data_dictionary.csv").read_bytes() == (
        tmp_path / "instructor" / "data_dictionary.csv"
    ).read_bytes()


def test_duckdb_contents_are_reproducible(
    bundles: dict[tuple[str, str], Path], tmp_path: Path
) -> None:
    import duckdb

    if not bundles:
        pytest.skip("no scheme plugin installed")
    src = sorted(bundles.items())[0][1]
    plugins.set_host(None)
    dumps = []
    for name in ("a", "b"):
        export(src, "duckdb", tmp_path / name)
        con = duckdb.connect(str(tmp_path / name / "dataset.duckdb"), read_only=True)
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        dump = {
            f"{s}.{t}": con.execute(f'SELECT * FROM "{s}"."{t}" ORDER BY ALL').fetchall()
            for s, t in tables
        }
        dump["constraints"] = con.execute(
            "SELECT table_name, constraint_text FROM duckdb_constraints() ORDER BY ALL"
        ).fetchall()
        dump["comments"] = con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() ORDER BY ALL"
        ).fetchall()
        con.close()
        dumps.append(dump)
    assert dumps[0] == dumps[1] and len(dumps[0]) > 5
