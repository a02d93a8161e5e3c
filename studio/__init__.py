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

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.app import create_app
    from studio.catalog import Catalog
    from studio.server import serve
    from studio.snapshot import SnapshotReader

__all__ = ["Catalog", "SnapshotReader", "create_app", "serve"]

_HOMES = {
    "Catalog": "studio.catalog",
    "SnapshotReader": "studio.snapshot",
    "create_app": "studio.app",
    "serve": "studio.server",
}


def __getattr__(name: str) -> object:
    if name not in _HOMES:  # submodules too (``from studio import model``): the import system then loads them
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
