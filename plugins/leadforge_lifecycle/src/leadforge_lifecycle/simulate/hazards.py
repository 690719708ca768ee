"""Churn hazard over tenure: elevated onboarding, calm middle, spikes at contract anniversaries."""

from __future__ import annotations

import numpy as np

#: Tenure weeks over which the onboarding elevation decays (e-folding time).
ONBOARDING_WEEKS = 10.0
WEEKS_PER_MONTH = 52.1775 / 12.0


def term_weeks(term_months: np.ndarray) -> np.ndarray:
    """Contract length in weekly steps."""
    return np.rint(term_months * WEEKS_PER_MONTH).astype(np.int64)


def tenure_multiplier(tenure: np.ndarray, onboarding_multiplier: float) -> np.ndarray:
    """Weekly-hazard multiplier: ``onboarding_multiplier`` at week 0 decaying to 1."""
    return 1.0 + (onboarding_multiplier - 1.0) * np.exp(-tenure / ONBOARDING_WEEKS)


def churn_probability(
    tenure: np.ndarray,
    at_anniversary: np.ndarray,
    risk: np.ndarray,
    weekly_churn: float,
    onboarding_multiplier: float,
    renewal_churn: float,
) -> np.ndarray:
    """Probability of churning this week.

    Off-anniversary weeks use a proportional weekly hazard; an anniversary week replaces it by
    the renewal decision ``sigmoid(logit(renewal_churn) + risk)``, which is the spike.
    """
    weekly = weekly_churn * tenure_multiplier(tenure, onboarding_multiplier) * np.exp(risk)
    base = np.log(renewal_churn / (1.0 - renewal_churn))
    renewal = 1.0 / (1.0 + np.exp(-(base + risk)))
    return np.where(at_anniversary, renewal, np.minimum(weekly, 0.5))
