"""Infra: the AWS deployment, CloudFormation templates rendered from clickstream.yml and deployed.

``clickstream infra render`` derives the stack parameters, the base config every container reads and
the artefact keys, offline; ``package`` builds every artefact (the project image's build context, the
Spark job's files, the dbt bundle); ``deploy``, ``status`` and ``destroy`` drive CloudFormation change
sets with the clients passed in. The templates themselves live in ``templates/``.

Public API, for the CLI (the modules behind it may move). Three functions are exported under longer
names than in their modules, because ``render``, ``package`` and ``deploy`` are also the modules'
names, which a package attribute would shadow:

* :func:`render_templates` (``clickstream.infra.render.render``): the templates, base config and parameters;
* :func:`package_stack` (``clickstream.infra.package.package``): every artefact of a deployment;
* :func:`check_ready`: refuse while required stack parameters are unset;
* :func:`deploy_stack` (``clickstream.infra.deploy.deploy``), :func:`stack_outputs`
  (``clickstream.infra.deploy.outputs``) and :func:`destroy_stack` (``clickstream.infra.deploy.destroy``):
  the stack's change set, status and deletion.

Each name is imported on first use, so importing the package loads none of its modules.
"""

from typing import TYPE_CHECKING

from clickstream.exports import lazy_exports

if TYPE_CHECKING:
    from clickstream.infra.deploy import check_ready
    from clickstream.infra.deploy import deploy as deploy_stack
    from clickstream.infra.deploy import destroy as destroy_stack
    from clickstream.infra.deploy import outputs as stack_outputs
    from clickstream.infra.package import package as package_stack
    from clickstream.infra.render import render as render_templates

__all__ = ["check_ready", "deploy_stack", "destroy_stack", "package_stack", "render_templates", "stack_outputs"]

__getattr__ = lazy_exports(
    __name__,
    {
        "clickstream.infra.deploy": "check_ready deploy_stack=deploy destroy_stack=destroy stack_outputs=outputs",
        "clickstream.infra.package": "package_stack=package",
        "clickstream.infra.render": "render_templates=render",
    },
)
