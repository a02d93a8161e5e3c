"""The Typer application: one command per stage, plus `run` (a cycle) and `demo` (everything)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from clickstream.cli.dashboards import dashboards_app
from clickstream.cli.infra import infra_app
from clickstream.cli.pipeline import etl_step, load_step, model_step
from clickstream.cli.render import console, errors, key_value_table, progress_bar
from clickstream.config import CONFIG_ENV_VAR, Config, load_config
from clickstream.errors import ClickstreamError
from clickstream.pipeline.steps import EtlRunner
from clickstream.ports import require_free_port

app = typer.Typer(
    name="clickstream",
    help="Self-hosted clickstream analytics: collect SDK events, transform, load and model them with dbt.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


MIN_EVERY_SECONDS = 10  # below this, `run --every` is refused unless forced
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Show dbt's own lines instead of a progress bar and a summary.")
]


def _config(ctx: typer.Context) -> Config:
    config: Config = ctx.obj
    return config


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"clickstream {version('clickstream-analytics')}")
        raise typer.Exit()


@app.callback()
def _load(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help=f"Config file (default: ${CONFIG_ENV_VAR}, else ./clickstream.yml, else defaults)."
        ),
    ] = None,
    show_version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_show_version, is_eager=True)
    ] = False,
) -> None:
    if ctx.resilient_parsing or ctx.invoked_subcommand == "demo":
        ctx.obj = config
        return
    ctx.obj = load_config(config)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default: ingestion.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: ingestion.port).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the SDK-compatible collector: POST <ingestion.path>, GET /ping, GET /health."""
    from clickstream.ingestion import serve as run_server

    config = _config(ctx)
    bind_host, bind_port = host or config.ingestion.host, port if port is not None else config.ingestion.port
    require_free_port(bind_host, bind_port, "ingestion.port")
    console.print(
        f"serve: http://{bind_host}:{bind_port}"
        f"{config.ingestion.path} for apps {', '.join(config.app_ids)}; raw files under {config.storage_root}/raw"
    )
    run_server(config, host, port, log_level)


@app.command()
def simulate(
    ctx: typer.Context,
    users: Annotated[int, typer.Option(min=1, help="Number of users (devices).")] = 200,
    days: Annotated[int, typer.Option(min=1, help="Days of history ending now.")] = 7,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed sends the same traffic.")] = 42,
    endpoint: Annotated[
        str | None, typer.Option(help="Collector URL (default: from ingestion.host/port/path).")
    ] = None,
    to_raw: Annotated[
        bool, typer.Option("--to-raw", help="Write raw files under home instead of sending HTTP.")
    ] = False,
    concurrency: Annotated[int, typer.Option(min=1, help="HTTP connections in parallel.")] = 4,
    duplicate_rate: Annotated[
        float, typer.Option(min=0, max=1, help="Share of requests sent twice (SDK retries).")
    ] = 0.01,
) -> None:
    """Send realistic Web, Android and iOS SDK traffic (or write it as raw files for benchmarks)."""
    from clickstream.simulator.generator import SimulationSpec, iter_requests
    from clickstream.simulator.sender import send_http, write_raw
    from clickstream.storage import Storage

    config = _config(ctx)
    spec = SimulationSpec(
        users=users, days=days, seed=seed, app_ids=tuple(config.app_ids), duplicate_rate=duplicate_rate
    )
    requests = list(iter_requests(spec))
    with progress_bar("simulate") as update:
        if to_raw:
            stats = write_raw(
                requests, Storage(config.storage_root), on_progress=lambda s: update(s.requests, len(requests))
            )
        else:
            url = endpoint or f"http://{config.ingestion.host}:{config.ingestion.port}{config.ingestion.path}"
            stats = send_http(requests, url, concurrency, on_progress=lambda s: update(s.requests, len(requests)))
    console.print(
        key_value_table(
            "simulate",
            [
                ("requests", stats.requests),
                ("of which SDK retries", stats.duplicate_requests),
                ("failed requests", stats.failed_requests),
                ("events (distinct)", stats.events),
                ("sessions", len(stats.sessions)),
                ("users", len(stats.users)),
                ("seconds", f"{stats.seconds:.1f}"),
                ("requests/s", f"{stats.requests / stats.seconds:,.0f}" if stats.seconds else "-"),
            ],
        )
    )
    if stats.failed_requests:
        raise ClickstreamError(f"{stats.failed_requests} requests failed; last error: {stats.last_error}",
                               hint="is `clickstream serve` running at that endpoint?")  # fmt: skip


