"""Every router the app mounts, in one list."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import audit, customers, estimates, health, invoices, payments, public


def all_routers() -> list[APIRouter]:
    return [
        health.router,
        customers.router,
        customers.items_router,
        estimates.router,
        invoices.router,
        payments.router,
        audit.router,
        public.router,
    ]
