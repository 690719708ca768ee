"""Export formats: the exporter contract, the read-only bundle source and :func:`export`.

Formats are plugins: each is an :class:`Exporter` subclass registered through the
``leadforge_register_exporters`` hook; the core registers its own (csv, duckdb, hf, kaggle,
teaching-csv) through the same hook.
"""

from __future__ import annotations

from leadforge_core.exporters.base import Exporter, ExportSource
from leadforge_core.exporters.run import ExportResult, export, open_bundle

__all__ = ["ExportResult", "ExportSource", "Exporter", "export", "open_bundle"]
