"""Plain dbt is a way in: `eval "$(clickstream dbt-env)"; dbt build` builds what `clickstream model` builds.

One small warehouse is loaded with data each var of clickstream.yml changes: a project id, an app in
Asia/Tokyo (evening UTC events are the next day there), events received days after they happened (kept
by etl.freshness_hours: 240, dropped by the project's default of three days) and ingest times spread over
more than clickstream__backfill_limit_days. Two copies of it are modelled, one by `clickstream model` and
one by plain dbt in a subprocess that gets only the exports of `clickstream dbt-env`, and must hold the
same tables.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from clickstream.config import Config, parse_config
from clickstream.errors import InputError
from clickstream.modeling import run_dbt
from tests.dbt_project.warehouse import load_tables, query
from tests.support.cli import clickstream

pytestmark = pytest.mark.slow


REPO = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"
START = datetime(2024, 1, 1, 20, tzinfo=UTC)
DAYS = 60  # more than the project's clickstream__backfill_limit_days (30)
TABLES = [
    "fct_events", "fct_sessions", "dim_users", "fct_event_items", "rpt_engagement__day_event_view",
    "rpt_retention__dau_wau", "meta_event",
]  # fmt: skip


def settings(home: Path) -> dict[str, Any]:
    """The clickstream.yml of one copy: every key that becomes a dbt var differs from the project default."""
    return {
        "home": str(home),
        "project_id": "plain_dbt",
        "apps": [{"id": "shop"}, {"id": "tokyo", "timezone": "Asia/Tokyo"}],
        "etl": {"freshness_hours": 240},
    }


def events() -> list[dict[str, Any]]:
    """Two sessions a day for DAYS days; every third day's events reach the server five days late."""
    rows = []
    for day in range(DAYS):
        happened = START + timedelta(days=day)
        received = happened + timedelta(days=5 if day % 3 == 0 else 0, seconds=1)
        for app, user in (("shop", f"u{day % 7}"), ("tokyo", f"t{day % 5}")):
            session = f"{app}-{day}"
            for index, name in enumerate(("_session_start", "_page_view", "_page_view")):
                moment = happened + timedelta(minutes=index)
                rows.append({
                    "event_timestamp": moment.replace(tzinfo=None), "event_id": f"{session}-{index}",
                    "event_time_msec": int(moment.timestamp() * 1000), "event_name": name,
                    "ingest_time_msec": int((received + timedelta(minutes=index)).timestamp() * 1000),
                    "platform": "Web", "project_id": "plain_dbt", "app_id": app, "user_pseudo_id": user,
                    "session_id": session, "page_view_page_url_path": f"/p{index}",
                })  # fmt: skip
    return rows


def write_config(home: Path) -> tuple[Config, Path]:
    home.mkdir(parents=True, exist_ok=True)
    path = home.parent / f"{home.name}.yml"
    path.write_text(yaml.safe_dump(settings(home)))
    return parse_config(settings(home), home.parent), path


def exports(config_file: Path) -> dict[str, str]:
    """What `eval "$(clickstream dbt-env)"` puts into the shell."""
    result = clickstream("--config", str(config_file), "dbt-env", cwd=config_file.parent)
    assert result.returncode == 0, result.stderr
    printed = result.stdout
    environment = {}
    for line in printed.splitlines():
        assert line.startswith("export "), line
        name, _, value = line.removeprefix("export ").partition("=")
        environment[name] = shlex.split(value)[0] if value else ""
    return environment


