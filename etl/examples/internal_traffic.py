"""Example plugin: keep your own office or test traffic out of the tables.

Configure it in ``clickstream.yml``::

    etl:
      plugins:
        - name: internal_traffic
          options: {networks: ["203.0.113.0/24", "2001:db8::/32"]}

Events whose request came from one of the networks are rejected with reason ``internal_traffic`` (they
stay in the ``rejected`` table, so nothing is lost). It shows the plugin contract: read the transient
``_ip`` column, decide once per distinct value, and set ``_reject_reason`` for the rows to drop.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from clickstream.etl.plugins import mark_rejected

REASON = "internal_traffic"


class InternalTrafficFilter:
    """Rejects events sent from the configured networks."""

    name = "internal_traffic"

    def __init__(self, networks: Sequence[str]) -> None:
        if isinstance(networks, str) or not networks:
            raise TypeError("networks must be a non-empty list of CIDR networks such as 10.0.0.0/8")
        self.networks = [ipaddress.ip_network(network, strict=False) for network in networks]

    def _is_internal(self, ip: str | None) -> bool:
        if not ip:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def process(self, events: pa.Table) -> pa.Table:
        encoded = pc.dictionary_encode(events.column("_ip")).combine_chunks()
        internal = pa.array([self._is_internal(ip) for ip in encoded.dictionary.to_pylist()], pa.bool_())
        hit = pc.fill_null(pc.take(internal, encoded.indices), False)
        if not pc.any(hit).as_py():
            return events
        return mark_rejected(
            events, hit, REASON, "the request came from a network listed in the internal_traffic plugin"
        )
