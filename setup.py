"""The one build step pyproject.toml cannot declare stably: the ETL's optional compiled module.

``etl._columns`` converts rows to Arrow columns (see etl/native.py). It is optional: without a C compiler the
install still succeeds and the ETL takes pyarrow's path, with the same output. Everything else about the
package is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("etl._columns", sources=["etl/_columns.c"], optional=True)])
