"""The explore request model of the original console (its section 7.2), as pydantic models.

Field names are the original's camelCase JSON names, so a request body written for the original's
`POST /api/reporting/*` reads the same here. Only what the Studio computes is modelled; QuickSight-only
fields (sheet, dashboard, analysis ids) are accepted and ignored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

Operator = Literal[
    "is_null", "is_not_null", "=", "<>", ">", ">=", "<", "<=", "in", "not_in", "contains", "not_contains",
    "true", "false", "between",
]  # fmt: skip
DataType = Literal["string", "int", "double", "float", "number", "boolean"]
ComputeMethod = Literal["USER_ID_CNT", "EVENT_CNT", "SUM_VALUE", "COUNT_PROPERTY", "AGGREGATION_PROPERTY"]
GroupColumn = Literal["DAY", "WEEK", "MONTH"]
MAX_FUNNEL_STEPS = 10
MAX_PATH_NODES = 10


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class Condition(_Body):
    """One filter: ``property operator value`` on an event parameter (category event) or other column."""

    category: str = "event"
    property: str = Field(min_length=1, max_length=255)
    operator: Operator
    value: list[Any] = Field(default_factory=list, max_length=1000)
    data_type: DataType = "string"

    @model_validator(mode="after")
    def _values_fit_operator(self) -> Condition:
        needed = {"is_null": 0, "is_not_null": 0, "true": 0, "false": 0, "between": 2}
        if self.operator in needed and len(self.value) != needed[self.operator]:
            raise ValueError(f"operator {self.operator} takes {needed[self.operator]} value(s), got {len(self.value)}")
        if self.operator not in needed and self.operator not in ("in", "not_in") and len(self.value) != 1:
            raise ValueError(f"operator {self.operator} takes exactly one value, got {len(self.value)}")
        if self.operator in ("in", "not_in") and not self.value:
            raise ValueError(f"operator {self.operator} needs at least one value")
        return self


class ConditionGroup(_Body):
    conditions: list[Condition] = Field(default_factory=list, max_length=50)
    condition_operator: Literal["and", "or"] = "and"


class GroupProperty(_Body):
    """A property named without a filter (``{category, property, dataType}``): to group by, join on or aggregate."""

    category: str = "event"
    property: str = Field(min_length=1, max_length=255)
    data_type: DataType = "string"


class ExtParameter(_Body):
    """For AGGREGATION_PROPERTY / SUM_VALUE / COUNT_PROPERTY: the property to aggregate and how.

    A property, not a filter: an operator or values sent along (as some clients do) are ignored.
    """

    target_property: GroupProperty | None = None
    aggregation_method: Literal["min", "max", "sum", "avg", "median"] | None = None


class EventAndCondition(_Body):
    event_name: str = Field(min_length=1, max_length=255)
    sql_condition: ConditionGroup | None = None
    compute_method: ComputeMethod | None = None
    event_ext_parameter: ExtParameter | None = None
    group_column: GroupProperty | None = None  # attribution: the property a goal's SUM_VALUE adds up


class GroupCondition(_Body):
    apply_to: Literal["FIRST", "ALL"] = "FIRST"
    conditions: list[GroupProperty] = Field(default_factory=list, max_length=1)


class ExploreRequest(_Body):
    """What every analysis shares: app, time range, buckets, global filter, grouping."""

    project_id: str | None = None
    app_id: str = Field(min_length=1)
    action: Literal["PREVIEW", "PUBLISH"] = "PREVIEW"
    chart_type: Literal["bar", "line", "funnel", "sankey", "table"] | None = None
    view_name: str | None = None
    locale: str | None = None
    timezone: str | None = None
    compute_method: ComputeMethod = "USER_ID_CNT"
    global_event_condition: ConditionGroup | None = None
    time_scope_type: Literal["FIXED", "RELATIVE"] = "RELATIVE"
    time_start: date | datetime | None = None
    time_end: date | datetime | None = None
    last_n: int | None = Field(None, ge=1, le=3650)
    time_unit: Literal["DD", "WK", "MM", "YY"] | None = None
    group_column: GroupColumn = "DAY"
    group_condition: GroupCondition | None = None

    @field_validator("time_start", "time_end", mode="before")
    @classmethod
    def _date_or_moment(cls, value: Any) -> Any:
        """A bare date stays a date (a whole day in the app's zone); text with a time is a date-time with its
        offset kept (the ``date | datetime`` union alone reads "2024-01-02T00:00:00+09:00" as a date)."""
        if isinstance(value, str) and len(value) > 10:
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                return value  # pydantic says what is wrong with it
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        """The app's IANA zone (dates are bucketed and ranges read in it); an unknown name is a 422."""
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as 'UTC' or 'Asia/Tokyo'") from None
        return value

    @model_validator(mode="after")
    def _time_scope(self) -> ExploreRequest:
        if self.time_scope_type == "FIXED" and self.time_start is None:
            raise ValueError("timeScopeType FIXED needs timeStart (and optionally timeEnd)")
        if self.time_scope_type == "RELATIVE" and (self.last_n is None or self.time_unit is None):
            raise ValueError("timeScopeType RELATIVE needs lastN and timeUnit (DD, WK, MM or YY)")
        return self


class EventRequest(ExploreRequest):
    event_and_conditions: list[EventAndCondition] = Field(min_length=1, max_length=MAX_FUNNEL_STEPS)


class FunnelRequest(ExploreRequest):
    event_and_conditions: list[EventAndCondition] = Field(min_length=2, max_length=MAX_FUNNEL_STEPS)
    specify_join_column: bool = False
    join_column: str | None = None
    conversion_interval_type: Literal["CURRENT_DAY", "CUSTOMIZE"] = "CUSTOMIZE"
    conversion_interval_in_seconds: int = Field(600, ge=1, le=366 * 86400)


class PathAnalysis(_Body):
    session_type: Literal["SESSION", "CUSTOMIZE"] = "SESSION"
    node_type: Literal[
        "event", "page_view_page_title", "page_view_page_url", "screen_view_screen_name", "screen_view_screen_id"
    ] = "event"
    lag_seconds: int | None = Field(None, ge=1, le=7 * 86400)
    nodes: list[str] = Field(default_factory=list, max_length=MAX_PATH_NODES)
    including_other_events: bool = True
    merge_consecutive_events: bool = False
    levels: int = Field(4, ge=2, le=10)  # how many steps after the start node the Sankey shows, start included

    @model_validator(mode="after")
    def _lag_for_custom_window(self) -> PathAnalysis:
        if self.session_type == "CUSTOMIZE" and self.lag_seconds is None:
            raise ValueError("pathAnalysis.sessionType CUSTOMIZE needs lagSeconds (the gap that ends a path)")
        return self


class PathRequest(ExploreRequest):
    path_analysis: PathAnalysis = Field(default_factory=PathAnalysis)
    event_and_conditions: list[EventAndCondition] = Field(default_factory=list, max_length=1)


class RetentionEvent(_Body):
    event_name: str = Field(min_length=1, max_length=255)
    sql_condition: ConditionGroup | None = None
    retention_join_column: GroupProperty | None = None


class PairEventAndCondition(_Body):
    start_event: RetentionEvent
    back_event: RetentionEvent


class RetentionRequest(ExploreRequest):
    pair_event_and_conditions: list[PairEventAndCondition] = Field(min_length=1, max_length=5)
    periods: int = Field(8, ge=1, le=60)  # how many days, weeks or months after the start are shown

    @model_validator(mode="after")
    def _join_columns_in_pairs(self) -> RetentionRequest:
        for pair in self.pair_event_and_conditions:
            if (pair.start_event.retention_join_column is None) != (pair.back_event.retention_join_column is None):
                raise ValueError("retentionJoinColumn must be set on both startEvent and backEvent, or on neither")
        return self


def _key(data: dict[str, Any], camel: str, snake: str) -> str:
    """Which spelling of a field ``data`` uses (bodies may use either), camelCase when neither."""
    return snake if snake in data and camel not in data else camel


class AttributionRequest(ExploreRequest):
    """The goal's value as the original's console sends it is read into the goal itself.

    The original puts ``computeMethod: SUM_VALUE`` at the top level and names the summed property in
    ``targetEventAndCondition.groupColumn``; the Studio's own page sets them on the goal
    (``computeMethod`` and ``eventExtParameter.targetProperty``). Both arrive at the same goal.
    """

    target_event_and_condition: EventAndCondition
    event_and_conditions: list[EventAndCondition] = Field(min_length=1, max_length=MAX_FUNNEL_STEPS)
    model_type: Literal["LAST_TOUCH", "FIRST_TOUCH", "LINEAR", "TIME_DECAY", "POSITION"] = "LAST_TOUCH"
    model_weights: list[float] | None = Field(None, min_length=3, max_length=3)
    time_window_type: Literal["CURRENT_DAY", "CUSTOMIZE", "SESSION"] = "SESSION"
    time_window_in_seconds: int = Field(86400, ge=1, le=366 * 86400)
    # TIME_DECAY: a touch's weight halves with every half-life between it and the goal (the Studio's own field)
    time_decay_half_life_in_seconds: int = Field(7 * 86400, ge=1, le=366 * 86400)

    @model_validator(mode="before")
    @classmethod
    def _original_goal_value(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        target_key = _key(data, "targetEventAndCondition", "target_event_and_condition")
        target = data.get(target_key)
        if not isinstance(target, dict):
            return data
        target = dict(target)
        method_key = _key(target, "computeMethod", "compute_method")
        if target.get(method_key) is None and data.get(_key(data, "computeMethod", "compute_method")) == "SUM_VALUE":
            target[method_key] = "SUM_VALUE"
        group = target.get(_key(target, "groupColumn", "group_column"))
        ext_key = _key(target, "eventExtParameter", "event_ext_parameter")
        if isinstance(group, dict) and target.get(ext_key) is None:
            target[ext_key] = {"targetProperty": group}
        return {**data, target_key: target}

    @model_validator(mode="after")
    def _weights(self) -> AttributionRequest:
        if self.model_weights is not None and any(w < 0 for w in self.model_weights):
            raise ValueError("modelWeights must be three non-negative shares: first, middle, last")
        return self
