"""Randomness is order-independent and ids are stable."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadforge_core.ids import ids_at, make_ids
from leadforge_core.rng import RandomStreams, blocked_draw


def test_same_name_same_stream() -> None:
    a = RandomStreams(5).generator("population").random(8)
    b = RandomStreams(5).generator("population").random(8)
    assert np.array_equal(a, b)


def test_names_blocks_and_seeds_differ() -> None:
    s = RandomStreams(5)
    draws = [
        s.generator("a").random(4),
        s.generator("b").random(4),
        s.generator("a", 0).random(4),
        s.generator("a", 1).random(4),
        RandomStreams(6).generator("a").random(4),
    ]
    for i in range(len(draws)):
        for j in range(i + 1, len(draws)):
            assert not np.array_equal(draws[i], draws[j])


def test_stream_ignores_what_was_drawn_before() -> None:
    s = RandomStreams(9)
    s.generator("other").random(1000)
    assert np.array_equal(s.generator("x").random(3), RandomStreams(9).generator("x").random(3))


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_bad_seed(bad: object) -> None:
    with pytest.raises(ValueError):
        RandomStreams(bad)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    n=st.integers(0, 700),
    block=st.integers(1, 97),
    data=st.data(),
)
def test_blocked_draw_is_independent_of_processing_order(
    seed: int, n: int, block: int, data: st.DataObject
) -> None:
    streams = RandomStreams(seed)
    n_blocks = -(-n // block)
    order = data.draw(st.permutations(list(range(n_blocks))))
    workers = data.draw(st.integers(1, 4))

    def draw(g: np.random.Generator, k: int) -> np.ndarray:
        return g.normal(size=k)

    forward = blocked_draw(streams, "x", n, draw, block_size=block, workers=1)
    shuffled = blocked_draw(
        streams, "x", n, draw, block_size=block, order=list(order), workers=workers
    )
    assert forward.shape == (n,)
    assert np.array_equal(forward, shuffled)


def test_ids() -> None:
    ids = make_ids("acct", 3)
    assert ids.to_list() == ["acct_000001", "acct_000002", "acct_000003"]
    assert make_ids("lead", 2, start=999_999).to_list() == ["lead_0999999", "lead_1000000"]
    with pytest.raises(ValueError):
        make_ids("Bad-Prefix", 1)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 1_200_000), seed=st.integers(0, 2**32 - 1))
def test_ids_at_equals_gathering_make_ids(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    positions = np.flatnonzero(rng.random(n) < 0.001) if n else np.zeros(0, dtype=np.int64)
    positions = np.union1d(positions, [p for p in (0, n - 1) if n])
    assert ids_at("touch", positions, n).equals(make_ids("touch", n).gather(positions))
