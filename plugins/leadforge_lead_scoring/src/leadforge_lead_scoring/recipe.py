"""The ``world:`` section of a lead-scoring recipe: narrative, vocabularies, ranges, profiles.

Everything a vertical changes lives here, so a new vertical is a new YAML file. Vocabulary
entries carry the effect they have on the hidden latents they feed (for example an industry's
effect on account fit), which keeps the business story and the mechanism in one place.
"""

from __future__ import annotations

import attrs

from leadforge_core.config.fields import float_field, int_field

STAGE_KEYS = (
    "mql",
    "sal",
    "sql",
    "demo_scheduled",
    "demo_completed",
    "proposal_sent",
    "negotiation",
    "closed_won",
    "closed_lost",
)


@attrs.define
class Narrative:
    company: str
    product: str
    summary: str
    pains: list[str]
    buyers: list[str]


@attrs.define
class Choice:
    """A categorical value with a sampling weight and its effect on the latent it feeds."""

    name: str
    weight: float = float_field(1.0, gt=0.0)
    effect: float = 0.0


@attrs.define
class Industry:
    """An industry: weight, fit effect and how its fit changes with company complexity
    (``complexity_affinity`` > 0: fit grows with size; < 0: fit shrinks with size)."""

    name: str
    weight: float = float_field(1.0, gt=0.0)
    effect: float = 0.0
    complexity_affinity: float = 0.0


@attrs.define
class Band:
    """A company-size band: sampling weight, fit effect and buying-committee complexity."""

    name: str
    weight: float = float_field(1.0, gt=0.0)
    fit: float = 0.0
    complexity: float = 0.0


@attrs.define
class Role:
    function: str
    buyer_role: str
    titles: list[str]
    weight: float = float_field(1.0, gt=0.0)
    authority: float = 0.0


@attrs.define
class Channel:
    """A first-touch channel: its normalized lead source, intent (quality) and volume effects."""

    name: str
    lead_source: str
    weight: float = float_field(1.0, gt=0.0)
    intent: float = 0.0
    volume: float = float_field(1.0, gt=0.0)
    outbound: bool = False


@attrs.define
class Campaign:
    id: str
    channel: str


@attrs.define
class Plan:
    name: str
    weight: float = float_field(1.0, gt=0.0)
    acv_multiplier: float = float_field(1.0, gt=0.0)


@attrs.define
class Range:
    min: float
    max: float


@attrs.define
class CompanyNames:
    stems: list[str]
    suffixes: list[str]


@attrs.define
class Sizing:
    """How population sizes and the rep team scale with the number of leads."""

    leads_per_account: float = float_field(6.0, ge=1.0)
    leads_per_contact: float = float_field(1.6, ge=1.0)
    leads_per_sdr: int = int_field(900, ge=10)
    sdrs_per_ae: int = int_field(2, ge=1)


@attrs.define
class Acquisition:
    """Lead-creation calendar: weights per weekday (Mon..Sun) and per month (Jan..Dec)."""

    weekday_weights: list[float]
    month_weights: list[float]


@attrs.define
class Prevalence:
    min: float
    max: float


@attrs.define
class Profile:
    """A difficulty profile; compiled into mechanism and observation parameters."""

    prevalence: Prevalence
    signal: float = float_field(1.0, gt=0.0, help="scale of latent effects on hazards")
    outcome_noise: float = float_field(0.5, ge=0.0, help="unobserved noise in deal propensity")
    interaction: float = float_field(0.5, ge=0.0, help="strength of non-linear interactions")
    base_win: float = float_field(0.0, help="intercept shift of the closing hazards")
    proxy_noise: float = float_field(0.5, ge=0.0, help="noise of CRM proxy scores")
    missing_enrichment: float = float_field(0.1, ge=0.0, le=0.9)
    attribution_noise: float = float_field(0.1, ge=0.0, le=0.9)
    stage_log_delay_days: float = float_field(1.0, ge=0.0)
    activity_log_delay_days: float = float_field(0.5, ge=0.0)
    session_visibility: float = float_field(0.8, gt=0.0, le=1.0)
    activity_log_rate: float = float_field(0.9, gt=0.0, le=1.0)
    duplicate_rate: float = float_field(0.01, ge=0.0, le=0.2)
    confounding: float = float_field(0.3, ge=0.0, help="strength of the hidden confounder")
    drift: float = float_field(0.0, help="change of closing intercept across the window")
    engagement_noise: float = float_field(0.5, ge=0.0)
    latent_noise: float = float_field(1.0, gt=0.0, help="scale of unobserved latent noise")
    event_volume: float = float_field(1.0, gt=0.0, help="multiplier of touch and session rates")
    pace: float = float_field(0.0, help="shift of every stage-advance logit (funnel speed)")
    researcher_share: float = float_field(
        0.05, ge=0.0, le=0.5, help="base share of browsing researchers who never buy"
    )


@attrs.define
class LeadScoringWorld:
    narrative: Narrative
    company_names: CompanyNames
    industries: list[Industry]
    regions: list[Choice]
    employee_bands: list[Band]
    revenue_bands: list[Choice]
    maturity_bands: list[Choice]
    roles: list[Role]
    seniorities: list[Choice]
    email_domain_types: list[Choice]
    channels: list[Channel]
    campaigns: list[Campaign]
    touch_types: list[Choice]
    session_types: list[Choice]
    activity_types: list[Choice]
    activity_outcomes: list[Choice]
    stages: dict[str, str]
    plans: list[Plan]
    acv: Range
    sizing: Sizing
    acquisition: Acquisition
    motifs: list[str]
    difficulties: dict[str, Profile]
    rep_teams: list[str] = attrs.Factory(lambda: ["east", "west"])

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        missing = [k for k in STAGE_KEYS if k not in self.stages]
        extra = [k for k in self.stages if k not in STAGE_KEYS]
        if missing or extra:
            out.append(("stages", f"must name exactly the stages {', '.join(STAGE_KEYS)}"))
        if len(set(self.stages.values())) != len(self.stages):
            out.append(("stages", "stage names must be distinct"))
        if len(self.acquisition.weekday_weights) != 7:
            out.append(("acquisition.weekday_weights", "needs 7 weights (Mon..Sun)"))
        if len(self.acquisition.month_weights) != 12:
            out.append(("acquisition.month_weights", "needs 12 weights (Jan..Dec)"))
        if self.acv.min <= 0 or self.acv.max < self.acv.min:
            out.append(("acv", "needs 0 < min <= max"))
        names = {c.name for c in self.channels}
        out += [
            ("campaigns", f"campaign {c.id} names unknown channel {c.channel}")
            for c in self.campaigns
            if c.channel not in names
        ]
        from leadforge_lead_scoring.world.motifs import MOTIF_FAMILIES

        out += [
            ("motifs", f"unknown motif family {m}; valid: {', '.join(MOTIF_FAMILIES)}")
            for m in self.motifs
            if m not in MOTIF_FAMILIES
        ]
        for name, p in self.difficulties.items():
            if not 0 < p.prevalence.min < p.prevalence.max < 1:
                out.append((f"difficulties.{name}.prevalence", "needs 0 < min < max < 1"))
        return out
