"""Parameter resolution: derived sizes, consistency errors, motifs, difficulty."""

from __future__ import annotations

import pytest
from worlds import RECIPE

from leadforge_core.api import Generator
from leadforge_core.errors import ConfigError, LeadforgeError


def _params(**kw: object) -> object:
    return Generator.from_recipe(RECIPE, seed=1, **kw).plan.config.params


def test_accounts_and_contacts_scale_with_leads() -> None:
    small = _params(n_leads=6000).population  # type: ignore[attr-defined]
    big = _params(n_leads=60000).population  # type: ignore[attr-defined]
    assert (small.n_accounts, small.n_contacts) == (1000, 3750)
    assert (big.n_accounts, big.n_contacts) == (10000, 37500)


def test_explicit_sizes_are_kept_and_checked() -> None:
    p = _params(n_leads=5000, n_accounts=300, n_contacts=900).population  # type: ignore[attr-defined]
    assert (p.n_accounts, p.n_contacts) == (300, 900)
    with pytest.raises(ConfigError, match=r"n_accounts .* exceeds n_contacts"):
        _params(n_leads=5000, n_accounts=2000, n_contacts=1000)
    with pytest.raises(ConfigError, match=r"n_contacts .* exceeds n_leads"):
        _params(n_leads=1000, n_contacts=5000)


def test_unknown_motif_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match="fit_dominant"):
        Generator.from_recipe(RECIPE, seed=1, motif="nope")


@pytest.mark.parametrize("motif", ["fit_dominant", "buying_committee_friction"])
def test_motif_is_used(motif: str) -> None:
    bundle = Generator.from_recipe(
        RECIPE, seed=1, motif=motif, n_leads=400, exposure_mode="research_instructor"
    ).generate(timestamp=0)
    assert bundle.truth["world_spec.json"]["motif_family"] == motif
    public = Generator.from_recipe(
        RECIPE, seed=1, motif=motif, n_leads=400, exposure_mode="student_public"
    ).generate(timestamp=0)
    assert motif not in str(public.manifest)
    assert motif not in public.card
    assert motif not in str(public.public_summary)


def test_snapshot_must_precede_horizon() -> None:
    with pytest.raises(LeadforgeError, match="snapshot_day"):
        Generator.from_recipe(RECIPE, seed=1, snapshot_day=89, horizon_days=60)


def test_mechanism_summary_records_compiled_difficulty() -> None:
    sums = {}
    for tier in ("intro", "advanced"):
        b = Generator.from_recipe(
            RECIPE, seed=1, difficulty=tier, n_leads=300, exposure_mode="research_instructor"
        ).generate(timestamp=0)
        sums[tier] = b.truth["mechanism_summary.json"]["mechanisms"]
    assert sums["intro"]["signal"] > sums["advanced"]["signal"]
    assert (
        sums["intro"]["observation"]["missing_enrichment"]
        < sums["advanced"]["observation"]["missing_enrichment"]
    )
    assert (
        sums["intro"]["stages"][6]["advance_slope"]
        != sums["advanced"]["stages"][6]["advance_slope"]
    )
