"""Collector throughput and latency on loopback with wrk; prints a table, writes JSON.

Usage: python bench/ingestion.py [--duration S] [--connections C[,C...]] [--workers W] [--only a,b] [--rounds N]

Every scenario gets the same load: `wrk` (Debian package) POSTing 200 different realistic requests in
turn, each 10 simulated mobile events as base64 of gzip(JSON) with the SDK's query string (the
original's sizing: about 2 KB). Different bodies matter: raw files are gzip, and one body repeated
would compress for free. Scenarios:

* durable     `clickstream serve`, durability fsync (200 after the record is fsync'd), W workers
* memory      the same with durability memory (200 at once; lossy on a crash)
* bare-asgi   baseline (a): an ASGI app reading the body and answering 200 on the same uvicorn stack
* nginx       baseline (b): nginx answering a static 200 (the machine's ceiling)
* durable@50% the durable collector paced at half its measured rate, for its latency under normal load

The load generator shares the machine's cores with the server, as the project's goal states. Needs
`wrk` and, for baseline (b), `nginx` (`apt-get install wrk nginx`); a missing tool skips its rows with
a message. Latencies are wrk's (no coordinated-omission correction); the paced run uses wrk's
``delay()`` per connection, so its achieved rate is printed next to its target.

``--connections 64,128,256`` sweeps: every scenario runs at each connection count (the same load for
all), and each row's ratio is to the bare app at the same count. The paced run is done once, at half
the durable rate of the first count.

``--rounds N`` runs every scenario N times, taking turns (durable, memory, bare, nginx, durable, ...),
and shows each scenario's median round with the spread of its rates in the note; the ratio to the bare
app is the median of the rounds' ratios (each round's scenarios ran minutes apart at most). On a shared
virtual machine rates drift from one minute to the next (see
docs/performance.md#figures-behind-code-comments), and a ratio of two single runs says as much about
that drift as about the collector.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # as a script, bench/ comes first on the path and bench/etl.py would shadow etl/

import orjson  # noqa: E402
import yaml  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.host import describe  # noqa: E402
from bench.output import wide_console  # noqa: E402
from bench.rounds import lower_median, median_ratio, spread  # noqa: E402
from clickstream.ports import free_port  # noqa: E402
from clickstream.simulator.generator import SimulationSpec, iter_requests  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
EVENTS_PER_REQUEST = 10
DISTINCT_REQUESTS = 200
SCENARIOS = ("durable", "memory", "bare-asgi", "nginx", "durable@50%")
console = wide_console()


@dataclass
class Row:
    scenario: str
    connections: int
    requests_per_second: float
    events_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us_per_request: float  # CPU time of the server's processes (all threads), per request
    note: str = ""


def median_round(rounds: list[Row]) -> Row:
    """The round with the median rate; with several rounds its note gives the range of their rates."""
    middle = lower_median(rounds, key=lambda row: row.requests_per_second)
    if len(rounds) == 1:
        return middle
    ranged = spread([row.requests_per_second for row in rounds])
    return replace(middle, note="; ".join(part for part in (middle.note, ranged) if part))


def paired_ratio(rounds: list[Row], baseline: list[Row]) -> float:
    """Median over rounds of rate / the baseline's rate in the same round (the last baseline round for extras)."""
    return median_ratio([row.requests_per_second / baseline[min(index, len(baseline) - 1)].requests_per_second
                         for index, row in enumerate(rounds)])  # fmt: skip


def realistic_requests(count: int) -> list[tuple[str, bytes]]:
    """(path with query, body) of ``count`` different 10-event Android requests, as the SDK sends them.

    Different bodies matter: the raw files are gzip, and identical bodies would compress for free.
    """
    events: list[dict[str, object]] = []
    requests = []
    for request in iter_requests(SimulationSpec(users=4 * count, days=3, seed=7)):
        if request.platform != "Android":
            continue
        events.extend(request.events)
        while len(events) >= EVENTS_PER_REQUEST and len(requests) < count:
            batch, events = events[:EVENTS_PER_REQUEST], events[EVENTS_PER_REQUEST:]
            body = base64.b64encode(gzip.compress(orjson.dumps(batch), compresslevel=6))
            query = (
                f"appId=shop&platform=Android&compression=gzip&event_bundle_sequence_id={len(requests) + 1}"
                f"&upload_timestamp={int(time.time() * 1000)}&hashCode={hashlib.sha256(body).hexdigest()[:8]}"
            )
            requests.append((f"/collect?{query}", body))
        if len(requests) == count:
            return requests
    raise RuntimeError(f"the simulator produced fewer than {count} Android requests")


