"""The explore request model of the original console (its section 7.2), as pydantic models.

Field names are the original's camelCase JSON names, so a request body written for the original's
`POST /api/reporting/*` reads the same here. Only what the Studio computes is modelled; QuickSight-only
fields (sheet, dashboard, analysis ids) are accepted and ignored.

Every field that reaches SQL is range-checked here, so that what the three engines (DuckDB, Redshift,
Athena/Trino) would refuse or misread is a 400 naming the field instead of an engine error (issue 20,
decision 41):

* numbers are finite (no NaN or Infinity, which would render as bare words) and integers fit a BIGINT
  (-2**63 .. 2**63-1), the widest integer all three engines have;
* dates (and the dates of date-times) are within 1970-01-01 .. 2200-12-31, where every engine's
  timestamp arithmetic works and the range's day after stays a valid date;
* a time zone is an IANA name in :data:`TIMEZONES`: one of ``zoneinfo.available_timezones()`` that
  DuckDB's ICU also knows, less the names that are not zones of a place in all three engines: the
  ``Etc/`` offsets (their signs are inverted, and Trino and Redshift list different ones), ``posix/``,
  ``right/`` and ``SystemV/`` copies, ``posixrules``, ``Factory``, ``localtime`` and ``US/Pacific-New``
  (tests/studio/test_hostile_input.py tries each accepted name on a real DuckDB);
* text has no NUL character (Redshift's VARCHAR cannot hold one) and no lone surrogate (it cannot be
  encoded as UTF-8, so no engine, nor our JSON answer, can take it).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, field_validator, model_validator
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
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
EARLIEST_DATE, LATEST_DATE = date(1970, 1, 1), date(2200, 12, 31)
MAX_TEXT = 65535  # Redshift's longest VARCHAR
MAX_WINDOW_SECONDS = 10 * 365 * 86400  # the original's cap on an attribution window (10 years)
# names that are not a place's zone in all three engines (the module docstring says why)
_NOT_PORTABLE_PREFIXES = ("Etc/", "posix/", "right/", "SystemV/")
_NOT_PORTABLE = frozenset({"posixrules", "Factory", "localtime", "US/Pacific-New"})
TIMEZONES: frozenset[str] = frozenset(
    name for name in available_timezones() if name not in _NOT_PORTABLE and not name.startswith(_NOT_PORTABLE_PREFIXES)
)


def _clean_text(value: str) -> str:
    """Text every engine can store: no NUL, and encodable as UTF-8 (a JSON ``\\ud800`` escape is not)."""
    if "\x00" in value:
        raise ValueError("text must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (it has a lone surrogate)") from None
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("a number must be finite, not NaN or Infinity")
    return value


def _filter_value(value: Any) -> str | int | float | bool:
    """A condition's value: text, a finite number, an integer that fits a BIGINT, or true/false.

    Not nested lists or objects, nor null (``is_null`` takes no value); the message never repeats the
    value, which may be 400 digits long.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not BIGINT_MIN <= value <= BIGINT_MAX:
            raise ValueError("an integer must be within -2**63 and 2**63-1 (a BIGINT)")
        return value
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError(f"a text value has at most {MAX_TEXT} characters")
        return _clean_text(value)
    raise ValueError("a value is text, a number or true/false")


Text = Annotated[str, AfterValidator(_clean_text)]
Name = Annotated[Text, Field(min_length=1, max_length=255)]
FilterValue = Annotated[
    str | int | float | bool, PlainValidator(_filter_value, json_schema_input_type=str | int | float | bool)
]
Weight = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]


def _key(data: dict[str, Any], camel: str, snake: str) -> str:
    """Which spelling of a field ``data`` uses (bodies may use either), camelCase when neither."""
    return snake if snake in data and camel not in data else camel


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class Condition(_Body):
    """One filter: ``property operator value`` on an event parameter (category event) or other column."""

    category: Name = "event"
    property: Name
    operator: Operator
    value: list[FilterValue] = Field(default_factory=list, max_length=1000)
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

    category: Name = "event"
    property: Name
    data_type: DataType = "string"


class ExtParameter(_Body):
    """For AGGREGATION_PROPERTY / SUM_VALUE / COUNT_PROPERTY: the property to aggregate and how.

    A property, not a filter: an operator or values sent along (as some clients do) are ignored.
    """

    target_property: GroupProperty | None = None
    aggregation_method: Literal["min", "max", "sum", "avg", "median"] | None = None


