"""Python API: ``Generator.from_recipe(...).generate()`` and ``list_recipes()``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from leadforge_core.bundle.world import WorldBundle
from leadforge_core.causal import Intervention
from leadforge_core.errors import ConfigError
from leadforge_core.executors import Executor, make_executor
from leadforge_core.exposure import ExposureMode
from leadforge_core.pipeline import Plan, execute, plan
from leadforge_core.plugins import PluginHost, get_host
from leadforge_core.progress import Progress
from leadforge_core.recipes.registry import RecipeCatalog


class Generator:
    """A resolved, ready-to-run generation (recipe + configuration)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    @classmethod
    def from_recipe(
        cls,
        recipe: str | Path,
        *,
        seed: int | None = None,
        exposure_mode: ExposureMode | str | None = None,
        difficulty: str | None = None,
        motif: str | None = None,
        override: str | Path | None = None,
        sets: Sequence[str] = (),
        host: PluginHost | None = None,
        interventions: Iterable[Intervention | str] | None = (),
        **params: Any,
    ) -> Generator:
        """Resolve ``recipe`` (id or path) with keyword overrides.

        ``interventions`` change the world's causal graph before it is simulated: objects
        from :mod:`leadforge_core.causal` or canonical strings (``"do(engagement=1.5)"``,
        ``"shift(engagement=+0.5)"``, ``"scale(followup_speed->deal_propensity=2)"``,
        ``"cut(usage_depth->churn)"``). The instructor manifest records them.

        ``sets`` takes ``"key=value"`` strings like the CLI's ``--set``. Extra keywords are the
        scheme's size flags (``n_leads=…``) or top-level parameters
        (``snapshot_day=…``); anything else raises :class:`~leadforge_core.errors.ConfigError`.
        """
        return cls(
            plan(
                recipe,
                host=host,
                override=override,
                sets=sets,
                seed=seed,
                mode=exposure_mode,
                difficulty=difficulty,
                motif=motif,
                params=params,
                source="argument",
                interventions=interventions,
            )
        )

    @property
    def config(self) -> dict[str, Any]:
        return self.plan.config.to_dict()

    def generate(
        self,
        *,
        progress: Progress | None = None,
        timestamp: str | int | None = None,
        workers: int | None = None,
        dask: str | None = None,
        executor: Executor | None = None,
    ) -> WorldBundle:
        """Simulate and render; returns tables and task splits as polars frames.

        Args:
            progress: receives phases and steps (nothing by default).
            timestamp: pins ``generated_at`` (ISO 8601 or epoch seconds).
            workers: worker processes for the per-block work (default 1: this process).
            dask: a Dask scheduler address (``tcp://host:8786``) to run the blocks on instead;
                needs the ``leadforge-core[dask]`` extra.
            executor: an executor to reuse across calls (then ``workers``/``dask`` must be
                unset; the caller closes it).

        Returns:
            The bundle, identical byte for byte whichever executor ran it.
        """
        if executor is not None:
            if workers is not None or dask is not None:
                raise ConfigError("pass either executor or workers/dask, not both")
            return execute(self.plan, progress=progress, timestamp=timestamp, executor=executor)
        with make_executor(workers, dask) as ex:
            return execute(self.plan, progress=progress, timestamp=timestamp, executor=ex)


def list_recipes(host: PluginHost | None = None) -> list[dict[str, Any]]:
    """Every recipe reachable by id, with its scheme, title, task, modes and plugin."""
    return RecipeCatalog(host or get_host()).listing()
