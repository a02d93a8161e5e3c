"""Running dbt on the bundled project (`clickstream model`) through dbt's Python entry point."""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clickstream import bundled
from clickstream.config import Config
from clickstream.errors import ConfigError, ModelError

logger = logging.getLogger("clickstream.modeling")


@dataclass
class ModelResult:
    """What one dbt invocation did: counts of node results by status."""

    command: str
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def project_dir(config: Config) -> Path:
    directory = config.dbt.project_dir or bundled.dbt_project()
    if not (directory / "dbt_project.yml").is_file():
        raise ConfigError(
            f"dbt.project_dir: no dbt_project.yml in {directory}", hint="point dbt.project_dir at a dbt project"
        )
    return directory


def source_schema(config: Config) -> str:
    """Where `clickstream load` puts the tables dbt reads as sources."""
    athena = config.warehouse.athena
    if config.warehouse.type == "athena" and athena is not None:
        return athena.database
    return config.warehouse.schema_name


def dbt_vars(config: Config) -> dict[str, Any]:
    """The project vars that come from clickstream.yml.

    The engine's late-data limit is the ETL's freshness limit (both compare ingest and event time),
    so what the ETL keeps, the models keep. The sources are read where the loader writes them: on Athena
    that is the Glue database ``warehouse.athena.database`` (the loader ignores ``warehouse.schema``).
    """
    freshness = config.etl.freshness_hours
    return {
        "clickstream__project_id": config.project_id,
        "clickstream__days_late_allowed": None if freshness is None else freshness / 24,
        "clickstream__source_schema": source_schema(config),
        "clickstream__app_timezones": {app.id: app.timezone for app in config.apps},
        "clickstream__reader_role": config.dbt.reader_role,
    }


def dbt_environment(config: Config) -> dict[str, str]:
    """Variables the bundled profiles.yml reads."""
    return {
        "CLICKSTREAM_DBT_TARGET": config.dbt.target,
        "CLICKSTREAM_WAREHOUSE_PATH": str(config.warehouse_path),
        "CLICKSTREAM_DBT_THREADS": str(config.dbt.threads),
    }


def run_dbt(config: Config, args: list[str] | None = None) -> ModelResult:
    """``dbt <args>`` (default ``build``) on the project, with profile, vars and paths from ``config``.

    Artefacts and logs go under ``<home>/dbt/`` so runs of different homes never collide.
    """
    from dbt.cli.main import dbtRunner  # imported late: dbt takes a second to import

    args = list(args or ["build"])
    directory = project_dir(config)
    os.environ.update(dbt_environment(config))
    user_vars = dbt_vars(config)
    if "--vars" in args:  # merge the user's --vars over ours
        index = args.index("--vars")
        user_vars.update(_parse_vars(args[index + 1]))
        del args[index : index + 2]
    work = config.home / "dbt"
    command = [
        *args,
        "--project-dir", str(directory),
        "--profiles-dir", str(directory),
        "--vars", json.dumps(user_vars),
    ]  # fmt: skip
    if args and args[0] not in ("deps", "clean", "debug", "init"):
        command += ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    started = time.perf_counter()
    try:
        outcome = dbtRunner().invoke(command)
    finally:
        if config.dbt.target == "duckdb":
            _release_duckdb_file()
    result = ModelResult(command=" ".join(args), seconds=time.perf_counter() - started)
    statuses: Counter[str] = Counter()
    for node_result in getattr(outcome.result, "results", None) or []:
        status = str(getattr(node_result.status, "value", node_result.status))
        statuses[status] += 1
        if status in ("error", "fail"):
            result.failures.append(f"{node_result.node.name}: {node_result.message}")
    result.statuses = dict(statuses)
    if not outcome.success:
        detail = "; ".join(result.failures[:5]) or (
            str(outcome.exception) if outcome.exception else "see dbt's output above"
        )
        raise ModelError(f"dbt {result.command} failed: {detail}", hint=f"dbt logs are in {work / 'logs'}")
    return result


def _release_duckdb_file() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the life of the process.

    A long-lived process (`clickstream run --every`) would otherwise hold the file's write lock between
    cycles, and no analyst, dashboard or Studio query could open the warehouse. dbt-duckdb has no public
    call for this; its connection manager's class-level environment is what holds the database. Only safe
    between dbt invocations: nothing here runs dbt in two threads of one process.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb is not installed: nothing of it is open
        return
    guard = getattr(DuckDBConnectionManager, "_LOCK", None)
    if guard is None or not hasattr(DuckDBConnectionManager, "_ENV"):
        logger.warning("dbt-duckdb changed its internals: its database stays open until this process ends")
        return
    with guard:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if environment is not None:
        try:
            environment.close()
        except Exception:  # dbt's own outcome matters more than a failed close; the file is freed at exit
            logger.warning("closing dbt-duckdb's database failed", exc_info=True)


def _parse_vars(text: str) -> dict[str, Any]:
    import yaml

    parsed = yaml.safe_load(text)
    if not isinstance(parsed, dict):
        raise ConfigError("--vars must be a YAML or JSON mapping")
    return parsed
