"""Simulated campaigns that source the simulated pipeline: spend, leads, deals, touches."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Mapping
from typing import Any, Final, cast

import attrs
import numpy as np
import numpy.typing as npt
from dateutil.relativedelta import relativedelta

from crmkit._input import DATETIME_DTYPE, as_readonly, scalar_datetime
from crmkit._params import SeedLike, as_seed_sequence, integer, work_limit
from crmkit._reduce import bincount
from crmkit._results import frozen_mapping
from crmkit.datasets._pipeline import SOURCES, simulate_pipeline
from crmkit.errors import InputError
from crmkit.funnel import Opportunities, StageHistory
from crmkit.roi import Campaigns

__all__ = ["COST_PER_LEAD", "LEAD_TO_OPPORTUNITY", "SimulatedCampaigns", "simulate_campaigns"]

_FN: Final = "simulate_campaigns"
_US_PER_DAY: Final = 86_400_000_000
_MAX_OPPORTUNITIES: Final = 20_000_000

COST_PER_LEAD: Final = types.MappingProxyType(
    {"web": 35.0, "event": 150.0, "referral": 60.0, "outbound": 80.0}
)
"""True cost of one lead per channel (money)."""
LEAD_TO_OPPORTUNITY: Final = types.MappingProxyType(
    {"web": 0.08, "event": 0.20, "referral": 0.35, "outbound": 0.10}
)
"""True share of a channel's leads that become opportunities."""


@attrs.frozen(kw_only=True, repr=False)
class SimulatedCampaigns:
    """Quarterly campaigns per channel, the leads and deals they sourced, the touches, the truth.

    Attributes
    ----------
    campaigns : Campaigns
        One campaign per lead source of :func:`simulate_pipeline` (``web``,
        ``event``, ``referral``, ``outbound``) and quarter, with budget,
        spend, run dates and the ``channel`` dimension.
    leads : mapping of str to ndarray
        ``lead``, ``campaign``, ``created``, ``opportunity`` (the opportunity
        it became, 0 for none): one row per lead.
    opportunities : Opportunities
        The pipeline's deals, each with the ``campaign`` dimension naming the
        campaign of its lead source running when it was created.
    history : StageHistory
        The pipeline's stage history.
    touchpoints : mapping of str to ndarray
        ``customer`` (the opportunity's account), ``timestamp``, ``channel``
        (the campaign id, to attribute by campaign) and ``medium`` (its
        channel): the sourcing touch at lead creation and touches of other
        campaigns before the deal closed.
    conversions : mapping of str to ndarray
        The won deals: ``customer``, ``timestamp`` (close date), ``value``
        (amount), ``lead_created``, ``opportunity_created``.
    true_cost_per_lead, true_lead_to_opportunity : mapping of str to float
        The truth per channel.
    true_win_rate : ndarray of float64
        The pipeline's true P(win | reached stage).
    as_of : numpy.datetime64
        When everything is observed (the ``end``).

    Examples
    --------
    >>> sim = simulate_campaigns(300, "2024-01-01", "2024-07-01", seed=1)
    >>> sim.campaigns.n_campaigns, sorted(set(sim.campaigns.dimensions["channel"].tolist()))
    (8, ['event', 'outbound', 'referral', 'web'])
    """

    campaigns: Campaigns
    leads: Mapping[str, npt.NDArray[Any]] = attrs.field(converter=frozen_mapping)
    opportunities: Opportunities
    history: StageHistory
    touchpoints: Mapping[str, npt.NDArray[Any]] = attrs.field(converter=frozen_mapping)
    conversions: Mapping[str, npt.NDArray[Any]] = attrs.field(converter=frozen_mapping)
    true_cost_per_lead: Mapping[str, float] = attrs.field(converter=frozen_mapping)
    true_lead_to_opportunity: Mapping[str, float] = attrs.field(converter=frozen_mapping)
    true_win_rate: npt.NDArray[np.float64]
    as_of: np.datetime64

    def __repr__(self) -> str:
        return (
            f"SimulatedCampaigns(campaigns={self.campaigns.n_campaigns}, "
            f"leads={np.asarray(self.leads['lead']).size:,}, "
            f"opportunities={self.opportunities.n_rows:,})"
        )


