"""The ``world:`` section of a lead-scoring recipe: narrative, vocabularies, ranges, profiles.

Everything a vertical changes lives here, so a new vertical is a new YAML file. Vocabulary
entries carry the effect they have on the hidden latents they feed (for example an industry's
effect on account fit), which keeps the business story and the mechanism in one place.
"""

from __future__ import annotations

import attrs

from leadforge_core.config.fields import doc_field, float_field, int_field

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
    """The story the dataset card tells: who sells what to whom."""

    company: str = doc_field("name of the selling company")
    product: str = doc_field("the product it sells")
    summary: str = doc_field("a paragraph on the business, its channels and its sales process")
    pains: list[str] = doc_field("problems the product solves, as the buyers would say them")
    buyers: list[str] = doc_field("the roles that evaluate and buy the product")


@attrs.define
class Choice:
    """A categorical value with a sampling weight and its effect on the latent it feeds."""

    name: str = doc_field("the value as it appears in the tables")
    weight: float = float_field(1.0, gt=0.0, help="relative sampling weight")
    effect: float = float_field(
        0.0,
        help="shift of the hidden latent this vocabulary feeds (regions and revenue bands: "
        "budget readiness; maturity bands: account fit; seniorities: contact authority; email "
        "domain types: contact intent; touch, session and activity vocabularies: none)",
    )


@attrs.define
class Industry:
    """An industry: weight, fit effect and how its fit changes with company complexity
    (``complexity_affinity`` > 0: fit grows with size; < 0: fit shrinks with size)."""

    name: str = doc_field("the industry as it appears in accounts.industry")
    weight: float = float_field(1.0, gt=0.0, help="relative sampling weight")
    effect: float = float_field(0.0, help="shift of the account-fit latent")
    complexity_affinity: float = float_field(
        0.0,
        help="how fit changes with the size band's complexity (times the profile's interaction)",
    )


@attrs.define
class Band:
    """A company-size band: sampling weight, fit effect and buying-committee complexity."""

    name: str = doc_field("the band as it appears in accounts.employee_band")
    weight: float = float_field(1.0, gt=0.0, help="relative sampling weight")
    fit: float = float_field(0.0, help="shift of the account-fit latent")
    complexity: float = float_field(
        0.0, help="buying-committee complexity of companies this size (more: slower, harder deals)"
    )


@attrs.define
class Role:
    """A contact's job function, its part in the buying committee and its job titles."""

    function: str = doc_field("job function (contacts.role_function)")
    buyer_role: str = doc_field("part in the buying committee (contacts.buyer_role)")
    titles: list[str] = doc_field(
        "job titles drawn for contacts of this function (contacts.job_title)"
    )
    weight: float = float_field(1.0, gt=0.0, help="relative sampling weight")
    authority: float = float_field(0.0, help="shift of the contact-authority latent")


@attrs.define
class Channel:
    """A first-touch channel: its normalized lead source, intent (quality) and volume effects."""

    name: str = doc_field("channel name (leads.first_touch_channel; campaigns refer to it)")
    lead_source: str = doc_field("the lead source the CRM records for it (leads.lead_source)")
    weight: float = float_field(1.0, gt=0.0, help="relative share of leads from this channel")
    intent: float = float_field(0.0, help="shift of the buyer-intent latent of its leads")
    volume: float = float_field(1.0, gt=0.0, help="multiplier of touch rates of its leads")
    outbound: bool = doc_field(
        "touches of this channel are outbound (rep-initiated)", default=False
    )


@attrs.define
class Campaign:
    """A marketing campaign touches are attributed to."""

    id: str = doc_field("campaign id (touches.campaign_id)")
    channel: str = doc_field("name of the channel it runs on (one of channels)")


@attrs.define
class Plan:
    """A price plan an opportunity is quoted on."""

    name: str = doc_field("plan name (opportunities.plan)")
    weight: float = float_field(1.0, gt=0.0, help="relative sampling weight")
    acv_multiplier: float = float_field(
        1.0, gt=0.0, help="multiplier of the geometric mid-point of acv for this plan"
    )


@attrs.define
class Range:
    """A closed range of values."""

    min: float = doc_field("smallest value")
    max: float = doc_field("largest value")


@attrs.define
class CompanyNames:
    """Parts of generated account names (stem + suffix, e.g. "Northwind Logistics")."""

    stems: list[str] = doc_field("first words of company names")
    suffixes: list[str] = doc_field("last words of company names")


@attrs.define
class Sizing:
    """How population sizes and the rep team scale with the number of leads."""

    leads_per_account: float = float_field(
        6.0, ge=1.0, help="leads per account when population.n_accounts is not given"
    )
    leads_per_contact: float = float_field(
        1.6, ge=1.0, help="leads per contact when population.n_contacts is not given"
    )
    leads_per_sdr: int = int_field(900, ge=10, help="leads per sales development rep")
    sdrs_per_ae: int = int_field(2, ge=1, help="sales development reps per account executive")


@attrs.define
class Acquisition:
    """Lead-creation calendar: weights per weekday (Mon..Sun) and per month (Jan..Dec)."""

    weekday_weights: list[float] = doc_field("7 relative weights, Monday to Sunday")
    month_weights: list[float] = doc_field("12 relative weights, January to December")


