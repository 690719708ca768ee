"""The ``world:`` section of a lifecycle recipe: narrative, vocabularies, difficulty profiles."""

from __future__ import annotations

import attrs

from leadforge_core.config.fields import bool_field, doc_field, float_field
from leadforge_lifecycle.params import Motif


@attrs.define
class Narrative:
    """The story the dataset card tells."""

    company: str = doc_field("name of the company selling the subscription")
    product: str = doc_field("the product its customers subscribe to")
    summary: str = doc_field("a paragraph on the business and how customers grow or leave")
    customers: str = doc_field("who the customers are (one sentence)")


@attrs.define
class Category:
    """A categorical value with its sampling weight and a shift of the fit it brings."""

    name: str = doc_field("the value as it appears in the tables")
    weight: float = float_field(1.0, gt=0.0, help="relative sampling weight")
    fit_shift: float = float_field(
        0.0,
        ge=-2.0,
        le=2.0,
        help="shift of the product-fit latent (read for industries and acquisition channels)",
    )


@attrs.define
class EmployeeBand:
    """A company-size band: weight, seat ceiling and the median MRR it signs at."""

    name: str = doc_field("the band as it appears in accounts.employee_band")
    weight: float = float_field(1.0, gt=0.0, help="relative sampling weight")
    seats: float = float_field(50.0, gt=0.0, help="typical number of seats (licensed users)")
    median_mrr: float = float_field(
        1_000.0, gt=0.0, help="median monthly recurring revenue at signup, in dollars"
    )
    budget_shift: float = float_field(
        0.0, ge=-2.0, le=2.0, help="shift of the budget-stability latent"
    )


@attrs.define
class Plan:
    """A plan tier; a subscription's plan is the highest tier whose ``min_mrr`` it reaches."""

    name: str = doc_field("plan name (subscriptions.plan_name)")
    min_mrr: float = float_field(0.0, ge=0.0, help="lowest monthly recurring revenue of the tier")


@attrs.define
class Term:
    """A contract term: renewal decisions come at each anniversary."""

    months: int = doc_field("length of the contract in months")
    weight: float = float_field(1.0, gt=0.0, help="relative sampling weight")


@attrs.define
class Vocabularies:
    """The values customers are drawn from."""

    industries: list[Category] = doc_field("customer industries (accounts.industry)")
    regions: list[Category] = doc_field("account and CSM regions (accounts.region)")
    employee_bands: list[EmployeeBand] = doc_field("company-size bands (accounts.employee_band)")
    acquisition_channels: list[Category] = doc_field(
        "channels customers were acquired through (customers.acquisition_channel)"
    )
    plans: list[Plan] = doc_field("plan tiers, ordered by min_mrr; the first has min_mrr 0")
    contract_terms: list[Term] = doc_field("contract terms customers sign")
    company_prefixes: list[str] = doc_field("first words of generated company names")
    company_suffixes: list[str] = doc_field("last words of generated company names")
    csm_teams: list[str] = doc_field("customer-success team names")


@attrs.define
class DifficultyProfile:
    """Simulation parameters one tier compiles to (they change the world, not the file)."""

    signal_strength: float = float_field(
        1.0, gt=0.0, le=3.0, help="scale of the latents' effects on every hazard"
    )
    frailty_sd: float = float_field(
        0.5, ge=0.0, le=3.0, help="standard deviation of unobserved per-customer churn risk"
    )
    telemetry_noise: float = float_field(
        0.1, ge=0.0, le=2.0, help="measurement noise of the usage and NPS readings"
    )
    missingness: float = float_field(
        0.02, ge=0.0, le=0.5, help="share of telemetry readings left missing"
    )
    weekly_churn: float = float_field(
        0.002, gt=0.0, lt=0.2, help="weekly churn hazard between renewals of an average customer"
    )
    onboarding_multiplier: float = float_field(
        3.0, ge=1.0, le=20.0, help="multiplier of the weekly hazard in week 0, decaying to 1"
    )
    renewal_churn: float = float_field(
        0.12, gt=0.0, lt=1.0, help="probability an average customer leaves at a renewal"
    )
    weekly_expansion: float = float_field(
        0.01, ge=0.0, lt=0.5, help="weekly expansion hazard of an average customer"
    )
    expansion_jump: float = float_field(
        0.35, gt=0.0, le=3.0, help="log of the median MRR multiplier of an expansion"
    )
    expansion_signal: float = float_field(
        1.0, ge=0.0, le=3.0, help="multiplier on signal_strength in the expansion hazard"
    )
    weekly_downgrade: float = float_field(
        0.003, ge=0.0, lt=0.5, help="weekly downgrade hazard of an average customer"
    )
    payment_failure: float = float_field(
        0.02, ge=0.0, lt=1.0, help="weekly payment-failure probability of an average customer"
    )
    weekly_recovery: float = float_field(
        0.2, gt=0.0, lt=1.0, help="weekly probability a failed payment is recovered"
    )
    mrr_sigma: float = float_field(
        0.8, ge=0.0, le=3.0, help="log-normal spread of signup MRR around the band's median"
    )
    second_trap: bool = bool_field(False, help="add a post-cutoff health reading as a trap")


@attrs.define
class LifecycleWorld:
    """The ``world:`` section of a lifecycle recipe."""

    narrative: Narrative = doc_field("the business story of the dataset card")
    vocabularies: Vocabularies = doc_field("the values customers are drawn from")
    motifs: list[Motif] = doc_field("motif families a world may be drawn from (at least one)")
    difficulty: dict[str, DifficultyProfile] = doc_field(
        "one difficulty profile per difficulty name"
    )

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
