"""The ``world:`` section of a lifecycle recipe: narrative, vocabularies, difficulty profiles."""

from __future__ import annotations

import attrs

from leadforge_core.config.fields import bool_field, float_field
from leadforge_lifecycle.params import Motif


@attrs.define
class Narrative:
    company: str
    product: str
    summary: str
    customers: str


@attrs.define
class Category:
    """A categorical value with its sampling weight and a shift of the fit it brings."""

    name: str
    weight: float = float_field(1.0, gt=0.0)
    fit_shift: float = float_field(0.0, ge=-2.0, le=2.0)


@attrs.define
class EmployeeBand:
    """A company-size band: weight, seat ceiling and the median MRR it signs at."""

    name: str
    weight: float = float_field(1.0, gt=0.0)
    seats: float = float_field(50.0, gt=0.0)
    median_mrr: float = float_field(1_000.0, gt=0.0)
    budget_shift: float = float_field(0.0, ge=-2.0, le=2.0)


@attrs.define
class Plan:
    """A plan tier; a subscription's plan is the highest tier whose ``min_mrr`` it reaches."""

    name: str
    min_mrr: float = float_field(0.0, ge=0.0)


@attrs.define
class Term:
    months: int
    weight: float = float_field(1.0, gt=0.0)


@attrs.define
class Vocabularies:
    industries: list[Category]
    regions: list[Category]
    employee_bands: list[EmployeeBand]
    acquisition_channels: list[Category]
    plans: list[Plan]
    contract_terms: list[Term]
    company_prefixes: list[str]
    company_suffixes: list[str]
    csm_teams: list[str]


@attrs.define
class DifficultyProfile:
    """Simulation parameters one tier compiles to (they change the world, not the file)."""

    signal_strength: float = float_field(1.0, gt=0.0, le=3.0)
    frailty_sd: float = float_field(0.5, ge=0.0, le=3.0)
    telemetry_noise: float = float_field(0.1, ge=0.0, le=2.0)
    missingness: float = float_field(0.02, ge=0.0, le=0.5)
    weekly_churn: float = float_field(0.002, gt=0.0, lt=0.2)
    onboarding_multiplier: float = float_field(3.0, ge=1.0, le=20.0)
    renewal_churn: float = float_field(0.12, gt=0.0, lt=1.0)
    weekly_expansion: float = float_field(0.01, ge=0.0, lt=0.5)
    expansion_jump: float = float_field(0.35, gt=0.0, le=3.0)
    expansion_signal: float = float_field(
        1.0, ge=0.0, le=3.0, help="multiplier on signal_strength in the expansion hazard"
    )
    weekly_downgrade: float = float_field(0.003, ge=0.0, lt=0.5)
    payment_failure: float = float_field(0.02, ge=0.0, lt=1.0)
    weekly_recovery: float = float_field(0.2, gt=0.0, lt=1.0)
    mrr_sigma: float = float_field(0.8, ge=0.0, le=3.0)
    second_trap: bool = bool_field(False, help="add a post-cutoff health reading as a trap")


@attrs.define
class LifecycleWorld:
    narrative: Narrative
    vocabularies: Vocabularies
    motifs: list[Motif]
    difficulty: dict[str, DifficultyProfile]

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if not self.motifs:
            out.append(("motifs", "at least one motif family must be enabled"))
        vocab = self.vocabularies
        for key in ("industries", "regions", "employee_bands", "acquisition_channels", "plans"):
            if not getattr(vocab, key):
                out.append((f"vocabularies.{key}", "must not be empty"))
        if vocab.plans and vocab.plans[0].min_mrr != 0.0:
            out.append(("vocabularies.plans", "the first plan must have min_mrr 0"))
        if [p.min_mrr for p in vocab.plans] != sorted(p.min_mrr for p in vocab.plans):
            out.append(("vocabularies.plans", "plans must be ordered by min_mrr"))
        if not vocab.contract_terms or any(t.months < 1 for t in vocab.contract_terms):
            out.append(("vocabularies.contract_terms", "terms must be >= 1 month"))
        if not vocab.company_prefixes or not vocab.company_suffixes:
            out.append(("vocabularies", "company name parts must not be empty"))
        return out
