"""Public ⊆ instructor: every public file, column and row is in the instructor bundle."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadforge_core import Generator
from leadforge_core.exposure import ExposureMode
from leadforge_core.plugins import PluginHost
from leadforge_core.validation.view import BundleView


def _assert_public_subset(
    public: BundleView,
    instructor: BundleView,
    as_of: dict[str, tuple[str, ...]],
    pks: dict[str, str],
) -> None:
    pub_files = {
        p.relative_to(public.path).as_posix() for p in public.path.rglob("*") if p.is_file()
    }
    ins_files = {
        p.relative_to(instructor.path).as_posix() for p in instructor.path.rglob("*") if p.is_file()
    }
    assert pub_files <= ins_files
    for name in public.table_names():
        pub, ins = public.table(name), instructor.table(name)
        assert set(pub.columns) <= set(ins.columns)
        compare = [c for c in pub.columns if c not in as_of.get(name, ())]
        missing = pub.select(compare).join(
            ins.select(compare), on=compare, how="anti", nulls_equal=True
        )
        assert missing.height == 0, f"{name}: {missing.height} public rows not in instructor"
        assert pub[pks[name]].is_in(ins[pks[name]].implode()).all()
    for task in public.task_names():
        for split in ("train", "valid", "test"):
            pub, ins = public.task_split(task, split), instructor.task_split(task, split)
            assert set(pub.columns) <= set(ins.columns)
            assert (
                pub.join(
                    ins.select(pub.columns), on=pub.columns, how="anti", nulls_equal=True
                ).height
                == 0
            )


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(20, 300),
    difficulty=st.sampled_from(["intro", "advanced"]),
)
def test_public_is_subset_of_instructor(
    toy_host: PluginHost, tmp_path_factory, seed: int, n: int, difficulty: str
) -> None:
    root: Path = tmp_path_factory.mktemp("exp")
    views = {}
    for mode in ExposureMode:
        gen = Generator.from_recipe(
            "toy_shop_v1",
            host=toy_host,
            seed=seed,
            exposure_mode=mode,
            difficulty=difficulty,
            n_customers=n,
        )
        gen.generate(timestamp=0).save(root / mode.value)
        views[mode] = BundleView(root / mode.value)
    scheme = toy_host.scheme("toy_shop")[0]
    pks = {s.name: s.primary_key for s in scheme().table_specs()}
    _assert_public_subset(
        views[ExposureMode.STUDENT_PUBLIC],
        views[ExposureMode.RESEARCH_INSTRUCTOR],
        scheme.exposure.as_of_columns,
        pks,
    )  # type: ignore[arg-type]


def test_instructor_has_truth(toy_host: PluginHost) -> None:
    bundle = Generator.from_recipe(
        "toy_shop_v1", host=toy_host, exposure_mode="research_instructor"
    ).generate(timestamp=0)
    assert bundle.truth is not None and "world_spec.json" in bundle.truth
    assert "loyalty" in bundle.tables
    assert isinstance(bundle.tables["orders"], pl.DataFrame)


def test_instructor_only_tasks_accept_patterns() -> None:
    from leadforge_core.exposure import ExposurePolicy

    policy = ExposurePolicy(instructor_only_tasks=("early_*", "audit"))
    assert policy.withholds_task("early_ltv_revenue_30d") and policy.withholds_task("audit")
    assert not policy.withholds_task("ltv_revenue_30d") and not policy.withholds_task("audits")
    assert policy.redactions() == ["tasks early_* withheld", "task audit withheld"]
