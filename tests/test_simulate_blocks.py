"""The simulation blocks: CRN-safe draws, the step runner, hazards, stages, emitters, arrivals,
logging and the event recorder."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadforge_core.rng import RandomStreams
from leadforge_core.simulate import (
    NEVER,
    STAY,
    Block,
    BlockDraws,
    EventRecorder,
    StageMachine,
    arrival_steps,
    bernoulli,
    calendar_months,
    centered_exp,
    channel_multiplier,
    competing_exits,
    interleave_order,
    merge_blocks,
    poisson_counts,
    recency_decay,
    run_steps,
    seasonal_weights,
    sigmoid,
)

N_STAGES, TERMINAL = 5, 3  # stages 0-2 open, 3 = won, 4 = lost


class Funnel:
    """A toy per-block story using every block: stages with competing exits, Bernoulli
    touches (80 % logged), Poisson counts and a masked normal."""

    def __init__(self, quality: np.ndarray, steps: int = 30) -> None:
        self.quality = quality
        self.steps = steps

    def start(self, block: Block) -> dict[str, Any]:
        return {
            "q": self.quality[block.start : block.stop],
            "sm": StageMachine(block.size, N_STAGES, TERMINAL),
            "d": block.draws("toy.funnel"),
            "rec": EventRecorder({"touch": ("entity", "day"), "visit": ("entity", "day", "n")}),
            "score": np.zeros(block.size),
        }

    def step(self, s: dict[str, Any], t: int) -> None:
        sm, d, q = s["sm"], s["d"], s["q"]
        u = d.uniform(3)
        op, so = sm.open, sm.open_stage
        p_adv = sigmoid(q[op] - 1.0 - 0.3 * so)
        p_lost = sigmoid(-2.5 - q[op] + 0.05 * sm.dwell(t))
        exit_ = competing_exits(u[0, op], p_lost, p_adv)
        sm.move(np.where(exit_ == 0, N_STAGES - 1, np.where(exit_ == 1, so + 1, so)), t, so)
        p_touch = np.where(sm.stage < TERMINAL, 0.2 * recency_decay(t, 10.0, 0.3), 0.02)
        touched = bernoulli(u[1], p_touch)
        kept = touched[u[2, touched] < 0.8]  # 80 % of the touches are logged
        s["rec"].add("touch", entity=kept, day=t)
        counts = d.poisson(np.exp(q))
        s["rec"].add("visit", entity=np.flatnonzero(counts), day=t, n=counts[counts > 0])
        s["score"] += d.normal_at(sm.stage == 1)

    def finish(self, s: dict[str, Any]) -> dict[str, Any]:
        return {
            "stage": s["sm"].stage,
            "entry": s["sm"].entry,
            "rec": s["rec"],
            "score": s["score"],
        }


def _run(quality: np.ndarray, block_size: int, **kw: Any) -> dict[str, np.ndarray]:
    parts = run_steps(
        Funnel(quality), quality.size, 30, RandomStreams(3), block_size=block_size, **kw
    )
    starts = list(range(0, quality.size, block_size))
    recs = [p["rec"] for p in parts]
    out = {
        "stage": np.concatenate([p["stage"] for p in parts]),
        "entry": np.concatenate([p["entry"] for p in parts], axis=1),
        "score": np.concatenate([p["score"] for p in parts]),
    }
    for kind in ("touch", "visit"):
        cols = merge_blocks(recs, kind, {"entity": starts}, interleave_by="entity")
        out |= {f"{kind}.{k}": v for k, v in cols.items()}
    return out


def _entity_rows(out: dict[str, np.ndarray], i: int) -> tuple[Any, ...]:
    touch = out["touch.day"][out["touch.entity"] == i]
    visits = out["visit.n"][out["visit.entity"] == i]
    return (
        int(out["stage"][i]),
        tuple(out["entry"][:, i]),
        float(out["score"][i]),
        tuple(touch),
        tuple(visits),
    )


@settings(max_examples=25, deadline=None)
@given(
    quality=st.lists(st.floats(-2.0, 2.0), min_size=12, max_size=40),
    changed=st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=12),
)
def test_an_entitys_draws_do_not_depend_on_other_entities(
    quality: list[float], changed: list[float]
) -> None:
    """Common random numbers: changing other entities' quality (and so their stages, masks
    and counts) leaves entity 0's whole history unchanged."""
    base = np.array(quality)
    other = base.copy()
    other[1 : 1 + len(changed)] = changed[: base.size - 1]
    untouched = [0, *range(1 + len(changed), base.size)]
    for block_size in (8, 64):
        a, b = _run(base, block_size), _run(other, block_size)
        for i in untouched:
            assert _entity_rows(a, i) == _entity_rows(b, i)


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 1000),
    block_size=st.sampled_from([7, 16, 50]),
    workers=st.sampled_from([1, 2, 3]),
    reverse=st.booleans(),
)
def test_block_order_and_threads_do_not_change_output(
    seed: int, block_size: int, workers: int, reverse: bool
) -> None:
    quality = np.random.default_rng(seed).normal(size=120)
    ref = _run(quality, block_size)
    n_blocks = -(-quality.size // block_size)
    order = list(range(n_blocks))[::-1] if reverse else None
    got = _run(quality, block_size, workers=workers, order=order)
    assert ref.keys() == got.keys()
    for k in ref:
        assert np.array_equal(ref[k], got[k]), k


def test_runner_rejects_a_bad_order_and_reports_progress() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.total: int | None = None
            self.done = 0

        def phase(self, name: str, total: int | None = None, unit: str = "") -> Recorder:
            self.total = total
            return self

        def advance(self, n: int = 1) -> None:
            self.done += n

        def end_phase(self, name: str) -> None:
            return None

    with pytest.raises(ValueError, match="permutation"):
        run_steps(Funnel(np.zeros(20)), 20, 3, RandomStreams(1), block_size=8, order=[0, 0, 1])
    for workers in (1, 2):
        bar = Recorder()
        run_steps(
            Funnel(np.zeros(20)),
            20,
            30,
            RandomStreams(1),
            block_size=8,
            workers=workers,
            progress=bar,
        )
        assert bar.total == bar.done == 3  # blocks
    assert run_steps(Funnel(np.zeros(0)), 0, 5, RandomStreams(1)) == []


def test_block_draws_are_full_block_arrays_per_stream() -> None:
    s = RandomStreams(11)
    a, b = BlockDraws(s, "x", 2, 50), BlockDraws(s, "x", 2, 50)
    assert np.array_equal(a.uniform(), b.uniform())
    assert a.uniform(3).shape == (3, 50)
    other = BlockDraws(s, "x", 3, 50).uniform()
    assert not np.array_equal(a.uniform(), other)
    mask = np.arange(50) % 3 == 0
    u = BlockDraws(s, "y", 0, 50).uniform_at(mask)
    assert np.all(u[~mask] == 1.0) and np.all(u[mask] < 1.0)
    assert np.array_equal(u[mask], BlockDraws(s, "y", 0, 50).uniform()[mask])
    z = BlockDraws(s, "z", 0, 50).normal_at(mask)
    assert np.all(z[~mask] == 0.0) and np.all(z[mask] != 0.0)


def test_masked_normals_are_standard_normal() -> None:
    d = BlockDraws(RandomStreams(4), "n", 0, 200_000)
    z = d.normal_at(np.ones(200_000, dtype=bool))
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    assert abs(np.mean(z < -1.96) - 0.025) < 0.002


@settings(max_examples=40, deadline=None)
@given(moves=st.lists(st.lists(st.integers(0, 2), min_size=6, max_size=6), min_size=1, max_size=25))
def test_stage_machines_only_move_forward_with_monotone_entry_days(
    moves: list[list[int]],
) -> None:
    sm = StageMachine(6, N_STAGES, TERMINAL)
    for t, step in enumerate(moves, start=1):
        jump = np.array(step)[sm.open]
        sm.move(np.minimum(sm.open_stage + jump, N_STAGES - 1), t)
        assert np.all(sm.stage[sm.open] < TERMINAL)
        assert np.all(sm.dwell(t + 1) >= 1)
    for i in range(6):
        entered = sm.entry[:, i][sm.entry[:, i] != NEVER]
        assert np.all(np.diff(entered) >= 0)
        assert sm.entry[sm.stage[i], i] == entered.max()
    closed = sm.closed_day(99)
    assert np.all((closed == 99) == (sm.stage < TERMINAL))


def test_stage_machines_refuse_to_move_back() -> None:
    sm = StageMachine(3, N_STAGES, TERMINAL)
    sm.move(np.array([2, 1, 0]), 1)
    with pytest.raises(ValueError, match="forward"):
        sm.move(np.array([1, 1, 0]), 2)
    with pytest.raises(ValueError):
        StageMachine(3, N_STAGES, 0)


def test_competing_exits_take_one_band_each_with_priority() -> None:
    u = np.random.default_rng(0).random(400_000)
    p0, p1 = np.full(u.size, 0.2), np.full(u.size, 0.3)
    taken = competing_exits(u, p0, p1)
    assert abs(np.mean(taken == 0) - 0.2) < 0.003
    assert abs(np.mean(taken == 1) - 0.3) < 0.003
    assert abs(np.mean(taken == STAY) - 0.5) < 0.003
    # Probabilities adding up to more than one: the first exit keeps its share.
    over = competing_exits(u, np.full(u.size, 0.7), np.full(u.size, 0.6))
    assert abs(np.mean(over == 0) - 0.7) < 0.003
    assert abs(np.mean(over == 1) - 0.3) < 0.003
    assert not np.any(over == STAY)


@settings(max_examples=20, deadline=None)
@given(lam=st.floats(0.0, 60.0), seed=st.integers(0, 100))
def test_poisson_counts_follow_the_poisson_law(lam: float, seed: int) -> None:
    u = np.random.default_rng(seed).random(20_000)
    k = poisson_counts(u, lam)
    assert k.min() >= 0
    sd = np.sqrt(max(lam, 1e-9) / u.size)
    assert abs(k.mean() - lam) < 5 * sd + 1e-9
    # Inverse CDF: a count is k exactly when the uniform falls in [F(k-1), F(k)).
    small = poisson_counts(np.array([0.0, 0.3, 0.6, 0.99, 0.9999]), 1.0)
    assert small.tolist() == [0, 0, 1, 4, 6]


def test_poisson_counts_reject_bad_means() -> None:
    with pytest.raises(ValueError):
        poisson_counts(np.array([0.5]), -1.0)
    with pytest.raises(ValueError):
        poisson_counts(np.array([0.5]), np.nan)
    assert poisson_counts(np.array([0.2, 0.9]), 0.0).tolist() == [0, 0]


@pytest.mark.parametrize("lam", [99.0, 101.0, 180.0, 1_000.0, 2.5e5])
def test_poisson_counts_for_large_means_match_the_exact_quantiles(lam: float) -> None:
    """Both inversions (counting up, windowed) give the exact Poisson quantile, also either
    side of the switch between them."""
    u = np.array([1e-7, 0.01, 0.25, 0.5, 0.75, 0.99, 1 - 1e-7])
    k = poisson_counts(u, lam)
    # Reference: the exact CDF summed in log space with math.lgamma.
    lo, hi = int(max(0, lam - 12 * lam**0.5 - 20)), int(lam + 12 * lam**0.5 + 20)
    ks = np.arange(lo, hi)
    log_p = ks * np.log(lam) - lam - np.array([math.lgamma(x + 1.0) for x in ks])
    cdf = np.cumsum(np.exp(log_p))
    expected = lo + np.searchsorted(cdf, u, side="right")
    assert k.tolist() == expected.tolist()
    rng = np.random.default_rng(7)
    draws = poisson_counts(rng.random(50_000), np.full(50_000, lam))
    assert abs(draws.mean() - lam) < 5 * (lam / 50_000) ** 0.5
    assert abs(draws.var() / lam - 1.0) < 0.05


def test_bernoulli_respects_rates() -> None:
    u = np.random.default_rng(1).random((3, 300_000))
    p = np.where(np.arange(300_000) % 2 == 0, 0.1, 0.4)
    hits = bernoulli(u[0], p)
    assert abs(np.isin(np.arange(0, 300_000, 2), hits).mean() - 0.1) < 0.003
    assert abs(np.isin(np.arange(1, 300_000, 2), hits).mean() - 0.4) < 0.004


def test_decay_multipliers_and_links() -> None:
    assert recency_decay(0, 45.0, 0.35) == np.float32(1.0)
    assert abs(float(recency_decay(10_000, 45.0, 0.35)) - 0.35) < 1e-6
    assert np.all(np.diff([recency_decay(t, 10.0, 0.2) for t in range(30)]) < 0)
    mult = channel_multiplier(np.array([2, 0, 2]), [1.0, 0.5, 2.0])
    assert mult.dtype == np.float32 and mult.tolist() == [2.0, 1.0, 2.0]
    x32 = np.array([-1.0, 0.0, 3.0], dtype=np.float32)
    assert sigmoid(x32).dtype == np.float32 and sigmoid(x32)[1] == 0.5
    assert sigmoid(np.array([0.0]))[0] == 0.5
    e = centered_exp(np.random.default_rng(2).normal(size=1000) * 5)
    assert abs(e.mean() - 1.0) < 1e-12 and np.all(e > 0)
    assert centered_exp(np.array([800.0, 0.0])).mean() == pytest.approx(1.0)
    assert centered_exp(np.zeros(0)).size == 0


def test_seasonal_arrivals_follow_month_and_weekday_weights() -> None:
    start = dt.date(2025, 1, 1)  # a Wednesday
    months = [1.0] * 12
    months[1] = 3.0  # February
    weekdays = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]  # no weekend arrivals
    p = seasonal_weights(start, 365, months, weekdays)
    assert p.size == 365 and abs(p.sum() - 1.0) < 1e-12
    assert calendar_months(start, 365)[31] == 1  # 1 February
    days = arrival_steps(np.random.default_rng(0), 365, 200_000, p)
    weekday = (start.weekday() + days) % 7
    assert not np.any(weekday >= 5)
    feb = calendar_months(start, 365)[days] == 1
    expected = p[calendar_months(start, 365) == 1].sum()
    assert abs(feb.mean() - expected) < 0.004
    flat = arrival_steps(np.random.default_rng(5), 52, 1000)
    assert np.array_equal(flat, np.random.default_rng(5).integers(0, 52, 1000))
    with pytest.raises(ValueError):
        seasonal_weights(start, 10, [1.0] * 11, weekdays)
    with pytest.raises(ValueError):
        arrival_steps(np.random.default_rng(0), 10, 5, p)


