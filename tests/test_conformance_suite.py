"""``leadforge_core.testing``: the conformance suite on both built-in schemes and the toy one,
and planted violations it must catch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
import pytest
import toy_scheme.plugin

from leadforge_core import asof
from leadforge_core.testing import SchemeConformance, file_digests, frames_equal, throwaway_host

pytest_plugins = ["pytester"]


def toy_orders_before(tables: Mapping[str, pl.DataFrame], task: str) -> pl.DataFrame:
    """The toy task's point-in-time features, rebuilt from public tables only."""
    customers = tables["customers"]
    anchor = customers.select("customer_id", anchor=pl.col("signup_at") + pl.duration(days=30))
    anchors = asof.Anchors(anchor, "customer_id", "anchor")
    seen = (
        asof.as_of(tables["orders"], anchors, "ordered_at")
        .group_by("customer_id")
        .agg(orders_before=asof.count().cast(pl.Int64), spend_before=asof.total("amount"))
        .collect()
    )
    return (
        anchor.join(seen, on="customer_id", how="left")
        .with_columns(pl.col("orders_before").fill_null(0), pl.col("spend_before").fill_null(0.0))
        .rename({"anchor": "snapshot_time"})
    )


class TestToyShopConforms(SchemeConformance):
    recipe = "toy_shop_v1"
    params = {"n_customers": 200}
    plugins = (toy_scheme.plugin,)

    def recompute_features(self, tables: Mapping[str, pl.DataFrame], task: str) -> pl.DataFrame:
        return toy_orders_before(tables, task)


class TestLeadScoringConforms(SchemeConformance):
    recipe = "b2b_saas_procurement_v1"
    params = {"n_leads": 600}


class TestLifecycleConforms(SchemeConformance):
    recipe = "b2b_saas_ltv_v1"
    params = {"n_customers": 300}


# --------------------------------------------------------------------------- planted bugs

PLANTED = """
from collections.abc import Mapping

import attrs
import numpy as np
import polars as pl

from leadforge_core import hookimpl
from leadforge_core.testing import SchemeConformance
from test_conformance_suite import toy_orders_before
from toy_scheme.plugin import leadforge_register_recipes
from toy_scheme.scheme import ToyShop


def replace_feature(rendered, name, expr):
    tasks = {
        t: attrs.evolve(out, splits={s: f.with_columns(expr.alias(name)) for s, f in out.splits.items()})
        for t, out in rendered.tasks.items()
    }
    return attrs.evolve(rendered, tasks=tasks)


class Unseeded(ToyShop):
    def render(self, world, sim, ctx):
        noise = pl.lit(float(np.random.default_rng().random()))  # not from ctx.streams
        return replace_feature(super().render(world, sim, ctx), "spend_before", pl.col("spend_before") + noise)


class PeeksAhead(ToyShop):
    def render(self, world, sim, ctx):
        # "orders before the anchor" counted over the whole horizon
        return replace_feature(super().render(world, sim, ctx), "orders_before", pl.col("total_orders_trap"))


class Plugin:
    def __init__(self, scheme):
        self.scheme = scheme

    @hookimpl
    def leadforge_register_schemes(self):
        return [self.scheme]

    @hookimpl
    def leadforge_register_recipes(self):
        return leadforge_register_recipes()


class TestUnseeded(SchemeConformance):
    recipe = "toy_shop_v1"
    params = {"n_customers": 200}
    plugins = (Plugin(Unseeded),)


class TestPeeksAhead(SchemeConformance):
    recipe = "toy_shop_v1"
    params = {"n_customers": 200}
    plugins = (Plugin(PeeksAhead),)

    def recompute_features(self, tables, task):
        return toy_orders_before(tables, task)
"""


def test_suite_catches_planted_violations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_planted=PLANTED)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    failed = {r.nodeid.split("::", 1)[1] for r in result.reprec.getreports() if r.failed}
    assert {
        "TestUnseeded::test_deterministic[research_instructor]",
        "TestUnseeded::test_deterministic[student_public]",
        # the two modes' runs drew different noise, so public features differ too
        "TestUnseeded::test_public_subset_of_instructor",
        "TestPeeksAhead::test_features_recomputed_from_public_snapshot",
    } == failed, sorted(failed)
    result.stdout.fnmatch_lines(["*orders_before: * rows differ*"])


def test_throwaway_host_is_restored() -> None:
    from leadforge_core import plugins

    before = plugins._HOST
    with throwaway_host(toy_scheme.plugin) as host:
        assert plugins.get_host() is host
        assert "toy_shop" in host.schemes
        assert host.records[-1].distribution == "toy-scheme"
    assert plugins._HOST is before


def test_file_digests_and_frames_equal(tmp_path: Any) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("1")
    (tmp_path / "y.txt").write_text("2")
    digests = file_digests(tmp_path)
    assert list(digests) == ["a/x.txt", "y.txt"]
    (tmp_path / "y.txt").write_text("3")
    assert file_digests(tmp_path)["y.txt"] != digests["y.txt"]
    left = pl.DataFrame({"k": [1, 2, 3], "v": [1.0, None, 3.0], "c": ["a", "b", "c"]})
    right = left.with_columns(pl.col("c").cast(pl.Categorical))
    assert frames_equal(left, right, ["k"], ["v", "c"]) == []
    changed = right.with_columns(v=pl.Series([1.0, 2.0, 3.0]))
    assert frames_equal(left, changed, ["k"], ["v", "c"]) == ["v: 1 rows differ"]
    assert frames_equal(left, right.head(2), ["k"], ["c"])[0].startswith("1 rows of the first")


def test_pytest_plugin_fixture(leadforge_plugin_host: Any) -> None:
    host = leadforge_plugin_host(toy_scheme.plugin)
    from leadforge_core import plugins

    assert plugins.get_host() is host and "toy_shop" in host.schemes
