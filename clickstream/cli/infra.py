"""`clickstream infra ...`: render, package, deploy, status and destroy the AWS deployment (docs/deploy-aws.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from clickstream.cli.render import console, errors, key_value_table
from clickstream.config import Config
from clickstream.errors import ClickstreamError

infra_app = typer.Typer(
    help="The AWS deployment as CloudFormation: render, package, deploy, status, destroy.", no_args_is_help=True
)

OutOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Build folder (default: infra.build_dir, else <home>/infra).")
]


def _config(ctx: typer.Context) -> Config:
    parent = ctx.find_root()
    config: Config = parent.obj
    return config


def _clients(config: Config) -> tuple[Any, Any, str]:
    import boto3

    session = boto3.session.Session(region_name=config.infra.region)
    if session.region_name is None:
        raise ClickstreamError("no AWS region", hint="set infra.region in clickstream.yml or AWS_REGION")
    return session.client("cloudformation"), session.client("s3"), session.region_name


@infra_app.command("render")
def render_command(ctx: typer.Context, out: OutOption = None) -> None:
    """Write the templates, the base config and parameters.json (offline)."""
    from clickstream.infra import render_templates

    rendered = render_templates(_config(ctx), out)
    for warning in rendered.warnings:
        errors.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(
        key_value_table(
            "infra render",
            [
                ("templates", f"{rendered.out_dir / 'templates'} ({len(rendered.templates)})"),
                ("base config", rendered.out_dir / "clickstream.base.yml"),
                ("parameters", f"{rendered.out_dir / 'parameters.json'} ({len(rendered.parameters)} set)"),
                ("still to set", ", ".join(rendered.missing) or "-"),
            ],
        )
    )


@infra_app.command("package")
def package_command(ctx: typer.Context, out: OutOption = None) -> None:
    """Build the artefacts: image context, EMR image context, Spark job zip, dbt bundle (offline, no docker)."""
    from clickstream.infra import package_stack

    packaged = package_stack(_config(ctx), out)
    for warning in packaged.rendered.warnings:
        errors.print(f"[yellow]warning:[/yellow] {warning}")
    keys = packaged.rendered.keys
    console.print(
        key_value_table(
            "infra package",
            [
                ("image context", packaged.out_dir / "image"),
                ("EMR image context", packaged.out_dir / "emr-image"),
                ("Spark code", keys.spark_code),
                ("Spark entry point", keys.spark_entry),
                ("base config", keys.base_config),
                ("dbt bundle", packaged.dbt_bundle_key),
                ("manifest", packaged.out_dir / "manifest.json"),
            ],
        )
    )
    console.print("next: build and push the two images (manifest.json, 'build'), then `clickstream infra deploy`")


@infra_app.command("deploy")
def deploy_command(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the change set, then delete it.")] = False,
    out: OutOption = None,
) -> None:
    """Upload the artefacts, make a change set, print it, execute it and follow the stack events."""
    from clickstream.infra import check_ready, deploy_stack, package_stack

    config = _config(ctx)
    packaged = package_stack(config, out)
    check_ready(packaged)
    cfn, s3, region = _clients(config)
    result = deploy_stack(cfn, s3, packaged, region, console.print, dry_run=dry_run)
    if result.executed:
        console.print(f"{result.stack_name}: {result.final_status}")


@infra_app.command("status")
def status_command(ctx: typer.Context) -> None:
    """The stack's status and outputs (the ingestion endpoint, buckets, Studio URL, ...)."""
    from clickstream.infra import stack_outputs

    config = _config(ctx)
    cfn, _, _ = _clients(config)
    status, pairs = stack_outputs(cfn, config.infra.stack_name)
    rows: list[tuple[str, object]] = list(pairs)
    console.print(key_value_table(f"{config.infra.stack_name}: {status}", rows))


@infra_app.command("destroy")
def destroy_command(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", help="Really delete the stack.")] = False,
) -> None:
    """Delete the stacks; the data and pipeline buckets and the Redshift namespace are kept."""
    from clickstream.infra import destroy_stack

    config = _config(ctx)
    if not yes:
        raise ClickstreamError(
            f"this deletes stack {config.infra.stack_name} and everything in it except the data",
            hint="add --yes to go ahead",
        )
    cfn, _, _ = _clients(config)
    destroy_stack(cfn, config.infra.stack_name, console.print)
