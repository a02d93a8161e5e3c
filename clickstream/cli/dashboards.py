"""`clickstream dashboards ...`: render offline HTML, publish to QuickSight, regenerate dbt exposures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clickstream.cli.render import console
from clickstream.config import Config
from clickstream.errors import ClickstreamError

dashboards_app = typer.Typer(
    help="The preset dashboards from one spec (quicksight/spec/specs/): offline HTML and QuickSight.",
    no_args_is_help=True,
)


@dashboards_app.command("render")
def render(ctx: typer.Context) -> None:
    """Write one self-contained HTML file per dashboard and app to <home>/dashboards/ (DuckDB warehouse)."""
    from clickstream.quicksight import render_dashboards

    config: Config = ctx.obj
    for dashboard in render_dashboards(config):
        console.print(f"dashboards: {dashboard.title} -> {dashboard.path}")


@dashboards_app.command("publish")
def publish(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the planned QuickSight calls; change nothing (only look up).")
    ] = False,
    plan_file: Annotated[
        Path | None, typer.Option("--plan-file", help="With --dry-run: also write every planned request as JSON here.")
    ] = None,
) -> None:
    """Create or update the QuickSight data source, datasets, template, analysis, dashboards and folder."""
    import json

    from clickstream.quicksight import plan_summary, publish_dashboards

    config: Config = ctx.obj
    result = publish_dashboards(config, dry_run=dry_run)
    if dry_run:
        for line in plan_summary(result.calls):
            console.print(line, markup=False, soft_wrap=True)
        console.print(f"dashboards: {len(result.calls)} planned calls, each valid for the QuickSight API; none sent")
        if result.checked:
            console.print(
                "dashboards: existing resources were looked up (read-only calls): they are planned as updates"
            )
        else:
            console.print(
                "dashboards: existence NOT checked (no AWS credentials, or QuickSight unreachable): "
                "every resource is planned as a create; a real publish updates the ones that exist"
            )
        if plan_file is not None:
            plan = [{"operation": c.operation, "params": c.params} for c in result.calls]
            plan_file.write_text(json.dumps(plan, indent=2, default=str) + "\n", encoding="utf-8")
            console.print(f"dashboards: wrote the planned requests to {plan_file}")
        return
    for dashboard in result.dashboards:
        console.print(f"dashboards: {dashboard['title']} -> {dashboard['arn']} (version {dashboard['version']})")
    console.print(f"dashboards: wrote {result.record_path}")


@dashboards_app.command("exposures")
def exposures(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="Only check that exposures.yml is up to date.")] = False,
) -> None:
    """Regenerate dbt_project/models/exposures.yml from the dashboard spec."""
    from clickstream.modeling import project_dir
    from clickstream.quicksight import bundled_dashboards, exposures_path, exposures_yaml, write_exposures

    config: Config = ctx.obj
    directory: Path = project_dir(config)
    if check:
        path = exposures_path(directory)
        if not path.exists() or path.read_text(encoding="utf-8") != exposures_yaml(bundled_dashboards()):
            raise ClickstreamError(
                f"{path} differs from the dashboard spec", hint="run: clickstream dashboards exposures"
            )
        console.print(f"dashboards: {path} is up to date")
        return
    console.print(f"dashboards: wrote {write_exposures(bundled_dashboards(), directory)}")
