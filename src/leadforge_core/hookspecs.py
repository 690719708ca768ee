"""Every hook a leadforge plugin can implement. Plugins are discovered through the
``leadforge`` entry-point group; an entry point names a module or object carrying
``@hookimpl`` functions."""

from __future__ import annotations

from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from leadforge_core.commands import Command
    from leadforge_core.evaluate.metrics import ExtraMetric
    from leadforge_core.exporters.base import Exporter
    from leadforge_core.features import TaskFeature
    from leadforge_core.report.model import ReportSection
    from leadforge_core.scheme import Scheme
    from leadforge_core.validation.checks import NamedCheck
    from leadforge_core.validation.view import BundleView

PROJECT = "leadforge"
hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorator marking a plugin's function (or method) as the implementation of the hook of the
#: same name, e.g. ``@hookimpl def leadforge_register_schemes(): ...``.
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def leadforge_register_schemes() -> list[type[Scheme]]:
    """Called once when plugins load. Return the scheme classes this plugin provides.

    Each class subclasses :class:`leadforge_core.scheme.Scheme` with a unique ``name`` and the
    ``api_version`` it targets. A name already registered by another plugin is an error naming
    both distributions.
    """
    raise NotImplementedError


@hookspec
def leadforge_register_recipes() -> list[Traversable | Path]:
    """Called once when plugins load. Return recipe YAML files shipped with this plugin.

    Files are usually package data (``importlib.resources.files(pkg) / "recipes" / "x.yaml"``)
    so installing the plugin brings its recipes and uninstalling it removes them. Each
    recipe's ``scheme`` must be registered by some plugin.
    """
    raise NotImplementedError


@hookspec
def leadforge_register_exporters() -> list[type[Exporter]]:
    """Called once when plugins load. Return the export format classes this plugin provides.

    Each class subclasses :class:`leadforge_core.exporters.Exporter` with a unique ``name``
    (the ``--format`` of ``leadforge export``), a one-line ``title`` and a ``write`` method that
    writes a bundle, seen through a read-only :class:`~leadforge_core.exporters.ExportSource`,
    into an empty folder. A name already registered by another plugin (the core registers
    ``csv``, ``duckdb``, ``hf``, ``kaggle`` and ``teaching-csv`` through this same hook) is an
    error naming both distributions.
    """
    raise NotImplementedError


@hookspec
def leadforge_evaluation_metrics(task_type: str) -> list[ExtraMetric]:
    """Called by ``leadforge evaluate`` once per evaluated task, with the task's type
    (``"binary"`` or ``"regression"``). Return the extra metrics to report for that type.

    Each :class:`leadforge_core.evaluate.ExtraMetric` has a unique ``name`` and a function
    ``fn(y_true, y_pred) -> float`` applied to the test split of every baseline (binary:
    predicted probabilities of the positive class). Results appear under ``extra`` next to
    the built-in metrics. Return an empty list for task types the plugin does not score.
    """
    raise NotImplementedError


@hookspec
def leadforge_report_sections(view: BundleView) -> list[ReportSection]:
    """Called once per ``leadforge report`` for every plugin, with a read-only view of the
    bundle being reported. Return the sections this plugin adds to the page (funnel,
    cohorts, sources…) or an empty list for bundles it does not know (check ``view.scheme``).

    Sections hold only aggregates (:mod:`leadforge_core.report.model`); the core draws them
    and places them after the overview. A section whose ``key`` equals a generic section's
    (``cohorts``, ``targets``, ``features``) replaces it. Read tables lazily with
    :func:`leadforge_core.report.aggregate.scan_table`. For a public bundle, use only what the
    bundle holds: it carries no hidden truth, so neither will the report.
    """
    raise NotImplementedError


@hookspec
def leadforge_task_features(scheme: str, recipe: str) -> list[TaskFeature]:
    """Called once per generation for every plugin, with the run's scheme name and recipe id.
    Return the task features this plugin adds to that run (often only for one scheme or
    recipe), or an empty list.

    Each :class:`leadforge_core.features.TaskFeature` names its column, its dictionary entry,
    the tasks it joins and ``compute(inp) -> polars.Series``. ``inp`` is a read-only
    :class:`~leadforge_core.features.FeatureInput`: the task rows with their anchors, and
    the run's tables read through the point-in-time cutoff, so the feature is identical in
    both exposure modes. The core checks the result (one value per row, the declared type,
    nulls, a free name), adds the column to every split, the feature dictionary and the card,
    and records the plugin in ``generator.plugins``. An exception in ``compute`` is a
    :class:`~leadforge_core.errors.PluginCrash` of phase ``task_features``.
    """
    raise NotImplementedError


@hookspec
def leadforge_register_checks(scheme: str) -> list[NamedCheck]:
    """Called by ``leadforge validate`` for every plugin, with the bundle's scheme name (and,
    for a derived scheme, once more with each base scheme's name). Return the validation
    checks to run on it: checks for that scheme, for every scheme, or an empty list.

    Each :class:`leadforge_core.validation.checks.NamedCheck` has a ``name`` (reported as
    ``<plugin>.<name>``, the plugin being its entry-point name; one plugin returning a name
    twice is an error) and a function ``fn(view) -> Iterable[Finding]``. ``leadforge validate
    --select/--ignore`` match those names. A check that raises is reported as its plugin's
    bug (exit 3), not as a failed validation.
    """
    raise NotImplementedError


@hookspec
def leadforge_register_commands() -> list[Command]:
    """Called once when plugins load. Return the CLI commands this plugin adds.

    Each :class:`leadforge_core.Command` names the command and its target: a function (one
    Typer command) or a :class:`typer.Typer` sub-app. The commands appear in
    ``leadforge --help``. A name used by a built-in command or by another plugin is an error
    naming both distributions: one warning line, the command is skipped and the CLI keeps
    working. An unexpected exception inside a command is that plugin's bug (exit code 3).
    """
    raise NotImplementedError
