from itertools import pairwise

from sqlalchemy import select, update

from domain.models import AuditLog
from domain.services.audit import list_audit, record_audit, verify_chain
from tests.domain.conftest import Shop


def test_every_change_extends_a_verifiable_chain(shop: Shop) -> None:
    shop.invoice()
    report = verify_chain(shop.session, shop.tenant.id)
    assert report.ok and report.rows >= 5
    rows = list_audit(shop.session, shop.tenant.id)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert all(r.prev_hash == p.hash for p, r in pairwise(rows))


def test_editing_any_row_is_detected(shop: Shop) -> None:
    shop.estimate()
    record_audit(shop.session, shop.owner, "note.added", "tenant", shop.tenant.id, detail={"text": "hello"})
    first = shop.session.scalars(
        select(AuditLog).where(AuditLog.tenant_id == shop.tenant.id).order_by(AuditLog.seq)
    ).first()
    assert first is not None
    shop.session.execute(update(AuditLog).where(AuditLog.id == first.id).values(actor="someone else"))
    shop.session.expire_all()
    report = verify_chain(shop.session, shop.tenant.id)
    assert not report.ok and report.broken_at_seq == first.seq and "hash" in (report.reason or "")


def test_deleting_a_row_is_detected(shop: Shop) -> None:
    shop.estimate()
    record_audit(shop.session, shop.owner, "a", "tenant", shop.tenant.id)
    record_audit(shop.session, shop.owner, "b", "tenant", shop.tenant.id)
    middle = list_audit(shop.session, shop.tenant.id)[1]
    shop.session.delete(middle)
    shop.session.flush()
    report = verify_chain(shop.session, shop.tenant.id)
    assert not report.ok and "gap" in (report.reason or "")


def test_chains_are_per_tenant(shop: Shop) -> None:
    from tests.factories import make_actor, make_tenant

    other = make_tenant(shop.session, name="Other")
    actor = make_actor(shop.session, other)
    record_audit(shop.session, actor, "x", "tenant", other.id)
    assert list_audit(shop.session, other.id)[0].seq == 1
    assert verify_chain(shop.session, other.id).ok
