"""What the ETL's cross-run user state costs as it grows; prints a table, writes JSON.

Usage: python bench/user_state.py [--events 100000] [--state-users 0,100000,1000000] [--workers 2]

Each run processes the same simulated raw files (about ``--events`` events, one user per 20 events) with
`clickstream etl`, after seeding ``etl-state/users.parquet`` with ``N`` other users (decision 44: every run
folds its users into that file and rewrites it whole, so its size is every user ever seen). The table shows,
per state size, the whole run, the fold step alone (``clickstream.etl.users.carry_user_state``), the state file's size
and the run's peak resident memory (process and workers). Each size runs in a fresh subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.etl import PeakMemory, bench_config, generate  # noqa: E402
from bench.host import describe  # noqa: E402
from bench.output import wide_console  # noqa: E402
from clickstream.contract import RAW_DIR  # noqa: E402
from clickstream.etl.users import USER_STATE, USER_STATE_SCHEMA  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DAY_MSEC = 86_400_000
START_MSEC = 1_767_225_600_000  # 2026-01-01, before the simulated traffic


def seeded_state(users: int) -> pa.Table:
    """``users`` state rows of users the raw files do not hold, with properties and a first touch each."""
    touch = pa.array([START_MSEC + i % 30 * DAY_MSEC for i in range(users)], pa.int64())
    entries = pa.StructArray.from_arrays(
        [
            pa.array(["gold", "bench"] * users, pa.string()),
            pa.array(["string", "string"] * users, pa.string()),
            pa.array([START_MSEC] * (2 * users), pa.int64()),
        ],
        fields=list(USER_STATE_SCHEMA.field("user_properties").type.item_type),
    )
    properties = pa.MapArray.from_arrays(
        pa.array(range(0, 2 * users + 1, 2), pa.int32()), pa.array(["membership_level", "_user_name"] * users), entries
    )
    info = pa.MapArray.from_arrays(
        pa.array(range(0, 2 * users + 1, 2), pa.int32()),
        pa.array(["first_event_name", "latest_event_name"] * users),
        pa.array(["_first_open", "_page_view"] * users),
    )
    text = pa.array([f"seed-{i:09d}" for i in range(users)], pa.string())
    columns: dict[str, Any] = {
        "event_timestamp": pa.array(touch.to_numpy(), pa.timestamp("ms", tz="UTC")),
        "user_pseudo_id": text,
        "user_id": pa.array([f"member-{i}" if i % 2 else None for i in range(users)], pa.string()),
        "user_properties": properties,
        "user_properties_json_str": pa.array(['{"membership_level":"gold","_user_name":"bench"}'] * users),
        "first_touch_time_msec": touch,
        "first_visit_date": pa.array((touch.to_numpy() // DAY_MSEC).astype("int32"), pa.date32()),
        "first_traffic_source": pa.array(["google"] * users),
        "first_traffic_medium": pa.array(["organic"] * users),
        "first_traffic_channel_group": pa.array(["Organic Search"] * users),
        "first_traffic_category": pa.array(["Search"] * users),
        "app_id": pa.array(["shop"] * users),
        "process_info": info,
        "_user_id_msec": touch,
        "_profile_msec": touch,
        "_first_touch_msec": touch,
    }
    return pa.table(
        [columns.get(field.name, pa.nulls(users, field.type)) for field in USER_STATE_SCHEMA], schema=USER_STATE_SCHEMA
    )


def child_main(home: Path, workers: int) -> None:
    from clickstream.etl import runner
    from clickstream.etl.process import EtlJob

    fold = {"seconds": 0.0}
    carry = runner.carry_user_state

    def timed_carry(storage: Any) -> int:  # the fold step's own time, around the real function
        started = time.perf_counter()
        try:
            return carry(storage)
        finally:
            fold["seconds"] += time.perf_counter() - started

    runner.carry_user_state = timed_carry
    config = bench_config(home, workers)
    with PeakMemory() as memory:
        result = runner.run_etl(config.home, EtlJob.from_config(config), workers=workers, reprocess=True)
    if result.failed_files:
        raise SystemExit(f"the ETL failed: {result.failed_files}")
    largest = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(
        json.dumps(
            {
                "events": result.events,
                "seconds": result.seconds,
                "fold_seconds": fold["seconds"],
                "state_users": pq.read_metadata(home / USER_STATE).num_rows,
                "state_mb": (home / USER_STATE).stat().st_size / 2**20,
                "peak_rss_mb": max(memory.peak / 2**20, largest / 1024),
            }
        )
    )


def measure(raw_home: Path, workers: int, state_users: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="bench-user-state-"))
    try:
        shutil.copytree(raw_home / RAW_DIR, home / RAW_DIR)
        if state_users:  # seeded here, so the child's peak memory is the ETL's own
            (home / USER_STATE).parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(seeded_state(state_users), home / USER_STATE)
        command = [sys.executable, __file__, "--child", "--home", str(home), "--workers", str(workers)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
        if done.returncode != 0:
            raise SystemExit(f"state of {state_users:,} users: {done.stderr.strip().splitlines()[-1:]}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--state-users", default="0,100000,1000000", help="comma-separated state sizes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.home, args.workers)
        return
    try:
        sizes = [int(size) for size in args.state_users.split(",")]
    except ValueError:
        parser.error("--state-users takes whole numbers separated by commas, e.g. 0,100000")
    console = wide_console()
    raw_home = Path(tempfile.mkdtemp(prefix="bench-user-state-raw-"))
    try:
        console.print(f"generating about {args.events:,} events of raw data ...")
        generate(raw_home, args.events)
        rows = [(size, measure(raw_home, args.workers, size)) for size in sizes]
    finally:
        shutil.rmtree(raw_home, ignore_errors=True)
    table = Table(title=f"ETL user state ({describe()}, {args.workers} workers)")
    for column in ("users in the state before", "events", "run s", "fold s", "state after", "state MB", "peak RSS MB"):
        table.add_column(column, justify="right")
    for size, result in rows:
        table.add_row(
            f"{size:,}", f"{result['events']:,}", f"{result['seconds']:.2f}", f"{result['fold_seconds']:.2f}",
            f"{result['state_users']:,}", f"{result['state_mb']:.1f}", f"{result['peak_rss_mb']:.0f}",
        )  # fmt: skip
    console.print(table)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / "user_state.json"
    target.write_text(json.dumps({"host": platform.node(), "rows": [dict(r, size=s) for s, r in rows]}, indent=2))
    console.print(f"wrote {target.relative_to(REPO)}")


if __name__ == "__main__":
    main()
