"""The entry point of every deployed container: compose the configuration, then run the command.

``python -m clickstream.infra.container_config -- clickstream serve ...`` reads the base clickstream.yml
(``$CLICKSTREAM_BASE_CONFIG``: an ``s3://`` URI or a path), lays the stack's JSON overrides
(``$CLICKSTREAM_CONFIG_OVERRIDES``, then any ``$CLICKSTREAM_CONFIG_OVERRIDES_<NAME>`` in name order:
bucket, stream, workgroup, ... names only CloudFormation knows) over it, validates the result with the
same model as every command, writes it to ``$CLICKSTREAM_COMPOSED_CONFIG`` (default /tmp/clickstream.yml)
and replaces itself with the command, ``$CLICKSTREAM_CONFIG`` pointing at the composed file. A bad
combination, or a path it cannot write, stops the task with the key and the fix in its log, before
anything starts.

Why a variable of its own: the image sets ``$CLICKSTREAM_CONFIG`` to its baked-in
/etc/clickstream/clickstream.yml (owned by root, for `docker run`), and the containers run as the
unprivileged ``clickstream`` user, so the composed file must go somewhere that user can write.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from clickstream.config import CONFIG_ENV_VAR, parse_config
from clickstream.errors import ConfigError
from clickstream.infra.layers import deep_merge

BASE_ENV = "CLICKSTREAM_BASE_CONFIG"
OVERRIDES_ENV = "CLICKSTREAM_CONFIG_OVERRIDES"
OUT_ENV = "CLICKSTREAM_COMPOSED_CONFIG"
DEFAULT_OUT = "/tmp/clickstream.yml"


def read_base(location: str) -> str:
    """The base clickstream.yml's text; a ConfigError naming the location when it cannot be read."""
    if location.startswith("s3://"):
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, _, key = location[len("s3://") :].partition("/")
        try:
            body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            raise ConfigError(
                f"${BASE_ENV}: cannot read {location}: {exc}", hint="check the task role's s3:GetObject"
            ) from None
        return str(body.decode("utf-8"))
    try:
        return Path(location).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"${BASE_ENV}: cannot read {location}: {exc.strerror or exc}") from None


def overrides_from(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(variable, JSON text) of every override variable, ``$CLICKSTREAM_CONFIG_OVERRIDES`` first."""
    named = sorted(name for name in environ if name.startswith(OVERRIDES_ENV + "_"))
    return [(name, environ[name]) for name in ([OVERRIDES_ENV] if OVERRIDES_ENV in environ else []) + named]


def compose(base_text: str, *overrides: tuple[str, str]) -> dict[str, Any]:
    """The base config with each (variable, JSON) override merged in order, validated; a ConfigError names
    the variable or the key that is wrong."""
    base = yaml.safe_load(base_text) or {}
    if not isinstance(base, dict):
        raise ConfigError(f"${BASE_ENV} must hold a mapping of keys")
    merged = base
    for name, text in overrides:
        try:
            layer = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as exc:
            raise ConfigError(f"${name} is not JSON: {exc}", hint="see the task definition") from None
        if not isinstance(layer, dict):
            raise ConfigError(f"${name} must be a JSON object")
        merged = deep_merge(merged, layer)
    parse_config(merged, Path("/"), "container configuration")
    return merged


def prepare(environ: Mapping[str, str]) -> Path:
    """Write the composed configuration to ``$CLICKSTREAM_COMPOSED_CONFIG`` (default /tmp) and return its path."""
    location = environ.get(BASE_ENV)
    if not location:
        raise ConfigError(f"${BASE_ENV} is not set", hint="set it to the s3:// URI of the base clickstream.yml")
    merged = compose(read_base(location), *overrides_from(environ))
    out = Path(environ.get(OUT_ENV) or DEFAULT_OUT)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot write the composed configuration to {out}: {exc.strerror or exc}",
            hint=f"set ${OUT_ENV} to a file the container's user can write (default {DEFAULT_OUT})",
        ) from None
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m clickstream.infra.container_config -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    try:
        path = prepare(os.environ)
    except ConfigError as error:  # also a path it cannot write (prepare turns OSError into ConfigError)
        print(f"error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return 2
    os.environ[CONFIG_ENV_VAR] = str(path)
    os.execvp(args[0], args)


if __name__ == "__main__":
    raise SystemExit(main())
