"""Arguments of the Spark entry point, and the job they describe.

EMR Serverless passes ``entryPointArguments`` and nothing else, so everything a run needs can come from
arguments: either a ``clickstream.yml`` (a local path or an ``s3://`` URI) or explicit ``--root``,
``--project-id`` and ``--app-ids``, or both (arguments override the file).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs
import yaml

from clickstream.config import Config, parse_config
from clickstream.errors import ConfigError
from clickstream.etl.process import EtlJob


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clickstream.etl.spark_runner",
        description="Transform pending raw files into event_v2/item_v2/user_v2 Parquet on Spark (mapInArrow).",
    )
    parser.add_argument("--config", help="clickstream.yml: a local path or a URI such as s3://bucket/clickstream.yml.")
    parser.add_argument(
        "--root", help="Storage root holding raw/, processed/, rejected/, etl-state/ (default: the config's home)."
    )
    parser.add_argument("--project-id", help="Project id (default: the config's project_id).")
    parser.add_argument("--app-ids", help="Comma-separated app ids to accept (default: the config's apps).")
    parser.add_argument("--job-id", help="process_job_id written into process_info (default: the config's etl.job_id).")
    parser.add_argument(
        "--process-time",
        type=_timestamp,
        help="ISO-8601 time with a zone that stands for 'now' (freshness rule, process_info); default: now.",
    )
    parser.add_argument("--tasks", type=int, help="Spark tasks to split the files over (default: 2 per core).")
    parser.add_argument("--reprocess", action="store_true", help="Process every raw file again, replacing outputs.")
    parser.add_argument("--master", help="Spark master for local runs, e.g. local[2]; leave unset under spark-submit.")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    if args.tasks is not None and args.tasks < 1:
        build_parser().error("--tasks must be at least 1")
    return args


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone, e.g. {text}+00:00")
    return moment


def read_config_data(location: str) -> tuple[dict[str, Any], Path]:
    """The mapping in a config file at a local path or a URI, and the folder relative paths resolve against
    (the file's folder locally; the working directory for a remote file)."""
    remote = "://" in location
    try:
        if remote:
            fs, path = pafs.FileSystem.from_uri(location)
            with fs.open_input_stream(path) as stream:
                text = stream.read().decode("utf-8")
        else:
            text = Path(location).read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read config file {location}: {exc}", hint="check the path and access rights"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {location} is not valid YAML: {exc}", hint="check indentation") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"config file {location} must hold a mapping of keys, not {type(data).__name__}")
    base = Path.cwd() if remote else Path(location).resolve().parent
    return dict(data or {}), base


def job_from_args(args: argparse.Namespace) -> tuple[str, EtlJob]:
    """(storage root, job) from parsed arguments; a ``home`` that is a URI (``s3://...``) is the root."""
    data: dict[str, Any] = {}
    base = Path.cwd()
    source = "arguments"
    if args.config:
        data, base = read_config_data(args.config)
        source = args.config
    root: str | None = args.root
    home = data.get("home")
    if isinstance(home, str) and "://" in home:
        data.pop("home")  # Config.home is a local folder; a URI home is used as the root as given
        root = root or home
    if args.project_id:
        data["project_id"] = args.project_id
    if args.app_ids:
        data["apps"] = [{"id": app_id.strip()} for app_id in args.app_ids.split(",") if app_id.strip()]
    if args.job_id:
        data["etl"] = {**(data.get("etl") or {}), "job_id": args.job_id}
    if not args.config and not args.app_ids:
        raise ConfigError(
            "no apps: give --config or --app-ids", hint="e.g. --root s3://bucket/clickstream --app-ids shop"
        )
    config: Config = parse_config(data, base, source)
    return root or config.storage_root, EtlJob.from_config(config, args.process_time)