def lua_script(folder: Path, requests: list[tuple[str, bytes]], delay_ms: float | None) -> Path:
    """A wrk script cycling through ``requests`` (one file per body, read once at start)."""
    bodies = folder / "bodies"
    bodies.mkdir(exist_ok=True)
    for index, (path, body) in enumerate(requests):
        (bodies / f"{index}.txt").write_bytes(body)
        (bodies / f"{index}.path").write_text(path)
    delay = f"function delay() return {delay_ms:.3f} end\n" if delay_ms else ""
    script = folder / ("paced.lua" if delay_ms else "post.lua")
    script.write_text(
        f"""
local requests = {{}}
local headers = {{["Content-Type"] = "application/json; charset=utf-8",
  ["User-Agent"] = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UD1A.230803.041)"}}
local function slurp(name)
  local f = io.open(name, "rb")
  local text = f:read("*a")
  f:close()
  return text
end
function init(args)
  -- per thread, once wrk.host is known (wrk.format adds the Host header nginx insists on)
  for i = 0, {len(requests) - 1} do
    requests[i + 1] = wrk.format("POST", slurp("{bodies}/" .. i .. ".path"), headers,
                                 slurp("{bodies}/" .. i .. ".txt"))
  end
end
local next_index = 0
function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end
{delay}
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
    )
    return script


def run_wrk(url: str, script: Path, seconds: int, connections: int, threads: int) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, errors) of one wrk run."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests, duration_us, p50_us, p99_us, bad_status, socket_errors = map(int, match.groups())
    return requests / (duration_us / 1e6), p50_us / 1000, p99_us / 1000, bad_status + socket_errors


def process_tree_cpu_seconds(root: int) -> float:
    """User plus system CPU seconds of ``root`` and every process below it, from ``/proc`` (Linux).

    Steadier than wall time on a shared machine: other programs slow a request down, but hardly change
    the CPU it costs. Threads are included (they are part of their process's times).
    """
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            parents[int(entry)] = int(fields[1])
            times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    return sum(times.get(pid, 0.0) for pid in tree)


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited during start-up: {process.args}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no answer from {url} within {timeout}s")


def listening_sockets(port: int) -> int:
    """How many sockets listen on ``port`` (each ``SO_REUSEPORT`` worker has its own), from ``/proc/net``."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                count += fields[1].endswith(f":{port:04X}") and fields[3] == "0A"
    return count


def wait_for_listeners(port: int, count: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Wait until ``count`` sockets listen on ``port``: a load that starts while a worker is still starting
    puts every connection on the workers already listening, and measures an unbalanced server."""
    deadline = time.monotonic() + timeout
    while listening_sockets(port) < count:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {count} sockets listen on port {port}: {process.args}")
        time.sleep(0.1)


@contextlib.contextmanager
def running(command: list[str], url: str, cwd: Path | None = None, listeners: int = 1) -> Iterator[int]:
    """Runs the server until the block ends; yields its process id (for its CPU time).

    ``listeners``: how many listening sockets the server has once every worker is ready.
    """
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(url, process)
        wait_for_listeners(urllib.parse.urlsplit(url).port or 80, listeners, process)
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()


def collector(
    folder: Path, port: int, durability: str, workers: int, settings: dict[str, object]
) -> contextlib.AbstractContextManager[int]:
    config = folder / f"{durability}.yml"
    document = {
        "home": str(folder / f"home-{durability}"),
        "apps": [{"id": "shop"}],
        "ingestion": {**settings, "host": "127.0.0.1", "port": port, "workers": workers, "durability": durability},
    }
    config.write_text(yaml.safe_dump(document))
    command = [sys.executable, "-m", "clickstream", "--config", str(config), "serve", "--log-level", "warning"]
    return running(command, f"http://127.0.0.1:{port}/health", listeners=workers)  # a socket per worker


def bare_asgi(port: int, workers: int) -> contextlib.AbstractContextManager[int]:
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(REPO / "bench"), "bare_asgi:app",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--http", "httptools",
               "--loop", "uvloop", "--no-access-log", "--log-level", "warning", "--lifespan", "off"]  # fmt: skip
    return running(command, f"http://127.0.0.1:{port}/")


def nginx(folder: Path, port: int, workers: int) -> contextlib.AbstractContextManager[int]:
    (folder / "nginx").mkdir(exist_ok=True)
    conf = folder / "nginx" / "nginx.conf"
    conf.write_text(
        f"""
worker_processes {workers};
pid {folder}/nginx/nginx.pid;
error_log {folder}/nginx/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {folder}/nginx/body;
  proxy_temp_path {folder}/nginx/proxy;
  fastcgi_temp_path {folder}/nginx/fastcgi;
  uwsgi_temp_path {folder}/nginx/uwsgi;
  scgi_temp_path {folder}/nginx/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{ return 200 ""; }}
  }}
}}
"""
    )
    return running(["nginx", "-c", str(conf), "-p", str(folder / "nginx"), "-g", "daemon off;"],
                   f"http://127.0.0.1:{port}/")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per scenario")
    parser.add_argument("--connections", default="64", help="wrk connections, or a comma list to sweep")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server processes")
    parser.add_argument("--rounds", type=int, default=1, help="runs of every scenario, in turns; medians are shown")
    listed = ", ".join(SCENARIOS).replace("%", "%%")  # argparse formats help with %
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma list of {listed}")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an ingestion setting for the collector's scenarios (YAML value), e.g. --set wal_writers=2",
    )
    args = parser.parse_args()
    settings: dict[str, object] = {}
    for assignment in args.set:
        key, equals, value = assignment.partition("=")
        if not equals or not key.strip():
            parser.error(f"--set takes KEY=VALUE, not {assignment!r}")
        settings[key.strip()] = yaml.safe_load(value)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    try:
        sweep = [int(count) for count in args.connections.split(",") if count.strip()]
    except ValueError:
        parser.error(f"--connections takes a number or a comma list of numbers, not {args.connections!r}")
    if not sweep or min(sweep) < 1:
        parser.error("--connections needs at least one positive count")
    if args.rounds < 1:
        parser.error("--rounds needs at least 1")
    if shutil.which("wrk") is None:
        console.print("[red]wrk is not installed: apt-get install wrk[/red] (nothing measured)")
        raise SystemExit(2)

    requests = realistic_requests(DISTINCT_REQUESTS)
    body_bytes = sum(len(body) for _, body in requests) / len(requests)
    console.print(
        f"requests: {DISTINCT_REQUESTS} different bodies of {body_bytes:,.0f} bytes on average, "
        f"{EVENTS_PER_REQUEST} events each, gzip+base64; {args.workers} server workers; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s; {args.rounds} round(s); "
        f"{os.cpu_count()} cores" + "".join(f"; {key}: {value}" for key, value in settings.items())
    )
    samples: dict[tuple[str, int], list[Row]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ingestion-") as name:
        folder = Path(name)
        post = lua_script(folder, requests, None)

        def measure(
            scenario: str,
            server: contextlib.AbstractContextManager[int],
            port: int,
            connections: int,
            script: Path = post,
            note: str = "",
        ) -> None:
            with server as pid:
                cpu_before = process_tree_cpu_seconds(pid)
                rps, p50, p99, errors = run_wrk(f"http://127.0.0.1:{port}", script, args.duration,
                                                connections, args.threads)  # fmt: skip
                cpu = process_tree_cpu_seconds(pid) - cpu_before
            cpu_us = cpu / max(1.0, rps * args.duration) * 1e6
            row = Row(scenario, connections, rps, rps * EVENTS_PER_REQUEST, p50, p99, errors, cpu_us, note)
            console.print(f"  {scenario} -c{connections}: {rps:,.0f} requests/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
                          f"errors {errors}, server CPU {cpu_us:.1f} µs/request")  # fmt: skip
            samples.setdefault((scenario, connections), []).append(row)

        for _ in range(args.rounds):
            for connections in sweep:
                for scenario in chosen:
                    port = free_port()
                    if scenario == "durable":
                        measure(scenario, collector(folder, port, "fsync", args.workers, settings), port, connections)
                    elif scenario == "memory":
                        measure(scenario, collector(folder, port, "memory", args.workers, settings), port, connections)
                    elif scenario == "bare-asgi":
                        measure(scenario, bare_asgi(port, args.workers), port, connections)
                    elif scenario == "nginx":
                        if shutil.which("nginx") is None:
                            console.print("  nginx: skipped, nginx is not installed (apt-get install nginx)")
                            continue
                        measure(scenario, nginx(folder, port, args.workers), port, connections)
        if "durable@50%" in chosen:
            port = free_port()
            durable = samples.get(("durable", sweep[0]))
            if durable is None:
                console.print("  durable@50%: skipped, needs the durable scenario first")
            else:
                target = median_round(durable).requests_per_second / 2
                paced_connections = 128  # many slow connections, so latency shifts the rate little
                script = lua_script(folder, requests, max(0.0, paced_connections / target * 1000 - 1.5))
                server = collector(folder, port, "fsync", args.workers, settings)
                measure("durable@50%", server, port, paced_connections, script, f"target {target:,.0f} requests/s")

    rows = [median_round(rounds) for rounds in samples.values()]
    bare = {connections: rounds for (scenario, connections), rounds in samples.items() if scenario == "bare-asgi"}
    table = Table(title="ingestion on loopback (wrk shares the cores)")
    columns = ("scenario", "connections", "requests/s", "events/s", "p50 ms", "p99 ms", "errors", "CPU µs/req",
               "vs bare-asgi", "note")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("scenario", "note") else "right")
    for row, rounds in zip(rows, samples.values(), strict=True):
        baseline = bare.get(row.connections) or bare.get(sweep[0])
        ratio = f"{paired_ratio(rounds, baseline):.0%}" if baseline else ""
        table.add_row(row.scenario, str(row.connections), f"{row.requests_per_second:,.0f}",
                      f"{row.events_per_second:,.0f}", f"{row.p50_ms:.2f}", f"{row.p99_ms:.2f}", str(row.errors),
                      f"{row.cpu_us_per_request:.1f}", ratio, row.note)  # fmt: skip
    console.print(table)
    host = describe()
    console.print(f"host: {host}")
    RESULTS.mkdir(exist_ok=True)
    result = {"machine": platform.platform(), "cores": os.cpu_count(), "body_bytes": body_bytes, "host": host,
              "args": vars(args), "rows": [asdict(row) for row in rows], "time": time.time(),
              "rounds": [asdict(row) for rounds in samples.values() for row in rounds]}  # fmt: skip
    (RESULTS / "ingestion.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
