"""The core's own export formats, registered through ``leadforge_register_exporters`` like any
plugin's (the plugin host registers this module first, as plugin ``builtins``)."""

from __future__ import annotations

from leadforge_core.exporters.base import Exporter
from leadforge_core.exporters.csv_format import CsvExporter
from leadforge_core.exporters.duckdb_format import DuckDBExporter
from leadforge_core.exporters.hf import HuggingFaceExporter
from leadforge_core.exporters.kaggle import KaggleExporter
from leadforge_core.exporters.teaching import TeachingCsvExporter
from leadforge_core.hookspecs import hookimpl


@hookimpl
def leadforge_register_exporters() -> list[type[Exporter]]:
    """csv, duckdb, hf, kaggle and teaching-csv."""
    return [CsvExporter, DuckDBExporter, HuggingFaceExporter, KaggleExporter, TeachingCsvExporter]
