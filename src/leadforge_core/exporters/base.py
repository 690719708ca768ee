"""The exporter contract: a format name, a title, and a ``write`` method.

An exporter turns a bundle into another on-disk form (CSV files, a database, a dataset
folder). It never sees the bundle folder directly: the core hands it an :class:`ExportSource`,
a read-only view that serves only what the bundle may show, so an export of a
``student_public`` bundle cannot carry hidden truth.
"""

from __future__ import annotations

import abc
import copy
import importlib.util
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from leadforge_core.bundle import layout
from leadforge_core.bundle.model import SPLITS, TableSpec
from leadforge_core.errors import ExportError
from leadforge_core.exposure import ExposureMode, ExposurePolicy
from leadforge_core.validation.view import BundleReadError, BundleView


class ExportSource:
    """Read-only access to one bundle for an exporter.

    Tables, task splits, the feature dictionary, the dataset card and task manifests are
    served as the bundle has them. Metadata files are limited to ``public_summary.json`` for
    a public bundle (whatever else the folder holds), and to the files the manifest lists for
    an instructor bundle. Table declarations (primary and foreign keys, column descriptions)
    come from the bundle's scheme when its plugin is installed; otherwise
    :attr:`scheme_available` is false and :meth:`table_spec` returns ``None``.
    """

    def __init__(
        self,
        view: BundleView,
        *,
        table_specs: Mapping[str, TableSpec] | None = None,
        exposure: ExposurePolicy | None = None,
    ) -> None:
        """Wrap ``view``; ``table_specs`` and ``exposure`` come from its scheme."""
        self._view = view
        self._table_specs = dict(table_specs or {})
        self._exposure = exposure

    # -- identity ------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        """Folder of the bundle (for messages; read files through this object)."""
        return self._view.path

    @cached_property
    def _manifest(self) -> dict[str, Any]:
        return self._view.manifest

    @property
    def manifest(self) -> dict[str, Any]:
        """A copy of ``manifest.json`` (public manifests carry no hidden truth)."""
        return copy.deepcopy(self._manifest)

    @property
    def mode(self) -> ExposureMode:
        """The bundle's exposure mode."""
        return self._view.mode

    @property
    def is_public(self) -> bool:
        """Whether the bundle is a ``student_public`` one."""
        return self.mode.is_public

    @property
    def scheme(self) -> str:
        """Name of the scheme that generated the bundle."""
        return self._view.scheme

    @property
    def recipe_id(self) -> str:
        """Id of the recipe the bundle was generated from."""
        return str((self._manifest.get("recipe") or {}).get("id", "bundle"))

    @property
    def title(self) -> str:
        """Human title of the bundle (the recipe's title)."""
        return str((self._manifest.get("recipe") or {}).get("title") or self.recipe_id)

    @property
    def scheme_available(self) -> bool:
        """Whether the scheme's table declarations are known (its plugin is installed)."""
        return bool(self._table_specs)

    @property
    def exposure(self) -> ExposurePolicy | None:
        """The scheme's exposure policy, when its plugin is installed."""
        return self._exposure

    # -- tables and tasks ----------------------------------------------------------------
    def table_names(self) -> list[str]:
        """Tables of the bundle, in declaration order when the scheme is known."""
        present = self._view.table_names()
        declared = [n for n in self._table_specs if n in present]
        return declared + [n for n in present if n not in self._table_specs]

    def table(self, name: str) -> pl.DataFrame:
        """One table as a polars frame (read once, then cached)."""
        return self._view.table(name)

    def table_spec(self, name: str) -> TableSpec | None:
        """The scheme's declaration of table ``name`` (``None`` when unknown)."""
        return self._table_specs.get(name)

    def task_names(self) -> list[str]:
        """Tasks of the bundle, the primary task first."""
        names = self._view.task_names()
        primary = self.primary_task
        return [primary, *[n for n in names if n != primary]] if primary in names else names

    @property
    def primary_task(self) -> str:
        """The recipe's primary task (the first task when none is marked primary)."""
        tasks = self._manifest.get("tasks") or {}
        marked = [n for n, t in sorted(tasks.items()) if isinstance(t, dict) and t.get("primary")]
        if marked:
            return str(marked[0])
        names = sorted(tasks)
        if not names:
            raise BundleReadError(layout.MANIFEST, "the bundle has no task")
        return str(names[0])

    def task_manifest(self, task: str) -> dict[str, Any]:
        """The task's ``task_manifest.json``."""
        return self._view.task_manifest(task)

    def targets(self, task: str) -> list[str]:
        """Target column(s) of ``task``."""
        entry = (self._manifest.get("tasks") or {}).get(task) or {}
        return [str(t) for t in entry.get("targets") or []]

    def id_columns(self, task: str) -> list[str]:
        """Columns of ``task`` that identify a row (feature group ``identifier``)."""
        columns = self.task_split(task, self.split_names(task)[0]).columns
        ids = set(self._features.filter(pl.col("feature_group") == "identifier")["feature_name"])
        return [c for c in columns if c in ids]

    def split_names(self, task: str) -> list[str]:
        """Splits of ``task`` in train, valid, test order."""
        entry = (self._manifest.get("tasks") or {}).get(task) or {}
        names = list((entry.get("splits") or {}).keys())
        order = {s: i for i, s in enumerate(SPLITS)}
        return sorted(names, key=lambda s: (order.get(s, len(order)), s))

    def task_split(self, task: str, split: str) -> pl.DataFrame:
        """One split of one task as a polars frame."""
        return self._view.task_split(task, split)

    # -- documentation -------------------------------------------------------------------
    @cached_property
    def _features(self) -> pl.DataFrame:
        return self._view.feature_dictionary()

    def feature_dictionary(self) -> pl.DataFrame:
        """``feature_dictionary.csv`` as a string table."""
        return self._features

    def feature(self, name: str) -> dict[str, str] | None:
        """The feature-dictionary row of column ``name`` (``None`` when absent)."""
        rows = self._features.filter(pl.col("feature_name") == name)
        return {k: str(v) for k, v in rows.row(0, named=True).items()} if rows.height else None

    def column_description(self, table: str, column: str) -> str:
        """Description of a table column: the scheme's declaration, else the feature
        dictionary entry derived from it, else an empty string."""
        spec = self._table_specs.get(table)
        if spec is not None and column in spec.column_names and spec.column(column).description:
            return spec.column(column).description
        rows = self._features.filter(pl.col("derived_from") == f"{table}.{column}")
        return str(rows["description"][0]) if rows.height else ""

    def table_description(self, table: str) -> str:
        """The scheme's one-line description of ``table`` (empty when unknown)."""
        spec = self._table_specs.get(table)
        return spec.description if spec is not None else ""

    def card(self) -> str:
        """The bundle's ``dataset_card.md``."""
        return self.read_text(layout.CARD)

    def metadata_names(self) -> list[str]:
        """Metadata files an export may carry: ``public_summary.json`` only for a public
        bundle; every ``metadata/`` file the manifest lists for an instructor bundle."""
        if self.is_public:
            return [layout.PUBLIC_SUMMARY]
        prefix = layout.METADATA_DIR + "/"
        files = self._manifest.get("files") or {}
        return sorted(rel[len(prefix) :] for rel in files if str(rel).startswith(prefix))

    def _allowed(self, rel: str) -> bool:
        if rel in (layout.CARD, layout.FEATURE_DICTIONARY):
            return True
        if rel in {layout.task_manifest_file(t) for t in self._view.task_names()}:
            return True
        return rel in {layout.metadata_file(n) for n in self.metadata_names()}

    def read_bytes(self, rel: str) -> bytes:
        """Bytes of a documentation file (card, feature dictionary, task manifest, allowed
        metadata) by its path inside the bundle; anything else raises ExportError."""
        if not self._allowed(rel):
            raise ExportError(f"{rel} may not be exported from a {self.mode} bundle")
        file = self.path / rel
        try:
            return file.read_bytes()
        except FileNotFoundError:
            raise BundleReadError(rel, "file is missing") from None
        except OSError as exc:
            raise BundleReadError(rel, f"cannot be read ({exc.strerror})") from None

    def read_text(self, rel: str) -> str:
        """Text of a documentation file (see :meth:`read_bytes`)."""
        try:
            return self.read_bytes(rel).decode("utf-8")
        except UnicodeDecodeError:
            raise BundleReadError(rel, "not UTF-8 text") from None


