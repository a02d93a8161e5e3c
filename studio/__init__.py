"""Analytics Studio: event, funnel, path, retention and attribution analyses without writing SQL.

`clickstream studio` serves the API (OpenAPI at /docs), the pages and the vendored ECharts. Queries run
on a read-only serving snapshot that each pipeline cycle publishes (see studio/snapshot.py), so the
Studio never contends with the cycle for the warehouse file.

Public API, for the CLI, the tests and the benchmarks (the modules behind it may move):

* :func:`serve`: run the Studio (``clickstream studio``) until interrupted;
* :func:`create_app`: the Studio's FastAPI application;
* :class:`Catalog`: the scanned metadata: events, custom parameters and user properties per app;
* :class:`SnapshotReader`: queries on the newest serving snapshot.

Each name is imported on first use, so importing the package loads none of its modules.
"""

from typing import TYPE_CHECKING

from clickstream.exports import lazy_exports

if TYPE_CHECKING:
    from clickstream.studio.app import create_app
    from clickstream.studio.catalog import Catalog
    from clickstream.studio.server import serve
    from clickstream.studio.snapshot import SnapshotReader

__all__ = ["Catalog", "SnapshotReader", "create_app", "serve"]

__getattr__ = lazy_exports(
    __name__,
    {
        "clickstream.studio.app": "create_app",
        "clickstream.studio.catalog": "Catalog",
        "clickstream.studio.server": "serve",
        "clickstream.studio.snapshot": "SnapshotReader",
    },
)
