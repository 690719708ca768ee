"""Run parameters of the lead-scoring scheme (the typed ``params:`` config layer)."""

from __future__ import annotations

import datetime as dt

import attrs

from leadforge_core.config.fields import int_field
from leadforge_core.splits import SplitConfig


@attrs.define
class PopulationParams:
    """Population sizes; accounts and contacts are derived from leads when left unset."""

    n_leads: int = int_field(5000, ge=50, le=20_000_000, help="number of leads")
    n_accounts: int | None = int_field(
        None, ge=1, help="number of accounts (default: derived from n_leads via the recipe)"
    )
    n_contacts: int | None = int_field(
        None, ge=1, help="number of contacts (default: derived from n_leads via the recipe)"
    )


@attrs.define
class CalendarParams:
    """When leads are created: ``acquisition_days`` from ``start``."""

    start: dt.date = dt.date(2025, 1, 6)
    acquisition_days: int = int_field(365, ge=28, le=3650, help="length of the acquisition window")


@attrs.define
class LeadScoringParams:
    population: PopulationParams = attrs.Factory(PopulationParams)
    calendar: CalendarParams = attrs.Factory(CalendarParams)
    snapshot_day: int = int_field(
        30, ge=1, le=89, help="days after lead creation at which the task snapshot is taken"
    )
    horizon_days: int = int_field(90, ge=30, le=90, help="label window after lead creation")
    motif: str | None = None
    split: SplitConfig = attrs.Factory(SplitConfig)

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.snapshot_day >= self.horizon_days:
            out.append(
                (
                    "snapshot_day",
                    f"must be before the label window ends (horizon_days={self.horizon_days}),"
                    f" got {self.snapshot_day}",
                )
            )
        return out
