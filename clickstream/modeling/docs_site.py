"""`clickstream docs`: generate the dbt docs site for the models and serve it on a local port."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

from clickstream.config import Config
from clickstream.modeling.runner import run_dbt


def generate_docs(config: Config) -> Path:
    """``dbt docs generate`` (catalog from the warehouse); returns the folder holding index.html."""
    run_dbt(config, ["docs", "generate"])
    return config.home / "dbt" / "target"


def serve_docs(site: Path, host: str, port: int) -> None:
    """Serve the generated site until Ctrl-C (static files: index.html, manifest.json, catalog.json)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer((host, port), handler) as server:
        server.serve_forever()
