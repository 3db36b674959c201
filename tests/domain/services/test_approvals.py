"""Approval records: idempotent proposals, role checks, hash binding and one winner among concurrent deciders."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from domain.context import Actor
from domain.errors import Conflict, NotFound, PermissionDenied
from domain.models import Approval, ApprovalStatus, Role, Tenant
from domain.permissions import Permission
from domain.services import approvals as svc
from domain.services.tenants import create_tenant


def _actor(tenant_id: str, role: Role, name: str = "Sam") -> Actor:
    return Actor(tenant_id=tenant_id, user_id=str(uuid.uuid4()), role=role, name=name)


def _proposal(
    tool_call_id: str = "call_1", permission: Permission = Permission.DESTRUCTIVE
) -> svc.ProposalIn:
    return svc.ProposalIn(
        thread_id="t-1",
        tool_call_id=tool_call_id,
        action_name="void_invoice",
        args={"doc_number": "1003"},
        description="Void invoice 1003",
        preview={"target": "Invoice 1003"},
        permission=permission,
    )


def test_propose_is_idempotent_per_thread_and_tool_call(session: Session) -> None:
    tenant = create_tenant(session, "Acme Plumbing")
    tech = _actor(tenant.id, Role.TECHNICIAN)
    first, created = svc.propose(session, tech, _proposal())
    again, created_again = svc.propose(session, tech, _proposal())
    other, created_other = svc.propose(session, tech, _proposal("call_2"))
    assert created and not created_again and created_other
    assert first.id == again.id != other.id
    assert first.required_role == "admin"  # void needs the destructive right
    assert first.action_hash == svc.action_hash("void_invoice", {"doc_number": "1003"})


def test_action_hash_changes_with_args_and_ignores_key_order() -> None:
    a = svc.action_hash("x", {"a": 1, "b": "2"})
    assert a == svc.action_hash("x", {"b": "2", "a": 1})
    assert a != svc.action_hash("x", {"a": 2, "b": "2"})
    assert a != svc.action_hash("y", {"a": 1, "b": "2"})


def test_wrong_role_and_hash_mismatch_are_refused(session: Session) -> None:
    tenant = create_tenant(session, "Acme Plumbing")
    approval, _ = svc.propose(session, _actor(tenant.id, Role.TECHNICIAN), _proposal())
    with pytest.raises(PermissionDenied):
        svc.decide(
            session,
            _actor(tenant.id, Role.OFFICE),
            approval.id,
            decision="approve",
            seen_hash=approval.action_hash,
        )
    with pytest.raises(PermissionDenied):
        svc.decide(
            session,
            _actor(tenant.id, Role.TECHNICIAN),
            approval.id,
            decision="edit",
            seen_hash=approval.action_hash,
        )
    with pytest.raises(Conflict):
        svc.decide(
            session, _actor(tenant.id, Role.ADMIN), approval.id, decision="approve", seen_hash="0" * 64
        )
    assert svc.get_approval(session, tenant.id, approval.id).status == ApprovalStatus.PENDING
    admin = _actor(tenant.id, Role.ADMIN, "Ana")
    done = svc.decide(session, admin, approval.id, decision="approve", seen_hash=approval.action_hash)
    assert done.status == ApprovalStatus.APPROVED and done.decided_by == "Ana (admin)"
    with pytest.raises(Conflict):
        svc.decide(session, admin, approval.id, decision="reject", seen_hash=None)
    finished = svc.finish(session, tenant.id, approval.id, result={"ok": True})
    assert finished.status == ApprovalStatus.EXECUTED


def test_another_tenant_cannot_decide(session: Session) -> None:
    tenant = create_tenant(session, "Acme Plumbing")
    other = create_tenant(session, "Other Co")
    approval, _ = svc.propose(session, _actor(tenant.id, Role.OFFICE), _proposal())
    with pytest.raises(NotFound):
        svc.decide(session, _actor(other.id, Role.OWNER), approval.id, decision="approve", seen_hash=None)


def test_concurrent_decisions_have_exactly_one_winner(committing_sessionmaker: sessionmaker[Session]) -> None:
    with committing_sessionmaker() as s, s.begin():
        tenant = create_tenant(s, f"Race {uuid.uuid4().hex[:6]}")
        approval, _ = svc.propose(
            s, _actor(tenant.id, Role.OFFICE), _proposal(permission=Permission.SEND_DOCUMENTS)
        )
        tenant_id, approval_id, seen = tenant.id, approval.id, approval.action_hash
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def decide(i: int) -> None:
        actor = _actor(tenant_id, Role.OWNER, f"U{i}")
        barrier.wait()
        try:
            with committing_sessionmaker() as s, s.begin():
                svc.decide(s, actor, approval_id, decision="approve" if i % 2 else "reject", seen_hash=seen)
            outcomes.append("won")
        except Conflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(outcomes) == ["lost", "lost", "lost", "won"]
    finally:
        with committing_sessionmaker() as s, s.begin():
            s.execute(delete(Approval).where(Approval.tenant_id == tenant_id))
            s.execute(delete(Tenant).where(Tenant.id == tenant_id))


def test_who_may_approve_may_reject_and_a_proposer_may_withdraw(session: Session) -> None:
    tenant = create_tenant(session, "Acme Plumbing")
    owner = _actor(tenant.id, Role.OWNER, "Olive")
    payment = _proposal("call_pay", Permission.RECORD_PAYMENT)
    approval, _ = svc.propose(session, owner, payment)
    # A technician may not turn down the owner's payment; the message names the role it needs, grammatically.
    with pytest.raises(
        PermissionDenied, match=r"^A technician may not reject 'void_invoice'; it needs an office "
    ):
        svc.decide(
            session, _actor(tenant.id, Role.TECHNICIAN), approval.id, decision="reject", seen_hash=None
        )
    assert svc.get_approval(session, tenant.id, approval.id).status == ApprovalStatus.PENDING
    done = svc.decide(session, _actor(tenant.id, Role.OFFICE), approval.id, decision="reject", seen_hash=None)
    assert done.status == ApprovalStatus.REJECTED

    # A destructive action needs an admin to approve, and so to reject; office is refused too.
    void, _ = svc.propose(session, owner, _proposal("call_void"))
    for role in (Role.TECHNICIAN, Role.OFFICE):
        with pytest.raises(PermissionDenied, match="it needs an admin or above"):
            svc.decide(session, _actor(tenant.id, role), void.id, decision="reject", seen_hash=None)
    assert svc.decide(
        session, _actor(tenant.id, Role.ADMIN), void.id, decision="reject", seen_hash=None
    ).status == (ApprovalStatus.REJECTED)

    # The technician who proposed a write may withdraw it, though they could never approve it.
    tech = _actor(tenant.id, Role.TECHNICIAN, "Tom")
    own, _ = svc.propose(session, tech, _proposal("call_own"))
    with pytest.raises(PermissionDenied):
        svc.decide(session, tech, own.id, decision="approve", seen_hash=None)
    withdrawn = svc.decide(session, tech, own.id, decision="reject", seen_hash=None, message="wrong invoice")
    assert withdrawn.status == ApprovalStatus.REJECTED and withdrawn.decided_by == "Tom (technician)"


def test_role_messages_are_grammatical() -> None:
    from domain.permissions import require, with_article

    assert [with_article(r.value) for r in Role] == ["an owner", "an admin", "an office", "a technician"]
    with pytest.raises(PermissionDenied, match=r"^An office may not void, write off or delete$"):
        require(_actor("t", Role.OFFICE), Permission.DESTRUCTIVE)
    with pytest.raises(PermissionDenied, match=r"^A technician may not record payment$"):
        require(_actor("t", Role.TECHNICIAN), Permission.RECORD_PAYMENT)
