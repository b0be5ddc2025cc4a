"""Built-in lifecycle models from the relationship-marketing literature and CRM practice."""

from __future__ import annotations

from crmkit.lifecycle._model import LifecycleModel, Stage, Transition

__all__ = ["dwyer_lifecycle", "marketing_funnel", "prospect_lifecycle", "relationship_lifecycle"]


def relationship_lifecycle() -> LifecycleModel:
    """Return the four-phase relationship lifecycle of Jap & Ganesan (2000).

    Stages ``exploration -> build_up -> maturity -> decline -> terminated``;
    a declining relationship can be reactivated (back to ``build_up``), and
    any open relationship can end.

    Returns
    -------
    LifecycleModel
        Named ``"relationship"``; events ``build_up``, ``mature``, ``weaken``,
        ``reactivate``, ``terminate``.

    Notes
    -----
    Diagram (Mermaid)::

        stateDiagram-v2
            [*] --> exploration
            exploration --> build_up : build_up
            build_up --> maturity : mature
            build_up --> decline : weaken
            maturity --> decline : weaken
            decline --> build_up : reactivate
            exploration --> terminated : terminate
            build_up --> terminated : terminate
            maturity --> terminated : terminate
            decline --> terminated : terminate
            terminated --> [*]

    References
    ----------
    .. [1] Jap, S. D. and Ganesan, S. (2000). "Control Mechanisms and the
       Relationship Life Cycle". Journal of Marketing Research 37(2), 227-245.

    Examples
    --------
    >>> m = relationship_lifecycle()
    >>> m.stage_names
    ('exploration', 'build_up', 'maturity', 'decline', 'terminated')
    >>> m.allowed_events("decline")
    ('reactivate', 'terminate')
    """
    return LifecycleModel(
        name="relationship",
        description="Relationship life cycle of Jap & Ganesan (2000).",
        stages=[
            Stage(name="exploration", description="first trial purchases; testing the supplier"),
            Stage(name="build_up", description="growing purchases and mutual investment"),
            Stage(name="maturity", description="stable, high and regular purchasing"),
            Stage(name="decline", description="purchasing falls below the customer's own norm"),
            Stage(name="terminated", description="the relationship has ended"),
        ],
        initial="exploration",
        terminal=["terminated"],
        transitions=[
            Transition(name="build_up", source="exploration", target="build_up"),
            Transition(name="mature", source="build_up", target="maturity"),
            Transition(name="weaken", source=["build_up", "maturity"], target="decline"),
            Transition(name="reactivate", source="decline", target="build_up"),
            Transition(
                name="terminate",
                source=["exploration", "build_up", "maturity", "decline"],
                target="terminated",
            ),
        ],
    )


def dwyer_lifecycle() -> LifecycleModel:
    """Return the five relationship phases of Dwyer, Schurr & Oh (1987).

    ``awareness -> exploration -> expansion -> commitment``, with
    ``dissolution`` possible from every phase after awareness.

    Returns
    -------
    LifecycleModel
        Named ``"dwyer"``; events ``explore``, ``expand``, ``commit``, ``dissolve``.

    Notes
    -----
    Diagram (Mermaid)::

        stateDiagram-v2
            [*] --> awareness
            awareness --> exploration : explore
            exploration --> expansion : expand
            expansion --> commitment : commit
            exploration --> dissolution : dissolve
            expansion --> dissolution : dissolve
            commitment --> dissolution : dissolve
            dissolution --> [*]

    References
    ----------
    .. [1] Dwyer, F. R., Schurr, P. H. and Oh, S. (1987). "Developing
       Buyer-Seller Relationships". Journal of Marketing 51(2), 11-27.

    Examples
    --------
    >>> dwyer_lifecycle().terminal
    ('dissolution',)
    """
    return LifecycleModel(
        name="dwyer",
        description="Buyer-seller relationship phases of Dwyer, Schurr & Oh (1987).",
        stages=[
            Stage(name="awareness", description="one party recognises a feasible partner"),
            Stage(name="exploration", description="search and trial; obligations tested"),
            Stage(name="expansion", description="benefits and interdependence increase"),
            Stage(name="commitment", description="implicit or explicit pledge of continuity"),
            Stage(name="dissolution", description="the relationship is withdrawn from"),
        ],
        initial="awareness",
        terminal=["dissolution"],
        transitions=[
            Transition(name="explore", source="awareness", target="exploration"),
            Transition(name="expand", source="exploration", target="expansion"),
            Transition(name="commit", source="expansion", target="commitment"),
            Transition(
                name="dissolve",
                source=["exploration", "expansion", "commitment"],
                target="dissolution",
            ),
        ],
    )


