"""Embed and link tokens expire by the injected clock, to the second, whatever the wall clock says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.security.tokens import issue_embed_token, issue_link_token, verify_embed_token, verify_link_token
from domain.clock import ManualClock
from domain.errors import AppError

SECRET = b"token-clock-secret-0123456789abcdef"
ISSUED = datetime(2026, 3, 18, 23, 59, 30, tzinfo=UTC)


def test_an_embed_token_lives_exactly_its_ttl() -> None:
    clock = ManualClock(ISSUED)
    token = issue_embed_token(
        SECRET, tenant_id="t1", user_id="u1", origin="https://app.example", ttl_seconds=900, clock=clock
    )
    clock.advance(timedelta(seconds=900))  # its last valid second
    assert verify_embed_token(SECRET, token, clock=clock).user_id == "u1"
    clock.advance(timedelta(seconds=1))
    with pytest.raises(AppError, match="expired"):
        verify_embed_token(SECRET, token, clock=clock)


def test_a_link_token_issued_in_the_past_is_expired_now() -> None:
    clock = ManualClock(ISSUED)
    token = issue_link_token(
        SECRET, tenant_id="t1", kind="estimate", document_id="e1", ttl_seconds=60, clock=clock
    )
    assert verify_link_token(SECRET, token, "estimate", clock=clock).document_id == "e1"
    clock.advance(timedelta(days=1))
    with pytest.raises(AppError, match="expired"):
        verify_link_token(SECRET, token, "estimate", clock=clock)
