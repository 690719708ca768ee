"""The scheme contract: what a generation scheme provides to the core pipeline.

A scheme is a class registered by a plugin (``leadforge_register_schemes``). The core resolves
its typed parameters, then calls, in order::

    complete_params → build_world → simulate → render → (public) snapshot_cut → write → checks

Schemes never write files and never filter by exposure themselves beyond ``snapshot_cut``;
the core publishes, writes and validates.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import polars as pl

from leadforge_core.bundle.model import Rendered, TableSpec, TaskSpec
from leadforge_core.causal import CausalGraph, Intervention
from leadforge_core.executors import Executor, SerialExecutor
from leadforge_core.exposure import ExposureMode, ExposurePolicy
from leadforge_core.progress import NullProgress, Progress
from leadforge_core.rng import RandomStreams
from leadforge_core.validation.findings import Check

if TYPE_CHECKING:
    from leadforge_core.recipes.model import Recipe
    from leadforge_core.validation.view import BundleView

#: Version of the scheme contract; a scheme declares the one it targets.
API_VERSION = 1


@attrs.frozen
class SizeFlag:
    """A CLI size flag (``--n-leads``) that sets a dotted parameter (``population.n_leads``)."""

    option: str
    path: str
    help: str


@attrs.define
class RunContext:
    """Everything a scheme may read while generating one bundle."""

    seed: int
    mode: ExposureMode
    difficulty: str
    params: Any
    recipe: Recipe
    streams: RandomStreams
    progress: Progress = attrs.field(factory=NullProgress)
    #: Interventions requested for this run (see :meth:`intervene`).
    interventions: tuple[Intervention, ...] = ()
    #: Whether the scheme applied them (set by :meth:`intervene`); the pipeline refuses a run
    #: whose requested interventions were never applied.
    interventions_applied: bool = attrs.field(default=False, init=False)
    #: Where per-block work runs (this process, worker processes, a Dask cluster); a scheme
    #: passes it to :func:`~leadforge_core.simulate.run_steps` (or calls ``executor.map`` on
    #: fixed blocks). Never changes the output.
    executor: Executor = attrs.field(factory=SerialExecutor)

    def intervene(
        self,
        graph: CausalGraph,
        *,
        node_targets: Sequence[str] | None = None,
        edge_targets: Sequence[tuple[str, str]] | None = None,
    ) -> CausalGraph:
        """The world's graph with the run's interventions applied (``graph`` itself when
        there are none). A scheme calls this once on the graph it builds, before simulating.

        Args:
            graph: the world's natural graph.
            node_targets: the nodes the scheme can apply node interventions to (``None``:
                every node, for schemes that execute the whole graph).
            edge_targets: the edges whose weights the scheme's mechanisms use (``None``:
                every edge).

        Returns:
            The intervened graph; unknown or removed names raise
            :class:`~leadforge_core.errors.ConfigError`.
        """
        out = (
            graph.intervene(
                self.interventions, node_targets=node_targets, edge_targets=edge_targets
            )
            if self.interventions
            else graph
        )
        self.interventions_applied = True
        return out


class Scheme(abc.ABC):
    """Base class for generation schemes. Subclasses set the class attributes below."""

    #: Unique scheme name (``lead_scoring``); duplicates across plugins are an error.
    name: ClassVar[str]
    #: One-line human title.
    title: ClassVar[str]
    #: Contract version targeted; must equal :data:`API_VERSION`.
    api_version: ClassVar[int] = API_VERSION
    #: attrs class of the run parameters (every field has a default).
    params_model: ClassVar[type[Any]]
    #: attrs class of a recipe's ``world:`` section (narrative, vocabularies, profiles).
    recipe_model: ClassVar[type[Any]]
    #: CLI size flags offered by ``leadforge generate``.
    size_flags: ClassVar[tuple[SizeFlag, ...]] = ()
    #: Motif families selectable with ``--motif`` (sets the ``motif`` parameter).
    motifs: ClassVar[tuple[str, ...]] = ()
    #: What public bundles hide.
    exposure: ClassVar[ExposurePolicy] = ExposurePolicy()
    #: Top-level params shown as "withheld" in public manifests (a chosen motif is hidden truth).
    hidden_params: ClassVar[tuple[str, ...]] = ("motif",)
    #: Name of the scheme this one derives from (a subclass of that scheme's class registered
    #: by another plugin), or ``None``. The core then records the base's plugin in the
    #: manifest, and ``validate`` checks the bundle with the base's declarations and checks
    #: when the deriving plugin is not installed.
    derived_from: ClassVar[str | None] = None
    #: Bytes one unit of a size parameter (dotted path → bytes) adds to a written instructor
    #: bundle, measured on generated bundles; ``leadforge generate`` estimates a bundle's size
    #: from it before simulating and refuses when the disk lacks the space
    #: (:mod:`leadforge_core.bundle.space`). Empty: only the fixed files are counted.
    bytes_per_unit: ClassVar[Mapping[str, float]] = {}

    @abc.abstractmethod
    def table_specs(self) -> list[TableSpec]:
        """Declared schemas of every table, as in an instructor bundle."""

    @abc.abstractmethod
    def task_specs(self, params: Any) -> list[TaskSpec]:
        """Declared tasks for a run with ``params`` (the completed parameters), so task names
        may depend on them (``ltv_revenue_{w}d`` per configured window). ``render`` must return
        exactly these tasks' specs. (A ``task_specs(self)`` without parameters, the older
        form, is still accepted; see :func:`declared_tasks`.)"""

    def complete_params(self, params: Any, recipe: Recipe, difficulty: str) -> Any:
        """Fill derived parameters (for example sizes that scale with another) and check
        cross-field consistency. On a conflict raise
        ``ConfigError(message, key="population.n_stores")``: the core then prefixes the file,
        line and layer that set that key. The returned object is what the manifest records."""
        return params

    @abc.abstractmethod
    def build_world(self, ctx: RunContext) -> Any:
        """Sample the population and hidden structure."""

    @abc.abstractmethod
    def simulate(self, world: Any, ctx: RunContext) -> Any:
        """Run the mechanisms over time, reporting steps through ``ctx.progress``."""

    @abc.abstractmethod
    def render(self, world: Any, sim: Any, ctx: RunContext) -> Rendered:
        """Render full-horizon tables, task splits, feature dictionary, card and truth.

        For a public mode (``ctx.mode.is_public``) a scheme may leave out rows that its
        ``snapshot_cut`` would drop anyway, as long as the published tables are the same.
        """

    def snapshot_cut(self, rendered: Rendered, ctx: RunContext) -> dict[str, pl.DataFrame]:
        """Public tables before column redaction: rows cut at snapshot anchors, as-of values.

        Every returned row must exist (by primary key) in the instructor table; only columns
        listed in ``exposure.as_of_columns`` may change value.
        """
        return dict(rendered.tables)

    def checks(self) -> Sequence[Check]:
        """Scheme-specific validation checks run by ``leadforge validate``."""
        return ()

    def inspect_summary(self, view: BundleView) -> dict[str, Any]:
        """Scheme-aware extras for ``leadforge inspect``."""
        return {}


def declared_tasks(scheme: Scheme, params: Any) -> list[TaskSpec]:
    """The tasks ``scheme`` declares for ``params``.

    Calls ``scheme.task_specs(params)``; a scheme written against the older
    ``task_specs(self)`` (no parameters) is called without them.
    """
    method = scheme.task_specs
    try:
        takes_params = any(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
            for p in inspect.signature(method).parameters.values()
        )
    except (TypeError, ValueError):  # no introspectable signature: assume the current form
        takes_params = True
    if takes_params:
        return list(method(params))
    legacy: Any = method
    return list(legacy())
