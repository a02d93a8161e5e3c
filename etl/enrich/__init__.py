"""Per-event enrichment the transform calls: user agent, geo IP, traffic source, IP privacy.

Each enricher is a pure, cached object built once per worker process from the ``etl.enrichment``
settings; none of them does I/O per event. The rule tables under ``rules/`` are the original
system's defaults (Apache-2.0, LICENSE and NOTICE.txt beside them).
"""

from clickstream.etl.enrich.geo import GeoInfo, GeoResolver
from clickstream.etl.enrich.privacy import protect_ip
from clickstream.etl.enrich.traffic_source import (
    TrafficSource,
    TrafficSourceClassifier,
    TrafficSourceInput,
    sdk_traffic_source,
)
from clickstream.etl.enrich.user_agent import UserAgentInfo, UserAgentParser

__all__ = [
    "GeoInfo",
    "GeoResolver",
    "TrafficSource",
    "TrafficSourceClassifier",
    "TrafficSourceInput",
    "UserAgentInfo",
    "UserAgentParser",
    "protect_ip",
    "sdk_traffic_source",
]
