"""The one pipeline every scheme runs through.

resolve config → build world → simulate → render → publish for the exposure mode → assemble
the bundle (manifest, card, task manifests) → (caller) write → validate.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import attrs

from leadforge_core import __version__
from leadforge_core.bundle import layout
from leadforge_core.bundle.card import render_card
from leadforge_core.bundle.model import Rendered, TableSpec, TaskOutput
from leadforge_core.bundle.summary import split_summaries
from leadforge_core.bundle.world import WorldBundle
from leadforge_core.causal import Intervention, parse_interventions
from leadforge_core.config.layers import Layer, override_layer, set_layer
from leadforge_core.config.run import ResolvedConfig, resolve
from leadforge_core.errors import (
    ConfigError,
    LeadforgeError,
    PluginCrash,
    PluginError,
    SimulationError,
)
from leadforge_core.executors import Executor
from leadforge_core.exposure import ExposureMode
from leadforge_core.features import Contribution, add_task_features
from leadforge_core.features import collect as collect_features
from leadforge_core.memory import without_huge_page_advice
from leadforge_core.plugins import PluginHost, PluginRecord, get_host, plugin_code
from leadforge_core.progress import NullProgress, Progress, phase
from leadforge_core.publish import publish
from leadforge_core.recipes.model import Recipe
from leadforge_core.recipes.registry import RecipeCatalog, defaults_layer
from leadforge_core.rng import RandomStreams
from leadforge_core.scheme import RunContext, Scheme, declared_tasks
from leadforge_core.validation import contracts


@attrs.define
class Plan:
    """A fully resolved run, ready to execute (nothing simulated yet)."""

    scheme: Scheme
    plugin: PluginRecord
    recipe: Recipe
    config: ResolvedConfig
    #: Interventions on the world's causal graph (empty for an ordinary run).
    interventions: tuple[Intervention, ...] = ()
    #: The plugin host the plan was resolved with (task features are collected from it).
    host: PluginHost | None = None
    #: The schemes this one derives from, nearest first, with their plugins.
    bases: tuple[tuple[str, PluginRecord], ...] = ()

    @property
    def mode(self) -> ExposureMode:
        return self.config.mode

    def context(
        self, progress: Progress | None = None, executor: Executor | None = None
    ) -> RunContext:
        """The run context a scheme sees (also handy for stage-level tests)."""
        cfg = self.config
        extra: dict[str, Any] = {"executor": executor} if executor is not None else {}
        return RunContext(
            seed=cfg.seed,
            mode=cfg.mode,
            difficulty=cfg.difficulty,
            params=cfg.params,
            recipe=self.recipe,
            streams=RandomStreams(cfg.seed),
            progress=progress or NullProgress(),
            interventions=self.interventions,
            **extra,
        )


def flag_layer(
    *,
    seed: int | None = None,
    mode: ExposureMode | str | None = None,
    difficulty: str | None = None,
    motif: str | None = None,
    params: Mapping[str, Any] | None = None,
    name: str = "command line",
    labels: Mapping[str, str] | None = None,
) -> Layer:
    """Explicit flags / API arguments as the highest layer; ``params`` keys are dotted paths.

    ``labels`` maps a dotted parameter path to how the user spelled it (``--n-leads``), so
    errors about that value name the flag.
    """
    data: dict[str, Any] = {}
    if seed is not None:
        data["seed"] = seed
    if mode is not None:
        data["mode"] = str(mode.value if isinstance(mode, ExposureMode) else mode)
    if difficulty is not None:
        data["difficulty"] = difficulty
    nested: dict[str, Any] = {}
    for dotted, value in {
        **(params or {}),
        **({"motif": motif} if motif is not None else {}),
    }.items():
        node = nested
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    if nested:
        data["params"] = nested
    kind = {"command line": "a command-line flag", "argument": "an API argument"}.get(name, name)
    spelled = {"seed": "seed", "mode": "mode", "difficulty": "difficulty", "params.motif": "motif"}
    spelled.update({f"params.{path}": label for path, label in (labels or {}).items()})
    cli = name == "command line"
    locations = {
        tuple(key.split(".")): (f"--{label.replace('_', '-')}" if cli else f"{name} {label}")
        for key, label in spelled.items()
    }
    return Layer(name=name, data=data, kind=kind, locations=locations)


def param_paths(scheme: type[Scheme], named: Mapping[str, Any]) -> dict[str, Any]:
    """Map API keyword / CLI size-flag names to dotted parameter paths; unknown names fail."""
    flags = {f.option: f.path for f in scheme.size_flags}
    fields = {f.name for f in attrs.fields(scheme.params_model)}
    out: dict[str, Any] = {}
    for key, value in named.items():
        if key in flags:
            out[flags[key]] = value
        elif key in fields:
            out[key] = value
        else:
            valid = ", ".join(sorted({*flags, *fields}))
            raise ConfigError(f"unknown argument {key!r} for scheme {scheme.name} (valid: {valid})")
    return out


def plan(
    recipe_ref: str | Path,
    *,
    host: PluginHost | None = None,
    override: str | Path | None = None,
    sets: Sequence[str] = (),
    seed: int | None = None,
    mode: ExposureMode | str | None = None,
    difficulty: str | None = None,
    motif: str | None = None,
    params: Mapping[str, Any] | None = None,
    source: str = "command line",
    interventions: Iterable[Intervention | str] | None = (),
) -> Plan:
    """Resolve a recipe and every config layer into a :class:`Plan`.

    ``params`` holds named values (size flags such as ``n_leads`` or top-level parameter
    fields) that outrank every file. ``interventions`` (objects or canonical strings such as
    ``"shift(engagement=+0.5)"``) are parsed here; their names are checked against the
    world's graph when the scheme builds it, before anything is simulated.
    """
    parsed = parse_interventions(interventions)
    host = host or get_host()
    recipe = RecipeCatalog(host).resolve(str(recipe_ref))
    scheme_cls, record = host.scheme(recipe.scheme)
    if motif is not None and scheme_cls.motifs and motif not in scheme_cls.motifs:
        raise ConfigError(
            f"--motif: unknown motif {motif!r} (choose from {', '.join(scheme_cls.motifs)})"
        )
    if motif is not None and not scheme_cls.motifs:
        raise ConfigError(f"--motif: scheme {scheme_cls.name} has no motif families")
    layers = [defaults_layer(recipe)]
    if override is not None:
        layers.append(override_layer(Path(override)))
    if sets:
        layers.append(set_layer(sets))
    flags = flag_layer(
        seed=seed,
        mode=mode,
        difficulty=difficulty,
        motif=motif,
        params=param_paths(scheme_cls, params or {}),
        name=source,
        labels={f.path: f.option for f in scheme_cls.size_flags},
    )
    layers.append(flags)
    config = resolve(scheme_cls, recipe, layers)
    with plugin_code(record, "scheme setup"):
        scheme = scheme_cls()
    try:
        with plugin_code(record, "complete_params"):
            completed = scheme.complete_params(config.params, recipe, config.difficulty)
    except ConfigError as exc:  # point at the layer and line that set the value
        raise config.locate_error(exc) from None
    return Plan(
        scheme,
        record,
        recipe,
        attrs.evolve(config, params=completed),
        parsed,
        host=host,
        bases=base_schemes(host, scheme_cls),
    )


def base_schemes(
    host: PluginHost, scheme_cls: type[Scheme]
) -> tuple[tuple[str, PluginRecord], ...]:
    """The schemes ``scheme_cls`` derives from (``Scheme.derived_from``, followed up the
    chain), nearest first, with the plugins that register them.

    Raises:
        PluginError: a base is not installed, or the class does not subclass its base.
    """
    out: list[tuple[str, PluginRecord]] = []
    current = scheme_cls
    while current.derived_from is not None:
        name = current.derived_from
        if name == scheme_cls.name or any(name == n for n, _ in out):
            raise PluginError(f"scheme {scheme_cls.name} derives from itself through {name}")
        try:
            base_cls, base_record = host.scheme(name)
        except PluginError as exc:
            raise PluginError(f"scheme {current.name} derives from {name}: {exc}") from None
        if not issubclass(current, base_cls):
            raise PluginError(
                f"scheme {current.name} declares derived_from = {name!r} but its class does "
                f"not subclass {base_cls.__module__}.{base_cls.__qualname__}"
            )
        out.append((name, base_record))
        current = base_cls
    return tuple(out)


def plugin_entries(p: Plan, contributions: Sequence[Contribution] = ()) -> list[dict[str, Any]]:
    """``generator.plugins`` of the manifest: the scheme's plugin, the plugins of the schemes
    it derives from, then every plugin whose task features the bundle holds (with their
    names), one entry per plugin in that order."""
    entries: dict[tuple[str, str], dict[str, Any]] = {}

    def entry(record: PluginRecord) -> dict[str, Any]:
        key = (record.distribution, record.name)
        if key not in entries:
            entries[key] = {
                "distribution": record.distribution,
                "version": record.version,
                "entry_point": record.name,
            }
        return entries[key]

    entry(p.plugin)["scheme"] = p.scheme.name
    for name, record in p.bases:
        entry(record).setdefault("base_scheme", name)
    for c in contributions:
        entry(c.plugin).setdefault("task_features", []).extend(c.features)
    return list(entries.values())


def generation_timestamp(value: str | int | None = None) -> str:
    """ISO-8601 UTC timestamp: explicit value, else ``SOURCE_DATE_EPOCH``, else now."""
    if value is None:
        env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        value = env or None
    if value is None:
        moment = dt.datetime.now(dt.UTC).replace(microsecond=0)
    elif isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit()):
        try:
            moment = dt.datetime.fromtimestamp(int(value), dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise ConfigError(f"timestamp: {value} is out of range") from None
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(
                f"timestamp: {value!r} is not ISO 8601 (2026-01-31T12:00:00Z) or epoch seconds"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def _check_declared_tasks(p: Plan, tasks: Mapping[str, TaskOutput], params: Any) -> None:
    """A scheme renders exactly the tasks ``task_specs(params)`` declares (else: its bug)."""
    with plugin_code(p.plugin, "task_specs"):
        declared = {t.name: t for t in declared_tasks(p.scheme, params)}
    wrong = sorted(n for n, t in tasks.items() if declared.get(n) != t.spec)
    if wrong:
        raise PluginCrash(
            plugin=p.plugin.name,
            distribution=p.plugin.distribution,
            version=p.plugin.version,
            phase="render",
            detail=f"render returned task(s) {', '.join(wrong)} whose specs task_specs(params) "
            f"does not declare (declared: {', '.join(sorted(declared)) or 'none'})",
        )


def _enforce_contracts(
    scheme: Scheme, published: Rendered, specs: dict[str, TableSpec], mode: ExposureMode
) -> None:
    """Declared column types and task details shape; a violation is a bug of the scheme."""
    redacted = scheme.exposure.redact_columns if mode.is_public else {}
    contracts.enforce(
        scheme,
        "declared schema",
        contracts.schema_problems(specs, published.tables, redacted),
    )
    contracts.enforce(
        scheme,
        "task details",
        [
            f"task {name!r} details {problem}"
            for name, task in published.tasks.items()
            for problem in contracts.task_details_problems(task.details)
        ],
    )


@without_huge_page_advice()
def execute(
    p: Plan,
    *,
    progress: Progress | None = None,
    timestamp: str | int | None = None,
    executor: Executor | None = None,
) -> WorldBundle:
    """Run the scheme and assemble the bundle for the plan's exposure mode.

    ``executor`` is where per-block work runs (default: this process); the bundle is the same
    byte for byte whichever is used.
    """
    progress = progress or NullProgress()
    generated_at = generation_timestamp(timestamp)
    cfg = p.config
    ctx = p.context(progress, executor)
    scheme = p.scheme
    try:
        with phase(progress, "world"), plugin_code(p.plugin, "build_world"):
            world = scheme.build_world(ctx)
        with plugin_code(p.plugin, "simulate"):
            sim = scheme.simulate(world, ctx)
        if ctx.interventions and not ctx.interventions_applied:
            raise SimulationError(
                f"scheme {scheme.name} did not apply the requested interventions "
                f"({', '.join(str(i) for i in ctx.interventions)}); it does not support them"
            )
        with phase(progress, "rendering"):
            with plugin_code(p.plugin, "render"):
                rendered = scheme.render(world, sim, ctx)
            _check_declared_tasks(p, rendered.tasks, ctx.params)
            rendered, contributions = add_task_features(
                scheme.name,
                scheme.exposure,
                rendered,
                collect_features(p.host or get_host(), scheme.name, p.recipe.id),
            )
            # The world and its simulation are not needed past rendering; nor, once
            # published, are the rendered tables of a public bundle.
            del world, sim
            published = publish(scheme, rendered, ctx)
            del rendered
    except LeadforgeError:
        raise
    except MemoryError:
        raise SimulationError("out of memory: try smaller sizes") from None
    with plugin_code(p.plugin, "table_specs"):
        specs = {s.name: s for s in scheme.table_specs()}
    _enforce_contracts(scheme, published, specs, cfg.mode)
    task_manifests: dict[str, dict[str, Any]] = {}
    tasks_meta: dict[str, Any] = {}
    for name, task in published.tasks.items():
        tm = {
            "task": name,
            "task_type": str(task.spec.task_type),
            "targets": list(task.spec.targets),
            "row_unit": task.spec.row_unit,
            "description": task.spec.description,
            **task.details,
            "splits": split_summaries(task),
        }
        task_manifests[name] = tm
        tasks_meta[name] = {
            "task_type": str(task.spec.task_type),
            "targets": list(task.spec.targets),
            "row_unit": task.spec.row_unit,
            "primary": name == p.recipe.header.primary_task,
        }
    redactions = scheme.exposure.redactions() if cfg.mode.is_public else []
    manifest: dict[str, Any] = {
        "bundle_schema_version": layout.BUNDLE_SCHEMA_VERSION,
        "generator": {
            "core": {"distribution": "leadforge-core", "version": __version__},
            "plugin": {
                "distribution": p.plugin.distribution,
                "version": p.plugin.version,
                "entry_point": p.plugin.name,
            },
            "plugins": plugin_entries(p, contributions),
        },
        "scheme": scheme.name,
        "recipe": {
            "id": p.recipe.id,
            "title": p.recipe.header.title,
            "version": p.recipe.header.version,
            "content_hash": p.recipe.content_hash,
            "origin": p.recipe.origin,
            # What `leadforge evaluate` should measure at this difficulty (when declared).
            **(
                {"difficulty_bands": bands} if (bands := p.recipe.bands_for(cfg.difficulty)) else {}
            ),
        },
        "seed": cfg.seed,
        "exposure_mode": str(cfg.mode),
        "difficulty": cfg.difficulty,
        "generated_at": generated_at,
        "config": cfg.to_dict(hidden=scheme.hidden_params if cfg.mode.is_public else ()),
        **(
            {
                "interventions": "withheld"
                if cfg.mode.is_public
                else [str(i) for i in p.interventions]
            }
            if p.interventions
            else {}
        ),
        "tasks": tasks_meta,
        "redactions": redactions,
        "scheme_details": {**published.manifest_extra, **published.instructor_manifest_extra},
    }
    card = render_card(
        title=p.recipe.header.title,
        manifest=manifest,
        sections=published.card_sections,
        tables=published.tables,
        specs=specs,
        tasks=published.tasks,
        task_manifests=task_manifests,
        features=published.features,
        redactions=redactions,
    )
    return WorldBundle(
        scheme=scheme.name,
        mode=cfg.mode,
        tables=published.tables,
        tasks=published.tasks,
        features=published.features,
        truth=published.truth if not cfg.mode.is_public else None,
        public_summary=published.public_summary,
        manifest=manifest,
        task_manifests=task_manifests,
        table_specs=specs,
        card=card,
    )