@app.command()
def etl(
    ctx: typer.Context,
    reprocess: Annotated[
        bool, typer.Option(help="Process every raw file again; each input's outputs are replaced, not duplicated.")
    ] = False,
    runner: Annotated[
        EtlRunner, typer.Option(help="local: a process pool on this machine; spark: the same transform on Spark.")
    ] = EtlRunner.LOCAL,
    spark_master: Annotated[
        str | None,
        typer.Option(help="Spark master for --runner spark, e.g. local[4] (default: local mode, etl.workers cores)."),
    ] = None,
) -> None:
    """Transform new raw files into event_v2, item_v2 and user_v2 Parquet (rejects kept with a reason)."""
    etl_step(_config(ctx), reprocess=reprocess, runner=runner, spark_master=spark_master)


@app.command()
def load(ctx: typer.Context) -> None:
    """Load new processed Parquet files into the warehouse, each file exactly once."""
    load_step(_config(ctx))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def model(ctx: typer.Context, verbose: VerboseOption = False) -> None:
    """Run dbt on the models (default `dbt build`); extra arguments go to dbt, e.g. `model run -s fct_events`."""
    model_step(_config(ctx), list(ctx.args) or None, verbose=verbose)


@app.command("dbt-env")
def dbt_env(ctx: typer.Context) -> None:
    """Print the shell exports for plain dbt: `eval "$(clickstream dbt-env)"`, then `dbt build` from any folder.

    They are the variables `clickstream model` sets (profile, target, warehouse, vars of clickstream.yml),
    so plain dbt builds the same tables. On Redshift with a secret they hold its password.
    """
    from clickstream.modeling import dbt_environment, export_lines, project_dir

    config = _config(ctx)
    directory = project_dir(config)
    environment = {
        **dbt_environment(config),
        "DBT_PROJECT_DIR": str(directory),
        "DBT_PROFILES_DIR": str(directory),
        # the bundled project may be read-only (an installed package): dbt writes where `clickstream model` does
        "DBT_TARGET_PATH": str(config.home / "dbt" / "target"),
        "DBT_LOG_PATH": str(config.home / "dbt" / "logs"),
    }
    typer.echo("\n".join(export_lines(environment)))


app.add_typer(infra_app, name="infra")
app.add_typer(dashboards_app, name="dashboards")

metadata_app = typer.Typer(help="The metadata catalog the meta_* models scan.", no_args_is_help=True)
app.add_typer(metadata_app, name="metadata")


@metadata_app.command("export")
def metadata_export(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="JSON file to write (default: stdout).")] = None,
) -> None:
    """Write the merged metadata catalog (scanned counts and values + static descriptions) as JSON."""
    from clickstream.metadata import export_metadata

    catalog = export_metadata(_config(ctx), output)
    if output is not None:
        console.print(
            f"metadata: {len(catalog['events'])} events, {len(catalog['eventParameters'])} event parameters, "
            f"{len(catalog['userAttributes'])} user attributes -> {output}"
        )


@app.command()
def docs(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8580,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the site after generating it.")] = True,
) -> None:
    """Generate the dbt docs site (models, columns, lineage, exposures) and serve it until Ctrl-C."""
    from clickstream.modeling import generate_docs, serve_docs

    if serve:
        require_free_port(host, port)
    site = generate_docs(_config(ctx))
    console.print(f"docs: generated {site / 'index.html'}")
    if serve:
        console.print(f"docs: http://{host}:{port}/ (Ctrl-C to stop)")
        serve_docs(site, host, port)


