"""Run parameters of the lifecycle scheme (validated by the core's strict converter)."""

from __future__ import annotations

import datetime as dt
import enum
import itertools

import attrs

from leadforge_core.config.fields import int_field
from leadforge_core.splits import SplitConfig, SplitStrategy

#: Default forward value windows (days) and churn window; task names are built from them.
VALUE_WINDOWS = (90, 365, 730)
CHURN_WINDOW = 180
MAX_WINDOW_DAYS = 1825


class Motif(enum.StrEnum):
    """The hidden commercial story of a world (which mechanisms dominate)."""

    PRODUCT_LED_RETENTION = "product_led_retention"
    RELATIONSHIP_LED_RETENTION = "relationship_led_retention"
    EXPANSION_LED_GROWTH = "expansion_led_growth"
    PAYMENT_FRAGILE = "payment_fragile"
    CHURNER_DOMINATED = "churner_dominated"


@attrs.define
class PopulationParams:
    n_customers: int = int_field(5_000, ge=50, le=20_000_000, help="customers simulated")
    customers_per_csm: int = int_field(
        150, ge=10, le=5_000, help="book size of a customer success manager"
    )


@attrs.define
class CalendarParams:
    """The calendar: staggered starts, one absolute observation date, early-regime tenure."""

    acquisition_start: dt.date = attrs.field(
        default=dt.date(2022, 1, 3), metadata={"help": "first day customers may start"}
    )
    acquisition_weeks: int = int_field(
        108, ge=1, le=520, help="length of the acquisition window in weeks"
    )
    observation_date: dt.date = attrs.field(
        default=dt.date(2024, 1, 1),
        metadata={"help": "calendar-regime cutoff; public tables stop here"},
    )
    early_tenure_weeks: int = int_field(
        13, ge=1, le=104, help="tenure at which the early-pLTV regime scores a customer"
    )
    health_period_weeks: int = int_field(
        4, ge=1, le=13, help="weeks aggregated into one health_signals row"
    )
    dunning_weeks: int = int_field(
        12, ge=2, le=52, help="weeks of dunning before an unpaid balance is written off"
    )

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        first_early = self.acquisition_start + dt.timedelta(weeks=self.early_tenure_weeks)
        if self.observation_date <= first_early:
            out.append(
                (
                    "observation_date",
                    f"must be after acquisition_start + early_tenure_weeks ({first_early})",
                )
            )
        return out


@attrs.define
class WindowParams:
    """Target windows: task ``ltv_revenue_{w}d`` per value window, ``churned_within_{c}d``.

    Every customer is simulated through ``observation_date + horizon_days`` so each window is
    complete.
    """

    value_days: list[int] = attrs.field(
        factory=lambda: list(VALUE_WINDOWS),
        metadata={"help": "forward value windows in days, strictly increasing"},
    )
    churn_days: int = int_field(
        CHURN_WINDOW, ge=7, le=MAX_WINDOW_DAYS, help="window of the churn target in days"
    )

    @property
    def horizon_days(self) -> int:
        return max([*self.value_days, self.churn_days])

    def problems(self) -> list[tuple[str, str]]:
        days = self.value_days
        if not days:
            return [("value_days", "needs at least one window")]
        if any(d < 7 or d > MAX_WINDOW_DAYS for d in days):
            return [("value_days", f"each window must be within 7..{MAX_WINDOW_DAYS} days")]
        if any(b <= a for a, b in itertools.pairwise(days)):
            return [("value_days", "windows must be strictly increasing")]
        return []


@attrs.define
class LifecycleParams:
    population: PopulationParams = attrs.Factory(PopulationParams)
    calendar: CalendarParams = attrs.Factory(CalendarParams)
    windows: WindowParams = attrs.Factory(WindowParams)
    motif: Motif | None = attrs.field(
        default=None, metadata={"help": "hidden motif family; sampled per world when unset"}
    )
    split: SplitConfig = attrs.Factory(lambda: SplitConfig(strategy=SplitStrategy.RANDOM))

    def problems(self) -> list[tuple[str, str]]:
        cal = self.calendar
        end = cal.acquisition_start + dt.timedelta(weeks=cal.acquisition_weeks)
        horizon = cal.observation_date + dt.timedelta(days=self.windows.horizon_days)
        if end > horizon:
            return [("calendar.acquisition_weeks", f"acquisition window must end by {horizon}")]
        return []
