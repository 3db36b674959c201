"""Cursor-paged lists: keyset pages, filters left out when not given, and cursors that are checked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import ValidationFailed
from domain.models import Customer, Item
from domain.services.audit import audit_page, record_audit
from domain.services.catalog import named_page
from domain.services.paging import PageRequest, encode_cursor, newest_first
from tests.domain.conftest import Shop
from tests.factories import make_customer, make_tenant

SAME_TIME = datetime(2026, 3, 18, 9, 30, tzinfo=UTC)


def _walk(shop: Shop, limit: int, **equal: object) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        window = newest_first(shop.session, Customer, shop.tenant.id, PageRequest(cursor, limit), **equal)
        pages.append([c.display_name for c in window.rows])
        if window.next_cursor is None:
            return pages
        cursor = window.next_cursor


def test_pages_neither_skip_nor_repeat_rows_made_in_the_same_instant(shop: Shop) -> None:
    for n in range(5):
        make_customer(shop.session, shop.tenant, name=f"Same {n}").created_at = SAME_TIME
    shop.session.flush()
    pages = _walk(shop, 2)
    names = [name for page in pages for name in page]
    assert [len(p) for p in pages] == [2, 2, 2]
    assert sorted(names) == sorted([f"Same {n}" for n in range(5)] + [shop.customer.display_name])


def test_only_the_tenants_rows_and_only_given_filters_apply(shop: Shop) -> None:
    other = make_tenant(session=shop.session, name="Other Co")
    make_customer(shop.session, other, name="Not Ours")
    shop.customer.active = False
    shop.session.flush()
    assert _walk(shop, 10, active=None, display_name="") == [["Jane Cooper"]]
    assert _walk(shop, 10, active=True) == [[]]


def test_name_search_and_inactive_rows(shop: Shop) -> None:
    page = PageRequest(limit=10)
    found = named_page(shop.session, Item, shop.tenant.id, page, search="HEATER")
    assert [i.name for i in found.rows] == ["Water Heater 50 gal Gas"]
    shop.heater.active = False
    shop.session.flush()
    assert named_page(shop.session, Item, shop.tenant.id, page, search="heater").rows == []
    hidden = named_page(shop.session, Item, shop.tenant.id, page, search="heater", include_inactive=True)
    assert [i.id for i in hidden.rows] == [shop.heater.id]


@pytest.mark.parametrize(
    "cursor",
    ["!!!", encode_cursor("2026-03-18T09:30:00"), encode_cursor("yesterday", "x"), encode_cursor(1, 2, 3)],
)
def test_a_bad_cursor_is_a_validation_error(shop: Shop, cursor: str) -> None:
    with pytest.raises(ValidationFailed, match="cursor is not valid"):
        newest_first(shop.session, Customer, shop.tenant.id, PageRequest(cursor, 10))


def test_the_audit_pages_by_sequence_oldest_first(shop: Shop) -> None:
    for n in range(5):
        record_audit(shop.session, shop.owner, f"note.{n}", "tenant", shop.tenant.id)
    seen, cursor = [], None
    while True:
        window = audit_page(shop.session, shop.tenant.id, PageRequest(cursor, 2), entity="tenant")
        seen += [row.seq for row in window.rows]
        if window.next_cursor is None:
            break
        cursor = window.next_cursor
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 5
    for bad in (encode_cursor(-1), encode_cursor("3")):
        with pytest.raises(ValidationFailed):
            audit_page(shop.session, shop.tenant.id, PageRequest(bad, 2))
