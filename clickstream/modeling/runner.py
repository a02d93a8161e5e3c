"""Running dbt on the bundled project (`clickstream model`) through dbt's Python entry point."""

from __future__ import annotations

import json
import logging
import os
import shlex
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clickstream import bundled
from clickstream.config import AthenaConfig, Config, RedshiftConfig
from clickstream.errors import ConfigError, InputError, ModelError

logger = logging.getLogger("clickstream.modeling")


@dataclass
class ModelResult:
    """What one dbt invocation did: counts of node results by status."""

    command: str
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    problems: list[NodeProblem] = field(default_factory=list)

    @property
    def failures(self) -> list[NodeProblem]:
        return [problem for problem in self.problems if problem.status != "warn"]


@dataclass(frozen=True)
class NodeProblem:
    """A node that failed, errored or warned, with dbt's whole message and its compiled SQL when there is one."""

    name: str
    status: str
    message: str
    compiled_path: str | None = None


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


# The environment variable each var of dbt_vars() is read from in dbt_project.yml (env_var with the
# project's default), so plain `dbt` run with dbt_environment() sees what `clickstream model` passes.
VAR_ENVIRONMENT = {
    "clickstream__project_id": "CLICKSTREAM_DBT_PROJECT_ID",
    "clickstream__days_late_allowed": "CLICKSTREAM_DBT_DAYS_LATE_ALLOWED",
    "clickstream__source_schema": "CLICKSTREAM_DBT_SOURCE_SCHEMA",
    "clickstream__app_timezones": "CLICKSTREAM_DBT_APP_TIMEZONES",
    "clickstream__reader_role": "CLICKSTREAM_DBT_READER_ROLE",
}
# profiles.yml: how often dbt-duckdb opens the file before giving up. It retries any IO error, and a
# wrong path is one, so plain dbt tries once; `clickstream model` checks the path, then waits for a lock.
CONNECT_ATTEMPTS_VARIABLE = "CLICKSTREAM_DBT_CONNECT_ATTEMPTS"
MODEL_CONNECT_ATTEMPTS = 5  # waits 1+2+4+8 s for a reader holding the DuckDB file
# dbt commands that open the warehouse and so need the DuckDB file to exist.
_WAREHOUSE_COMMANDS = ("build", "run", "test", "seed", "snapshot", "source", "docs", "show", "retry", "run-operation")


def dbt_environment(config: Config, secrets_client: Any = None) -> dict[str, str]:
    """Every variable the bundled dbt_project.yml and profiles.yml read, from ``config``.

    `clickstream model` sets them for its own dbt call and `clickstream dbt-env` prints them, so both ways
    into dbt see one configuration. On Redshift with ``secret_arn`` the secret is read here
    (``secrets_client``: a Secrets Manager client, default one from the AWS SDK's own lookup).
    """
    environment = {
        "CLICKSTREAM_DBT_TARGET": config.dbt_target,
        "CLICKSTREAM_WAREHOUSE_PATH": str(config.warehouse_path),
        "CLICKSTREAM_DBT_THREADS": str(config.dbt.threads),
    }
    for name, value in dbt_vars(config).items():
        environment[VAR_ENVIRONMENT[name]] = _environment_text(value)
    redshift, athena = config.warehouse.redshift, config.warehouse.athena
    if config.dbt_target == "redshift" and redshift is not None:
        environment.update(redshift_environment(redshift, secrets_client))
    if config.dbt_target == "athena" and athena is not None:
        environment.update(athena_environment(athena))
    return environment


