"""Dashboards from one spec: published to QuickSight, rendered offline as self-contained HTML.

The spec (``specs/``, loaded by ``spec.py``) drives both sides and the dbt exposures; see README.md for
which module does what. The command and the config key say ``dashboards``, what the user gets on
either side; the package keeps the design's name.

Public API, for the CLI and the pipeline (the modules behind it may move):

* :func:`bundled_dashboards`: the dashboards of the bundled spec;
* :func:`render_dashboards`: the offline HTML pages from the DuckDB warehouse;
* :func:`publish_dashboards` and :func:`plan_summary`: create or update them in QuickSight, or plan it;
* :func:`exposures_yaml`, :func:`exposures_path` and :func:`write_exposures`: the dbt exposures.

Each name is imported on first use, so importing the package loads none of its modules.
"""

from typing import TYPE_CHECKING

from clickstream.exports import lazy_exports

if TYPE_CHECKING:
    from quicksight.exposures import exposures_path, exposures_yaml, write_exposures
    from quicksight.publish import plan_summary, publish_dashboards
    from quicksight.render import render_dashboards
    from quicksight.spec import bundled_dashboards

__all__ = [
    "bundled_dashboards",
    "exposures_path",
    "exposures_yaml",
    "plan_summary",
    "publish_dashboards",
    "render_dashboards",
    "write_exposures",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "quicksight.exposures": "exposures_path exposures_yaml write_exposures",
        "quicksight.publish": "plan_summary publish_dashboards",
        "quicksight.render": "render_dashboards",
        "quicksight.spec": "bundled_dashboards",
    },
)
