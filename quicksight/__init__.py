"""Dashboards from one spec: published to QuickSight on AWS, rendered offline as self-contained HTML.

Why ``dashboards`` outside and ``quicksight`` here: one spec drives two outputs, the QuickSight
dashboards on AWS and the offline HTML pages from the DuckDB warehouse, so the command
(``clickstream dashboards``) and the config key (``dashboards:``) name what the user gets on either
side. ``quicksight/`` is the design's name for this stage, and the package keeps it.

Three rooms, and which may import which (see README.md for each module's job):

* ``spec/``: the spec's model and loading, the YAML under ``spec/specs/``, and the dbt exposures it
  generates; imports no other room;
* ``publisher/``: the QuickSight API definitions and the create-or-update calls; imports ``spec``;
* ``offline/``: the DuckDB extracts, the HTML page and its ``assets/``; imports ``spec``;
* ``output.py``: the ``<home>/dashboards/`` folder both outputs write to, so that neither imports the other.

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
    from clickstream.quicksight.offline.render import render_dashboards
    from clickstream.quicksight.publisher.publish import plan_summary, publish_dashboards
    from clickstream.quicksight.spec.exposures import exposures_path, exposures_yaml, write_exposures
    from clickstream.quicksight.spec.load import bundled_dashboards

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
        "clickstream.quicksight.offline.render": "render_dashboards",
        "clickstream.quicksight.publisher.publish": "plan_summary publish_dashboards",
        "clickstream.quicksight.spec.exposures": "exposures_path exposures_yaml write_exposures",
        "clickstream.quicksight.spec.load": "bundled_dashboards",
    },
)
