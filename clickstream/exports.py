"""A package's public names, imported on first use (PEP 562), for the stages' ``__init__`` modules.

A stage lists its public API in ``__all__`` and says which module defines each name; reading a name
imports its module then, so importing the package (which every ``stage.module`` import does first)
loads nothing else, and a command that does not use a stage does not pay for its dependencies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """The module ``__getattr__`` of ``package``: ``homes`` maps a module to the names it exports.

    Names are space-separated; ``public=name`` exports the module's ``name`` as ``public`` (where the
    plain name is also a submodule's, which the package attribute would shadow).
    """
    exported: dict[str, tuple[str, str]] = {}
    for module, names in homes.items():
        for entry in names.split():
            public, _, name = entry.partition("=")
            exported[public] = (module, name or public)

    def __getattr__(name: str) -> object:
        if name not in exported:  # also how ``from package import submodule`` reaches the import system
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = exported[name]
        return getattr(import_module(module), attribute)

    return __getattr__