def prospect_lifecycle() -> LifecycleModel:
    """Return the prospect-to-customer lifecycle with churn and win-back.

    ``prospect -> interested -> customer -> upgraded``; customers and upgraded
    customers can churn, upgraded ones can downgrade, and churned customers
    can be won back. A prospect may also buy without showing interest first.

    Returns
    -------
    LifecycleModel
        Named ``"prospect"``; events ``show_interest``, ``purchase``,
        ``upgrade``, ``downgrade``, ``churn``, ``win_back``. No stage is
        terminal: every churned customer can come back.

    Notes
    -----
    Diagram (Mermaid)::

        stateDiagram-v2
            [*] --> prospect
            prospect --> interested : show_interest
            prospect --> customer : purchase
            interested --> customer : purchase
            customer --> upgraded : upgrade
            upgraded --> customer : downgrade
            customer --> churned : churn
            upgraded --> churned : churn
            churned --> customer : win_back

    Examples
    --------
    >>> prospect_lifecycle().allowed_events("churned")
    ('win_back',)
    """
    return LifecycleModel(
        name="prospect",
        description="Prospect lifecycle: intention, purchase, upgrade, churn and win-back.",
        stages=[
            Stage(name="prospect", description="known contact who has not bought"),
            Stage(name="interested", description="showed purchase intention"),
            Stage(name="customer", description="has bought"),
            Stage(name="upgraded", description="moved to a higher plan or tier"),
            Stage(name="churned", description="stopped buying or cancelled"),
        ],
        initial="prospect",
        terminal=[],
        transitions=[
            Transition(name="show_interest", source="prospect", target="interested"),
            Transition(name="purchase", source=["prospect", "interested"], target="customer"),
            Transition(name="upgrade", source="customer", target="upgraded"),
            Transition(name="downgrade", source="upgraded", target="customer"),
            Transition(name="churn", source=["customer", "upgraded"], target="churned"),
            Transition(name="win_back", source="churned", target="customer"),
        ],
    )


def marketing_funnel() -> LifecycleModel:
    """Return the marketing funnel stages, forward-only with an explicit recycle to lead.

    ``subscriber -> lead -> marketing_qualified -> sales_qualified ->
    opportunity -> customer -> advocate``; qualified leads and opportunities
    that are not ready can be recycled back to ``lead``.

    Returns
    -------
    LifecycleModel
        Named ``"marketing_funnel"``; ``advocate`` is terminal (the funnel's end).

    Notes
    -----
    Diagram (Mermaid)::

        stateDiagram-v2
            [*] --> subscriber
            subscriber --> lead : convert
            lead --> marketing_qualified : qualify_marketing
            marketing_qualified --> sales_qualified : qualify_sales
            sales_qualified --> opportunity : open_opportunity
            opportunity --> customer : win
            customer --> advocate : advocate
            marketing_qualified --> lead : recycle
            sales_qualified --> lead : recycle
            opportunity --> lead : recycle
            advocate --> [*]

    Examples
    --------
    >>> marketing_funnel().allowed_events("opportunity")
    ('win', 'recycle')
    """
    return LifecycleModel(
        name="marketing_funnel",
        description="Marketing and sales funnel stages (HubSpot-style lifecycle stages).",
        stages=[
            Stage(name="subscriber", description="opted in to content"),
            Stage(name="lead", description="gave contact details beyond an email address"),
            Stage(name="marketing_qualified", description="marketing deems them sales-ready"),
            Stage(name="sales_qualified", description="sales accepted them as a real prospect"),
            Stage(name="opportunity", description="a deal is open"),
            Stage(name="customer", description="closed-won"),
            Stage(name="advocate", description="refers or promotes the brand"),
        ],
        initial="subscriber",
        terminal=["advocate"],
        transitions=[
            Transition(name="convert", source="subscriber", target="lead"),
            Transition(name="qualify_marketing", source="lead", target="marketing_qualified"),
            Transition(
                name="qualify_sales", source="marketing_qualified", target="sales_qualified"
            ),
            Transition(name="open_opportunity", source="sales_qualified", target="opportunity"),
            Transition(name="win", source="opportunity", target="customer"),
            Transition(name="advocate", source="customer", target="advocate"),
            Transition(
                name="recycle",
                source=["marketing_qualified", "sales_qualified", "opportunity"],
                target="lead",
            ),
        ],
    )
