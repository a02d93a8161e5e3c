"""The traffic-source rule tables: referrer categories and ordered channel-group rules, compiled once.

Both tables use the original's JSON formats, so files edited for the original (or by its console)
work unchanged:

* category rules: ``[{"url", "source", "category", "params": [...]}]`` - a referrer whose URL, host
  plus path, or host (with or without ``www.``) is listed gets that source and category, and its
  query parameters named in ``params`` become the search term;
* channel rules: ``[{"id", "channel", "condition": {"op::and"|"op::or": [...]}}]`` - the first rule
  whose condition holds names the channel group. A condition item is either a nested
  ``op::and``/``op::or`` list or ``{"field", "op", "value"}`` (``"values"`` for ``in``/``not_in``).
  Comparisons ignore case; ``__empty__`` stands for a missing or empty field; ``match`` is a
  whole-string regular expression.

Loading validates everything (unknown field or operator, missing value, bad regex) and names the file
and the rule, so a broken per-app file fails the run at start instead of misclassifying silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from clickstream.errors import ConfigError
from clickstream.etl.enrich.urls import parse_url

UNASSIGNED = "Unassigned"
EMPTY_MARKER = "__empty__"

# The fields a channel condition may test, in the order of ChannelInput.
CHANNEL_FIELDS: tuple[str, ...] = (
    "traffic_source_category",
    "traffic_source_source",
    "traffic_source_medium",
    "traffic_source_campaign",
    "traffic_source_content",
    "traffic_source_term",
    "traffic_source_campaign_id",
    "traffic_source_clid_platform",
    "traffic_source_clid",
    "page_view_latest_referrer",
    "page_view_latest_referrer_host",
)
_FIELD_INDEX = {name: index for index, name in enumerate(CHANNEL_FIELDS)}


class ChannelInput(NamedTuple):
    """What the channel rules see (``latest_referrer`` is the referrer the classifier chose)."""

    category: str | None
    source: str | None
    medium: str | None
    campaign: str | None
    content: str | None
    term: str | None
    campaign_id: str | None
    clid_platform: str | None
    clid: str | None
    latest_referrer: str | None
    latest_referrer_host: str | None


class TrafficSourceRuleError(ConfigError):
    """A traffic-source rule file cannot be read or holds an invalid rule."""


# A compiled condition takes the input's fields, lowercased with None as "".
Predicate = Callable[[Sequence[str]], bool]


def read_rule_file(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except OSError as exc:
        raise TrafficSourceRuleError(f"cannot read traffic-source rules {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise TrafficSourceRuleError(
            f"traffic-source rules {path} are not valid JSON: {exc}", hint="fix the file or remove it"
        ) from None


class CategoryMatch(NamedTuple):
    source: str | None
    terms: str | None
    category: str | None


NO_REFERRER = CategoryMatch(None, None, None)


class _CategoryItem(NamedTuple):
    source: str
    category: str
    params: tuple[str, ...]


class CategoryRules:
    """Referrer URL or host -> source, category and search-term parameters."""

    def __init__(self, items: dict[str, _CategoryItem], source_categories: dict[str, str], origin: str) -> None:
        self._items = items
        self._source_categories = source_categories
        self._folded_categories = _folded(items.values(), source_categories)
        self.origin = origin

    @classmethod
    def from_json(cls, data: Any, origin: str) -> CategoryRules:
        if not isinstance(data, list):
            raise TrafficSourceRuleError(f"{origin}: category rules must be a JSON array of objects")
        items: dict[str, _CategoryItem] = {}
        source_categories: dict[str, str] = {}
        for position, entry in enumerate(data):
            where = f"{origin}: category rule #{position + 1}"
            if not isinstance(entry, dict):
                raise TrafficSourceRuleError(f"{where}: must be an object with url, source, category, params")
            url, source, category = entry.get("url"), entry.get("source"), entry.get("category")
            params = entry.get("params") or []
            if not isinstance(url, str) or not url:
                raise TrafficSourceRuleError(f"{where}: 'url' must be a non-empty string")
            if not isinstance(source, str) or not isinstance(category, str):
                raise TrafficSourceRuleError(f"{where} ({url}): 'source' and 'category' must be strings")
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                raise TrafficSourceRuleError(f"{where} ({url}): 'params' must be a list of parameter names")
            # Later entries win, as in the original (a map filled in file order).
            items[url] = _CategoryItem(source, category, tuple(params))
            source_categories[source] = category
        return cls(items, source_categories, origin)

    @classmethod
    def from_file(cls, path: Path) -> CategoryRules:
        return cls.from_json(read_rule_file(path), str(path))

    def __len__(self) -> int:
        return len(self._items)

    def category_of_source(self, source: str) -> str | None:
        """The category of a source named by UTM parameters or the SDK (decision 40): the table's source name
        as spelled, else in any case ("google" is "Google"), else a listed domain ("m.facebook.com").

        The original matched the name as spelled only, so lower-case tags, the common way to write them,
        were Unassigned (``google``/``cpc`` became Paid Other rather than Paid Search).
        """
        category = self._source_categories.get(source)
        if category is not None:
            return category
        folded = source.strip().lower()
        category = self._folded_categories.get(folded)
        if category is not None or "." not in folded:
            return category
        item = self._items.get(folded) or (self._items.get(folded[4:]) if folded.startswith("www.") else None)
        return item.category if item is not None else None

    def evaluate(self, referrer: str | None) -> CategoryMatch:
        """Source, search terms and category of a referrer URL; ``Unassigned`` with the host as source if unlisted."""
        if not referrer:
            return NO_REFERRER
        parsed = parse_url(referrer)
        if parsed is None or not parsed.host:
            return NO_REFERRER
        item = None
        for candidate in _candidates(referrer, parsed.host, parsed.path):
            item = self._items.get(candidate)
            if item is not None:
                break
        if item is None:
            return CategoryMatch(parsed.host, None, UNASSIGNED)
        terms = sorted({value for name in item.params for value in parsed.params.get(name, ()) if value})
        return CategoryMatch(item.source, ",".join(terms) if terms else None, item.category)


def _folded(items: Iterable[_CategoryItem], source_categories: dict[str, str]) -> dict[str, str]:
    """Lower-cased source name -> category. A name the table spells in several cases takes the category of
    its lower-case spelling when there is one, else the category most of its entries give, on a tie the one
    listed last (as later entries win in the table)."""
    # Per name and category: (entries, position of the last one), so max() applies both rules at once.
    ranks: dict[str, dict[str, tuple[int, int]]] = {}
    for position, item in enumerate(items):
        by_category = ranks.setdefault(item.source.lower(), {})
        count = by_category.get(item.category, (0, 0))[0]
        by_category[item.category] = (count + 1, position)
    return {
        name: source_categories.get(name) or max(by_category, key=by_category.__getitem__)
        for name, by_category in ranks.items()
    }


def _candidates(url: str, host: str, path: str) -> list[str]:
    """Keys tried in order: the URL itself, without scheme, host+path, host, and both without ``www.``."""
    candidates = [url]
    if "://" in url:
        candidates.append(url.split("://")[1])
    has_path = bool(path) and path != "/"
    if has_path:
        candidates.append(host + path)
    candidates.append(host)
    if host.startswith("www."):
        bare = host[4:]
        candidates.append(bare)
        if has_path:
            candidates.append(bare + path)
    return candidates


class ChannelRule(NamedTuple):
    id: str
    channel: str
    matches: Predicate


class ChannelRules:
    """Ordered channel-group rules; the first match wins, none gives ``Unassigned``."""

    def __init__(self, rules: list[ChannelRule], origin: str) -> None:
        self.rules = rules
        self.origin = origin

    @classmethod
    def from_json(cls, data: Any, origin: str) -> ChannelRules:
        if not isinstance(data, list):
            raise TrafficSourceRuleError(f"{origin}: channel rules must be a JSON array of rules")
        rules = []
        for position, entry in enumerate(data):
            rule_id = entry.get("id") if isinstance(entry, dict) else None
            where = f"{origin}: channel rule {rule_id or '#' + str(position + 1)}"
            if not isinstance(entry, dict):
                raise TrafficSourceRuleError(f"{where}: must be an object with id, channel and condition")
            channel = entry.get("channel")
            if not isinstance(channel, str) or not channel:
                raise TrafficSourceRuleError(f"{where}: 'channel' must be a non-empty string")
            condition = entry.get("condition")
            if not isinstance(condition, dict):
                raise TrafficSourceRuleError(f"{where}: 'condition' must be an object with op::and or op::or")
            rules.append(ChannelRule(str(rule_id or position + 1), channel, _compile_group(condition, where)))
        return cls(rules, origin)

    @classmethod
    def from_file(cls, path: Path) -> ChannelRules:
        return cls.from_json(read_rule_file(path), str(path))

    def __len__(self) -> int:
        return len(self.rules)

    def evaluate(self, facts: ChannelInput) -> str:
        values = [value.lower() if value else "" for value in facts]
        for rule in self.rules:
            if rule.matches(values):
                return rule.channel
        return UNASSIGNED


def _compile_group(node: dict[str, Any], where: str) -> Predicate:
    """An object holding exactly one of ``op::and`` / ``op::or`` (the rule's top-level condition)."""
    has_and, has_or = "op::and" in node, "op::or" in node
    if has_and == has_or:
        raise TrafficSourceRuleError(f"{where}: a condition needs exactly one of op::and or op::or")
    operator = "op::and" if has_and else "op::or"
    items = node[operator]
    if not isinstance(items, list) or not items:
        raise TrafficSourceRuleError(f"{where}: {operator} must be a non-empty list of conditions")
    parts = tuple(_compile_item(item, where) for item in items)
    if has_and:

        def all_hold(values: Sequence[str]) -> bool:
            # Plain loops, not all()/any() over generators: no generator frame per call, and this runs per rule.
            for part in parts:  # noqa: SIM110
                if not part(values):
                    return False
            return True

        return all_hold

    def any_holds(values: Sequence[str]) -> bool:
        for part in parts:  # noqa: SIM110
            if part(values):
                return True
        return False

    return any_holds


def _compile_item(item: Any, where: str) -> Predicate:
    if not isinstance(item, dict):
        raise TrafficSourceRuleError(f"{where}: each condition must be an object")
    if "field" not in item:
        return _compile_group(item, where)
    if "op::and" in item or "op::or" in item:
        raise TrafficSourceRuleError(f"{where}: a condition has both 'field' and a nested op::and/op::or")
    field, op = item.get("field"), item.get("op")
    if field not in _FIELD_INDEX:
        raise TrafficSourceRuleError(f"{where}: unknown field {field!r}; use one of {', '.join(CHANNEL_FIELDS)}")
    index = _FIELD_INDEX[field]
    if op in ("in", "not_in"):
        values = item.get("values")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise TrafficSourceRuleError(f"{where}: {field} {op} needs 'values', a non-empty list of strings")
        return _membership(index, op == "in", frozenset(_expected(v) for v in values))
    value = item.get("value")
    if not isinstance(value, str):
        raise TrafficSourceRuleError(f"{where}: {field} {op!r} needs a string 'value'")
    factory = _OPERATORS.get(op) if isinstance(op, str) else None
    if factory is None:
        raise TrafficSourceRuleError(f"{where}: unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
    try:
        return factory(index, _expected(value), value)
    except re.error as exc:
        raise TrafficSourceRuleError(
            f"{where}: {field} {op} {value!r} is not a valid regular expression: {exc}"
        ) from None


def _expected(value: str) -> str:
    return "" if value == EMPTY_MARKER else value.lower()


def _membership(index: int, inside: bool, values: frozenset[str]) -> Predicate:
    # Unlike the original, __empty__ is also honoured inside 'values' (there it never matched anything).
    if inside:
        return lambda facts: facts[index] in values
    return lambda facts: facts[index] not in values


def _regex(raw: str) -> re.Pattern[str]:
    # The original lowercased the pattern itself, which breaks escapes such as \S or \W; matching the
    # lowercased value with IGNORECASE does what the rules mean.
    return re.compile("" if raw == EMPTY_MARKER else raw, re.IGNORECASE)


def _eq(i: int, v: str, raw: str) -> Predicate:
    return lambda facts: facts[i] == v


def _not_eq(i: int, v: str, raw: str) -> Predicate:
    return lambda facts: facts[i] != v


def _contain(i: int, v: str, raw: str) -> Predicate:
    return lambda facts: v in facts[i]


def _not_contain(i: int, v: str, raw: str) -> Predicate:
    return lambda facts: v not in facts[i]


def _start_with(i: int, v: str, raw: str) -> Predicate:
    return lambda facts: facts[i].startswith(v)


def _not_start_with(i: int, v: str, raw: str) -> Predicate:
    return lambda facts: not facts[i].startswith(v)


def _end_with(i: int, v: str, raw: str) -> Predicate:
    return lambda facts: facts[i].endswith(v)


def _not_end_with(i: int, v: str, raw: str) -> Predicate:
    return lambda facts: not facts[i].endswith(v)


def _match(i: int, v: str, raw: str) -> Predicate:
    pattern = _regex(raw)
    return lambda facts: pattern.fullmatch(facts[i]) is not None


def _not_match(i: int, v: str, raw: str) -> Predicate:
    pattern = _regex(raw)
    return lambda facts: pattern.fullmatch(facts[i]) is None


_OPERATORS: dict[str, Callable[[int, str, str], Predicate]] = {
    "eq": _eq,
    "not_eq": _not_eq,
    "contain": _contain,
    "not_contain": _not_contain,
    "start_with": _start_with,
    "not_start_with": _not_start_with,
    "end_with": _end_with,
    "not_end_with": _not_end_with,
    "match": _match,
    "not_match": _not_match,
}
OPERATORS: tuple[str, ...] = (*_OPERATORS, "in", "not_in")
