"""The one build step pyproject.toml cannot declare stably: the optional compiled modules.

``etl._columns`` converts rows to Arrow columns (see etl/native.py); ``clickstream._payload`` counts the events
of a request body without parsing it (see clickstream/payload.py). Both are optional: without a C compiler the
install still succeeds and the pure-Python paths run, with the same results. Everything else about the
package is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("etl._columns", sources=["etl/_columns.c"], optional=True),
        Extension("clickstream._payload", sources=["clickstream/_payload.c"], optional=True),
    ]
)
