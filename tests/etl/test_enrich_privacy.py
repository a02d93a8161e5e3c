"""IP protection before write: none, truncate (/24, /48) or salted hash."""

from __future__ import annotations

import pytest

from clickstream.etl.enrich.privacy import protect_ip


def test_none_keeps_the_address() -> None:
    assert protect_ip("70.123.241.83", "none") == "70.123.241.83"


@pytest.mark.parametrize(
    ("ip", "truncated"),
    [
        ("70.123.241.83", "70.123.241.0"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::"),
        ("::ffff:1.2.3.4", "::"),
        ("70.123.241.83, 10.1.2.3", "70.123.241.0, 10.1.2.0"),
    ],
)
def test_truncate_keeps_the_network_part(ip: str, truncated: str) -> None:
    assert protect_ip(ip, "truncate") == truncated


def test_truncate_drops_what_is_not_an_address() -> None:
    assert protect_ip("unknown", "truncate") is None
    assert protect_ip("unknown, 70.123.241.83", "truncate") == "70.123.241.0"


def test_hash_is_stable_for_one_salt_and_hides_the_address() -> None:
    hashed = protect_ip("70.123.241.83", "hash", salt="s3cret")
    assert hashed == protect_ip("70.123.241.83", "hash", salt="s3cret")
    assert hashed is not None and len(hashed) == 32 and set(hashed) <= set("0123456789abcdef")
    assert hashed != protect_ip("70.123.241.84", "hash", salt="s3cret")


def test_hash_differs_between_salts() -> None:
    assert protect_ip("70.123.241.83", "hash", salt="a") != protect_ip("70.123.241.83", "hash", salt="b")


def test_hash_without_a_salt_is_refused() -> None:
    with pytest.raises(ValueError, match="ip_hash_salt"):
        protect_ip("70.123.241.83", "hash")


def test_a_missing_address_stays_missing() -> None:
    assert protect_ip(None, "truncate") is None
    assert protect_ip(None, "hash", salt="s") is None


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="none, truncate or hash"):
        protect_ip("1.2.3.4", "mask")  # type: ignore[arg-type]  # the wrong mode is what this test sends