class Exporter(abc.ABC):
    """Base class of export formats, registered with ``leadforge_register_exporters``.

    Subclasses set ``name`` (the format name given to ``--format``; unique across plugins) and
    ``title`` (one line), and implement :meth:`write`. ``requires`` lists modules the format
    imports and ``extra`` the pip extra that brings them, so a missing one is reported as one
    line. ``option_help`` declares the ``--option KEY=VALUE`` settings the format accepts.
    """

    #: Format name (``csv``); duplicates across plugins are an error.
    name: ClassVar[str]
    #: One-line description shown by ``leadforge plugins`` and ``leadforge export --help``.
    title: ClassVar[str]
    #: Importable modules the format needs beyond leadforge-core's dependencies.
    requires: ClassVar[tuple[str, ...]] = ()
    #: The leadforge-core extra that provides ``requires`` (for the error message).
    extra: ClassVar[str | None] = None
    #: Accepted options: name → help text.
    option_help: ClassVar[dict[str, str]] = {}
    #: Default values of options (every key must be in ``option_help``).
    option_defaults: ClassVar[dict[str, str]] = {}

    def __init__(self, options: Mapping[str, str] | None = None) -> None:
        """Check ``options`` against :attr:`option_help` and fill defaults.

        Raises :class:`~leadforge_core.errors.ExportError` for an unknown option.
        """
        given = dict(options or {})
        unknown = sorted(set(given) - set(self.option_help))
        if unknown:
            valid = ", ".join(sorted(self.option_help)) or "none"
            raise ExportError(
                f"format '{self.name}' has no option {unknown[0]!r} (options: {valid})"
            )
        self.options: dict[str, str] = {**self.option_defaults, **given}

    def check_requirements(self) -> None:
        """Raise ExportError naming the extra to install when a required module is missing."""
        for module in self.requires:
            if importlib.util.find_spec(module) is None:
                hint = f"pip install 'leadforge-core[{self.extra}]'" if self.extra else module
                raise ExportError(f"format '{self.name}' needs the {module} package: {hint}")

    @abc.abstractmethod
    def write(self, source: ExportSource, out: Path) -> None:
        """Write ``source`` into ``out``, an empty folder.

        The core created ``out`` as a temporary sibling of the destination and renames it into
        place only when this returns, so a failure or an interruption leaves nothing behind.
        Read the bundle only through ``source``.
        """
