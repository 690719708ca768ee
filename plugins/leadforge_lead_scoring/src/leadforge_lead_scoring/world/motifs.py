"""The five motif families: base causal graph and the commercial story each one tells.

A family multiplies (or removes, or adds) edges of the base graph; the sampled world then
rewires the result within constraints (see ``graph.py``).
"""

from __future__ import annotations

from typing import Final

#: Node categories in chronological order; an edge may never point to an earlier category.
CATEGORY_RANK: Final[dict[str, int]] = {
    "global_context": 0,
    "account_latent": 1,
    "contact_latent": 2,
    "lead_state": 3,
    "engagement_state": 4,
    "sales_process_state": 5,
    "outcome": 6,
    "observable_feature_source": 7,
    "post_conversion_state": 8,
}

#: node -> (category, noise sd, description)
BASE_NODES: Final[dict[str, tuple[str, float, str]]] = {
    "market_climate": ("global_context", 0.3, "seasonal buying climate at lead creation"),
    "account_fit": ("account_latent", 0.7, "how well the account matches the ideal customer"),
    "budget_readiness": ("account_latent", 0.8, "whether budget exists this cycle"),
    "segment_fit": ("account_latent", 0.2, "fit of the industry x company-size segment"),
    "committee_complexity": ("account_latent", 0.6, "size and politics of the buying committee"),
    "contact_authority": ("contact_latent", 0.5, "decision power of the contact"),
    "contact_intent": ("contact_latent", 0.8, "how actively the contact is looking"),
    "lead_quality": ("lead_state", 0.4, "overall quality of the lead at creation (mediator)"),
    "engagement": ("engagement_state", 0.6, "propensity to engage with marketing and the site"),
    "rep_execution": ("sales_process_state", 0.3, "skill and diligence of the owning reps"),
    "followup_speed": ("sales_process_state", 0.4, "how fast sales follows up"),
    "demo_momentum": ("sales_process_state", 0.5, "drive towards and through the demo"),
    "committee_friction": ("sales_process_state", 0.4, "delays from approvals and reviewers"),
    "final_approval": ("sales_process_state", 0.4, "whether legal, security and finance sign off"),
    "deal_propensity": ("outcome", 0.5, "propensity to close won"),
    "lead_score_proxy": ("observable_feature_source", 0.5, "marketing lead score (proxy)"),
    "fit_score_proxy": ("observable_feature_source", 0.5, "enrichment fit score (proxy)"),
    "deal_size": ("post_conversion_state", 0.3, "annual contract value on the deal (log scale)"),
}

#: (parent, child) -> (weight, form, partner). ``product`` multiplies by the partner node.
BASE_EDGES: Final[dict[tuple[str, str], tuple[float, str, str]]] = {
    ("account_fit", "lead_quality"): (0.6, "linear", ""),
    ("contact_intent", "lead_quality"): (0.6, "linear", ""),
    ("lead_quality", "engagement"): (0.7, "linear", ""),
    ("contact_intent", "engagement"): (0.5, "linear", ""),
    ("account_fit", "engagement"): (0.2, "linear", ""),
    ("market_climate", "engagement"): (0.3, "linear", ""),
    ("rep_execution", "followup_speed"): (0.8, "linear", ""),
    ("lead_quality", "followup_speed"): (0.2, "linear", ""),
    ("engagement", "demo_momentum"): (0.6, "tanh", ""),
    ("contact_authority", "demo_momentum"): (0.4, "linear", ""),
    ("committee_complexity", "committee_friction"): (0.8, "linear", ""),
    ("contact_authority", "committee_friction"): (-0.3, "linear", ""),
    ("account_fit", "deal_propensity"): (0.6, "linear", ""),
    ("segment_fit", "final_approval"): (1.6, "linear", ""),
    ("committee_friction", "final_approval"): (-0.3, "linear", ""),
    ("budget_readiness", "final_approval"): (0.2, "linear", ""),
    ("budget_readiness", "deal_propensity"): (0.8, "threshold", ""),
    ("demo_momentum", "deal_propensity"): (0.5, "tanh", ""),
    ("engagement", "deal_propensity"): (0.3, "linear", ""),
    ("committee_friction", "deal_propensity"): (-0.3, "linear", ""),
    ("followup_speed", "deal_propensity"): (0.2, "linear", ""),
    ("contact_authority", "deal_propensity"): (0.5, "product", "account_fit"),
    ("engagement", "lead_score_proxy"): (0.6, "linear", ""),
    ("contact_intent", "lead_score_proxy"): (0.4, "linear", ""),
    ("account_fit", "fit_score_proxy"): (1.2, "linear", ""),
    ("budget_readiness", "deal_size"): (0.2, "linear", ""),
    ("committee_complexity", "deal_size"): (0.3, "linear", ""),
    ("deal_propensity", "deal_size"): (0.1, "linear", ""),
}

