"""Monthly invoicing and dunning rules.

An invoice is issued on the first weekly step of each contract month for the MRR in force.
A failed payment opens a dunning episode: invoices issued while it is open fail too; each later
week the balance is recovered with some probability, and after ``dunning_weeks`` without
recovery everything open is written off and the customer churns.
"""

from __future__ import annotations

import numpy as np

from leadforge_lifecycle.simulate.hazards import WEEKS_PER_MONTH


def contract_month(tenure: np.ndarray) -> np.ndarray:
    return np.floor(tenure / WEEKS_PER_MONTH).astype(np.int64)


def invoice_due(tenure: np.ndarray) -> np.ndarray:
    """True on the first week of each contract month (tenure week 0 included)."""
    return (tenure == 0) | (contract_month(tenure) != contract_month(np.maximum(tenure - 1, 0)))


def dunning_outcome(
    weeks_open: np.ndarray, recover_draw: np.ndarray, recover_p: np.ndarray, dunning_weeks: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(recovered, written_off)`` for open episodes after ``weeks_open`` weeks.

    Recovery is tried first; a balance unrecovered after ``dunning_weeks`` weeks is written off.
    """
    recovered = (weeks_open >= 1) & (recover_draw < recover_p)
    written_off = ~recovered & (weeks_open >= dunning_weeks)
    return recovered, written_off