def _quarters(t0: np.datetime64, t1: np.datetime64) -> npt.NDArray[np.datetime64]:
    """Quarter starts from the quarter holding *t0* up to *t1* (exclusive), then *t1*."""
    first = cast("dt.datetime", t0.astype("M8[us]").item())
    day = dt.datetime(first.year, 3 * ((first.month - 1) // 3) + 1, 1)  # noqa: DTZ001  (naive by convention)
    edges = [t0]
    day += relativedelta(months=3)
    while np.datetime64(day, "us") < t1:
        edges.append(np.datetime64(day, "us"))
        day += relativedelta(months=3)
    edges.append(t1)
    return np.array(edges, dtype=DATETIME_DTYPE)


def _label(edge: np.datetime64) -> str:
    day = cast("dt.datetime", edge.astype("M8[us]").item())
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def simulate_campaigns(
    n_opportunities: int, start: object, end: object, *, seed: SeedLike
) -> SimulatedCampaigns:
    """Simulate campaigns that source the pipeline of :func:`simulate_pipeline`, truth kept.

    Every lead source of the pipeline (``web``, ``event``, ``referral``,
    ``outbound``) runs one campaign per calendar quarter. The pipeline's deals
    are simulated by :func:`simulate_pipeline` (so win rates depend on the
    source as there); each deal's campaign is its source's campaign of the
    quarter it was created in, and came from a lead created days before. The
    other leads of a campaign never became opportunities: their number
    follows the channel's lead-to-opportunity rate, the spend its cost per
    lead (with noise), the budget the spend (with planning error). Each
    deal's account also meets campaigns of other channels before it closes
    (the touchpoints), and the won deals are the conversions.

    Parameters
    ----------
    n_opportunities : int
        Deals in the pipeline, >= 1.
    start, end : date-like
        The window; ``end`` is when everything is observed.
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of randomness; the same seed gives the same data.

    Returns
    -------
    SimulatedCampaigns
        Campaigns, leads, opportunities, touchpoints, conversions and the truth.

    Raises
    ------
    InputError
        For a non-positive count, an empty window or a bad seed.

    Examples
    --------
    >>> sim = simulate_campaigns(2_000, "2023-01-01", "2024-01-01", seed=7)
    >>> sim.opportunities.n_rows, sorted(sim.opportunities.dimensions)[:2]
    (2000, ['campaign', 'owner'])
    """
    n = integer(n_opportunities, name="n_opportunities", function=_FN, minimum=1)
    work_limit(n, limit=_MAX_OPPORTUNITIES, name="n_opportunities", function=_FN, what="deals")
    t0 = scalar_datetime(start, field="start", function=_FN)
    t1 = scalar_datetime(end, field="end", function=_FN)
    if t1 <= t0:
        raise InputError.for_parameter("end", f"after start ({t0})", str(t1), function=_FN)
    pipe_seed, lead_seed, touch_seed = as_seed_sequence(seed, function=_FN).spawn(3)
    pipeline = simulate_pipeline(n, t0, t1, seed=np.random.default_rng(pipe_seed))
    rng = np.random.default_rng(lead_seed)
    edges = _quarters(t0, t1)
    n_q = edges.size - 1
    channels = SOURCES
    n_ch = len(channels)
    ids = np.array([f"{ch}-{_label(edges[q])}" for ch in channels for q in range(n_q)], dtype=str)
    camp_channel = np.repeat(np.arange(n_ch), n_q)
    camp_start = np.tile(edges[:-1], n_ch)
    camp_end = np.tile(edges[1:], n_ch)
    opps = pipeline.opportunities
    source = np.asarray(opps.dimensions["source"])
    lookup = {ch: i for i, ch in enumerate(channels)}
    opp_channel = np.array([lookup[str(v)] for v in source.tolist()], dtype=np.int64)
    opp_quarter = np.clip(np.searchsorted(edges, opps.created, side="right") - 1, 0, n_q - 1)
    opp_campaign = opp_channel * n_q + opp_quarter
    per_campaign = bincount(opp_campaign, minlength=ids.size)
    rate = np.array([LEAD_TO_OPPORTUNITY[ch] for ch in channels])[camp_channel]
    extra = rng.poisson(per_campaign * (1.0 - rate) / rate + 2.0)
    cpl = np.array([COST_PER_LEAD[ch] for ch in channels])[camp_channel]
    n_leads = per_campaign + extra
    spend = np.round(n_leads * cpl * np.exp(rng.normal(-0.5 * 0.15**2, 0.15, size=ids.size)), 2)
    budget = np.maximum(np.round(spend * (1.0 + rng.normal(0.0, 0.12, size=ids.size)), -2), 0.0)
    # leads that became opportunities: days before the deal, not before the campaign
    before = (rng.exponential(10.0, size=n) * _US_PER_DAY).astype(np.int64).astype("m8[us]")
    opp_lead = np.maximum(opps.created - before, camp_start[opp_campaign])
    spare_campaign = np.repeat(np.arange(ids.size), extra)
    width = (camp_end - camp_start).astype(np.int64)[spare_campaign]
    spare_time = camp_start[spare_campaign] + (rng.random(spare_campaign.size) * width).astype(
        np.int64
    ).astype("m8[us]")
    lead_campaign = np.concatenate([opp_campaign, spare_campaign])
    lead_time = np.concatenate([opp_lead, spare_time]).astype(DATETIME_DTYPE)
    lead_opp = np.concatenate(
        [np.asarray(opps.id, dtype=np.int64), np.zeros(extra.sum(), dtype=np.int64)]
    )
    order = np.lexsort((lead_time.view(np.int64), lead_campaign))
    campaigns = Campaigns.from_arrays(
        campaign=ids,
        budget=budget,
        spend=spend,
        start=camp_start,
        end=camp_end,
        dimensions={"channel": np.asarray(channels)[camp_channel]},
    )
    dims = dict(opps.dimensions) | {"campaign": ids[opp_campaign]}
    sourced = Opportunities.from_arrays(
        process=opps.process,
        id=opps.id,
        amount=opps.amount,
        stage=opps.stage,
        close_date=opps.close_date,
        created=opps.created,
        dimensions=dims,
    )
    touchpoints, conversions = _journeys(
        sourced,
        lead_time=opp_lead,
        sourcing=opp_campaign,
        edges=edges,
        ids=ids,
        channels=channels,
        seed=touch_seed,
    )
    return SimulatedCampaigns(
        campaigns=campaigns,
        leads={
            "lead": as_readonly(np.arange(1, lead_campaign.size + 1, dtype=np.int64)),
            "campaign": as_readonly(ids[lead_campaign[order]]),
            "created": as_readonly(lead_time[order]),
            "opportunity": as_readonly(lead_opp[order]),
        },
        opportunities=sourced,
        history=pipeline.history,
        touchpoints=touchpoints,
        conversions=conversions,
        true_cost_per_lead=dict(COST_PER_LEAD),
        true_lead_to_opportunity=dict(LEAD_TO_OPPORTUNITY),
        true_win_rate=pipeline.true_win_rate,
        as_of=t1,
    )


def _journeys(
    opps: Opportunities,
    *,
    lead_time: npt.NDArray[np.datetime64],
    sourcing: npt.NDArray[np.int64],
    edges: npt.NDArray[np.datetime64],
    ids: npt.NDArray[np.str_],
    channels: tuple[str, ...],
    seed: np.random.SeedSequence,
) -> tuple[dict[str, npt.NDArray[Any]], dict[str, npt.NDArray[Any]]]:
    """Each account's touches: its sourcing campaign at lead creation, then others until close."""
    rng = np.random.default_rng(seed)
    n = opps.n_rows
    n_q = edges.size - 1
    n_ch = len(channels)
    t0, t1 = edges[0], edges[-1]
    won = opps.stage == opps.process.won_code
    closed = opps.stage >= opps.process.won_code
    latest = t1 - np.timedelta64(1, "us")
    last = np.where(closed, np.minimum(opps.close_date, latest), latest)
    first = np.maximum(lead_time - np.timedelta64(45, "D"), t0)
    k = rng.poisson(2.5, size=n)
    owner = np.repeat(np.arange(n), k)
    span = np.maximum((last - first).astype(np.int64)[owner], 0)
    when = first[owner] + (rng.random(owner.size) * span).astype(np.int64).astype("m8[us]")
    quarter = np.clip(np.searchsorted(edges, when, side="right") - 1, 0, n_q - 1)
    channel = rng.integers(0, n_ch, size=owner.size)
    campaign = channel * n_q + quarter
    all_owner = np.concatenate([np.arange(n), owner])
    all_time = np.concatenate([lead_time, when]).astype(DATETIME_DTYPE)
    all_campaign = np.concatenate([sourcing, campaign])
    order = np.lexsort((all_time.view(np.int64), all_owner))
    account = np.asarray(opps.id, dtype=np.int64)
    touchpoints = {
        "customer": as_readonly(account[all_owner[order]]),
        "timestamp": as_readonly(all_time[order]),
        "channel": as_readonly(ids[all_campaign[order]]),
        "medium": as_readonly(np.asarray(channels)[all_campaign[order] // n_q]),
    }
    conversions = {
        "customer": as_readonly(account[won]),
        "timestamp": as_readonly(opps.close_date[won].astype(DATETIME_DTYPE)),
        "value": as_readonly(np.asarray(opps.amount)[won]),
        "lead_created": as_readonly(lead_time[won].astype(DATETIME_DTYPE)),
        "opportunity_created": as_readonly(opps.created[won].astype(DATETIME_DTYPE)),
    }
    return touchpoints, conversions
