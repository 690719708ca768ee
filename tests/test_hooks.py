"""The extension hooks: task features, registered checks, derived schemes, the plugins a
bundle records, and validating a bundle whose plugin is not installed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import polars as pl
import pytest

from leadforge_core import DType, Generator, asof, hookimpl, plugins
from leadforge_core.cli.app import run
from leadforge_core.errors import ConfigError, PluginCrash, PluginError
from leadforge_core.features import FeatureInput, TaskFeature
from leadforge_core.plugins import PluginHost, PluginRecord
from leadforge_core.validation.checks import NamedCheck, Selection
from leadforge_core.validation.findings import Finding, named_check
from leadforge_core.validation.runner import validate_bundle

RECIPE = "b2b_saas_procurement_v1"
TASK = "converted_within_90_days"
LEADS = 1500

MakeHost = Callable[..., PluginHost]


@pytest.fixture
def make_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeHost]:
    """``make_host(plugin, record, ...)``: the installed plugins plus throwaway ones, as the
    process-wide host. ``installed=False`` leaves the entry points out."""
    for var in ("LEADFORGE_PLUGINS", "LEADFORGE_DISABLE_PLUGINS", "LEADFORGE_STRICT_PLUGINS"):
        monkeypatch.delenv(var, raising=False)

    def make(*extra: tuple[object, PluginRecord], installed: bool = True) -> PluginHost:
        host = PluginHost(strict=True)
        if installed:
            host.load_entry_points()
        for plugin, record in extra:
            host.register(plugin, record)
        plugins.set_host(host)
        return host

    yield make
    plugins.set_host(None)


def _generate(host: PluginHost, out: Path, mode: str = "student_public", **kw: Any) -> Path:
    recipe = kw.pop("recipe", RECIPE)
    gen = Generator.from_recipe(
        recipe, host=host, seed=kw.pop("seed", 3), n_leads=LEADS, exposure_mode=mode, **kw
    )
    return gen.generate(timestamp=0).save(out)


def _rows(bundle: Path, task: str = TASK) -> pl.DataFrame:
    return pl.concat(
        [
            pl.read_parquet(bundle / "tasks" / task / f"{s}.parquet")
            for s in ("train", "valid", "test")
        ]
    )


# -- task features ---------------------------------------------------------------------------


def _sessions_last_14d(inp: FeatureInput) -> pl.Series:
    counts = (
        inp.events("sessions", window=asof.last_days(14))
        .group_by(inp.key)
        .agg(asof.count().cast(pl.Int64).alias("n"))
    )
    return inp.per_row(counts, "n", fill=0)


def _industry_copy(inp: FeatureInput) -> pl.Series:
    accounts = inp.attributes("accounts", ["account_id", "industry"])
    leads = inp.attributes("leads", ["lead_id", "account_id"])
    per_lead = leads.join(accounts, on="account_id", how="left").select("lead_id", "industry")
    return inp.per_row(per_lead, "industry")


class FeaturePlugin:
    def __init__(self, *features: TaskFeature) -> None:
        self.features = list(features)
        self.calls: list[tuple[str, str]] = []

    @hookimpl
    def leadforge_task_features(self, scheme: str, recipe: str) -> list[TaskFeature]:
        self.calls.append((scheme, recipe))
        return self.features if scheme == "lead_scoring" else []


SESSIONS = TaskFeature(
    "sessions_last_14d",
    _sessions_last_14d,
    DType.INT,
    "web sessions in the 14 days before the anchor",
    tasks=(TASK,),
    group="behavioral",
    derived_from="sessions.session_timestamp",
    window="last 14 days before anchor",
    nullable=False,
)
INDUSTRY = TaskFeature(
    "account_industry_again",
    _industry_copy,
    DType.CATEGORY,
    "the account's industry, read through FeatureInput.attributes",
    row_unit="lead open at its snapshot anchor (lead_created_at + snapshot_day)",
    derived_from="accounts.industry",
    window="static",
)


def test_hook_leadforge_task_features(make_host: MakeHost, tmp_path: Path) -> None:
    plugin = FeaturePlugin(SESSIONS, INDUSTRY)
    record = PluginRecord("sessions_plus", "leadforge-sessions-plus", "2.1")
    host = make_host((plugin, record))
    public = _generate(host, tmp_path / "public")
    instructor = _generate(host, tmp_path / "instructor", mode="research_instructor")
    assert plugin.calls == [("lead_scoring", RECIPE)] * 2

    for bundle in (public, instructor):
        for split in ("train", "valid", "test"):
            frame = pl.read_parquet(bundle / "tasks" / TASK / f"{split}.parquet")
            assert frame.schema["sessions_last_14d"] == pl.Int64
            assert isinstance(frame.schema["account_industry_again"], pl.Categorical | pl.Enum)
        dictionary = pl.read_csv(bundle / "feature_dictionary.csv", infer_schema=False)
        row = dictionary.filter(pl.col("feature_name") == "sessions_last_14d").row(0, named=True)
        assert (row["feature_group"], row["dtype"], row["leakage_risk"]) == (
            "behavioral",
            "int64",
            "false",
        )
        assert row["entity_level"] == "lead"
        card = (bundle / "dataset_card.md").read_text()
        assert "Task features contributed by plugins" in card
        assert (
            "`sessions_last_14d` (`converted_within_90_days`; from leadforge-sessions-plus" in card
        )
        manifest = json.loads((bundle / "manifest.json").read_text())
        assert manifest["generator"]["plugins"] == [
            {
                "distribution": "leadforge-lead-scoring",
                "version": manifest["generator"]["plugin"]["version"],
                "entry_point": "lead_scoring",
                "scheme": "lead_scoring",
            },
            {
                "distribution": "leadforge-sessions-plus",
                "version": "2.1",
                "entry_point": "sessions_plus",
                "task_features": ["sessions_last_14d", "account_industry_again"],
            },
        ]
        report = validate_bundle(bundle, host)
        assert report.ok, [str(f) for f in report.findings]
        assert "leakage" in report.checks_run

    # Identical in both exposure modes (the feature only sees events up to the anchor) …
    cols = ["lead_id", "sessions_last_14d", "account_industry_again"]
    a = _rows(public).select(cols).sort("lead_id")
    b = _rows(instructor).select(cols).sort("lead_id")
    assert a.height > 100 and a.cast({"account_industry_again": pl.String}).equals(
        b.cast({"account_industry_again": pl.String})
    )
    # … and equal to the count a student rebuilds from the public sessions table.
    sessions = pl.read_parquet(public / "tables" / "sessions.parquet")
    anchors = _rows(public).select("lead_id", "snapshot_time")
    rebuilt = (
        sessions.join(anchors, on="lead_id")
        .filter(
            (pl.col("session_timestamp") <= pl.col("snapshot_time"))
            & (pl.col("session_timestamp") > pl.col("snapshot_time") - pl.duration(days=14))
        )
        .group_by("lead_id")
        .len()
    )
    expected = anchors.join(rebuilt, on="lead_id", how="left").select(
        "lead_id", pl.col("len").fill_null(0).cast(pl.Int64).alias("sessions_last_14d")
    )
    assert expected.sort("lead_id").equals(a.select("lead_id", "sessions_last_14d"))
    assert a["sessions_last_14d"].sum() > 0


def test_task_features_change_nothing_else(make_host: MakeHost, tmp_path: Path) -> None:
    plain = _generate(make_host(), tmp_path / "plain")
    host = make_host((FeaturePlugin(SESSIONS), PluginRecord("s", "leadforge-s", "1")))
    extended = _generate(host, tmp_path / "extended")
    for rel in ("tables/leads.parquet", "tables/sessions.parquet"):
        assert (plain / rel).read_bytes() == (extended / rel).read_bytes()
    before, after = _rows(plain), _rows(extended)
    assert after.drop("sessions_last_14d").equals(before)


def _plant(feature: TaskFeature, **changes: Any) -> TaskFeature:
    return attrs.evolve(feature, **changes)


def _raises(inp: FeatureInput) -> pl.Series:
    raise ZeroDivisionError("boom")


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        (
            _plant(
                SESSIONS,
                compute=lambda inp: inp.per_row(
                    inp.events("sessions").group_by(inp.key).agg(asof.count().alias("n")),
                    "n",
                    fill=0,
                ),
            ),
            "values are UInt32, declared int64",
        ),
        (_plant(SESSIONS, compute=lambda inp: pl.Series([1, 2, 3])), "3 values for"),
        (
            _plant(SESSIONS, compute=lambda inp: pl.Series([None] * inp.n_rows, dtype=pl.Int64)),
            "nulls, but the feature is declared not nullable",
        ),
        (_plant(SESSIONS, name="n_touches"), "column 'n_touches' already exists"),
        (_plant(SESSIONS, compute=_raises), "ZeroDivisionError: boom"),
        (
            _plant(
                SESSIONS,
                compute=lambda inp: inp.per_row(
                    inp.attributes("leads", ["lead_id", "converted_within_90_days"]),
                    "converted_within_90_days",
                ),
            ),
            "no readable column(s) converted_within_90_days",
        ),
        (
            _plant(SESSIONS, compute=lambda inp: inp.attributes("touches").to_series()),
            "holds events",
        ),
        (
            _plant(
                SESSIONS,
                compute=lambda inp: inp.events("sessions", time="session_timestamp_end").collect()[
                    inp.key
                ],
            ),
            "is cut at its 'session_timestamp' column",
        ),
        (
            _plant(
                SESSIONS,
                compute=lambda inp: inp.attributes("leads", ["current_stage"])["current_stage"],
            ),
            "no readable column(s) current_stage",
        ),
        (_plant(SESSIONS, tasks=("no_such_task",)), "joins no task of scheme lead_scoring"),
        (
            _plant(
                SESSIONS,
                compute=lambda inp: inp.events("touches", window=asof.first_days(7)).collect()[
                    inp.key
                ],
            ),
            "use a window relative to the anchor",
        ),
    ],
)
def test_task_feature_contract_is_enforced(
    make_host: MakeHost, tmp_path: Path, feature: TaskFeature, message: str
) -> None:
    host = make_host((FeaturePlugin(feature), PluginRecord("planted", "leadforge-planted", "0.3")))
    with pytest.raises(PluginCrash) as info:
        _generate(host, tmp_path / "b")
    text = str(info.value)
    assert "plugin 'planted' (distribution leadforge-planted 0.3) failed in task_features" in text
    assert message in text
    assert not (tmp_path / "b").exists()


def test_task_feature_crash_is_one_line_exit_3(
    make_host: MakeHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_host(
        (FeaturePlugin(_plant(SESSIONS, compute=_raises)), PluginRecord("p", "leadforge-p", "1"))
    )
    args = ["generate", "-r", RECIPE, "--n-leads", str(LEADS), "--out", str(tmp_path / "o"), "-q"]
    assert run(args) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "failed in task_features" in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "o").exists()


def test_two_plugins_with_one_feature_name_is_an_error(make_host: MakeHost, tmp_path: Path) -> None:
    host = make_host(
        (FeaturePlugin(SESSIONS), PluginRecord("a", "leadforge-a", "1")),
        (FeaturePlugin(SESSIONS), PluginRecord("b", "leadforge-b", "1")),
    )
    with pytest.raises(PluginError, match="contributed by both leadforge-a and leadforge-b"):
        _generate(host, tmp_path / "b")


def test_leakage_probe_covers_task_features(make_host: MakeHost, tmp_path: Path) -> None:
    """A plugin that smuggles the label in from outside the FeatureInput is caught by the
    leakage probe of validate, unless its entry declares the trap."""
    truth = _rows(_generate(make_host(), tmp_path / "truth", mode="research_instructor"))
    labels = truth.select("lead_id", pl.col(TASK).cast(pl.Int64).alias("smuggled"))

    def smuggled(inp: FeatureInput) -> pl.Series:
        return inp.per_row(labels, "smuggled")

    leak = TaskFeature("smuggled", smuggled, DType.INT, "the label, smuggled", tasks=(TASK,))
    host = make_host((FeaturePlugin(leak), PluginRecord("sneaky", "leadforge-sneaky", "1")))
    report = validate_bundle(_generate(host, tmp_path / "leaky"), host)
    assert [f.check for f in report.findings] == ["leakage"]
    assert "'smuggled' reveals converted_within_90_days" in report.findings[0].message
    trap = attrs.evolve(leak, leakage_risk=True)
    host = make_host((FeaturePlugin(trap), PluginRecord("sneaky", "leadforge-sneaky", "1")))
    assert validate_bundle(_generate(host, tmp_path / "trap"), host).ok


# -- registered checks -----------------------------------------------------------------------


def _short_ids(view: Any) -> Iterator[Finding]:
    n = view.table("leads").filter(pl.col("lead_id").str.len_chars() < 3).height
    if n:
        yield Finding("short_ids", f"{n} short ids", "leads.lead_id")


def _always_fails(view: Any) -> Iterator[Finding]:
    yield Finding("planted", f"planted finding on {view.scheme}")


class ChecksPlugin:
    def __init__(self, checks: list[NamedCheck], every_scheme: bool = False) -> None:
        self.checks = checks
        self.every_scheme = every_scheme
        self.calls: list[str] = []

    @hookimpl
    def leadforge_register_checks(self, scheme: str) -> list[NamedCheck]:
        self.calls.append(scheme)
        return self.checks if self.every_scheme or scheme == "lead_scoring" else []


def test_hook_leadforge_register_checks(
    make_host: MakeHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _generate(make_host(), tmp_path / "b")
    plugin = ChecksPlugin(
        [
            NamedCheck("short_ids", named_check("short_ids", _short_ids), "ids are long"),
            NamedCheck("planted", _always_fails),
        ]
    )
    host = make_host((plugin, PluginRecord("extra", "leadforge-extra", "1")))
    report = validate_bundle(bundle, host)
    assert plugin.calls == ["lead_scoring"]
    assert {"extra.short_ids", "extra.planted", "lead_scoring.lead_windows"} <= set(
        report.checks_run
    )
    assert [str(f) for f in report.findings] == ["planted: planted finding on lead_scoring"]

    assert validate_bundle(bundle, host, ignore=["extra.planted"]).ok
    selected = validate_bundle(bundle, host, select=["extra.*", "leak"], ignore=["*planted"])
    assert selected.ok and selected.checks_run == ["manifest", "leakage", "extra.short_ids"]
    assert ("extra.planted", "ignored by --ignore *planted") in selected.checks_skipped
    assert ("keys", "not selected by --select") in selected.checks_skipped

    capsys.readouterr()
    assert run(["validate", str(bundle)]) == 1
    assert run(["validate", str(bundle), "--ignore", "extra.planted"]) == 0
    assert run(["validate", str(bundle), "--select", "extra.", "--json", "--ignore", "*d"]) == 0
    out = capsys.readouterr().out
    payload = json.loads(out[out.rindex('{\n  "bundle"') :])
    assert payload["checks_run"] == ["manifest", "extra.short_ids"]
    assert {"check": "extra.planted", "reason": "ignored by --ignore *d"} in payload[
        "checks_skipped"
    ]
    assert run(["validate", str(bundle), "--select", "nothing_like_this"]) == 2
    assert "--select nothing_like_this matches no check" in capsys.readouterr().err


def test_registered_check_that_raises_is_the_plugins_bug(
    make_host: MakeHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _generate(make_host(), tmp_path / "b")

    def crashes(view: Any) -> list[Finding]:
        raise RuntimeError("check bug")

    make_host(
        (ChecksPlugin([NamedCheck("c", crashes)], True), PluginRecord("x", "leadforge-x", "4"))
    )
    capsys.readouterr()
    assert run(["validate", str(bundle)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "plugin 'x' (distribution leadforge-x 4) failed in checks (x.c): RuntimeError" in err[0]


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ([NamedCheck("a", _always_fails), NamedCheck("a", _short_ids)], "registered twice"),
        ([NamedCheck("a.b", _always_fails)], "is not a plain name"),
        (["not a check"], "which is not a NamedCheck"),
    ],
)
def test_bad_check_registrations(
    make_host: MakeHost, tmp_path: Path, checks: list[Any], message: str
) -> None:
    bundle = _generate(make_host(), tmp_path / "b")
    host = make_host((ChecksPlugin(checks), PluginRecord("dup", "leadforge-dup", "1")))
    with pytest.raises(PluginCrash, match=message):
        validate_bundle(bundle, host)


def test_selection_patterns() -> None:
    sel = Selection(select=("lead_scoring.", "leak*"), ignore=("*.prevalence_band",))
    assert sel.skip_reason("lead_scoring.lead_windows") is None
    assert sel.skip_reason("leakage") is None
    assert sel.skip_reason("keys") == "not selected by --select"
    assert (
        sel.skip_reason("lead_scoring.prevalence_band") == "ignored by --ignore *.prevalence_band"
    )
    with pytest.raises(ConfigError, match="--select leak"):
        Selection(select=("leak",)).check_patterns(["keys", "files"])


def test_builtin_checks_come_through_the_hook(make_host: MakeHost) -> None:
    host = make_host()
    found = host.call_hook("leadforge_register_checks", scheme="lead_scoring")
    by_plugin = {rec.name: [c.name for c in result] for rec, result in found if result}
    assert by_plugin == {
        "lead_scoring": [
            "lead_windows",
            "lead_snapshot",
            "stage_sequence",
            "prevalence_band",
            "join_reconstruction",
        ]
    }
    found = host.call_hook("leadforge_register_checks", scheme="lifecycle")
    assert [rec.name for rec, result in found if result] == ["lifecycle"]


# -- derived schemes -------------------------------------------------------------------------


def _quick_close_plugin(recipe: Path) -> object:
    from leadforge_lead_scoring import LeadScoringScheme

    class QuickClose(LeadScoringScheme):
        name = "lead_scoring_quick_close"
        title = "quick close"
        derived_from = "lead_scoring"

        def mechanisms(self, profile: Any, graph: Any, horizon_days: int) -> Any:
            mech = super().mechanisms(profile, graph, horizon_days)
            faster = [
                attrs.evolve(r, advance_intercept=r.advance_intercept + 0.5) for r in mech.stages
            ]
            return attrs.evolve(mech, stages=faster)

    class Plugin:
        @hookimpl
        def leadforge_register_schemes(self) -> list[type]:
            return [QuickClose]

        @hookimpl
        def leadforge_register_recipes(self) -> list[Path]:
            return [recipe]

    return Plugin()


QUICK_RECIPE = """\
id: quick_close_v1
extends: b2b_saas_procurement_v1
scheme: lead_scoring_quick_close
title: "Transactional SaaS: 90-day lead conversion"
"""


def test_derived_scheme_records_both_plugins_and_validates_without_its_plugin(
    make_host: MakeHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "quick_close_v1.yaml").write_text(QUICK_RECIPE)
    record = PluginRecord("quick_close", "leadforge-quick-close", "1.0")
    host = make_host((_quick_close_plugin(tmp_path / "quick_close_v1.yaml"), record))
    derived = _generate(host, tmp_path / "derived", recipe="quick_close_v1")
    base = _generate(host, tmp_path / "base")
    manifest = json.loads((derived / "manifest.json").read_text())
    assert manifest["scheme"] == "lead_scoring_quick_close"
    assert manifest["generator"]["plugin"]["distribution"] == "leadforge-quick-close"
    entries = manifest["generator"]["plugins"]
    assert [(e["distribution"], e.get("scheme"), e.get("base_scheme")) for e in entries] == [
        ("leadforge-quick-close", "lead_scoring_quick_close", None),
        ("leadforge-lead-scoring", None, "lead_scoring"),
    ]
    # The override changed the mechanism: more open leads close won than in the base scheme.
    won = {b: _rows(p)[TASK].mean() for b, p in (("derived", derived), ("base", base))}
    assert won["derived"] > won["base"]  # type: ignore[operator]

    report = validate_bundle(derived, host)
    assert report.ok, [str(f) for f in report.findings]
    assert "lead_scoring.lead_windows" in report.checks_run and not report.checks_skipped

    # The deriving plugin uninstalled: the base's declarations and checks still apply.
    host = make_host()
    report = validate_bundle(derived, host)
    assert report.ok, [str(f) for f in report.findings]
    assert {"schema", "keys", "exposure", "lead_scoring.join_reconstruction"} <= set(
        report.checks_run
    )
    assert report.checks_skipped == [
        (
            "checks of scheme lead_scoring_quick_close",
            "scheme lead_scoring_quick_close from distribution leadforge-quick-close 1.0 is not "
            "installed",
        )
    ]
    capsys.readouterr()
    assert run(["validate", str(derived)]) == 0
    out = capsys.readouterr().out
    assert (
        "skipped checks of scheme lead_scoring_quick_close: scheme lead_scoring_quick_close" in out
    )


def test_derived_scheme_must_subclass_its_base(make_host: MakeHost, tmp_path: Path) -> None:
    from leadforge_lifecycle import LifecycleScheme

    class Wrong(LifecycleScheme):
        name = "lead_scoring_wrong"
        derived_from = "lead_scoring"

    class Plugin:
        @hookimpl
        def leadforge_register_schemes(self) -> list[type]:
            return [Wrong]

        @hookimpl
        def leadforge_register_recipes(self) -> list[Path]:
            return [tmp_path / "wrong.yaml"]

    (tmp_path / "wrong.yaml").write_text(
        "id: wrong_v1\nextends: b2b_saas_ltv_v1\nscheme: lead_scoring_wrong\n"
    )
    host = make_host((Plugin(), PluginRecord("wrong", "leadforge-wrong", "1")))
    with pytest.raises(PluginError, match="does not subclass leadforge_lead_scoring"):
        Generator.from_recipe("wrong_v1", host=host, seed=1)


# -- a bundle whose plugin is not installed ---------------------------------------------------


def test_validate_without_the_scheme_plugin(
    make_host: MakeHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _generate(make_host(), tmp_path / "b")
    version = json.loads((bundle / "manifest.json").read_text())["generator"]["plugin"]["version"]
    import leadforge_lifecycle.plugin

    lifecycle = PluginRecord("lifecycle", "leadforge-lifecycle", "0")
    host = make_host((leadforge_lifecycle.plugin, lifecycle), installed=False)
    report = validate_bundle(bundle, host)
    assert report.ok, [str(f) for f in report.findings]
    assert report.checks_run == [
        "manifest",
        "files",
        "parquet",
        "tasks",
        "features",
        "leakage",
    ]
    reason = (
        f"scheme lead_scoring from distribution leadforge-lead-scoring {version} is not installed"
    )
    assert report.checks_skipped == [
        ("schema", reason),
        ("keys", reason),
        ("timestamps", reason),
        ("exposure", reason),
        ("checks of scheme lead_scoring", reason),
    ]
    capsys.readouterr()
    assert run(["validate", str(bundle), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] and {"check": "keys", "reason": reason} in payload["checks_skipped"]
    assert run(["validate", str(bundle)]) == 0
    out = capsys.readouterr().out
    assert f"skipped schema: {reason}" in out and "passed 6 checks" in out
    # Core checks still catch a broken bundle without the plugin.
    (bundle / "tables" / "leads.parquet").write_bytes(b"garbage")
    assert not validate_bundle(bundle, host).ok


def _invoices_known(inp: FeatureInput) -> pl.Series:
    counts = inp.events("invoices").group_by(inp.key).agg(asof.count().cast(pl.Int64).alias("n"))
    return inp.per_row(counts, "n", fill=0)


class LifecycleFeatures:
    @hookimpl
    def leadforge_task_features(self, scheme: str, recipe: str) -> list[TaskFeature]:
        if scheme != "lifecycle":
            return []
        feature = TaskFeature(
            "invoices_known",
            _invoices_known,
            DType.INT,
            "invoices issued by the cutoff",
            row_unit="customer",
            derived_from="invoices.invoice_date",
            nullable=False,
        )
        return [feature]


def test_task_features_by_row_unit_on_lifecycle(make_host: MakeHost, tmp_path: Path) -> None:
    host = make_host((LifecycleFeatures(), PluginRecord("inv", "leadforge-inv", "1")))
    out = {}
    for mode in ("student_public", "research_instructor"):
        gen = Generator.from_recipe(
            "b2b_saas_ltv_v1", host=host, seed=4, n_customers=600, exposure_mode=mode
        )
        out[mode] = gen.generate(timestamp=0).save(tmp_path / mode)
    public_tasks = json.loads((out["student_public"] / "manifest.json").read_text())["tasks"]
    instructor_tasks = json.loads((out["research_instructor"] / "manifest.json").read_text())[
        "tasks"
    ]
    assert set(public_tasks) < set(instructor_tasks)  # early_* tasks are instructor only
    for task in instructor_tasks:
        rows = _rows(out["research_instructor"], task)
        assert rows.schema["invoices_known"] == pl.Int64 and rows["invoices_known"].sum() > 0
    for task in public_tasks:
        a = _rows(out["student_public"], task).select("customer_id", "invoices_known")
        b = _rows(out["research_instructor"], task).select("customer_id", "invoices_known")
        assert a.sort("customer_id").equals(b.sort("customer_id"))
    # Calendar tasks: invoices dated on or before the observation date, as the public table has.
    task = next(iter(public_tasks))
    invoices = pl.read_parquet(out["student_public"] / "tables" / "invoices.parquet")
    rows = _rows(out["student_public"], task)
    counts = invoices.group_by("customer_id").len()
    expected = rows.select("customer_id").join(counts, on="customer_id", how="left")
    assert expected["len"].fill_null(0).cast(pl.Int64).to_list() == rows["invoices_known"].to_list()
