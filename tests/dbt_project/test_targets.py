"""One model set for DuckDB, Redshift and Athena: it compiles offline for each, and parses as their SQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlfluff.core import FluffConfig, Linter

from clickstream.modeling import run_dbt
from tests.support.config import make_config

pytestmark = pytest.mark.slow
MODEL_PREFIXES = ("stg_", "int_", "fct_", "dim_", "rpt_", "meta_")
# The warehouse settings of each engine: dbt's target is warehouse.type (no connection is made here).
WAREHOUSES: dict[str, dict[str, Any]] = {
    "duckdb": {},
    "redshift": {
        "data_root": "s3://data/clickstream/",
        "warehouse": {
            "type": "redshift",
            "redshift": {
                "cluster_identifier": "analytics", "db_user": "loader",
                "iam_role_arn": "arn:aws:iam::123456789012:role/copy", "manifest_prefix": "s3://data/manifests/",
            },
        },
    },
    "athena": {"data_root": "s3://data/clickstream/", "warehouse": {"type": "athena", "athena": {"database": "ods"}}},
}  # fmt: skip


@pytest.mark.parametrize("target", ["duckdb", "redshift", "athena"])
def test_the_models_compile_offline_for_each_target(tmp_path: Path, target: str) -> None:
    config = make_config(tmp_path / "home", **WAREHOUSES[target])
    # clickstream_is_incremental() answers the var instead of asking the (absent) warehouse: the incremental
    # branches compile; a custom parameter column exercises each engine's map lookup
    offline = {"clickstream__offline_incremental": True, "clickstream__custom_parameters": [{"name": "coupon"}]}
    run_dbt(config, ["compile", "--no-populate-cache", "--vars", json.dumps(offline)])
    compiled = tmp_path / "home" / "dbt" / "target" / "compiled" / "clickstream" / "models"
    models = sorted(p for p in compiled.rglob("*.sql") if p.name.startswith(MODEL_PREFIXES))
    assert {p.stem for p in models} >= {
        "fct_events", "fct_event_items", "fct_sessions", "fct_page_screen_views", "dim_users", "int_session_lifecycle"
    }  # fmt: skip
    lifecycle = next(p for p in models if p.stem == "int_session_lifecycle").read_text()
    assert "as known" in lifecycle, "the incremental branch was not compiled"
    if target == "duckdb":
        return  # DuckDB SQL is linted by sqlfluff's dbt templater in `make sqllint` and run by the other tests
    linter = Linter(config=FluffConfig(overrides={"dialect": target}))
    for model in models:
        parsed = linter.parse_string(model.read_text())
        assert parsed.tree is not None, model.name
        unparsable = [segment.raw[:80] for segment in parsed.tree.recursive_crawl("unparsable")]
        assert (parsed.violations, unparsable) == ([], []), f"{model.name} is not valid {target} SQL"


def test_the_model_command_passes_its_arguments_to_dbt(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "clickstream", "model", "-v", "ls", "--resource-type", "model", "--output", "name"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    listed = set(result.stdout.split())
    assert {"fct_events", "fct_sessions", "dim_users", "fct_event_items"} <= listed


def test_on_athena_dbt_reads_its_sources_from_the_glue_database_the_loader_writes(tmp_path: Path) -> None:
    from clickstream.config import parse_config
    from clickstream.modeling import dbt_vars

    athena = parse_config(
        {
            "data_root": "s3://data/clickstream/",
            "warehouse": {"type": "athena", "schema": "ods", "athena": {"database": "shop_events"}},
        },
        tmp_path,
    )
    assert dbt_vars(athena)["clickstream__source_schema"] == "shop_events"
    duckdb = parse_config({"warehouse": {"schema": "raw_events"}}, tmp_path)
    assert dbt_vars(duckdb)["clickstream__source_schema"] == "raw_events"


def compile_inline(tmp_path: Path, target: str, sql: str) -> subprocess.CompletedProcess[str]:
    settings = {"home": "./home", "dbt": {"reader_role": "clickstream_reader"}, "apps": [{"id": "shop"}]}
    (tmp_path / "clickstream.yml").write_text(yaml.safe_dump({**settings, **WAREHOUSES[target]}))
    return subprocess.run(
        [sys.executable, "-m", "clickstream", "model", "--verbose", "compile", "--no-populate-cache", "--inline", sql],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip


def test_on_redshift_each_run_grants_the_reader_role_the_models_schema(tmp_path: Path) -> None:
    grants = "{{ clickstream_reader_grants_sql(var('clickstream__reader_role'), target.schema) }}"
    compiled = compile_inline(tmp_path, "redshift", grants)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    statements = compiled.stdout.split("Compiled inline node is:")[1].split("model: success")[0]
    assert [line.strip() for line in statements.strip().splitlines()] == [
        'grant usage on schema "analytics" to role clickstream_reader;',
        'grant select on all tables in schema "analytics" to role clickstream_reader;',
    ]


def test_a_reader_role_that_is_not_a_plain_identifier_is_refused_before_any_sql(tmp_path: Path) -> None:
    grants = "{{ clickstream_reader_grants_sql('x; drop table y', 'analytics') }}"
    compiled = compile_inline(tmp_path, "redshift", grants)
    assert compiled.returncode != 0
    assert "clickstream__reader_role must be a lowercase identifier" in compiled.stdout + compiled.stderr
