"""The Python side of dbt: running the project, its environment, the files generated from the contract, its docs.

The dbt project itself is ``dbt_project/`` (installed as ``clickstream.dbt_project``). This package is the
model stage's code, a sibling of the other stages: it may import the core, and no other stage imports it.

* ``runner``: run dbt in-process against the configured target; its profile, vars and environment;
* ``sources``: the dbt sources and the source-columns macro, generated from clickstream/contract.py;
* ``columns``: each model yml's column descriptions, generated from the contract (a developer tool);
* ``docs_site``: the dbt docs site (``clickstream docs``).

Public API, for the CLI, the pipeline, the tests and the benchmarks:

* :func:`run_dbt`: one dbt command on the project, with :class:`ModelResult` (and :class:`NodeProblem` per
  failed or warned node);
* :func:`project_dir`, :func:`dbt_vars`, :func:`dbt_environment`, :func:`model_environment`,
  :func:`export_lines`: where the project is and what dbt is given;
* :func:`generate_docs`, :func:`serve_docs`: the docs site.

Each name is imported on first use, so importing the package loads none of its modules.
"""

from typing import TYPE_CHECKING

from clickstream.exports import lazy_exports

if TYPE_CHECKING:
    from clickstream.modeling.docs_site import generate_docs, serve_docs
    from clickstream.modeling.runner import (
        ModelResult,
        NodeProblem,
        dbt_environment,
        dbt_vars,
        export_lines,
        model_environment,
        project_dir,
        run_dbt,
    )

__all__ = [
    "ModelResult",
    "NodeProblem",
    "dbt_environment",
    "dbt_vars",
    "export_lines",
    "generate_docs",
    "model_environment",
    "project_dir",
    "run_dbt",
    "serve_docs",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "clickstream.modeling.docs_site": "generate_docs serve_docs",
        "clickstream.modeling.runner": (
            "ModelResult NodeProblem dbt_environment dbt_vars export_lines model_environment project_dir run_dbt"
        ),
    },
)
