"""Finding, reading and validating ``clickstream.yml``: file lookup, relative paths and one-line errors."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from clickstream.config.root import Config
from clickstream.errors import ConfigError

CONFIG_FILE_NAME = "clickstream.yml"
CONFIG_ENV_VAR = "CLICKSTREAM_CONFIG"


def _resolve_paths(config: Config, base: Path) -> Config:
    """Make every relative path absolute against ``base`` (the config file's folder)."""

    def absolute(path: Path) -> Path:
        return path if path.is_absolute() else (base / path).resolve()

    warehouse = config.warehouse
    if warehouse.path is not None:
        warehouse = warehouse.model_copy(update={"path": absolute(warehouse.path)})
    dbt = config.dbt
    if dbt.project_dir is not None:
        dbt = dbt.model_copy(update={"project_dir": absolute(dbt.project_dir)})
    enrichment = config.etl.enrichment
    enrichment = enrichment.model_copy(
        update={
            key: absolute(getattr(enrichment, key))
            for key in ("geo_database", "traffic_source_rules_dir")
            if getattr(enrichment, key) is not None
        }
    )
    etl = config.etl.model_copy(update={"enrichment": enrichment})
    infra = config.infra
    if infra.build_dir is not None:
        infra = infra.model_copy(update={"build_dir": absolute(infra.build_dir)})
    data_root = config.data_root
    if data_root is not None and "://" not in data_root:
        data_root = str(absolute(Path(data_root)))
    return config.model_copy(
        update={
            "home": absolute(config.home),
            "data_root": data_root,
            "warehouse": warehouse,
            "dbt": dbt,
            "etl": etl,
            "infra": infra,
        }
    )


def _describe(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, error["loc"][:-1])
        suffix = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return f"{key}: unknown key{suffix}"
    message = re.sub(r"^Value error, ", "", error["msg"])
    return f"{key}: {message}"


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if isinstance(current, type) and issubclass(current, BaseModel) else None
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        current = next((a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if current is None:
            return []
    return [field.alias or name for name, field in current.model_fields.items()]


def parse_config(data: Mapping[str, Any] | None, base: Path, source: str = "configuration") -> Config:
    """Validate a mapping as a :class:`Config`; relative paths resolve against ``base``."""
    try:
        config = Config.model_validate(dict(data or {}))
    except ValidationError as exc:
        problems = [_describe(error, Config) for error in exc.errors()]
        raise ConfigError(
            f"invalid {source}: " + "; ".join(problems),
            hint="fix the key(s) named above; see docs/configuration.md",
        ) from None
    return _resolve_paths(config, base)


def find_config_file(explicit: Path | None, environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The file to read: ``--config``, else ``$CLICKSTREAM_CONFIG``, else ``./clickstream.yml`` if present."""
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV_VAR):
        return Path(environ[CONFIG_ENV_VAR])
    candidate = cwd / CONFIG_FILE_NAME
    return candidate if candidate.exists() else None


def load_config(
    explicit: Path | None = None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Config:
    """Load and validate the configuration; with no file at all, the defaults (rooted at ``cwd``)."""
    cwd = cwd or Path.cwd()
    path = find_config_file(explicit, os.environ if environ is None else environ, cwd)
    if path is None:
        return parse_config({}, cwd, "defaults")
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist", hint=f"create it, or unset {CONFIG_ENV_VAR} / --config")
    data = read_yaml_mapping(path, f"config file {path}")
    return parse_config(data, path.parent.resolve(), str(path))


def read_yaml_mapping(path: Path, what: str) -> dict[str, Any] | None:
    """A YAML file holding a mapping (None when empty); a ConfigError naming ``what`` otherwise."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} is not valid YAML: {exc}", hint="check indentation and quoting") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{what} must hold a mapping of keys, not {type(data).__name__}")
    return data
