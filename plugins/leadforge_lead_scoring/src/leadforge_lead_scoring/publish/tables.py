"""Render the relational CRM tables from codes and logged events (full horizon, or cut at
each lead's anchor for a public bundle).

Strings are produced by gathering recipe vocabularies with polars, never per row in Python.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import polars as pl

from leadforge_core.ids import ids_at, make_ids
from leadforge_core.observe import apply_missing, noisy_proxy
from leadforge_core.rng import RandomStreams, blocked_draw
from leadforge_lead_scoring.recipe import STAGE_KEYS, LeadScoringWorld
from leadforge_lead_scoring.simulate.mechanisms import LOST, WON
from leadforge_lead_scoring.world.population import US_PER_DAY


def _text(names: list[str], codes: np.ndarray) -> pl.Series:
    return pl.Series(names, dtype=pl.String).gather(np.asarray(codes, dtype=np.int64))


def _vocab(names: list[str], codes: np.ndarray) -> pl.Series:
    """A categorical column as a polars Enum over the recipe vocabulary (compact in memory
    and dictionary-encoded in Parquet)."""
    uniq = list(dict.fromkeys(names))
    remap = np.array([uniq.index(n) for n in names], dtype=np.int64)
    categories = pl.Series(uniq, dtype=pl.String).cast(pl.Enum(uniq))
    return categories.gather(remap[np.asarray(codes, dtype=np.int64)])


def _enum(values: pl.Series) -> pl.Series:
    return values.cast(pl.Enum(sorted(values.drop_nulls().unique().to_list())))


def _ts(us: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(us, dtype=np.int64)).cast(pl.Datetime("us"))


def _pick(rng: np.random.Generator, weights: list[float], k: int) -> np.ndarray:
    p = np.asarray(weights, dtype=np.float64)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(k), side="right").clip(0, p.size - 1)


def _weights(items: list[Any]) -> list[float]:
    return [i.weight for i in items]


def build_tables(
    world: LeadScoringWorld,
    pop: Any,
    sim: Any,
    ob: Any,
    nodes: dict[str, np.ndarray],
    streams: RandomStreams,
    proxy_noise: float,
    intent_signal: float = 0.6,
    cut_at: np.ndarray | None = None,
) -> tuple[dict[str, pl.DataFrame], dict[str, Any]]:
    """Return the tables with integer entity keys (see :func:`stringify`) and side outputs.

    Keys stay integers (row positions) until the features are computed, because joins and
    group-bys on integers are several times faster than on id strings.

    ``cut_at`` (each lead's anchor, µs) renders the event tables for a public bundle: every
    value is drawn for the full horizon as for an instructor bundle, but only rows at or
    before their lead's anchor are turned into table rows (ids keep their full-horizon
    numbering), so the public cut never materializes what it would drop.
    """

    def kept(lead: np.ndarray, us: np.ndarray) -> np.ndarray | None:
        return None if cut_at is None else np.flatnonzero(us <= cut_at[lead])

    def rows(values: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
        return values if keep is None else values[keep]

    def event_ids(prefix: str, keep: np.ndarray | None, k: int) -> pl.Series:
        return make_ids(prefix, k) if keep is None else ids_at(prefix, keep, k)

    n_a, n_c, n_l = pop.n_accounts, pop.n_contacts, pop.n_leads
    n_rep = pop.rep_quality.size
    ids = {
        "account": make_ids("acct", n_a),
        "contact": make_ids("cnt", n_c),
        "lead": make_ids("lead", n_l),
        "rep": make_ids("rep", n_rep),
    }
    account_id = pl.Series("account_id", np.arange(n_a, dtype=np.int64))
    contact_id = pl.Series("contact_id", np.arange(n_c, dtype=np.int64))
    lead_id = pl.Series("lead_id", np.arange(n_l, dtype=np.int64))
    rep_id = pl.Series("rep_id", np.arange(n_rep, dtype=np.int64))
    miss = ob.missing

    nullable = apply_missing

    stems = _text(world.company_names.stems, pop.name_stem)
    suffixes = _text(world.company_names.suffixes, pop.name_suffix)
    accounts = pl.DataFrame(
        {
            "account_id": account_id,
            "company_name": stems + " " + suffixes,
            "industry": nullable(
                _vocab([c.name for c in world.industries], pop.industry), miss["industry"]
            ),
            "region": _vocab([c.name for c in world.regions], pop.region),
            "employee_band": nullable(
                _vocab([b.name for b in world.employee_bands], pop.band), miss["employee_band"]
            ),
            "estimated_revenue_band": nullable(
                _vocab([c.name for c in world.revenue_bands], pop.revenue), miss["revenue"]
            ),
            "process_maturity_band": nullable(
                _vocab([c.name for c in world.maturity_bands], pop.maturity), miss["maturity"]
            ),
            "created_at": _ts(pop.account_created_us),
        }
    )
    titles = [t for r in world.roles for t in r.titles]
    title_offset = np.cumsum([0] + [len(r.titles) for r in world.roles])[:-1]
    contacts = pl.DataFrame(
        {
            "contact_id": contact_id,
            "account_id": account_id.gather(pop.contact_account),
            "job_title": _vocab(titles, title_offset[pop.role] + pop.title),
            "role_function": _vocab([r.function for r in world.roles], pop.role),
            "seniority": nullable(
                _vocab([c.name for c in world.seniorities], pop.seniority), miss["seniority"]
            ),
            "buyer_role": _vocab([r.buyer_role for r in world.roles], pop.role),
            "email_domain_type": _vocab([c.name for c in world.email_domain_types], pop.email_type),
            "created_at": _ts(pop.contact_created_us),
        }
    )
    reps = pl.DataFrame(
        {
            "rep_id": rep_id,
            "rep_role": _vocab(["sdr", "account_executive"], pop.rep_is_ae.astype(np.int64)),
            "team": _vocab(world.rep_teams, pop.rep_team),
        }
    )

    # Leads: stage names from the recipe, logged stage at the end of the horizon.
    stage_names = [world.stages[k] for k in STAGE_KEYS]
    logged = ob.stage_logged_us
    final = sim.final_stage.astype(np.int64)
    won = final == WON
    lead_account = pop.lead_account
    sources = [c.lead_source for c in world.channels]
    src = _text(sources, pop.channel)
    src = pl.select(
        pl.when(pl.Series(ob.source_noise == 1))
        .then(pl.lit("unknown"))
        .when(pl.Series(ob.source_noise == 2))
        .then(src.str.to_uppercase().str.replace("_", " "))
        .otherwise(src)
    ).to_series()
    # Proxy scores: noisy logistic measurements of latents, both from one generator in turn.
    rng = streams.generator("render.proxies")
    lead_score = noisy_proxy(nodes["lead_score_proxy"], proxy_noise, rng)
    fit_score = noisy_proxy(nodes["fit_score_proxy"], proxy_noise, rng)
    fit_missing = miss["industry"][lead_account] & miss["employee_band"][lead_account]
    leads = pl.DataFrame(
        {
            "lead_id": lead_id,
            "contact_id": contact_id.gather(pop.lead_contact),
            "account_id": account_id.gather(lead_account),
            "lead_created_at": _ts(pop.lead_created_us),
            "lead_source": _enum(src),
            "first_touch_channel": _vocab([c.name for c in world.channels], ob.first_channel),
            "current_stage": _vocab(stage_names, final),
            "owner_rep_id": rep_id.gather(pop.sdr),
            "is_mql": pl.Series(np.ones(n_l, dtype=bool)),
            "is_sql": pl.Series(logged[2] >= 0),
            "lead_score": pl.Series(lead_score),
            "fit_score": nullable(pl.Series(fit_score), fit_missing),
            "converted_within_90_days": pl.Series(won),
            "conversion_timestamp": nullable(_ts(np.where(won, logged[WON], 0)), ~won),
        }
    )

    # Stage history: one row per logged stage entry, in (lead, time) order.
    st_lead, st_stage, st_us = ob.stage_lead, ob.stage_code, ob.stage_us
    keep = kept(st_lead, st_us)
    stage_history = pl.DataFrame(
        {
            "stage_event_id": event_ids("stg", keep, st_lead.size),
            "lead_id": lead_id.gather(rows(st_lead, keep)),
            "stage": _vocab(stage_names, rows(st_stage, keep)),
            "entered_at": _ts(rows(st_us, keep)),
        }
    )

    def touches_table() -> pl.DataFrame:
        # Touches.
        # Events arrive day by day with at most one per lead and day, so a stable sort by lead
        # yields (lead, time) order.
        tl, tu = ob.touch_lead, ob.touch_us
        order = np.argsort(tl, kind="stable")
        tl, tu = tl[order], tu[order]
        k = tl.size
        draws = (
            blocked_draw(
                streams,
                "render.touches",
                k,
                lambda r, m: np.stack(
                    [
                        _pick(r, _weights(world.touch_types), m),
                        r.random(m),
                        r.integers(0, 1 << 30, m),
                        _pick(r, _weights(world.channels), m),
                    ],
                    axis=1,
                ),
            ).astype(np.int64)
            if k
            else np.zeros((0, 4), dtype=np.int64)
        )
        own = blocked_draw(streams, "render.touches.own", k, lambda r, m: r.random(m) < 0.65)
        channel = np.where(own, pop.channel[tl], draws[:, 3])
        outbound = np.array([c.outbound for c in world.channels])[channel]
        camp_channel = {c.name: i for i, c in enumerate(world.channels)}
        camp_of = [
            [j for j, cp in enumerate(world.campaigns) if camp_channel[cp.channel] == i]
            for i in range(len(world.channels))
        ]
        n_camp = np.array([len(c) for c in camp_of])
        flat = np.array([j for c in camp_of for j in c] + [0], dtype=np.int64)
        start = np.cumsum([0] + [len(c) for c in camp_of])[:-1]
        has_camp = n_camp[channel] > 0
        pick = start[channel] + (draws[:, 2] % np.maximum(n_camp[channel], 1))
        camp_idx = np.where(has_camp, flat[np.minimum(pick, flat.size - 1)], 0)
        keep = kept(tl, tu)
        campaign = nullable(
            _vocab([c.id for c in world.campaigns], rows(camp_idx, keep)), ~rows(has_camp, keep)
        )
        touches = pl.DataFrame(
            {
                "touch_id": event_ids("touch", keep, k),
                "lead_id": lead_id.gather(rows(tl, keep)),
                "touch_timestamp": _ts(rows(tu, keep)),
                "touch_type": _vocab([c.name for c in world.touch_types], rows(draws[:, 0], keep)),
                "touch_channel": _vocab([c.name for c in world.channels], rows(channel, keep)),
                "touch_direction": _vocab(
                    ["inbound", "outbound"], rows(outbound, keep).astype(np.int64)
                ),
                "campaign_id": campaign,
            }
        )

        return touches

    def sessions_table() -> pl.DataFrame:
        # Sessions: page views reflect engagement, pricing/demo interest reflects the deal.
        sl, su = ob.session_lead, ob.session_us
        order = np.argsort(sl, kind="stable")
        sl, su = sl[order], su[order]
        k = sl.size
        eng = nodes["engagement"][sl]
        dm = nodes["demo_momentum"][sl]
        wp = nodes["deal_propensity"][sl]
        sd = (
            blocked_draw(
                streams,
                "render.sessions",
                k,
                lambda r, m: np.stack(
                    [r.random(m), r.random(m), r.random(m), r.standard_normal(m), r.random(m)],
                    axis=1,
                ),
            )
            if k
            else np.zeros((0, 5))
        )
        pv = 1 + np.floor(
            -np.log(np.maximum(sd[:, 0], 1e-12)) * (2.0 + np.clip(eng, -1.5, 2.5))
        ).astype(np.int64)
        # How clearly pricing-page interest reveals deal propensity scales with the difficulty.
        pricing_rate = 0.25 * np.exp(intent_signal * np.clip(wp, -2.5, 2.5) + 0.3 * np.tanh(dm))
        pricing = np.floor(-np.log(np.maximum(sd[:, 1], 1e-12)) * pricing_rate).astype(np.int64)
        demo_views = np.floor(
            -np.log(np.maximum(sd[:, 2], 1e-12)) * 0.3 * np.exp(0.9 * np.clip(dm, -2.5, 2.5))
        ).astype(np.int64)
        pv = np.maximum(pv, pricing + demo_views)
        duration = np.rint(np.exp(4.2 + 0.25 * eng + 0.5 * sd[:, 3]) * np.sqrt(pv)).astype(np.int64)
        stype = np.searchsorted(
            np.cumsum(np.array(_weights(world.session_types)) / sum(_weights(world.session_types))),
            sd[:, 4],
            side="right",
        ).clip(0, len(world.session_types) - 1)
        keep = kept(sl, su)
        sessions = pl.DataFrame(
            {
                "session_id": event_ids("sess", keep, k),
                "lead_id": lead_id.gather(rows(sl, keep)),
                "session_timestamp": _ts(rows(su, keep)),
                "session_type": _vocab([c.name for c in world.session_types], rows(stype, keep)),
                "page_views": pl.Series(rows(pv, keep)),
                "pricing_page_views": pl.Series(rows(pricing, keep)),
                "demo_page_views": pl.Series(rows(demo_views, keep)),
                "session_duration_seconds": pl.Series(rows(duration, keep)),
            }
        )

        return sessions

    def activities_table() -> pl.DataFrame:
        # Sales activities: SDR before SQL, AE from SQL on; connects depend on follow-up quality.
        al, au, ast = ob.activity_lead, ob.activity_us, ob.activity_stage
        order = np.lexsort((au, al))
        al, au, ast = al[order], au[order], ast[order]
        k = al.size
        ad = (
            blocked_draw(
                streams,
                "render.activities",
                k,
                lambda r, m: np.stack([r.random(m), r.random(m)], axis=1),
            )
            if k
            else np.zeros((0, 2))
        )
        rep = np.where(ast >= 2, pop.ae[al], pop.sdr[al])
        atypes = _weights(world.activity_types)
        atype = np.searchsorted(np.cumsum(np.array(atypes) / sum(atypes)), ad[:, 0], side="right")
        atype = atype.clip(0, len(atypes) - 1)
        # Outcome 0 is the positive one (a connect); its odds rise with follow-up and the stage.
        p_conn = 1 / (1 + np.exp(-(-0.8 + 0.5 * nodes["followup_speed"][al] + 0.25 * ast)))
        rest = np.array(_weights(world.activity_outcomes[1:]) or [1.0])
        other = 1 + np.searchsorted(
            np.cumsum(rest / rest.sum()),
            (ad[:, 1] - p_conn) / np.maximum(1 - p_conn, 1e-9),
            side="right",
        ).clip(0, rest.size - 1)
        outcome = np.where(ad[:, 1] < p_conn, 0, other)
        keep = kept(al, au)
        activities = pl.DataFrame(
            {
                "activity_id": event_ids("act", keep, k),
                "lead_id": lead_id.gather(rows(al, keep)),
                "rep_id": rep_id.gather(rows(rep, keep)),
                "activity_timestamp": _ts(rows(au, keep)),
                "activity_type": _vocab([c.name for c in world.activity_types], rows(atype, keep)),
                "activity_outcome": _vocab(
                    [c.name for c in world.activity_outcomes], rows(outcome, keep)
                ),
            }
        )

        return activities

    # The event tables draw from their own streams, so they can be built concurrently.
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(f) for f in (touches_table, sessions_table, activities_table)]
        touches, sessions, activities = (f.result() for f in futures)

    # Opportunities: opened at SQL.
    opp = np.flatnonzero(logged[2] >= 0)
    plan_rng = streams.generator("render.opportunities")
    plan = _pick(plan_rng, _weights(world.plans), opp.size)
    mult = np.array([p.acv_multiplier for p in world.plans])[plan]
    mid = np.sqrt(world.acv.min * world.acv.max)
    acv = np.clip(mid * mult * np.exp(0.6 * nodes["deal_size"][opp]), world.acv.min, world.acv.max)
    acv = np.rint(acv / 100) * 100
    closed = final[opp] >= WON
    close_us = np.where(final[opp] == WON, logged[WON, opp], logged[LOST, opp])
    opportunities = pl.DataFrame(
        {
            "opportunity_id": make_ids("opp", opp.size),
            "lead_id": lead_id.gather(opp),
            "created_at": _ts(logged[2, opp]),
            "stage": _vocab(stage_names, final[opp]),
            "estimated_acv": pl.Series(acv.astype(np.float64)),
            "close_outcome": nullable(
                _vocab(["won", "lost"], (final[opp] != WON).astype(np.int64)), ~closed
            ),
            "closed_at": nullable(_ts(np.where(closed, close_us, 0)), ~closed),
        }
    )
    won_opp = np.flatnonzero(final[opp] == WON)
    cust_start = logged[WON, opp[won_opp]] + plan_rng.integers(1, 21, won_opp.size) * US_PER_DAY
    customers = pl.DataFrame(
        {
            "customer_id": make_ids("cust", won_opp.size),
            "opportunity_id": opportunities["opportunity_id"].gather(won_opp),
            "account_id": account_id.gather(lead_account[opp[won_opp]]),
            "customer_start_at": _ts(cust_start),
        }
    )
    subscriptions = pl.DataFrame(
        {
            "subscription_id": make_ids("sub", won_opp.size),
            "customer_id": customers["customer_id"],
            "plan_name": _vocab([p.name for p in world.plans], plan[won_opp]),
            "subscription_start_at": _ts(cust_start),
            "subscription_status": _vocab(
                ["active", "onboarding"], (plan_rng.random(won_opp.size) >= 0.93).astype(np.int64)
            ),
        }
    )
    tables = {
        "accounts": accounts,
        "contacts": contacts,
        "reps": reps,
        "leads": leads,
        "lead_stage_history": stage_history,
        "touches": touches,
        "sessions": sessions,
        "sales_activities": activities,
        "opportunities": opportunities,
        "customers": customers,
        "subscriptions": subscriptions,
    }
    return tables, {"won": won, "ids": ids}


#: Integer key columns and the id namespace they index.
KEY_COLUMNS = {
    "lead_id": "lead",
    "account_id": "account",
    "contact_id": "contact",
    "rep_id": "rep",
    "owner_rep_id": "rep",
}


def stringify(frame: pl.DataFrame, ids: dict[str, pl.Series]) -> pl.DataFrame:
    """Replace integer key columns by their opaque id strings."""
    cols = [
        ids[ns].gather(frame[col]).alias(col)
        for col, ns in KEY_COLUMNS.items()
        if col in frame.columns and frame.schema[col].is_integer()
    ]
    return frame.with_columns(cols) if cols else frame