@app.command()
def run(
    ctx: typer.Context,
    every: Annotated[
        str | None,
        typer.Option(help="Keep running: a cycle every interval, e.g. 1m, 5m, 1h (default: one cycle and exit)."),
    ] = None,
    max_cycles: Annotated[
        int | None,
        typer.Option(min=1, help="With --every: stop after this many intervals; exit non-zero unless all ran cleanly."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=f"Allow --every below {MIN_EVERY_SECONDS} seconds.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Pipeline cycles: etl, load, dbt build, metadata export, offline dashboards; one at a time, recorded.

    A failed stage keeps the last good state, skips the stages after it, and is retried next cycle.
    """
    from clickstream.cli.cycle import ConsoleObserver
    from clickstream.pipeline.cycle import run_cycle, run_every
    from clickstream.pipeline.intervals import parse_interval
    from clickstream.pipeline.results import OK, SKIPPED, summary_line

    config = _config(ctx)
    observer = ConsoleObserver(config, verbose)
    if every is None:
        report = run_cycle(config, verbose=verbose, observer=observer)
        console.print(summary_line(report))
        if not report.ok:
            failed = ", ".join(
                f"{stage.name} ({stage.status})" for stage in report.stages if stage.status not in (OK, SKIPPED)
            )
            raise ClickstreamError(f"the cycle failed at: {failed}", hint="fix the cause shown above and run again")
        return
    interval = parse_interval(every)
    if interval < MIN_EVERY_SECONDS and not force:
        raise typer.BadParameter(
            f"{every!r} is under {MIN_EVERY_SECONDS} seconds: a cycle (etl, load, dbt build) takes longer, so cycles "
            "would run back to back; give 1m or more, or add --force",
            param_hint="--every",
        )
    console.print(f"run: a cycle every {every}; Ctrl-C or SIGTERM to stop")
    reports = run_every(config, interval, max_cycles, verbose, observer)
    if max_cycles is not None and (len(reports) < max_cycles or not all(report.ok for report in reports)):
        raise ClickstreamError(
            f"{sum(report.ok for report in reports)} of {max_cycles} cycles ran cleanly",
            hint="see the stage errors above, and the run history table ods._pipeline_runs",
        )


@app.command()
def studio(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default: studio.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: studio.port).")] = None,
    publish: Annotated[
        bool, typer.Option("--publish", help="First copy the DuckDB warehouse into a fresh serving snapshot.")
    ] = False,
) -> None:
    """Serve Analytics Studio: event, funnel, path, retention and attribution analyses, metadata, dashboards."""
    from clickstream.studio import serve as serve_studio

    config = _config(ctx)
    require_free_port(host or config.studio.host, port if port is not None else config.studio.port, "studio.port")
    serve_studio(config, host, port, publish)


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Work folder, emptied first if an earlier demo made it.")
    ] = Path(".clickstream-demo"),
    users: Annotated[int, typer.Option(min=1, help="Users to simulate.")] = 200,
    days: Annotated[int, typer.Option(min=1, help="Days of history.")] = 7,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 42,
) -> None:
    """Everything on this machine: collector, simulated traffic over HTTP, etl, load, dbt build, dashboards."""
    from clickstream.cli.demo import ConsoleDemoObserver, print_demo
    from clickstream.pipeline.demo import run_demo

    result = run_demo(directory, users, days, seed, ConsoleDemoObserver())
    print_demo(result, result.workdir / "warehouse.duckdb")
    if not result.matches:
        raise ClickstreamError("the tables do not hold what was sent", hint="see the table above")


def main() -> None:
    """Entry point: run the app, turning our errors into one line plus a hint."""
    try:
        app(standalone_mode=False)
    except ClickstreamError as error:
        errors.print(f"[red]error:[/red] {error.message}")
        if error.hint:
            errors.print(f"[yellow]hint:[/yellow] {error.hint}")
        raise SystemExit(error.exit_code) from None
    except (typer.Abort, KeyboardInterrupt):
        errors.print("aborted")
        raise SystemExit(130) from None
    except typer.Exit as exit_:
        raise SystemExit(exit_.exit_code) from None
    except Exception as exc:
        if isinstance(exc, _usage_errors()):  # click's message (or the help), exit 2, no traceback
            usage: Any = exc
            usage.show()
            if getattr(exc, "option_name", None) in ("--config", "-c"):  # a global option after the command
                errors.print("[yellow]hint:[/yellow] --config goes before the command: clickstream --config FILE etl")
            raise SystemExit(usage.exit_code) from None
        raise


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's usage errors, from click and from the copy of click newer typer versions bundle."""
    import click

    classes: list[type[Exception]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException as BundledClickException
    except ImportError:  # a typer that uses click itself
        return tuple(classes)
    return (*classes, BundledClickException)