#: family -> (story, edge multipliers (0 removes), added edges, node noise multipliers)
MOTIF_FAMILIES: Final[
    dict[
        str,
        tuple[
            str,
            dict[tuple[str, str], float],
            dict[tuple[str, str], tuple[float, str, str]],
            dict[str, float],
        ],
    ]
] = {
    # Final sign-off is the strongest single step of the funnel, so each family decides it
    # through its own story (with a non-linear edge a tree model can find). Where that story
    # is a threshold on a latent seen only through noisy counts (intent, demo), the industry x
    # company-size segment weighs more, so the sign-off still turns on an interaction that
    # default gradient boosting reads from the data and a one-hot linear model cannot.
    "fit_dominant": (
        "Firmographic fit decides: well-matched accounts convert almost whatever the funnel does.",
        {
            ("account_fit", "deal_propensity"): 2.5,
            ("account_fit", "lead_quality"): 1.0,
            ("engagement", "deal_propensity"): 0.2,
            ("demo_momentum", "deal_propensity"): 0.4,
            ("segment_fit", "final_approval"): 1.3,
            ("budget_readiness", "final_approval"): 3.0,
        },
        {("account_fit", "final_approval"): (0.8, "linear", "")},
        {},
    ),
    "intent_dominant": (
        "Buying intent decides: engaged, actively searching contacts convert.",
        {
            ("contact_intent", "engagement"): 1.6,
            ("engagement", "demo_momentum"): 1.5,
            ("engagement", "deal_propensity"): 2.5,
            ("account_fit", "deal_propensity"): 0.3,
            ("segment_fit", "final_approval"): 1.8,
        },
        {
            ("engagement", "final_approval"): (1.0, "threshold", ""),
            ("contact_authority", "final_approval"): (0.1, "linear", ""),
            ("contact_intent", "final_approval"): (0.8, "product", "contact_authority"),
        },
        {},
    ),
    "sales_execution_sensitive": (
        "Sales execution decides: fast, skilled follow-up turns average leads into deals.",
        {
            ("rep_execution", "followup_speed"): 1.0,
            ("followup_speed", "deal_propensity"): 4.0,
            ("account_fit", "deal_propensity"): 0.4,
            ("engagement", "deal_propensity"): 0.5,
        },
        {
            ("rep_execution", "demo_momentum"): (0.6, "linear", ""),
            ("followup_speed", "final_approval"): (1.0, "threshold", ""),
        },
        # Follow-up varies lead by lead, not only by rep.
        {"followup_speed": 2.0},
    ),
    "demo_trial_mediated": (
        "The demo/trial is the mediator: engagement matters only through demo momentum.",
        {
            ("demo_momentum", "deal_propensity"): 3.5,
            ("engagement", "demo_momentum"): 0.6,
            ("engagement", "deal_propensity"): 0.0,
            ("account_fit", "deal_propensity"): 0.3,
            ("segment_fit", "final_approval"): 1.8,
        },
        {("demo_momentum", "final_approval"): (1.2, "threshold", "")},
        # The demo experience itself varies a lot: momentum is more than engagement.
        {"demo_momentum": 3.0},
    ),
    "buying_committee_friction": (
        "Buying committees decide: large, political committees stall or block deals.",
        {
            ("committee_complexity", "committee_friction"): 1.5,
            ("committee_friction", "deal_propensity"): 4.0,
            ("account_fit", "deal_propensity"): 0.5,
            ("committee_friction", "final_approval"): 2.5,
            ("contact_authority", "committee_friction"): 2.0,
        },
        {("committee_friction", "demo_momentum"): (-0.4, "linear", "")},
        {},
    ),
}
