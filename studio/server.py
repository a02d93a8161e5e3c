"""`clickstream studio`: serve the Studio with uvicorn, after checking where it may listen."""

from __future__ import annotations

import secrets

import uvicorn
from rich.console import Console

from clickstream.config import Config
from clickstream.errors import ConfigError
from clickstream.locks import cycle_lock_path, exclusive_lock
from clickstream.serving import publish_snapshot, snapshot_path
from clickstream.studio.app import create_app

LOOPBACK = ("127.0.0.1", "::1", "localhost")
PUBLISH_LOCK_SECONDS = 60.0  # how long --publish waits for a running cycle before giving up with LockBusy
console = Console(highlight=False)  # the server's own start-up lines (a stage does not reach into the CLI)


def serve(
    config: Config, host: str | None, port: int | None, publish: bool, log_level: str = "info",
    lock_timeout_seconds: float = PUBLISH_LOCK_SECONDS,
) -> None:  # fmt: skip
    """Run the Studio until interrupted; ``publish`` first copies the warehouse into a serving snapshot."""
    settings = config.studio
    host = host or settings.host
    port = settings.port if port is None else port
    if settings.auth == "local" and host not in LOOPBACK:
        raise ConfigError(
            f"--host {host}: studio.auth local has one password-protected user and binds to loopback only",
            hint="use --host 127.0.0.1, or set studio.auth: oidc with an issuer to serve other machines",
        )
    remote = config.warehouse.type != "duckdb"
    if publish and remote:
        raise ConfigError(
            f"--publish copies a DuckDB warehouse into a snapshot; warehouse.type is {config.warehouse.type}",
            hint="start without --publish: the Studio queries the Redshift or Athena warehouse directly",
        )
    if remote:
        console.print(
            f"studio: querying the {config.warehouse.type} warehouse directly "
            f"(dbt models in {settings.warehouse.schema_name})"
        )
    elif publish:
        # decision 26: a publish reads the warehouse, so it runs under the pipeline lock like a cycle's publish
        with exclusive_lock(cycle_lock_path(config), lock_timeout_seconds, "a pipeline cycle (studio --publish waits)"):
            published = publish_snapshot(config)
        console.print(f"studio: published {published.events:,} events to {published.path} ({published.seconds:.1f}s)")
    elif not snapshot_path(config).exists():
        console.print("studio: no serving snapshot yet; run `clickstream run` or start with --publish")
    password = None
    if settings.auth == "local" and settings.local_password is None:
        password = secrets.token_urlsafe(12)
        console.print(f"studio: local sign-in password for this run: [bold]{password}[/bold]")
    app = create_app(config, password=password)
    console.print(f"studio: http://{host}:{port}/ (OpenAPI description at /openapi.json, signed in)")
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False)
