"""Lookups per second of each enricher on simulator traffic, cache hits and cache misses; prints a table.

Usage: python bench/enrichment.py [--users N] [--days D] [--distinct K]

"cached" replays the simulated events' own values (user agents, client IPs, traffic-source inputs)
through a warm enricher, as a worker sees real traffic after its first batch. "uncached" feeds K
distinct synthetic values to a fresh enricher, so every lookup is a miss: the cost of a new visitor.
The traffic-source "with input" row includes building TrafficSourceInput from the attributes, which the
transform pays per event. Budget: the ETL's throughput goal (docs/performance.md#the-etl) leaves a cache
hit room for little more than a dictionary lookup.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # as a script, bench/ comes first on the path and bench/etl.py would shadow etl/

from rich.table import Table  # noqa: E402

from bench.output import wide_console  # noqa: E402
from clickstream.etl.enrich.geo import GeoResolver  # noqa: E402
from clickstream.etl.enrich.privacy import protect_ip  # noqa: E402
from clickstream.etl.enrich.traffic_source import TrafficSourceClassifier, TrafficSourceInput  # noqa: E402
from clickstream.etl.enrich.user_agent import UserAgentParser  # noqa: E402
from clickstream.simulator.generator import SimulationSpec, iter_requests  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def timed(values: Sequence[Any], call: Callable[[Any], object]) -> float:
    started = time.perf_counter()
    for value in values:
        call(value)
    return time.perf_counter() - started


def simulated(users: int, days: int) -> tuple[list[str], list[str], list[tuple[dict[str, Any], str | None]]]:
    agents: list[str] = []
    ips: list[str] = []
    attributes: list[tuple[dict[str, Any], str | None]] = []
    for request in iter_requests(SimulationSpec(users=users, days=days, app_ids=("shop",))):
        for event in request.events:
            agents.append(request.user_agent)
            ips.append(request.ip)
            attributes.append((event.get("attributes") or {}, event.get("host_name")))
    return agents, ips, attributes


def distinct_agents(agents: Sequence[str], count: int) -> list[str]:
    """New strings that still look like browsers: the simulator's agents with a changing build number."""
    bases = sorted(set(agents))
    return [f"{bases[i % len(bases)]} Build/{i}.{i % 97}" for i in range(count)]


def distinct_ips(count: int) -> list[str]:
    rng = random.Random(7)
    return [
        f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(count)
    ]


def distinct_inputs(count: int) -> list[TrafficSourceInput]:
    referrers = ("https://www.google.com/search?q=shoes", "http://m.facebook.com/", "https://news.example.org/a", None)
    return [
        TrafficSourceInput(
            page_url=f"https://shop.example/p/{i}?utm_campaign=c{i % 50}" + ("&utm_source=mail" if i % 3 == 0 else ""),
            page_referrer=referrers[i % len(referrers)],
            latest_referrer=referrers[(i + 1) % len(referrers)],
        )
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--distinct", type=int, default=5000)
    args = parser.parse_args()

    agents, ips, attributes = simulated(args.users, args.days)
    rows: list[tuple[str, str, int, int, float]] = []

    def measure(name: str, mode: str, values: Sequence[Any], call: Callable[[Any], object]) -> None:
        seconds = timed(values, call)
        rows.append((name, mode, len(values), len(set(map(repr, values))), seconds))

    started = time.perf_counter()
    ua = UserAgentParser()
    ua_build = time.perf_counter() - started
    measure("user agent", "uncached", distinct_agents(agents, args.distinct), ua.parse)
    ua.parse(agents[0])
    measure("user agent", "cached", agents, ua.parse)

    started = time.perf_counter()
    geo = GeoResolver()
    geo_build = time.perf_counter() - started
    measure("geo ip", "uncached", distinct_ips(args.distinct), geo.lookup)
    timed(ips, geo.lookup)
    measure("geo ip", "cached", ips, geo.lookup)

    started = time.perf_counter()
    classifier = TrafficSourceClassifier()
    ts_build = time.perf_counter() - started
    measure("traffic source", "uncached", distinct_inputs(args.distinct), classifier.classify)
    inputs = [TrafficSourceInput.from_attributes(attrs, host) for attrs, host in attributes]
    timed(inputs, classifier.classify)
    measure("traffic source", "cached", inputs, classifier.classify)
    measure(
        "traffic source",
        "cached, with input",
        attributes,
        lambda pair: classifier.classify(TrafficSourceInput.from_attributes(pair[0], pair[1])),
    )

    fresh = distinct_ips(args.distinct)
    measure("ip privacy truncate", "uncached", fresh, lambda ip: protect_ip(ip, "truncate"))
    measure("ip privacy truncate", "cached", ips, lambda ip: protect_ip(ip, "truncate"))
    measure("ip privacy hash", "cached", ips, lambda ip: protect_ip(ip, "hash", "salt"))

    table = Table(title=f"Enrichment lookups ({platform.machine()}, {len(agents):,} simulated events)")
    for column in ("enricher", "mode", "lookups", "distinct", "lookups/s", "µs/lookup"):
        table.add_column(column, justify="left" if column in ("enricher", "mode") else "right")
    for name, mode, count, distinct, seconds in rows:
        table.add_row(
            name, mode, f"{count:,}", f"{distinct:,}", f"{count / seconds:,.0f}", f"{seconds / count * 1e6:.2f}"
        )
    console = wide_console()
    console.print(table)
    console.print(f"build once per worker: user agent {ua_build:.2f} s, geo {geo_build:.3f} s, rules {ts_build:.3f} s")

    RESULTS.mkdir(exist_ok=True)
    result = [
        {"enricher": n, "mode": m, "lookups": c, "distinct": d, "seconds": s, "per_second": c / s}
        for n, m, c, d, s in rows
    ]
    (RESULTS / "enrichment.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
