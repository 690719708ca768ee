"""Mechanism shapes: saturating rep effects and the sign-off gate of the closing stages."""

from __future__ import annotations

import numpy as np
from leadforge_lead_scoring.simulate.hazards import REP_CEILING, rep_execution
from leadforge_lead_scoring.simulate.mechanisms import WON
from worlds import context


def _world(**kw: object) -> tuple[object, object, object]:
    scheme, ctx = context(**kw)
    return scheme, ctx, scheme.build_world(ctx)


def test_rep_execution_saturates_and_keeps_the_order() -> None:
    _, _, world = _world(n_leads=20_000)
    pop = world.pop
    n_sdr = int((~pop.rep_is_ae).sum())
    pop.rep_quality[:] = np.linspace(-40.0, 40.0, pop.rep_quality.size, dtype=np.float32)
    pop.rep_capacity[:] = np.float32(0.05)
    ex = rep_execution(pop)
    assert ex.shape == (n_sdr,)
    assert np.all(np.abs(ex) <= REP_CEILING)
    assert np.all(np.diff(ex) >= 0.0)


def test_hopeless_rep_pairings_still_close_deals() -> None:
    """However weak SDRs and their AEs are, their open leads keep a real share of the wins."""
    scheme, ctx, world = _world(n_leads=20_000, motif="sales_execution_sensitive")
    pop = world.pop
    worst = np.arange(4)
    pop.rep_quality[worst] = pop.rep_quality[pop.rep_ae[worst]] = np.float32(-50.0)
    pop.rep_capacity[worst] = np.float32(0.7)
    sim = scheme.simulate(world, ctx)
    won = (sim.final_stage == WON) & (sim.closed_day <= 90)
    open_at_anchor = sim.closed_day > 30
    book = np.isin(pop.sdr, worst) & open_at_anchor
    assert book.sum() > 800
    assert won[book].mean() > 0.25 * won[open_at_anchor].mean()


def test_sign_off_weighs_on_the_closing_stages() -> None:
    _, _, world = _world(n_leads=500)
    slopes = [rule.approval_slope for rule in world.mechanisms.stages]
    assert slopes[:4] == [0.0, 0.0, 0.0, 0.0]
    assert 0.0 < slopes[4] == slopes[5] < slopes[6]
