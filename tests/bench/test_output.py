"""Benchmark tables stay whole when the output is a file (bench/output.py)."""

from __future__ import annotations

import io

import pytest
from rich.table import Table

from bench.output import FILE_WIDTH, wide_console


def test_output_that_is_not_a_terminal_gets_a_wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert wide_console().width == FILE_WIDTH


def test_a_wide_table_written_to_a_file_keeps_every_cell_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    table = Table(*(f"column {n}" for n in range(8)))
    table.add_row(*(f"{n * 1_000_003:,} requests/s" for n in range(8)))
    console = wide_console(record=True)
    console.print(table)
    assert "7,000,021 requests/s" in console.export_text()
    assert "…" not in console.export_text()


def test_columns_in_the_environment_still_sets_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert wide_console().width == 100


def test_an_explicit_width_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert wide_console(width=90).width == 90
