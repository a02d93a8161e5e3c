"""One pydantic model of ``clickstream.yml``: one module per section, the root model and the loader.

The CLI loads it once and passes the object down; no stage reads files or environment variables for
configuration on its own. Every key has a default good enough for ``clickstream demo``, and every
error names the key, what was wrong and what is allowed. Callers import from this package, never
from its modules, so sections can move between modules without touching them.
"""

from clickstream.config._base import EndpointUrl
from clickstream.config.apps import AppConfig
from clickstream.config.dashboards import DashboardsConfig, QuickSightConfig, QuickSightRefreshConfig
from clickstream.config.dbt import DbtConfig
from clickstream.config.etl import EnrichmentConfig, EtlConfig, EtlPluginConfig
from clickstream.config.infra import InfraConfig
from clickstream.config.ingestion import AuthConfig, IngestionConfig, RateLimitConfig
from clickstream.config.loader import (
    CONFIG_ENV_VAR,
    CONFIG_FILE_NAME,
    find_config_file,
    load_config,
    parse_config,
    read_yaml_mapping,
)
from clickstream.config.oidc import OidcConfig
from clickstream.config.root import Config
from clickstream.config.sinks import KafkaSinkConfig, KinesisSinkConfig, S3SinkConfig, SinkRetryConfig
from clickstream.config.studio import StudioConfig, StudioPipelineConfig, StudioRolesConfig, StudioWarehouseConfig
from clickstream.config.warehouse import AthenaConfig, RedshiftConfig, WarehouseConfig

__all__ = [
    "CONFIG_ENV_VAR",
    "CONFIG_FILE_NAME",
    "AppConfig",
    "AthenaConfig",
    "AuthConfig",
    "Config",
    "DashboardsConfig",
    "DbtConfig",
    "EndpointUrl",
    "EnrichmentConfig",
    "EtlConfig",
    "EtlPluginConfig",
    "InfraConfig",
    "IngestionConfig",
    "KafkaSinkConfig",
    "KinesisSinkConfig",
    "OidcConfig",
    "QuickSightConfig",
    "QuickSightRefreshConfig",
    "RateLimitConfig",
    "RedshiftConfig",
    "S3SinkConfig",
    "SinkRetryConfig",
    "StudioConfig",
    "StudioPipelineConfig",
    "StudioRolesConfig",
    "StudioWarehouseConfig",
    "WarehouseConfig",
    "find_config_file",
    "load_config",
    "parse_config",
    "read_yaml_mapping",
]
