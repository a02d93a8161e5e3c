"""Browser assets shipped with the package (no CDN): see README.md in this folder for versions and licences."""

from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).resolve().parent


def echarts_js() -> str:
    """The minified Apache ECharts library, to inline into a self-contained page or serve as a static file."""
    return (ASSETS / "echarts.min.js").read_text(encoding="utf-8")