def _environment_text(value: Any) -> str:
    """A var as text dbt_project.yml reads back: null is empty, mappings are JSON."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def redshift_environment(redshift: RedshiftConfig, secrets_client: Any = None) -> dict[str, str]:
    """profiles.yml's Redshift login, the same the loader uses.

    The loader goes through the Data API, which needs no endpoint; dbt connects to one, so REDSHIFT_HOST
    comes from the environment (or from the secret when it holds ``host``). ``db_user`` on a cluster:
    IAM temporary credentials (method iam); a workgroup without a secret: the caller's IAM identity
    (method iam_role); ``secret_arn``: the user and password it holds (method database).
    """
    environment = {"REDSHIFT_DATABASE": redshift.database}
    if redshift.region:
        environment["REDSHIFT_REGION"] = redshift.region
    if redshift.cluster_identifier:
        environment["REDSHIFT_CLUSTER_ID"] = redshift.cluster_identifier
    if redshift.workgroup_name:
        environment["REDSHIFT_WORKGROUP"] = redshift.workgroup_name
    if redshift.secret_arn:
        environment["REDSHIFT_METHOD"] = "database"
        environment.update(_secret_login(redshift, secrets_client))
    elif redshift.db_user:
        environment.update(REDSHIFT_METHOD="iam", REDSHIFT_USER=redshift.db_user)
    else:
        environment["REDSHIFT_METHOD"] = "iam_role"
    return environment


def _secret_login(redshift: RedshiftConfig, client: Any) -> dict[str, str]:
    """User and password (and host and port when present) of a Redshift secret in Secrets Manager."""
    from botocore.exceptions import BotoCoreError, ClientError

    if client is None:
        import boto3

        client = boto3.session.Session().client(
            "secretsmanager", region_name=redshift.region, endpoint_url=redshift.endpoint_url
        )
    try:
        text = client.get_secret_value(SecretId=redshift.secret_arn)["SecretString"]
        secret = json.loads(text)
    except (BotoCoreError, ClientError, KeyError, ValueError) as exc:
        raise ConfigError(
            f"warehouse.redshift.secret_arn: cannot read the secret {redshift.secret_arn}: {exc}",
            hint="the secret must be a JSON string with username and password, readable by your AWS identity",
        ) from None
    if not isinstance(secret, dict) or not {"username", "password"} <= secret.keys():
        raise ConfigError(
            f"warehouse.redshift.secret_arn: the secret {redshift.secret_arn} has no username and password",
            hint='store the Redshift login as JSON: {"username": ..., "password": ...}',
        )
    login = {"REDSHIFT_USER": str(secret["username"]), "REDSHIFT_PASSWORD": str(secret["password"])}
    if secret.get("host") and not os.environ.get("REDSHIFT_HOST"):
        login["REDSHIFT_HOST"] = str(secret["host"])
    if secret.get("port") and not os.environ.get("REDSHIFT_PORT"):
        login["REDSHIFT_PORT"] = str(secret["port"])
    return login


def athena_environment(athena: AthenaConfig) -> dict[str, str]:
    """profiles.yml's Athena settings that clickstream.yml knows: the region and the endpoint.

    The work group, the query result location and the models' Glue database stay the environment's
    (ATHENA_WORK_GROUP, ATHENA_S3_STAGING_DIR, ATHENA_SCHEMA): they belong to the account, not to the
    pipeline.
    """
    environment = {}
    if athena.region:
        environment["ATHENA_REGION"] = athena.region
    if athena.endpoint_url:
        environment["ATHENA_ENDPOINT_URL"] = athena.endpoint_url
    return environment


def model_environment(config: Config) -> dict[str, str]:
    """dbt_environment() plus what only `clickstream model` may set: it has checked the warehouse path,
    so a failed open is a lock holder worth waiting for."""
    return {**dbt_environment(config), CONNECT_ATTEMPTS_VARIABLE: str(MODEL_CONNECT_ATTEMPTS)}


def require_warehouse(config: Config, args: list[str]) -> None:
    """Before dbt opens a DuckDB warehouse: one error when the file is missing (dbt would create an
    empty one, or wait on retries when its folder is missing too)."""
    if config.dbt_target != "duckdb" or not args or args[0] not in _WAREHOUSE_COMMANDS:
        return
    path = config.warehouse_path
    if not path.is_file():
        raise InputError(
            f"warehouse.path: the DuckDB warehouse {path} does not exist",
            hint="run `clickstream load` first (it creates the warehouse), or set warehouse.path to the file it wrote",
        )


def export_lines(environment: dict[str, str]) -> list[str]:
    """``export NAME='value'`` lines a POSIX shell can eval."""
    return [f"export {name}={shlex.quote(value)}" for name, value in sorted(environment.items())]


def run_dbt(
    config: Config,
    args: list[str] | None = None,
    *,
    quiet: bool = False,
    on_event: Callable[[Any], None] | None = None,
) -> ModelResult:
    """``dbt <args>`` (default ``build``) on the project, with profile, vars and paths from ``config``.

    Artefacts and logs go under ``<home>/dbt/`` so runs of different homes never collide. ``quiet`` keeps
    dbt's own lines off the terminal (its log file still has them all); ``on_event`` receives every dbt
    event, for a caller that renders progress itself.
    """
    from dbt.cli.main import dbtRunner  # imported late: dbt takes a second to import

    args = list(args or ["build"])
    directory = project_dir(config)
    require_warehouse(config, args)
    os.environ.update(model_environment(config))
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
    if quiet:
        command += ["--log-level", "none"]
    started = time.perf_counter()
    try:
        outcome = dbtRunner(callbacks=[on_event] if on_event else None).invoke(command)
    finally:
        if config.dbt_target == "duckdb":
            _release_duckdb_file()
    result = ModelResult(command=" ".join(args), seconds=time.perf_counter() - started)
    statuses: Counter[str] = Counter()
    for node_result in getattr(outcome.result, "results", None) or []:
        status = str(getattr(node_result.status, "value", node_result.status))
        statuses[status] += 1
        if status in ("error", "fail", "warn"):
            node = node_result.node
            compiled = getattr(node, "compiled_path", None)
            sql = str(directory / compiled) if compiled else None
            result.problems.append(NodeProblem(node.name, status, str(node_result.message or ""), sql))
    result.statuses = dict(statuses)
    if not outcome.success:
        detail = "; ".join(f"{p.name}: {p.message}" for p in result.failures[:5]) or (
            str(outcome.exception) if outcome.exception else "see dbt's log"
        )
        raise ModelError(
            f"dbt {result.command} failed: {detail}", hint=f"dbt logs are in {work / 'logs'}", result=result
        )
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
