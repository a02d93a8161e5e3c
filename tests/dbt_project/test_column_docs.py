"""Every model column is listed and described in its yml, and a contract column's description is the contract's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from clickstream.contract import EVENT_V2, USER_V2
from clickstream.modeling.columns import (
    built_columns,
    contract_description,
    drifted,
    model_files,
    models_dir,
    regenerate,
    undescribed,
)

FIX = "run `python -m clickstream.modeling.columns` (with --sync after adding or removing columns)"


def documents() -> dict[str, dict[str, Any]]:
    return {name: yaml.safe_load(path.read_text()) for name, path in model_files(models_dir()).items()}


def listed(document: dict[str, Any]) -> list[str]:
    return [column["name"] for model in document["models"] for column in model["columns"]]


def test_every_model_has_its_own_yml_beside_its_sql() -> None:
    missing = [str(path) for path in model_files(models_dir()).values() if not path.is_file()]
    assert not missing, f"models without a yml: {missing}; {FIX} --sync"
    names = {name: [model["name"] for model in document["models"]] for name, document in documents().items()}
    assert all(models == [name] for name, models in names.items()), names


def test_every_listed_column_has_a_description() -> None:
    assert not undescribed(documents().values())


def test_the_ymls_are_what_the_generator_writes() -> None:
    assert not drifted(models_dir()), f"model ymls differ from the contract or the generated layout: {FIX}"


def test_a_passed_through_contract_column_takes_the_contracts_description() -> None:
    fct_events = yaml.safe_load(regenerate((models_dir() / "marts/core/fct_events.yml").read_text()))
    columns = {column["name"]: column["description"] for column in fct_events["models"][0]["columns"]}
    assert columns["geo_country"] == EVENT_V2.column("geo_country").description
    first_source = USER_V2.column("first_traffic_source").description
    assert contract_description("rpt_event_view", "first_traffic_source") == first_source


def test_a_session_traffic_column_takes_its_event_columns_description() -> None:
    description = contract_description("fct_sessions", "session_medium")
    assert description is not None and description.startswith(EVENT_V2.column("traffic_source_medium").description)


def test_a_computed_column_of_a_contract_name_keeps_its_own_description() -> None:
    assert contract_description("fct_sessions", "user_id") is None
    assert contract_description("rpt_engagement__event_name", "user_id") is None
    assert contract_description("meta_event", "platform") is None


def test_regenerating_an_edited_contract_description_restores_it() -> None:
    path = models_dir() / "marts/core/fct_events.yml"
    edited = path.read_text().replace(EVENT_V2.column("geo_city").description, "A city.")
    assert edited != path.read_text()
    assert regenerate(edited) == path.read_text()


@pytest.mark.slow
def test_the_ymls_list_exactly_the_columns_dbt_builds(tmp_path: Path) -> None:
    built = built_columns(tmp_path / "home")
    docs = documents()
    assert set(built) == set(docs)
    differing = {name: (built[name], listed(docs[name])) for name in built if built[name] != listed(docs[name])}
    assert not differing, f"{FIX} --sync: {differing}"
