"""Assign conversion credit and revenue to channels: one entry point for every model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
import numpy.typing as npt

from crmkit._display import Kind
from crmkit._input import as_readonly
from crmkit._params import instance
from crmkit._reduce import bincount
from crmkit._results import Result
from crmkit.errors import InputError
from crmkit.roi._attribution._markov import (
    channels_seen,
    markov_chain,
    removal_effects,
    shapley_values,
)
from crmkit.roi._attribution._models import (
    AttributionModel,
    FirstTouch,
    FullPath,
    LastNonDirect,
    LastTouch,
    Linear,
    MarkovChain,
    PositionBased,
    Shapley,
    TimeDecay,
    WShaped,
)
from crmkit.roi._attribution._paths import TouchpointPaths
from crmkit.roi._attribution._rules import kernel_view, rule_credits, rule_totals

__all__ = [
    "Attribution",
    "AttributionComparison",
    "ChannelWeights",
    "ConversionCredits",
    "attribute",
    "attribution_credits",
    "compare_attribution",
    "touch_credits",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_MODELS = (
    FirstTouch,
    LastTouch,
    LastNonDirect,
    Linear,
    TimeDecay,
    PositionBased,
    WShaped,
    FullPath,
    MarkovChain,
    Shapley,
)


@attrs.frozen(kw_only=True, repr=False)
class ChannelWeights(Result):
    """What a data-driven model learned about each channel before crediting conversions.

    Attributes
    ----------
    channel : ndarray of str, shape (C,)
        Channel names.
    weight : ndarray of float64, shape (C,)
        The removal effect (a fraction of conversions lost without the
        channel) or the Shapley value (conversions).
    share : ndarray of float64, shape (C,)
        ``weight / weight.sum()``: the channel's share when conversions are
        credited in aggregate, as the ChannelAttribution package reports
        (``n_conversions x share``); all 0 if every weight is 0.
    kind : {"removal effect", "shapley value"}
        Which weight.
    conversion_probability : float
        P(conversion) from the start state of the chain the weights come from.
    order : int
        Order of that chain.
    n_states : int
        Its transient channel states.

    Examples
    --------
    >>> from crmkit.roi import touchpoint_paths
    >>> paths = touchpoint_paths(
    ...     {
    ...         "customer": [1, 1, 2, 3],
    ...         "timestamp": ["2024-01-01", "2024-01-02"] * 2,
    ...         "channel": ["A", "B", "A", "B"],
    ...     },
    ...     {"customer": [1, 3], "timestamp": ["2024-01-03"] * 2, "value": [1.0, 1.0]},
    ...     lookback_days=None,
    ... )
    >>> markov = attribute(paths, model=MarkovChain())
    >>> markov.weights.weight.tolist()
    [0.5, 1.0]
    """

    _table: ClassVar[tuple[str, ...]] = ("channel", "weight", "share")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "weight": "number",
        "share": "share",
        "conversion_probability": "probability",
        "n_states": "count",
        "order": "count",
    }

    channel: npt.NDArray[np.str_]
    weight: FloatArray
    share: FloatArray
    kind: Literal["removal effect", "shapley value"]
    conversion_probability: float
    order: int
    n_states: int


@attrs.frozen(kw_only=True, repr=False)
class Attribution(Result):
    """Conversions and revenue credited to each channel by one model.

    Attributes
    ----------
    channel : ndarray of str, shape (C,)
        Channel (or campaign) names, in the paths' order.
    conversions : ndarray of float64, shape (C,)
        Conversions credited (fractions of conversions add up); they sum to
        ``n_conversions``.
    value : ndarray of float64, shape (C,)
        Conversion value (revenue) credited: each conversion's value times
        the channel's credit in it; sums to ``attributed_value``.
    share : ndarray of float64, shape (C,)
        ``conversions / n_conversions`` (0 when nothing converted).
    model : str
        The model's label.
    n_conversions : int
        Conversions credited (paths that convert).
    attributed_value : float
        Their total value.
    n_conversions_outside_lookback : int
        Conversions with no touch in the lookback window: credited to no
        channel.
    unattributed_value : float
        Their value (``attributed_value + unattributed_value`` is all the
        conversions' value).
    n_paths, n_non_converting : int
        Paths, and those that did not convert (only the data-driven models use them).
    n_touches, n_touches_after_conversion, n_touches_outside_lookback : int
        Touches used, and those left out (see :func:`touchpoint_paths`).
    weights : ChannelWeights or None
        The removal effects or Shapley values (data-driven models only).

    Examples
    --------
    >>> from crmkit.roi import touchpoint_paths
    >>> paths = touchpoint_paths(
    ...     {
    ...         "customer": [1, 1],
    ...         "timestamp": ["2024-01-01", "2024-01-02"],
    ...         "channel": ["email", "search"],
    ...     },
    ...     {"customer": [1], "timestamp": ["2024-01-03"], "value": [300.0]},
    ...     lookback_days=None,
    ... )
    >>> credited = attribute(paths, model=Linear())
    >>> credited.value.tolist()
    [150.0, 150.0]
    """

    _table: ClassVar[tuple[str, ...]] = ("channel", "conversions", "value", "share")
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "conversions": "number",
        "value": "money",
        "share": "share",
        "attributed_value": "money",
        "unattributed_value": "money",
        "n_conversions": "count",
        "n_conversions_outside_lookback": "count",
        "n_paths": "count",
        "n_non_converting": "count",
        "n_touches": "count",
        "n_touches_after_conversion": "count",
        "n_touches_outside_lookback": "count",
    }

    channel: npt.NDArray[np.str_]
    conversions: FloatArray
    value: FloatArray
    share: FloatArray
    model: str
    n_conversions: int
    attributed_value: float
    n_conversions_outside_lookback: int
    unattributed_value: float
    n_paths: int
    n_non_converting: int
    n_touches: int
    n_touches_after_conversion: int
    n_touches_outside_lookback: int
    weights: ChannelWeights | None


def check_paths_and_model(
    paths: object, model: object, function: str, *, field: str = "model"
) -> tuple[TouchpointPaths, AttributionModel]:
    """Check the paths and the attribution model given to *function* (the model named *field*)."""
    checked = instance(
        paths,
        TouchpointPaths,
        name="paths",
        function=function,
        what="TouchpointPaths (see touchpoint_paths())",
    )
    if not isinstance(model, _MODELS):
        raise InputError.for_parameter(
            field,
            "an attribution model such as Linear(), TimeDecay(half_life_days=7), "
            "MarkovChain() or Shapley()",
            type(model).__name__,
            function=function,
        )
    if isinstance(model, (WShaped, FullPath)) and not checked.has_milestones:
        raise InputError(
            f"The {model.label} model of {function} needs the lead and opportunity creation "
            "dates of each conversion.",
            field=field,
            hint="Build the paths with touchpoint_paths(..., lead_created=..., "
            "opportunity_created=...).",
        )
    return checked, model


def _apportion(paths: TouchpointPaths, weight: FloatArray) -> FloatArray:
    """Split each conversion over the distinct channels of its path in proportion to *weight*.

    A channel's share of a conversion is divided evenly over its touches in the
    path. Returns one credit per converting touch (the first ``n_converting_touches``).
    """
    n_channels = len(paths.channels)
    m = paths.n_converting_touches
    key = paths.touch_path[:m] * n_channels + paths.touch_channel[:m]
    groups, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    group_path = groups // n_channels
    group_weight = weight[groups % n_channels]
    total = bincount(group_path, weights=group_weight, minlength=paths.n_paths)
    # a channel on a converting path always has weight > 0 (removing it loses that path);
    # the even split guards against rounding to exactly 0
    zero = total[group_path] <= 0
    n_distinct = bincount(group_path, minlength=paths.n_paths)[group_path]
    per_group = np.where(
        zero, 1.0 / n_distinct, group_weight / np.where(zero, 1.0, total[group_path])
    )
    return np.asarray((per_group / counts)[inverse], dtype=np.float64)


def touch_credits(
    paths: TouchpointPaths, model: AttributionModel, *, function: str
) -> tuple[FloatArray, ChannelWeights | None]:
    """Credit of each converting touch (paths and model checked), with the data-driven weights.

    The credits are those of the first ``paths.n_converting_touches`` touches.
    """
    if isinstance(model, (MarkovChain, Shapley)):
        names = np.array(paths.channels, dtype=str)
        if isinstance(model, MarkovChain):
            chain = markov_chain(paths, model.order, function=function)
            weight, probability = removal_effects(chain)
            kind: Literal["removal effect", "shapley value"] = "removal effect"
            order, n_states = model.order, chain.n_states
        else:
            weight, grand = shapley_values(paths, function=function)
            probability = grand / paths.n_paths if paths.n_paths else 0.0
            kind, order = "shapley value", 1
            n_states = int(np.count_nonzero(channels_seen(paths)))
        total = float(weight.sum())
        weights = ChannelWeights(
            channel=as_readonly(names),
            weight=as_readonly(weight),
            share=as_readonly(weight / total if total > 0 else np.zeros_like(weight)),
            kind=kind,
            conversion_probability=probability,
            order=order,
            n_states=n_states,
        )
        return _apportion(paths, weight), weights
    return rule_credits(paths, model), None


def attribute(paths: TouchpointPaths, *, model: AttributionModel) -> Attribution:
    r"""Credit each conversion (and its revenue) to the channels of its path, by one model.

    Parameters
    ----------
    paths : TouchpointPaths
        From :func:`touchpoint_paths`.
    model : AttributionModel
        How credit is assigned: :class:`FirstTouch`, :class:`LastTouch`,
        :class:`LastNonDirect`, :class:`Linear`, :class:`TimeDecay`,
        :class:`PositionBased`, :class:`WShaped`, :class:`FullPath`,
        :class:`MarkovChain` or :class:`Shapley`. No default: every model
        answers differently.

    Returns
    -------
    Attribution
        Conversions and value credited per channel, with what was left out counted.

    Raises
    ------
    InputError
        If *paths* is not a :class:`TouchpointPaths`, *model* is not a model,
        a milestone model is asked of paths without milestone dates, or the
        Markov chain's order asks for more work than the documented limit.
    TooManyChannelsError
        For :class:`Shapley` with more than :data:`SHAPLEY_MAX_CHANNELS`
        channels in the paths.

    Notes
    -----
    Every model gives each converting path credits that sum to 1; a
    channel's credited value is :math:`\sum_j v_j \, c_{jk}` over conversions
    ``j`` with value :math:`v_j` and the channel's credit :math:`c_{jk}`.

    Rule-based models (per path of ``L`` touches, oldest first):

    * first touch / last touch: 1 to that touch; last non-direct: 1 to the
      last touch outside ``direct`` (the last touch if all are direct);
    * linear: ``1 / L`` each;
    * time decay: weight :math:`2^{-\Delta / h}`, :math:`\Delta` the days from
      the touch to the path's last touch, normalised over the path;
    * position-based, W-shaped, full path: each role (first, last, lead
      creation, opportunity creation, closed won) gives its weight to the
      touch holding it (one touch may hold several and gets their sum), the
      ``middle`` / ``rest`` weight is split evenly over the other touches. The
      weight of a role no touch holds (no middle touch in a path of one or two
      touches; a milestone dated before the first kept touch) is spread over
      the present roles in proportion to their weights. Closed won is the
      last touch; the lead (opportunity) touch is the last touch at or
      before its creation.

    Markov chain (Anderl et al. 2016): the paths form an absorbing chain
    (start, one state per channel or per run of the last ``order`` channels,
    conversion, null) with transition probabilities estimated from the
    observed transitions; the removal effect of channel ``c`` is
    :math:`RE_c = 1 - P(\text{conv} \mid c \text{ removed}) / P(\text{conv})`,
    removing ``c`` sending every state holding it to null. Absorption
    probabilities are exact, from the fundamental matrix
    :math:`N = (I - Q)^{-1}` (:func:`crmkit.lifecycle.absorption`), never
    simulated.

    Shapley (Shapley 1953; Dalessandro et al. 2012): the value of a set of
    channels ``S`` is :math:`v(S) = n_\text{paths} \, P_S(\text{conv})`, the
    conversions the first-order chain produces when only the channels in
    ``S`` exist (the others lead to null); so :math:`v(\emptyset) = 0`, the
    value of all channels is the conversions observed, and the removal effect
    is a channel's marginal value against all the others. Shapley values
    average the marginal value over every order of the channels, computed
    exactly over all :math:`2^n` subsets.

    Both data-driven models then credit each conversion to the distinct
    channels of its own path in proportion to their weights (removal effect or
    Shapley value; positive for every channel on a converting path), a
    channel's share split evenly over its touches there. So credits still sum
    to 1 per conversion and revenue follows the conversions that earned it;
    ``weights.share`` gives the aggregate split instead.

    References
    ----------
    .. [1] Anderl, E., Becker, I., von Wangenheim, F. and Schumann, J. H.
       (2016). "Mapping the customer journey: Lessons learned from graph-based
       online attribution modeling". International Journal of Research in
       Marketing 33(3), 457-474.
    .. [2] Shapley, L. S. (1953). "A value for n-person games". Contributions
       to the Theory of Games II, 307-317.
    .. [3] Dalessandro, B., Perlich, C., Stitelman, O. and Provost, F. (2012).
       "Causally motivated attribution for online advertising". ADKDD '12.

    Examples
    --------
    Two customers find the shop by display and buy after a search; one only
    ever sees display:

    >>> from crmkit.roi import touchpoint_paths
    >>> touches = {
    ...     "customer": [1, 1, 2, 2, 3],
    ...     "timestamp": ["2024-01-01", "2024-01-05", "2024-01-02", "2024-01-04", "2024-01-03"],
    ...     "channel": ["display", "search", "display", "search", "display"],
    ... }
    >>> sales = {"customer": [1, 2], "timestamp": ["2024-01-06"] * 2, "value": [100.0, 50.0]}
    >>> paths = touchpoint_paths(touches, sales, lookback_days=30)
    >>> attribute(paths, model=LastTouch()).value.tolist()
    [0.0, 150.0]
    >>> attribute(paths, model=PositionBased()).value.tolist()
    [75.0, 75.0]
    """
    function = "attribute"
    checked, chosen = check_paths_and_model(paths, model, function)
    return _attribute(checked, chosen, function)


def _attribute(paths: TouchpointPaths, model: AttributionModel, function: str) -> Attribution:
    if not isinstance(model, (MarkovChain, Shapley)):
        totals = rule_totals(paths, model, len(paths.channels))
        if totals is not None:
            return _result(paths, totals[0], totals[1], model.label, None)
    credit, weights = touch_credits(paths, model, function=function)
    return _summarise(paths, credit, model.label, weights)


def _summarise(
    paths: TouchpointPaths, credit: FloatArray, label: str, weights: ChannelWeights | None
) -> Attribution:
    n_channels = len(paths.channels)
    m = paths.n_converting_touches
    channel = kernel_view(paths.touch_channel[:m])
    conversions = bincount(channel, weights=credit, minlength=n_channels).astype(np.float64)
    value = bincount(channel, weights=credit * paths.touch_value[:m], minlength=n_channels).astype(
        np.float64
    )
    return _result(paths, conversions, value, label, weights)


def _result(
    paths: TouchpointPaths,
    conversions: FloatArray,
    value: FloatArray,
    label: str,
    weights: ChannelWeights | None,
) -> Attribution:
    n_channels = len(paths.channels)
    n_conv = paths.n_conversions
    return Attribution(
        channel=as_readonly(np.array(paths.channels, dtype=str)),
        conversions=as_readonly(conversions),
        value=as_readonly(value),
        share=as_readonly(conversions / n_conv if n_conv else np.zeros(n_channels)),
        model=label,
        n_conversions=n_conv,
        attributed_value=paths.converted_value,
        n_conversions_outside_lookback=paths.n_conversions_outside_lookback,
        unattributed_value=paths.unattributed_value,
        n_paths=paths.n_paths,
        n_non_converting=paths.n_non_converting,
        n_touches=paths.n_touches,
        n_touches_after_conversion=paths.n_touches_after_conversion,
        n_touches_outside_lookback=paths.n_touches_outside_lookback,
        weights=weights,
    )


@attrs.frozen(kw_only=True, repr=False)
class ConversionCredits(Result):
    """Each conversion's credit per channel: one row per (conversion, channel on its path).

    Attributes
    ----------
    customer : ndarray, shape (m,)
        The converting customer (journey).
    channel : ndarray of str, shape (m,)
        A channel on its path.
    credit : ndarray of float64, shape (m,)
        The channel's share of the conversion; the rows of one conversion sum to 1.
    value : ndarray of float64, shape (m,)
        ``credit x`` the conversion's value.
    conversion_time : ndarray of datetime64[us], shape (m,)
        When the conversion happened.
    model : str
        The model's label.

    Examples
    --------
    >>> from crmkit.roi import touchpoint_paths
    >>> paths = touchpoint_paths(
    ...     {
    ...         "customer": [7, 7, 7],
    ...         "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
    ...         "channel": ["email", "search", "email"],
    ...     },
    ...     {"customer": [7], "timestamp": ["2024-01-04"], "value": [90.0]},
    ...     lookback_days=None,
    ... )
    >>> c = attribution_credits(paths, model=Linear())
    >>> c.channel.tolist(), c.value.tolist()
    (['email', 'search'], [60.0, 30.0])
    """

    _table: ClassVar[tuple[str, ...]] = (
        "customer",
        "channel",
        "credit",
        "value",
        "conversion_time",
    )
    _rows: ClassVar[tuple[str, ...]] = _table
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "customer": "id",
        "credit": "share",
        "value": "money",
        "conversion_time": "date",
    }

    customer: npt.NDArray[Any]
    channel: npt.NDArray[np.str_]
    credit: FloatArray
    value: FloatArray
    conversion_time: npt.NDArray[np.datetime64]
    model: str


def attribution_credits(paths: TouchpointPaths, *, model: AttributionModel) -> ConversionCredits:
    """Return every conversion's credit per channel under one model (:func:`attribute`'s detail).

    Parameters
    ----------
    paths : TouchpointPaths
        From :func:`touchpoint_paths`.
    model : AttributionModel
        As for :func:`attribute`; no default.

    Returns
    -------
    ConversionCredits
        One row per conversion and channel on its path, by conversion.

    Raises
    ------
    InputError
        As :func:`attribute`.
    TooManyChannelsError
        As :func:`attribute`.

    Notes
    -----
    The rows are :func:`attribute`'s credits before they are summed per
    channel: a channel touching a path several times appears once, with the
    sum of its touches' credits. Feed them to :func:`campaign_results`
    through :class:`AttributedRevenue`.

    Examples
    --------
    >>> from crmkit.roi import touchpoint_paths
    >>> paths = touchpoint_paths(
    ...     {
    ...         "customer": ["a", "a"],
    ...         "timestamp": ["2024-05-01", "2024-05-20"],
    ...         "channel": ["webinar", "email"],
    ...     },
    ...     {"customer": ["a"], "timestamp": ["2024-05-21"], "value": [1000.0]},
    ...     lookback_days=None,
    ... )
    >>> attribution_credits(paths, model=TimeDecay(half_life_days=19)).credit.round(3).tolist()
    [0.667, 0.333]
    """
    function = "attribution_credits"
    checked, chosen = check_paths_and_model(paths, model, function)
    credit, _ = touch_credits(checked, chosen, function=function)
    n_channels = len(checked.channels)
    m = checked.n_converting_touches
    key = checked.touch_path[:m] * n_channels + checked.touch_channel[:m]
    groups, inverse = np.unique(key, return_inverse=True)
    summed = bincount(inverse, weights=credit, minlength=groups.size).astype(np.float64)
    path = groups // n_channels
    return ConversionCredits(
        customer=as_readonly(checked.path_customer[path]),
        channel=as_readonly(np.array(checked.channels, dtype=str)[groups % n_channels]),
        credit=as_readonly(summed),
        value=as_readonly(summed * checked.value[path]),
        conversion_time=as_readonly(checked.conversion_time[path]),
        model=chosen.label,
    )


@attrs.frozen(kw_only=True, repr=False)
class AttributionComparison(Result):
    """Revenue credited to each channel by several models side by side.

    Attributes
    ----------
    channel : ndarray of str, shape (C,)
        Channel names.
    models : tuple of str
        The models' labels, in the order given (the columns).
    value : ndarray of float64, shape (C, M)
        Value credited per channel (rows) and model (columns); each column
        sums to the same attributed value.
    conversions : ndarray of float64, shape (C, M)
        Conversions credited.
    results : tuple of Attribution
        The full result of each model.

    Examples
    --------
    >>> from crmkit.roi import touchpoint_paths
    >>> paths = touchpoint_paths(
    ...     {
    ...         "customer": [1, 1],
    ...         "timestamp": ["2024-01-01", "2024-01-02"],
    ...         "channel": ["email", "search"],
    ...     },
    ...     {"customer": [1], "timestamp": ["2024-01-03"], "value": [10.0]},
    ...     lookback_days=None,
    ... )
    >>> compare_attribution(paths, models=[FirstTouch(), LastTouch()]).to_frame()
      channel  first touch  last touch
    0   email         10.0         0.0
    1  search          0.0        10.0
    """

    _plot: ClassVar[str] = "attribution_chart"
    _table: ClassVar[tuple[str, ...]] = ("channel",)
    _kinds: ClassVar[Mapping[str, Kind]] = {
        "value": "money",
        "conversions": "number",
    }

    channel: npt.NDArray[np.str_]
    models: tuple[str, ...]
    value: FloatArray
    conversions: FloatArray
    results: tuple[Attribution, ...]

    def _column_kinds(self) -> dict[str, Kind]:
        return {**self._kinds, "channel": "text", **dict.fromkeys(self.models, "money")}

    def table(self) -> dict[str, npt.NDArray[Any]]:
        """Return the channel column and one column of credited value per model.

        Returns
        -------
        dict of str to ndarray
            ``channel``, then one column named after each model's label.
        """
        out: dict[str, npt.NDArray[Any]] = {"channel": self.channel}
        for k, label in enumerate(self.models):
            out[label] = self.value[:, k]
        return out


def compare_attribution(
    paths: TouchpointPaths, *, models: Sequence[AttributionModel]
) -> AttributionComparison:
    """Credit the same paths by several models, to compare what each says about the channels.

    Parameters
    ----------
    paths : TouchpointPaths
        From :func:`touchpoint_paths`.
    models : sequence of AttributionModel
        The models, at least one, distinct labels.

    Returns
    -------
    AttributionComparison
        Value and conversions per channel and model.

    Raises
    ------
    InputError
        For an empty or repeated list of models, and as :func:`attribute`.

    Notes
    -----
    Each column is :func:`attribute` with that model; the paths are read once.

    Examples
    --------
    >>> from crmkit.roi import touchpoint_paths
    >>> paths = touchpoint_paths(
    ...     {
    ...         "customer": [1, 1, 1],
    ...         "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03"],
    ...         "channel": ["display", "email", "search"],
    ...     },
    ...     {"customer": [1], "timestamp": ["2024-01-04"], "value": [100.0]},
    ...     lookback_days=None,
    ... )
    >>> table = compare_attribution(paths, models=[Linear(), PositionBased()])
    >>> table.value.round(2).tolist()
    [[33.33, 40.0], [33.33, 20.0], [33.33, 40.0]]
    """
    function = "compare_attribution"
    given: object = models  # a caller may pass anything, a str included
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        raise InputError.for_parameter(
            "models", "a sequence of attribution models", type(given).__name__, function=function
        )
    if not models:
        raise InputError.for_parameter(
            "models", "a non-empty sequence of attribution models", models, function=function
        )
    checked = [check_paths_and_model(paths, m, function, field="models") for m in models]
    labels = [m.label for _, m in checked]
    if len(set(labels)) != len(labels):
        raise InputError.for_parameter(
            "models", "models with distinct labels (each model once)", labels, function=function
        )
    results = [_attribute(p, m, function) for p, m in checked]
    first = results[0]
    return AttributionComparison(
        channel=first.channel,
        models=tuple(labels),
        value=as_readonly(np.stack([r.value for r in results], axis=1)),
        conversions=as_readonly(np.stack([r.conversions for r in results], axis=1)),
        results=tuple(results),
    )
