"""Fuzz targets of the Studio's request models and API (issue 20), run by tests/studio/test_fuzz.py and bench/fuzz.py.

Bodies look like the five analyses' requests, but any part may be hostile: integers past a BIGINT,
NaN and Infinity, days at the calendar's ends, zone names Python knows and the engines do not, NUL and
lone surrogates, long text, deep nesting and values of the wrong type.

* ``studio-request-models``: a body either validates or raises pydantic's ValidationError; one that
  validates becomes SQL for the three dialects (against the catalog of tests/studio/dataset.py), or a
  BadRequest/UnknownName (the app's 400s), and the SQL holds no bare NaN or Infinity.
* ``studio-api``: the same bodies, as JSON text, through the real app against that small warehouse: the
  answer is never a 5xx, and a refusal is the Studio's JSON error.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from fastapi.testclient import TestClient
from hypothesis import strategies as st
from pydantic import ValidationError

from clickstream.studio.app import ANALYSES, create_app
from clickstream.studio.catalog import Catalog, UnknownName
from clickstream.studio.sqlbuild import DIALECTS, BadRequest, render
from tests.studio.dataset import build_warehouse, write_catalog
from tests.support.config import make_config
from tests.support.fuzzing import Check, FuzzTarget, plain_harness
from tests.support.studio import LOCAL_URL, PASSWORD, REQUEST_ID

KINDS = tuple(ANALYSES)
EVENTS = ["view_item", "add_to_cart", "purchase", "_page_view", "no_such_event"]
PROPERTIES = [("event", "product"), ("event", "event_value"), ("event_outer", "platform"), ("user", "tier"),
              ("event", "page_view_page_title"), ("event", "event_timestamp"), ("user", "first_traffic_source"),
              ("event", "no_such_property")]  # fmt: skip
OPERATORS = ["is_null", "is_not_null", "=", "<>", ">", ">=", "<", "<=", "in", "not_in", "contains", "not_contains",
             "true", "false", "between", "like"]  # fmt: skip
DATA_TYPES = ["string", "int", "double", "float", "number", "boolean"]
NODE_TYPES = ["event", "page_view_page_title", "page_view_page_url", "screen_view_screen_name", "screen_view_screen_id"]

# --- hostile values --------------------------------------------------------------------------------------------


def rarely(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], one_in: int = 4) -> st.SearchStrategy[Any]:
    """``common``, and ``rare`` one time in ``one_in`` (shrinking goes towards ``common``)."""
    return st.integers(0, one_in - 1).flatmap(lambda roll: rare if roll == one_in - 1 else common)


BIG_INTEGERS = [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 10**400, -(10**400), 2**53 + 1]
numbers = st.one_of(
    st.integers(),
    st.sampled_from(BIG_INTEGERS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 5e-324, 1e300]),
)
texts = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(exclude_categories=()), max_size=40),  # surrogates and NUL included
    st.sampled_from(["", "\x00", "\ud800", "a\udfffb", "' or 1=1 --", '"; drop table events; --', "\\", "😀" * 20,
                     "NaN", "Infinity", "-1e400", "9" * 400, "2024-01-01", "x" * 70_000, "é" * 300]),
)  # fmt: skip
odd_days = st.one_of(
    st.dates().map(str),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(lambda moment: moment.isoformat()),
    st.sampled_from(["0001-01-01", "9999-12-31", "1969-12-31", "1970-01-01", "2200-12-31", "2201-01-01",
                     "2024-02-30", "2024-01-01T25:00:00", "2024-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
                     "0001-01-01T00:00:00+23:59", "1970-01-01T00:00:00+14:00", "2024-13-01", "20240101"]),
    st.integers(),
)  # fmt: skip
odd_zones = rarely(st.sampled_from(sorted(available_timezones())), st.one_of(
    st.sampled_from(["UTC", "Asia/Tokyo", "localtime", "posixrules", "Factory", "Etc/GMT+5", "US/Pacific-New",
                     "posix/Europe/Paris", "right/UTC", "../../../etc/passwd", "utc", "Asia/Tokyo\x00", "+09:00"]),
    texts,
))  # fmt: skip
sane_days = st.dates(min_value=date(2023, 12, 1), max_value=date(2024, 2, 29)).map(str)
sane_moments = st.datetimes(
    min_value=datetime(2023, 12, 1), max_value=datetime(2024, 2, 29), timezones=st.one_of(st.none(), st.timezones())
).map(lambda moment: moment.isoformat())
days = rarely(st.one_of(sane_days, sane_moments), odd_days)
sane_values = st.one_of(
    st.sampled_from(["p1", "p2", "gold", "Web", "Home", "true"]), st.integers(-100, 100), st.floats(-1e6, 1e6)
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
junk = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
deep = st.integers(min_value=1, max_value=400).map(lambda depth: json.loads("[" * depth + "]" * depth))


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``valid``, one time in 16 anything at all (rare enough that many bodies still reach the SQL)."""
    return st.integers(0, 15).flatmap(lambda roll: st.one_of(junk, deep) if roll == 15 else valid)


