"""What pyproject.toml cannot declare stably: the optional compiled modules and the bundled dbt project.

The wheel installs one import package, ``clickstream``. The stage folders at the repository root
(``ingestion/``, ``etl/``, ``loader/``, ``quicksight/``, ``infra/``, ``studio/``) are reached through the
symbolic links ``clickstream/<stage>`` (docs/decisions.md, "One import namespace"), so package discovery
finds them as ``clickstream.<stage>`` and the wheel holds them there.

``clickstream.etl._columns`` converts rows to Arrow columns (see etl/native.py); ``clickstream._payload``
counts the events of a request body without parsing it (see clickstream/payload.py). Both are optional:
without a C compiler the install still succeeds and the pure-Python paths run, with the same results.

The dbt project stays at the repository root (analysts run ``dbt build`` from ``dbt_project/``) and is
installed as the package ``clickstream.dbt_project``, so that ``importlib.resources`` finds it in a wheel and
in an editable install alike (clickstream/bundled.py). Its folders are listed as packages so that setuptools
installs their files as package data; MANIFEST.in says which files (and keeps dbt's output out). Everything
else about the package is in pyproject.toml.
"""

from pathlib import Path

from setuptools import Extension, find_namespace_packages, setup

DBT_PACKAGE = "clickstream.dbt_project"
DBT_FOLDER = Path("dbt_project")
# dbt's own output and installed packages: never part of the project that ships.
DBT_OUTPUT = {"target", "logs", "dbt_packages", "__pycache__"}


def dbt_packages() -> list[str]:
    found = [DBT_PACKAGE]
    for folder in sorted(DBT_FOLDER.rglob("*")):
        relative = folder.relative_to(DBT_FOLDER)
        if folder.is_dir() and not DBT_OUTPUT & set(relative.parts):
            found.append(".".join((DBT_PACKAGE, *relative.parts)))
    return found


setup(
    packages=[*find_namespace_packages(include=["clickstream*"], exclude=["*__pycache__*"]), *dbt_packages()],
    package_dir={DBT_PACKAGE: str(DBT_FOLDER)},
    ext_modules=[
        Extension("clickstream.etl._columns", sources=["etl/_columns.c"], optional=True),
        Extension("clickstream._payload", sources=["clickstream/_payload.c"], optional=True),
    ],
)
