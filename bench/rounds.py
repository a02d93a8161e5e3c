"""Medians over benchmark rounds, shared by the scripts that run their scenarios in turns (``--rounds``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def lower_median(items: Sequence[T], key: Callable[[T], float]) -> T:
    """The item with the median key; of an even count, the lower middle one (an item that was measured)."""
    ordered = sorted(items, key=key)
    return ordered[(len(ordered) - 1) // 2]


def median_ratio(ratios: Sequence[float]) -> float:
    """The lower median of per-round ratios, each taken within one round."""
    return lower_median(ratios, key=float)


def spread(rates: Sequence[float]) -> str:
    """How far several rounds' rates ranged, for a median row's note; empty for a single round."""
    return f"median of {len(rates)}: {min(rates):,.0f}-{max(rates):,.0f}" if len(rates) > 1 else ""
