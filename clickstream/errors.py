"""User-facing errors.

Each error carries one clear sentence and a hint; the CLI prints both and exits non-zero, so a user
never has to read a traceback to learn what to fix.
"""

from __future__ import annotations


class ClickstreamError(Exception):
    """Base of every error the CLI shows to a user as one line plus a hint."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} (hint: {self.hint})"


class ConfigError(ClickstreamError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class InputError(ClickstreamError):
    """Input data (raw files, fixtures, arguments) cannot be used."""


class SinkError(ClickstreamError):
    """The ingestion sink cannot store records."""


class WarehouseError(ClickstreamError):
    """The warehouse cannot be reached or refused a statement."""


class ModelError(ClickstreamError):
    """dbt reported a failure while building the models; ``result`` holds every node's outcome when dbt ran."""

    def __init__(self, message: str, hint: str | None = None, result: object = None) -> None:
        super().__init__(message, hint)
        self.result = result


class LockBusy(ClickstreamError):
    """Another live process holds the lock (a load or a pipeline cycle) longer than we were willing to wait."""

    exit_code = 3
