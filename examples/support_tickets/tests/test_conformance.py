"""The support-tickets scheme against leadforge-core's conformance suite, plus its own story."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from leadforge_core import Generator
from leadforge_core.testing import SchemeConformance

from leadforge_support_tickets.scheme import ticket_features


class TestSupportTickets(SchemeConformance):
    recipe = "support_desk_v1"
    params = {"n_customers": 200}

    def recompute_features(self, tables: Mapping[str, pl.DataFrame], task: str) -> pl.DataFrame:
        return ticket_features(tables)


def escalation_rate(**kw: object) -> float:
    gen = Generator.from_recipe("support_desk_v1", seed=3, n_customers=300, exposure_mode="research_instructor", **kw)
    task = gen.generate(timestamp=0).tasks["escalates_within_14d"]
    labels = pl.concat([f["escalates_within_14d"] for f in task.splits.values()])
    return float(labels.mean())  # type: ignore[arg-type]


def test_interventions_change_the_world_through_its_graph() -> None:
    natural = escalation_rate()
    assert escalation_rate(interventions=["shift(frustration=+1.5)"]) > natural + 0.05
    assert escalation_rate(interventions=["cut(frustration->escalation)"]) < natural
    # the tone of the first message causes nothing downstream
    assert escalation_rate(interventions=["do(obs_sentiment=3)"]) == natural


def test_public_bundle_hides_the_latent_and_the_graph(tmp_path: object) -> None:
    public = Generator.from_recipe("support_desk_v1", seed=3, n_customers=100).generate(timestamp=0)
    assert "frustration" not in public.tables["customers"].columns
    assert public.truth is None and public.manifest["scheme_details"].get("motif_family") is None
    instructor = Generator.from_recipe(
        "support_desk_v1", seed=3, n_customers=100, exposure_mode="research_instructor"
    ).generate(timestamp=0)
    assert "frustration" in instructor.tables["customers"].columns
    assert {"graph.json", "graph.graphml"} <= set(instructor.truth or {})