def sometimes(draw: st.DrawFn, body: dict[str, Any], key: str, valid: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        body[key] = draw(maybe(valid))


# --- request-shaped bodies -------------------------------------------------------------------------------------


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    category, name = draw(st.sampled_from(PROPERTIES))
    operator = draw(st.sampled_from(OPERATORS))
    arity = {"is_null": 0, "is_not_null": 0, "true": 0, "false": 0, "between": 2, "in": 3, "not_in": 3}.get(operator, 1)
    value = rarely(sane_values, st.one_of(numbers, texts, st.booleans()))
    values = rarely(st.lists(value, min_size=arity, max_size=arity), st.lists(value, max_size=3), one_in=8)
    condition: dict[str, Any] = {
        "category": draw(maybe(st.just(category))), "property": draw(maybe(st.just(name))),
        "operator": draw(maybe(st.just(operator))), "value": draw(maybe(values)),
    }  # fmt: skip
    sometimes(draw, condition, "dataType", st.sampled_from(DATA_TYPES))
    return condition


def groups() -> st.SearchStrategy[Any]:
    return maybe(st.fixed_dictionaries(
        {"conditions": maybe(st.lists(conditions(), max_size=3))},
        optional={"conditionOperator": maybe(st.sampled_from(["and", "or"]))},
    ))  # fmt: skip


def properties() -> st.SearchStrategy[Any]:
    return maybe(st.sampled_from(PROPERTIES).map(lambda pair: {"category": pair[0], "property": pair[1]}))


@st.composite
def steps(draw: st.DrawFn) -> dict[str, Any]:
    step: dict[str, Any] = {"eventName": draw(maybe(st.sampled_from(EVENTS)))}
    sometimes(draw, step, "sqlCondition", groups())
    sometimes(draw, step, "computeMethod", st.sampled_from(["USER_ID_CNT", "EVENT_CNT", "SUM_VALUE",
                                                            "AGGREGATION_PROPERTY", "COUNT_PROPERTY"]))  # fmt: skip
    sometimes(draw, step, "eventExtParameter", st.fixed_dictionaries({
        "targetProperty": properties(),
        "aggregationMethod": maybe(st.sampled_from(["min", "max", "sum", "avg", "median"]))}))  # fmt: skip
    return step


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, Any]:
    """(analysis kind, request body): request-shaped, with hostile parts; now and then not an object at all."""
    kind = draw(st.sampled_from(KINDS))
    if draw(st.integers(0, 19)) == 0:
        return kind, draw(st.one_of(junk, deep))
    body: dict[str, Any] = {"appId": draw(maybe(st.sampled_from(["shop", "other"])))}
    if draw(st.booleans()):
        body.update(timeScopeType="FIXED", timeStart=draw(maybe(days)))
        sometimes(draw, body, "timeEnd", days)
    else:
        body.update(timeScopeType="RELATIVE", lastN=draw(maybe(st.integers(1, 40))),
                    timeUnit=draw(maybe(st.sampled_from(["DD", "WK", "MM", "YY"]))))  # fmt: skip
    sometimes(draw, body, "timezone", odd_zones)
    sometimes(draw, body, "groupColumn", st.sampled_from(["DAY", "WEEK", "MONTH"]))
    sometimes(draw, body, "computeMethod", st.sampled_from(["USER_ID_CNT", "EVENT_CNT"]))
    sometimes(draw, body, "globalEventCondition", groups())
    sometimes(draw, body, "groupCondition", st.fixed_dictionaries({"conditions": st.lists(properties(), max_size=1)}))
    many = st.lists(steps(), min_size=2 if kind == "funnel" else 1, max_size=4)
    if kind in ("event", "funnel"):
        body["eventAndConditions"] = draw(maybe(many))
        sometimes(draw, body, "conversionIntervalInSeconds", st.integers(1, 86400))
        sometimes(draw, body, "specifyJoinColumn", st.booleans())
        sometimes(draw, body, "joinColumn", st.sampled_from(["session_id", "user_pseudo_id", "product"]))
    elif kind == "path":
        nodes = st.lists(st.one_of(st.sampled_from(EVENTS), texts), max_size=3)
        body["pathAnalysis"] = draw(maybe(st.fixed_dictionaries({
            "nodeType": maybe(st.sampled_from(NODE_TYPES)),
            "sessionType": maybe(st.sampled_from(["SESSION", "CUSTOMIZE"])), "lagSeconds": maybe(st.integers(1, 3600)),
            "nodes": maybe(nodes), "mergeConsecutiveEvents": maybe(st.booleans()),
            "levels": maybe(st.integers(2, 10))})))  # fmt: skip
        sometimes(draw, body, "eventAndConditions", st.lists(steps(), max_size=1))
    elif kind == "retention":
        pair = st.fixed_dictionaries({"startEvent": steps(), "backEvent": steps()})
        body["pairEventAndConditions"] = draw(maybe(st.lists(pair, min_size=1, max_size=2)))
        sometimes(draw, body, "periods", st.integers(1, 10))
    else:
        body["targetEventAndCondition"] = draw(maybe(steps()))
        body["eventAndConditions"] = draw(maybe(many))
        sometimes(draw, body, "modelType", st.sampled_from(["LAST_TOUCH", "FIRST_TOUCH", "LINEAR", "TIME_DECAY",
                                                            "POSITION"]))  # fmt: skip
        sometimes(draw, body, "modelWeights", st.lists(numbers, min_size=3, max_size=3))
        sometimes(draw, body, "timeWindowType", st.sampled_from(["CURRENT_DAY", "CUSTOMIZE", "SESSION"]))
        sometimes(draw, body, "timeWindowInSeconds", st.integers(1, 86400))
        sometimes(draw, body, "timeDecayHalfLifeInSeconds", st.integers(1, 86400))
    return kind, body