def plain_dbt(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` from dbt_project/ with nothing of clickstream's but ``environment``."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [str(DBT), *args], cwd=REPO / "dbt_project", env={**base, **environment},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def seconds_running(output: str) -> float:
    """How long dbt ran after parsing (its own "Finished running ... (Ns)" line): where connection retries
    would wait. dbt's start and a full parse (a new path is a new profile) come before and vary with load."""
    found = re.search(r"Finished running .* \(([0-9.]+)s\)", output)
    assert found, output[-2000:]
    return float(found.group(1))


def counts(config: Config) -> dict[str, int]:
    return {name: query(config, f"select count(*) from analytics.{name}")[0][0] for name in TABLES}


@pytest.fixture(scope="module")
def modelled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("plain_dbt")
    by_model, _ = write_config(root / "model")
    by_dbt, by_dbt_file = write_config(root / "dbt")
    load_tables(by_model, {"event_v2": events()})
    shutil.copy(by_model.warehouse_path, by_dbt.warehouse_path)
    run_dbt(by_model, ["build"])
    environment = exports(by_dbt_file)
    completed = plain_dbt(environment, "build")
    assert completed.returncode == 0, completed.stdout[-3000:]
    yield {"model": by_model, "dbt": by_dbt, "environment": environment, "output": completed.stdout}


def test_plain_dbt_builds_the_tables_clickstream_model_builds(modelled: dict[str, Any]) -> None:
    assert counts(modelled["dbt"]) == counts(modelled["model"])


def test_the_vars_of_clickstream_yml_reach_plain_dbt(modelled: dict[str, Any]) -> None:
    config = modelled["dbt"]
    # every loaded event is kept: the late ones by freshness_hours, the old ones despite the backfill limit
    assert counts(config)["fct_events"] == len(events())
    [(project,)] = query(config, "select distinct project_id from analytics.meta_event")
    assert project == "plain_dbt"
    # 20:00 UTC is 05:00 the next morning in Tokyo
    [(tokyo_first,)] = query(config, "select min(event_date) from analytics.fct_events where app_id = 'tokyo'")
    assert str(tokyo_first) == str((START + timedelta(days=1)).date())


def test_a_first_build_models_the_whole_backlog_and_says_nothing_is_left(modelled: dict[str, Any]) -> None:
    config = modelled["model"]
    [(upper, newest)] = query(
        config,
        "select upper_limit_msec, (select max(ingest_time_msec) from ods.event_v2) from analytics.int_run_limits",
    )
    assert upper == newest
    assert "not modelled yet" not in modelled["output"]


def test_a_run_that_leaves_a_backlog_says_how_many_runs_remain(modelled: dict[str, Any], tmp_path: Path) -> None:
    config = modelled["model"].with_home(tmp_path / "home")
    config.home.mkdir()
    shutil.copy(modelled["model"].warehouse_path, config.warehouse_path)
    later = START + timedelta(days=DAYS + 25)
    load_tables(config, {"event_v2": [
        {**row, "event_id": f"later-{n}", "session_id": f"later-{n}", "event_timestamp": later.replace(tzinfo=None),
         "event_time_msec": int(later.timestamp() * 1000), "ingest_time_msec": int(later.timestamp() * 1000) + n}
        for n, row in enumerate(events()[:3])
    ]})  # fmt: skip
    run_dbt(config, ["run", "--vars", '{"clickstream__backfill_limit_days": 10}'])
    log = (config.home / "dbt" / "logs" / "dbt.log").read_text()
    assert "days of loaded events are not modelled yet" in log
    assert "2 more run(s) catch up" in log


def test_plain_dbt_with_a_missing_warehouse_folder_fails_at_once(modelled: dict[str, Any], tmp_path: Path) -> None:
    wrong = str(tmp_path / "no-such-folder" / "warehouse.duckdb")
    completed = plain_dbt({**modelled["environment"], "CLICKSTREAM_WAREHOUSE_PATH": wrong}, "build")
    assert completed.returncode != 0
    assert "No such file or directory" in completed.stdout
    assert seconds_running(completed.stdout) < 5


def test_plain_dbt_on_an_empty_warehouse_names_the_file_and_the_fix(modelled: dict[str, Any], tmp_path: Path) -> None:
    wrong = str(tmp_path / "warehouse.duckdb")
    completed = plain_dbt({**modelled["environment"], "CLICKSTREAM_WAREHOUSE_PATH": wrong}, "build")
    assert completed.returncode != 0
    assert f"no loaded table ods.event_v2 in the duckdb warehouse (DuckDB file {wrong})" in completed.stdout
    assert "clickstream dbt-env" in completed.stdout
    assert seconds_running(completed.stdout) < 5


def test_plain_dbt_without_the_exports_names_the_missing_variable(modelled: dict[str, Any]) -> None:
    environment = {k: v for k, v in modelled["environment"].items() if k != "CLICKSTREAM_WAREHOUSE_PATH"}
    completed = plain_dbt(environment, "build")
    assert completed.returncode != 0
    assert "CLICKSTREAM_WAREHOUSE_PATH" in completed.stdout


def test_clickstream_model_with_a_wrong_warehouse_path_fails_at_once(tmp_path: Path) -> None:
    config = parse_config({"home": "home", "warehouse": {"path": "missing/warehouse.duckdb"}}, tmp_path)
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"warehouse\.path: .*missing/warehouse\.duckdb does not exist") as raised:
        run_dbt(config, ["build"])
    assert "clickstream load" in (raised.value.hint or "")
    assert time.perf_counter() - started < 5
