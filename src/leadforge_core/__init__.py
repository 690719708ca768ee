"""leadforge-core: simulate a commercial world and render the CRM datasets it would record."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    #: The installed version of leadforge-core (``0.0.0+source`` when run uninstalled).
    __version__ = version("leadforge-core")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

from leadforge_core.api import Generator, list_recipes
from leadforge_core.bundle.model import (
    CardSection,
    ColumnSpec,
    DType,
    FeatureInfo,
    ForeignKey,
    Rendered,
    TableSpec,
    TaskOutput,
    TaskSpec,
    TaskType,
)
from leadforge_core.bundle.world import WorldBundle
from leadforge_core.commands import Command
from leadforge_core.exporters import Exporter, ExportResult, ExportSource, export
from leadforge_core.exposure import ExposureMode, ExposurePolicy
from leadforge_core.hookspecs import hookimpl
from leadforge_core.scheme import API_VERSION, RunContext, Scheme, SizeFlag

__all__ = [
    "API_VERSION",
    "CardSection",
    "ColumnSpec",
    "Command",
    "DType",
    "ExportResult",
    "ExportSource",
    "Exporter",
    "ExposureMode",
    "ExposurePolicy",
    "FeatureInfo",
    "ForeignKey",
    "Generator",
    "Rendered",
    "RunContext",
    "Scheme",
    "SizeFlag",
    "TableSpec",
    "TaskOutput",
    "TaskSpec",
    "TaskType",
    "WorldBundle",
    "__version__",
    "export",
    "hookimpl",
    "list_recipes",
]