REQUESTS = bodies()

# --- target: the request models --------------------------------------------------------------------------------

_QUOTED = re.compile(r"'(?:[^']|'')*'")
_BARE_NON_FINITE = re.compile(r"\b(nan|inf|infinity)\b", re.IGNORECASE)


def _catalog() -> Catalog:
    with tempfile.TemporaryDirectory() as home:
        config = make_config(Path(home) / "home", apps=[{"id": "shop"}, {"id": "other"}])
        write_catalog(config)
        return Catalog.from_document(json.loads((config.home / "metadata" / "catalog.json").read_text()))


CATALOG = _catalog()


def check_models(case: tuple[str, Any]) -> None:
    """Validation passes or raises ValidationError; a valid request is SQL for every dialect, or a 400."""
    kind, body = case
    model, builder = ANALYSES[kind]
    try:
        request = model.model_validate(body)
    except ValidationError:
        return
    request = request.model_copy(update={"timezone": request.timezone or "UTC"})  # as the app does
    try:
        analysis = builder(CATALOG, request)
    except (UnknownName, BadRequest):
        return
    for dialect in DIALECTS:
        sql = render(analysis.tree_for(dialect), dialect, "analytics")
        bare = _BARE_NON_FINITE.search(_QUOTED.sub("''", sql))
        assert bare is None, f"{dialect} SQL has a bare {bare.group(0)!r}: {sql[:2000]}"


# --- target: the API -------------------------------------------------------------------------------------------


@contextmanager
def studio_api() -> Iterator[Check]:
    """The Studio on the dataset's warehouse, signed in; the check POSTs a body and judges the answer."""
    with tempfile.TemporaryDirectory() as home:
        config = make_config(Path(home) / "home", apps=[{"id": "shop"}, {"id": "other"}])
        build_warehouse(config)
        with TestClient(create_app(config, password=PASSWORD), base_url=LOCAL_URL,
                        raise_server_exceptions=False) as client:  # fmt: skip
            assert client.post("/auth/login", json={"password": PASSWORD}).status_code == 200
            headers = {**REQUEST_ID, "Content-Type": "application/json"}

            def check(case: tuple[str, Any]) -> None:
                kind, body = case
                text = json.dumps(body, allow_nan=True)  # NaN and Infinity as JSON's extensions; surrogates escaped
                for path in (f"/api/reporting/{kind}", f"/api/reporting/{kind}/sql"):
                    answer = client.post(path, content=text.encode(), headers=headers)
                    assert answer.status_code < 500, f"{answer.status_code} {answer.text[:1000]} for {text[:3000]}"
                    if answer.status_code >= 400:
                        document = answer.json()
                        assert isinstance(document, dict) and ("error" in document or "detail" in document), answer.text

            yield check


TARGETS: list[FuzzTarget] = [
    FuzzTarget("studio-request-models", REQUESTS, plain_harness(check_models)),
    FuzzTarget("studio-api", REQUESTS, studio_api),
]
