"""How `clickstream model` runs dbt (`dbt`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from clickstream.config._base import _Section


class DbtConfig(_Section):
    """How `clickstream model` runs dbt."""

    project_dir: Path | None = Field(None, description="dbt project; default: the bundled dbt_project/")
    target: Literal["duckdb", "redshift", "athena"] | None = Field(
        None,
        description="dbt profile output; default (and the only value allowed): warehouse.type, which it follows.",
    )
    threads: int = Field(2, ge=1, le=32, description="dbt threads (models built at once).")
    reader_role: str | None = Field(
        None,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="Redshift: database role granted read access to the models after each run (the Studio's).",
    )
