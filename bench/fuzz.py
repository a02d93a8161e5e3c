"""Run every fuzz target for minutes rather than the test suite's fixed budget; prints a table.

Usage: python bench/fuzz.py [--minutes M] [--only a,b] [--batch N] [--jobs J] [--list]

The targets are the suite's own (each package's ``tests/<package>/fuzz_targets*.py``, see tests/support/fuzzing.py):
the collector's wire (raw heads and bodies, pipelined and cut, on both answering paths of a live worker),
the body decoder shared by the collector and the ETL, the ETL's record decoder and event transform, and
Analytics Studio's request models and API. Each runs in batches of new seeds until its time is up, in its
own process (``--jobs`` at once). A finding stops its target and is printed shrunk; the exit status is 1
if any target found something.
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing
import sys
import time
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # as a script, bench/ comes first on the path and bench/etl.py would shadow etl/

from rich.table import Table  # noqa: E402

from bench.host import describe  # noqa: E402
from bench.output import wide_console  # noqa: E402
from tests.support.fuzzing import FuzzRun, FuzzTarget, run_for  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_MODULES = (
    "tests.ingestion.fuzz_targets",
    "tests.clickstream.fuzz_targets",
    "tests.etl.fuzz_targets",
    "tests.etl.fuzz_targets_transform",
    "tests.studio.fuzz_targets",
)


def all_targets() -> dict[str, FuzzTarget]:
    targets: dict[str, FuzzTarget] = {}
    for name in TARGET_MODULES:
        for target in importlib.import_module(name).TARGETS:
            targets[target.name] = target
    return targets


def _run_one(job: tuple[str, float, int]) -> FuzzRun:
    name, seconds, batch = job
    return run_for(all_targets()[name], seconds, batch, first_seed=int(time.time()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long each target runs (default 10)")
    parser.add_argument("--only", default="", help="comma-separated target names (default: all)")
    parser.add_argument("--batch", type=int, default=200, help="examples per seed (default 200)")
    parser.add_argument("--jobs", type=int, default=1, help="targets run at once, each in a process (default 1)")
    parser.add_argument("--list", action="store_true", help="print the target names and stop")
    args = parser.parse_args()
    console = wide_console()
    targets = all_targets()
    if args.list:
        console.print("\n".join(targets))
        return
    names = [name for name in args.only.split(",") if name] or list(targets)
    unknown = [name for name in names if name not in targets]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; --list shows them")
    if args.minutes <= 0 or args.batch < 1 or args.jobs < 1:
        parser.error("--minutes must be positive, --batch and --jobs at least 1")
    jobs = [(name, args.minutes * 60, args.batch) for name in names]
    console.print(f"{len(names)} target(s), {args.minutes:g} min each, {args.jobs} at once")
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        runs = pool.map(_run_one, jobs, chunksize=1)
    table = Table(title="fuzzing")
    for column in ("target", "examples", "seeds", "minutes", "examples/s", "finding"):
        table.add_column(column, justify="left" if column in ("target", "finding") else "right")
    for run in runs:
        rate = run.examples / run.seconds if run.seconds else 0.0
        table.add_row(
            run.name,
            f"{run.examples:,}",
            str(run.batches),
            f"{run.seconds / 60:.1f}",
            f"{rate:,.1f}",
            run.finding or "none",
        )
    console.print(table)
    console.print(f"host: {describe()}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fuzz.json").write_text(json.dumps([asdict(run) for run in runs], indent=2))
    if any(run.finding for run in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
