"""Accounts → contacts → leads, and the rep team, sampled in fixed-size blocks.

Each block has its own random stream, so the population does not depend on processing order.
Categorical attributes are kept as integer codes into the recipe vocabularies; tables are
rendered from the codes later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from leadforge_core.rng import RandomStreams, blocked_draw
from leadforge_core.simulate import arrival_steps, categorical, seasonal_weights
from leadforge_lead_scoring.params import LeadScoringParams
from leadforge_lead_scoring.recipe import LeadScoringWorld

US_PER_DAY = 86_400_000_000


def _weights(items: Sequence[Any]) -> np.ndarray:
    w = np.array([i.weight for i in items], dtype=np.float64)
    return np.asarray(w / w.sum())


def _normal(streams: RandomStreams, name: str, n: int, sd: float) -> np.ndarray:
    """Entity-level latent noise (shared by every lead of the entity)."""
    return (blocked_draw(streams, name, n, lambda r, k: r.standard_normal(k)) * sd).astype(
        np.float32
    )


def epoch_us(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * US_PER_DAY


@attrs.define
class Population:
    """Integer-coded entities. Leads are sorted by creation time."""

    # accounts
    industry: np.ndarray
    region: np.ndarray
    band: np.ndarray
    revenue: np.ndarray
    maturity: np.ndarray
    name_stem: np.ndarray
    name_suffix: np.ndarray
    account_created_us: np.ndarray
    account_noise: dict[str, np.ndarray]
    # contacts
    contact_account: np.ndarray
    role: np.ndarray
    title: np.ndarray
    seniority: np.ndarray
    email_type: np.ndarray
    contact_created_us: np.ndarray
    contact_noise: dict[str, np.ndarray]
    # reps
    rep_is_ae: np.ndarray
    rep_team: np.ndarray
    rep_quality: np.ndarray
    rep_capacity: np.ndarray
    rep_ae: np.ndarray  # the AE each rep hands qualified leads to (AEs: themselves)
    # leads
    lead_contact: np.ndarray
    lead_created_us: np.ndarray
    channel: np.ndarray
    sdr: np.ndarray
    ae: np.ndarray
    is_duplicate: np.ndarray
    is_researcher: np.ndarray  # browsing persona (students, competitors): engaged, never buys

    @property
    def n_accounts(self) -> int:
        return int(self.industry.size)

    @property
    def n_contacts(self) -> int:
        return int(self.contact_account.size)

    @property
    def n_leads(self) -> int:
        return int(self.lead_contact.size)

    @property
    def lead_account(self) -> np.ndarray:
        return np.asarray(self.contact_account[self.lead_contact])


def build_population(
    params: LeadScoringParams,
    world: LeadScoringWorld,
    streams: RandomStreams,
    noise_sd: dict[str, float],
    duplicate_rate: float,
    researcher_share: float = 0.0,
) -> Population:
    n_a = int(params.population.n_accounts or 1)
    n_c = int(params.population.n_contacts or 1)
    n_l = params.population.n_leads
    s = streams

    def acc_draw(rng: np.random.Generator, k: int) -> np.ndarray:
        band = categorical(rng, _weights(world.employee_bands), k)
        # Revenue follows size with one band of slack either way.
        scale = (len(world.revenue_bands) - 1) / max(len(world.employee_bands) - 1, 1)
        rev = np.clip(
            np.rint(band * scale) + rng.integers(-1, 2, k), 0, len(world.revenue_bands) - 1
        )
        return np.stack(
            [
                categorical(rng, _weights(world.industries), k),
                categorical(rng, _weights(world.regions), k),
                band,
                rev.astype(np.int32),
                categorical(rng, _weights(world.maturity_bands), k),
                rng.integers(0, len(world.company_names.stems), k),
                rng.integers(0, len(world.company_names.suffixes), k),
                rng.integers(30, 900, k),  # days the account existed before its first lead
            ],
            axis=1,
        ).astype(np.int32)

    acc = blocked_draw(s, "population.accounts", n_a, acc_draw)
    account_nodes = ("account_fit", "budget_readiness", "committee_complexity", "budget_shock")
    account_noise = {
        node: _normal(s, f"population.accounts.{node}", n_a, noise_sd.get(node, 1.0))
        for node in account_nodes
    }
    size_w = np.array([world.employee_bands[b].weight for b in range(len(world.employee_bands))])
    size_w = (np.arange(1, size_w.size + 1, dtype=np.float64)) ** 0.8  # larger firms, more contacts
    acc_p = size_w[acc[:, 2]]
    acc_p = acc_p / acc_p.sum()

    def contact_draw(rng: np.random.Generator, k: int) -> np.ndarray:
        role = categorical(rng, _weights(world.roles), k)
        n_titles = np.array([len(r.titles) for r in world.roles])
        title = (rng.random(k) * n_titles[role]).astype(np.int32)
        return np.stack(
            [
                categorical(rng, acc_p, k),
                role,
                title,
                categorical(rng, _weights(world.seniorities), k),
                categorical(rng, _weights(world.email_domain_types), k),
                rng.integers(0, 20, k),  # days the contact existed before its first lead
            ],
            axis=1,
        ).astype(np.int32)

    con = blocked_draw(s, "population.contacts", n_c, contact_draw)
    # Every account has at least one contact.
    con[: min(n_a, n_c), 0] = np.arange(min(n_a, n_c), dtype=np.int32)
    contact_nodes = ("contact_authority", "contact_intent")
    contact_noise = {
        node: _normal(s, f"population.contacts.{node}", n_c, noise_sd.get(node, 1.0))
        for node in contact_nodes
    }

    # Calendar: weekday and seasonal weights over the acquisition window.
    start = params.calendar.start
    n_days = params.calendar.acquisition_days
    day_p = seasonal_weights(
        start, n_days, world.acquisition.month_weights, world.acquisition.weekday_weights
    )
    start_us = epoch_us(start)

    def lead_draw(rng: np.random.Generator, k: int) -> np.ndarray:
        day = arrival_steps(rng, n_days, k, weights=day_p)
        business = rng.random(k) < 0.85
        secs = np.where(business, 8 * 3600 + rng.random(k) * 10 * 3600, rng.random(k) * 86_400)
        created = start_us + day * US_PER_DAY + (secs * 1e6).astype(np.int64)
        return np.stack(
            [
                created,
                rng.integers(0, n_c, k),
                categorical(rng, _weights(world.channels), k),
                rng.random(k) < duplicate_rate,
                rng.random(k) * 3 * US_PER_DAY,
            ],
            axis=1,
        ).astype(np.int64)

    lead = blocked_draw(s, "population.leads", n_l, lead_draw)
    lead[: min(n_c, n_l), 1] = np.arange(min(n_c, n_l))
    # Duplicates: a second record of a contact's first lead, created up to three days later.
    dup = (lead[:, 3] == 1) & (np.arange(n_l) >= n_c)
    first = lead[:, 1]
    lead[dup, 0] = lead[first[dup], 0] + lead[dup, 4] + 60_000_000
    lead[dup, 2] = lead[first[dup], 2]
    order = np.lexsort((np.arange(n_l), lead[:, 0]))
    lead = lead[order]
    dup = dup[order]
    created = lead[:, 0]
    contact = lead[:, 1].astype(np.int32)

    # Contacts and accounts appear in the CRM before their first lead.
    first_lead = np.full(n_c, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_lead, contact, created)
    first_lead[first_lead == np.iinfo(np.int64).max] = start_us
    contact_created = first_lead - con[:, 5].astype(np.int64) * US_PER_DAY - 3_600_000_000
    acc_first = np.full(n_a, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(acc_first, con[:, 0], contact_created)
    acc_first[acc_first == np.iinfo(np.int64).max] = start_us
    account_created = acc_first - acc[:, 7].astype(np.int64) * US_PER_DAY
    contact_created = np.maximum(contact_created, account_created[con[:, 0]])

    # Rep team: SDRs own leads, AEs take them from SQL on; quality and capacity vary.
    n_sdr = max(2, round(n_l / world.sizing.leads_per_sdr))
    n_ae = max(1, -(-n_sdr // world.sizing.sdrs_per_ae))
    rng = s.generator("population.reps")
    # Quality is bounded below: reps far behind the team do not keep a territory. How much a
    # pairing's quality and load can move its book saturates (``hazards.rep_execution``).
    rep_quality = np.clip(rng.normal(0.0, 1.0, n_sdr + n_ae), -2.0, None).astype(np.float32)
    rep_capacity = rng.uniform(0.7, 1.3, n_sdr + n_ae).astype(np.float32)
    rep_team = rng.integers(0, len(world.rep_teams), n_sdr + n_ae).astype(np.int32)
    rep_is_ae = np.arange(n_sdr + n_ae) >= n_sdr
    cap = rep_capacity[:n_sdr] / rep_capacity[:n_sdr].sum()
    sdr = blocked_draw(s, "population.leads.owner", n_l, lambda r, k: categorical(r, cap, k))
    rep_ae = np.arange(n_sdr + n_ae, dtype=np.int32)
    rep_ae[:n_sdr] = np.minimum(
        n_sdr + rep_ae[:n_sdr] // world.sizing.sdrs_per_ae, n_sdr + n_ae - 1
    )
    ae = rep_ae[sdr]

    # Persona mixture: a share of leads are researchers, more often behind webmail addresses.
    email_eff = np.array([c.effect for c in world.email_domain_types])[con[contact, 4]]
    p_res = np.clip(researcher_share * np.exp(-2.0 * email_eff), 0.0, 0.6)
    researcher = blocked_draw(s, "population.leads.persona", n_l, lambda r, k: r.random(k))
    researcher = (researcher < p_res) & ~dup

    return Population(
        industry=acc[:, 0],
        region=acc[:, 1],
        band=acc[:, 2],
        revenue=acc[:, 3],
        maturity=acc[:, 4],
        name_stem=acc[:, 5],
        name_suffix=acc[:, 6],
        account_created_us=account_created,
        account_noise=account_noise,
        contact_account=con[:, 0],
        role=con[:, 1],
        title=con[:, 2],
        seniority=con[:, 3],
        email_type=con[:, 4],
        contact_created_us=contact_created,
        contact_noise=contact_noise,
        rep_is_ae=rep_is_ae,
        rep_team=rep_team,
        rep_quality=rep_quality,
        rep_capacity=rep_capacity,
        rep_ae=rep_ae,
        lead_contact=contact,
        lead_created_us=created,
        channel=lead[:, 2].astype(np.int32),
        sdr=sdr.astype(np.int32),
        ae=ae,
        is_duplicate=dup,
        is_researcher=researcher,
    )