def test_recorder_broadcasts_and_merges_in_loop_order() -> None:
    a = EventRecorder({"e": ("entity", "day")})
    b = EventRecorder({"e": ("entity", "day")})
    for day in range(3):
        a.add("e", entity=np.array([0, 2]) if day != 1 else np.zeros(0, np.int64), day=day)
        b.add("e", entity=np.array([1]), day=day)
    with pytest.raises(ValueError):
        a.add("e", entity=np.array([1]))
    blockwise = merge_blocks([a, b], "e", {"entity": [0, 10]})
    assert blockwise["entity"].tolist() == [0, 2, 0, 2, 11, 11, 11]
    loop = merge_blocks([a, b], "e", {"entity": [0, 10]}, interleave_by="entity", block_column="b")
    assert loop["entity"].tolist() == [0, 2, 11, 11, 0, 2, 11]
    assert loop["day"].tolist() == [0, 0, 0, 1, 2, 2, 2]
    assert loop["b"].tolist() == [0, 0, 1, 1, 0, 0, 1]
    assert set(a.frame("e")) == {"entity", "day"}


def test_every_example_of_the_simulation_blocks_section_runs() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "toolkit.md").read_text(encoding="utf-8")
    section = doc.split("## Simulation blocks (leadforge_core.simulate)", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    headings = re.findall(r"^### ", section, flags=re.M)
    assert len(blocks) == len(headings) == 7
    for code in blocks:
        exec(compile(code, "toolkit.md", "exec"), {"__name__": "toolkit_example"})


@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 5), st.integers(0, 4)), max_size=30),
        min_size=1,
        max_size=5,
    ),
    st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_interleave_order_is_lexsort(blocks: list[list[tuple[int, int]]], tidy: bool) -> None:
    """Whatever the rows (blocks sorted the way recorders make them, or not), the order is
    the two-key stable sort's."""
    major, minor = [], []
    for b, rows in enumerate(blocks):
        if tidy:  # a block's rows by (step, entity), its entities after earlier blocks'
            rows = sorted(rows)
        major += [r[0] for r in rows]
        minor += [r[1] + (10 * b if tidy else 0) for r in rows]
    a, m = np.array(major, dtype=np.int64), np.array(minor, dtype=np.int64)
    assert np.array_equal(interleave_order(a, m), np.lexsort((m, a)))
