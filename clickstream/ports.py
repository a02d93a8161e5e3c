"""A friendly refusal of a port another program holds, before a server starts (its own error is a traceback)."""

from __future__ import annotations

import errno
import socket

from clickstream.errors import InputError


def require_free_port(host: str, port: int, setting: str | None = None) -> None:
    """Raise :class:`InputError` naming ``host:port`` (and the config key ``setting``) when a server could not
    listen there.

    Binds and closes a socket as the servers do (``SO_REUSEADDR``, so a port in TIME_WAIT is free). A port
    taken between this check and the server's own bind still fails there.
    """
    choose = f"--port or {setting} in clickstream.yml" if setting else "--port"
    where = f"{setting} and its host" if setting else "--host"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise InputError(f"cannot listen on {host}: {exc.strerror}", hint=f"check {where}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(
                    f"port {port} on {host} is in use by another program",
                    hint=f"stop that program, or choose another port: {choose}",
                ) from None
            if exc.errno == errno.EACCES:
                raise InputError(
                    f"port {port} on {host} needs privileges this user does not have",
                    hint=f"choose a port above 1023: {choose}",
                ) from None
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}", hint=f"check {where}") from None


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now on ``host`` (the OS picks it), for a server this process starts next."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
