"""The Studio's catalog read from the metadata document."""

from __future__ import annotations

import pytest

from clickstream.studio.catalog import Catalog


def entry(value_type: str) -> dict[str, str]:
    return {"appId": "shop", "name": "price", "category": "event", "valueType": value_type}


@pytest.mark.parametrize("order", [("number", "string"), ("string", "number")])
def test_a_parameter_sent_as_number_and_as_text_is_text_whatever_the_order(order: tuple[str, str]) -> None:
    # The scan lists it once per value type (the original's ids end in the type); every value reads as text.
    catalog = Catalog.from_document({"eventParameters": [entry(value_type) for value_type in order]})
    assert catalog.property("shop", "price").value_type == "string"


def test_a_parameter_only_ever_sent_as_a_number_is_a_number() -> None:
    catalog = Catalog.from_document({"eventParameters": [entry("number"), entry("int")]})
    assert catalog.property("shop", "price").value_type == "double"
