"""Sample the customer population: accounts, customers, CSM reps and their latents.

Customers are drawn in fixed-size blocks, each from its own substream, so a customer's draws do
not depend on how many customers came before it in another block.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from leadforge_core.causal import CausalGraph
from leadforge_core.rng import RandomStreams, blocks
from leadforge_core.simulate import arrival_steps
from leadforge_lifecycle.params import Motif
from leadforge_lifecycle.recipe import Category, DifficultyProfile, LifecycleWorld
from leadforge_lifecycle.world.graph import LATENTS
from leadforge_lifecycle.world.motifs import RATE_MULTIPLIERS

Arrays = dict[str, np.ndarray]


@attrs.define
class Population:
    """Per-customer arrays (index i is customer ``i+1``) and per-rep arrays."""

    customers: Arrays
    reps: Arrays

    @property
    def n(self) -> int:
        return int(self.customers["start_week"].size)


@attrs.define
class World:
    population: Population
    graph: CausalGraph
    mechanism: dict[str, float]
    profile_name: str
    sim_start: dt.date
    n_weeks: int
    motif: Motif


def draw_blocks(
    streams: RandomStreams, name: str, n: int, draw: Callable[[np.random.Generator, int], Arrays]
) -> Arrays:
    """Concatenate per-block draws of several named arrays."""
    parts = [draw(streams.generator(name, b), stop - start) for b, start, stop in blocks(n)]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _weights(items: list[Any]) -> np.ndarray:
    w = np.array([c.weight for c in items], dtype=float)
    return w / w.sum()


def _shift(items: list[Category]) -> np.ndarray:
    return np.array([c.fit_shift for c in items], dtype=float)


def compile_mechanism(profile: DifficultyProfile, motif: Motif) -> dict[str, float]:
    """The rates the simulation actually uses: the tier's profile scaled by the motif."""
    out = {k: float(v) for k, v in attrs.asdict(profile).items()}
    for key, mult in RATE_MULTIPLIERS[motif].items():
        out[key] = out[key] * mult
    out["renewal_churn"] = min(out["renewal_churn"], 0.9)
    return out


def sample_population(
    streams: RandomStreams,
    world: LifecycleWorld,
    n: int,
    acquisition_weeks: int,
    customers_per_csm: int,
    mrr_sigma: float,
) -> Population:
    vocab = world.vocabularies
    n_reps = max(1, math.ceil(n / customers_per_csm))
    p_ind, p_reg = _weights(vocab.industries), _weights(vocab.regions)
    p_band, p_chan = _weights(vocab.employee_bands), _weights(vocab.acquisition_channels)
    p_term = _weights(vocab.contract_terms)
    band_seats = np.array([b.seats for b in vocab.employee_bands])
    band_mrr = np.array([b.median_mrr for b in vocab.employee_bands])
    band_budget = np.array([b.budget_shift for b in vocab.employee_bands])
    terms = np.array([t.months for t in vocab.contract_terms], dtype=np.int64)

    def draw(rng: np.random.Generator, size: int) -> Arrays:
        industry = rng.choice(p_ind.size, size=size, p=p_ind)
        region = rng.choice(p_reg.size, size=size, p=p_reg)
        band = rng.choice(p_band.size, size=size, p=p_band)
        channel = rng.choice(p_chan.size, size=size, p=p_chan)
        latent = rng.normal(size=(len(LATENTS), size))
        fit = (
            latent[0]
            + _shift(vocab.industries)[industry]
            + _shift(vocab.acquisition_channels)[channel]
        )
        mrr = band_mrr[band] * np.exp(rng.normal(0.0, mrr_sigma, size))
        return {
            "start_week": arrival_steps(rng, acquisition_weeks, size),  # flat window
            # Start offset inside the week: a weekday and a business hour, in minutes.
            "start_minute": rng.integers(0, 5, size) * 1440 + rng.integers(8 * 60, 18 * 60, size),
            "account_age_days": rng.integers(60, 1500, size),
            "industry": industry,
            "region": region,
            "employee_band": band,
            "channel": channel,
            "term_months": terms[rng.choice(p_term.size, size=size, p=p_term)],
            "seats": band_seats[band] * np.exp(rng.normal(0.0, 0.3, size)),
            "initial_mrr": np.maximum(np.round(mrr / 10.0) * 10.0, 100.0),
            "csm": rng.integers(0, n_reps, size),
            "name_prefix": rng.integers(0, len(vocab.company_prefixes), size),
            "name_suffix": rng.integers(0, len(vocab.company_suffixes), size),
            "product_fit": fit,
            "adoption_velocity": latent[1],
            "budget_stability": latent[2] + band_budget[band],
            "champion_strength": latent[3],
            "organizational_stability": latent[4],
        }

    customers = draw_blocks(streams, "population.customers", n, draw)

    def draw_reps(rng: np.random.Generator, size: int) -> Arrays:
        return {
            "team": rng.integers(0, len(vocab.csm_teams), size),
            "region": rng.choice(p_reg.size, size=size, p=p_reg),
            "quality": rng.normal(0.0, 1.0, size),
        }

    reps = draw_blocks(streams, "population.csm_reps", n_reps, draw_reps)
    return Population(customers=customers, reps=reps)