class EventAndCondition(_Body):
    event_name: Name
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
    app_id: Name
    action: Literal["PREVIEW", "PUBLISH"] = "PREVIEW"
    chart_type: Literal["bar", "line", "funnel", "sankey", "table"] | None = None
    view_name: str | None = None
    locale: str | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    compute_method: ComputeMethod = "USER_ID_CNT"
    global_event_condition: ConditionGroup | None = None
    time_scope_type: Literal["FIXED", "RELATIVE"] = "RELATIVE"
    time_start: date | datetime | None = None
    time_end: date | datetime | None = None
    last_n: int | None = Field(None, ge=1, le=3650)
    time_unit: Literal["DD", "WK", "MM", "YY"] | None = None
    group_column: GroupColumn = "DAY"
    group_condition: GroupCondition | None = None
    # where `action: PUBLISH` puts the analysis (studio/saved_dashboards.py); ignored for a PREVIEW
    dashboard_id: Annotated[str, Field(max_length=64)] | None = None
    sheet_id: Annotated[str, Field(max_length=64)] | None = None
    chart_title: Annotated[str, Field(max_length=255)] | None = None
    chart_sub_title: Annotated[str, Field(max_length=255)] | None = None

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

    @field_validator("time_start", "time_end")
    @classmethod
    def _in_calendar(cls, value: date | datetime | None) -> date | datetime | None:
        """A day every engine can compute with (a date-time's own day, in its offset)."""
        day = value.date() if isinstance(value, datetime) else value
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValueError(f"dates must be within {EARLIEST_DATE} and {LATEST_DATE}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        """The app's IANA zone (dates are bucketed and ranges read in it), one all three engines know."""
        if value is not None and value not in TIMEZONES:
            raise ValueError(f"unknown timezone {value!r}; use an IANA name of a place, such as 'UTC' or 'Asia/Tokyo'")
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
    """A funnel's window: ``conversionIntervalType`` CUSTOMIZE (seconds from step 1) or CURRENT_DAY.

    As the original, a body without a type has the same-day window, and the seconds matter only for
    CUSTOMIZE: the original's console sends ``conversionIntervalInSeconds: 0`` with CURRENT_DAY. A body
    that gives seconds but no type (the Studio's own shorthand) means CUSTOMIZE.
    """

    event_and_conditions: list[EventAndCondition] = Field(min_length=2, max_length=MAX_FUNNEL_STEPS)
    specify_join_column: bool = False
    join_column: Name | None = None
    conversion_interval_type: Literal["CURRENT_DAY", "CUSTOMIZE"] = "CURRENT_DAY"
    conversion_interval_in_seconds: int = Field(600, ge=0, le=366 * 86400)

    @model_validator(mode="before")
    @classmethod
    def _seconds_without_a_type(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        seconds = data.get(_key(data, "conversionIntervalInSeconds", "conversion_interval_in_seconds"))
        type_key = _key(data, "conversionIntervalType", "conversion_interval_type")
        if data.get(type_key) is None and isinstance(seconds, int) and not isinstance(seconds, bool) and seconds > 0:
            return {**data, type_key: "CUSTOMIZE"}
        return data

    @model_validator(mode="after")
    def _custom_window_in_seconds(self) -> FunnelRequest:
        if self.conversion_interval_type == "CUSTOMIZE" and self.conversion_interval_in_seconds < 1:
            raise ValueError("conversionIntervalType CUSTOMIZE needs conversionIntervalInSeconds of at least 1")
        return self


class PathAnalysis(_Body):
    """The original's ``pathAnalysis``; ``includingOtherEvents`` is off unless sent, as there.

    ``levels`` (the Studio's name) is how many nodes a path shows, the start included: the original's
    top-level ``maxStep`` (5 when absent, its console sends 10).
    """

    session_type: Literal["SESSION", "CUSTOMIZE"] = "SESSION"
    node_type: Literal[
        "event", "page_view_page_title", "page_view_page_url", "screen_view_screen_name", "screen_view_screen_id"
    ] = "event"
    lag_seconds: int | None = Field(None, ge=1, le=7 * 86400)
    nodes: list[Annotated[Text, Field(max_length=MAX_TEXT)]] = Field(default_factory=list, max_length=MAX_PATH_NODES)
    including_other_events: bool = False
    merge_consecutive_events: bool = False
    levels: int = Field(5, ge=2, le=10)

    @model_validator(mode="after")
    def _lag_for_custom_window(self) -> PathAnalysis:
        if self.session_type == "CUSTOMIZE" and self.lag_seconds is None:
            raise ValueError("pathAnalysis.sessionType CUSTOMIZE needs lagSeconds (the gap that ends a path)")
        return self


class PathRequest(ExploreRequest):
    """The first of ``eventAndConditions`` is the start node; the others, as ``pathAnalysis.nodes``, are the
    nodes shown by name (the original's console lists every chosen node in both)."""

    path_analysis: PathAnalysis = Field(default_factory=PathAnalysis)
    event_and_conditions: list[EventAndCondition] = Field(default_factory=list, max_length=MAX_PATH_NODES)

    @model_validator(mode="before")
    @classmethod
    def _original_max_step(cls, data: Any) -> Any:
        """The original's top-level ``maxStep`` is ``pathAnalysis.levels`` unless that is set."""
        if not isinstance(data, dict):
            return data
        steps = data.get(_key(data, "maxStep", "max_step"))
        settings_key = _key(data, "pathAnalysis", "path_analysis")
        settings = data.get(settings_key)
        if steps is None or not isinstance(settings or {}, dict) or "levels" in (settings or {}):
            return data
        return {**data, settings_key: {**(settings or {}), "levels": steps}}

    @property
    def start(self) -> str | None:
        """The start node: the first event (or page, screen) of ``eventAndConditions``."""
        return self.event_and_conditions[0].event_name if self.event_and_conditions else None

    @property
    def listed(self) -> list[str]:
        """The nodes shown by name, in order: those of ``eventAndConditions``, then ``pathAnalysis.nodes``."""
        names = [step.event_name for step in self.event_and_conditions] + list(self.path_analysis.nodes)
        return list(dict.fromkeys(names))


class RetentionEvent(_Body):
    event_name: Name
    sql_condition: ConditionGroup | None = None
    retention_join_column: GroupProperty | None = None


class PairEventAndCondition(_Body):
    start_event: RetentionEvent
    back_event: RetentionEvent


class RetentionRequest(ExploreRequest):
    pair_event_and_conditions: list[PairEventAndCondition] = Field(min_length=1, max_length=5)
    # how many days, weeks or months after the cohort's own are shown; absent, as many as the range holds
    # (at most 60): the original shows every day of the range
    periods: int | None = Field(None, ge=1, le=60)

    @model_validator(mode="after")
    def _join_columns_in_pairs(self) -> RetentionRequest:
        for pair in self.pair_event_and_conditions:
            if (pair.start_event.retention_join_column is None) != (pair.back_event.retention_join_column is None):
                raise ValueError("retentionJoinColumn must be set on both startEvent and backEvent, or on neither")
        return self


class AttributionRequest(ExploreRequest):
    """The goal's value as the original's console sends it is read into the goal itself.

    The original puts ``computeMethod: SUM_VALUE`` at the top level and names the summed property in
    ``targetEventAndCondition.groupColumn``; the Studio's own page sets them on the goal
    (``computeMethod`` and ``eventExtParameter.targetProperty``). Both arrive at the same goal.
    """

    target_event_and_condition: EventAndCondition
    event_and_conditions: list[EventAndCondition] = Field(min_length=1, max_length=MAX_FUNNEL_STEPS)
    model_type: Literal["LAST_TOUCH", "FIRST_TOUCH", "LINEAR", "TIME_DECAY", "POSITION"] = "LAST_TOUCH"
    # three non-negative shares: first, middle, last (bounded, so their sum stays finite)
    model_weights: list[Weight] | None = Field(None, min_length=3, max_length=3)
    time_window_type: Literal["CURRENT_DAY", "CUSTOMIZE", "SESSION"] = "SESSION"
    # only CUSTOMIZE reads it; the original's console sends 0 with SESSION and CURRENT_DAY
    time_window_in_seconds: int = Field(86400, ge=0, le=MAX_WINDOW_SECONDS)
    # TIME_DECAY: a touch's weight halves with every half-life between it and the goal (the Studio's own field)
    time_decay_half_life_in_seconds: int = Field(7 * 86400, ge=1, le=366 * 86400)

    @model_validator(mode="after")
    def _custom_window_in_seconds(self) -> AttributionRequest:
        if self.time_window_type == "CUSTOMIZE" and self.time_window_in_seconds < 1:
            raise ValueError("timeWindowType CUSTOMIZE needs timeWindowInSeconds of at least 1")
        return self

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
