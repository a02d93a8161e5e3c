"""The bundled dbt project, found as package data wherever the package is installed.

setup.py installs the repository's ``dbt_project/`` as the package ``clickstream.dbt_project``: a wheel holds
it under ``clickstream/dbt_project/``, an editable install maps it to the checkout's folder. Never the
repository's layout: an installed wheel has no repository around it.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from clickstream.errors import ClickstreamError

PACKAGE = "clickstream.dbt_project"


def dbt_project() -> Path:
    """The folder holding the bundled ``dbt_project.yml`` (dbt needs a real folder, not a zip member)."""
    try:
        folder = files(PACKAGE)
    except ModuleNotFoundError as error:
        raise ClickstreamError(
            f"the bundled dbt project ({PACKAGE}) is not installed",
            hint="reinstall clickstream-analytics (pip install -e . in a checkout), or set dbt.project_dir",
        ) from error
    if not isinstance(folder, Path):
        raise ClickstreamError(
            f"the bundled dbt project is inside an archive ({folder})",
            hint="install the package into a folder (pip install), or set dbt.project_dir",
        )
    return folder
