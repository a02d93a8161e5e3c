"""The ``clickstream`` command: the one place that knows every stage.

Each command loads the config, calls one stage's public function, and renders the result.
"""

from clickstream.cli.app import app, main

__all__ = ["app", "main"]
