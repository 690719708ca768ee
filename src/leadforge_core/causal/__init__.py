"""The causal-graph engine every scheme builds its hidden world on.

* :mod:`~leadforge_core.causal.spec`: typed :class:`NodeSpec` / :class:`EdgeSpec`, the
  :class:`GraphSchema` and the standard constraint rules;
* :mod:`~leadforge_core.causal.draft`: :class:`GraphDraft`, :class:`MotifFamily` and the
  rewiring operations (:class:`BypassMediator`, :class:`AddConfounder`,
  :class:`JitterEdges`, :class:`SwapProxy`, :class:`KeepOptionalEdges`);
* :mod:`~leadforge_core.causal.graph`: :class:`CausalGraph` (weights, execution, export);
* :mod:`~leadforge_core.causal.interventions`: ``do`` / ``shift`` / ``scale`` / ``cut`` and
  their canonical strings.
"""

from __future__ import annotations

from leadforge_core.causal.draft import (
    AddConfounder,
    BypassMediator,
    GraphDraft,
    JitterEdges,
    KeepOptionalEdges,
    MotifFamily,
    Rewiring,
    SwapProxy,
)
from leadforge_core.causal.graph import CausalGraph, contribution
from leadforge_core.causal.interventions import (
    CutEdge,
    Do,
    EdgeIntervention,
    Intervention,
    NodeIntervention,
    ScaleEdge,
    Shift,
    cut_edge,
    do,
    format_number,
    parse_intervention,
    parse_interventions,
    scale_edge,
    shift,
)
from leadforge_core.causal.spec import (
    FORMS,
    STANDARD_RULES,
    EdgeSpec,
    GraphSchema,
    NodeSpec,
    Rule,
    acyclic,
    forward_in_time,
    known_categories,
    known_forms,
    noisy_nodes,
    outcomes_fed,
    product_partner_is_parent,
    required_present,
    sinks_have_no_children,
)

__all__ = [
    "FORMS",
    "STANDARD_RULES",
    "AddConfounder",
    "BypassMediator",
    "CausalGraph",
    "CutEdge",
    "Do",
    "EdgeIntervention",
    "EdgeSpec",
    "GraphDraft",
    "GraphSchema",
    "Intervention",
    "JitterEdges",
    "KeepOptionalEdges",
    "MotifFamily",
    "NodeIntervention",
    "NodeSpec",
    "Rewiring",
    "Rule",
    "ScaleEdge",
    "Shift",
    "SwapProxy",
    "acyclic",
    "contribution",
    "cut_edge",
    "do",
    "format_number",
    "forward_in_time",
    "known_categories",
    "known_forms",
    "noisy_nodes",
    "outcomes_fed",
    "parse_intervention",
    "parse_interventions",
    "product_partner_is_parent",
    "required_present",
    "scale_edge",
    "shift",
    "sinks_have_no_children",
]
