"""Browser assets shipped with the package (no CDN): see README.md in this folder for versions and licences."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# Package data, wherever the package is installed; a folder on disk, since the Studio serves files from it.
ASSETS = Path(str(files(__name__)))


def echarts_js() -> str:
    """The minified Apache ECharts library, to inline into a self-contained page or serve as a static file."""
    return files(__name__).joinpath("echarts.min.js").read_text(encoding="utf-8")
