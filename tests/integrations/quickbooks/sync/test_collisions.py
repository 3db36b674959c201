"""A record pulled from QBO whose unique name or number a different record holds here: renames in QBO that
arrive out of order converge by themselves; a real clash stops with a message naming both records."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from domain.models import Customer, Invoice, SyncJob, SyncJobStatus
from domain.schemas import CustomerCreate, CustomerUpdate
from domain.services import catalog
from domain.services.outbox import enqueue_pull
from tests.integrations.quickbooks.sync.conftest import Env


def _pull(env: Env, entity: str, *qbo_ids: str) -> None:
    with env.sessions() as s:
        for qbo_id in qbo_ids:
            enqueue_pull(s, env.tenant_id, entity, qbo_id)
        s.commit()


def _customer(env: Env, name: str) -> str:
    return str(env.qbo.sandbox.create(env.realm, "Customer", {"DisplayName": name})["Id"])


def _local(env: Env, model: type, qbo_id: str):  # type: ignore[no-untyped-def]
    with env.sessions() as s:
        return s.scalars(select(model).where(model.tenant_id == env.tenant_id, model.qbo_id == qbo_id)).one()


def _pull_job(env: Env, entity: str, qbo_id: str) -> SyncJob:
    with env.sessions() as s:
        return s.scalars(
            select(SyncJob)
            .where(SyncJob.tenant_id == env.tenant_id, SyncJob.entity == entity, SyncJob.entity_id == qbo_id)
            .order_by(SyncJob.created_at.desc())
        ).first()


async def test_a_name_freed_by_a_rename_in_qbo_is_taken_once_the_rename_arrives(env: Env) -> None:
    alpha, beta = _customer(env, "Alpha Heating"), _customer(env, "Beta Heating")
    _pull(env, "customer", alpha, beta)
    await env.drain()
    # In QBO: Alpha is renamed, then Beta takes Alpha's old name. Only Beta's change reaches us.
    env.qbo.sandbox.update(env.realm, "Customer", {"Id": alpha, "DisplayName": "Alpha Heating (old)"})
    env.qbo.sandbox.update(env.realm, "Customer", {"Id": beta, "DisplayName": "Alpha Heating"})
    _pull(env, "customer", beta)
    await env.drain()
    assert _local(env, Customer, beta).display_name == "Alpha Heating"
    assert _local(env, Customer, alpha).display_name == "Alpha Heating (old)"
    assert _pull_job(env, "customer", beta).status is SyncJobStatus.DONE


async def test_a_real_name_clash_stops_with_a_message_naming_both(env: Env) -> None:
    gamma = _customer(env, "Gamma Drains")
    _pull(env, "customer", gamma)
    await env.drain()
    local_gamma = _local(env, Customer, gamma)
    # Here Gamma is renamed to "Delta Drains" (its push is waiting) while QBO gets a new "Delta Drains".
    with env.sessions() as s:
        catalog.update_customer(s, env.actor, local_gamma.id, CustomerUpdate(display_name="Delta Drains"))
        s.commit()
    delta = _customer(env, "Delta Drains")
    _pull(env, "customer", delta)
    await env.drain()
    job = _pull_job(env, "customer", delta)
    assert job.status is SyncJobStatus.DEAD
    assert "'Delta Drains'" in job.last_error and local_gamma.id in job.last_error
    assert "rename one of the two" in job.last_error
    with env.sessions() as s:  # nothing half-applied: the clash left both records as they were
        assert s.get(Customer, local_gamma.id).display_name == "Delta Drains"
        assert s.scalar(select(Customer.id).where(Customer.qbo_id == delta)) is None


async def test_duplicate_invoice_numbers_accepted_by_qbo_are_reported_not_retried_forever(env: Env) -> None:
    customer = _customer(env, "Epsilon Electric")
    line = {
        "Amount": 100,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"Qty": 1, "UnitPrice": 100},
    }
    body = {"CustomerRef": {"value": customer}, "DocNumber": "7001", "Line": [line]}
    first = env.qbo.sandbox.create(env.realm, "Invoice", body)
    second = env.qbo.sandbox.run(
        env.realm, lambda books: books.create("Invoice", dict(body)), allow_duplicate_doc_number=True
    )
    _pull(env, "customer", customer)
    await env.drain()
    _pull(env, "invoice", str(first["Id"]))
    await env.drain()
    _pull(env, "invoice", str(second["Id"]))
    await env.drain()
    assert _local(env, Invoice, str(first["Id"])).total == Decimal("100.00")
    job = _pull_job(env, "invoice", str(second["Id"]))
    assert job.status is SyncJobStatus.DEAD
    assert "same number" in job.last_error and "'7001'" in job.last_error


def _create_here(env: Env, name: str, email: str) -> str:
    with env.sessions() as s:
        row = catalog.create_customer(s, env.actor, CustomerCreate(display_name=name, email=email))
        s.commit()
        return row.id


async def test_a_customer_typed_in_on_both_sides_is_linked_then_brought_to_our_version(env: Env) -> None:
    twin = _customer(env, "Zeta Roofing")
    local_id = _create_here(env, "Zeta Roofing", "office@zeta.example")
    await env.drain()
    with env.sessions() as s:
        assert s.get(Customer, local_id).qbo_id == twin
    remote = env.qbo.sandbox.realm(env.realm).get("Customer", twin)
    assert remote["PrimaryEmailAddr"]["Address"] == "office@zeta.example"
    names = [c["DisplayName"] for c in env.qbo.sandbox.realm(env.realm).all("Customer")]
    assert names.count("Zeta Roofing") == 1


async def test_a_name_qbo_gave_to_another_linked_customer_is_not_taken_over(env: Env) -> None:
    eta = _customer(env, "Eta Plumbing")
    _pull(env, "customer", eta)
    await env.drain()
    # QBO renames Eta to "Theta Plumbing"; before that reaches us, a new "Theta Plumbing" is typed in here.
    env.qbo.sandbox.update(env.realm, "Customer", {"Id": eta, "DisplayName": "Theta Plumbing"})
    theta_here = _create_here(env, "Theta Plumbing", "new@theta.example")
    await env.drain()
    with env.sessions() as s:
        assert s.get(Customer, theta_here).qbo_id is None  # not linked to Eta's record
        job = s.scalars(select(SyncJob).where(SyncJob.entity_id == theta_here)).one()
    assert job.status is SyncJobStatus.DEAD
    assert f"Customer {eta}" in job.last_error and "Rename one of the two" in job.last_error
    remote = env.qbo.sandbox.realm(env.realm).get("Customer", eta)
    assert "PrimaryEmailAddr" not in remote  # Eta's record in QBO was left alone
