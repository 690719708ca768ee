"""``leadforge evaluate``: how hard a bundle really is, measured.

For every task a bundle declares, fit baselines chosen from the task type (binary or
regression), score them on the test split, repeat without and with the declared leakage
traps, audit the splits for leakage, compare with an oracle ceiling when an instructor bundle
carries per-row hidden truth, and judge the result against the difficulty bands the recipe
declares. Needs scikit-learn (``pip install 'leadforge-core[evaluate]'``).
"""

from __future__ import annotations

from leadforge_core.evaluate.metrics import ExtraMetric
from leadforge_core.evaluate.report import SCHEMA_VERSION, evaluate_bundle

__all__ = ["SCHEMA_VERSION", "ExtraMetric", "evaluate_bundle"]
