"""The conformance suite: every promise a scheme makes to the core, as pytest tests.

Subclass :class:`SchemeConformance` (name the subclass ``Test…`` so pytest collects it) and set
``recipe`` and small ``params``. Bundles are generated once per class with the timestamp pinned
and shared by the tests; each test names what broke. The checks reuse the core's own contracts
(:mod:`leadforge_core.validation.contracts`) and validation (probes included), so a scheme that
passes here passes ``leadforge validate``.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import attrs
import numpy as np
import polars as pl
import pytest

from leadforge_core import API_VERSION, Generator, list_recipes
from leadforge_core.bundle import layout
from leadforge_core.bundle.world import WorldBundle
from leadforge_core.errors import LeadforgeError
from leadforge_core.exporters import Exporter, export
from leadforge_core.exposure import ExposureMode
from leadforge_core.plugins import PluginHost, PluginRecord
from leadforge_core.scheme import Scheme, declared_tasks
from leadforge_core.testing.fixtures import (
    entry_point_host,
    file_digests,
    frames_equal,
    throwaway_host,
)
from leadforge_core.validation import contracts
from leadforge_core.validation.runner import validate_bundle
from leadforge_core.validation.view import BundleView

#: The generation timestamp every conformance bundle is made with (so bytes can match).
TIMESTAMP = 0
MODES = (ExposureMode.RESEARCH_INSTRUCTOR, ExposureMode.STUDENT_PUBLIC)


class Generated(NamedTuple):
    """One bundle of the suite: in memory and saved."""

    bundle: WorldBundle
    path: Path


class Setup(NamedTuple):
    """What the suite shares between its tests (one per test class)."""

    host: PluginHost
    scheme: Scheme
    record: PluginRecord
    params: Any
    bundles: dict[ExposureMode, Generated]
    tmp: Path


def _generate(cls: type[SchemeConformance], host: PluginHost, mode: ExposureMode, **kw: Any) -> Any:
    return Generator.from_recipe(
        cls.recipe, seed=cls.seed, exposure_mode=mode, host=host, **{**cls.params, **kw}
    )


class SchemeConformance:
    """Base class of a scheme's conformance tests.

    Class attributes to set:

    - ``recipe``: recipe id (or path) whose scheme is tested;
    - ``params``: keyword arguments of :meth:`Generator.from_recipe` (size flags such as
      ``n_customers=300``, ``difficulty=``…): keep worlds small, the suite generates about
      ``4 + len(difficulties)`` bundles;
    - ``seed``: the seed (default 1);
    - ``plugins``: plugin modules to register in a throwaway host (default: none, the
      installed entry points are used, as the CLI does);
    - ``plugin``: entry-point name of the plugin whose hooks the ``test_hook_*`` tests judge
      (default: the plugin of the recipe's scheme; set it for a vertical that adds recipes,
      features, checks or commands to another plugin's scheme).

    Override :meth:`recompute_features` to have the suite recompute task features from the
    public snapshot and compare them with the published ones.
    """

    recipe: ClassVar[str]
    params: ClassVar[Mapping[str, Any]] = {}
    seed: ClassVar[int] = 1
    plugins: ClassVar[tuple[object, ...]] = ()
    plugin: ClassVar[str | None] = None

    def recompute_features(
        self, tables: Mapping[str, pl.DataFrame], task: str
    ) -> pl.DataFrame | None:
        """Task features of ``task`` recomputed from the public ``tables`` alone, with some
        of the task's identifier columns (its id columns, or features of group
        ``identifier``) to match rows on; ``None`` (the default) skips that test.

        Args:
            tables: the public bundle's tables (cut at the snapshot anchors).
            task: task name.

        Returns:
            A frame with key columns and any feature columns to compare.
        """
        return None

    # ---------------------------------------------------------------- shared setup
    @pytest.fixture(scope="class")
    @classmethod
    def conformance(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
        """Host, scheme and one saved bundle per exposure mode, shared by the class."""
        with ExitStack() as stack:
            if cls.plugins:
                host = stack.enter_context(throwaway_host(*cls.plugins))
            else:
                host = entry_point_host()
            tmp = tmp_path_factory.mktemp(f"conformance-{cls.__name__}")
            bundles: dict[ExposureMode, Generated] = {}
            for mode in MODES:
                gen = _generate(cls, host, mode)
                bundle = gen.generate(timestamp=TIMESTAMP)
                bundles[mode] = Generated(bundle, bundle.save(tmp / str(mode)))
            params = gen.plan.context().params
            record = gen.plan.plugin
            if cls.plugin is not None:
                named = [r for r in host.records if r.name == cls.plugin]
                assert named, f"no installed plugin named {cls.plugin!r}"
                record = named[0]
            yield Setup(host, gen.plan.scheme, record, params, bundles, tmp)

    # ---------------------------------------------------------------- declarations
    def test_scheme_declarations(self, conformance: Setup) -> None:
        """Identity, models, tables, keys, exposure policy and tasks are consistent."""
        s, problems = conformance.scheme, []
        if not (isinstance(s.name, str) and s.name and s.title):
            problems.append("name and title must be non-empty strings")
        if s.api_version != API_VERSION:
            problems.append(f"api_version {s.api_version} != core API_VERSION {API_VERSION}")
        for attr in ("params_model", "recipe_model"):
            if not attrs.has(getattr(s, attr)):
                problems.append(f"{attr} is not an attrs class")
        try:
            s.params_model()
        except TypeError as exc:
            problems.append(f"params_model needs a default for every field: {exc}")
        specs = s.table_specs()
        names = [t.name for t in specs]
        if len(set(names)) != len(names):
            problems.append(f"duplicate table names in {names}")
        cols = {t.name: set(t.column_names) for t in specs}
        for t in specs:
            if len(cols[t.name]) != len(t.columns):
                problems.append(f"{t.name}: duplicate column names")
            if t.primary_key is not None and t.primary_key not in cols[t.name]:
                problems.append(f"{t.name}: primary key {t.primary_key} is not a column")
            for fk in t.foreign_keys:
                if fk.column not in cols[t.name] or fk.ref_column not in cols.get(fk.ref_table, ()):
                    problems.append(f"{t.name}: foreign key {fk} names an undeclared column")
            for a, b in t.time_order:
                if not {a, b} <= cols[t.name]:
                    problems.append(f"{t.name}: time_order ({a}, {b}) names an undeclared column")
        policy = s.exposure
        for table in policy.omit_tables:
            if table not in cols:
                problems.append(f"exposure omits undeclared table {table}")
        for kind, mapping in (("redacts", policy.redact_columns), ("as-of", policy.as_of_columns)):
            for table, columns in mapping.items():
                for col in columns:
                    if col not in cols.get(table, ()):
                        problems.append(f"exposure {kind} undeclared column {table}.{col}")
        flags = [f.option for f in s.size_flags]
        if len(set(flags)) != len(flags):
            problems.append(f"duplicate size flags {flags}")
        if len(set(s.motifs)) != len(s.motifs):
            problems.append(f"duplicate motifs {s.motifs}")
        tasks = declared_tasks(s, conformance.params)
        primary = conformance.bundles[MODES[0]].bundle.manifest["tasks"]
        if not any(v.get("primary") for v in primary.values()):
            problems.append("the recipe's primary_task is not among the rendered tasks")
        if len({t.name for t in tasks}) != len(tasks):
            problems.append("duplicate task names")
        assert not problems, "; ".join(problems)

    def test_recipe_listed(self, conformance: Setup) -> None:
        """The recipe is listed with its scheme, and its default difficulty is one of its own."""
        recipe = conformance.bundles[MODES[0]].bundle.manifest["recipe"]["id"]
        listed = {r["id"]: r for r in list_recipes(conformance.host)}
        assert recipe in listed, f"recipe {recipe} is not listed by list_recipes()"
        assert listed[recipe]["scheme"] == conformance.scheme.name
        plan = _generate(type(self), conformance.host, MODES[0]).plan
        assert plan.recipe.header.default_difficulty in plan.recipe.header.difficulties

    # ---------------------------------------------------------------- determinism
    @pytest.mark.parametrize("mode", MODES, ids=str)
    def test_deterministic(self, conformance: Setup, mode: ExposureMode) -> None:
        """Same recipe, parameters, seed and timestamp: byte-identical bundles."""
        again = _generate(type(self), conformance.host, mode).generate(timestamp=TIMESTAMP)
        path = again.save(conformance.tmp / f"{mode}-again")
        first, second = file_digests(conformance.bundles[mode].path), file_digests(path)
        differ = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
        assert not differ, f"files differ between two identical runs: {', '.join(differ)}"

    # ---------------------------------------------------------------- exposure
    def test_public_subset_of_instructor(self, conformance: Setup) -> None:
        """Public rows exist in the instructor bundle, only as-of columns change, and nothing
        the exposure policy hides is published."""
        s = conformance.scheme
        inst = conformance.bundles[ExposureMode.RESEARCH_INSTRUCTOR].bundle
        pub = conformance.bundles[ExposureMode.STUDENT_PUBLIC]
        policy, specs = s.exposure, {t.name: t for t in s.table_specs()}
        problems = contracts.public_subset_problems(
            specs, inst.tables, pub.bundle.tables, policy.as_of_columns
        )
        for table in policy.omit_tables:
            if table in pub.bundle.tables:
                problems.append(f"omitted table {table} is published")
        for table, cols in policy.redact_columns.items():
            shown = set(cols) & set(pub.bundle.tables.get(table, pl.DataFrame()).columns)
            if shown:
                problems.append(f"redacted columns {sorted(shown)} of {table} are published")
        hidden = {f.feature_name for f in inst.features if not f.available_in_public_mode}
        for name, task in pub.bundle.tasks.items():
            if name not in inst.tasks:
                problems.append(f"public task {name} is not in the instructor bundle")
                continue
            for split, frame in task.splits.items():
                ref = inst.tasks[name].splits[split]
                ids = [c for c in task.spec.id_columns if c in frame.columns]
                leaked = hidden & set(frame.columns)
                if leaked:
                    problems.append(f"{name}/{split}: instructor-only columns {sorted(leaked)}")
                shared = [c for c in frame.columns if c in ref.columns and c not in ids]
                problems += [f"{name}/{split}: {p}" for p in frames_equal(frame, ref, ids, shared)]
        metadata = pub.path / layout.METADATA_DIR
        extra = sorted(p.name for p in metadata.iterdir() if p.name != layout.PUBLIC_SUMMARY)
        if extra:
            problems.append(f"public bundle ships hidden truth: metadata/{', '.join(extra)}")
        assert not problems, "; ".join(problems)

    # ---------------------------------------------------------------- snapshot safety
    def test_snapshot_safety(self, conformance: Setup) -> None:
        """The public bundle passes every check, the leakage probe and the scheme's own
        (event windows, anchors) included."""
        public = conformance.bundles[ExposureMode.STUDENT_PUBLIC].path
        report = validate_bundle(public, conformance.host)
        assert "leakage" in report.checks_run
        assert report.ok, "; ".join(str(f) for f in report.findings)

    def test_features_recomputed_from_public_snapshot(self, conformance: Setup) -> None:
        """Task features recomputed from the public tables (events up to each anchor only)
        equal the published features: no feature sees past its anchor."""
        pub = conformance.bundles[ExposureMode.STUDENT_PUBLIC].bundle
        problems: list[str] = []
        for name, task in pub.tasks.items():
            again = self.recompute_features(pub.tables, name)
            if again is None:
                pytest.skip("recompute_features is not provided for this scheme")
            traps = {f.feature_name for f in pub.features if f.leakage_risk}
            keys = {f.feature_name for f in pub.features if f.feature_group == "identifier"}
            keys |= set(task.spec.id_columns)
            skip = traps | set(task.spec.targets)
            for split, frame in task.splits.items():
                ids = [c for c in again.columns if c in keys and c in frame.columns]
                assert ids, f"recompute_features returned no identifier column of {name}"
                cols = [c for c in again.columns if c in frame.columns and c not in {*ids, *skip}]
                problems += [f"{name}/{split}: {p}" for p in frames_equal(frame, again, ids, cols)]
        assert not problems, "; ".join(problems)

    # ---------------------------------------------------------------- schemas
    @pytest.mark.parametrize("mode", MODES, ids=str)
    def test_declared_schemas(self, conformance: Setup, mode: ExposureMode) -> None:
        """Tables (in memory and read back from Parquet) have exactly the declared types, and
        task details have the documented shape."""
        s, gen = conformance.scheme, conformance.bundles[mode]
        specs = {t.name: t for t in s.table_specs()}
        redacted = s.exposure.redact_columns if mode.is_public else {}
        problems = contracts.schema_problems(specs, gen.bundle.tables, redacted)
        view = BundleView(gen.path)
        read = {n: view.table(n) for n in gen.bundle.tables}
        problems += [f"read back: {p}" for p in contracts.schema_problems(specs, read, redacted)]
        for name, task in gen.bundle.tasks.items():
            problems += [f"{name}: {p}" for p in contracts.task_details_problems(task.details)]
        assert not problems, "; ".join(problems)

    @pytest.mark.parametrize("mode", MODES, ids=str)
    def test_validates(self, conformance: Setup, mode: ExposureMode) -> None:
        """``leadforge validate`` finds nothing in either mode."""
        report = validate_bundle(conformance.bundles[mode].path, conformance.host)
        assert report.ok, "; ".join(str(f) for f in report.findings)

    def test_every_difficulty_generates(self, conformance: Setup) -> None:
        """Each difficulty of the recipe generates a public bundle that validates."""
        plan = _generate(type(self), conformance.host, MODES[1]).plan
        failures = []
        for level in plan.recipe.header.difficulties:
            gen = _generate(type(self), conformance.host, MODES[1], difficulty=level)
            path = gen.generate(timestamp=TIMESTAMP).save(conformance.tmp / f"difficulty-{level}")
            report = validate_bundle(path, conformance.host)
            failures += [f"{level}: {f}" for f in report.findings]
        assert not failures, "; ".join(failures)

    # ---------------------------------------------------------------- hooks
    def _hooks(self, conformance: Setup) -> set[str]:
        r = conformance.record
        plugin = conformance.host.pm.get_plugin(f"{r.distribution}:{r.name}")
        callers = conformance.host.pm.get_hookcallers(plugin) or []
        return {c.name for c in callers}

    def _own(self, conformance: Setup, hook: str, **kwargs: Any) -> list[Any]:
        if hook not in self._hooks(conformance):
            pytest.skip(f"the plugin does not implement {hook}")
        results = conformance.host.call_hook(hook, **kwargs)
        return [x for rec, res in results if rec is conformance.record for x in res]

    def test_hook_register_schemes(self, conformance: Setup) -> None:
        """Every scheme the plugin registers is usable under a unique name."""
        host, record = conformance.host, conformance.record
        for cls in self._own(conformance, "leadforge_register_schemes"):
            assert issubclass(cls, Scheme), f"{cls!r} is not a Scheme subclass"
            assert cls.name not in host.conflicts, f"scheme {cls.name} is registered twice"
            assert cls.api_version == API_VERSION
            assert host.scheme(cls.name) == (cls, record)

    def test_hook_register_recipes(self, conformance: Setup) -> None:
        """Every recipe file the plugin ships resolves against an installed scheme."""
        files = self._own(conformance, "leadforge_register_recipes")
        assert files, "leadforge_register_recipes returned no files"
        dist = conformance.record.distribution
        owned = [r for r in list_recipes(conformance.host) if r["plugin"] == dist]
        assert owned, "none of the plugin's recipes is listed"
        for r in owned:
            Generator.from_recipe(r["id"], host=conformance.host)  # raises on a broken recipe

    def test_hook_register_exporters(self, conformance: Setup) -> None:
        """Every exporter of the plugin writes into an empty folder and refuses a full one."""
        pub = conformance.bundles[ExposureMode.STUDENT_PUBLIC].path
        for cls in self._own(conformance, "leadforge_register_exporters"):
            assert issubclass(cls, Exporter) and cls.name and cls.title
            if any(importlib.util.find_spec(m) is None for m in cls.requires):
                continue  # an optional dependency of the format is missing
            out = conformance.tmp / f"export-{cls.name}"
            result = export(pub, cls.name, out, host=conformance.host)
            assert out.is_dir() and any(out.iterdir()), f"exporter {cls.name} wrote nothing"
            assert result.files, f"exporter {cls.name} reports no files"
            with pytest.raises(LeadforgeError):
                export(pub, cls.name, out, host=conformance.host)

    def test_hook_evaluation_metrics(self, conformance: Setup) -> None:
        """Extra metrics are ``ExtraMetric`` objects with unique names returning finite floats."""
        from leadforge_core.evaluate import ExtraMetric

        rng = np.random.default_rng(0)
        y = rng.random(200) < 0.3
        for task_type, pred in (("binary", rng.random(200)), ("regression", rng.random(200))):
            metrics = self._own(conformance, "leadforge_evaluation_metrics", task_type=task_type)
            names = [m.name for m in metrics]
            assert len(set(names)) == len(names), f"duplicate metric names {names}"
            for m in metrics:
                assert isinstance(m, ExtraMetric), f"{m!r} is not an ExtraMetric"
                truth = y if task_type == "binary" else y * rng.random(200)
                assert math.isfinite(float(m.fn(truth.astype(float), pred))), m.name

    @pytest.mark.parametrize("mode", MODES, ids=str)
    def test_hook_report_sections(self, conformance: Setup, mode: ExposureMode) -> None:
        """Report sections are ``ReportSection`` objects with unique keys."""
        from leadforge_core.report import ReportSection

        view = BundleView(conformance.bundles[mode].path)
        sections = self._own(conformance, "leadforge_report_sections", view=view)
        keys = [s.key for s in sections]
        assert len(set(keys)) == len(keys), f"duplicate section keys {keys}"
        for s in sections:
            assert isinstance(s, ReportSection), f"{s!r} is not a ReportSection"

    def test_hook_task_features(self, conformance: Setup) -> None:
        """Contributed task features are ``TaskFeature``s with unique names, present in both
        modes with the same values (they are computed as of each anchor) and documented."""
        from leadforge_core.features import TaskFeature

        inst = conformance.bundles[ExposureMode.RESEARCH_INSTRUCTOR].bundle
        pub = conformance.bundles[ExposureMode.STUDENT_PUBLIC].bundle
        recipe = str(inst.manifest["recipe"]["id"])
        feats = self._own(
            conformance, "leadforge_task_features", scheme=conformance.scheme.name, recipe=recipe
        )
        names = [f.name for f in feats]
        assert len(set(names)) == len(names), f"duplicate task feature names {names}"
        documented = {f.feature_name for f in pub.features}
        for feat in feats:
            assert isinstance(feat, TaskFeature), f"{feat!r} is not a TaskFeature"
            assert feat.name in documented, f"{feat.name} is not in the feature dictionary"
            for name, task in pub.tasks.items():
                for split, frame in task.splits.items():
                    if feat.name not in frame.columns:
                        continue
                    ids = [c for c in task.spec.id_columns if c in frame.columns]
                    ref = inst.tasks[name].splits[split]
                    differ = frames_equal(frame, ref, ids, [feat.name])
                    assert not differ, f"{name}/{split}: {differ}"

    def test_hook_register_commands(self, conformance: Setup) -> None:
        """Every command of the plugin is on the ``leadforge`` CLI and answers ``--help``."""
        from leadforge_core.cli.app import build_cli

        host = conformance.host
        commands = self._own(conformance, "leadforge_register_commands")
        cli = build_cli(host)
        for command in commands:
            assert command.name not in host.command_conflicts, f"{command.name} clashes"
            assert host.commands.get(command.name, (None, None))[1] is conformance.record, (
                f"command {command.name} is not registered for this plugin"
            )
            assert command.name in cli.commands, f"{command.name} is not on the CLI"
            try:
                code = cli.main(
                    [command.name, "--help"], prog_name="leadforge", standalone_mode=False
                )
            except SystemExit as exc:  # pragma: no cover - help exits in standalone mode only
                code = exc.code
            assert code in (0, None), f"leadforge {command.name} --help exited {code}"

    def test_hook_register_checks(self, conformance: Setup) -> None:
        """Registered checks are ``NamedCheck``s with unique names and run in ``validate``."""
        from leadforge_core.validation.checks import NamedCheck

        checks = self._own(conformance, "leadforge_register_checks", scheme=conformance.scheme.name)
        names = [c.name for c in checks]
        assert len(set(names)) == len(names), f"duplicate check names {names}"
        report = validate_bundle(
            conformance.bundles[ExposureMode.STUDENT_PUBLIC].path, conformance.host
        )
        for check in checks:
            assert isinstance(check, NamedCheck), f"{check!r} is not a NamedCheck"
            full = f"{conformance.record.name}.{check.name}"
            assert full in report.checks_run, f"{full} did not run (ran: {report.checks_run})"
