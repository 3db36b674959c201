"""Every router the app mounts, in one list."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    approvals,
    audit,
    chat,
    customers,
    estimates,
    health,
    identity,
    invoices,
    pages,
    payments,
    public,
    qbo,
    sync,
    webhooks,
)


def all_routers() -> list[APIRouter]:
    return [
        health.router,
        identity.router,
        customers.router,
        customers.items_router,
        estimates.router,
        invoices.router,
        payments.router,
        chat.router,
        approvals.router,
        audit.router,
        public.router,
        qbo.router,
        sync.router,
        webhooks.router,
        sync.page_router,
        pages.router,
    ]