@attrs.define
class Prevalence:
    """The band the primary task's label prevalence should fall in (checked by validate)."""

    min: float = doc_field("lowest expected share of positive labels")
    max: float = doc_field("highest expected share of positive labels")


@attrs.define
class Profile:
    """A difficulty profile; compiled into mechanism and observation parameters."""

    prevalence: Prevalence = doc_field("expected prevalence band of the primary task")
    signal: float = float_field(1.0, gt=0.0, help="scale of latent effects on hazards")
    outcome_noise: float = float_field(0.5, ge=0.0, help="unobserved noise in deal propensity")
    interaction: float = float_field(0.5, ge=0.0, help="strength of non-linear interactions")
    base_win: float = float_field(0.0, help="intercept shift of the closing hazards")
    proxy_noise: float = float_field(0.5, ge=0.0, help="noise of CRM proxy scores")
    missing_enrichment: float = float_field(
        0.1, ge=0.0, le=0.9, help="share of firmographic enrichment fields left empty"
    )
    attribution_noise: float = float_field(
        0.1, ge=0.0, le=0.9, help="share of touches attributed to the wrong channel or campaign"
    )
    stage_log_delay_days: float = float_field(
        1.0, ge=0.0, help="mean delay between a stage change and its CRM record"
    )
    activity_log_delay_days: float = float_field(
        0.5, ge=0.0, help="mean delay between a sales activity and its CRM record"
    )
    session_visibility: float = float_field(
        0.8, gt=0.0, le=1.0, help="share of web sessions the tracking records"
    )
    activity_log_rate: float = float_field(
        0.9, gt=0.0, le=1.0, help="share of sales activities reps log"
    )
    duplicate_rate: float = float_field(
        0.01, ge=0.0, le=0.2, help="share of leads entered twice in the CRM"
    )
    confounding: float = float_field(0.3, ge=0.0, help="strength of the hidden confounder")
    drift: float = float_field(0.0, help="change of closing intercept across the window")
    engagement_noise: float = float_field(
        0.5, ge=0.0, help="unobserved noise in the engagement states"
    )
    latent_noise: float = float_field(1.0, gt=0.0, help="scale of unobserved latent noise")
    event_volume: float = float_field(1.0, gt=0.0, help="multiplier of touch and session rates")
    pace: float = float_field(0.0, help="shift of every stage-advance logit (funnel speed)")
    researcher_share: float = float_field(
        0.05, ge=0.0, le=0.5, help="base share of browsing researchers who never buy"
    )


@attrs.define
class LeadScoringWorld:
    """The ``world:`` section of a lead-scoring recipe."""

    narrative: Narrative = doc_field("the business story of the dataset card")
    company_names: CompanyNames = doc_field("parts of generated account names")
    industries: list[Industry] = doc_field("account industries (accounts.industry)")
    regions: list[Choice] = doc_field("account regions (accounts.region)")
    employee_bands: list[Band] = doc_field("company-size bands (accounts.employee_band)")
    revenue_bands: list[Choice] = doc_field(
        "annual-revenue bands, drawn close to the size band (accounts.revenue_band)"
    )
    maturity_bands: list[Choice] = doc_field("process-maturity bands (accounts.maturity_band)")
    roles: list[Role] = doc_field("contact job functions and buying-committee roles")
    seniorities: list[Choice] = doc_field("contact seniorities (contacts.seniority)")
    email_domain_types: list[Choice] = doc_field(
        "kinds of email domain: corporate, webmail, partner-forwarded… (contacts.email_domain_type)"
    )
    channels: list[Channel] = doc_field("first-touch and touch channels")
    campaigns: list[Campaign] = doc_field("marketing campaigns, each on one channel")
    touch_types: list[Choice] = doc_field("kinds of marketing touch (touches.touch_type)")
    session_types: list[Choice] = doc_field("kinds of web session (sessions.session_type)")
    activity_types: list[Choice] = doc_field("kinds of sales activity (sales_activities)")
    activity_outcomes: list[Choice] = doc_field(
        "outcomes of sales activities; the first one is the positive outcome (a connect)"
    )
    stages: dict[str, str] = doc_field(
        "the name recorded for each funnel stage key (mql, sal, sql, demo_scheduled, "
        "demo_completed, proposal_sent, negotiation, closed_won, closed_lost)"
    )
    plans: list[Plan] = doc_field("price plans of opportunities")
    acv: Range = doc_field("annual contract value range of opportunities, in dollars")
    sizing: Sizing = doc_field("how accounts, contacts and reps scale with the number of leads")
    acquisition: Acquisition = doc_field("seasonality of lead creation")
    motifs: list[str] = doc_field(
        "motif families a world may be drawn from (fit_dominant, intent_dominant, "
        "sales_execution_sensitive, demo_trial_mediated, buying_committee_friction)"
    )
    difficulties: dict[str, Profile] = doc_field("one difficulty profile per difficulty name")
    rep_teams: list[str] = doc_field(
        "sales team names (reps.team)", factory=lambda: ["east", "west"]
    )

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
