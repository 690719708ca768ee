"""Bernoulli logging: events that happen in the world but are not recorded by its systems.

The simulation keeps every event (the truth); what a CRM, a billing system or a telemetry
pipeline records is a thinned copy. Thinning draws one uniform per event or reading, so which
events are lost never depends on how many others were.
"""

from __future__ import annotations

import numpy as np


def logged(u: np.ndarray, rate: np.ndarray | float) -> np.ndarray:
    """Mask of the events that are recorded (``u < rate``); ``rate`` is the logging rate."""
    return np.asarray(u < rate)


def unlogged(u: np.ndarray, missing_rate: np.ndarray | float) -> np.ndarray:
    """Mask of the readings that go missing (``u < missing_rate``)."""
    return np.asarray(u < missing_rate)


def blank_unlogged(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """``values`` as float with NaN where the reading was not recorded."""
    return np.where(missing, np.nan, np.asarray(values, dtype=np.float64))
