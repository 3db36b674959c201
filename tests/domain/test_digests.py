"""Secrets compare in constant time over bytes: any text a client sends gets a plain yes or no."""

from __future__ import annotations

import pytest

from domain.digests import same_secret


@pytest.mark.parametrize(
    ("given", "expected", "same"),
    [
        ("abc", "abc", True),
        ("abc", "abd", False),
        ("é", "é", True),
        ("é", "e", False),
        ("abc.é", "abc.x", False),
        (b"raw", "raw", True),
        ("\ud800", "x", False),  # a lone surrogate from a decoded query string
        ("", "", True),
    ],
)
def test_same_secret(given: str | bytes, expected: str | bytes, same: bool) -> None:
    assert same_secret(given, expected) is same
